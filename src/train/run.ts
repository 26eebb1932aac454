// The training runner behind `wgpt train` and `npm start` (Node): data → tokenizer → the architecture's batches,
// model (any registered architecture) from a preset or a checkpoint, the step loop with eval, JSONL log, progress
// bar, periodic atomic checkpoints with the full training state, exact --resume, loss-curve SVG.
// Leaves out: multi-GPU, LR schedules, gradient accumulation.
import { readFileSync, existsSync, mkdirSync, openSync, readSync, fstatSync, closeSync, statSync, readdirSync } from 'node:fs';
import { shellWord } from './stop.js';
import { join, dirname, resolve, basename } from 'node:path';
import type { Gpu } from '../gpu/device.js';
import { type Architecture, type Model, type ParamMap, type DataSource, type ArchOptionValues, countModelParams, initModel, skippedLine, checkArchOptions } from '../model/model.js';
import { architectureByName, ARCHITECTURES } from '../model/architectures.js';
import { saveCheckpoint, loadCheckpoint } from '../hub/folder.js';
import { loadTrainingState, trainingStateFiles, type TrainingState } from './state.js';
import { writeFileAtomic } from '../io/atomic.js';
import { Trainer, NonFiniteLossError } from './trainer.js';
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
  /** set when hooks.stopRequested ended the run early (a checkpoint was saved at `steps`) */
  interrupted?: string;
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
    opts = { ...saved, steps: optsIn.steps ?? saved.steps, epochs: optsIn.steps !== undefined ? undefined : optsIn.epochs ?? saved.epochs, out: optsIn.out ?? resumeDir, log: optsIn.log ?? saved.log };
    history = (state.history as typeof history) ?? history;
  }
  checkOutFolder(resolve(opts.out), resumeDir, optsIn.overwrite);
  const tokSource = resumeDir ?? opts.model;
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
    const ck = loadCheckpoint((resumeDir ?? opts.model)!);
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
  if (opts.labelSmoothing) {
    if (!(opts.labelSmoothing > 0 && opts.labelSmoothing < 1)) throw new Error(`--label-smoothing must be in [0, 1), got ${opts.labelSmoothing}`);
    if (!arch.labelSmoothing) throw new Error(`--label-smoothing is only for ${ARCHITECTURES.filter((a) => a.labelSmoothing).map((a) => `--arch ${a.name}`).join(' or ')} (${arch.name}'s loss has none)`);
  }
  const vocab = arch.vocabSize(config);
  if (tok && tok.vocabSize > vocab) throw new Error(`tokenizer has ${tok.vocabSize} ids but the model's vocab_size is ${vocab}`);
  const data = arch.data.prepare(source, config, { batch: opts.batch, context: opts.context, stride: opts.stride, shuffle: opts.shuffle, seed: opts.seed, valFraction: opts.valFraction });
  for (const line of data.notes) say(line);
  const perEpoch = data.train.numBatches;
  const totalSteps = opts.steps ?? Math.max(1, Math.round((opts.epochs ?? 1) * perEpoch));
  opts.steps = totalSteps;
  if (state && state.step >= totalSteps) {
    const more = Math.max(state.step, 1);
    throw new Error(`the run in ${resumeDir} is finished (${state.step} of ${totalSteps} steps done); to train ${more} more: ${resumeCommand(resumeDir!, state.step + more)} (--steps is the run's new total)`);
  }

  const model: Model = loaded ? arch.create(gpu, config, loaded) : initModel(arch, gpu, config, opts.seed, opts.init === 'torch' ? 'torch' : 'wgpt');
  const trainer = new Trainer(model, { lr: opts.lr, weightDecay: opts.weightDecay, gradClip: opts.gradClip, seed: opts.seed, labelSmoothing: opts.labelSmoothing });
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
  const save = async (why: string) => {
    const params = await model.exportParams();
    const st: TrainingState = {
      step,
      epoch: Math.floor(step / perEpoch),
      batchIndex: step % perEpoch,
      rngSeed: opts.seed,
      optimizer: await trainer.optimizer.exportState(model),
      options: JSON.parse(JSON.stringify({ ...opts, overwrite: undefined })) as Record<string, unknown>,
      history: JSON.parse(JSON.stringify(history)) as Record<string, unknown>,
    };
    const files: Record<string, string | Uint8Array> = tok ? { ...tokenizerFiles(tok, opts.tokenizer) } : {};
    const noTok = tok ? {} : { note: `trained on token ids (${opts.data}) without a tokenizer: give generate --tokenizer SPEC` };
    files[RUN_FILE] = JSON.stringify({ tokenizer: tok ? opts.tokenizer : null, ...noTok, steps: step, why }, null, 2) + '\n';
    files['loss.svg'] = lossCurveSvg(history.train, history.val, `wgpt ${opts.preset ?? 'model'} on ${opts.data.split('/').pop()}`);
    saveCheckpoint(out, config, params, { files: { ...Object.fromEntries(trainingStateFiles(st)), ...files }, arch });
    flushLog();
  };

  say(`wgpt: ${countModelParams(arch, config).toLocaleString('en-US')} parameters (${opts.preset ?? opts.model ?? 'resumed'}: ${arch.describe(config)}) on ${gpu.info.description || gpu.info.architecture}${gpu.info.isCpu ? ' (CPU adapter)' : ''}`);
  say(`wgpt: ${data.summary}; ${state ? `resuming at step ${step} of ` : ''}${totalSteps} steps`);
  const bar = new ProgressBar(totalSteps, step, hooks.progress ?? !!process.stderr.isTTY);
  const t0 = performance.now();
  let lastLine = t0;
  const startStep = step;
  let tokensDone = 0;
  let lastLoss = NaN;
  try {
    while (step < totalSteps) {
      const epoch = Math.floor(step / perEpoch);
      const b = data.train.batch(step % perEpoch, epoch);
      const loss = await trainer.step(b, step);
      lastLoss = loss;
      step++;
      tokensDone += data.train.tokens(b);
      history.train.push({ step, loss });
      const dt = (performance.now() - t0) / 1000;
      const tps = tokensDone / dt;
      log({ step, loss, epoch, lr: opts.lr, tokens_per_s: Math.round(tps) });
      bar.update(step, { loss: loss.toFixed(3), 'tok/s': tps.toFixed(0) });
      if (valData && opts.evalEvery > 0 && step % opts.evalEvery === 0 && step < totalSteps) {
        const { loss: v, accuracy } = await trainer.evaluateMetrics(evalBatches());
        history.val.push(accuracy === undefined ? { step, loss: v } : { step, loss: v, accuracy });
        log({ step, val_loss: v, train_loss: loss, ...(accuracy !== undefined ? { val_accuracy: accuracy } : {}) });
        if (!bar.enabled) {
          say(`step ${step}/${totalSteps}  train ${loss.toFixed(3)}  val ${v.toFixed(3)}${accuracy !== undefined ? `  val accuracy ${(100 * accuracy).toFixed(1)}%` : ''}`);
          lastLine = performance.now();
        }
      } else if (!bar.enabled && (step === 1 || step === totalSteps || performance.now() - lastLine >= (hooks.progressLineMs ?? PROGRESS_LINE_MS))) {
        // no terminal (a log file, CI, a pipe): a line at the first and last step and every few seconds between
        say(`step ${step}/${totalSteps}  loss ${loss.toFixed(3)}  ${tps.toFixed(0)} tok/s`);
        lastLine = performance.now();
      }
      if (opts.saveEvery > 0 && step % opts.saveEvery === 0 && step < totalSteps) await save('periodic');
      hooks.onStep?.(step);
      const stop = step < totalSteps ? hooks.stopRequested?.() : null;
      if (stop) {
        bar.done();
        await save('interrupted');
        trainer.optimizer.dispose();
        const seconds = (performance.now() - t0) / 1000;
        say(`wgpt: ${stop} at step ${step}/${totalSteps}: checkpoint saved to ${out}`);
        say(`wgpt: resume with: ${resumeCommand(out)}`);
        return { model, tokenizer: tok, out, train: history.train, val: history.val, steps: step, seconds, tokensPerSecond: tokensDone / seconds, interrupted: stop };
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
    const { loss: v, accuracy } = await trainer.evaluateMetrics(evalBatches());
    history.val.push(accuracy === undefined ? { step, loss: v } : { step, loss: v, accuracy });
    log({ step, val_loss: v, train_loss: lastLoss, ...(accuracy !== undefined ? { val_accuracy: accuracy } : {}) });
  }
  await save('final');
  trainer.optimizer.dispose();
  const seconds = (performance.now() - t0) / 1000;
  const tokensPerSecond = tokensDone / seconds;
  const lastVal = history.val[history.val.length - 1];
  say(`wgpt: ${step - startStep} steps in ${formatDuration(seconds)} (${tokensPerSecond.toFixed(0)} tokens/s); loss ${history.train[0]?.loss.toFixed(3) ?? '?'} → ${lastLoss.toFixed(3)}${lastVal ? `, val ${lastVal.loss.toFixed(3)}` : ''}${lastVal?.accuracy !== undefined ? ` (accuracy ${(100 * lastVal.accuracy).toFixed(1)}%)` : ''}`);
  say(`wgpt: checkpoint ${out}  (loss curve: ${join(out, 'loss.svg')})`);
  return { model, tokenizer: tok, out, train: history.train, val: history.val, steps: step, seconds, tokensPerSecond };
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
