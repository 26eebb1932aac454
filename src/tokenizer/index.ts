// The tokenizer API the rest of wgpt imports: the Tokenizer interface, readTokenizer (./load.ts: the one reading of a
// tokenizer reference — name, file or folder) and loadTokenizer, and the building blocks (regex V1/V2, GPT-2 via
// js-tiktoken, our byte-level BPE and its trainer, WordPiece, Hugging Face tokenizer.json in ./hf/, SentencePiece,
// Marian). Browser-safe: paths are read through src/gpu/files.ts (the browser passes file text or bytes instead).
// Leaves out: fetching tokenizer files over HTTP (src/hub and the page fetch, then hand over the bytes).
import type { Tokenizer } from './types.js';
import type { ByteBpe } from './bpe.js';
import { WordPiece, parseVocabTxt } from './wordpiece.js';
import { TOKENIZER_NAMES, readTokenizer, tokenizerFromFileText } from './load.js';

export type { Tokenizer, EncodeOptions, FullTokenizer } from './types.js';
export { assertWellFormed, isFullTokenizer } from './types.js';
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

export { readTokenizer, tokenizerFromFolderFiles, tokenizerFromFileText, tokenizerJsonFromFiles, vocabTxtTokenizerFromFiles, TOKENIZER_NAMES, MARIAN_FILES, type FileGetter, type ReadTokenizerOptions } from './load.js';

export type TokenizerSpec = 'gpt2' | 'wgpt-gpt2' | 'simple-v1' | 'simple-v2' | (string & {});

export interface LoadOptions {
  /** corpus text the simple-* vocabularies are built from (required for simple-v1 / simple-v2) */
  vocabFrom?: string;
  /** the file's text (wgpt-bpe, Hugging Face tokenizer.json or vocab.txt), when the caller has it already (the browser); `spec` then only names it */
  bpeText?: string;
  /** vocab.txt only: lowercase (and strip accents) or not, whatever tokenizer_config.json says (default: its do_lower_case, else true as BertTokenizer) */
  lowercase?: boolean;
}

/**
 * readTokenizer (./load.ts) with the file's text given (`opts.bpeText`, the browser) or read from the path `spec`:
 * a name, a tokenizer.json / wgpt-bpe / vocab.txt file, or a folder. simple-* take their corpus as `opts.vocabFrom`.
 */
export function loadTokenizer(spec: TokenizerSpec, opts: LoadOptions = {}): Tokenizer {
  if (opts.bpeText !== undefined && !(TOKENIZER_NAMES as readonly string[]).includes(spec)) return parseTokenizerFile(opts.bpeText, spec, opts);
  return readTokenizer(spec, { vocabText: opts.vocabFrom, lowercase: opts.lowercase });
}

/** A tokenizer file's text → tokenizer: vocab.txt (by its .txt name; lowercased unless `opts.lowercase` is false), Hugging Face tokenizer.json, or wgpt-bpe. */
export function parseTokenizerFile(text: string, source: string, opts: { lowercase?: boolean } = {}): Tokenizer {
  return tokenizerFromFileText(text, source, opts);
}

/** BERT's vocab.txt as a WordPiece tokenizer (BertWordPieceTokenizer(vocab, lowercase)): [CLS]/[SEP] processing when both exist. */
export function vocabTxtTokenizer(text: string, source = 'vocab.txt', lowercase = false): WordPiece {
  return new WordPiece({ vocab: parseVocabTxt(text, source), normalizer: { cleanText: true, handleChineseChars: true, stripAccents: null, lowercase }, name: `wordpiece:${source}` });
}

/** Is this a ByteBpe (our BPE: file-loaded, trained, or wgpt-gpt2)? */
export function isByteBpe(t: Tokenizer): t is ByteBpe {
  return typeof (t as ByteBpe).toFileText === 'function';
}
export { SentencePieceProcessor, parseSentencePieceModel, PieceType, type SentencePieceModel } from './sentencepiece.js';
export { MarianTokenizer, type MarianFiles } from './marian.js';
