// WordPiece tokenizer (BERT): BertNormalizer → BertPreTokenizer → greedy longest-match-first with "##" continuations,
// special (added) tokens matched verbatim in the raw text, the WordPiece decoder, [CLS] A [SEP] (B [SEP]) processing with
// token_type_ids / attention masks, and batches with truncation and padding — the behaviour of Hugging Face tokenizers.
// Browser-safe. Leaves out: offsets, stride/overflowing windows, left truncation, non-special added tokens.
import { type BertNormalizerOptions, bertNormalizer, bertPreTokenize } from './bert-text.js';
import { type EncodeOptions, type FullTokenizer, assertWellFormed, checkIds, escapeRegExp } from './types.js';

export interface WordPieceConfig {
  /** id → token; ids are positions (no gaps) */
  vocab: string[];
  /** token emitted for a word that cannot be spelled with the vocabulary (default '[UNK]'; must be in the vocabulary) */
  unkToken?: string;
  /** continuation prefix (default '##') */
  prefix?: string;
  /** a pre-token longer than this (in chars) is one [UNK] (default 100) */
  maxInputCharsPerWord?: number;
  /** BertNormalizer options; null = no normalizer (default: the course's: clean_text, chinese chars, no lowercase, no accent stripping) */
  normalizer?: BertNormalizerOptions | null;
  /** WordPiece decoder's cleanup (default true) */
  cleanup?: boolean;
  /** tokens matched verbatim in the raw text and skipped by decode (default: the vocabulary's [PAD] [UNK] [CLS] [SEP] [MASK] that exist) */
  specialTokens?: string[];
  /** [CLS]/[SEP] post-processing; null = none (Hugging Face after training). Default: [CLS] and [SEP] when both are in the vocabulary */
  post?: { cls: string; sep: string } | null;
  /** shown in errors and listings */
  name?: string;
}

/** What a full encode returns (Hugging Face's Encoding, without offsets). Arrays all have the same length. */
export interface Encoding {
  ids: number[];
  tokens: string[];
  /** 0 for the first sequence (and its [CLS]/[SEP]), 1 for the second */
  typeIds: number[];
  /** 1 for real tokens, 0 for padding */
  attentionMask: number[];
  /** 1 for tokens added by post-processing and padding */
  specialTokensMask: number[];
}

export interface FullEncodeOptions {
  /** add [CLS] … [SEP] (default true when the tokenizer has a post-processor) */
  addSpecialTokens?: boolean;
}

export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';

export interface BatchOptions extends FullEncodeOptions {
  /** cut every encoding (special tokens included) to this length */
  truncation?: { maxLength: number; strategy?: TruncationStrategy };
  /** 'longest': pad to the longest in the batch; a number: pad to that length; false/undefined: no padding */
  padding?: 'longest' | number | false;
  /** round the padded length up to a multiple of this */
  padToMultipleOf?: number;
  /** padding token (default '[PAD]', must be in the vocabulary) */
  padToken?: string;
}

/** A batch: one Encoding per input, plus (when padded) the row-major (B, L) ids / typeIds / attentionMask as Int32Arrays. */
export interface BatchEncoding {
  encodings: Encoding[];
  /** set when every row has the same length (padding on, or equal lengths) */
  shape?: [number, number];
  ids?: Int32Array;
  typeIds?: Int32Array;
  attentionMask?: Int32Array;
}

/** The batch of these encodings, with the (B, L) arrays when every row has the same length. */
export function batchOf(encodings: Encoding[]): BatchEncoding {
  const out: BatchEncoding = { encodings };
  const L = encodings.length ? encodings[0].ids.length : 0;
  if (encodings.every((e) => e.ids.length === L)) {
    const B = encodings.length;
    out.shape = [B, L];
    out.ids = new Int32Array(B * L);
    out.typeIds = new Int32Array(B * L);
    out.attentionMask = new Int32Array(B * L);
    encodings.forEach((e, r) => {
      out.ids!.set(e.ids, r * L);
      out.typeIds!.set(e.typeIds, r * L);
      out.attentionMask!.set(e.attentionMask, r * L);
    });
  }
  return out;
}

const DEFAULT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const CACHE_LIMIT = 100_000;

/** The course's normalizer: BertWordPieceTokenizer(lowercase=False, strip_accents=False). */
export const COURSE_NORMALIZER: BertNormalizerOptions = { cleanText: true, handleChineseChars: true, stripAccents: false, lowercase: false };

export class WordPiece implements FullTokenizer {
  readonly name: string;
  readonly vocabSize: number;
  readonly vocab: readonly string[];
  readonly unkToken: string;
  readonly unkId: number;
  readonly prefix: string;
  readonly maxInputCharsPerWord: number;
  readonly normalizerOptions: BertNormalizerOptions | null;
  readonly cleanup: boolean;
  readonly post: { cls: string; sep: string } | null;
  /** tokenizer_config.json's model_max_length, when read from a folder that has one */
  modelMaxLength?: number;
  /** special token → id (matched verbatim in the text, skipped by decode) */
  readonly specialTokens: Record<string, number>;
  private readonly ids: Map<string, number>;
  private readonly normalize: (s: string) => string;
  private readonly specialRe: RegExp | null;
  private readonly specialIds: Set<number>;
  private readonly cache = new Map<string, number[]>();

  constructor(c: WordPieceConfig) {
    if (!Array.isArray(c.vocab) || c.vocab.length === 0) throw new Error('WordPiece: the vocabulary is empty');
    this.name = c.name ?? 'wordpiece';
    this.vocab = c.vocab;
    this.vocabSize = c.vocab.length;
    this.ids = new Map();
    c.vocab.forEach((t, i) => {
      if (typeof t !== 'string' || t === '') throw new Error(`WordPiece: token ${i} is ${JSON.stringify(t)}, not a non-empty string`);
      const prev = this.ids.get(t);
      if (prev !== undefined) throw new Error(`WordPiece: token ${JSON.stringify(t)} appears twice (ids ${prev} and ${i})`);
      this.ids.set(t, i);
    });
    this.unkToken = c.unkToken ?? '[UNK]';
    const unk = this.ids.get(this.unkToken);
    // Hugging Face fails at encode time when a word needs [UNK] and the vocabulary has none; so do we (unkId = -1).
    this.unkId = unk ?? -1;
    this.prefix = c.prefix ?? '##';
    this.maxInputCharsPerWord = c.maxInputCharsPerWord ?? 100;
    if (!Number.isInteger(this.maxInputCharsPerWord) || this.maxInputCharsPerWord < 1) throw new Error(`WordPiece: max_input_chars_per_word must be a positive integer, got ${c.maxInputCharsPerWord}`);
    this.normalizerOptions = c.normalizer === undefined ? COURSE_NORMALIZER : c.normalizer;
    this.normalize = this.normalizerOptions ? bertNormalizer(this.normalizerOptions) : (s) => s;
    this.cleanup = c.cleanup ?? true;
    const specials = c.specialTokens ?? DEFAULT_SPECIALS.filter((s) => this.ids.has(s));
    this.specialTokens = {};
    for (const s of specials) {
      const id = this.ids.get(s);
      if (id === undefined) throw new Error(`WordPiece: special token ${JSON.stringify(s)} is not in the vocabulary`);
      this.specialTokens[s] = id;
    }
    this.specialIds = new Set(Object.values(this.specialTokens));
    const sorted = Object.keys(this.specialTokens).sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    this.specialRe = sorted.length ? new RegExp(sorted.map(escapeRegExp).join('|'), 'g') : null;
    if (c.post === undefined) this.post = this.ids.has('[CLS]') && this.ids.has('[SEP]') ? { cls: '[CLS]', sep: '[SEP]' } : null;
    else this.post = c.post;
    if (this.post) for (const t of [this.post.cls, this.post.sep]) if (!this.ids.has(t)) throw new Error(`WordPiece: post-processing token ${JSON.stringify(t)} is not in the vocabulary`);
  }

  /** id of a token string, or undefined */
  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  /** token string of an id (error when out of range) */
  idToToken(id: number): string {
    checkIds([id], this.vocabSize, this.name);
    return this.vocab[id];
  }

  /**
   * Text → ids without [CLS]/[SEP] (Hugging Face's `encode(text, add_special_tokens=False)`). Special tokens written in
   * the text ("[MASK]") are always matched, as in Hugging Face; `opts.allowedSpecial` is accepted for the Tokenizer
   * interface and ignored.
   */
  encode(text: string, _opts: EncodeOptions = {}): number[] {
    return this.tokenize(text).ids;
  }

  /** Text → tokens (strings) without [CLS]/[SEP]. */
  tokenizeToStrings(text: string): string[] {
    return this.tokenize(text).tokens;
  }

  private tokenize(text: string): { ids: number[]; tokens: string[] } {
    if (typeof text !== 'string') throw new Error(`encode: expected a string, got ${typeof text}`);
    assertWellFormed(text);
    const ids: number[] = [];
    if (!this.specialRe) this.encodePlain(text, ids);
    else {
      const re = this.specialRe;
      re.lastIndex = 0;
      let start = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(text))) {
        if (m.index > start) this.encodePlain(text.slice(start, m.index), ids);
        ids.push(this.specialTokens[m[0]]);
        start = m.index + m[0].length;
      }
      if (start < text.length) this.encodePlain(start === 0 ? text : text.slice(start), ids);
    }
    return { ids, tokens: ids.map((i) => this.vocab[i]) };
  }

  private encodePlain(text: string, out: number[]): void {
    for (const word of bertPreTokenize(this.normalize(text))) {
      let r = this.cache.get(word);
      if (r === undefined) {
        r = this.encodeWord(word);
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(word, r);
      }
      for (let i = 0; i < r.length; i++) out.push(r[i]);
    }
  }

  /** Greedy longest-match-first over one pre-token; a word that cannot be spelled completely is one [UNK]. */
  encodeWord(word: string): number[] {
    const chars = Array.from(word);
    if (chars.length > this.maxInputCharsPerWord) return [this.unk(word)];
    // boundaries in UTF-16 units between code points
    const at = new Array<number>(chars.length + 1);
    at[0] = 0;
    for (let i = 0; i < chars.length; i++) at[i + 1] = at[i] + chars[i].length;
    const out: number[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found = -1;
      while (start < end) {
        const sub = word.slice(at[start], at[end]);
        const id = this.ids.get(start > 0 ? this.prefix + sub : sub);
        if (id !== undefined) {
          found = id;
          break;
        }
        end--;
      }
      if (found < 0) return [this.unk(word)];
      out.push(found);
      start = end;
    }
    return out;
  }

  private unk(word: string): number {
    if (this.unkId < 0) throw new Error(`${this.name}: the word ${JSON.stringify(word.slice(0, 40))} needs the unknown token ${JSON.stringify(this.unkToken)}, which is not in the vocabulary`);
    return this.unkId;
  }

  /**
   * Full encode (Hugging Face `encode(a, b)`): ids, tokens, type ids, attention mask, special-tokens mask, with
   * [CLS] A [SEP] / [CLS] A [SEP] B [SEP] when the tokenizer has a post-processor and addSpecialTokens is not false.
   */
  encodeFull(a: string, b?: string | null, opts: FullEncodeOptions = {}): Encoding {
    return this.assemble(this.encode(a), b == null ? null : this.encode(b), opts.addSpecialTokens ?? true);
  }

  /** Special tokens the post-processor adds for one sequence (1 → 2) or a pair (→ 3); 0 without a post-processor. */
  numSpecialTokensToAdd(pair: boolean): number {
    return this.post ? (pair ? 3 : 2) : 0;
  }

  private assemble(a: number[], b: number[] | null, addSpecial: boolean): Encoding {
    const ids: number[] = [];
    const typeIds: number[] = [];
    const special: number[] = [];
    const push = (id: number, type: number, sp: number) => {
      ids.push(id);
      typeIds.push(type);
      special.push(sp);
    };
    const post = addSpecial ? this.post : null;
    const cls = post ? this.ids.get(post.cls)! : -1;
    const sep = post ? this.ids.get(post.sep)! : -1;
    if (post) push(cls, 0, 1);
    for (const id of a) push(id, 0, 0);
    if (post) push(sep, 0, 1);
    if (b) {
      for (const id of b) push(id, 1, 0);
      if (post) push(sep, 1, 1);
    }
    return { ids, tokens: ids.map((i) => this.vocab[i]), typeIds, attentionMask: ids.map(() => 1), specialTokensMask: special };
  }

  /**
   * A batch of single texts or [a, b] pairs → encodings, truncated (Hugging Face's truncate_encodings: the budget left
   * after [CLS]/[SEP] is shared by the strategy) and padded on the right with [PAD] (type id 0, attention 0).
   */
  encodeBatch(inputs: (string | [string, string])[], opts: BatchOptions = {}): BatchEncoding {
    if (!Array.isArray(inputs)) throw new Error('encodeBatch: expected an array of texts or [text, pair] arrays');
    const addSpecial = opts.addSpecialTokens ?? true;
    const encodings = inputs.map((inp, i) => {
      let a: string;
      let b: string | null = null;
      if (typeof inp === 'string') a = inp;
      else if (Array.isArray(inp) && inp.length === 2 && typeof inp[0] === 'string' && typeof inp[1] === 'string') [a, b] = inp;
      else throw new Error(`encodeBatch: input ${i} must be a string or a [string, string] pair`);
      let ea = this.encode(a);
      let eb = b === null ? null : this.encode(b);
      if (opts.truncation) [ea, eb] = truncatePair(ea, eb, opts.truncation.maxLength - (addSpecial ? this.numSpecialTokensToAdd(eb !== null) : 0), opts.truncation.strategy ?? 'longest_first', i);
      return this.assemble(ea, eb, addSpecial);
    });
    if (opts.padding !== undefined && opts.padding !== false) {
      let len = opts.padding === 'longest' ? Math.max(0, ...encodings.map((e) => e.ids.length)) : opts.padding;
      if (!Number.isInteger(len) || len < 0) throw new Error(`encodeBatch: padding must be 'longest' or a length ≥ 0, got ${JSON.stringify(opts.padding)}`);
      const m = opts.padToMultipleOf;
      if (m !== undefined) {
        if (!Number.isInteger(m) || m < 1) throw new Error(`encodeBatch: padToMultipleOf must be a positive integer, got ${m}`);
        len = Math.ceil(len / m) * m;
      }
      const padToken = opts.padToken ?? '[PAD]';
      const padId = this.ids.get(padToken);
      if (padId === undefined) throw new Error(`encodeBatch: the padding token ${JSON.stringify(padToken)} is not in the vocabulary`);
      for (const e of encodings) {
        // like Hugging Face, padding never shortens: a longer encoding keeps its length (then the batch is ragged)
        for (let k = e.ids.length; k < len; k++) {
          e.ids.push(padId);
          e.tokens.push(padToken);
          e.typeIds.push(0);
          e.attentionMask.push(0);
          e.specialTokensMask.push(1);
        }
      }
    }
    return batchOf(encodings);
  }

  /**
   * Ids → text with the WordPiece decoder: "##x" joins the previous token, other tokens get a leading space, then the
   * cleanup rules (" ." → "." …) on each token. Special tokens are dropped unless `skipSpecialTokens` is false
   * (Hugging Face Python's default is to drop them).
   */
  decode(ids: ArrayLike<number>, opts: { skipSpecialTokens?: boolean } = {}): string {
    checkIds(ids, this.vocabSize, this.name);
    const skip = opts.skipSpecialTokens ?? true;
    const toks: string[] = [];
    for (let i = 0; i < ids.length; i++) if (!(skip && this.specialIds.has(ids[i]))) toks.push(this.vocab[ids[i]]);
    return decodeWordPieces(toks, this.prefix, this.cleanup);
  }

  /** vocab.txt: one token per line, in id order. */
  toVocabTxt(): string {
    return this.vocab.join('\n') + '\n';
  }
}

/** Hugging Face's WordPiece decoder on token strings. */
export function decodeWordPieces(tokens: string[], prefix = '##', cleanup = true): string {
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    let t = tokens[i];
    if (i !== 0) {
      if (t.startsWith(prefix)) t = t.slice(prefix.length);
      else t = ' ' + t;
    }
    if (cleanup) t = cleanupTokenization(t);
    out += t;
  }
  return out;
}

/** Hugging Face decoders::wordpiece::cleanup (applied to one token string at a time). */
export function cleanupTokenization(s: string): string {
  return s
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(' do not', " don't")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

/** Hugging Face's truncate_encodings (direction right, no stride). `budget` = max length minus the special tokens to add. */
function truncatePair(a: number[], b: number[] | null, budget: number, strategy: TruncationStrategy, row: number): [number[], number[] | null] {
  if (!Number.isInteger(budget) || budget < 0) throw new Error(`encodeBatch: truncation maxLength leaves ${budget} tokens after the special tokens (input ${row})`);
  const total = a.length + (b ? b.length : 0);
  if (total <= budget) return [a, b];
  const toRemove = total - budget;
  if (strategy === 'longest_first') {
    if (!b) return [a.slice(0, budget), null];
    let n1 = a.length;
    let n2 = b.length;
    const swap = n1 > n2;
    if (swap) [n1, n2] = [n2, n1];
    if (n1 > budget) n2 = n1;
    else n2 = Math.max(n1, budget - n1);
    if (n1 + n2 > budget) {
      n1 = Math.floor(budget / 2);
      n2 = n1 + (budget % 2);
    }
    if (swap) [n1, n2] = [n2, n1];
    return [a.slice(0, n1), b.slice(0, n2)];
  }
  const second = strategy === 'only_second';
  if (second && !b) throw new Error(`encodeBatch: truncation 'only_second' needs a pair (input ${row})`);
  const target = second ? b! : a;
  if (target.length <= toRemove) throw new Error(`encodeBatch: input ${row}: the ${second ? 'second' : 'first'} sequence (${target.length} tokens) is too short to remove ${toRemove} tokens with '${strategy}'`);
  const cut = target.slice(0, target.length - toRemove);
  return second ? [a, cut] : [cut, b];
}

/** Parses BERT's vocab.txt (one token per line, id = line number; a trailing newline is not a token). */
export function parseVocabTxt(text: string, source = 'vocab.txt'): string[] {
  if (typeof text !== 'string') throw new Error(`${source}: expected the file's text`);
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const vocab = lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (vocab.length === 0) throw new Error(`${source}: no tokens`);
  const seen = new Map<string, number>();
  vocab.forEach((t, i) => {
    if (t === '') throw new Error(`${source}: line ${i + 1} is empty`);
    const p = seen.get(t);
    if (p !== undefined) throw new Error(`${source}: token ${JSON.stringify(t)} on lines ${p + 1} and ${i + 1}`);
    seen.set(t, i);
  });
  return vocab;
}
