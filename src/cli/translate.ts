// `wgpt translate`: greedy decoding of an RNN/LSTM seq2seq checkpoint (model_type wgpt-rnn-seq2seq), the course's
// loop (start token, argmax, stop at the end token or the cap); prints the output text, or the ids with --json;
// --show-attention writes the attention matrix as SVG. Leaves out: beam search, sampling.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, UsageError, num } from './command.js';
import { getGpu } from '../gpu/device.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import { SEQ2SEQ_MODEL_TYPE, type Seq2SeqModel } from '../model/rnn-seq2seq.js';
import { loadTokenizerSpec, checkpointTokenizerSpec, RUN_FILE } from '../train/tokenizer-spec.js';
import { attentionSvg } from '../train/attention-plot.js';
import { writeFileAtomic } from '../io/atomic.js';
import { parseRaggedIds } from './logits.js';

const cmd: Command = {
  summary: 'translate with an RNN/LSTM seq2seq checkpoint (greedy; --show-attention FILE.svg)',
  usage: 'wgpt translate --model DIR (--text "…" | --ids "5,9,30[;…]") [--max-new-tokens N] [--json] [--show-attention FILE.svg]',
  options: {
    model: { type: 'string' },
    text: { type: 'string' },
    ids: { type: 'string' },
    'max-new-tokens': { type: 'string' },
    json: { type: 'boolean' },
    'show-attention': { type: 'string' },
  },
  help: {
    model: ['DIR', 'a wgpt-rnn-seq2seq checkpoint folder; required'],
    text: ['"…"', 'source text (needs the folder\'s tokenizer)'],
    ids: ['"5,9,30"', 'source token ids instead of --text (rows split by ; translate a batch)'],
    'max-new-tokens': ['N', 'cap on generated tokens', 'config.json\'s max_target_length'],
    json: ['', 'print {"ids": [[start, …]], "text": [...]} (ids begin with the start token, as the course\'s loop returns them)'],
    'show-attention': ['FILE.svg', 'write the attention weights (target × source tokens) of the first source (attention models)'],
  },
  async run(v) {
    if (!v.model) throw new UsageError('--model is required');
    if ((v.text === undefined) === (v.ids === undefined)) throw new UsageError('give --text or --ids (one of them)');
    const dir = v.model as string;
    const ck = loadCheckpoint(dir);
    if (ck.arch.modelType !== SEQ2SEQ_MODEL_TYPE) throw new Error(`${dir} holds a ${ck.arch.modelType} model; wgpt translate needs model_type "${SEQ2SEQ_MODEL_TYPE}"`);
    const cfg = ck.config;
    const maxNew = num(v, 'max-new-tokens', cfg.max_target_length, { int: true, min: 1 });
    const hasTok = existsSync(join(ck.dir, RUN_FILE));
    const tok = hasTok ? loadTokenizerSpec(checkpointTokenizerSpec(ck.dir), { checkpointDir: ck.dir }) : null;
    let rows: number[][];
    if (v.text !== undefined) {
      if (!tok) throw new Error(`${dir} has no tokenizer (${RUN_FILE}); give the source as --ids`);
      rows = [tok.encode(v.text as string)];
      if (!rows[0].length) throw new UsageError('--text encodes to no tokens');
    } else rows = parseRaggedIds(v.ids as string, '--ids');
    for (const [r, row] of rows.entries()) {
      for (const [i, id] of row.entries()) {
        if (id < 0 || id >= cfg.vocab_size) throw new Error(`--ids: id ${id} (row ${r + 1}, item ${i + 1}) is out of range [0, ${cfg.vocab_size})`);
      }
    }
    const showAttn = v['show-attention'] as string | undefined;
    if (showAttn && cfg.attention === 'none') throw new Error(`${dir} has no attention (config.json: attention "none"); --show-attention needs an attention model`);
    const S = Math.max(...rows.map((r) => r.length));
    const src = rows.flatMap((r) => [...r, ...new Array(S - r.length).fill(cfg.pad_id)]);
    const gpu = await getGpu();
    const model = ck.arch.create(gpu, cfg, ck.params) as Seq2SeqModel;
    try {
      const g = await model.greedy(src, rows.map((r) => r.length), S, maxNew);
      // each row up to (not including) its end token
      const outs = g.ids.map((r) => {
        const body = r.slice(1);
        const e = body.indexOf(cfg.end_id);
        return e < 0 ? body : body.slice(0, e);
      });
      const special = new Set([cfg.start_id, cfg.end_id, cfg.pad_id]);
      const text = (ids: number[]) => (tok ? tok.decode(ids.filter((x) => !special.has(x) && x < tok.vocabSize)) : ids.join(' '));
      // --json: each row from the start token through its end token (or the cap), as the course's loop returns it
      if (v.json) console.log(JSON.stringify({ ids: g.ids.map((r, b) => r.slice(0, Math.min(r.length, outs[b].length + 2))), text: outs.map(text) }));
      else for (const o of outs) console.log(text(o));
      if (showAttn) {
        // first source: one row per generated token (end token included), one column per real source token
        const B = rows.length;
        const steps = Math.min(g.steps, outs[0].length + 1);
        const w = new Float32Array(steps * rows[0].length);
        for (let s = 0; s < steps; s++) for (let j = 0; j < rows[0].length; j++) w[s * rows[0].length + j] = g.attention![(s * B + 0) * S + j];
        const label = (id: number) => {
          if (id === cfg.end_id) return '</s>';
          try {
            return tok && id < tok.vocabSize ? tok.decode([id]) : String(id);
          } catch {
            return String(id); // a byte-level piece that is not UTF-8 on its own
          }
        };
        const tgtIds = g.ids[0].slice(1, 1 + steps);
        writeFileAtomic(showAttn, attentionSvg(w, tgtIds.map(label), rows[0].map(label), `attention: ${dir}`));
        process.stderr.write(`wgpt: attention (${steps} × ${rows[0].length}) → ${showAttn}\n`);
      }
    } finally {
      model.dispose();
    }
  },
};
export default cmd;
