// A Hugging Face tokenizer.json read whole: added tokens (lstrip, rstrip, single_word, normalized, special) split off
// first, then normalizer → pre-tokenizer → model per piece, the post-processor, and the stored truncation and padding
// applied where Hugging Face applies them (encode / encode_batch), overridable per call. Components come from the
// registries beside this file; every part wgpt does not read is named in one error. Browser-safe.
// Leaves out: offsets and word ids, overflowing windows (stride), pre-tokenized input.
import { type EncodeOptions, type FullTokenizer, assertWellFormed, checkIds } from '../types.js';
import { type BatchEncoding, type Encoding, type TruncationStrategy, batchOf } from '../wordpiece.js';
import { type Json, Reader, WORD_CLASS, escapeU, isObj } from './read.js';
import { type Normalize, readNormalizer } from './normalizers.js';
import { type Piece, type PreTokenize, readPreTokenizer } from './pre-tokenizers.js';
import { type HfModel, readModel } from './models.js';
import { type DecodeChain, type Part, type PostProcess, readDecoder, readPostProcessor } from './post.js';

export interface AddedToken {
  id: number;
  content: string;
  singleWord: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export interface TruncationParams {
  maxLength: number;
  strategy: TruncationStrategy;
  direction: 'left' | 'right';
}

export interface PaddingParams {
  /** 'longest' pads a batch to its longest encoding; a number pads to that length */
  length: 'longest' | number;
  direction: 'left' | 'right';
  padToMultipleOf: number | null;
  padId: number;
  padTypeId: number;
  padToken: string;
}

/** Per-call options; truncation / padding undefined → the tokenizer's stored settings, false → none. */
export interface HfEncodeOptions {
  /** add the post-processor's special tokens (default true) */
  addSpecialTokens?: boolean;
  truncation?: false | (Partial<TruncationParams> & { maxLength: number });
  padding?: false | 'longest' | number | Partial<PaddingParams>;
  /** with padding 'longest' or a length: round the padded length up to a multiple of this (WordPiece's BatchOptions) */
  padToMultipleOf?: number;
  /** with padding 'longest' or a length: the padding token (its id is looked up) */
  padToken?: string;
}

const STARTS_WORD = new RegExp(`^${WORD_CLASS}`, 'v');
const ENDS_WORD = new RegExp(`${WORD_CLASS}$`, 'v');

interface Segment {
  text: string;
  /** set for an added token */
  id?: number;
  /** starts at offset 0 of the input */
  first: boolean;
}

/** Leftmost-longest matches of added tokens, with their single_word / lstrip / rstrip rules (AddedVocabulary::find_matches). */
class AddedMatcher {
  private readonly re: RegExp | null;
  private readonly byPattern = new Map<string, AddedToken>();
  constructor(tokens: { pattern: string; token: AddedToken }[]) {
    for (const t of tokens) if (!this.byPattern.has(t.pattern)) this.byPattern.set(t.pattern, t.token);
    const pats = [...this.byPattern.keys()].filter((p) => p !== '').sort((a, b) => b.length - a.length);
    this.re = pats.length ? new RegExp(pats.map(escapeU).join('|'), 'gu') : null;
  }
  split(text: string, first: boolean): Segment[] {
    if (!this.re || text === '') return text === '' ? [] : [{ text, first }];
    const out: Segment[] = [];
    let startOffset = 0;
    this.re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = this.re.exec(text))) {
      let start = m.index;
      let stop = start + m[0].length;
      const t = this.byPattern.get(m[0])!;
      if (t.singleWord) {
        const startSpace = start === 0 || !ENDS_WORD.test(text.slice(0, start));
        const stopSpace = stop === text.length || !STARTS_WORD.test(text.slice(stop));
        if (!startSpace || !stopSpace) continue;
      }
      if (t.lstrip) {
        let s = start;
        while (s > 0 && /\p{White_Space}/u.test(text[s - 1])) s--;
        start = Math.max(s, startOffset);
      }
      if (t.rstrip) {
        while (stop < text.length && /\p{White_Space}/u.test(text[stop])) stop++;
        this.re.lastIndex = stop;
      }
      if (startOffset < start) out.push({ text: text.slice(startOffset, start), first: first && startOffset === 0 });
      out.push({ text: text.slice(start, stop), id: t.id, first: first && start === 0 });
      startOffset = stop;
    }
    if (startOffset < text.length) out.push({ text: text.slice(startOffset), first: first && startOffset === 0 });
    return out;
  }
}

function readAddedTokens(x: unknown, r: Reader): AddedToken[] {
  if (x === undefined || x === null) return [];
  if (!Array.isArray(x)) {
    r.bad('added_tokens', 'expected an array');
    return [];
  }
  const out: AddedToken[] = [];
  x.forEach((t, i) => {
    const p = `added_tokens[${i}]`;
    if (!isObj(t) || typeof t.content !== 'string' || !Number.isInteger(t.id) || (t.id as number) < 0) return r.bad(p, 'expected {"id": integer ≥ 0, "content": string, …}');
    const special = r.bool(t, 'special', p, false);
    out.push({
      id: t.id as number,
      content: t.content,
      singleWord: r.bool(t, 'single_word', p, false),
      lstrip: r.bool(t, 'lstrip', p, false),
      rstrip: r.bool(t, 'rstrip', p, false),
      normalized: r.bool(t, 'normalized', p, !special),
      special,
    });
  });
  return out;
}

const STRATEGIES: Record<string, TruncationStrategy> = { LongestFirst: 'longest_first', OnlyFirst: 'only_first', OnlySecond: 'only_second' };

function readTruncation(x: unknown, r: Reader): TruncationParams | null {
  if (x === null || x === undefined) return null;
  if (!isObj(x)) {
    r.bad('truncation', 'expected an object or null');
    return null;
  }
  const s = r.str(x, 'strategy', 'truncation', 'LongestFirst');
  if (!(s in STRATEGIES)) r.bad('truncation.strategy', `expected LongestFirst, OnlyFirst or OnlySecond, got ${JSON.stringify(s)}`);
  const d = r.str(x, 'direction', 'truncation', 'Right');
  if (d !== 'Left' && d !== 'Right') r.bad('truncation.direction', `expected Left or Right, got ${JSON.stringify(d)}`);
  const stride = r.int(x, 'stride', 'truncation', 0);
  if (stride !== 0) r.refuse('truncation.stride', `${stride} (overflowing windows are not made by wgpt; stride 0 only)`);
  return { maxLength: r.int(x, 'max_length', 'truncation', 512), strategy: STRATEGIES[s] ?? 'longest_first', direction: d === 'Left' ? 'left' : 'right' };
}

function readPadding(x: unknown, r: Reader): PaddingParams | null {
  if (x === null || x === undefined) return null;
  if (!isObj(x)) {
    r.bad('padding', 'expected an object or null');
    return null;
  }
  let length: PaddingParams['length'] = 'longest';
  const s = x.strategy;
  if (isObj(s) && Number.isInteger(s.Fixed)) length = s.Fixed as number;
  else if (s !== 'BatchLongest' && s !== undefined) r.bad('padding.strategy', `expected "BatchLongest" or {"Fixed": n}, got ${JSON.stringify(s)}`);
  const d = r.str(x, 'direction', 'padding', 'Right');
  if (d !== 'Left' && d !== 'Right') r.bad('padding.direction', `expected Left or Right, got ${JSON.stringify(d)}`);
  const m = x.pad_to_multiple_of;
  return {
    length,
    direction: d === 'Left' ? 'left' : 'right',
    padToMultipleOf: m === null || m === undefined ? null : r.int(x, 'pad_to_multiple_of', 'padding', 0),
    padId: r.int(x, 'pad_id', 'padding', 0),
    padTypeId: r.int(x, 'pad_type_id', 'padding', 0),
    padToken: r.str(x, 'pad_token', 'padding', '[PAD]'),
  };
}

/** the options object form of HfEncodeOptions.padding */
const PADDING_KEYS = ['length', 'direction', 'padToMultipleOf', 'padId', 'padTypeId', 'padToken'];

/** Keys of a tokenizer.json that wgpt reads; others are refused by name. */
const TOP_KEYS = new Set(['version', 'truncation', 'padding', 'added_tokens', 'normalizer', 'pre_tokenizer', 'post_processor', 'decoder', 'model']);

export class HfTokenizer implements FullTokenizer {
  readonly name: string;
  readonly vocabSize: number;
  readonly specialTokens: Record<string, number> = {};
  readonly eotId?: number;
  readonly added: readonly AddedToken[];
  readonly model: HfModel;
  /** stored settings (Hugging Face applies them in encode / encode_batch) */
  truncation: TruncationParams | null;
  padding: PaddingParams | null;
  /** tokenizer_config.json's model_max_length, when the folder had one */
  modelMaxLength?: number;
  /** the tokenizer.json text this was read from (written back verbatim into checkpoints) */
  readonly json: string;
  private readonly normalize: Normalize;
  private readonly preTokenize: PreTokenize;
  /** a Metaspace with prepend_scheme "first" reads whether a piece starts the input */
  private readonly firstMatters: boolean;
  private readonly post: PostProcess;
  private readonly decoder: DecodeChain;
  private readonly rawMatcher: AddedMatcher;
  private readonly normMatcher: AddedMatcher;
  private readonly addedById = new Map<number, AddedToken>();
  private readonly addedByContent = new Map<string, number>();
  private readonly decodeForm = new Map<number, string>();
  private readonly specialSet = new Set<string>();

  /** Reads a parsed tokenizer.json; throws one line naming every part that is not read (or malformed). */
  constructor(doc: unknown, source = 'tokenizer.json', json?: string) {
    const r = new Reader(source);
    if (!isObj(doc)) {
      r.bad('(top)', 'expected a JSON object (a Hugging Face tokenizer.json)');
      r.done();
    }
    const d = doc as Json;
    for (const k of Object.keys(d)) if (!TOP_KEYS.has(k)) r.refuse(k, '(an unknown top-level key)');
    this.name = `hf:${source}`;
    this.json = json ?? JSON.stringify(d, null, 2);
    this.model = readModel(d.model, r);
    this.normalize = readNormalizer(d.normalizer, r);
    this.preTokenize = readPreTokenizer(d.pre_tokenizer, r);
    this.firstMatters = JSON.stringify(d.pre_tokenizer ?? null).includes('"prepend_scheme":"first"');
    this.decoder = readDecoder(d.decoder, r);
    this.added = readAddedTokens(d.added_tokens, r);
    for (const t of this.added) {
      this.addedById.set(t.id, t);
      this.addedByContent.set(t.content, t.id);
      if (t.special) this.specialSet.add(t.content);
      const m = this.model.tokenToId(t.content);
      if (m !== undefined && m !== t.id) r.bad('added_tokens', `${JSON.stringify(t.content)} has id ${t.id} but the model's vocabulary gives it ${m}`);
    }
    const check = (tok: string, id: number, path: string) => {
      const have = this.tokenToId(tok);
      if (have !== id) r.bad(path, `${JSON.stringify(tok)} is id ${have ?? 'none'} in the vocabulary, not ${id}`);
    };
    this.post = readPostProcessor(d.post_processor, r, check);
    this.truncation = readTruncation(d.truncation, r);
    this.padding = readPadding(d.padding, r);
    r.done();
    // added tokens with normalized: true are matched in the normalized text, in their normalized form
    const raw: { pattern: string; token: AddedToken }[] = [];
    const norm: { pattern: string; token: AddedToken }[] = [];
    for (const t of this.added) {
      if (t.normalized) {
        const n = this.normalize(t.content);
        if (n !== t.content) this.decodeForm.set(t.id, n);
        norm.push({ pattern: n, token: t });
      } else raw.push({ pattern: t.content, token: t });
    }
    this.rawMatcher = new AddedMatcher(raw);
    this.normMatcher = new AddedMatcher(norm);
    let size = this.model.size;
    for (const t of this.added) {
      size = Math.max(size, t.id + 1);
      if (t.special) this.specialTokens[t.content] = t.id;
    }
    this.vocabSize = size;
    if ('<|endoftext|>' in this.specialTokens) this.eotId = this.specialTokens['<|endoftext|>'];
  }

  /** Parses tokenizer.json text. */
  static fromJson(text: string, source = 'tokenizer.json'): HfTokenizer {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new Error(`${source}: not valid JSON (${String((e as Error).message).split('\n')[0]})`);
    }
    return new HfTokenizer(doc, source, text);
  }

  tokenToId(token: string): number | undefined {
    return this.addedByContent.get(token) ?? this.model.tokenToId(token);
  }

  idToToken(id: number): string | undefined {
    return this.addedById.get(id)?.content ?? this.model.idToToken(id);
  }

  /**
   * One sequence → model ids and token strings (no post-processing or padding). With `limit`, pre-tokens are kept
   * from the start (right) or the end (left) until they hold at least `limit.max` tokens, as Hugging Face's
   * tokenize_with_limit does before truncating (so the kept sequence can be a little longer than max).
   */
  private encodeSequence(text: string, limit?: { max: number; direction: 'left' | 'right' }): { ids: number[]; tokens: string[] } {
    if (typeof text !== 'string') throw new Error(`encode: expected a string, got ${typeof text}`);
    assertWellFormed(text);
    // the splits: an added token, or a pre-token to run through the model
    const splits: (Segment | Piece)[] = [];
    for (const seg of this.rawMatcher.split(text, true)) {
      if (seg.id !== undefined) {
        splits.push(seg);
        continue;
      }
      const norm = this.normalize(seg.text);
      // Metaspace's prepend_scheme "first" asks whether a piece starts at the input's first char: not when the
      // normalizer dropped that char (Strip, a removed control char), which shows as the same result without it
      let first = seg.first;
      if (first && this.firstMatters && norm !== '') {
        const n0 = seg.text.codePointAt(0)! > 0xffff ? 2 : 1;
        first = this.normalize(seg.text.slice(n0)) !== norm;
      }
      for (const sub of this.normMatcher.split(norm, first)) {
        if (sub.id !== undefined) splits.push(sub);
        else for (const p of this.preTokenize([{ s: sub.text, first: sub.first }])) if (p.s !== '') splits.push(p);
      }
    }
    const parts: { ids: number[]; tokens: string[] }[] = [];
    const run = (sp: Segment | Piece) => {
      const part = { ids: [] as number[], tokens: [] as string[] };
      if ('text' in sp) {
        part.ids.push(sp.id!);
        part.tokens.push(sp.text);
      } else this.model.tokenize(sp.s, part.ids, part.tokens);
      return part;
    };
    if (!limit) for (const sp of splits) parts.push(run(sp));
    else {
      let total = 0;
      const order = limit.direction === 'right' ? splits : [...splits].reverse();
      for (const sp of order) {
        const part = run(sp);
        parts.push(part);
        total += part.ids.length;
        if (total >= limit.max) break;
      }
      if (limit.direction === 'left') parts.reverse();
    }
    const ids: number[] = [];
    const tokens: string[] = [];
    for (const p of parts) {
      for (const id of p.ids) ids.push(id);
      for (const t of p.tokens) tokens.push(t);
    }
    return { ids, tokens };
  }

  /**
   * Text → ids as a plain token stream: added tokens, normalizer, pre-tokenizer and model — no post-processor special
   * tokens, no truncation or padding (what a corpus is encoded with). Added special tokens written in the text are
   * always matched (Hugging Face); `allowedSpecial` is accepted for the Tokenizer interface and ignored.
   */
  encode(text: string, _opts: EncodeOptions = {}): number[] {
    return this.encodeSequence(text).ids;
  }

  /** Special tokens the post-processor adds to one sequence or a pair. */
  numSpecialTokensToAdd(pair: boolean): number {
    return this.post.added(pair);
  }

  /**
   * Hugging Face's `encode(a, b, add_special_tokens)`: truncation (stored, or `opts.truncation`), post-processing,
   * then padding (a fixed length pads a single encoding; 'longest' leaves it as it is).
   */
  encodeFull(a: string, b?: string | null, opts: HfEncodeOptions = {}): Encoding {
    const add = opts.addSpecialTokens ?? true;
    const trunc = this.truncationFor(opts);
    // Hugging Face stops tokenizing a sequence once it holds max_length tokens (not the first one with only_second)
    const lim = trunc ? { max: trunc.maxLength, direction: trunc.direction } : undefined;
    const ea = this.encodeSequence(a, trunc?.strategy === 'only_second' ? undefined : lim);
    const eb = b == null ? null : this.encodeSequence(b, lim);
    let pa: Part = { ids: ea.ids, tokens: ea.tokens, typeIds: ea.ids.map(() => 0), special: ea.ids.map(() => 0) };
    let pb: Part | null = eb ? { ids: eb.ids, tokens: eb.tokens, typeIds: eb.ids.map(() => 1), special: eb.ids.map(() => 0) } : null;
    if (trunc) {
      const n = this.post.added(pb !== null);
      const max = add && n > 0 ? trunc.maxLength - n : trunc.maxLength;
      if (max < 0) throw new Error(`truncation: max_length ${trunc.maxLength} is shorter than the ${n} special tokens the post-processor adds`);
      [pa, pb] = truncateParts(pa, pb, { ...trunc, maxLength: max });
    }
    const parts = this.post.process(pb ? [pa, pb] : [pa], add);
    const e: Encoding = { ids: [], tokens: [], typeIds: [], attentionMask: [], specialTokensMask: [] };
    for (const q of parts) {
      e.ids.push(...q.ids);
      e.tokens.push(...q.tokens);
      e.typeIds.push(...q.typeIds);
      e.specialTokensMask.push(...q.special);
    }
    e.attentionMask = e.ids.map(() => 1);
    const pad = this.paddingFor(opts);
    if (pad) padEncodings([e], pad);
    return e;
  }

  /** Hugging Face's `encode_batch`: each input encoded as encodeFull (without padding), then the batch padded. */
  encodeBatch(inputs: (string | [string, string])[], opts: HfEncodeOptions = {}): BatchEncoding {
    if (!Array.isArray(inputs)) throw new Error('encodeBatch: expected an array of texts or [text, pair] arrays');
    const encodings = inputs.map((inp, i) => {
      if (typeof inp === 'string') return this.encodeFull(inp, null, { ...opts, padding: false });
      if (Array.isArray(inp) && inp.length === 2 && typeof inp[0] === 'string' && typeof inp[1] === 'string') return this.encodeFull(inp[0], inp[1], { ...opts, padding: false });
      throw new Error(`encodeBatch: input ${i} must be a string or a [string, string] pair`);
    });
    const pad = this.paddingFor(opts);
    if (pad) padEncodings(encodings, pad);
    return batchOf(encodings);
  }

  private truncationFor(opts: HfEncodeOptions): TruncationParams | null {
    const t = opts.truncation;
    if (t === undefined) return this.truncation;
    if (t === false) return null;
    if (!isObj(t) || !Number.isInteger(t.maxLength) || t.maxLength < 0) throw new Error(`truncation must be false or {maxLength: integer ≥ 0, strategy?, direction?}, got ${JSON.stringify(t)}`);
    const bad = Object.keys(t).filter((k) => !['maxLength', 'strategy', 'direction'].includes(k));
    if (bad.length) throw new Error(`truncation: unknown option${bad.length > 1 ? 's' : ''} ${bad.join(', ')} (it takes maxLength, strategy, direction)`);
    if (t.strategy !== undefined && !['longest_first', 'only_first', 'only_second'].includes(t.strategy)) throw new Error(`truncation strategy must be longest_first, only_first or only_second, got ${JSON.stringify(t.strategy)}`);
    if (t.direction !== undefined && t.direction !== 'left' && t.direction !== 'right') throw new Error(`truncation direction must be 'left' or 'right', got ${JSON.stringify(t.direction)}`);
    return { maxLength: t.maxLength, strategy: t.strategy ?? this.truncation?.strategy ?? 'longest_first', direction: t.direction ?? this.truncation?.direction ?? 'right' };
  }

  private paddingFor(opts: HfEncodeOptions): PaddingParams | null {
    const p = opts.padding;
    if (p === false) return null;
    const extra = opts.padToken !== undefined || opts.padToMultipleOf !== undefined;
    if (p === undefined && !extra) return this.padding;
    if (p === undefined && !this.padding) throw new Error(`padToken / padToMultipleOf need padding: ${this.name} stores none, pass padding ('longest' or a length)`);
    let q: Partial<PaddingParams> = {};
    if (typeof p === 'string' || typeof p === 'number') {
      if (p !== 'longest' && (!Number.isInteger(p) || (p as number) < 0)) throw new Error(`padding must be 'longest', a length ≥ 0, an options object or false, got ${JSON.stringify(p)}`);
      q.length = p;
    } else if (isObj(p)) {
      const bad = Object.keys(p).filter((k) => !PADDING_KEYS.includes(k));
      if (bad.length) throw new Error(`padding: unknown option${bad.length > 1 ? 's' : ''} ${bad.join(', ')} (it takes ${PADDING_KEYS.join(', ')})`);
      q = { ...p };
    } else if (p !== undefined) throw new Error(`padding must be 'longest', a length ≥ 0, an options object or false, got ${JSON.stringify(p)}`);
    if (opts.padToken !== undefined) q.padToken ??= opts.padToken;
    if (opts.padToMultipleOf !== undefined) q.padToMultipleOf ??= opts.padToMultipleOf;
    if (q.padToken !== undefined && q.padId === undefined) {
      const id = this.tokenToId(q.padToken);
      if (id === undefined) throw new Error(`padding: the pad token ${JSON.stringify(q.padToken)} is not in the vocabulary`);
      q.padId = id;
    }
    const m = q.padToMultipleOf;
    if (m !== undefined && m !== null && (!Number.isInteger(m) || m < 1)) throw new Error(`padToMultipleOf must be a positive integer, got ${m}`);
    if (q.length !== undefined && q.length !== 'longest' && (!Number.isInteger(q.length) || q.length < 0)) throw new Error(`padding length must be 'longest' or an integer ≥ 0, got ${JSON.stringify(q.length)}`);
    if (q.direction !== undefined && q.direction !== 'left' && q.direction !== 'right') throw new Error(`padding direction must be 'left' or 'right', got ${JSON.stringify(q.direction)}`);
    const base = this.padding ?? (q.padId !== undefined ? { length: 'longest' as const, direction: 'right' as const, padToMultipleOf: null, padId: q.padId, padTypeId: 0, padToken: q.padToken ?? '' } : this.defaultPadding());
    return { ...base, ...q };
  }

  /** Padding when the file stores none: the vocabulary's [PAD] / <pad>, else an error asking for one. */
  private defaultPadding(): PaddingParams {
    for (const t of ['[PAD]', '<pad>', '<|padding|>']) {
      const id = this.tokenToId(t);
      if (id !== undefined) return { length: 'longest', direction: 'right', padToMultipleOf: null, padId: id, padTypeId: 0, padToken: t };
    }
    throw new Error(`${this.name} stores no padding settings and has no [PAD] or <pad> token: pass padding {padToken, padId}`);
  }

  /** Ids → text through the decoder; added special tokens are dropped unless skipSpecialTokens is false. */
  decode(ids: ArrayLike<number>, opts: { skipSpecialTokens?: boolean } = {}): string {
    checkIds(ids, this.vocabSize, this.name);
    const skip = opts.skipSpecialTokens ?? true;
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const t = this.addedById.has(id) ? (this.decodeForm.get(id) ?? this.addedById.get(id)!.content) : this.model.idToToken(id);
      if (t === undefined) continue;
      if (skip && this.specialSet.has(t)) continue;
      tokens.push(t);
    }
    return this.decoder(tokens).join('');
  }
}

/** truncate_encodings (stride 0): the strategies share `maxLength` between the sequences. */
function truncateParts(a: Part, b: Part | null, t: TruncationParams): [Part, Part | null] {
  const cut = (p: Part, n: number): Part => {
    if (p.ids.length <= n) return p;
    const s = t.direction === 'right' ? (x: unknown[]) => x.slice(0, n) : (x: unknown[]) => x.slice(x.length - n);
    return { ids: s(p.ids) as number[], tokens: s(p.tokens) as string[], typeIds: s(p.typeIds) as number[], special: s(p.special) as number[] };
  };
  const max = t.maxLength;
  if (max === 0) return [cut(a, 0), b && cut(b, 0)];
  const total = a.ids.length + (b ? b.ids.length : 0);
  if (total <= max) return [a, b];
  const toRemove = total - max;
  if (t.strategy === 'longest_first') {
    if (!b) return [cut(a, total - toRemove), null];
    let n1 = a.ids.length;
    let n2 = b.ids.length;
    const swap = n1 > n2;
    if (swap) [n1, n2] = [n2, n1];
    n2 = n1 > max ? n1 : Math.max(n1, max - n1);
    if (n1 + n2 > max) {
      n1 = Math.floor(max / 2);
      n2 = n1 + (max % 2);
    }
    if (swap) [n1, n2] = [n2, n1];
    return [cut(a, n1), cut(b, n2)];
  }
  const second = t.strategy === 'only_second';
  if (second && !b) throw new Error('truncation: only_second needs a pair of sequences');
  const target = second ? b! : a;
  if (target.ids.length <= toRemove) throw new Error(`truncation: the ${second ? 'second' : 'first'} sequence (${target.ids.length} tokens) is too short to remove ${toRemove} tokens with ${t.strategy}`);
  const c = cut(target, target.ids.length - toRemove);
  return second ? [a, c] : [c, b];
}

/** pad_encodings: to the longest (or a fixed length), rounded up to a multiple; never shortens. */
function padEncodings(encs: Encoding[], p: PaddingParams): void {
  if (!encs.length) return;
  let len = p.length === 'longest' ? Math.max(...encs.map((e) => e.ids.length)) : p.length;
  const m = p.padToMultipleOf;
  if (m && len % m) len += m - (len % m);
  for (const e of encs) {
    const n = len - e.ids.length;
    if (n <= 0) continue;
    const fill = <T>(arr: T[], v: T) => {
      const pad = new Array<T>(n).fill(v);
      if (p.direction === 'right') arr.push(...pad);
      else arr.unshift(...pad);
    };
    fill(e.ids, p.padId);
    fill(e.typeIds, p.padTypeId);
    fill(e.tokens, p.padToken);
    fill(e.attentionMask, 0);
    fill(e.specialTokensMask, 1);
  }
}
