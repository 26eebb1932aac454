// BPE trainer: learns byte-level merges from a corpus (GPT-2 pre-tokenization, so merges never cross pre-token
// boundaries) until the vocabulary reaches a target size. Browser-safe. Leaves out: min-frequency schedules,
// byte-fallback/character coverage tricks, parallel counting (one thread; fine for corpora of tens of MB).
import { ByteBpe, BYTE_ORDER, GPT2_PATTERN, MAX_VOCAB, byteTokens, bytesToSymbols } from './bpe.js';
import { assertWellFormed, escapeRegExp } from './types.js';

export interface TrainOptions {
  /** target vocabulary size, including the 256 byte tokens and the special tokens */
  vocabSize: number;
  /** special tokens appended after the merges (default ['<|endoftext|>']); their text in the corpus is not learned from */
  special?: string[];
  /** stop when the most frequent pair occurs fewer times than this (default 2) */
  minFrequency?: number;
  /** name stored with the tokenizer */
  name?: string;
  /** called every ~1% of merges */
  onProgress?: (mergesDone: number, mergesTarget: number) => void;
}

export interface TrainResult {
  bpe: ByteBpe;
  /** merges learned (vocabSize − 256 − specials) */
  merges: number;
  /** true when the corpus ran out of pairs seen minFrequency times before reaching vocabSize */
  stoppedEarly: boolean;
  /** distinct pre-tokens and their total count */
  uniqueWords: number;
  totalWords: number;
}

const KEY = 1 << 21; // pair key = a·2^21 + b (ids < 2^21)

/**
 * Classic BPE training. Count pre-tokens; every pre-token is a sequence of byte ids; repeatedly merge the most
 * frequent adjacent pair into a new token. Ties go to the pair with the smaller (left id, right id). Pair counts
 * are updated only in the words that hold the merged pair, and a lazy max-heap picks the next pair.
 * If the best pair's bytes already form a token (the same string reached by another split), the pair is merged
 * into that token and no new id is spent.
 */
export function trainBpe(corpus: string, opts: TrainOptions): TrainResult {
  if (typeof corpus !== 'string') throw new Error('trainBpe: the corpus must be a string');
  assertWellFormed(corpus);
  const special = opts.special ?? ['<|endoftext|>'];
  const { vocabSize } = opts;
  const minFrequency = opts.minFrequency ?? 2;
  if (!Number.isInteger(vocabSize) || vocabSize < 256 + special.length || vocabSize > MAX_VOCAB) {
    throw new Error(`vocab size must be an integer in [${256 + special.length}, ${MAX_VOCAB}] (256 bytes + ${special.length} special), got ${vocabSize}`);
  }
  if (new Set(special).size !== special.length || special.some((s) => typeof s !== 'string' || s === '')) throw new Error('special tokens must be distinct non-empty strings');
  if (corpus.length === 0) throw new Error('the corpus is empty');
  const target = vocabSize - 256 - special.length;

  // 1. pre-token counts (special strings are cut out of the corpus first)
  const counts = new Map<string, number>();
  const pieces = special.length ? corpus.split(new RegExp(special.map(escapeRegExp).join('|'))) : [corpus];
  const re = new RegExp(GPT2_PATTERN, 'gu');
  let totalWords = 0;
  for (const piece of pieces) {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(piece))) {
      counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
      totalWords++;
    }
  }
  if (totalWords === 0) throw new Error('the corpus has no text outside special tokens');

  // 2. words as byte-id sequences
  const byteId = new Int32Array(256);
  BYTE_ORDER.forEach((b, k) => (byteId[b] = k));
  const enc = new TextEncoder();
  const words: Int32Array[] = [];
  const lens: number[] = [];
  const freq: number[] = [];
  for (const [w, c] of counts) {
    const bytes = enc.encode(w);
    if (bytes.length < 2) continue; // nothing to merge
    words.push(Int32Array.from(bytes, (b) => byteId[b]));
    lens.push(bytes.length);
    freq.push(c);
  }

  // 3. pair counts and where each pair occurs
  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const addPairs = (wi: number, sign: number, touched: Set<number> | null) => {
    const w = words[wi];
    const f = freq[wi] * sign;
    for (let i = 0; i < lens[wi] - 1; i++) {
      const k = w[i] * KEY + w[i + 1];
      pairCount.set(k, (pairCount.get(k) ?? 0) + f);
      if (sign > 0) {
        let s = where.get(k);
        if (!s) where.set(k, (s = new Set()));
        s.add(wi);
      }
      touched?.add(k);
    }
  };
  for (let wi = 0; wi < words.length; wi++) addPairs(wi, 1, null);

  const heap = new PairHeap();
  for (const [k, c] of pairCount) heap.push(c, k);

  const tokens = byteTokens();
  const byKey = new Map<string, number>(tokens.map((t, i) => [String.fromCharCode(t[0]), i]));
  const keyOf = (t: Uint8Array) => String.fromCharCode(...t);
  let merges = 0;
  let stoppedEarly = false;
  const every = Math.max(1, Math.floor(target / 100));
  while (merges < target) {
    // pop the best pair whose heap count is still current
    let best = -1;
    let bestCount = 0;
    while (heap.size > 0) {
      const [c, k] = heap.pop();
      if (pairCount.get(k) === c && c > 0) {
        best = k;
        bestCount = c;
        break;
      }
    }
    if (best < 0 || bestCount < minFrequency) {
      stoppedEarly = true;
      break;
    }
    const a = Math.floor(best / KEY);
    const b = best - a * KEY;
    const joined = new Uint8Array(tokens[a].length + tokens[b].length);
    joined.set(tokens[a]);
    joined.set(tokens[b], tokens[a].length);
    const jk = keyOf(joined);
    let id = byKey.get(jk);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(joined);
      byKey.set(jk, id);
      merges++;
      if (opts.onProgress && merges % every === 0) opts.onProgress(merges, target);
    }
    const touched = new Set<number>();
    const holders = where.get(best)!;
    where.delete(best);
    for (const wi of holders) {
      const w = words[wi];
      const n = lens[wi];
      let has = false;
      for (let i = 0; i < n - 1; i++) if (w[i] === a && w[i + 1] === b) { has = true; break; }
      if (!has) continue; // lazily kept in `where` after an earlier rewrite
      addPairs(wi, -1, touched);
      let o = 0;
      for (let i = 0; i < n; i++) {
        if (i < n - 1 && w[i] === a && w[i + 1] === b) {
          w[o++] = id;
          i++;
        } else w[o++] = w[i];
      }
      lens[wi] = o;
      addPairs(wi, 1, touched);
    }
    for (const k of touched) {
      const c = pairCount.get(k)!;
      if (c > 0) heap.push(c, k);
      else pairCount.delete(k);
    }
  }
  const specialMap: Record<string, number> = {};
  special.forEach((s, i) => (specialMap[s] = tokens.length + i));
  const bpe = new ByteBpe(tokens, specialMap, `bpe:${opts.name ?? 'trained'}`);
  return { bpe, merges, stoppedEarly, uniqueWords: counts.size, totalWords };
}

/** Max-heap on (count desc, pair key asc), with lazy deletion done by the caller. */
class PairHeap {
  private c: number[] = [];
  private k: number[] = [];
  get size(): number {
    return this.c.length;
  }
  private better(i: number, j: number): boolean {
    return this.c[i] > this.c[j] || (this.c[i] === this.c[j] && this.k[i] < this.k[j]);
  }
  private swap(i: number, j: number): void {
    const c = this.c[i];
    this.c[i] = this.c[j];
    this.c[j] = c;
    const k = this.k[i];
    this.k[i] = this.k[j];
    this.k[j] = k;
  }
  push(count: number, key: number): void {
    this.c.push(count);
    this.k.push(key);
    let i = this.c.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.better(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): [number, number] {
    const top: [number, number] = [this.c[0], this.k[0]];
    const lastC = this.c.pop()!;
    const lastK = this.k.pop()!;
    if (this.c.length > 0) {
      this.c[0] = lastC;
      this.k[0] = lastK;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.c.length && this.better(l, m)) m = l;
        if (r < this.c.length && this.better(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

/** Human-readable token (GPT-2 byte symbols), for listings. */
export function tokenSymbols(bpe: ByteBpe, id: number): string {
  return bytesToSymbols(bpe.tokenBytes(id));
}
