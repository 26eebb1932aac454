// The tokenizer API the rest of wgpt imports: the Tokenizer interface, the factory loadTokenizer(spec), and the
// building blocks (regex V1/V2, GPT-2 via js-tiktoken, our byte-level BPE and its trainer). Browser-safe: a BPE
// file path is read through Node's fs only when running under Node (process.getBuiltinModule, no static node: import).
// Leaves out: fetching tokenizer files over HTTP (the browser page passes the file text to parseBpeFile).
import type { Tokenizer } from './types.js';
import { SimpleTokenizer } from './simple.js';
import { Gpt2Tokenizer, gpt2Bpe } from './gpt2.js';
import { type ByteBpe, parseBpeFile } from './bpe.js';
import { WordPiece, parseVocabTxt } from './wordpiece.js';
import { hfTokenizerFromDoc, isHfTokenizerJson } from './hf-json.js';

export type { Tokenizer, EncodeOptions } from './types.js';
export { assertWellFormed } from './types.js';
export { SimpleTokenizer, buildSimpleVocab, simpleSplit, ENDOFTEXT, UNK } from './simple.js';
export { Gpt2Tokenizer, gpt2Bpe, gpt2TokenBytes, GPT2_VOCAB, GPT2_EOT } from './gpt2.js';
export { ByteBpe, parseBpeFile, bpeFromMergeIds, byteTokens, bytesToSymbols, symbolsToBytes, BYTE_ORDER, BYTE_CHAR, GPT2_PATTERN, MAX_VOCAB } from './bpe.js';
export { trainBpe, tokenSymbols, type TrainOptions, type TrainResult } from './train.js';
export { WordPiece, decodeWordPieces, cleanupTokenization, parseVocabTxt, COURSE_NORMALIZER, type WordPieceConfig, type Encoding, type FullEncodeOptions, type BatchOptions, type BatchEncoding, type TruncationStrategy } from './wordpiece.js';
export { trainWordPiece, DEFAULT_SPECIAL_TOKENS, type WordPieceTrainOptions, type WordPieceTrainResult } from './wordpiece-train.js';
export { bertNormalizer, bertPreTokenize, type BertNormalizerOptions } from './bert-text.js';
export { HfByteLevelBpe, BYTELEVEL_SPLIT_DIFFERS, type HfBpeConfig } from './hf-bpe.js';
export { parseHfTokenizerJson, hfTokenizerFromDoc, isHfTokenizerJson, wordPieceToHfJson, byteBpeToHfJson, hfByteLevelBpeToJson, type HfJsonTokenizer } from './hf-json.js';
export { HfTokenizer, type HfEncodeOptions, type AddedToken, type TruncationParams, type PaddingParams } from './hf/tokenizer.js';

export type TokenizerSpec = 'gpt2' | 'wgpt-gpt2' | 'simple-v1' | 'simple-v2' | (string & {});

export interface LoadOptions {
  /** corpus text the simple-* vocabularies are built from (required for simple-v1 / simple-v2) */
  vocabFrom?: string;
  /** the file's text (wgpt-bpe, Hugging Face tokenizer.json or vocab.txt), when the caller has it already (the browser); `spec` then only names it */
  bpeText?: string;
  /** vocab.txt only: lowercase (and strip accents) like an uncased BERT (default false: cased, the course's setting) */
  lowercase?: boolean;
}

/** Names that are not paths. */
export const TOKENIZER_NAMES = ['gpt2', 'wgpt-gpt2', 'simple-v1', 'simple-v2'] as const;

let gpt2: Gpt2Tokenizer | null = null;

/**
 * 'gpt2' → GPT-2 BPE via js-tiktoken; 'wgpt-gpt2' → our BPE encoder with GPT-2's ranks (same ids);
 * 'simple-v1' | 'simple-v2' → the course's regex tokenizers with the vocabulary of `opts.vocabFrom`;
 * anything else → a file read from that path (Node) or given as `opts.bpeText`: a wgpt-bpe file (src/tokenizer/bpe.ts),
 * a Hugging Face tokenizer.json (WordPiece or byte-level BPE, src/tokenizer/hf-json.ts), or a BERT vocab.txt (a path
 * ending in .txt; BertNormalizer without lowercasing unless `opts.lowercase`).
 */
export function loadTokenizer(spec: TokenizerSpec, opts: LoadOptions = {}): Tokenizer {
  if (typeof spec !== 'string' || spec === '') throw new Error(`tokenizer spec must be one of ${TOKENIZER_NAMES.join(', ')} or a BPE file path`);
  switch (spec) {
    case 'gpt2':
      gpt2 ??= new Gpt2Tokenizer();
      return gpt2;
    case 'wgpt-gpt2':
      return gpt2Bpe();
    case 'simple-v1':
    case 'simple-v2':
      if (typeof opts.vocabFrom !== 'string') throw new Error(`${spec} builds its vocabulary from a corpus: pass vocabFrom (CLI: --vocab-from FILE)`);
      return SimpleTokenizer.fromCorpus(opts.vocabFrom, spec === 'simple-v1' ? 1 : 2);
  }
  return parseTokenizerFile(opts.bpeText ?? readTextFile(spec), spec, opts);
}

/** A tokenizer file's text → tokenizer: vocab.txt (by its .txt name), Hugging Face tokenizer.json, or wgpt-bpe. */
export function parseTokenizerFile(text: string, source: string, opts: { lowercase?: boolean } = {}): Tokenizer {
  if (/\.txt$/i.test(source)) return vocabTxtTokenizer(text, source, opts.lowercase ?? false);
  if (/\.model$/i.test(source)) throw new Error(`${source}: SentencePiece .model files are not read by wgpt's tokenizer loader`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not valid JSON (${String((e as Error).message).split('\n')[0]})`);
  }
  if (isHfTokenizerJson(doc)) return hfTokenizerFromDoc(doc, source);
  return parseBpeFile(text, source);
}

/** BERT's vocab.txt as a WordPiece tokenizer (BertWordPieceTokenizer(vocab, lowercase)): [CLS]/[SEP] processing when both exist. */
export function vocabTxtTokenizer(text: string, source = 'vocab.txt', lowercase = false): WordPiece {
  return new WordPiece({ vocab: parseVocabTxt(text, source), normalizer: { cleanText: true, handleChineseChars: true, stripAccents: null, lowercase }, name: `wordpiece:${source}` });
}

/** Reads a UTF-8 text file under Node without a static node: import (this module is also bundled for the browser). */
function readTextFile(path: string): string {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.('node:fs') as { readFileSync(p: string): Uint8Array; existsSync(p: string): boolean } | undefined;
  if (!fs) throw new Error(`cannot read tokenizer file ${path} here: pass its text as bpeText (or use ${TOKENIZER_NAMES.join(', ')})`);
  if (!fs.existsSync(path)) throw new Error(`unknown tokenizer '${path}': not one of ${TOKENIZER_NAMES.join(', ')} and no such BPE file`);
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read tokenizer file ${path}: ${String((e as Error).message).split('\n')[0]}`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`tokenizer file ${path} is not valid UTF-8`);
  }
}

/** Is this a ByteBpe (our BPE: file-loaded, trained, or wgpt-gpt2)? */
export function isByteBpe(t: Tokenizer): t is ByteBpe {
  return typeof (t as ByteBpe).toFileText === 'function';
}
export { SentencePieceProcessor, parseSentencePieceModel, PieceType, type SentencePieceModel } from './sentencepiece.js';
export { MarianTokenizer, type MarianFiles } from './marian.js';
