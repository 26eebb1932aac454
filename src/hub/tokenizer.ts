// Which tokenizer a model's files carry, read through the tokenizer module (browser-safe, over a FileSource): Marian's
// source.spm/target.spm/vocab.json, a tokenizer.json, BERT's vocab.txt (+ tokenizer_config.json's do_lower_case,
// true by default as in BertTokenizer), or GPT-2's vocab.json + merges.txt (GPT-2's own ranks). The one place the
// loader asks for a model's tokenizer. Leaves out: the tokenizer kinds themselves (src/tokenizer/).
import type { FileSource } from './files.js';
import { join, readJson, readText } from './files.js';
import { type Tokenizer, MarianTokenizer, loadTokenizer, parseTokenizerFile, vocabTxtTokenizer } from '../tokenizer/index.js';

/** Tokenizer files a Hub model may carry (downloaded beside the weights when present). */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json', 'vocab.txt', 'vocab.json', 'merges.txt', 'source.spm', 'target.spm'] as const;

/** Whether the source holds Marian's tokenizer (source.spm and vocab.json; target.spm defaults to source.spm). */
export function hasMarianFiles(src: FileSource): boolean {
  return src.has('source.spm') && src.has('vocab.json');
}

/** do_lower_case as BertTokenizer reads it: tokenizer_config.json's value, true when absent. */
export function doLowerCase(src: FileSource): boolean {
  if (!src.has('tokenizer_config.json')) return true;
  const j = readJson(src, 'tokenizer_config.json') as Record<string, unknown> | null;
  const v = j && typeof j === 'object' ? j.do_lower_case : undefined;
  if (v === undefined) return true;
  if (typeof v !== 'boolean') throw new Error(`${join(src.where, 'tokenizer_config.json')}: do_lower_case must be true or false`);
  return v;
}

/**
 * The tokenizer a model's files carry, or null when they carry none. Preference: Marian files, tokenizer.json,
 * vocab.txt, GPT-2's vocab.json + merges.txt (read as js-tiktoken's GPT-2 when it is GPT-2's 50,257-entry vocabulary).
 */
export function tokenizerOfSource(src: FileSource): Tokenizer | null {
  if (hasMarianFiles(src)) {
    const target = src.has('target.spm') ? src.read('target.spm') : undefined;
    return new MarianTokenizer({ source: src.read('source.spm'), target, vocabJson: readText(src, 'vocab.json'), where: src.where });
  }
  if (src.has('tokenizer.json')) return parseTokenizerFile(readText(src, 'tokenizer.json'), join(src.where, 'tokenizer.json'));
  if (src.has('vocab.txt')) return vocabTxtTokenizer(readText(src, 'vocab.txt'), join(src.where, 'vocab.txt'), doLowerCase(src));
  if (src.has('vocab.json') && src.has('merges.txt')) {
    const v = readJson(src, 'vocab.json') as Record<string, unknown>;
    if (v && typeof v === 'object' && Object.keys(v).length === 50257 && v['<|endoftext|>'] === 50256) return loadTokenizer('gpt2');
    throw new Error(`${src.where}: vocab.json + merges.txt other than GPT-2's are not read; give a tokenizer.json (--tokenizer FILE)`);
  }
  return null;
}
