// `wgpt logits`: forward pass on given id rows, logits written as raw little-endian float32 (B, T, V).
import { type Command, UsageError } from './command.js';
import { getGpu } from '../gpu/device.js';
import { loadModelOnly } from '../train/tokenizer-spec.js';
import { IdBatch, noGrad, type Tensor } from '../autograd/tensor.js';
import { isRowLogits, isSequenceClassifier } from '../model/model.js';
import { writeFileAtomic } from '../io/atomic.js';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint, resolveCheckpointDir, CONFIG_FILE } from '../model/checkpoint.js';
import { SEQ2SEQ_MODEL_TYPE, type Seq2SeqModel } from '../model/rnn-seq2seq.js';
import type { Marian } from '../model/marian.js';

/** config.json's model_type, or undefined (no file, unreadable: the GPT path below reports it). */
function modelTypeOf(dir: string): unknown {
  try {
    const p = join(resolveCheckpointDir(dir), CONFIG_FILE);
    return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as { model_type?: unknown }).model_type : undefined;
  } catch {
    return undefined;
  }
}

export function parseIdRows(s: string): number[][] {
  const rows = s.split(';').map((r, i) => {
    const parts = r.split(',').map((x) => x.trim());
    return parts.map((x, j) => {
      if (!/^-?\d+$/.test(x)) throw new UsageError(`--ids: '${x}' (row ${i + 1}, item ${j + 1}) is not an integer`);
      return Number(x);
    });
  });
  const T = rows[0].length;
  rows.forEach((r, i) => {
    if (r.length !== T) throw new UsageError(`--ids: row ${i + 1} has ${r.length} ids, row 1 has ${T}; rows must be the same length`);
  });
  return rows;
}

/** Rows of ids split by ';' (rows may differ in length: sources are padded by the caller). */
export function parseRaggedIds(s: string, flag: string): number[][] {
  return s.split(';').map((r, i) =>
    r.split(',').map((x, j) => {
      const t = x.trim();
      if (!/^-?\d+$/.test(t)) throw new UsageError(`${flag}: '${t}' (row ${i + 1}, item ${j + 1}) is not an integer`);
      return Number(t);
    }),
  );
}

/** Seq2seq checkpoints: teacher-forced decoder logits (B, Td, V) for sources --ids and decoder inputs --decoder-ids. */
/** An encoder–decoder's --ids (ragged source rows) and --decoder-ids (equal-length rows), one per source row. */
function seq2seqRows(dir: string, modelType: string, idsArg: string, decArg: string | undefined, startHint = ''): { src: number[][]; tgt: number[][]; B: number; S: number; T: number } {
  if (decArg === undefined) throw new UsageError(`${dir} is an encoder–decoder (${modelType}): give the decoder's input as --decoder-ids${startHint}`);
  const src = parseRaggedIds(idsArg, '--ids');
  const tgt = parseIdRows(decArg);
  if (tgt.length !== src.length) throw new UsageError(`--ids has ${src.length} rows but --decoder-ids has ${tgt.length}`);
  return { src, tgt, B: src.length, S: Math.max(...src.map((r) => r.length)), T: tgt[0].length };
}

async function seq2seqLogits(dir: string, idsArg: string, decArg: string | undefined, out: string): Promise<void> {
  const ck = loadCheckpoint(dir);
  const { src, tgt, B, S, T } = seq2seqRows(dir, ck.arch.modelType, idsArg, decArg);
  const cfg = ck.config;
  const gpu = await getGpu();
  const model = ck.arch.create(gpu, cfg, ck.params) as Seq2SeqModel;
  try {
    const data = await gpu.scope(() =>
      noGrad(async () => {
        const input = { B, S, T, src: src.flatMap((r) => [...r, ...new Array(S - r.length).fill(cfg.pad_id)]), srcLens: src.map((r) => r.length), tgtIn: tgt.flat() };
        return model.forward(input).toArray();
      }),
    );
    writeFileAtomic(out, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    console.log(`logits [${B}, ${T}, ${cfg.vocab_size}] float32 little-endian (logits[t] after reading decoder id t) → ${out}`);
  } finally {
    model.dispose();
  }
}

/** Marian folders: teacher-forced logits (B, Td, V) of decoder inputs --decoder-ids over sources --ids (padded with pad, masked). */
async function marianLogits(dir: string, idsArg: string, decArg: string | undefined, out: string, maskArg?: string): Promise<void> {
  const ck = loadCheckpoint(dir);
  const { src, tgt, B, S, T } = seq2seqRows(dir, 'marian', idsArg, decArg, ` (it begins with decoder_start_token_id ${ck.config.decoder_start_token_id})`);
  // transformers' attention_mask: 0 marks a padded source position, masked as a key in the encoder's self-attention
  // and in the decoder's cross-attention (rows like --ids; positions past a short row are padding anyway)
  const given = maskArg === undefined ? null : rowsLike(maskArg, '--attention-mask', src);
  if (given) {
    const bad = given.findIndex((m) => m !== 0 && m !== 1);
    if (bad >= 0) throw new UsageError(`--attention-mask must hold 0 or 1, got ${given[bad]}`);
  }
  const c = ck.config;
  for (const [flag, rows, len] of [['--ids', src, S], ['--decoder-ids', tgt, T]] as const) {
    if (len > c.max_position_embeddings) throw new Error(`${flag}: a row of ${len} tokens is longer than the model's max_position_embeddings ${c.max_position_embeddings}`);
    const V = flag === '--ids' ? c.vocab_size : c.decoder_vocab_size;
    rows.forEach((r, i) => r.forEach((id, j) => {
      if (id < 0 || id >= V) throw new Error(`${flag}: id ${id} (row ${i + 1}, item ${j + 1}) is out of range [0, ${V})`);
    }));
  }
  const gpu = await getGpu();
  const model = ck.arch.create(gpu, c, ck.params) as Marian;
  try {
    const data = await gpu.scope(() =>
      noGrad(async () => {
        const srcIds = IdBatch.from(gpu, src.flatMap((r) => [...r, ...new Array<number>(S - r.length).fill(c.pad_token_id)]), [B, S], c.vocab_size, 'source id');
        let k = 0;
        const srcMask = src.flatMap((r) => Array.from({ length: S }, (_, s) => (s < r.length ? (given ? given[k++] : 1) : 0)));
        const dec = IdBatch.from(gpu, tgt.flat(), [B, T], c.decoder_vocab_size, 'decoder id');
        return model.forward({ src: srcIds, srcMask, decoderInput: dec }).toArray();
      }),
    );
    writeFileAtomic(out, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    console.log(`logits [${B}, ${T}, ${c.decoder_vocab_size}] float32 little-endian (logits[t] after reading decoder id t; sources padded and masked) → ${out}`);
  } finally {
    model.dispose();
  }
}

/** Rows like --ids' for a flag that must match them entry for entry (BERT's mask and token types). */
function rowsLike(s: string, flag: string, ids: number[][]): number[] {
  const rows = parseRaggedIds(s, flag);
  if (rows.length !== ids.length) throw new UsageError(`${flag} has ${rows.length} rows, --ids has ${ids.length}`);
  rows.forEach((r, i) => {
    if (r.length !== ids[i].length) throw new UsageError(`${flag}: row ${i + 1} has ${r.length} entries, --ids row ${i + 1} has ${ids[i].length}`);
  });
  return rows.flat();
}

/**
 * Whole-row models (RowLogits: GPT, BERT, RoBERTa, DistilBERT masked-LM) write (B, T, V); classifiers
 * (SequenceClassifier) write (B, num_labels). Extra inputs only where the model takes them.
 */
async function rowLogits(dir: string, v: Record<string, unknown>, out: string): Promise<void> {
  const rows = parseIdRows(v.ids as string);
  const B = rows.length;
  const T = rows[0].length;
  const mask = v['attention-mask'] !== undefined ? rowsLike(v['attention-mask'] as string, '--attention-mask', rows) : undefined;
  const types = v['token-type-ids'] !== undefined ? rowsLike(v['token-type-ids'] as string, '--token-type-ids', rows) : undefined;
  const gpu = await getGpu();
  const model = loadModelOnly(gpu, dir);
  try {
    let shape: number[];
    let what: string;
    let run: () => Tensor;
    if (isRowLogits(model)) {
      for (const [flag, given, key] of [['--attention-mask', mask, 'attentionMask'], ['--token-type-ids', types, 'tokenTypeIds']] as const) {
        if (given && !model.rowInputs.includes(key)) throw new Error(`${flag} is not an input of a ${model.arch.name} model (it takes ${model.rowInputs.length ? model.rowInputs.map((k) => (k === 'attentionMask' ? '--attention-mask' : '--token-type-ids')).join(', ') : 'ids only'})`);
      }
      shape = [B, T, model.vocabSize];
      what = model.rowLogitsKind;
      run = () => model.rowLogits(IdBatch.from(gpu, rows.flat(), [B, T], model.vocabSize), { attentionMask: mask, tokenTypeIds: types });
    } else if (isSequenceClassifier(model)) {
      if (types) throw new Error(`--token-type-ids: wgpt logits gives a classifier ids and --attention-mask only`);
      shape = [B, model.numLabels];
      what = `classification scores of ${model.labels.join(', ')}`;
      run = () => model.classify(IdBatch.from(gpu, rows.flat(), [B, T], 1 << 30), mask ?? new Uint8Array(B * T).fill(1));
    } else throw new Error(`${dir} holds a ${model.arch.name} model, which has no logits of id rows`);
    const data = await gpu.scope(() => noGrad(async () => run().toArray()));
    writeFileAtomic(out, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    console.log(`logits [${shape.join(', ')}] float32 little-endian (${what}${mask ? '; padded positions hold numbers too' : ''}) → ${out}`);
  } finally {
    model.dispose();
  }
}

const cmd: Command = {
  summary: 'write the logits of id rows as raw float32 (B, T, V)',
  usage: 'wgpt logits --model DIR --ids "1,2,3;4,5,6" [--attention-mask "1,1,1;1,1,0"] [--token-type-ids "0,0,0;0,1,1"] [--decoder-ids "1,7;1,8"] --out FILE',
  options: { model: { type: 'string' }, ids: { type: 'string' }, 'attention-mask': { type: 'string' }, 'token-type-ids': { type: 'string' }, 'decoder-ids': { type: 'string' }, out: { type: 'string' } },
  help: {
    model: ['DIR', 'checkpoint folder; required'],
    ids: ['"1,2;3,4"', 'rows of token ids (rows split by ;, all the same length); required'],
    'attention-mask': ['"1,1;1,0"', 'BERT and Marian (its sources): 0/1 rows like --ids, 0 = padding (masked as a key, as transformers does)', 'all 1'],
    'token-type-ids': ['"0,0;0,1"', 'BERT: segment ids, rows like --ids', 'all 0'],
    'decoder-ids': ['"1,7;1,8"', 'encoder–decoder checkpoints (Marian, RNN seq2seq): the decoder\'s input rows (teacher forcing; Marian: from decoder_start_token_id); --ids are then the sources (rows may differ in length: padded and masked)'],
    out: ['FILE', 'raw little-endian float32 logits (B, T, V); required'],
  },
  async run(v) {
    if (!v.model) throw new UsageError('--model is required');
    if (!v.ids) throw new UsageError('--ids is required');
    if (!v.out) throw new UsageError('--out is required');
    const type = modelTypeOf(v.model as string);
    if (v['token-type-ids'] !== undefined && (type === SEQ2SEQ_MODEL_TYPE || type === 'marian')) throw new UsageError(`--token-type-ids is not an input of ${type} models (an encoder–decoder reads --ids and --decoder-ids)`);
    // the RNN seq2seq reads each source up to its length (packed sequences): padding is the end of a shorter --ids row
    if (v['attention-mask'] !== undefined && type === SEQ2SEQ_MODEL_TYPE) throw new UsageError(`--attention-mask is not read by ${SEQ2SEQ_MODEL_TYPE} models: a source's length is its --ids row's (give rows of different lengths)`);
    if (type === SEQ2SEQ_MODEL_TYPE) {
      return seq2seqLogits(v.model as string, v.ids as string, v['decoder-ids'] as string | undefined, v.out as string);
    }
    if (type === 'marian') return marianLogits(v.model as string, v.ids as string, v['decoder-ids'] as string | undefined, v.out as string, v['attention-mask'] as string | undefined);
    if (v['decoder-ids'] !== undefined) throw new UsageError('--decoder-ids is for encoder–decoder checkpoints');
    return rowLogits(v.model as string, v, v.out as string);
  },
};
export default cmd;
