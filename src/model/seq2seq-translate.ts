// Translation of id rows with any encoder–decoder (EncoderDecoderLM: Marian, RNN/LSTM seq2seq): the encoder once per
// batch, greedy or beam search (seq2seq-generate.ts) over per-step decoder calls, with or without the KV cache, and
// optionally the cross-attention of every generated token. Leaves out: sampling, tokenization (callers pass ids).
import { IdBatch, type Tensor } from '../autograd/tensor.js';
import type { EncoderDecoderLM } from './model.js';
import { greedySearch, beamSearch, type Seq2SeqStep, type Seq2SeqGenerateOptions } from './seq2seq-generate.js';

export interface TranslateOptions {
  /** total output length including the decoder start token (Hugging Face's max_length) */
  maxLength: number;
  numBeams?: number;
  lengthPenalty?: number;
  earlyStopping?: boolean;
  /** false: every step recomputes the decoder over the whole prefix (needs decodeNoCache); default true */
  useCache?: boolean;
  /** collect the cross-attention of every generated token (needs lastAttention) */
  attention?: boolean;
  /** ids never generated (generation_config.json's one-token bad_words_ids); default the model's bannedIds */
  badIds?: readonly number[];
  /** the decoder's first token (generation_config.json's decoder_start_token_id); default the model's */
  decoderStartId?: number;
  /** beam search's rules (Seq2SeqGenerateOptions.beamRule); default: the model's (rnn-seq2seq: 'course'), else 'hf' */
  beamRule?: 'hf' | 'course';
}

export interface TranslateResult {
  /** one row per source beginning with the decoder start token, finished rows padded (as generate returns them) */
  sequences: number[][];
  /** beam search: the length-normalised score of each sequence */
  scores?: number[];
  /** with `attention`: per source, one row of S weights per generated token (EOS included), heads averaged */
  attention?: number[][][];
  /** what the attention rows are (e.g. which layer, how many heads averaged) */
  attentionWhich?: string;
  /** decoder calls run */
  steps: number;
}

/** The generated tokens of a returned row: after the start token, through EOS (included) when there is one. */
export function generatedTokens(row: readonly number[], eosId: number): number[] {
  const body = row.slice(1);
  const e = body.indexOf(eosId);
  return e < 0 ? body : body.slice(0, e + 1);
}

/** Translates source id rows (lengths may differ: padded here) with `model`. */
export async function translateIds(model: EncoderDecoderLM, rows: readonly (readonly number[])[], o: TranslateOptions): Promise<TranslateResult> {
  const gpu = model.gpu;
  const nb = o.numBeams ?? 1;
  const useCache = o.useCache ?? true;
  if (!Number.isInteger(nb) || nb < 1) throw new Error(`num_beams must be an integer ≥ 1, got ${nb}`);
  if (nb > 1 && !model.reorder) throw new Error(`this model cannot reorder its decoder state, so it has no beam search: use num_beams 1 (greedy)`);
  if (!useCache && !model.decodeNoCache) throw new Error('this model has no KV cache to turn off (each step reads only its new token)');
  if (o.attention && !model.lastAttention) throw new Error('this model has no attention to show');
  if (rows.length === 0) throw new Error('no sources to translate');
  const maxS = model.maxSourceLength;
  rows.forEach((r, b) => {
    if (r.length === 0) throw new Error(`source ${b + 1} is empty`);
    if (maxS !== undefined && r.length > maxS) throw new Error(`source ${b + 1} has ${r.length} tokens, more than the model's max_position_embeddings ${maxS}`);
    r.forEach((id, i) => {
      if (!Number.isInteger(id) || id < 0 || id >= model.sourceVocabSize) throw new Error(`source ${b + 1}: id ${id} (item ${i + 1}) is out of range [0, ${model.sourceVocabSize})`);
    });
  });
  const B = rows.length;
  const S = Math.max(...rows.map((r) => r.length));
  const src = rows.flatMap((r) => [...r, ...new Array<number>(S - r.length).fill(model.padId)]);
  const V = model.targetVocabSize;
  const gen: Seq2SeqGenerateOptions = {
    decoderStartId: o.decoderStartId ?? model.decoderStartId,
    eosId: model.eosId,
    padId: model.padId,
    maxLength: o.maxLength,
    numBeams: nb,
    lengthPenalty: o.lengthPenalty,
    earlyStopping: o.earlyStopping,
    badIds: o.badIds ?? model.bannedIds,
    forcedEos: !!model.forcedEosAtMax,
    beamRule: o.beamRule ?? model.beamRule ?? 'hf',
  };
  return gpu.scope(async () => {
    const st = model.encode(IdBatch.from(gpu, src, [B, S], model.sourceVocabSize, 'source id'), rows.map((r) => r.length), { attention: o.attention });
    // attention rows by (source, prefix read): the prefix's list + this step's row
    const attn = new Map<string, number[][]>();
    let which = '';
    let rowsNow = B;
    let steps = 0;
    const step: Seq2SeqStep = async (ids, reorder) => {
      const n = ids.length;
      if (reorder) model.reorder!(st, reorder);
      else if (n !== rowsNow) model.reorder!(st, Array.from({ length: n }, (_, r) => Math.floor((r * B) / n)));
      rowsNow = n;
      const T = ids[0].length;
      steps++;
      return gpu.scope(async () => {
        let logits: Tensor;
        if (useCache) logits = model.decodeStep(st, IdBatch.from(gpu, ids.map((r) => r[T - 1]), [n, 1], V, 'decoder id'), T - 1);
        else logits = model.decodeNoCache!(st, IdBatch.from(gpu, ids.flat(), [n, T], V, 'decoder id'));
        const all = await logits.toArray();
        const last = useCache ? all : new Float32Array(n * V);
        if (!useCache) for (let r = 0; r < n; r++) last.set(all.subarray((r * T + T - 1) * V, (r * T + T) * V), r * V);
        if (o.attention) {
          const a = model.lastAttention!(st);
          if (!a) throw new Error('the model kept no attention for this step');
          which = a.which;
          const p = await a.probs.toArray();
          const Tn = a.probs.shape[2];
          const Sa = a.probs.shape[3];
          for (let r = 0; r < n; r++) {
            const row = new Array<number>(Sa).fill(0);
            for (let h = 0; h < a.heads; h++) {
              const off = ((r * a.heads + h) * Tn + Tn - 1) * Sa;
              for (let j = 0; j < Sa; j++) row[j] += p[off + j] / a.heads;
            }
            const b = Math.floor((r * B) / n);
            const prev = attn.get(`${b}|${ids[r].slice(0, -1).join(',')}`) ?? [];
            attn.set(`${b}|${ids[r].join(',')}`, [...prev, row]);
          }
        }
        return last;
      });
    };
    try {
      const res = nb > 1 ? await beamSearch(step, B, gen) : await greedySearch(step, B, gen);
      const out: TranslateResult = { sequences: res.sequences, scores: res.scores, steps };
      if (o.attention) {
        out.attentionWhich = which;
        out.attention = res.sequences.map((seq, b) => {
          const k = generatedTokens(seq, model.eosId).length;
          const rowsB = attn.get(`${b}|${seq.slice(0, k).join(',')}`);
          if (!rowsB || rowsB.length !== k) throw new Error(`attention of source ${b + 1} was not recorded along its output`);
          return rowsB.map((r) => r.slice(0, rows[b].length));
        });
      }
      return out;
    } finally {
      st.dispose();
    }
  });
}
