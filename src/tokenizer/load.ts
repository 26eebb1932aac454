// The one reading of a tokenizer reference (`--tokenizer`, the hub loader, the library): a name (gpt2, wgpt-gpt2,
// simple-v1/v2), a file (tokenizer.json, a wgpt-bpe file, BERT's vocab.txt), or a folder as Hugging Face saves one —
// tokenizer.json, else vocab.txt (+ tokenizer_config.json, special_tokens_map.json) as BertTokenizer reads them, else
// Marian's source.spm / target.spm / vocab.json. The folder logic works on a file getter, so the browser (fetch) and
// the hub (a cache snapshot) use it too; paths are read through src/gpu/files.ts. Browser-safe.
// Leaves out: slow-tokenizer extras (added_tokens.json is refused by name), SentencePiece-only folders without a
// tokenizer.json (other than Marian's), tokenizer_config.json settings other than those named below.
import type { Tokenizer } from './types.js';
import { SimpleTokenizer } from './simple.js';
import { Gpt2Tokenizer, gpt2Bpe } from './gpt2.js';
import { parseBpeFile } from './bpe.js';
import { parseVocabTxt } from './wordpiece.js';
import { hfTokenizerFromDoc, isHfTokenizerJson } from './hf-json.js';
import { MarianTokenizer } from './marian.js';
import { decodeUtf8Strict } from '../util/utf8.js';
import { dirName, joinPath, pathKind, readFileBytes } from '../gpu/files.js';

/** Names that are not paths. */
export const TOKENIZER_NAMES = ['gpt2', 'wgpt-gpt2', 'simple-v1', 'simple-v2'] as const;

/** A folder's file by name → its bytes, or null when the folder has no such file. */
export type FileGetter = (name: string) => Uint8Array | null;

export interface ReadTokenizerOptions {
  /** simple-v1 / simple-v2: the corpus text their vocabulary is built from */
  vocabText?: string;
  /** vocab.txt: lowercase (and strip accents) regardless of tokenizer_config.json's do_lower_case */
  lowercase?: boolean;
}

/** Marian's tokenizer files (MarianTokenizer's source_spm, target_spm, vocab). */
export const MARIAN_FILES = { source: 'source.spm', target: 'target.spm', vocab: 'vocab.json' } as const;

let gpt2: Gpt2Tokenizer | null = null;

const text = (bytes: Uint8Array, where: string) => decodeUtf8Strict(bytes, where);

function parseJson(bytes: Uint8Array, where: string): unknown {
  try {
    return JSON.parse(text(bytes, where));
  } catch (e) {
    const m = String((e as Error).message).split('\n')[0];
    throw new Error(m.startsWith(where) ? m : `${where}: not valid JSON (${m})`);
  }
}

/** tokenizer_config.json / special_tokens_map.json token entries are strings or {"content": …} objects. */
function tokenName(x: unknown): string | undefined {
  if (typeof x === 'string') return x;
  if (x && typeof x === 'object' && typeof (x as { content?: unknown }).content === 'string') return (x as { content: string }).content;
  return undefined;
}

type Cfg = Record<string, unknown>;

/** model_max_length as transformers writes it (a huge number when unset) → a length, or undefined */
function maxLength(cfg: Cfg): number | undefined {
  const m = cfg.model_max_length;
  return typeof m === 'number' && Number.isInteger(m) && m > 0 && m < 1e9 ? m : undefined;
}

/**
 * BERT's vocab.txt as transformers' BertTokenizer (and its fast converter) reads it: BertNormalizer with do_lower_case
 * (default true), tokenize_chinese_chars (default true) and strip_accents (default: follows lowercasing), the
 * BertPreTokenizer, WordPiece with the unk token, [CLS] A [SEP] / [CLS] A [SEP] B [SEP] when both exist, the
 * WordPiece decoder. Token names come from tokenizer_config.json, then special_tokens_map.json, then BERT's defaults.
 */
export function vocabTxtTokenizerFromFiles(vocabText: string, where: string, cfg: Cfg = {}, map: Cfg = {}, lowercase?: boolean): Tokenizer {
  const vocab = parseVocabTxt(vocabText, where);
  const ids = new Map(vocab.map((t, i) => [t, i]));
  const role = (k: string, def: string) => tokenName(cfg[k]) ?? tokenName(map[k]) ?? def;
  const unk = role('unk_token', '[UNK]');
  const cls = role('cls_token', '[CLS]');
  const sep = role('sep_token', '[SEP]');
  const pad = role('pad_token', '[PAD]');
  const mask = role('mask_token', '[MASK]');
  const bool = (k: string): boolean | null => (typeof cfg[k] === 'boolean' ? (cfg[k] as boolean) : null);
  const lower = lowercase ?? bool('do_lower_case') ?? true;
  const specials = [...new Set([pad, unk, cls, sep, mask])].filter((t) => ids.has(t)).sort((a, b) => ids.get(a)! - ids.get(b)!);
  const doc = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((t) => ({ id: ids.get(t)!, content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: bool('tokenize_chinese_chars') ?? true, strip_accents: lowercase !== undefined ? null : bool('strip_accents'), lowercase: lower },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor:
      ids.has(cls) && ids.has(sep)
        ? {
            type: 'TemplateProcessing',
            single: [{ SpecialToken: { id: cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: sep, type_id: 0 } }],
            pair: [{ SpecialToken: { id: cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: sep, type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: sep, type_id: 1 } }],
            special_tokens: { [cls]: { id: cls, ids: [ids.get(cls)], tokens: [cls] }, [sep]: { id: sep, ids: [ids.get(sep)], tokens: [sep] } },
          }
        : null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: unk, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(ids) },
  };
  const tok = hfTokenizerFromDoc(doc, where);
  const m = maxLength(cfg);
  if (m !== undefined) tok.modelMaxLength = m;
  return tok;
}

/**
 * A tokenizer.json with its folder's tokenizer_config.json: model_max_length, and for BERT tokenizers the
 * do_lower_case / strip_accents / tokenize_chinese_chars that transformers' BertTokenizerFast writes over the file's
 * BertNormalizer.
 */
export function tokenizerJsonFromFiles(json: string, where: string, cfg: Cfg = {}): Tokenizer {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    throw new Error(`${where}: not valid JSON (${String((e as Error).message).split('\n')[0]})`);
  }
  const d = doc as Record<string, unknown>;
  const n = d && typeof d === 'object' ? (d.normalizer as Record<string, unknown> | null) : null;
  if (/^BertTokenizer(Fast)?$/.test(String(cfg.tokenizer_class)) && n && n.type === 'BertNormalizer') {
    const over: [string, string][] = [['do_lower_case', 'lowercase'], ['strip_accents', 'strip_accents'], ['tokenize_chinese_chars', 'handle_chinese_chars']];
    const nn = { ...n };
    for (const [ck, nk] of over) if (typeof cfg[ck] === 'boolean' || (ck === 'strip_accents' && cfg[ck] === null)) nn[nk] = cfg[ck];
    d.normalizer = nn;
  }
  const tok = hfTokenizerFromDoc(d, where, JSON.stringify(d) === json ? json : undefined);
  const m = maxLength(cfg);
  if (m !== undefined) tok.modelMaxLength = m;
  return tok;
}

/**
 * The tokenizer of a folder as transformers' AutoTokenizer reads it, from a file getter: Marian's source.spm +
 * vocab.json (+ target.spm) when tokenizer_config.json names MarianTokenizer; else tokenizer.json (with
 * tokenizer_config.json); else Marian's files; else vocab.txt (with tokenizer_config.json and special_tokens_map.json:
 * BertTokenizer). `where` names the folder in errors. Browser-safe.
 */
export function tokenizerFromFolderFiles(get: FileGetter, where: string, opts: ReadTokenizerOptions = {}): Tokenizer {
  const at = (name: string) => (where === '' ? name : joinPath(where, name));
  const cfgBytes = get('tokenizer_config.json');
  const cfg = (cfgBytes ? parseJson(cfgBytes, at('tokenizer_config.json')) : {}) as Cfg;
  // MarianTokenizer has no fast version: transformers reads its spm files even when a tokenizer.json lies beside them
  const marian = () => {
    const src = get(MARIAN_FILES.source);
    const mv = get(MARIAN_FILES.vocab);
    return src && mv ? new MarianTokenizer({ source: src, target: get(MARIAN_FILES.target) ?? undefined, vocabJson: text(mv, at(MARIAN_FILES.vocab)), where }) : null;
  };
  if (cfg.tokenizer_class === 'MarianTokenizer') {
    const m = marian();
    if (m) return m;
  }
  const tj = get('tokenizer.json');
  if (tj) return tokenizerJsonFromFiles(text(tj, at('tokenizer.json')), at('tokenizer.json'), cfg);
  const m = marian();
  if (m) return m;
  const vt = get('vocab.txt');
  if (vt) {
    if (get('added_tokens.json')) throw new Error(`${at('added_tokens.json')}: a slow tokenizer's added tokens are not read by wgpt (save the tokenizer with a tokenizer.json)`);
    const mb = get('special_tokens_map.json');
    const map = (mb ? parseJson(mb, at('special_tokens_map.json')) : {}) as Cfg;
    return vocabTxtTokenizerFromFiles(text(vt, at('vocab.txt')), at('vocab.txt'), cfg, map, opts.lowercase);
  }
  const other = ['spiece.model', 'sentencepiece.bpe.model', 'tokenizer.model', 'vocab.json', 'merges.txt'].filter((f) => get(f));
  throw new Error(`${where}: no tokenizer.json, vocab.txt or Marian source.spm + vocab.json${other.length ? ` (it has ${other.join(', ')}, which wgpt reads only beside a tokenizer.json)` : ''}`);
}

/** A single tokenizer file's text by its name: vocab.txt (by a .txt name), a Hugging Face tokenizer.json, or a wgpt-bpe file. */
export function tokenizerFromFileText(fileText: string, source: string, opts: ReadTokenizerOptions & { config?: Cfg; specialTokensMap?: Cfg } = {}): Tokenizer {
  if (/\.txt$/i.test(source)) return vocabTxtTokenizerFromFiles(fileText, source, opts.config, opts.specialTokensMap, opts.lowercase);
  if (/\.(model|spm)$/i.test(source)) throw new Error(`${source}: SentencePiece .model files are not read by wgpt's tokenizer loader (a Marian folder's source.spm is: give the folder)`);
  let doc: unknown;
  try {
    doc = JSON.parse(fileText);
  } catch (e) {
    throw new Error(`${source}: not valid JSON (${String((e as Error).message).split('\n')[0]})`);
  }
  if (isHfTokenizerJson(doc)) return tokenizerJsonFromFiles(fileText, source, opts.config);
  return parseBpeFile(fileText, source);
}

/**
 * The one reading of a tokenizer reference, for every command and the library:
 *  - 'gpt2' (js-tiktoken), 'wgpt-gpt2' (wgpt's encoder, same ids), 'simple-v1' / 'simple-v2' (the course's regex
 *    tokenizers, vocabulary from `opts.vocabText`);
 *  - a folder: tokenizerFromFolderFiles (tokenizer.json, else vocab.txt as BertTokenizer, else Marian's files);
 *  - a file: tokenizer.json or wgpt-bpe JSON, or a vocab.txt — with the tokenizer_config.json and
 *    special_tokens_map.json beside it, as if its folder had been given (a vocab.txt is lowercased unless
 *    do_lower_case is false, as BertTokenizer).
 * Errors are one line naming the reference and the problem.
 */
export function readTokenizer(ref: string, opts: ReadTokenizerOptions = {}): Tokenizer {
  if (typeof ref !== 'string' || ref === '') throw new Error(`tokenizer spec must be one of ${TOKENIZER_NAMES.join(', ')}, a tokenizer file or a folder`);
  switch (ref) {
    case 'gpt2':
      gpt2 ??= new Gpt2Tokenizer();
      return gpt2;
    case 'wgpt-gpt2':
      return gpt2Bpe();
    case 'simple-v1':
    case 'simple-v2':
      if (typeof opts.vocabText !== 'string') throw new Error(`${ref} builds its vocabulary from a corpus: pass its text (vocabText; loadTokenizer: vocabFrom; CLI: --vocab-from FILE)`);
      return SimpleTokenizer.fromCorpus(opts.vocabText, ref === 'simple-v1' ? 1 : 2);
  }
  const kind = pathKind(ref);
  if (kind === null) throw new Error(`unknown tokenizer '${ref}': not one of ${TOKENIZER_NAMES.join(', ')} and no such file or folder`);
  const folderGetter = (dir: string): FileGetter => (name) => (pathKind(joinPath(dir, name)) === 'file' ? readFileBytes(joinPath(dir, name)) : null);
  if (kind === 'dir') return tokenizerFromFolderFiles(folderGetter(ref), ref, opts);
  const beside = folderGetter(dirName(ref));
  const json = (name: string) => {
    const b = beside(name);
    return b ? (parseJson(b, joinPath(dirName(ref), name)) as Cfg) : undefined;
  };
  const isTxt = /\.txt$/i.test(ref);
  return tokenizerFromFileText(text(readFileBytes(ref), ref), ref, { ...opts, config: json('tokenizer_config.json'), specialTokensMap: isTxt ? json('special_tokens_map.json') : undefined });
}
