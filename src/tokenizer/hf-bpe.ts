// Byte-level BPE as Hugging Face tokenizers runs it from a tokenizer.json (GPT-2 style: model.vocab + model.merges,
// ByteLevel pre-tokenizer and decoder): merges applied by rank from a merge table (only listed pairs merge), optional
// ignore_merges (a pre-token that is a token is that token), special added tokens matched verbatim. Browser-safe.
// A byte whose symbol is missing from the vocabulary is dropped (Hugging Face without an unk token).
// Leaves out: dropout, byte_fallback, unk tokens, continuing_subword_prefix / end_of_word_suffix, normalizers.
import { BYTE_CHAR } from './bpe.js';
import { HF_PATTERN } from './hf/onig.js';
import { type EncodeOptions, type FullTokenizer, assertWellFormed, checkIds, escapeRegExp } from './types.js';
import type { BatchEncoding, BatchOptions, Encoding } from './wordpiece.js';
import { HfTokenizer } from './hf/tokenizer.js';
import { MAX_MERGES, MERGE_SPAN, mergeValue, mergeWord, pairKey } from './merge.js';

export interface HfBpeConfig {
  /** token string (byte symbols, GPT-2 spelling) → id */
  vocab: Record<string, number>;
  /** merges in rank order: [left, right] token strings */
  merges: [string, string][];
  /** special added tokens: content → id (matched verbatim in the raw text, skipped by decode) */
  specialTokens?: Record<string, number>;
  /** ByteLevel pre-tokenizer options */
  addPrefixSpace?: boolean;
  useRegex?: boolean;
  /** a pre-token that is in the vocabulary is taken whole, before any merge (default false) */
  ignoreMerges?: boolean;
  name?: string;
}

export { L_NOT, N_NOT, BYTELEVEL_SPLIT_DIFFERS, HF_PATTERN } from './hf/onig.js';

const CHAR_BYTE = new Map<string, number>(BYTE_CHAR.map((c, b) => [c, b]));
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });
const CACHE_LIMIT = 100_000;

export class HfByteLevelBpe implements FullTokenizer {
  readonly name: string;
  readonly vocabSize: number;
  readonly specialTokens: Record<string, number>;
  readonly eotId?: number;
  readonly addPrefixSpace: boolean;
  readonly useRegex: boolean;
  readonly ignoreMerges: boolean;
  /** tokenizer_config.json's model_max_length, when read from a folder that has one */
  modelMaxLength?: number;
  /** id → token string (undefined for ids with no token) */
  readonly idToToken: (string | undefined)[];
  readonly mergeList: [string, string][];
  private readonly vocab: Map<string, number>;
  /** pair key a·2^21+b → rank·2^21 + new id */
  private readonly mergeMap = new Map<number, number>();
  private readonly byteIds = new Int32Array(256);
  private readonly specialRe: RegExp | null;
  private readonly specialIds: Set<number>;
  private readonly pattern = new RegExp(HF_PATTERN, 'gv');
  private readonly cache = new Map<string, number[]>();

  constructor(c: HfBpeConfig) {
    this.name = c.name ?? 'hf-bpe';
    this.vocab = new Map();
    let maxId = -1;
    for (const [t, id] of Object.entries(c.vocab)) {
      if (!Number.isInteger(id) || id < 0 || id >= MERGE_SPAN) throw new Error(`BPE: token ${JSON.stringify(t)} has id ${JSON.stringify(id)}, not an integer in [0, 2^24)`);
      this.vocab.set(t, id);
      maxId = Math.max(maxId, id);
    }
    this.specialTokens = { ...(c.specialTokens ?? {}) };
    for (const [t, id] of Object.entries(this.specialTokens)) {
      if (!Number.isInteger(id) || id < 0 || id >= MERGE_SPAN) throw new Error(`BPE: added token ${JSON.stringify(t)} has id ${JSON.stringify(id)}`);
      const v = this.vocab.get(t);
      if (v !== undefined && v !== id) throw new Error(`BPE: added token ${JSON.stringify(t)} has id ${id} but the vocabulary says ${v}`);
      maxId = Math.max(maxId, id);
    }
    this.vocabSize = maxId + 1;
    this.idToToken = new Array(this.vocabSize);
    for (const [t, id] of this.vocab) {
      if (this.idToToken[id] !== undefined) throw new Error(`BPE: tokens ${JSON.stringify(this.idToToken[id])} and ${JSON.stringify(t)} share id ${id}`);
      this.idToToken[id] = t;
    }
    for (const [t, id] of Object.entries(this.specialTokens)) this.idToToken[id] ??= t;
    // a byte whose symbol is not in the vocabulary is dropped when encoding (Hugging Face without an unk token);
    // a trained file lacks the bytes its corpus never had
    let bytesPresent = 0;
    for (let b = 0; b < 256; b++) {
      const id = this.vocab.get(BYTE_CHAR[b]);
      this.byteIds[b] = id ?? -1;
      if (id !== undefined) bytesPresent++;
    }
    if (bytesPresent === 0) throw new Error('BPE: none of the 256 byte symbols is in the vocabulary: not a byte-level BPE');
    this.mergeList = c.merges;
    if (c.merges.length > MAX_MERGES) throw new Error(`BPE: ${c.merges.length} merges, more than the ${MAX_MERGES} this reader ranks exactly`);
    c.merges.forEach(([l, r], rank) => {
      const a = this.vocab.get(l);
      const b = this.vocab.get(r);
      const n = this.vocab.get(l + r);
      if (a === undefined || b === undefined) throw new Error(`BPE: merge #${rank} ${JSON.stringify(l + ' ' + r)}: ${JSON.stringify(a === undefined ? l : r)} is not in the vocabulary`);
      if (n === undefined) throw new Error(`BPE: merge #${rank} ${JSON.stringify(l + ' ' + r)}: the result ${JSON.stringify(l + r)} is not in the vocabulary`);
      this.mergeMap.set(pairKey(a, b), mergeValue(rank, n)); // a pair listed twice: the later rank counts, as in Hugging Face (its merges go into a hash map)
    });
    this.addPrefixSpace = c.addPrefixSpace ?? false;
    this.useRegex = c.useRegex ?? true;
    this.ignoreMerges = c.ignoreMerges ?? false;
    this.specialIds = new Set(Object.values(this.specialTokens));
    const sorted = Object.keys(this.specialTokens).sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    this.specialRe = sorted.length ? new RegExp(sorted.map(escapeRegExp).join('|'), 'g') : null;
    if ('<|endoftext|>' in this.specialTokens) this.eotId = this.specialTokens['<|endoftext|>'];
  }

  private general?: HfTokenizer;

  /** As a Hugging Face tokenizer.json document (vocabulary, merges in rank order, options, special added tokens). */
  toHfDoc(): Record<string, unknown> {
    const vocab: Record<string, number> = {};
    this.idToToken.forEach((s, id) => {
      if (s !== undefined && this.tokenToId(s) === id) vocab[s] = id;
    });
    const specials = Object.entries(this.specialTokens).sort((a, b) => a[1] - b[1]);
    const pre = { type: 'ByteLevel', add_prefix_space: this.addPrefixSpace, trim_offsets: true, use_regex: this.useRegex };
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: specials.map(([content, id]) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
      normalizer: null,
      pre_tokenizer: pre,
      post_processor: { ...pre, trim_offsets: false },
      decoder: pre,
      model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: this.ignoreMerges, vocab, merges: this.mergeList.map(([a, b]) => `${a} ${b}`) },
    };
  }

  /** Hugging Face's encode (no special tokens: the ByteLevel post-processor adds none), through the general reader. */
  encodeFull(a: string, b?: string | null, opts: { addSpecialTokens?: boolean } = {}): Encoding {
    return (this.general ??= new HfTokenizer(this.toHfDoc(), this.name)).encodeFull(a, b, opts);
  }

  /** Hugging Face's encode_batch; padding needs `padToken` (GPT-2 style vocabularies have no [PAD]). */
  encodeBatch(inputs: (string | [string, string])[], opts: BatchOptions = {}): BatchEncoding {
    return (this.general ??= new HfTokenizer(this.toHfDoc(), this.name)).encodeBatch(inputs, opts);
  }

  numSpecialTokensToAdd(_pair: boolean): number {
    return 0;
  }

  /** id of a token of the model's vocabulary (added tokens not included) */
  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  /** Text → ids (no post-processing). Special tokens in the text are always matched (Hugging Face); allowedSpecial is ignored. */
  encode(text: string, _opts: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') throw new Error(`encode: expected a string, got ${typeof text}`);
    assertWellFormed(text);
    const out: number[] = [];
    if (!this.specialRe) {
      this.encodePlain(text, out);
      return out;
    }
    const re = this.specialRe;
    re.lastIndex = 0;
    let start = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text))) {
      if (m.index > start) this.encodePlain(text.slice(start, m.index), out);
      out.push(this.specialTokens[m[0]]);
      start = m.index + m[0].length;
    }
    if (start < text.length) this.encodePlain(text.slice(start), out);
    return out;
  }

  private encodePlain(text: string, out: number[]): void {
    let s = text;
    if (this.addPrefixSpace && !s.startsWith(' ')) s = ' ' + s;
    const words = this.useRegex ? (s.match(this.pattern) ?? []) : [s];
    for (const w of words) {
      let r = this.cache.get(w);
      if (r === undefined) {
        r = this.encodeWord(w);
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(w, r);
      }
      for (let i = 0; i < r.length; i++) out.push(r[i]);
    }
  }

  private encodeWord(word: string): number[] {
    const bytes = new TextEncoder().encode(word);
    if (this.ignoreMerges) {
      let sym = '';
      for (const b of bytes) sym += BYTE_CHAR[b];
      const id = this.vocab.get(sym);
      if (id !== undefined) return [id];
    }
    // Hugging Face's Word::merge_all (src/tokenizer/merge.ts)
    const known = bytes.filter((b) => this.byteIds[b] >= 0);
    return mergeWord(Int32Array.from(known, (b) => this.byteIds[b]), this.mergeMap);
  }

  /**
   * Ids → text: token strings concatenated, byte symbols turned back into bytes (a token with a char that is not a
   * byte symbol contributes its own UTF-8), invalid UTF-8 → U+FFFD. Special tokens are dropped unless skipSpecialTokens is false.
   */
  decode(ids: ArrayLike<number>, opts: { skipSpecialTokens?: boolean } = {}): string {
    checkIds(ids, this.vocabSize, this.name);
    const skip = opts.skipSpecialTokens ?? true;
    const bytes: number[] = [];
    const enc = new TextEncoder();
    for (let i = 0; i < ids.length; i++) {
      const t = this.idToToken[ids[i]];
      if (t === undefined) throw new Error(`decode: id ${ids[i]} at index ${i} has no token in ${this.name}`);
      if (skip && this.specialIds.has(ids[i])) continue;
      const bs: number[] = [];
      let ok = true;
      for (const ch of t) {
        const b = CHAR_BYTE.get(ch);
        if (b === undefined) {
          ok = false;
          break;
        }
        bs.push(b);
      }
      if (ok) bytes.push(...bs);
      else bytes.push(...enc.encode(t));
    }
    return UTF8.decode(Uint8Array.from(bytes));
  }
}
