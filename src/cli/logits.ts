// `wgpt logits`: forward pass on given id rows, logits written as raw little-endian float32 (B, T, V).
import { type Command, UsageError } from './command.js';
import { getGpu } from '../gpu/device.js';
import { loadCheckpointByRef } from '../hub/node.js';
import { ADAPTER_OPTION, ADAPTER_HELP, applyAdapter } from './adapter.js';
import { IdBatch, noGrad, type Tensor } from '../autograd/tensor.js';
import { type Model, type EncoderDecoderLM, isRowLogits, isSequenceClassifier, isEncoderDecoderLM } from '../model/model.js';
import { writeFileAtomic } from '../io/atomic.js';
import { Marian } from '../model/marian.js';

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

/**
 * Encoder–decoders (EncoderDecoderLM: Marian, RNN seq2seq): teacher-forced logits (B, Td, V) of decoder inputs
 * --decoder-ids over sources --ids (ragged rows, padded with the model's pad id and masked): the encoder once, then
 * one decode step over the whole decoder rows from position 0. Marian also takes transformers' attention_mask
 * (--attention-mask, rows like --ids): a 0 masks that source position as a key in the encoder's self-attention and
 * in the decoder's cross-attention, as MarianMTModel does.
 */
async function encoderDecoderLogits(model: EncoderDecoderLM & Model, dir: string, idsArg: string, decArg: string | undefined, out: string, maskArg?: string): Promise<void> {
  if (decArg === undefined) throw new UsageError(`${dir} is an encoder–decoder (${model.arch.modelType}): give the decoder's input as --decoder-ids (it begins with decoder start id ${model.decoderStartId})`);
  const src = parseRaggedIds(idsArg, '--ids');
  const tgt = parseIdRows(decArg);
  if (tgt.length !== src.length) throw new UsageError(`--ids has ${src.length} rows but --decoder-ids has ${tgt.length}`);
  const B = src.length;
  const S = Math.max(...src.map((r) => r.length));
  const T = tgt[0].length;
  if (src.some((r) => r.length === 0)) throw new UsageError('--ids: every source row needs at least one id');
  if (model.maxSourceLength !== undefined && S > model.maxSourceLength) throw new Error(`--ids: a row of ${S} tokens is longer than the model's longest source (${model.maxSourceLength} tokens)`);
  if (T > model.maxTargetLength) throw new Error(`--decoder-ids: rows of ${T} tokens are longer than the model's longest target (${model.maxTargetLength} tokens)`);
  const given = maskArg === undefined ? null : rowsLike(maskArg, '--attention-mask', src);
  if (given) {
    const bad = given.findIndex((m) => m !== 0 && m !== 1);
    if (bad >= 0) throw new UsageError(`--attention-mask must hold 0 or 1, got ${given[bad]}`);
  }
  const gpu = model.gpu;
  const data = await gpu.scope(() =>
    noGrad(async () => {
      const srcIds = IdBatch.from(gpu, src.flatMap((r) => [...r, ...new Array<number>(S - r.length).fill(model.padId)]), [B, S], model.sourceVocabSize, 'source id');
      const dec = IdBatch.from(gpu, tgt.flat(), [B, T], model.targetVocabSize, 'decoder id');
      if (given && model instanceof Marian) {
        // the given mask over each row's ids; positions past a short row are padding
        let k = 0;
        const srcMask = src.flatMap((r) => Array.from({ length: S }, (_, s) => (s < r.length ? given[k++] : 0)));
        return model.forward({ src: srcIds, srcMask, decoderInput: dec }).toArray();
      }
      const state = model.encode(srcIds, src.map((r) => r.length));
      try {
        return await model.decodeStep(state, dec, 0).toArray();
      } finally {
        state.dispose();
      }
    }),
  );
  writeFileAtomic(out, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  console.log(`logits [${B}, ${T}, ${model.targetVocabSize}] float32 little-endian (logits[t] after reading decoder id t; sources padded and masked) → ${out}`);
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
async function rowLogits(model: Model, dir: string, v: Record<string, unknown>, out: string): Promise<void> {
  if (v['decoder-ids'] !== undefined) throw new UsageError('--decoder-ids is for encoder–decoder checkpoints');
  const rows = parseIdRows(v.ids as string);
  const B = rows.length;
  const T = rows[0].length;
  const mask = v['attention-mask'] !== undefined ? rowsLike(v['attention-mask'] as string, '--attention-mask', rows) : undefined;
  const types = v['token-type-ids'] !== undefined ? rowsLike(v['token-type-ids'] as string, '--token-type-ids', rows) : undefined;
  const gpu = model.gpu;
  {
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
      const V = model.arch.vocabSize(model.config);
      run = () => model.classify(IdBatch.from(gpu, rows.flat(), [B, T], V), mask ?? new Uint8Array(B * T).fill(1));
    } else throw new Error(`${dir} holds a ${model.arch.name} model, which has no logits of id rows`);
    const data = await gpu.scope(() => noGrad(async () => run().toArray()));
    writeFileAtomic(out, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    console.log(`logits [${shape.join(', ')}] float32 little-endian (${what}${mask ? '; padded positions hold numbers too' : ''}) → ${out}`);
  }
}

const cmd: Command = {
  summary: 'write the logits of id rows as raw float32 (B, T, V)',
  usage: 'wgpt logits --model DIR|NAME --ids "1,2,3;4,5,6" [--attention-mask "1,1,1;1,1,0"] [--token-type-ids "0,0,0;0,1,1"] [--decoder-ids "1,7;1,8"] [--adapter DIR] --out FILE',
  options: { model: { type: 'string' }, ids: { type: 'string' }, 'attention-mask': { type: 'string' }, 'token-type-ids': { type: 'string' }, 'decoder-ids': { type: 'string' }, out: { type: 'string' }, ...ADAPTER_OPTION },
  help: {
    ...ADAPTER_HELP,
    model: ['DIR|NAME', 'checkpoint folder, or a model on the Hub (ORG/NAME[@REV]); required'],
    ids: ['"1,2;3,4"', 'rows of token ids (rows split by ;, all the same length); required'],
    'attention-mask': ['"1,1;1,0"', 'BERT-like and Marian (its sources): 0/1 rows like --ids, 0 = padding (masked as a key, as transformers does)', 'all 1'],
    'token-type-ids': ['"0,0;0,1"', 'BERT: segment ids, rows like --ids', 'all 0'],
    'decoder-ids': ['"1,7;1,8"', 'encoder–decoder checkpoints (Marian, RNN seq2seq): the decoder\'s input rows (teacher forcing; Marian: from decoder_start_token_id); --ids are then the sources (rows may differ in length: padded and masked)'],
    out: ['FILE', 'raw little-endian float32 logits (B, T, V); required'],
  },
  async run(v) {
    if (!v.model) throw new UsageError('--model is required');
    if (!v.ids) throw new UsageError('--ids is required');
    if (!v.out) throw new UsageError('--out is required');
    // the model's files first (a wrong name or an unreachable Hub fails before any GPU work)
    const ck = await loadCheckpointByRef(v.model as string);
    const gpu = await getGpu();
    const model = ck.arch.create(gpu, ck.config, ck.params);
    try {
      applyAdapter(gpu, model, v.adapter);
      if (isEncoderDecoderLM(model)) {
        if (v['token-type-ids'] !== undefined) throw new UsageError('--token-type-ids is not an input of an encoder–decoder (sources are masked by their lengths)');
        // Marian reads transformers' attention_mask; the recurrent seq2seq reads each source up to its length
        if (v['attention-mask'] !== undefined && !(model instanceof Marian)) throw new UsageError(`--attention-mask is not an input of a ${model.arch.name} model: a source's length is its --ids row's (give rows of different lengths)`);
        return await encoderDecoderLogits(model, v.model as string, v.ids as string, v['decoder-ids'] as string | undefined, v.out as string, v['attention-mask'] as string | undefined);
      }
      return await rowLogits(model, v.model as string, v, v.out as string);
    } finally {
      model.dispose();
    }
  },
};
export default cmd;
