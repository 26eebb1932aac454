// Which tokenizer a run or a checkpoint uses, and the files that carry it inside a checkpoint folder
// (Node): gpt2 needs nothing; simple-v1/v2 keep their vocabulary (vocab.json); a trained BPE keeps
// its wgpt-bpe file (tokenizer.json); a WordPiece or a read Hugging Face byte-level BPE keeps a Hugging Face
// tokenizer.json; a Marian folder keeps source.spm + target.spm + vocab.json (MarianTokenizer, spec "marian"). wgpt_run.json
// names the spec; a folder without it (a Hugging Face download) uses the tokenizer its files carry (hub/tokenizer.ts:
// Marian files, tokenizer.json, vocab.txt as BertTokenizer reads it), else GPT-2.
// Leaves out: special_tokens_map.json (its settings are not read).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type Tokenizer, SimpleTokenizer, ByteBpe, WordPiece, HfByteLevelBpe, HfTokenizer, MarianTokenizer, parseTokenizerFile, wordPieceToHfJson, hfByteLevelBpeToJson } from '../tokenizer/index.js';
import { decodeUtf8Strict } from '../util/utf8.js';
import { tokenizerFromSpec, isMarianFolder, loadMarianFolder, MARIAN_FILES } from '../tokenizer/node.js';
import { folderSource, resolveCheckpointDir } from './folder.js';
import { tokenizerOfSource } from './tokenizer.js';

export const RUN_FILE = 'wgpt_run.json';
const VOCAB_FILE = 'vocab.json';
const BPE_FILE = 'tokenizer.json';
/** a checkpoint folder whose tokenizer is its Marian files (source.spm, target.spm, vocab.json) */
export const MARIAN_SPEC = 'marian';
export const MARIAN_SPM = [MARIAN_FILES.source, MARIAN_FILES.target] as const;

/** Whether `dir` holds a Marian tokenizer (source.spm and vocab.json; target.spm defaults to source.spm). */
export const hasMarianTokenizer = isMarianFolder;

/** The tokenizer for `spec`, preferring the copy saved in `checkpointDir` when there is one. */
export function loadTokenizerSpec(spec: string, o: { corpusPath?: string; checkpointDir?: string } = {}): Tokenizer {
  if (o.checkpointDir) {
    const dir = resolveCheckpointDir(o.checkpointDir);
    const vocabPath = join(dir, VOCAB_FILE);
    const bpePath = join(dir, BPE_FILE);
    // a run trained with --tokenizer MARIAN_DIR keeps a copy of its files: the copy is read
    if (spec === MARIAN_SPEC || (hasMarianTokenizer(dir) && isMarianFolder(spec))) {
      if (!hasMarianTokenizer(dir)) throw new Error(`${o.checkpointDir} has no Marian tokenizer (${MARIAN_SPM[0]} + ${VOCAB_FILE})`);
      return loadMarianFolder(dir);
    }
    // a Hugging Face folder's vocab.txt: with its tokenizer_config.json, as BertTokenizer reads them
    if (/(^|[\\/])vocab\.txt$/.test(spec) && resolve(dirname(spec)) === resolve(dir) && existsSync(spec)) return tokenizerOfSource(folderSource(dir))!;
    if ((spec === 'simple-v1' || spec === 'simple-v2') && existsSync(vocabPath)) {
      const j = JSON.parse(readFileSync(vocabPath, 'utf8')) as { vocab: string[] };
      return new SimpleTokenizer(spec === 'simple-v1' ? 1 : 2, j.vocab);
    }
    if (existsSync(bpePath) && spec !== 'gpt2' && spec !== 'wgpt-gpt2' && !spec.startsWith('simple-')) return parseTokenizerFile(decodeUtf8Strict(readFileSync(bpePath), bpePath), bpePath);
  }
  if (spec === MARIAN_SPEC) throw new Error(`the ${MARIAN_SPEC} tokenizer is read from a model folder (${MARIAN_SPM.join(', ')}, ${VOCAB_FILE})`);
  return tokenizerFromSpec(spec, { fallbackCorpus: o.corpusPath });
}

/** Files to store beside the model so the checkpoint decodes on its own. */
export function tokenizerFiles(tok: Tokenizer, spec: string): Record<string, string | Uint8Array> {
  if (tok instanceof MarianTokenizer) {
    const f = tok.files;
    return { [MARIAN_FILES.source]: f.source, [MARIAN_FILES.target]: f.target ?? f.source, [MARIAN_FILES.vocab]: f.vocabJson };
  }
  if (tok instanceof SimpleTokenizer) return { [VOCAB_FILE]: JSON.stringify({ format: 'wgpt-simple-vocab', spec, vocab: tok.vocab }) + '\n' };
  if (tok instanceof ByteBpe && spec !== 'gpt2' && spec !== 'wgpt-gpt2') return { [BPE_FILE]: tok.toFileText() };
  if (tok instanceof WordPiece) return { [BPE_FILE]: wordPieceToHfJson(tok) };
  if (tok instanceof HfByteLevelBpe) return { [BPE_FILE]: hfByteLevelBpeToJson(tok) };
  if (tok instanceof HfTokenizer) return { [BPE_FILE]: tok.json };
  return {};
}

/**
 * The tokenizer spec a checkpoint was trained with (wgpt_run.json); without it, "marian" for a folder with Marian's
 * files, the folder's tokenizer.json (a Hugging Face download that carries one), else gpt2 (e.g. a GPT-2 download with only vocab.json/merges.txt).
 */
export function checkpointTokenizerSpec(dir: string): string {
  const resolved = resolveCheckpointDir(dir);
  const runPath = join(resolved, RUN_FILE);
  if (!existsSync(runPath)) {
    if (hasMarianTokenizer(resolved)) return MARIAN_SPEC;
    if (existsSync(join(resolved, BPE_FILE))) return join(resolved, BPE_FILE);
    return existsSync(join(resolved, 'vocab.txt')) ? join(resolved, 'vocab.txt') : 'gpt2';
  }
  const t = (JSON.parse(readFileSync(runPath, 'utf8')) as { tokenizer?: string | null }).tokenizer;
  if (t === null) throw new Error(`checkpoint ${dir} was trained on token ids and has no tokenizer: give --tokenizer SPEC`);
  return t ?? 'gpt2';
}

/**
 * The tokenizer of a loaded checkpoint folder: `override` (a spec), else the one its wgpt_run.json names, else the
 * one its files carry (hub/tokenizer.ts), else GPT-2's for a gpt2 model; checked against the model's vocabulary.
 */
export function checkpointTokenizer(dir: string, modelType: string, vocab: number, override?: string): Tokenizer {
  let spec = override;
  if (spec === undefined && !existsSync(join(dir, RUN_FILE))) {
    const t = tokenizerOfSource(folderSource(dir));
    if (t) return checkVocab(t, `the tokenizer of ${dir}`, vocab);
    if (modelType !== 'gpt2') throw new Error(`${dir} has no tokenizer files (tokenizer.json, vocab.txt, source.spm + vocab.json); give --tokenizer`);
  }
  // a file or folder given by the user is read as given (not replaced by the checkpoint's own tokenizer.json)
  if (spec !== undefined && existsSync(spec)) return checkVocab(tokenizerFromSpec(spec), `tokenizer ${spec}`, vocab);
  spec ??= checkpointTokenizerSpec(dir);
  return checkVocab(loadTokenizerSpec(spec, { checkpointDir: dir }), `tokenizer ${spec}`, vocab);
}

function checkVocab(t: Tokenizer, what: string, vocab: number): Tokenizer {
  if (t.vocabSize > vocab) throw new Error(`${what} has ${t.vocabSize} ids but the model's vocab_size is ${vocab}`);
  return t;
}
