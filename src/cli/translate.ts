// `wgpt translate`: one command over every encoder–decoder checkpoint (EncoderDecoderLM: Marian folders as Hugging Face
// ships them, wgpt's RNN/LSTM seq2seq): greedy or beam search, with or without the KV cache; prints the text, or the
// ids with --json; --show-attention draws the cross-attention as SVG. Leaves out: sampling.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, UsageError, num } from './command.js';
import { getGpu } from '../gpu/device.js';
import { loadCheckpointByRef } from '../hub/node.js';
import { ADAPTER_OPTION, ADAPTER_HELP, applyAdapter } from './adapter.js';
import { isEncoderDecoderLM } from '../model/model.js';
import { translateIds, generatedTokens } from '../model/seq2seq-translate.js';
import { MarianTokenizer, type Tokenizer } from '../tokenizer/index.js';
import { loadTokenizerSpec, checkpointTokenizerSpec, hasMarianTokenizer, RUN_FILE, MARIAN_SPM } from '../hub/tokenizer-spec.js';
import { attentionSvg } from '../train/attention-plot.js';
import { writeFileAtomic } from '../io/atomic.js';
import { parseRaggedIds } from './logits.js';

const cmd: Command = {
  summary: 'translate with an encoder–decoder checkpoint (Marian, RNN/LSTM seq2seq): greedy or beam search',
  usage:
    'wgpt translate --model DIR|NAME (--text "…" | --ids "5,9,30[;…]") [--num-beams N] [--length-penalty X] [--early-stopping] [--max-new-tokens N] [--no-cache] [--json] [--show-attention FILE.svg] [--adapter DIR]',
  options: {
    ...ADAPTER_OPTION,
    model: { type: 'string' },
    text: { type: 'string' },
    ids: { type: 'string' },
    'max-new-tokens': { type: 'string' },
    'num-beams': { type: 'string' },
    'length-penalty': { type: 'string' },
    'early-stopping': { type: 'boolean' },
    'no-cache': { type: 'boolean' },
    json: { type: 'boolean' },
    'show-attention': { type: 'string' },
  },
  help: {
    ...ADAPTER_HELP,
    model: ['DIR|NAME', 'an encoder–decoder folder or Hub model (Helsinki-NLP/opus-mt-ko-en): a Marian folder (config.json model_type "marian", model.safetensors, source.spm, target.spm, vocab.json) or a wgpt-rnn-seq2seq checkpoint; required'],
    text: ['"…"', "source text (needs the folder's tokenizer: Marian's spm files, or wgpt_run.json)"],
    ids: ['"5,9,30"', 'source token ids instead of --text (rows split by ; translate a batch; Marian sources end with </s> as its tokenizer writes them)'],
    'max-new-tokens': ['N', 'cap on generated tokens (the end token included)', "generation_config.json's (else config.json's) max_length − 1 (Marian), max_target_length (RNN)"],
    'num-beams': ['N', "beam search with N beams (Marian: Hugging Face generate's rules; rnn-seq2seq: the course's, a beam ends at the end token, docs/gru.md); 1 = greedy", "generation_config.json's (else config.json's) num_beams (Marian, as Hugging Face's generate), else 1"],
    'length-penalty': ['X', 'beam search: a hypothesis scores sum(log p) / length^X', '1'],
    'early-stopping': ['', 'beam search: stop a source early (Marian, Hugging Face rules: once it has N finished hypotheses; rnn-seq2seq: once its best beam has ended)'],
    'no-cache': ['', 'recompute the decoder over the whole prefix every step instead of reading the KV cache (Marian; slower, same output)'],
    json: ['', 'print {"ids": [[start, …]], "text": [...]} (ids as generate returns them: from the decoder start token, finished rows padded; beam search adds "scores")'],
    'show-attention': ['FILE.svg', 'write the cross-attention of the first source (generated tokens × source tokens; Marian: last decoder layer, heads averaged)'],
  },
  async run(v) {
    if (!v.model) throw new UsageError('--model is required');
    if ((v.text === undefined) === (v.ids === undefined)) throw new UsageError('give --text or --ids (one of them)');
    const lengthPenalty = num(v, 'length-penalty', 1);
    const dir = v.model as string;
    const ck = await loadCheckpointByRef(dir);
    const cfg = ck.config;
    // Hugging Face's generate() reads num_beams, max_length, bad_words_ids and decoder_start_token_id from
    // generation_config.json (else config.json) when the call does not give them
    const gen = ck.generation;
    const cfgBeams = gen.num_beams ?? (Number.isInteger(cfg.num_beams) && (cfg.num_beams as number) >= 1 ? (cfg.num_beams as number) : 1);
    const long = (gen.bad_words_ids ?? []).find((w) => w.length !== 1);
    if (long) throw new Error(`${dir}: bad_words_ids ${JSON.stringify(long)} is a sequence of ${long.length} tokens; wgpt bans single tokens only`);
    const badIds = gen.bad_words_ids?.map((w) => w[0]);
    const numBeams = num(v, 'num-beams', cfgBeams, { int: true, min: 1 });
    const marianFiles = hasMarianTokenizer(ck.dir);
    const hasTok = marianFiles || existsSync(join(ck.dir, RUN_FILE));
    const tok: Tokenizer | null = hasTok ? loadTokenizerSpec(checkpointTokenizerSpec(ck.dir), { checkpointDir: ck.dir }) : null;
    let rows: number[][];
    if (v.text !== undefined) {
      if (!tok) throw new Error(`${dir} has no tokenizer (${RUN_FILE}, or ${MARIAN_SPM.join(' + ')} + vocab.json); give the source as --ids`);
      rows = [tok.encode(v.text as string)];
      if (!rows[0].length) throw new UsageError('--text encodes to no tokens');
    } else rows = parseRaggedIds(v.ids as string, '--ids');
    const showAttn = v['show-attention'] as string | undefined;
    if (showAttn && cfg.attention === 'none') throw new Error(`${dir} has no attention (config.json: attention "none"); --show-attention needs an attention model`);
    const gpu = await getGpu();
    const model = ck.arch.create(gpu, cfg, ck.params);
    applyAdapter(gpu, model, v.adapter);
    try {
      if (!isEncoderDecoderLM(model)) throw new Error(`${dir} holds a ${ck.arch.modelType} model; wgpt translate needs an encoder–decoder (model_type "marian" or "wgpt-rnn-seq2seq")`);
      // text from a tokenizer that does not append </s> (a wgpt-trained Marian's): appended, as its training data had it
      if (v.text !== undefined && model.sourceEndsWithEos && rows[0][rows[0].length - 1] !== model.eosId) rows[0].push(model.eosId);
      for (const [r, row] of rows.entries()) {
        for (const [i, id] of row.entries()) {
          if (id < 0 || id >= model.sourceVocabSize) throw new Error(`--ids: id ${id} (row ${r + 1}, item ${i + 1}) is out of range [0, ${model.sourceVocabSize})`);
        }
        if (model.maxSourceLength !== undefined && row.length > model.maxSourceLength) {
          throw new Error(`source ${r + 1} has ${row.length} tokens, more than the model's max_position_embeddings ${model.maxSourceLength}`);
        }
      }
      if (numBeams > 1 && !model.reorder) throw new Error(`${ck.arch.modelType} models decode greedily only in wgpt (no beam search): use --num-beams 1`);
      if (v['no-cache'] && !model.decodeNoCache) throw new Error(`${ck.arch.modelType} models have no KV cache to turn off (--no-cache is for Marian)`);
      const cfgMax = gen.max_length ?? cfg.max_length;
      const defMaxLen = typeof cfgMax === 'number' ? Math.min(cfgMax, model.maxTargetLength + 1) : model.maxTargetLength + 1;
      if (gen.decoder_start_token_id !== undefined && gen.decoder_start_token_id >= model.targetVocabSize) throw new Error(`${dir}: decoder_start_token_id ${gen.decoder_start_token_id} is outside the decoder's ${model.targetVocabSize} ids`);
      for (const id of badIds ?? []) if (id >= model.targetVocabSize) throw new Error(`${dir}: bad_words_ids names id ${id}, outside the decoder's ${model.targetVocabSize} ids`);
      const maxNew = num(v, 'max-new-tokens', defMaxLen - 1, { int: true, min: 1 });
      if (model.maxSourceLength !== undefined && maxNew > model.maxTargetLength) {
        throw new Error(`--max-new-tokens ${maxNew} is more than the decoder's max_position_embeddings ${model.maxTargetLength}`);
      }
      const res = await translateIds(model, rows, {
        maxLength: maxNew + 1,
        numBeams,
        lengthPenalty,
        earlyStopping: !!v['early-stopping'],
        useCache: !v['no-cache'],
        attention: !!showAttn,
        badIds,
        decoderStartId: gen.decoder_start_token_id,
      });
      const special = new Set([model.decoderStartId, model.eosId, model.padId]);
      // the generated tokens before the end token; decoded without special tokens (Marian: skip_special_tokens)
      const text = (ids: number[]) => (tok ? tok.decode(ids.filter((x) => !special.has(x) && x < tok.vocabSize)) : ids.join(' '));
      const outs = res.sequences.map((s) => text(generatedTokens(s, model.eosId).filter((x, i, a) => !(i === a.length - 1 && x === model.eosId))));
      if (v.json) console.log(JSON.stringify({ ids: res.sequences, text: outs, ...(res.scores ? { scores: res.scores } : {}) }));
      else for (const o of outs) console.log(o);
      if (showAttn) {
        // first source: one row per generated token (the end token included), one column per real source token
        const w = res.attention![0];
        const S = rows[0].length;
        const label = (id: number) => {
          if (id === model.eosId) return '</s>';
          if (tok instanceof MarianTokenizer) return (tok.idToToken[id] ?? String(id)).replaceAll('\u2581', '_'); // the piece; ▁ (a space) as _
          try {
            return tok && id < tok.vocabSize ? tok.decode([id]) : String(id);
          } catch {
            return String(id); // a byte-level piece that is not UTF-8 on its own
          }
        };
        const tgtIds = generatedTokens(res.sequences[0], model.eosId);
        writeFileAtomic(showAttn, attentionSvg(Float32Array.from(w.flat()), tgtIds.map(label), rows[0].map(label), `attention: ${dir} (${res.attentionWhich})`));
        process.stderr.write(`wgpt: ${res.attentionWhich} (${w.length} × ${S}) → ${showAttn}\n`);
      }
    } finally {
      model.dispose();
    }
  },
};
export default cmd;
