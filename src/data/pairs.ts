// Sequence-pair training data for the encoder–decoders (rnn-seq2seq, marian), browser-safe: ONE TSV parser
// (source<TAB>target, one-line errors naming file:line), ONE padded batch type, ONE seeded shuffle (the token loader's
// shuffledOrder), one train/validation split. Each model says only how a line's texts become ids (its tokenizer, the
// end token it appends, its start and pad ids). Leaves out: file I/O, bucketing by length, dynamic batch sizes.
import { shuffledOrder } from './index.js';

/** Label of a padded target position: ignored by the loss (PyTorch's and Hugging Face's ignore_index). */
export const IGNORE_LABEL = -100;

/** One TSV line: its number (1-based) and its two texts. */
export interface TsvPair {
  line: number;
  src: string;
  tgt: string;
}

/** Parses `source<TAB>target` lines (blank lines skipped, \r\n accepted); one-line errors naming file:line. */
export function parseTsvPairs(text: string, where: string): TsvPair[] {
  const out: TsvPair[] = [];
  text.split(/\r?\n/).forEach((l, i) => {
    if (l.trim() === '') return;
    const tab = l.indexOf('\t');
    if (tab < 0) throw new Error(`${where}:${i + 1}: no tab: each line must be source<TAB>target`);
    const src = l.slice(0, tab);
    const tgt = l.slice(tab + 1);
    if (tgt.includes('\t')) throw new Error(`${where}:${i + 1}: more than one tab: each line must be source<TAB>target`);
    if (src.trim() === '') throw new Error(`${where}:${i + 1}: empty source`);
    if (tgt.trim() === '') throw new Error(`${where}:${i + 1}: empty target`);
    out.push({ line: i + 1, src, tgt });
  });
  if (!out.length) throw new Error(`${where}: no source<TAB>target pairs`);
  return out;
}

/** A tokenized pair: the source ids as the encoder reads them, the target ids as the labels (ending with the end token). */
export interface IdPair {
  src: readonly number[];
  tgt: readonly number[];
}

/**
 * A teacher-forced batch of B pairs, padded to the longest source S and the longest target T (row-major):
 * decoderInput = [start] + target[:-1], labels = target (the decoder reads decoderInput[t] and predicts labels[t]).
 */
export interface Seq2SeqBatch {
  B: number;
  S: number;
  T: number;
  /** [B·S] source ids, pad after each source */
  src: Int32Array;
  /** each source's length */
  srcLens: number[];
  /** [B·S] 1 on a source token, 0 on padding */
  srcMask: Uint8Array;
  /** [B·T] the start id, then the target shifted right; pad after */
  decoderInput: Int32Array;
  /** [B·T] the target ids; IGNORE_LABEL (−100) after */
  labels: Int32Array;
}

/** The ids a batch needs besides the pairs' own. */
export interface PairIds {
  padId: number;
  /** the decoder's first input (rnn-seq2seq: its start token; Marian: decoder_start_token_id = pad) */
  startId: number;
}

/** Pads tokenized pairs into one batch. */
export function padPairs(rows: readonly IdPair[], ids: PairIds): Seq2SeqBatch {
  const B = rows.length;
  if (B === 0) throw new Error('padPairs: no pairs');
  for (const [b, r] of rows.entries()) if (!r.src.length || !r.tgt.length) throw new Error(`padPairs: pair ${b} has an empty ${r.src.length ? 'target' : 'source'}`);
  const S = Math.max(...rows.map((r) => r.src.length));
  const T = Math.max(...rows.map((r) => r.tgt.length));
  const src = new Int32Array(B * S).fill(ids.padId);
  const srcMask = new Uint8Array(B * S);
  const decoderInput = new Int32Array(B * T).fill(ids.padId);
  const labels = new Int32Array(B * T).fill(IGNORE_LABEL);
  rows.forEach((r, b) => {
    src.set(r.src, b * S);
    srcMask.fill(1, b * S, b * S + r.src.length);
    labels.set(r.tgt, b * T);
    decoderInput[b * T] = ids.startId;
    decoderInput.set(r.tgt.slice(0, -1), b * T + 1);
  });
  return { B, S, T, src, srcLens: rows.map((r) => r.src.length), srcMask, decoderInput, labels };
}

/** Batches of one split (the shape of model.ts's BatchSource<Seq2SeqBatch>). */
export interface PairBatches {
  readonly numBatches: number;
  /** batch i of `epoch`: deterministic (resume replays it exactly); with shuffle, the order is shuffledOrder(n, seed, epoch) */
  batch(i: number, epoch: number): Seq2SeqBatch;
  /** tokens a batch counts for throughput: source tokens + target tokens */
  tokens(b: Seq2SeqBatch): number;
}

/** Full batches of `batch` pairs (drop_last), in file order or shuffled per epoch from the run seed. */
export function pairBatches(pairs: readonly IdPair[], ids: PairIds, batch: number, shuffle: boolean, seed: number): PairBatches {
  return {
    numBatches: Math.floor(pairs.length / batch),
    batch(i, epoch) {
      const order = shuffle ? shuffledOrder(pairs.length, seed, epoch) : null;
      return padPairs(Array.from({ length: batch }, (_, k) => pairs[order ? order[i * batch + k] : i * batch + k]), ids);
    },
    tokens: (b) => b.srcLens.reduce((a, x) => a + x, 0) + b.labels.reduce((a, x) => a + (x !== IGNORE_LABEL ? 1 : 0), 0),
  };
}

export interface PairDataOptions {
  batch: number;
  shuffle: boolean;
  seed: number;
  /** the last ⌊n·valFraction⌋ pairs are held out (in file order) */
  valFraction: number;
}

/**
 * A TSV file of pairs → training and validation batches. `toIds` tokenizes one line (and checks it against the model:
 * throw with `${where}:${p.line}: …`). The validation split is batched in file order, and only when it fills one batch
 * (else `notes` says why there is no validation loss).
 */
export function pairData(text: string, where: string, toIds: (p: TsvPair) => IdPair, ids: PairIds, o: PairDataOptions): { train: PairBatches; val: PairBatches | null; summary: string; notes: string[] } {
  const pairs = parseTsvPairs(text, where).map(toIds);
  const nVal = Math.floor(pairs.length * o.valFraction);
  const train = pairs.slice(0, pairs.length - nVal);
  const val = pairs.slice(pairs.length - nVal);
  if (train.length < o.batch) throw new Error(`${where}: ${train.length} training pairs are fewer than one batch of ${o.batch}; lower --batch`);
  const notes: string[] = [];
  const valSrc = val.length >= o.batch ? pairBatches(val, ids, o.batch, false, o.seed) : null;
  if (!valSrc && o.valFraction > 0) notes.push(`wgpt: no validation loss: ${val.length} held-out pairs are fewer than one batch of ${o.batch}`);
  return {
    train: pairBatches(train, ids, o.batch, o.shuffle, o.seed),
    val: valSrc,
    summary: `${pairs.length} pairs from ${where}: ${train.length} train, ${val.length} validation; ${Math.floor(train.length / o.batch)} batches of ${o.batch} per epoch`,
    notes,
  };
}
