// Our byte-level BPE (GPT-2 style): GPT-2 pre-tokenization regex, bytes → ids, then merges by rank
// (the adjacent pair whose concatenation is the lowest-id token merges first, leftmost on ties — tiktoken's rule),
// with a per-word cache, memoised pair lookups and a heap for long words; decoder; the wgpt-bpe file format.
// Browser-safe.
// Leaves out: other pre-tokenizers (cl100k/o200k patterns), dropout/sampling BPE, normalisation.
//
// ── wgpt-bpe file format (JSON, UTF-8) ──────────────────────────────────────────────────────────────────
//   {"format": "wgpt-bpe", "version": 1, "pattern": "gpt2",
//    "special": {"<|endoftext|>": 50256},
//    "merges": ["Ġ t", "Ġ a", "h e", ...]}
//   • ids 0–255 are the 256 single bytes, in GPT-2's bytes_to_unicode order (id k = byte BYTE_ORDER[k]:
//     '!'…'~', '¡'…'¬', '®'…'ÿ', then the remaining 68 bytes ascending), exactly as GPT-2's encoder.json.
//   • merge i (0-based) creates id 256+i. It is written like a line of GPT-2's merges.txt: the two tokens it joins,
//     each spelled with the byte→unicode map (space = 'Ġ', newline = 'Ċ', …), separated by one space. Both must be
//     tokens that exist before it; the joined bytes must not already be a token.
//   • "special": string → id; the ids are exactly 256+M … 256+M+S−1 (M merges, S specials), in any order.
//     Special strings are only produced when encoding with allowedSpecial; otherwise they are an error in the text.
//   • "pattern": the pre-tokenizer; only "gpt2" in version 1 (optional, default "gpt2").
//   Optional "name" (string) is shown in the tokenizer's name. Other keys are rejected (typos should not pass silently).
//   vocabSize = 256 + M + S. GPT-2 itself is this file with its 50,000 merges and {"<|endoftext|>": 50256}.
import { type EncodeOptions, type Tokenizer, allowedSpecialSet, assertWellFormed, checkIds, escapeRegExp } from './types.js';
import { MinHeap } from './merge.js';

/** GPT-2's pre-tokenization pattern (same string as tiktoken's gpt2 pat_str), compiled with the `u` flag. */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/** Largest vocabulary our encoder accepts (pair-heap keys pack rank and position into one double). */
export const MAX_VOCAB = 1 << 21;

/** BYTE_ORDER[k] = the byte whose token id is k (GPT-2's bytes_to_unicode order). */
export const BYTE_ORDER: Uint8Array = (() => {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const printable = new Set(bs);
  for (let b = 0; b < 256; b++) if (!printable.has(b)) bs.push(b);
  return Uint8Array.from(bs);
})();

/** BYTE_CHAR[b] = the printable character GPT-2 uses for byte b (bytes_to_unicode). */
export const BYTE_CHAR: string[] = (() => {
  const out = new Array<string>(256);
  let n = 0;
  for (let k = 0; k < 256; k++) {
    const b = BYTE_ORDER[k];
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    out[b] = String.fromCharCode(printable ? b : 256 + n++);
  }
  return out;
})();

const CHAR_BYTE = new Map<string, number>(BYTE_CHAR.map((c, b) => [c, b]));

/** Spells bytes with GPT-2's byte→unicode map ("Ġthe"). */
export function bytesToSymbols(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += BYTE_CHAR[b];
  return s;
}

/** Inverse of bytesToSymbols; null when a character is not one of the 256 byte symbols. */
export function symbolsToBytes(s: string): Uint8Array | null {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const b = CHAR_BYTE.get(s[i]);
    if (b === undefined) return null;
    out[i] = b;
  }
  return out;
}

/** Bytes as a JS string of char codes 0–255: a cheap Map key. */
function byteKey(bytes: Uint8Array, start = 0, end = bytes.length): string {
  if (end - start <= 4096) return Reflect.apply(String.fromCharCode, null, bytes.subarray(start, end)) as string;
  let s = '';
  for (let i = start; i < end; i += 4096) s += Reflect.apply(String.fromCharCode, null, bytes.subarray(i, Math.min(end, i + 4096))) as string;
  return s;
}

const BYTE_ID = (() => {
  const t = new Int32Array(256);
  BYTE_ORDER.forEach((b, k) => (t[b] = k));
  return t;
})();

/** Open-addressing hash table (a, b) → merged id or -1 (no such token), on typed arrays: no per-lookup allocation. */
class PairTable {
  private ka: Int32Array;
  private kb: Int32Array;
  private val: Int32Array;
  private mask: number;
  size = 0;
  constructor(expected: number) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.ka = new Int32Array(cap).fill(-1);
    this.kb = new Int32Array(cap);
    this.val = new Int32Array(cap);
    this.mask = cap - 1;
  }
  private slot(a: number, b: number): number {
    return (Math.imul(a ^ Math.imul(b, 0x27d4eb2d), 0x9e3779b1) >>> 7) & this.mask;
  }
  set(a: number, b: number, v: number): void {
    if (2 * (this.size + 1) > this.ka.length) this.grow();
    let i = this.slot(a, b);
    for (;;) {
      const ka = this.ka[i];
      if (ka === -1) {
        this.ka[i] = a;
        this.kb[i] = b;
        this.val[i] = v;
        this.size++;
        return;
      }
      if (ka === a && this.kb[i] === b) {
        this.val[i] = v;
        return;
      }
      i = (i + 1) & this.mask;
    }
  }
  private grow(): void {
    const { ka, kb, val } = this;
    const cap = ka.length * 2;
    this.ka = new Int32Array(cap).fill(-1);
    this.kb = new Int32Array(cap);
    this.val = new Int32Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < ka.length; i++) if (ka[i] !== -1) this.set(ka[i], kb[i], val[i]);
  }
  /** the stored value, or MISSING */
  get(a: number, b: number): number {
    let i = this.slot(a, b);
    for (;;) {
      const ka = this.ka[i];
      if (ka === -1) return MISSING;
      if (ka === a && this.kb[i] === b) return this.val[i];
      i = (i + 1) & this.mask;
    }
  }
}

const CACHE_LIMIT = 200_000;
/** PairTable.get for a pair not looked up yet */
const MISSING = -2;
/** the pair memo is dropped when it holds this many pairs */
const PAIR_LIMIT = 1 << 22;
/** Non-streaming, non-fatal (bad sequences → U+FFFD), keeps a leading U+FEFF. */
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });
/** Words longer than this (in bytes) merge with the heap; shorter ones with a linear scan (cheaper when small). */
const HEAP_MIN = 48;

export class ByteBpe implements Tokenizer {
  readonly name: string;
  readonly vocabSize: number;
  readonly eotId?: number;
  readonly specialTokens: Record<string, number>;
  /** id → bytes for ids < tokens.length (specials excluded) */
  private readonly tokens: Uint8Array[];
  /** memo of pair(a, b) */
  private pairs = new PairTable(1 << 16);
  /** id → bytes as a latin1 string; bytesToId is its inverse */
  private readonly keys: string[];
  private readonly bytesToId: Map<string, number>;
  private readonly cache = new Map<string, number | number[]>();
  private readonly pattern = new RegExp(GPT2_PATTERN, 'gu');
  private readonly specialBytes = new Map<number, Uint8Array>();
  private specialRe = new Map<string, RegExp>();
  private scratchBytes = new Uint8Array(256);
  private scratchIds = new Int32Array(256);

  /**
   * `tokens[id]` = bytes of token id. tokens[0..255] must be the single bytes in BYTE_ORDER; every token must be
   * unique. `special` ids must be exactly tokens.length … tokens.length+S−1.
   */
  constructor(tokens: Uint8Array[], special: Record<string, number> = {}, name = 'bpe') {
    if (!Array.isArray(tokens) || tokens.length < 256) throw new Error(`BPE: need at least the 256 byte tokens, got ${tokens?.length}`);
    const S = Object.keys(special).length;
    if (tokens.length + S > MAX_VOCAB) throw new Error(`BPE: vocabulary of ${tokens.length + S} tokens is larger than the supported ${MAX_VOCAB}`);
    for (let k = 0; k < 256; k++) {
      const t = tokens[k];
      if (!(t instanceof Uint8Array) || t.length !== 1 || t[0] !== BYTE_ORDER[k]) throw new Error(`BPE: token ${k} must be the single byte 0x${BYTE_ORDER[k].toString(16)} (GPT-2 byte order)`);
    }
    this.tokens = tokens;
    const byKey = new Map<string, number>();
    const keys = new Array<string>(tokens.length);
    for (let id = 0; id < tokens.length; id++) {
      const t = tokens[id];
      if (!(t instanceof Uint8Array) || t.length === 0) throw new Error(`BPE: token ${id} is empty or not bytes`);
      const key = byteKey(t);
      const prev = byKey.get(key);
      if (prev !== undefined) throw new Error(`BPE: tokens ${prev} and ${id} have the same bytes ${JSON.stringify(bytesToSymbols(t))}`);
      byKey.set(key, id);
      keys[id] = key;
    }
    this.keys = keys;
    this.bytesToId = byKey;
    const seenIds = new Set<number>();
    const enc = new TextEncoder();
    for (const [s, id] of Object.entries(special)) {
      if (s === '') throw new Error('BPE: a special token cannot be the empty string');
      assertWellFormed(s);
      if (!Number.isInteger(id) || id < tokens.length || id >= tokens.length + S || seenIds.has(id)) {
        throw new Error(`BPE: special token ${JSON.stringify(s)} has id ${JSON.stringify(id)}; special ids must be distinct and fill ${tokens.length}…${tokens.length + S - 1}`);
      }
      seenIds.add(id);
      this.specialBytes.set(id, enc.encode(s));
    }
    this.specialTokens = { ...special };
    this.vocabSize = tokens.length + S;
    if ('<|endoftext|>' in special) this.eotId = special['<|endoftext|>'];
    this.name = name;
  }

  /** Empties the per-word cache and the pair memo (benchmarks measure cold encoding with it). */
  clearCache(): void {
    this.cache.clear();
    this.pairs = new PairTable(1 << 16);
  }

  /** number of merges (vocabSize − 256 − specials) */
  get numMerges(): number {
    return this.tokens.length - 256;
  }

  /** The bytes of a non-special token id. */
  tokenBytes(id: number): Uint8Array {
    if (!Number.isInteger(id) || id < 0 || id >= this.tokens.length) throw new Error(`BPE: ${id} is not a (non-special) token id`);
    return this.tokens[id];
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') throw new Error(`encode: expected a string, got ${typeof text}`);
    assertWellFormed(text);
    const allowed = allowedSpecialSet(text, this.specialTokens, opts.allowedSpecial, this.name);
    const out: number[] = [];
    if (allowed.size === 0) {
      this.encodeOrdinaryInto(text, out);
      return out;
    }
    const key = [...allowed].sort().join('\u0000');
    let re = this.specialRe.get(key);
    if (!re) {
      re = new RegExp([...allowed].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
      this.specialRe.set(key, re);
    }
    re.lastIndex = 0;
    let start = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text))) {
      if (m.index > start) this.encodeOrdinaryInto(text.slice(start, m.index), out);
      out.push(this.specialTokens[m[0]]);
      start = m.index + m[0].length;
    }
    if (start < text.length) this.encodeOrdinaryInto(start === 0 ? text : text.slice(start), out);
    return out;
  }

  /** Encodes well-formed text with no special-token handling (special strings are plain text here). */
  private encodeOrdinaryInto(text: string, out: number[]): void {
    const re = this.pattern;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text))) {
      const word = m[0];
      let r = this.cache.get(word);
      if (r === undefined) {
        r = this.encodeWord(word);
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(word, r);
      }
      if (typeof r === 'number') out.push(r);
      else for (let i = 0; i < r.length; i++) out.push(r[i]);
    }
  }

  /** UTF-8 bytes of one pre-token → byte ids → merges. */
  private encodeWord(word: string): number | number[] {
    let n = 0;
    if (this.scratchBytes.length < word.length * 3) this.scratchBytes = new Uint8Array(word.length * 3);
    const bytes = this.scratchBytes;
    for (let i = 0; i < word.length; i++) {
      let c = word.charCodeAt(i);
      if (c < 0x80) bytes[n++] = c;
      else if (c < 0x800) {
        bytes[n++] = 0xc0 | (c >> 6);
        bytes[n++] = 0x80 | (c & 63);
      } else if (c >= 0xd800 && c <= 0xdbff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (word.charCodeAt(++i) - 0xdc00);
        bytes[n++] = 0xf0 | (c >> 18);
        bytes[n++] = 0x80 | ((c >> 12) & 63);
        bytes[n++] = 0x80 | ((c >> 6) & 63);
        bytes[n++] = 0x80 | (c & 63);
      } else {
        bytes[n++] = 0xe0 | (c >> 12);
        bytes[n++] = 0x80 | ((c >> 6) & 63);
        bytes[n++] = 0x80 | (c & 63);
      }
    }
    if (n === 1) return BYTE_ID[bytes[0]];
    // tiktoken's shortcut: a pre-token that is itself a token is that token
    const whole = this.bytesToId.get(byteKey(bytes, 0, n));
    if (whole !== undefined) return whole;
    return n < HEAP_MIN ? this.mergeLinear(bytes, n) : this.mergeHeap(bytes, n);
  }

  /**
   * The merge rule: adjacent tokens a, b merge into the token whose bytes are bytes(a) + bytes(b), if there is one;
   * its id is the pair's rank (lower merges first). -1: no such token. Memoised per pair.
   */
  private pair(a: number, b: number): number {
    let v = this.pairs.get(a, b);
    if (v === MISSING) {
      v = this.bytesToId.get(this.keys[a] + this.keys[b]) ?? -1;
      if (this.pairs.size >= PAIR_LIMIT) this.pairs = new PairTable(1 << 16);
      this.pairs.set(a, b, v);
    }
    return v;
  }

  /** O(n²) merge for short words: parts[i] and rank[i] = id the pair (parts[i], parts[i+1]) merges into (-1: none). */
  private mergeLinear(bytes: Uint8Array, n: number): number[] {
    if (this.scratchIds.length < 2 * n) this.scratchIds = new Int32Array(2 * n);
    const parts = this.scratchIds;
    const rank = this.scratchIds.subarray(n);
    for (let i = 0; i < n; i++) parts[i] = BYTE_ID[bytes[i]];
    for (let i = 0; i < n - 1; i++) rank[i] = this.pair(parts[i], parts[i + 1]);
    let len = n;
    for (;;) {
      let best = -1;
      let bestRank = 0x7fffffff;
      for (let i = 0; i < len - 1; i++) {
        const r = rank[i];
        if (r >= 0 && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      parts[best] = bestRank;
      for (let i = best + 1; i < len - 1; i++) parts[i] = parts[i + 1];
      for (let i = best; i < len - 2; i++) rank[i] = rank[i + 1];
      len--;
      if (best > 0) rank[best - 1] = this.pair(parts[best - 1], parts[best]);
      if (best < len - 1) rank[best] = this.pair(parts[best], parts[best + 1]);
    }
    return Array.from(parts.subarray(0, len));
  }

  /** O(n log n) merge for long words: linked list of parts + min-heap of (rank, left position). */
  private mergeHeap(bytes: Uint8Array, n: number): number[] {
    const id = new Int32Array(n);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      id[i] = BYTE_ID[bytes[i]];
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new MinHeap(n);
    const P = 4294967296; // key = rank·2^32 + position: rank first, leftmost on ties
    for (let i = 0; i < n - 1; i++) {
      const r = this.pair(id[i], id[i + 1]);
      if (r >= 0) heap.push(r * P + i);
    }
    while (heap.size > 0) {
      const key = heap.pop();
      const r = Math.floor(key / P);
      const i = key - r * P;
      const j = next[i];
      if (j < 0 || id[i] < 0 || this.pair(id[i], id[j]) !== r) continue; // stale entry
      id[i] = r;
      id[j] = -1;
      const k = next[j];
      next[i] = k;
      if (k >= 0) prev[k] = i;
      const p = prev[i];
      if (p >= 0) {
        const rp = this.pair(id[p], r);
        if (rp >= 0) heap.push(rp * P + p);
      }
      if (k >= 0) {
        const rk = this.pair(r, id[k]);
        if (rk >= 0) heap.push(rk * P + i);
      }
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]) out.push(id[i]);
    return out;
  }

  /** The raw bytes of `ids` (special ids give their string's UTF-8). */
  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    checkIds(ids, this.vocabSize, this.name);
    let len = 0;
    const nTok = this.tokens.length;
    for (let i = 0; i < ids.length; i++) len += ids[i] < nTok ? this.tokens[ids[i]].length : this.specialBytes.get(ids[i])!.length;
    const out = new Uint8Array(len);
    let o = 0;
    for (let i = 0; i < ids.length; i++) {
      const b = ids[i] < nTok ? this.tokens[ids[i]] : this.specialBytes.get(ids[i])!;
      out.set(b, o);
      o += b.length;
    }
    return out;
  }

  /** Bytes → text; an id list that cuts a character in half decodes that piece to U+FFFD (like tiktoken). */
  decode(ids: ArrayLike<number>): string {
    return UTF8.decode(this.decodeBytes(ids));
  }

  /** merges in file order: merge i = the (left, right) ids that make token 256+i. */
  merges(): [number, number][] {
    const byKey = this.bytesToId;
    const out: [number, number][] = [];
    for (let id = 256; id < this.tokens.length; id++) {
      const t = this.tokens[id];
      let found: [number, number] | null = null;
      for (let k = 1; k < t.length && !found; k++) {
        const a = byKey.get(byteKey(t, 0, k));
        const b = byKey.get(byteKey(t, k));
        if (a !== undefined && b !== undefined && a < id && b < id) found = [a, b];
      }
      if (!found) throw new Error(`BPE: token ${id} (${JSON.stringify(bytesToSymbols(t))}) is not two earlier tokens joined; it cannot be written as a merge`);
      out.push(found);
    }
    return out;
  }

  /** The wgpt-bpe file text (see the header of this file): one merge per line. */
  toFileText(name?: string): string {
    const merges = this.merges().map(([a, b]) => JSON.stringify(`${bytesToSymbols(this.tokens[a])} ${bytesToSymbols(this.tokens[b])}`));
    const head: Record<string, unknown> = { format: 'wgpt-bpe', version: 1, pattern: 'gpt2' };
    if (name) head.name = name;
    head.special = this.specialTokens;
    const h = JSON.stringify(head);
    return `${h.slice(0, -1)},\n"merges": [\n${merges.join(',\n')}\n]}\n`;
  }
}

/** The 256 single-byte tokens in GPT-2 order: the starting vocabulary of every wgpt BPE. */
export function byteTokens(): Uint8Array[] {
  return Array.from(BYTE_ORDER, (b) => Uint8Array.of(b));
}

/** Builds a ByteBpe from merges given as (left id, right id) pairs: merge i makes id 256+i. */
export function bpeFromMergeIds(merges: ArrayLike<[number, number]>, special: Record<string, number> = {}, name = 'bpe'): ByteBpe {
  const tokens = byteTokens();
  for (let i = 0; i < merges.length; i++) {
    const [a, b] = merges[i];
    if (!(a >= 0 && a < tokens.length && b >= 0 && b < tokens.length)) throw new Error(`BPE: merge #${i} joins ids ${a}, ${b}; both must be earlier tokens (< ${tokens.length})`);
    const t = new Uint8Array(tokens[a].length + tokens[b].length);
    t.set(tokens[a]);
    t.set(tokens[b], tokens[a].length);
    tokens.push(t);
  }
  return new ByteBpe(tokens, special, name);
}

const FILE_KEYS = new Set(['format', 'version', 'pattern', 'name', 'special', 'merges']);

/** Parses a wgpt-bpe file (see the header of this file). `source` names the file in errors. */
export function parseBpeFile(text: string, source = 'BPE file'): ByteBpe {
  if (typeof text !== 'string') throw new Error(`${source}: expected the file's text`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not valid JSON (${String((e as Error).message).split('\n')[0]})`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${source}: expected a JSON object with "format": "wgpt-bpe"`);
  const d = doc as Record<string, unknown>;
  if (d.format !== 'wgpt-bpe') throw new Error(`${source}: "format" must be "wgpt-bpe", got ${JSON.stringify(d.format)}`);
  if (d.version !== 1) throw new Error(`${source}: unsupported version ${JSON.stringify(d.version)} (this wgpt reads version 1)`);
  for (const k of Object.keys(d)) if (!FILE_KEYS.has(k)) throw new Error(`${source}: unknown key ${JSON.stringify(k)} (allowed: ${[...FILE_KEYS].join(', ')})`);
  if (d.pattern !== undefined && d.pattern !== 'gpt2') throw new Error(`${source}: unsupported "pattern" ${JSON.stringify(d.pattern)} (only "gpt2")`);
  if (d.name !== undefined && typeof d.name !== 'string') throw new Error(`${source}: "name" must be a string`);
  if (!Array.isArray(d.merges)) throw new Error(`${source}: "merges" must be an array of "left right" strings`);
  if (d.merges.length + 256 > MAX_VOCAB) throw new Error(`${source}: ${d.merges.length} merges is more than the supported ${MAX_VOCAB - 256}`);
  const special = d.special ?? {};
  if (special === null || typeof special !== 'object' || Array.isArray(special)) throw new Error(`${source}: "special" must be an object of string → id`);
  const tokens = byteTokens();
  const byKey = new Map<string, number>(tokens.map((t, i) => [byteKey(t), i]));
  d.merges.forEach((m: unknown, i: number) => {
    if (typeof m !== 'string') throw new Error(`${source}: merge #${i} is ${JSON.stringify(m)}, not a string`);
    const parts = m.split(' ');
    if (parts.length !== 2 || !parts[0] || !parts[1]) throw new Error(`${source}: merge #${i} ${JSON.stringify(m)} must be two tokens separated by one space`);
    const [l, r] = parts.map((p) => symbolsToBytes(p));
    if (!l || !r) throw new Error(`${source}: merge #${i} ${JSON.stringify(m)} has a character that is not one of GPT-2's 256 byte symbols`);
    const a = byKey.get(byteKey(l));
    const b = byKey.get(byteKey(r));
    if (a === undefined || b === undefined) throw new Error(`${source}: merge #${i} ${JSON.stringify(m)}: ${JSON.stringify(a === undefined ? parts[0] : parts[1])} is not a token made before it`);
    const t = new Uint8Array(l.length + r.length);
    t.set(l);
    t.set(r, l.length);
    const key = byteKey(t);
    const dup = byKey.get(key);
    if (dup !== undefined) throw new Error(`${source}: merge #${i} ${JSON.stringify(m)} makes ${JSON.stringify(bytesToSymbols(t))}, which is already token ${dup}`);
    byKey.set(key, tokens.length);
    tokens.push(t);
  });
  const name = typeof d.name === 'string' && d.name ? d.name : source;
  try {
    return new ByteBpe(tokens, special as Record<string, number>, `bpe:${name}`);
  } catch (e) {
    throw new Error(`${source}: ${(e as Error).message.replace(/^BPE: /, '')}`);
  }
}
