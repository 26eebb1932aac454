// Node-side tokenizer helpers: the bundled corpora's paths, the CLI's spec reading (tokenizerFromSpec: readTokenizer
// with simple-* corpora read from a path), files by path, saving a wgpt-bpe file atomically. Reads and writes go
// through src/gpu/files.ts (no node: import anywhere in src/tokenizer). Leaves out: the tokenizers themselves (browser-safe modules next to this one).
import { WordPiece } from './wordpiece.js';
import { MarianTokenizer } from './marian.js';
import { type ByteBpe, parseBpeFile } from './bpe.js';
import { decodeUtf8Strict } from '../util/utf8.js';
import { joinPath, pathKind, readFileBytes, urlToPath, writeFileAtomic } from '../gpu/files.js';
import type { EncodeOptions, Tokenizer } from './types.js';
import { MARIAN_FILES, TOKENIZER_NAMES, readTokenizer, tokenizerFromFolderFiles } from './load.js';

export { MARIAN_FILES } from './load.js';

/** The course corpus bundled with wgpt (src/data/the-verdict.txt). */
export const BUNDLED_CORPUS = urlToPath(new URL('../data/the-verdict.txt', import.meta.url));
/** The Korean corpus the WordPiece tokenizer is trained on (src/data/debian-faq-ko.txt; notice and provenance in src/data/README.md). */
export const KOREAN_CORPUS = urlToPath(new URL('../data/debian-faq-ko.txt', import.meta.url));

function readStrict(path: string): string {
  return decodeUtf8Strict(readFileBytes(path), path);
}

/**
 * The CLI's `--tokenizer SPEC` (default 'gpt2'): readTokenizer (src/tokenizer/load.ts) — a name, a file or a folder —
 * with simple-* building their vocabulary from `vocabFrom` (a corpus path), else `fallbackCorpus`, else the bundled
 * the-verdict.txt.
 */
export function tokenizerFromSpec(spec = 'gpt2', opts: { vocabFrom?: string; fallbackCorpus?: string } = {}): Tokenizer {
  if (spec === 'simple-v1' || spec === 'simple-v2') return readTokenizer(spec, { vocabText: readStrict(opts.vocabFrom ?? opts.fallbackCorpus ?? BUNDLED_CORPUS) });
  if (opts.vocabFrom !== undefined) throw new Error('a vocabulary corpus (--vocab-from) only applies to simple-v1 / simple-v2');
  if (!(TOKENIZER_NAMES as readonly string[]).includes(spec) && pathKind(spec) === null) throw new Error(`unknown tokenizer '${spec}': not one of ${TOKENIZER_NAMES.join(', ')} and no such tokenizer file or folder`);
  return readTokenizer(spec);
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
    bytes = readFileBytes(path);
  } catch (e) {
    throw new Error(`cannot read BPE file ${path}: ${String((e as Error).message).replace(`${path}: `, '').split('\n')[0]}`);
  }
  return parseBpeFile(decodeUtf8Strict(bytes, path), path);
}

/**
 * Reads a tokenizer file or folder (readTokenizer): Hugging Face tokenizer.json, BERT vocab.txt, or wgpt-bpe. A
 * vocab.txt is lowercased as BertTokenizer does — unless `opts.lowercase` is false or a tokenizer_config.json beside it
 * says "do_lower_case": false.
 */
export function loadTokenizerFile(path: string, opts: { lowercase?: boolean } = {}): Tokenizer {
  if (pathKind(path) === null) throw new Error(`cannot read ${path}: no such file or folder`);
  return readTokenizer(path, { lowercase: opts.lowercase });
}

/** Whether `dir` is a folder with Marian's tokenizer (source.spm and vocab.json; target.spm defaults to source.spm). */
export function isMarianFolder(dir: string): boolean {
  return pathKind(dir) === 'dir' && pathKind(joinPath(dir, MARIAN_FILES.source)) === 'file' && pathKind(joinPath(dir, MARIAN_FILES.vocab)) === 'file';
}

/** MarianTokenizer from a folder's source.spm, target.spm (if present) and vocab.json; errors are one line naming the file. */
export function loadMarianFolder(dir: string): MarianTokenizer {
  const get = (name: string) => (name === 'tokenizer.json' || name === 'vocab.txt' || pathKind(joinPath(dir, name)) !== 'file' ? null : readFileBytes(joinPath(dir, name)));
  const t = tokenizerFromFolderFiles(get, dir);
  if (!(t instanceof MarianTokenizer)) throw new Error(`${dir}: no Marian tokenizer (${MARIAN_FILES.source} + ${MARIAN_FILES.vocab})`);
  return t;
}

/** A WordPiece from a tokenizer.json or vocab.txt path (a folder: its tokenizer.json, else its vocab.txt); other kinds are an error. */
export function loadWordPiece(path: string, opts: { lowercase?: boolean } = {}): WordPiece {
  if (pathKind(path) === null) throw new Error(`cannot read ${path}: no such file or folder`);
  if (pathKind(path) === 'dir' && pathKind(joinPath(path, 'tokenizer.json')) !== 'file' && pathKind(joinPath(path, 'vocab.txt')) !== 'file') throw new Error(`${path}: no tokenizer.json or vocab.txt in this folder`);
  const t = readTokenizer(path, { lowercase: opts.lowercase });
  if (!(t instanceof WordPiece)) throw new Error(`${path}: not a WordPiece tokenizer (it is ${t.name})`);
  return t;
}

/** Writes `bpe` as a wgpt-bpe file, atomically. */
export function saveBpeFile(path: string, bpe: ByteBpe, name?: string): void {
  writeFileAtomic(path, bpe.toFileText(name));
}
