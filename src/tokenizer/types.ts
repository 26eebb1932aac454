// The interface every wgpt tokenizer implements (regex V1/V2, GPT-2 via js-tiktoken, our byte-level BPE),
// plus the checks they share: well-formed text, special tokens allowed or not. Browser-safe (no node: imports).
// Leaves out: normalisation (NFC etc.), pre-tokenizers other than the ones each tokenizer names.

import type { BatchEncoding, BatchOptions, Encoding } from './wordpiece.js';

export interface EncodeOptions {
  /** special tokens that may appear in the text and become their ids; others present in the text are an error */
  allowedSpecial?: 'all' | string[];
}

export interface Tokenizer {
  /** 'gpt2' | 'simple-v1' | 'simple-v2' | 'bpe:<name or file>' */
  name: string;
  /** number of ids: every id the tokenizer can produce is in [0, vocabSize) */
  vocabSize: number;
  encode(text: string, opts?: EncodeOptions): number[];
  /** ids outside the vocabulary are an error naming the id */
  decode(ids: ArrayLike<number>): string;
  /** id of <|endoftext|> when the vocabulary has it */
  eotId?: number;
  /** special token strings → ids (what `allowedSpecial` refers to); used by streaming tokenization to never cut through one */
  specialTokens?: Record<string, number>;
  /** tokenizer_config.json's model_max_length, when the tokenizer was read from a folder that has one */
  modelMaxLength?: number;
}

/**
 * A tokenizer with Hugging Face's `encode(a, b)` / `encode_batch`: special tokens from its post-processor, type ids,
 * attention and special-token masks, truncation and padding (WordPiece, every tokenizer read from a tokenizer.json).
 */
export interface FullTokenizer extends Tokenizer {
  encodeFull(a: string, b?: string | null, opts?: { addSpecialTokens?: boolean }): Encoding;
  encodeBatch(inputs: (string | [string, string])[], opts?: BatchOptions): BatchEncoding;
  /** special tokens the post-processor adds to one sequence (false) or a pair (true) */
  numSpecialTokensToAdd(pair: boolean): number;
}

/** Does this tokenizer have encodeFull / encodeBatch (FullTokenizer)? */
export function isFullTokenizer(t: Tokenizer): t is FullTokenizer {
  const f = t as Partial<FullTokenizer>;
  return typeof f.encodeFull === 'function' && typeof f.encodeBatch === 'function' && typeof f.numSpecialTokensToAdd === 'function';
}

/** Throws when `text` holds a lone UTF-16 surrogate (such a string is not valid Unicode and has no UTF-8 form). */
export function assertWellFormed(text: string): void {
  const wf = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;
  if (wf && wf.call(text)) return;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    throw new Error(`text holds a lone UTF-16 surrogate 0x${c.toString(16)} at index ${i}: not valid Unicode, cannot be encoded`);
  }
}

/**
 * Resolves `allowedSpecial` against a tokenizer's specials and checks the text: a special token that occurs in the
 * text but is not allowed is an error naming it and its position. Returns the allowed set.
 */
export function allowedSpecialSet(text: string, specials: Record<string, number>, opt: EncodeOptions['allowedSpecial'], tokName: string): Set<string> {
  const all = Object.keys(specials);
  let allowed: Set<string>;
  if (opt === 'all') allowed = new Set(all);
  else if (opt === undefined) allowed = new Set();
  else if (Array.isArray(opt)) {
    for (const s of opt) {
      if (typeof s !== 'string' || !(s in specials)) throw new Error(`allowedSpecial: ${JSON.stringify(s)} is not a special token of ${tokName} (it has ${all.map((x) => JSON.stringify(x)).join(', ') || 'none'})`);
    }
    allowed = new Set(opt);
  } else throw new Error(`allowedSpecial must be 'all' or an array of special token strings, got ${JSON.stringify(opt)}`);
  for (const s of all) {
    if (allowed.has(s)) continue;
    const at = text.indexOf(s);
    if (at >= 0) {
      throw new Error(`the text contains the special token ${s} at index ${at}, which is not allowed: pass allowedSpecial 'all' (CLI: --allowed-special all) to encode it as id ${specials[s]}, or remove it`);
    }
  }
  return allowed;
}

/** Escapes a string for use inside a RegExp. */
export function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** Checks that `ids` is a list of integers in [0, vocabSize); the error names the first bad one and its index. */
export function checkIds(ids: ArrayLike<number>, vocabSize: number, tokName: string): void {
  if (ids == null || typeof ids !== 'object' || typeof (ids as { length?: unknown }).length !== 'number') throw new Error(`decode: expected an array of token ids, got ${typeof ids}`);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new Error(`decode: token id ${JSON.stringify(id)} at index ${i} is not in ${tokName}'s vocabulary [0, ${vocabSize})`);
  }
}
