// Which tokenizer a model's files carry (browser-safe, over a FileSource): the tokenizer module's folder loader
// (src/tokenizer/load.ts tokenizerFromFolderFiles: Marian's spm files, tokenizer.json, vocab.txt with
// tokenizer_config.json / special_tokens_map.json as BertTokenizer reads them), plus GPT-2's own vocab.json +
// merges.txt read as GPT-2's ranks. The one place the loader asks for a model's tokenizer.
// Leaves out: the tokenizer kinds themselves (src/tokenizer/).
import type { FileSource } from './files.js';
import { readJson } from './files.js';
import { type Tokenizer, loadTokenizer } from '../tokenizer/index.js';
import { tokenizerFromFolderFiles } from '../tokenizer/index.js';

/** Tokenizer files a Hub model may carry (downloaded beside the weights when present). */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json', 'vocab.txt', 'vocab.json', 'merges.txt', 'source.spm', 'target.spm'] as const;

/**
 * The tokenizer a model's files carry, or null when they carry none (no tokenizer.json, vocab.txt, Marian files or
 * GPT-2 vocabulary). A repository with only GPT-2's vocab.json + merges.txt (50,257 entries) reads as js-tiktoken's GPT-2.
 */
export function tokenizerOfSource(src: FileSource): Tokenizer | null {
  const marian = src.has('source.spm') && src.has('vocab.json');
  if (!src.has('tokenizer.json') && !src.has('vocab.txt') && !marian) {
    if (!src.has('vocab.json') || !src.has('merges.txt')) return null;
    const v = readJson(src, 'vocab.json') as Record<string, unknown> | null;
    if (v && typeof v === 'object' && Object.keys(v).length === 50257 && v['<|endoftext|>'] === 50256) return loadTokenizer('gpt2');
    throw new Error(`${src.where}: vocab.json + merges.txt other than GPT-2's are read only beside a tokenizer.json; give --tokenizer FILE`);
  }
  return tokenizerFromFolderFiles((name) => (src.has(name) ? src.read(name) : null), src.where);
}
