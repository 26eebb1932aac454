// Masked-language-model data, browser-safe: tokenized lines → rows ([CLS] … [SEP], packed or one line per row) →
// padded batches with attention masks → BERT's 15% / 80-10-10 masking, re-drawn every epoch from the run seed and the
// row's index (so a resumed run sees the same masks). Leaves out: whole-word masking, sentence-pair (NSP) sampling.
import { mulberry32, shuffledOrder } from './index.js';

export interface SpecialIds {
  cls: number;
  sep: number;
  pad: number;
  mask: number;
}

export interface RowOptions {
  /** T: longest row in tokens, [CLS] and [SEP] included */
  maxLength: number;
  /** 'pack': consecutive lines share a row ([CLS] a [SEP] b [SEP] …) while they fit; 'line': one line per row */
  mode: 'pack' | 'line';
}

/**
 * Rows of ids from tokenized lines (no special tokens in them). A line longer than maxLength − 2 is cut into pieces of
 * maxLength − 2 tokens, each its own row. Empty lines are dropped. Token types are 0 everywhere (no sentence pairs).
 */
export function buildRows(lines: ArrayLike<number>[], sp: SpecialIds, o: RowOptions): Int32Array[] {
  const T = o.maxLength;
  if (!Number.isInteger(T) || T < 3) throw new Error(`max_length must be an integer >= 3 ([CLS] token [SEP]), got ${T}`);
  if (o.mode !== 'pack' && o.mode !== 'line') throw new Error(`row mode must be 'pack' or 'line', got ${JSON.stringify(o.mode)}`);
  const pieces: ArrayLike<number>[] = [];
  for (const l of lines) {
    for (let s = 0; s < l.length; s += T - 2) pieces.push(Array.prototype.slice.call(l, s, Math.min(l.length, s + T - 2)));
  }
  const rows: Int32Array[] = [];
  let cur: number[] = [];
  const flush = () => {
    if (cur.length > 1) rows.push(Int32Array.from(cur));
    cur = [];
  };
  for (const p of pieces) {
    if (o.mode === 'line' || cur.length + p.length + 1 > T) flush();
    if (cur.length === 0) cur.push(sp.cls);
    for (let i = 0; i < p.length; i++) cur.push(p[i]);
    cur.push(sp.sep);
  }
  flush();
  return rows;
}

export interface MaskOptions {
  /** ids that are never chosen and never drawn as the random replacement ([CLS], [SEP], [PAD], [MASK], [UNK] …) */
  specialIds: Iterable<number>;
  vocabSize: number;
  maskId: number;
  /** share of (non-special, non-padding) tokens chosen (BERT: 0.15) */
  prob?: number;
}

/** BERT's masking of one row, from its own seed. Returns the model input and the labels (−100 where not chosen). */
export interface MaskedRow {
  input: Int32Array;
  labels: Int32Array;
}

/**
 * For each eligible token (not special, not padding): three draws u1, u2, u3 from mulberry32(seed). Chosen when u1 < prob
 * (HF's Bernoulli(0.15)); a chosen token becomes [MASK] when u2 < 0.8, a random non-special id (⌊u3·n⌋-th of them) when
 * u2 < 0.9, else stays. If no token of a row with eligible tokens is chosen, one is (picked with one more draw), so every
 * row carries loss. The fixed number of draws per token makes a row's mask depend only on (seed, row).
 */
export function maskRow(ids: ArrayLike<number>, seed: number, o: MaskOptions, pool: Int32Array = randomPool(o)): MaskedRow {
  const prob = o.prob ?? 0.15;
  if (!(prob > 0 && prob <= 1)) throw new Error(`mask probability must be in (0, 1], got ${prob}`);
  const special = new Set(o.specialIds);
  const rand = mulberry32(seed);
  const n = ids.length;
  const input = Int32Array.from(ids);
  const labels = new Int32Array(n).fill(-100);
  const eligible: number[] = [];
  const draws: [number, number, number][] = [];
  let chosen = 0;
  for (let t = 0; t < n; t++) {
    if (special.has(ids[t])) continue;
    const d: [number, number, number] = [rand(), rand(), rand()];
    eligible.push(t);
    draws.push(d);
    if (d[0] < prob) chosen++;
  }
  let force = -1;
  if (chosen === 0 && eligible.length > 0) force = Math.floor(rand() * eligible.length);
  eligible.forEach((t, k) => {
    const [u1, u2, u3] = draws[k];
    if (!(u1 < prob || k === force)) return;
    labels[t] = ids[t];
    if (u2 < 0.8) input[t] = o.maskId;
    else if (u2 < 0.9) input[t] = pool[Math.min(pool.length - 1, Math.floor(u3 * pool.length))];
  });
  return { input, labels };
}

/** The ids a random replacement is drawn from: every id that is not special. */
export function randomPool(o: MaskOptions): Int32Array {
  const special = new Set(o.specialIds);
  const out: number[] = [];
  for (let i = 0; i < o.vocabSize; i++) if (!special.has(i)) out.push(i);
  if (!out.length) throw new Error('the vocabulary has no non-special token to draw random replacements from');
  return Int32Array.from(out);
}

/** One MLM batch, row-major [B, T]. */
export interface MlmBatch {
  B: number;
  T: number;
  /** model input: masked ids, [PAD] after each row's end */
  input: Int32Array;
  /** 1 on real tokens, 0 on padding */
  attentionMask: Int32Array;
  /** segment ids (0: one segment per row) */
  tokenTypes: Int32Array;
  /** target id at chosen positions, −100 elsewhere (padding included) */
  labels: Int32Array;
  /** the unmasked ids (for showing what was hidden) */
  ids: Int32Array;
}

/** Seed of row k's mask in epoch e of a run: distinct per (seed, epoch, row), independent of batch order. */
export function rowMaskSeed(seed: number, epoch: number, row: number): number {
  let h = (Math.imul((seed >>> 0) ^ 0x27d4eb2f, 0x9e3779b1) + Math.imul(epoch + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (row >>> 0), 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return Math.imul(h, 0x7feb352d) >>> 0;
}

export interface MlmLoaderOptions extends MaskOptions {
  batchSize: number;
  seed: number;
  /** new row order every epoch (default true) */
  shuffle?: boolean;
  /** 'batch': pad to the longest row in the batch (default); 'max': pad to maxLength */
  padTo?: 'batch' | 'max';
  maxLength?: number;
  pad: number;
}

/**
 * Batches of rows with masks; batch(i, epoch) is a pure function of (i, epoch, seed) so a run resumes exactly. The last
 * short batch is kept (MLM has no fixed-T requirement).
 */
export class MlmLoader {
  readonly numBatches: number;
  private pool: Int32Array;
  private order: { epoch: number; perm: Uint32Array | null } | null = null;

  constructor(
    readonly rows: Int32Array[],
    readonly o: MlmLoaderOptions,
  ) {
    if (!Number.isInteger(o.batchSize) || o.batchSize <= 0) throw new Error(`batch size must be a positive integer, got ${o.batchSize}`);
    if (!rows.length) throw new Error('no rows to batch (is the text empty?)');
    if (o.padTo === 'max' && !(o.maxLength! >= Math.max(...rows.map((r) => r.length)))) throw new Error('padTo "max" needs maxLength >= the longest row');
    this.numBatches = Math.ceil(rows.length / o.batchSize);
    this.pool = randomPool(o);
  }

  private perm(epoch: number): Uint32Array | null {
    if (this.o.shuffle === false) return null;
    if (this.order?.epoch !== epoch) this.order = { epoch, perm: shuffledOrder(this.rows.length, this.o.seed, epoch) };
    return this.order.perm;
  }

  batch(i: number, epoch = 0): MlmBatch {
    if (!Number.isInteger(i) || i < 0 || i >= this.numBatches) throw new Error(`batch ${i} is out of range [0, ${this.numBatches})`);
    const perm = this.perm(epoch);
    const first = i * this.o.batchSize;
    const B = Math.min(this.o.batchSize, this.rows.length - first);
    const ks: number[] = [];
    for (let r = 0; r < B; r++) ks.push(perm ? perm[first + r] : first + r);
    const T = this.o.padTo === 'max' ? this.o.maxLength! : Math.max(...ks.map((k) => this.rows[k].length));
    const b: MlmBatch = {
      B,
      T,
      input: new Int32Array(B * T).fill(this.o.pad),
      attentionMask: new Int32Array(B * T),
      tokenTypes: new Int32Array(B * T),
      labels: new Int32Array(B * T).fill(-100),
      ids: new Int32Array(B * T).fill(this.o.pad),
    };
    ks.forEach((k, r) => {
      const row = this.rows[k];
      const m = maskRow(row, rowMaskSeed(this.o.seed, epoch, k), this.o, this.pool);
      b.input.set(m.input, r * T);
      b.labels.set(m.labels, r * T);
      b.ids.set(row, r * T);
      b.attentionMask.fill(1, r * T, r * T + row.length);
    });
    return b;
  }

  *epoch(epoch = 0): Generator<MlmBatch> {
    for (let i = 0; i < this.numBatches; i++) yield this.batch(i, epoch);
  }
}

/**
 * The most-frequent-token baseline: accuracy of always predicting the training rows' most frequent non-special token at
 * the chosen positions of `batches`. Returns the token and the accuracy.
 */
export function mostFrequentBaseline(trainRows: Int32Array[], batches: Iterable<MlmBatch>, specialIds: Iterable<number>): { token: number; accuracy: number; n: number } {
  const special = new Set(specialIds);
  const counts = new Map<number, number>();
  for (const r of trainRows) for (const id of r) if (!special.has(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
  let token = -1;
  let best = -1;
  for (const [id, c] of counts) if (c > best || (c === best && id < token)) [token, best] = [id, c];
  let hit = 0;
  let n = 0;
  for (const b of batches)
    for (const l of b.labels)
      if (l !== -100) {
        n++;
        if (l === token) hit++;
      }
  return { token, accuracy: n ? hit / n : NaN, n };
}
