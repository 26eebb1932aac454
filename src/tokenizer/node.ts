// Node-only tokenizer helpers: load a tokenizer file (wgpt-bpe, Hugging Face tokenizer.json, vocab.txt) from a path, save one atomically (temp file + rename), and resolve
// a tokenizer spec the way the CLI does (simple-* vocabularies read from a corpus file). Leaves out: the tokenizers
// themselves (browser-safe modules next to this one).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WordPiece } from './wordpiece.js';
import { MarianTokenizer } from './marian.js';
import { writeFileAtomic } from '../io/atomic.js';
import { type ByteBpe, parseBpeFile } from './bpe.js';
import { decodeUtf8Strict } from '../util/utf8.js';
import { type EncodeOptions, type Tokenizer, loadTokenizer, parseTokenizerFile, TOKENIZER_NAMES } from './index.js';

/** The course corpus bundled with wgpt (src/data/the-verdict.txt). */
export const BUNDLED_CORPUS = fileURLToPath(new URL('../data/the-verdict.txt', import.meta.url));
/** The Korean corpus the WordPiece tokenizer is trained on (src/data/debian-faq-ko.txt; notice and provenance in src/data/README.md). */
export const KOREAN_CORPUS = fileURLToPath(new URL('../data/debian-faq-ko.txt', import.meta.url));

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
  if (isMarianFolder(spec)) return loadMarianFolder(spec);
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

/**
 * Reads a tokenizer file: Hugging Face tokenizer.json (WordPiece, byte-level BPE), BERT vocab.txt, or wgpt-bpe. A
 * vocab.txt is cased unless `opts.lowercase`, or a tokenizer_config.json beside it says "do_lower_case": true.
 */
export function loadTokenizerFile(path: string, opts: { lowercase?: boolean } = {}): Tokenizer {
  let lowercase = opts.lowercase;
  if (lowercase === undefined && /\.txt$/i.test(path)) {
    const cfg = join(dirname(path), 'tokenizer_config.json');
    if (existsSync(cfg)) {
      try {
        lowercase = (JSON.parse(readStrict(cfg)) as { do_lower_case?: unknown }).do_lower_case === true;
      } catch (e) {
        throw new Error(`${cfg}: not valid JSON (${String((e as Error).message).split('\n')[0]})`);
      }
    }
  }
  return parseTokenizerFile(readStrict(path), path, { lowercase });
}

/** Marian's tokenizer files in a model folder (MarianTokenizer's source_spm, target_spm, vocab). */
export const MARIAN_FILES = { source: 'source.spm', target: 'target.spm', vocab: 'vocab.json' } as const;

/** Whether `dir` is a folder with Marian's tokenizer (source.spm and vocab.json; target.spm defaults to source.spm). */
export function isMarianFolder(dir: string): boolean {
  return existsSync(dir) && statSync(dir).isDirectory() && existsSync(join(dir, MARIAN_FILES.source)) && existsSync(join(dir, MARIAN_FILES.vocab));
}

/** MarianTokenizer from a folder's source.spm, target.spm (if present) and vocab.json; errors are one line naming the file. */
export function loadMarianFolder(dir: string): MarianTokenizer {
  const read = (name: string) => {
    try {
      return readFileSync(join(dir, name));
    } catch (e) {
      throw new Error(`cannot read ${join(dir, name)}: ${String((e as Error).message).split('\n')[0]}`);
    }
  };
  const target = existsSync(join(dir, MARIAN_FILES.target)) ? read(MARIAN_FILES.target) : undefined;
  return new MarianTokenizer({ source: read(MARIAN_FILES.source), target, vocabJson: decodeUtf8Strict(read(MARIAN_FILES.vocab), join(dir, MARIAN_FILES.vocab)), where: dir });
}

/** A WordPiece from a tokenizer.json or vocab.txt path (a folder: its tokenizer.json, else its vocab.txt); other kinds are an error. */
export function loadWordPiece(path: string, opts: { lowercase?: boolean } = {}): WordPiece {
  let p = path;
  if (existsSync(p) && statSync(p).isDirectory()) {
    p = existsSync(join(path, 'tokenizer.json')) ? join(path, 'tokenizer.json') : join(path, 'vocab.txt');
    if (!existsSync(p)) throw new Error(`${path}: no tokenizer.json or vocab.txt in this folder`);
  }
  const t = loadTokenizerFile(p, opts);
  if (!(t instanceof WordPiece)) throw new Error(`${p}: not a WordPiece tokenizer (it is ${t.name})`);
  return t;
}

/** Writes `bpe` as a wgpt-bpe file, atomically. */
export function saveBpeFile(path: string, bpe: ByteBpe, name?: string): void {
  writeFileAtomic(path, bpe.toFileText(name));
}
