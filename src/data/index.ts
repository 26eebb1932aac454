// The dataset pipeline after tokenization, browser-safe: sliding windows (max_length, stride) → (x, y = x shifted
// by one) exactly like the course's GPTDatasetV1, a batch loader with seeded shuffle and drop_last and random
// access by (epoch, batch), and the train/val split. Leaves out: file I/O (./node.ts), multi-worker prefetching.
export { decodeUtf8Strict, invalidUtf8At, Utf8Stream } from '../util/utf8.js';
export { HEADER_BYTES, MAGIC_U16, MAGIC_U32, makeHeader, parseHeader, tokensFromBytes, tokensToBytes, widthFor, type TokenHeader } from './tokenfile.js';

export type TokenIds = Int32Array | Uint16Array | Uint32Array;

/**
 * Number of windows = len(range(0, n − maxLength, stride)) as in GPTDatasetV1:
 * window k starts at k·stride and holds x = ids[s, s+T), y = ids[s+1, s+T+1).
 */
export function windowCount(n: number, maxLength: number, stride: number): number {
  return n > maxLength ? Math.ceil((n - maxLength) / stride) : 0;
}

/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): the loader's PRNG. Returns floats in [0, 1) from a 32-bit state
 * advanced by 0x6D2B79F5 per call. Small, fast, and fully specified here so an order can be reproduced anywhere.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The PRNG seed for an epoch's order: seed and epoch mixed by two odd multipliers (so epochs differ). */
export function epochSeed(seed: number, epoch: number): number {
  return (Math.imul((seed >>> 0) ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(epoch + 1, 0x85ebca6b)) >>> 0;
}

/** Fisher–Yates permutation of 0…n−1: for i = n−1 … 1, swap i with j = ⌊rand·(i+1)⌋, rand = mulberry32(epochSeed(seed, epoch)). */
export function shuffledOrder(n: number, seed: number, epoch: number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  const rand = mulberry32(epochSeed(seed, epoch));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

export interface LoaderOptions {
  /** T: tokens per window (context length) */
  maxLength: number;
  /** distance between window starts (default maxLength: no overlap) */
  stride?: number;
  /** B: windows per batch */
  batchSize: number;
  /** new order of windows every epoch (default false) */
  shuffle?: boolean;
  /** seed of the shuffle (default 123) */
  seed?: number;
  /** drop the last batch when it has fewer than B windows (default true, like the course's loader) */
  dropLast?: boolean;
}

export interface Batch {
  /** (B, T) row-major token ids */
  x: Int32Array;
  /** (B, T) targets: x shifted by one token */
  y: Int32Array;
  B: number;
  T: number;
}

function checkPositiveInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`${what} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Batches of sliding windows with random access: batch(i, epoch) is a pure function of (i, epoch), so training can
 * resume at any (epoch, i) exactly. With shuffle off, batch i holds windows i·B … i·B+B−1. With shuffle on, epoch e
 * visits the windows in shuffledOrder(numWindows, seed, e).
 */
export class BatchLoader implements Iterable<Batch> {
  readonly maxLength: number;
  readonly stride: number;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly numWindows: number;
  readonly numBatches: number;
  private order: { epoch: number; perm: Uint32Array } | null = null;

  constructor(
    readonly ids: TokenIds,
    opts: LoaderOptions,
  ) {
    if (!(ids instanceof Int32Array || ids instanceof Uint16Array || ids instanceof Uint32Array)) throw new Error('BatchLoader: ids must be an Int32Array, Uint16Array or Uint32Array');
    this.maxLength = checkPositiveInt(opts.maxLength, 'max_length');
    this.stride = checkPositiveInt(opts.stride ?? opts.maxLength, 'stride');
    this.batchSize = checkPositiveInt(opts.batchSize, 'batch size');
    this.shuffle = opts.shuffle ?? false;
    this.seed = opts.seed ?? 123;
    if (!Number.isInteger(this.seed)) throw new Error(`seed must be an integer, got ${JSON.stringify(opts.seed)}`);
    this.dropLast = opts.dropLast ?? true;
    if (ids.length < this.maxLength + 1) throw new Error(`the token sequence has ${ids.length} tokens; a window of max_length ${this.maxLength} needs at least ${this.maxLength + 1} (input + next-token target)`);
    if (ids instanceof Int32Array) {
      for (let i = 0; i < ids.length; i++) if (ids[i] < 0) throw new Error(`negative token id ${ids[i]} at position ${i}`);
    }
    this.numWindows = windowCount(ids.length, this.maxLength, this.stride);
    this.numBatches = this.dropLast ? Math.floor(this.numWindows / this.batchSize) : Math.ceil(this.numWindows / this.batchSize);
  }

  /** Window k (GPTDatasetV1[k]): x = ids[k·stride, +T), y = ids[k·stride+1, +T). */
  window(k: number): { x: Int32Array; y: Int32Array } {
    if (!Number.isInteger(k) || k < 0 || k >= this.numWindows) throw new Error(`window ${k} is out of range [0, ${this.numWindows})`);
    const s = k * this.stride;
    const T = this.maxLength;
    return { x: Int32Array.from(this.ids.subarray(s, s + T)), y: Int32Array.from(this.ids.subarray(s + 1, s + T + 1)) };
  }

  /** The window order of an epoch (identity when shuffle is off). */
  epochOrder(epoch: number): Uint32Array | null {
    if (!this.shuffle) return null;
    if (this.order?.epoch !== epoch) this.order = { epoch, perm: shuffledOrder(this.numWindows, this.seed, epoch) };
    return this.order.perm;
  }

  /** Batch i of epoch `epoch` (0-based); the last one may be short when dropLast is off. */
  batch(i: number, epoch = 0): Batch {
    if (!Number.isInteger(i) || i < 0 || i >= this.numBatches) throw new Error(`batch ${i} is out of range [0, ${this.numBatches})`);
    if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`epoch must be a non-negative integer, got ${epoch}`);
    const T = this.maxLength;
    const first = i * this.batchSize;
    const B = Math.min(this.batchSize, this.numWindows - first);
    const perm = this.epochOrder(epoch);
    const x = new Int32Array(B * T);
    const y = new Int32Array(B * T);
    for (let r = 0; r < B; r++) {
      const k = perm ? perm[first + r] : first + r;
      const s = k * this.stride;
      x.set(this.ids.subarray(s, s + T), r * T);
      y.set(this.ids.subarray(s + 1, s + T + 1), r * T);
    }
    return { x, y, B, T };
  }

  /** All batches of one epoch, in order. */
  *epoch(epoch = 0): Generator<Batch> {
    for (let i = 0; i < this.numBatches; i++) yield this.batch(i, epoch);
  }

  [Symbol.iterator](): Iterator<Batch> {
    return this.epoch(0);
  }
}

function checkFraction(valFraction: number): void {
  if (typeof valFraction !== 'number' || !(valFraction >= 0 && valFraction < 1)) throw new Error(`validation fraction must be in [0, 1), got ${valFraction}`);
}

/**
 * Train/val split of token ids: the first ⌊(1 − valFraction)·n⌋ tokens train, the rest validate (the course splits
 * its text 90/10 the same way: train_data = text[:int(0.90·len(text))]). Views, no copies.
 */
export function splitTrainVal<A extends TokenIds>(ids: A, valFraction: number): { train: A; val: A } {
  checkFraction(valFraction);
  const cut = Math.floor((1 - valFraction) * ids.length);
  return { train: ids.subarray(0, cut) as A, val: ids.subarray(cut) as A };
}

/** The course's split on the text itself (by code points, like Python's len and slicing), before tokenizing. */
export function splitTextTrainVal(text: string, valFraction: number): { train: string; val: string } {
  checkFraction(valFraction);
  let cps = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
    cps++;
  }
  const cutCps = Math.floor((1 - valFraction) * cps);
  let i = 0;
  for (let k = 0; k < cutCps; k++) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
  }
  return { train: text.slice(0, i), val: text.slice(i) };
}
