// Which tokenizer a run or a checkpoint uses, and the files that carry it inside a checkpoint folder
// (Node): gpt2 needs nothing; simple-v1/v2 keep their vocabulary (vocab.json); a trained BPE keeps
// its wgpt-bpe file (tokenizer.json); a WordPiece or a read Hugging Face byte-level BPE keeps a Hugging Face
// tokenizer.json; a Marian folder keeps source.spm + target.spm + vocab.json (MarianTokenizer, spec "marian"). wgpt_run.json
// names the spec; a folder without it uses its Marian files or its tokenizer.json if it has them, else GPT-2.
// Leaves out: tokenizer_config.json / special_tokens_map.json (their settings are not read).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Tokenizer, SimpleTokenizer, ByteBpe, WordPiece, HfByteLevelBpe, HfTokenizer, MarianTokenizer, parseTokenizerFile, wordPieceToHfJson, hfByteLevelBpeToJson } from '../tokenizer/index.js';
import { decodeUtf8Strict } from '../util/utf8.js';
import { tokenizerFromSpec, isMarianFolder, loadMarianFolder, MARIAN_FILES } from '../tokenizer/node.js';
import type { Gpu } from '../gpu/device.js';
import type { Model, SkippedTensor } from '../model/model.js';
import { loadCheckpoint, resolveCheckpointDir } from '../model/checkpoint.js';

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
    return existsSync(join(resolved, BPE_FILE)) ? join(resolved, BPE_FILE) : 'gpt2';
  }
  const t = (JSON.parse(readFileSync(runPath, 'utf8')) as { tokenizer?: string | null }).tokenizer;
  if (t === null) throw new Error(`checkpoint ${dir} was trained on token ids and has no tokenizer: give --tokenizer SPEC`);
  return t ?? 'gpt2';
}

/** Model (its architecture from config.json's model_type) + tokenizer from a checkpoint folder (wgpt's, or a Hugging Face download: gpt2 BPE). */
export function loadModelDir(gpu: Gpu, dir: string, tokenizerOverride?: string): { model: Model; tokenizer: Tokenizer; skipped: SkippedTensor[] } {
  const ck = loadCheckpoint(dir);
  const tokenizer = checkpointTokenizer(ck.dir, ck.arch.vocabSize(ck.config), tokenizerOverride);
  return { model: ck.arch.create(gpu, ck.config, ck.params), tokenizer, skipped: ck.skipped };
}

/** Model alone (for commands that take ids, not text). */
export function loadModelOnly(gpu: Gpu, dir: string): Model {
  const ck = loadCheckpoint(dir);
  return ck.arch.create(gpu, ck.config, ck.params);
}

function checkpointTokenizer(dir: string, vocab: number, tokenizerOverride?: string): Tokenizer {
  const spec = tokenizerOverride ?? checkpointTokenizerSpec(dir);
  const tokenizer = loadTokenizerSpec(spec, { checkpointDir: dir });
  if (tokenizer.vocabSize > vocab) throw new Error(`tokenizer ${spec} has ${tokenizer.vocabSize} ids but the model's vocab_size is ${vocab}`);
  return tokenizer;
}
