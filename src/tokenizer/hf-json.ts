// Hugging Face tokenizer.json, both ways: reads any tokenizer.json wgpt supports — a BERT-shaped WordPiece or a plain
// byte-level BPE into wgpt's own fast classes (WordPiece, HfByteLevelBpe: what wgpt also trains and writes), everything
// else (other models, normalizers, pre-tokenizers, post-processors, decoders, added-token options, stored truncation and
// padding) into the general reader in ./hf/ (HfTokenizer); writes wgpt's WordPiece and byte-level BPE as files Hugging
// Face loads. Browser-safe (text in, text out). Leaves out: what ./hf/ refuses (one line names every part).
import { WordPiece, type WordPieceConfig } from './wordpiece.js';
import { HfByteLevelBpe } from './hf-bpe.js';
import { ByteBpe, bytesToSymbols } from './bpe.js';
import type { BertNormalizerOptions } from './bert-text.js';
import { HfTokenizer } from './hf/tokenizer.js';

type Json = Record<string, unknown>;

const isObj = (x: unknown): x is Json => x !== null && typeof x === 'object' && !Array.isArray(x);

/** Does this JSON text look like a Hugging Face tokenizer.json (has a "model" object)? Cheap check on the parsed doc. */
export function isHfTokenizerJson(doc: unknown): boolean {
  return isObj(doc) && isObj(doc.model);
}

/** A tokenizer read from a tokenizer.json: wgpt's WordPiece or byte-level BPE when the file is one of those, else the general reader. */
export type HfJsonTokenizer = WordPiece | HfByteLevelBpe | HfTokenizer;

/** Parses a Hugging Face tokenizer.json. `source` names the file in errors. */
export function parseHfTokenizerJson(text: string, source = 'tokenizer.json'): HfJsonTokenizer {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not valid JSON (${String((e as Error).message).split('\n')[0]})`);
  }
  return hfTokenizerFromDoc(doc, source, text);
}

/**
 * Same, from the parsed JSON: a BERT-shaped WordPiece or a plain byte-level BPE (no stored truncation/padding, special
 * added tokens only) becomes wgpt's WordPiece / HfByteLevelBpe (the same ids, checked against Hugging Face by the
 * tests of both paths); any other file the general HfTokenizer, whose error names every part wgpt does not read.
 */
export function hfTokenizerFromDoc(doc: unknown, source = 'tokenizer.json', text?: string): HfJsonTokenizer {
  try {
    return fastTokenizerFromDoc(doc, source);
  } catch {
    return new HfTokenizer(doc, source, text);
  }
}

/** wgpt's own classes for the two shapes it trains and writes; throws for anything else. */
function fastTokenizerFromDoc(doc: unknown, source: string): WordPiece | HfByteLevelBpe {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`);
  };
  if (!isObj(doc)) fail('expected a JSON object (a Hugging Face tokenizer.json)');
  const d = doc as Json;
  if (!isObj(d.model)) fail('no "model" object: not a Hugging Face tokenizer.json');
  const model = d.model as Json;
  const type = model.type ?? (isObj(model.vocab) && Array.isArray(model.merges) ? 'BPE' : isObj(model.vocab) && 'max_input_chars_per_word' in model ? 'WordPiece' : undefined);
  if (type === 'Unigram') fail('model type Unigram is not read by wgpt (SentencePiece-style vocabularies are not supported; use a WordPiece or byte-level BPE tokenizer.json)');
  if (type !== 'WordPiece' && type !== 'BPE') fail(`model type ${JSON.stringify(type)} is not read by wgpt (it reads WordPiece and byte-level BPE)`);
  if (d.truncation != null) fail('stored "truncation" settings are not read by wgpt: set it to null (wgpt takes truncation per call)');
  if (d.padding != null) fail('stored "padding" settings are not read by wgpt: set it to null (wgpt takes padding per call)');

  // added tokens: special ones only, matched verbatim
  const added: Record<string, number> = {};
  if (d.added_tokens !== undefined && d.added_tokens !== null) {
    if (!Array.isArray(d.added_tokens)) fail('"added_tokens" must be an array');
    (d.added_tokens as unknown[]).forEach((t, i) => {
      if (!isObj(t) || typeof t.content !== 'string' || t.content === '' || !Number.isInteger(t.id)) fail(`added_tokens[${i}] must have a non-empty "content" and an integer "id"`);
      const a = t as Json;
      if (a.special !== true) fail(`added token ${JSON.stringify(a.content)} is not special: non-special added tokens are not read by wgpt`);
      for (const k of ['single_word', 'lstrip', 'rstrip'] as const) if (a[k] === true) fail(`added token ${JSON.stringify(a.content)} has ${k}: true, which wgpt does not read`);
      if (a.normalized === true && d.normalizer != null) fail(`added token ${JSON.stringify(a.content)} is matched in normalized text`);
      added[a.content as string] = a.id as number;
    });
  }

  if (type === 'WordPiece') {
    if (!isObj(model.vocab)) fail('model.vocab must be an object of token → id');
    const entries = Object.entries(model.vocab as Json);
    const vocab = new Array<string>(entries.length);
    for (const [t, id] of entries) {
      if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= entries.length) fail(`model.vocab: ${JSON.stringify(t)} has id ${JSON.stringify(id)}; ids must be 0…${entries.length - 1}`);
      if (vocab[id as number] !== undefined) fail(`model.vocab: ${JSON.stringify(vocab[id as number])} and ${JSON.stringify(t)} share id ${id}`);
      vocab[id as number] = t;
    }
    for (const [t, id] of Object.entries(added)) if (vocab[id] !== t) fail(`added token ${JSON.stringify(t)} has id ${id}, which is ${JSON.stringify(vocab[id])} in model.vocab (wgpt reads added tokens that are in the vocabulary)`);
    const cfg: WordPieceConfig = { vocab, name: `wordpiece:${source}`, specialTokens: Object.keys(added) };
    if (model.unk_token !== undefined) {
      if (typeof model.unk_token !== 'string') fail('model.unk_token must be a string');
      cfg.unkToken = model.unk_token as string;
    }
    if (model.continuing_subword_prefix !== undefined) {
      if (typeof model.continuing_subword_prefix !== 'string') fail('model.continuing_subword_prefix must be a string');
      cfg.prefix = model.continuing_subword_prefix as string;
    }
    if (model.max_input_chars_per_word !== undefined) {
      if (!Number.isInteger(model.max_input_chars_per_word) || (model.max_input_chars_per_word as number) < 1) fail('model.max_input_chars_per_word must be a positive integer');
      cfg.maxInputCharsPerWord = model.max_input_chars_per_word as number;
    }
    // normalizer
    const n = d.normalizer;
    if (n === null || n === undefined) cfg.normalizer = null;
    else if (isObj(n) && n.type === 'BertNormalizer') {
      const o: BertNormalizerOptions = {};
      for (const [k, jk] of [['cleanText', 'clean_text'], ['handleChineseChars', 'handle_chinese_chars'], ['stripAccents', 'strip_accents'], ['lowercase', 'lowercase']] as const) {
        const v = n[jk];
        if (v === undefined || (v === null && jk === 'strip_accents')) continue;
        if (typeof v !== 'boolean') fail(`normalizer.${jk} must be true or false`);
        o[k] = v as boolean;
      }
      cfg.normalizer = o;
    } else fail(`normalizer ${JSON.stringify(isObj(n) ? n.type : n)} is not read by wgpt with WordPiece (only BertNormalizer or null)`);
    const p = d.pre_tokenizer;
    if (!isObj(p) || p.type !== 'BertPreTokenizer') fail(`pre_tokenizer ${JSON.stringify(isObj(p) ? p.type : p)} is not read by wgpt with WordPiece (only BertPreTokenizer)`);
    const dec = d.decoder;
    if (isObj(dec) && dec.type === 'WordPiece') {
      if (dec.prefix !== undefined && dec.prefix !== (cfg.prefix ?? '##')) fail(`decoder.prefix ${JSON.stringify(dec.prefix)} differs from the model's continuing_subword_prefix`);
      if (dec.cleanup !== undefined && typeof dec.cleanup !== 'boolean') fail('decoder.cleanup must be true or false');
      cfg.cleanup = (dec.cleanup as boolean | undefined) ?? true;
    } else fail(`decoder ${JSON.stringify(isObj(dec) ? dec.type : dec)} is not read by wgpt with WordPiece (only the WordPiece decoder)`);
    cfg.post = readBertPost(d.post_processor, vocab, fail);
    try {
      return new WordPiece(cfg);
    } catch (e) {
      return fail((e as Error).message.replace(/^WordPiece: /, ''));
    }
  }

  // BPE: byte-level only
  if (!isObj(model.vocab)) fail('model.vocab must be an object of token → id');
  if (!Array.isArray(model.merges)) fail('model.merges must be an array');
  for (const k of ['dropout', 'unk_token', 'continuing_subword_prefix', 'end_of_word_suffix'] as const) if (model[k] != null && model[k] !== '') fail(`BPE with ${k} ${JSON.stringify(model[k])} is not read by wgpt (byte-level BPE only)`);
  if (model.byte_fallback === true) fail('BPE with byte_fallback is not read by wgpt (byte-level BPE only)');
  if (d.normalizer != null) fail(`normalizer ${JSON.stringify(isObj(d.normalizer) ? d.normalizer.type : d.normalizer)} is not read by wgpt with BPE (byte-level BPE has none)`);
  const p = d.pre_tokenizer;
  if (!isObj(p) || p.type !== 'ByteLevel') fail(`pre_tokenizer ${JSON.stringify(isObj(p) ? p.type : p)} is not read by wgpt with BPE (only ByteLevel)`);
  const pre = p as Json;
  const dec = d.decoder;
  if (!isObj(dec) || dec.type !== 'ByteLevel') fail(`decoder ${JSON.stringify(isObj(dec) ? dec.type : dec)} is not read by wgpt with BPE (only ByteLevel)`);
  const post = d.post_processor;
  if (post != null && !(isObj(post) && post.type === 'ByteLevel')) fail(`post_processor ${JSON.stringify(isObj(post) ? post.type : post)} is not read by wgpt with BPE (only ByteLevel or null)`);
  const merges: [string, string][] = (model.merges as unknown[]).map((m, i) => {
    if (typeof m === 'string') {
      const parts = m.split(' ');
      if (parts.length !== 2 || !parts[0] || !parts[1]) fail(`model.merges[${i}] ${JSON.stringify(m)} must be two tokens separated by one space`);
      return [parts[0], parts[1]];
    }
    if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') return [m[0], m[1]];
    return fail(`model.merges[${i}] must be "left right" or ["left", "right"]`);
  });
  try {
    return new HfByteLevelBpe({
      vocab: model.vocab as Record<string, number>,
      merges,
      specialTokens: added,
      addPrefixSpace: pre.add_prefix_space === true,
      useRegex: pre.use_regex !== false,
      ignoreMerges: model.ignore_merges === true,
      name: `bpe:${source}`,
    });
  } catch (e) {
    return fail((e as Error).message.replace(/^BPE: /, ''));
  }
}

/** BertProcessing, a BERT-shaped TemplateProcessing ([CLS] $A [SEP] / … $B:1 [SEP]:1), or null. */
function readBertPost(p: unknown, vocab: string[], fail: (m: string) => never): { cls: string; sep: string } | null {
  if (p === null || p === undefined) return null;
  if (!isObj(p)) return fail('post_processor must be an object or null');
  const checkPair = (x: unknown, what: string): string => {
    if (!Array.isArray(x) || x.length !== 2 || typeof x[0] !== 'string' || !Number.isInteger(x[1])) return fail(`post_processor.${what} must be [token, id]`);
    if (vocab[x[1] as number] !== x[0]) return fail(`post_processor.${what} ${JSON.stringify(x)}: the vocabulary has ${JSON.stringify(vocab[x[1] as number])} at id ${x[1]}`);
    return x[0] as string;
  };
  if (p.type === 'BertProcessing') return { cls: checkPair(p.cls, 'cls'), sep: checkPair(p.sep, 'sep') };
  if (p.type === 'TemplateProcessing') {
    const piece = (x: unknown): string => {
      if (isObj(x) && isObj(x.SpecialToken)) return `${x.SpecialToken.id}:${x.SpecialToken.type_id}`;
      if (isObj(x) && isObj(x.Sequence)) return `$${x.Sequence.id}:${x.Sequence.type_id}`;
      return '?';
    };
    const single = Array.isArray(p.single) ? p.single.map(piece) : [];
    const pair = Array.isArray(p.pair) ? p.pair.map(piece) : [];
    const m = single.length === 3 ? /^(.+):0$/.exec(single[0]) : null;
    const s = single.length === 3 ? /^(.+):0$/.exec(single[2]) : null;
    if (m && s && single[1] === '$A:0') {
      const cls = m[1];
      const sep = s[1];
      const want = [`${cls}:0`, '$A:0', `${sep}:0`, '$B:1', `${sep}:1`];
      if (pair.length === want.length && pair.every((x, i) => x === want[i])) {
        for (const t of [cls, sep]) if (!vocab.includes(t)) fail(`post_processor: ${JSON.stringify(t)} is not in the vocabulary`);
        return { cls, sep };
      }
    }
    return fail(`post_processor TemplateProcessing ${JSON.stringify(single.join(' '))} / ${JSON.stringify(pair.join(' '))} is not read by wgpt (only BERT's [CLS] $A [SEP] / [CLS] $A [SEP] $B:1 [SEP]:1)`);
  }
  return fail(`post_processor ${JSON.stringify(p.type)} is not read by wgpt with WordPiece (only BertProcessing, BERT-shaped TemplateProcessing or null)`);
}

const addedToken = (content: string, id: number) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });

/** wgpt's WordPiece as a Hugging Face tokenizer.json (pretty-printed like Hugging Face's `save`). */
export function wordPieceToHfJson(wp: WordPiece): string {
  const vocab: Record<string, number> = {};
  wp.vocab.forEach((t, i) => (vocab[t] = i));
  const n = wp.normalizerOptions;
  const lc = n ? (n.lowercase ?? true) : false;
  const doc = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: Object.entries(wp.specialTokens).sort((a, b) => a[1] - b[1]).map(([t, id]) => addedToken(t, id)),
    normalizer: n ? { type: 'BertNormalizer', clean_text: n.cleanText ?? true, handle_chinese_chars: n.handleChineseChars ?? true, strip_accents: n.stripAccents ?? null, lowercase: lc } : null,
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: wp.post ? { type: 'BertProcessing', sep: [wp.post.sep, wp.tokenToId(wp.post.sep)], cls: [wp.post.cls, wp.tokenToId(wp.post.cls)] } : null,
    decoder: { type: 'WordPiece', prefix: wp.prefix, cleanup: wp.cleanup },
    model: { type: 'WordPiece', unk_token: wp.unkToken, continuing_subword_prefix: wp.prefix, max_input_chars_per_word: wp.maxInputCharsPerWord, vocab },
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

/** A byte-level BPE read from a tokenizer.json, written back (vocabulary, merges in rank order, options, specials). */
export function hfByteLevelBpeToJson(t: HfByteLevelBpe): string {
  return JSON.stringify(t.toHfDoc(), null, 2) + '\n';
}

/**
 * wgpt's byte-level BPE as a Hugging Face tokenizer.json. wgpt merges any adjacent pair whose bytes form a token (rank =
 * that token's id) and takes a pre-token that is a token whole; Hugging Face merges only listed pairs. So every split
 * of every token into two tokens is listed, ordered by the resulting id, and ignore_merges is set: Hugging Face then
 * gives the same ids. Special tokens are added tokens (and in the vocabulary, as GPT-2's file has them).
 */
export function byteBpeToHfJson(bpe: ByteBpe): string {
  const n = bpe.vocabSize - Object.keys(bpe.specialTokens).length;
  const sym: string[] = [];
  const vocab: Record<string, number> = {};
  const byStr = new Map<string, number>();
  for (let id = 0; id < n; id++) {
    const s = bytesToSymbols(bpe.tokenBytes(id));
    sym.push(s);
    vocab[s] = id;
    byStr.set(s, id);
  }
  const merges: string[] = [];
  for (let id = 256; id < n; id++) {
    const s = sym[id];
    for (let k = 1; k < s.length; k++) if (byStr.has(s.slice(0, k)) && byStr.has(s.slice(k))) merges.push(`${s.slice(0, k)} ${s.slice(k)}`);
  }
  const specials = Object.entries(bpe.specialTokens).sort((a, b) => a[1] - b[1]);
  for (const [t, id] of specials) vocab[t] = id;
  const doc = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map(([t, id]) => addedToken(t, id)),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: true, vocab, merges },
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
