// The training runner behind `wgpt train` and `npm start` (Node): data → tokenizer → the architecture's batches,
// model (any registered architecture) from a preset or a checkpoint, the step loop with eval, JSONL log, progress
// bar, periodic atomic checkpoints with the full training state, exact --resume, loss-curve SVG; Hugging Face
// Trainer's knobs: lr schedules with warmup, gradient accumulation, decay grouping, frozen parameters, the best
// checkpoint by the task's metric, a time budget. Leaves out: multi-GPU, mixed precision.
import { readFileSync, existsSync, mkdirSync, openSync, readSync, fstatSync, closeSync, statSync, readdirSync } from 'node:fs';
import { shellWord } from './stop.js';
import { join, dirname, resolve, basename } from 'node:path';
import type { Gpu } from '../gpu/device.js';
import { type Architecture, type Model, type ParamMap, type DataSource, type ArchOptionValues, countModelParams, skippedLine, checkArchOptions, initParams } from '../model/model.js';
import { type ScheduleName, warmupSteps as warmupOf } from './schedule.js';
import { freezePredicate } from './groups.js';
import { LoRA, matchTargets, loraModules, initLoraWeights, type LoraConfig } from '../model/lora.js';
import { checkAdaptable, fanInFanOut, readAdapterFolder } from '../model/lora-folder.js';
import { writeFolderAtomic } from '../io/atomic.js';
import { classifierOf } from '../model/architectures.js';
import { newClassifier, labelsOf, type HeadKeys } from '../model/heads.js';
import { isSequenceClassifier, type SequenceClassifier, type TrainingData } from '../model/model.js';
import { parseLabelled, labelSpace, prepareClassification, evaluateClassifier, parseInstructions, prepareInstructions } from './tasks.js';
import { architectureByName, ARCHITECTURES } from '../model/architectures.js';
import { saveCheckpoint, loadCheckpoint } from '../hub/folder.js';
import { loadTrainingState, trainingStateFiles, type TrainingState } from './state.js';
import { writeFileAtomic } from '../io/atomic.js';
import { Trainer, NonFiniteLossError } from './trainer.js';
import { warmUpTraining } from './warmup.js';
import { lossCurveSvg, type LossPoint } from './plot.js';
import { ProgressBar, formatDuration } from '../util/progress.js';
import { type Tokenizer, trainBpe } from '../tokenizer/index.js';
import { loadTokenizerSpec, tokenizerFiles, RUN_FILE } from '../hub/tokenizer-spec.js';
import { readTokenFile, decodeUtf8Strict } from '../data/node.js';
import { parseHeader, HEADER_BYTES } from '../data/index.js';
import type { RawTokenFormat } from '../data/tokenfile.js';

/** RunOptions.tokenizer for token data trained without a tokenizer. */
export const NO_TOKENIZER = 'none';
/**
 * RunOptions.tokenizer for a byte-level BPE learned from the run's own text (what `wgpt train` picks on a CPU adapter
 * when no tokenizer is named; `npm start` does the same): saved in the checkpoint as tokenizer.json, read from there
 * by --resume, --model and `wgpt generate`.
 */
export const OWN_BPE = 'own-bpe';
/** the own BPE's target size (the-verdict gives 1,413 ids: it stops when no pair occurs twice) and how much text it reads */
const OWN_BPE_VOCAB = 2048;
const OWN_BPE_CHARS = 1 << 20;
/** a progress line at most this often when stderr is not a terminal (no progress bar) */
const PROGRESS_LINE_MS = 5000;

export interface RunOptions {
  /** .txt (tokenized with `tokenizer`) or .bin token file */
  data: string;
  /** gpt2 | simple-v1 | simple-v2 | path to a wgpt BPE file | 'own-bpe' (learned from the text) | 'none' (token data only: the checkpoint has no tokenizer) */
  tokenizer: string;
  /** headerless token file: the width of its ids (nanoGPT's train.bin is uint16) */
  dataFormat?: RawTokenFormat;
  /** vocab_size of a fresh model trained on token data without a tokenizer (default: the .bin header's) */
  vocabSize?: number;
  /** architecture of a fresh model (a registered name; default gpt2); a checkpoint brings its own */
  arch?: string;
  /** one of the architecture's presets (its default when undefined) */
  preset?: string;
  /** a fresh model's architecture-specific settings (`Architecture.options`, e.g. rnn-seq2seq's cell, attention, sizes) */
  archOptions?: ArchOptionValues;
  /** start from this checkpoint folder instead of a fresh preset */
  model?: string;
  context?: number;
  stride?: number;
  batch: number;
  steps?: number;
  epochs?: number;
  lr: number;
  weightDecay: number;
  seed: number;
  /** parameter init of a fresh model: 'gpt2' (normal 0.02) or 'torch' (the course's PyTorch modules after manual_seed) */
  init?: 'gpt2' | 'torch';
  dropout?: number;
  shuffle: boolean;
  valFraction: number;
  /** evaluate every K steps (0: only at the end) */
  evalEvery: number;
  /** cap on validation batches per evaluation (0: all) */
  evalBatches: number;
  gradClip?: number;
  /** label smoothing ε of the training loss (architectures whose loss takes it: rnn-seq2seq, marian); validation stays plain */
  labelSmoothing?: number;
  /** save a checkpoint every K steps (0: only at the end) */
  saveEvery: number;
  out: string;
  log?: string;
  /** replace `out` when it holds something else than this run (default: refuse) */
  overwrite?: boolean;
  /** lr schedule over the run's optimizer steps (default constant) */
  lrSchedule?: ScheduleName;
  /** linear warmup steps (wins over warmupRatio, as Trainer) */
  warmupSteps?: number;
  /** warmup = ceil(steps·ratio) when warmupSteps is 0 */
  warmupRatio?: number;
  /** micro-batches per optimizer step (gradient accumulation; default 1) */
  gradAccum?: number;
  /** 'hf': no weight decay on biases and LayerNorm weights (Trainer); 'all' (default when absent, the course): every parameter */
  decayGrouping?: 'hf' | 'all';
  /** parameter-name patterns to freeze (src/train/groups.ts) */
  freeze?: string[];
  /** parameter-name patterns to train; everything else frozen */
  trainOnly?: string[];
  /** stop after this many seconds of training (checkpoint saved, resumable); 0 or absent: no limit. Not saved with the run. */
  timeBudget?: number;
  /**
   * what is learned: 'lm' (default: the architecture's own objective on a text/token file), 'classify' (labelled
   * rows, a …ForSequenceClassification head), 'instruct' (Alpaca entries, the prompt masked out of the loss)
   */
  task?: 'lm' | 'classify' | 'instruct';
  /** held-out rows of the task in their own file (classify), instead of --val-fraction of --data */
  valData?: string;
  /** LoRA on --model: the base frozen, `out` gets a PEFT adapter folder (and the training state) instead of a model */
  lora?: { r: number; alpha: number; dropout: number; targets: string[]; rslora: boolean };
  /** LoRA: keep the frozen base's linear weights as packed f16 pairs (half their bytes) */
  baseDtype?: 'f32' | 'f16';
}

export interface RunResult {
  /** the trained model (config typed by its architecture: narrow with model.arch) */
  model: Model<any>;
  /** null when trained on token data without a tokenizer */
  tokenizer: Tokenizer | null;
  out: string;
  train: LossPoint[];
  val: LossPoint[];
  steps: number;
  seconds: number;
  tokensPerSecond: number;
  /** set when hooks.stopRequested or the time budget ended the run early (a checkpoint was saved at `steps`) */
  interrupted?: string;
  /** the time budget ended the run (not a signal) */
  outOfTime?: boolean;
  /** the best evaluation (val accuracy when the model reports it, else val loss) and where its checkpoint is */
  best?: { step: number; loss: number; accuracy?: number; dir: string };
  /** the LoRA adapter trained (on `model`; dispose it with the model) */
  adapter?: LoRA;
}

export interface RunHooks {
  /** one line of human output (defaults to stdout) */
  say?: (line: string) => void;
  progress?: boolean;
  /** without a progress bar: at most one progress line this often (default 5000 ms; the first and last step always) */
  progressLineMs?: number;
  /** called after every step (tests use it to inject faults) */
  onStep?: (step: number) => void;
  /** polled after every step: a reason (e.g. 'SIGINT') ends the run there with a checkpoint (see src/train/stop.ts) */
  stopRequested?: () => string | null;
}

/** How a user continues the run saved in `dir` (the exact command). */
export function resumeCommand(dir: string, steps?: number): string {
  return `wgpt train --resume ${shellWord(dir)}${steps !== undefined ? ` --steps ${steps}` : ''}`;
}

/** `out` may be written by this run: absent, empty, or the run being resumed; anything else needs overwrite. */
function checkOutFolder(out: string, resumeDir: string | undefined, overwrite: boolean | undefined): void {
  if (overwrite || !existsSync(out)) return;
  if (resumeDir && resolve(resumeDir) === out) return;
  if (!statSync(out).isDirectory()) throw new Error(`--out ${out} is a file, not a folder`);
  if (readdirSync(out).length === 0) return;
  const what = existsSync(join(out, 'config.json')) ? 'a checkpoint of another run' : 'files';
  throw new Error(`${out} already holds ${what}; give --overwrite to replace it, another --out folder${what.startsWith('a') ? `, or --resume ${shellWord(out)} to continue it` : ''}`);
}



/** `--data` names a token file (ids, no tokenizer needed): a .bin, or any file read with --data-format. */
export function isTokenData(opts: Pick<RunOptions, 'data' | 'dataFormat'>): boolean {
  return opts.dataFormat !== undefined || opts.data.endsWith('.bin');
}

const DATA_ACCEPTS = '--data takes a UTF-8 text file or a token file (.bin with an llm.c header, or headerless with --data-format uint16|uint32)';

/** The ids to train on, and the vocabulary size a .bin header records (0 when none). */
function loadData(opts: RunOptions, tok: Tokenizer | null): { ids: Int32Array | Uint16Array | Uint32Array; fileVocab: number } {
  if (!existsSync(opts.data)) throw new Error(`data file ${opts.data} does not exist`);
  if (statSync(opts.data).isDirectory()) throw new Error(`${opts.data} is a folder; ${DATA_ACCEPTS}`);
  if (isTokenData(opts)) {
    if (opts.dataFormat) return { ids: readTokenFile(opts.data, opts.dataFormat), fileVocab: 0 };
    // only the header here (the ids are read once, by readTokenFile)
    const head = new Uint8Array(HEADER_BYTES);
    const fd = openSync(opts.data, 'r');
    let size: number;
    let got: number;
    try {
      got = readSync(fd, head, 0, HEADER_BYTES, 0);
      size = fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
    const h = parseHeader(head.subarray(0, got), size, opts.data);
    if (tok && h.vocabSize > 0 && h.vocabSize !== tok.vocabSize) {
      throw new Error(`${opts.data} was tokenized with a ${h.vocabSize}-id vocabulary but --tokenizer ${opts.tokenizer} has ${tok.vocabSize} ids`);
    }
    return { ids: readTokenFile(opts.data), fileVocab: h.vocabSize };
  }
  return { ids: Int32Array.from(tok!.encode(readText(opts), { allowedSpecial: 'all' })), fileVocab: 0 };
}

/** The text of a text data file (strict UTF-8; a binary or empty file is refused in one line). */
function readText(opts: RunOptions): string {
  if (!existsSync(opts.data)) throw new Error(`data file ${opts.data} does not exist`);
  if (statSync(opts.data).isDirectory()) throw new Error(`${opts.data} is a folder; ${DATA_ACCEPTS}`);
  const bytes = readFileSync(opts.data);
  const nul = bytes.subarray(0, 1 << 16).indexOf(0);
  if (nul >= 0) throw new Error(`${opts.data} is binary, not text (a NUL byte at offset ${nul}); ${DATA_ACCEPTS}`);
  let text: string;
  try {
    text = decodeUtf8Strict(bytes, opts.data);
  } catch (e) {
    throw new Error(`${(e as Error).message.split('\n')[0]}; ${DATA_ACCEPTS}`);
  }
  if (text.length === 0) throw new Error(`data file ${opts.data} is empty`);
  return text;
}

/** Trains according to `opts`; with `resumeDir`, continues that run exactly where its checkpoint stopped. */
/** `first step 3.1 s, 2.4 s of it compiling 17 kernels` */
function firstStepLine(f: { s: number; compile: number; kernels: number }): string {
  return `first step ${f.s.toFixed(1)} s, ${f.compile.toFixed(1)} s of it compiling ${f.kernels} kernel${f.kernels === 1 ? '' : 's'}`;
}

export async function runTraining(gpu: Gpu, optsIn: RunOptions, resumeDir?: string, hooks: RunHooks = {}): Promise<RunResult> {
  const say = hooks.say ?? ((l: string) => console.log(l));
  let opts = { ...optsIn };
  let state: TrainingState | null = null;
  let history: { train: LossPoint[]; val: LossPoint[] } = { train: [], val: [] };
  if (resumeDir) {
    state = loadTrainingState(resumeDir);
    const saved = state.options as RunOptions | undefined;
    if (!saved) throw new Error(`checkpoint ${resumeDir} has no saved run options; it cannot be resumed`);
    // the run's own settings win; only the length of the run and the output folder may change
    opts = { ...saved, steps: optsIn.steps ?? saved.steps, epochs: optsIn.steps !== undefined ? undefined : optsIn.epochs ?? saved.epochs, out: optsIn.out ?? resumeDir, log: optsIn.log ?? saved.log, timeBudget: optsIn.timeBudget };
    history = (state.history as typeof history) ?? history;
  }
  checkOutFolder(resolve(opts.out), resumeDir, optsIn.overwrite);
  if (opts.lora && !opts.model) throw new Error('LoRA adapts a trained model: give --model DIR (the base to adapt)');
  if (opts.lora && opts.task === 'classify') throw new Error('--lora-r with --task classify: the new head would stay frozen (PEFT trains it as modules_to_save, which wgpt does not write); fine-tune with --train-only instead');
  if (opts.lora && (opts.freeze?.length || opts.trainOnly?.length)) throw new Error('--lora-r trains only the adapter (the base is frozen); --freeze/--train-only do not apply');
  // a LoRA run's folder holds the adapter only: the model and its tokenizer come from the base
  const modelDir = opts.lora ? opts.model : resumeDir ?? opts.model;
  const tokSource = modelDir;
  // simple-* vocabularies come from the text being trained on (never from a .bin of ids)
  if (opts.tokenizer === NO_TOKENIZER && !isTokenData(opts)) throw new Error(`text data needs a tokenizer (--tokenizer gpt2, simple-v2, a BPE file, …)`);
  if (opts.tokenizer === OWN_BPE && !tokSource && isTokenData(opts)) throw new Error(`${OWN_BPE} learns a tokenizer from text; ${opts.data} is a token file`);
  const tok =
    opts.tokenizer === NO_TOKENIZER
      ? null
      : opts.tokenizer === OWN_BPE && !tokSource
        ? ownBpe(readText(opts), opts.data, say)
        : loadTokenizerSpec(opts.tokenizer, { corpusPath: isTokenData(opts) ? undefined : opts.data, checkpointDir: tokSource });
  // the file is read once, when first needed (the fresh model's vocabulary, or the architecture's data hook)
  let loadedData: ReturnType<typeof loadData> | null = null;
  const readData = () => (loadedData ??= loadData(opts, tok));
  const source: DataSource = {
    path: opts.data,
    get tokenizer(): Tokenizer {
      if (!tok) throw new Error(`this architecture reads text: give --tokenizer SPEC (token data alone is not enough)`);
      return tok;
    },
    ids: () => readData().ids,
    text: () => {
      if (isTokenData(opts)) throw new Error(`${opts.data} is a token file; this architecture reads text (${DATA_ACCEPTS})`);
      return readText(opts);
    },
  };

  // the architecture and config: the checkpoint's own (model_type), or a fresh one from --arch and --preset
  let arch: Architecture;
  let config: unknown;
  let loaded: ParamMap | null = null;
  const archOptionNames = Object.keys(opts.archOptions ?? {}).filter((k) => opts.archOptions![k] !== undefined);
  if (!resumeDir && opts.model && archOptionNames.length) throw new Error(`--${archOptionNames[0]} sets up a fresh model; --model ${opts.model} has its own (config.json)`);
  if (resumeDir || opts.model) {
    const ck = loadCheckpoint(modelDir!);
    arch = ck.arch;
    if (opts.arch !== undefined && architectureByName(opts.arch) !== arch) throw new Error(`--arch ${opts.arch} does not match the checkpoint's model_type "${arch.modelType}"`);
    config = arch.withOptions(ck.config, { dropout: opts.dropout });
    loaded = ck.params;
    if (ck.skipped.length) say(`wgpt: ${skippedLine(ck.skipped)}`);
  } else {
    arch = architectureByName(opts.arch ?? 'gpt2');
    const archOptions = checkArchOptions(arch, opts.archOptions ?? {}, ARCHITECTURES);
    if (isTokenData(opts)) readData(); // a token file's own errors (missing, bad header) before the vocabulary question
    const vocab = tok?.vocabSize ?? opts.vocabSize ?? readData().fileVocab;
    if (!vocab) throw new Error(`${opts.data} records no vocabulary size (no llm.c header, or written without one): give --vocab-size N (50257 for GPT-2 ids) or --tokenizer SPEC`);
    config = arch.freshConfig({ preset: opts.preset, vocabSize: vocab, specialTokens: tok?.specialTokens, context: opts.context, dropout: opts.dropout, archOptions });
  }
  const task = opts.task ?? 'lm';
  // classification: the labelled rows, and the architecture's classifier (a checkpoint's own, or a new head on it)
  let labelled: { rows: ReturnType<typeof parseLabelled>; val: ReturnType<typeof parseLabelled> | null; index: (l: string, where?: string) => number } | null = null;
  if (task === 'classify') {
    if (!tok) throw new Error('the classification task reads text: give --tokenizer SPEC');
    const rows = parseLabelled(readText(opts), opts.data, true);
    const val = opts.valData ? parseLabelled(readText({ ...opts, data: opts.valData }), opts.valData, true) : null;
    const isCls = !!arch.hfArchitectures?.[0]?.endsWith('ForSequenceClassification') && (loaded !== null);
    if (isCls) {
      const space = labelSpace(rows, labelsOf(config as HeadKeys));
      labelled = { rows, val, index: space.index };
    } else {
      const cls = arch.hfArchitectures?.[0]?.endsWith('ForSequenceClassification') ? arch : classifierOf(arch);
      if (!cls) throw new Error(`--task classify: the ${arch.name} architecture has no sequence-classification head in wgpt yet (${ARCHITECTURES.filter((a) => a.hfArchitectures?.[0]?.endsWith('ForSequenceClassification')).map((a) => a.hfArchitectures![0]).join(', ')})`);
      const space = labelSpace(rows);
      const nc = newClassifier({ arch: cls, config: config as HeadKeys, numLabels: space.labels.length, labels: space.labels, seed: opts.seed, from: loaded ?? undefined, fromClass: arch.hfArchitectures?.[0] });
      say(`wgpt: ${nc.summary}`);
      arch = cls;
      config = nc.config;
      // GPT2ForSequenceClassification scores each row's last token before its first pad_token_id: rows pad with end-of-text
      const g = config as { pad_token_id?: number };
      if (cls.modelType === 'gpt2' && g.pad_token_id === undefined) config = { ...g, pad_token_id: tok.eotId ?? 0 };
      loaded = nc.params;
      labelled = { rows, val, index: space.index };
    }
  } else if (opts.valData) throw new Error('--val-data is for --task classify (a language model holds out --val-fraction of --data)');
  if (opts.labelSmoothing) {
    if (!(opts.labelSmoothing > 0 && opts.labelSmoothing < 1)) throw new Error(`--label-smoothing must be in [0, 1), got ${opts.labelSmoothing}`);
    if (!arch.labelSmoothing) throw new Error(`--label-smoothing is only for ${ARCHITECTURES.filter((a) => a.labelSmoothing).map((a) => `--arch ${a.name}`).join(' or ')} (${arch.name}'s loss has none)`);
  }
  const vocab = arch.vocabSize(config);
  if (tok && tok.vocabSize > vocab) throw new Error(`tokenizer has ${tok.vocabSize} ids but the model's vocab_size is ${vocab}`);
  let data: TrainingData<unknown>;
  if (labelled) {
    const c = config as { max_position_embeddings?: number; context_length?: number; n_positions?: number };
    const maxPos = (c.max_position_embeddings ?? c.context_length ?? 512) - (arch.modelType === 'roberta' ? 2 : 0);
    const maxLen = opts.context ?? Math.min(128, maxPos);
    if (maxLen > maxPos) throw new Error(`--context ${maxLen} is longer than the model's ${maxPos} positions`);
    data = prepareClassification(labelled.rows, labelled.val, tok!, labelled.index, { batch: opts.batch, maxLen, seed: opts.seed, shuffle: opts.shuffle, valFraction: opts.valFraction, path: opts.data, valPath: opts.valData, padId: (config as { pad_token_id?: number }).pad_token_id }) as TrainingData<unknown>;
  } else if (task === 'instruct') {
    if (!tok) throw new Error('the instruction task reads text: give --tokenizer SPEC');
    if (arch.modelType !== 'gpt2') throw new Error(`--task instruct trains a causal LM (gpt2); ${arch.name} is not one`);
    const maxLen = opts.context ?? (config as { context_length: number }).context_length;
    data = prepareInstructions(parseInstructions(readText(opts), opts.data), tok, { batch: opts.batch, maxLen, seed: opts.seed, shuffle: opts.shuffle, valFraction: opts.valFraction, path: opts.data }) as TrainingData<unknown>;
  } else data = arch.data.prepare(source, config, { batch: opts.batch, context: opts.context, stride: opts.stride, shuffle: opts.shuffle, seed: opts.seed, valFraction: opts.valFraction });
  for (const line of data.notes) say(line);
  const accum = opts.gradAccum ?? 1;
  if (!(Number.isInteger(accum) && accum >= 1)) throw new Error(`--grad-accum must be an integer ≥ 1, got ${accum}`);
  if (data.train.numBatches < accum) throw new Error(`--grad-accum ${accum} needs ${accum} batches per optimizer step, the training split has ${data.train.numBatches}`);
  // optimizer steps per epoch: whole groups of `accum` batches (a last partial group is left out, as drop_last)
  const perEpoch = Math.floor(data.train.numBatches / accum);
  const totalSteps = opts.steps ?? Math.max(1, Math.round((opts.epochs ?? 1) * perEpoch));
  opts.steps = totalSteps;
  if (state && state.step >= totalSteps) {
    const more = Math.max(state.step, 1);
    throw new Error(`the run in ${resumeDir} is finished (${state.step} of ${totalSteps} steps done); to train ${more} more: ${resumeCommand(resumeDir!, state.step + more)} (--steps is the run's new total)`);
  }

  if (!loaded) arch.validateConfig(config);
  const hostParams: ParamMap = loaded ?? (arch.initParams ? arch.initParams(config, opts.seed, opts.init === 'torch' ? 'torch' : 'wgpt') : initParams(arch.paramTable(config), opts.seed, opts.init === 'torch' ? 'torch' : 'wgpt'));
  // --freeze / --train-only: the frozen tensors get no gradient buffers and no optimizer moments
  const frozen = freezePredicate(arch.paramTable(config).map((p) => p.name), { freeze: opts.freeze, trainOnly: opts.trainOnly });
  if (frozen) for (const [name, p] of hostParams) if (frozen(name)) hostParams.set(name, { ...p, frozen: true });
  // LoRA: the whole base frozen (no gradient buffers, no moments); A and B are the only trainable tensors
  if (opts.lora) for (const [name, p] of hostParams) hostParams.set(name, { ...p, frozen: true });
  const model: Model = arch.create(gpu, config, hostParams);
  let lora: LoRA | undefined;
  if (opts.lora) {
    const m = checkAdaptable(model, '--lora-r');
    const fifo = fanInFanOut(arch);
    const lc: LoraConfig = { ...opts.lora, fanInFanOut: fifo, baseModel: opts.model!, taskType: model.arch.name === 'gpt2' ? 'CAUSAL_LM' : null };
    let shapes;
    let weights;
    if (resumeDir) ({ shapes, weights } = readAdapterFolder(resumeDir, arch));
    else {
      shapes = loraModules(matchTargets(m.linearModules(), lc.targets), (n) => model.params.get(n)?.shape, fifo);
      weights = initLoraWeights(shapes, lc.r, mixSeedLora(opts.seed));
    }
    lora = new LoRA(gpu, lc, shapes, weights, arch.hf.prefixes[0] ?? '', { trainable: true });
    m.adapter = lora;
    if (opts.baseDtype === 'f16') {
      if (!m.storeFrozenLinearsF16) throw new Error(`--base-dtype f16: the ${arch.name} model cannot store its weights in f16`);
      const r = await m.storeFrozenLinearsF16();
      gpu.pool.trim(); // the released f32 weights go back to the device
      say(`wgpt: base in f16: ${r.weights} frozen linear weights, ${(r.f32Bytes / 2 ** 20).toFixed(1)} MiB → ${(r.f16Bytes / 2 ** 20).toFixed(1)} MiB`);
    }
  } else if (opts.baseDtype === 'f16') throw new Error('--base-dtype f16 keeps a frozen base: it goes with --lora-r');
  const schedule = opts.lrSchedule && (opts.lrSchedule !== 'constant' || opts.warmupSteps || opts.warmupRatio) ? { name: opts.lrSchedule, warmupSteps: warmupOf(totalSteps, opts), totalSteps } : undefined;
  const trainer = new Trainer(model, { lr: opts.lr, weightDecay: opts.weightDecay, gradClip: opts.gradClip, seed: opts.seed, labelSmoothing: opts.labelSmoothing, decayGrouping: opts.decayGrouping, schedule, extraParams: lora?.params() });
  if (lora) say(`wgpt: LoRA r ${lora.config.r}, alpha ${lora.config.alpha}${lora.config.rslora ? ' (rsLoRA)' : ''} on ${lora.modules.size} modules: ${lora.numel.toLocaleString('en-US')} trainable parameters; the base's ${countModelParams(arch, config).toLocaleString('en-US')} frozen`);
  if (frozen) {
    const n = trainer.trainable.reduce((a, t) => a + t.size, 0);
    say(`wgpt: training ${n.toLocaleString('en-US')} of ${countModelParams(arch, config).toLocaleString('en-US')} parameters (${trainer.trainable.length} tensors; the rest frozen: no gradients, no optimizer moments)`);
  }
  let step = 0;
  if (state) {
    trainer.optimizer.loadState(state.optimizer, model);
    step = state.step;
  }
  const out = resolve(opts.out);
  mkdirSync(dirname(out), { recursive: true });
  const logPath = opts.log;
  const logLines: string[] = [];
  const log = (o: Record<string, unknown>) => {
    if (!logPath) return;
    logLines.push(JSON.stringify(o));
  };
  const flushLog = () => {
    if (!logPath || !logLines.length) return;
    mkdirSync(dirname(resolve(logPath)), { recursive: true });
    const prev = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
    writeFileAtomic(logPath, prev + logLines.join('\n') + '\n');
    logLines.length = 0;
  };
  const valData = data.val;
  const evalBatches = (): unknown[] => {
    if (!valData) return [];
    const n = opts.evalBatches > 0 ? Math.min(opts.evalBatches, valData.numBatches) : valData.numBatches;
    return Array.from({ length: n }, (_, i) => valData.batch(i, 0));
  };
  // held-out metrics: the classifier's loss, accuracy and macro-F1, or the model's own (loss, MLM accuracy)
  const evaluate = async (): Promise<{ loss: number; accuracy?: number; macroF1?: number }> => {
    if (labelled) {
      if (!isSequenceClassifier(model)) throw new Error(`${arch.name} does not classify`);
      return evaluateClassifier(model as Model & SequenceClassifier, evalBatches() as never, arch.vocabSize(config));
    }
    return trainer.evaluateMetrics(evalBatches());
  };
  const save = async (why: string) => {
    const params = lora ? new Map() : await model.exportParams();
    const st: TrainingState = {
      step,
      epoch: Math.floor(step / perEpoch),
      batchIndex: step % perEpoch,
      rngSeed: opts.seed,
      optimizer: await trainer.optimizer.exportState(model),
      options: JSON.parse(JSON.stringify({ ...opts, overwrite: undefined, timeBudget: undefined })) as Record<string, unknown>,
      history: JSON.parse(JSON.stringify(history)) as Record<string, unknown>,
    };
    if (lora) {
      const files = new Map<string, string | Uint8Array>(Object.entries(await lora.files()));
      for (const [k, v] of trainingStateFiles(st)) files.set(k, v);
      files.set(RUN_FILE, JSON.stringify({ base_model: opts.model, adapter: 'LoRA (PEFT)', steps: step, why }, null, 2) + '\n');
      files.set('loss.svg', lossCurveSvg(history.train, history.val, `wgpt LoRA on ${opts.data.split('/').pop()}`));
      writeFolderAtomic(out, files);
      flushLog();
      return;
    }
    const files: Record<string, string | Uint8Array> = tok ? { ...tokenizerFiles(tok, opts.tokenizer) } : {};
    const noTok = tok ? {} : { note: `trained on token ids (${opts.data}) without a tokenizer: give generate --tokenizer SPEC` };
    files[RUN_FILE] = JSON.stringify({ tokenizer: tok ? opts.tokenizer : null, ...noTok, steps: step, why }, null, 2) + '\n';
    files['loss.svg'] = lossCurveSvg(history.train, history.val, `wgpt ${opts.preset ?? 'model'} on ${opts.data.split('/').pop()}`);
    saveCheckpoint(out, config, params, { files: { ...Object.fromEntries(trainingStateFiles(st)), ...files }, arch });
    flushLog();
  };

  say(`wgpt: ${countModelParams(arch, config).toLocaleString('en-US')} parameters (${opts.preset ?? opts.model ?? 'resumed'}: ${arch.describe(config)}) on ${gpu.info.description || gpu.info.architecture}${gpu.info.isCpu ? ' (CPU adapter)' : ''}`);
  say(`wgpt: ${data.summary}; ${state ? `resuming at step ${step} of ` : ''}${totalSteps} steps${accum > 1 ? ` of ${accum} batches each (gradient accumulation)` : ''}${schedule ? `; lr ${schedule.name} schedule, ${schedule.warmupSteps} warmup steps` : ''}`);
  const bestDir = `${out}-best`;
  let best = (history as { best?: RunResult['best'] }).best;
  const better = (loss: number, accuracy?: number) => !best || (accuracy !== undefined && best.accuracy !== undefined ? accuracy > best.accuracy : loss < best.loss);
  const keepBest = async (loss: number, accuracy?: number) => {
    if (!better(loss, accuracy)) return;
    best = { step, loss, ...(accuracy !== undefined ? { accuracy } : {}), dir: bestDir };
    (history as { best?: RunResult['best'] }).best = best;
    const files: Record<string, string | Uint8Array> = tok ? { ...tokenizerFiles(tok, opts.tokenizer) } : {};
    files[RUN_FILE] = JSON.stringify({ tokenizer: tok ? opts.tokenizer : null, steps: step, why: 'best', val_loss: loss, ...(accuracy !== undefined ? { val_accuracy: accuracy } : {}) }, null, 2) + '\n';
    if (lora) writeFolderAtomic(bestDir, { ...(await lora.files()), [RUN_FILE]: files[RUN_FILE] });
    else saveCheckpoint(bestDir, config, await model.exportParams(), { files, arch });
  };
  const budget = opts.timeBudget ?? 0;
  const tStart = performance.now();
  const outOfTime = () => (budget > 0 && performance.now() - tStart > budget * 1000 ? `the ${budget} s time budget ran out` : null);
  const bar = new ProgressBar(totalSteps, step, hooks.progress ?? !!process.stderr.isTTY);
  const t0 = performance.now();
  const c0 = { ...gpu.counters };
  // the warm-up plan: the step's kernels, cheapest tiers first, created in the background (src/train/warmup.ts)
  if (step < totalSteps) await warmUpTraining(model, data.train.batch(step % perEpoch, Math.floor(step / perEpoch)));
  let lastLine = t0;
  const startStep = step;
  let tokensDone = 0;
  let lastLoss = NaN;
  // the first step carries the kernels' compile time (#25): its time, and the throughput of the steps after it
  let first: { s: number; compile: number; kernels: number; t: number; tokens: number } | null = null;
  try {
    while (step < totalSteps) {
      const epoch = Math.floor(step / perEpoch);
      const micro = Array.from({ length: accum }, (_, k) => data.train.batch((step % perEpoch) * accum + k, epoch));
      const loss = await trainer.step(accum === 1 ? micro[0] : micro, step);
      lastLoss = loss;
      step++;
      for (const b of micro) tokensDone += data.train.tokens(b);
      history.train.push({ step, loss });
      const now = performance.now();
      const c = gpu.counters;
      if (!first) first = { s: (now - t0) / 1000, compile: (c.compileMs - c0.compileMs + c.asyncCompileMs - c0.asyncCompileMs) / 1000, kernels: c.pipelines - c0.pipelines + c.asyncPipelines - c0.asyncPipelines, t: now, tokens: tokensDone };
      const dt = (now - t0) / 1000;
      // tokens/s of the steps after the first (the first alone before there are any)
      const tps = step > startStep + 1 ? (tokensDone - first.tokens) / ((now - first.t) / 1000) : tokensDone / dt;
      log({ step, loss, epoch, lr: trainer.lastLr, tokens_per_s: Math.round(tps) });
      bar.update(step, { loss: loss.toFixed(3), 'tok/s': tps.toFixed(0) });
      if (valData && opts.evalEvery > 0 && step % opts.evalEvery === 0 && step < totalSteps) {
        const { loss: v, accuracy, macroF1 } = await evaluate();
        history.val.push(accuracy === undefined ? { step, loss: v } : { step, loss: v, accuracy });
        log({ step, val_loss: v, train_loss: loss, ...(accuracy !== undefined ? { val_accuracy: accuracy } : {}), ...(macroF1 !== undefined ? { val_macro_f1: macroF1 } : {}) });
        await keepBest(v, accuracy);
        if (!bar.enabled) {
          say(`step ${step}/${totalSteps}  train ${loss.toFixed(3)}  val ${v.toFixed(3)}${accuracy !== undefined ? `  val accuracy ${(100 * accuracy).toFixed(1)}%` : ''}`);
          lastLine = performance.now();
        }
      } else if (!bar.enabled && (step === startStep + 1 || step === totalSteps || performance.now() - lastLine >= (hooks.progressLineMs ?? PROGRESS_LINE_MS))) {
        // no terminal (a log file, CI, a pipe): a line at the first and last step and every few seconds between; the
        // first says its time and how much of it compiled kernels (#25), the others the throughput after it
        say(`step ${step}/${totalSteps}  loss ${loss.toFixed(3)}  ${step === startStep + 1 ? `(${firstStepLine(first)})` : `${tps.toFixed(0)} tok/s`}`);
        lastLine = performance.now();
      }
      if (opts.saveEvery > 0 && step % opts.saveEvery === 0 && step < totalSteps) await save('periodic');
      hooks.onStep?.(step);
      const timeUp = step < totalSteps ? outOfTime() : null;
      const stop = step < totalSteps ? hooks.stopRequested?.() ?? timeUp : null;
      if (stop) {
        bar.done();
        await save('interrupted');
        trainer.optimizer.dispose();
        const seconds = (performance.now() - t0) / 1000;
        say(`wgpt: ${stop} at step ${step}/${totalSteps}: checkpoint saved to ${out}`);
        say(`wgpt: resume with: ${resumeCommand(out)}`);
        return { model, tokenizer: tok, out, train: history.train, val: history.val, steps: step, seconds, tokensPerSecond: tokensDone / seconds, interrupted: stop, outOfTime: stop === timeUp, best, adapter: lora };
      }
    }
  } catch (e) {
    bar.done();
    trainer.optimizer.dispose();
    if (e instanceof NonFiniteLossError) {
      log({ step: e.step + 1, loss: e.loss, error: 'non-finite loss' });
      flushLog();
    }
    throw e;
  }
  bar.done();
  if (valData) {
    const { loss: v, accuracy, macroF1 } = await evaluate();
    history.val.push(accuracy === undefined ? { step, loss: v } : { step, loss: v, accuracy });
    log({ step, val_loss: v, train_loss: lastLoss, ...(accuracy !== undefined ? { val_accuracy: accuracy } : {}), ...(macroF1 !== undefined ? { val_macro_f1: macroF1 } : {}) });
    if (macroF1 !== undefined) say(`wgpt: held-out accuracy ${(100 * accuracy!).toFixed(1)}%, macro-F1 ${macroF1.toFixed(3)} (${data.val!.numBatches} batches)`);
    if (opts.evalEvery > 0) await keepBest(v, accuracy);
  }
  await save('final');
  trainer.optimizer.dispose();
  const seconds = (performance.now() - t0) / 1000;
  const tokensPerSecond = tokensDone / seconds;
  const lastVal = history.val[history.val.length - 1];
  const after = first && step > startStep + 1 ? ` (${((tokensDone - first.tokens) / ((performance.now() - first.t) / 1000)).toFixed(0)} tokens/s after the first step; ${firstStepLine(first)})` : first ? ` (${firstStepLine(first)})` : '';
  say(`wgpt: ${step - startStep} steps in ${formatDuration(seconds)}${after}; loss ${history.train[0]?.loss.toFixed(3) ?? '?'} → ${lastLoss.toFixed(3)}${lastVal ? `, val ${lastVal.loss.toFixed(3)}` : ''}${lastVal?.accuracy !== undefined ? ` (accuracy ${(100 * lastVal.accuracy).toFixed(1)}%)` : ''}`);
  say(`wgpt: checkpoint ${out}  (loss curve: ${join(out, 'loss.svg')})`);
  if (best) say(`wgpt: best evaluation at step ${best.step} (val loss ${best.loss.toFixed(3)}${best.accuracy !== undefined ? `, accuracy ${(100 * best.accuracy).toFixed(1)}%` : ''}): ${best.dir}`);
  return { model, tokenizer: tok, out, train: history.train, val: history.val, steps: step, seconds, tokensPerSecond, best, adapter: lora };
}

/** The seed of a fresh adapter's A: apart from the run's dropout and shuffle seeds. */
function mixSeedLora(seed: number): number {
  return (seed * 2654435761 + 0x10a) >>> 0;
}

/** The byte-level BPE a run learns from its own text (OWN_BPE), with the one line that says so. */
function ownBpe(text: string, data: string, say: (l: string) => void): Tokenizer {
  const t0 = performance.now();
  const part = text.length > OWN_BPE_CHARS ? text.slice(0, OWN_BPE_CHARS) : text;
  const { bpe } = trainBpe(part, { vocabSize: OWN_BPE_VOCAB, name: `${basename(data)}-bpe` });
  const what = part === text ? basename(data) : `the first ${OWN_BPE_CHARS.toLocaleString('en-US')} characters of ${basename(data)}`;
  say(`wgpt: trained a byte-level BPE of its own on ${what}: ${bpe.vocabSize} ids in ${((performance.now() - t0) / 1000).toFixed(2)} s (--tokenizer gpt2 for GPT-2's 50,257 ids)`);
  return bpe;
}
