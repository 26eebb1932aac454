// Node-only tokenizer helpers: load a tokenizer file (wgpt-bpe, Hugging Face tokenizer.json, vocab.txt) from a path, save one atomically (temp file + rename), and resolve
// a tokenizer spec the way the CLI does (simple-* vocabularies read from a corpus file). Leaves out: the tokenizers
// themselves (browser-safe modules next to this one).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../io/atomic.js';
import { type ByteBpe, parseBpeFile } from './bpe.js';
import { decodeUtf8Strict } from '../util/utf8.js';
import { type EncodeOptions, type Tokenizer, loadTokenizer, parseTokenizerFile, TOKENIZER_NAMES } from './index.js';

/** The course corpus bundled with wgpt (src/data/the-verdict.txt). */
export const BUNDLED_CORPUS = fileURLToPath(new URL('../data/the-verdict.txt', import.meta.url));

function readStrict(path: string): string {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${String((e as Error).message).split('\n')[0]}`);
  }
  return decodeUtf8Strict(bytes, path);
}

/**
 * Tokenizer from a spec (default 'gpt2'): a name, or a wgpt-bpe file path. simple-* build their vocabulary from
 * `vocabFrom` (a corpus path), else `fallbackCorpus`, else the bundled the-verdict.txt.
 */
export function tokenizerFromSpec(spec = 'gpt2', opts: { vocabFrom?: string; fallbackCorpus?: string } = {}): Tokenizer {
  if (spec === 'simple-v1' || spec === 'simple-v2') {
    return loadTokenizer(spec, { vocabFrom: readStrict(opts.vocabFrom ?? opts.fallbackCorpus ?? BUNDLED_CORPUS) });
  }
  if (opts.vocabFrom !== undefined) throw new Error('a vocabulary corpus (--vocab-from) only applies to simple-v1 / simple-v2');
  if ((TOKENIZER_NAMES as readonly string[]).includes(spec)) return loadTokenizer(spec);
  if (!existsSync(spec)) throw new Error(`unknown tokenizer '${spec}': not one of ${TOKENIZER_NAMES.join(', ')} and no such tokenizer file`);
  return loadTokenizerFile(spec);
}

/** The CLI's --allowed-special value: 'all', 'none', or TOKEN[,TOKEN…]; undefined → `def`. */
export function parseAllowedSpecial(flag: string | undefined, def?: EncodeOptions['allowedSpecial']): EncodeOptions['allowedSpecial'] {
  if (flag === undefined) return def;
  if (flag === 'all') return 'all';
  if (flag === 'none' || flag === '') return [];
  return flag.split(',');
}

/** Reads and validates a wgpt-bpe file; errors name the file. */
export function loadBpeFile(path: string): ByteBpe {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read BPE file ${path}: ${String((e as Error).message).split('\n')[0]}`);
  }
  return parseBpeFile(decodeUtf8Strict(bytes, path), path);
}

/** Reads a tokenizer file: Hugging Face tokenizer.json (WordPiece, byte-level BPE), BERT vocab.txt, or wgpt-bpe. */
export function loadTokenizerFile(path: string, opts: { lowercase?: boolean } = {}): Tokenizer {
  return parseTokenizerFile(readStrict(path), path, opts);
}

/** Writes `bpe` as a wgpt-bpe file, atomically. */
export function saveBpeFile(path: string, bpe: ByteBpe, name?: string): void {
  writeFileAtomic(path, bpe.toFileText(name));
}
