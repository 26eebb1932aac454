// Checkpoint folders in Hugging Face GPT-2 layout (Node only): config.json + model.safetensors, plus the
// training state (optimizer moments, counters) beside them, all swapped in by one atomic folder write.
// Leaves out: sharded checkpoints (model.safetensors.index.json), PyTorch pickles (pytorch_model.bin), tokenizer files.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type GPTConfig, validateConfig } from './config.js';
import { paramShapes } from './params.js';
import { parseSafetensors, serializeSafetensors, type TensorToWrite } from '../io/safetensors.js';
import { resolveFolder, writeFileAtomic, writeFolderAtomic } from '../io/atomic.js';

/** Parameter names → shapes for a config, in HF GPT-2 naming (the one list lives in params.ts; re-exported here). */
export const expectedParamShapes: (config: GPTConfig) => Map<string, number[]> = paramShapes;

export type ParamMap = Map<string, { shape: number[]; data: Float32Array }>;

export interface OptimizerState {
  /** optimizer steps taken (AdamW bias correction uses it) */
  step: number;
  /** first moments by parameter name */
  m: Map<string, Float32Array>;
  /** second moments by parameter name */
  v: Map<string, Float32Array>;
}

/** What `--resume` needs. Fields other than the named ones must be JSON values; they round-trip through training_state.json. */
export interface TrainingState {
  /** training steps done */
  step: number;
  epoch: number;
  /** next batch within the epoch */
  batchIndex: number;
  /** seed of the run's RNG (data shuffling, dropout) */
  rngSeed: number;
  optimizer: OptimizerState;
  /** extra arrays to keep (e.g. the epoch's shuffled window order), stored as tensors `buffer.<name>` */
  buffers?: Map<string, Float32Array | Int32Array>;
  [key: string]: unknown;
}

export const CONFIG_FILE = 'config.json';
export const MODEL_FILE = 'model.safetensors';
export const STATE_FILE = 'training_state.json';
export const STATE_TENSORS_FILE = 'training_state.safetensors';

const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0];
const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

// ---- config.json <-> GPTConfig ----

/** GPTConfig → config.json object with GPT-2 HF keys, plus what HF has no key for under "wgpt". */
export function configToHF(c: GPTConfig): Record<string, unknown> {
  validateConfig(c);
  return {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    vocab_size: c.vocab_size,
    n_positions: c.context_length,
    n_ctx: c.context_length,
    n_embd: c.d_model,
    n_layer: c.n_layers,
    n_head: c.n_heads,
    n_inner: null,
    layer_norm_epsilon: c.layernorm_eps,
    activation_function: 'gelu_new',
    tie_word_embeddings: c.tie_embeddings,
    resid_pdrop: c.dropout,
    embd_pdrop: c.dropout,
    attn_pdrop: c.dropout,
    scale_attn_weights: true,
    torch_dtype: 'float32',
    wgpt: { format: 1, qkv_bias: c.qkv_bias, positions: c.positions, dropout: c.dropout },
  };
}

/** config.json object → GPTConfig. Defaults as HF GPT-2: qkv_bias true, learned positions, tied head, eps 1e-5. */
export function configFromHF(j: unknown, where = CONFIG_FILE): GPTConfig {
  const bad = (msg: string): never => {
    throw new Error(`${where}: ${msg}`);
  };
  if (typeof j !== 'object' || j === null || Array.isArray(j)) bad('must be a JSON object');
  const o = j as Record<string, unknown>;
  if (o.model_type !== undefined && o.model_type !== 'gpt2') bad(`model_type is ${JSON.stringify(o.model_type)}; wgpt loads "gpt2" models`);
  const int = (key: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) bad(`${key} must be a positive integer, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const num = (key: string, v: unknown, dflt: number): number => {
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v)) bad(`${key} must be a number, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const bool = (key: string, v: unknown, dflt: boolean): boolean => {
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'boolean') bad(`${key} must be true or false, got ${JSON.stringify(v)}`);
    return v as boolean;
  };
  for (const k of ['vocab_size', 'n_embd', 'n_layer', 'n_head']) if (o[k] === undefined) bad(`missing "${k}"`);
  if (o.n_positions === undefined && o.n_ctx === undefined) bad('missing "n_positions"');
  const w = o.wgpt ?? {};
  if (typeof w !== 'object' || w === null || Array.isArray(w)) bad('"wgpt" must be an object');
  const ours = w as Record<string, unknown>;

  const d_model = int('n_embd', o.n_embd);
  if (o.n_inner !== undefined && o.n_inner !== null && o.n_inner !== 4 * d_model) bad(`n_inner ${JSON.stringify(o.n_inner)} is not supported; wgpt's MLP is ${d_model}→${4 * d_model}→${d_model} (n_inner null)`);
  const act = o.activation_function ?? 'gelu_new';
  if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') bad(`activation_function ${JSON.stringify(act)} is not supported; wgpt uses the tanh GELU ("gelu_new")`);
  if (o.scale_attn_by_inverse_layer_idx === true) bad('scale_attn_by_inverse_layer_idx true is not supported');
  if (o.scale_attn_weights === false) bad('scale_attn_weights false is not supported (wgpt scales scores by 1/sqrt(head size))');
  const positions = ours.positions ?? 'learned';
  if (positions !== 'learned' && positions !== 'sinusoidal') bad(`wgpt.positions must be "learned" or "sinusoidal", got ${JSON.stringify(positions)}`);

  const c: GPTConfig = {
    vocab_size: int('vocab_size', o.vocab_size),
    context_length: o.n_positions !== undefined ? int('n_positions', o.n_positions) : int('n_ctx', o.n_ctx),
    d_model,
    n_heads: int('n_head', o.n_head),
    n_layers: int('n_layer', o.n_layer),
    dropout: num('wgpt.dropout', ours.dropout, num('resid_pdrop', o.resid_pdrop, 0.1)),
    qkv_bias: bool('wgpt.qkv_bias', ours.qkv_bias, true),
    tie_embeddings: bool('tie_word_embeddings', o.tie_word_embeddings, true),
    positions: positions as GPTConfig['positions'],
    layernorm_eps: num('layer_norm_epsilon', o.layer_norm_epsilon, 1e-5),
  };
  try {
    return validateConfig(c);
  } catch (e) {
    return bad(firstLine(e));
  }
}

// ---- safetensors tensors <-> parameter map ----

const MASK_BUFFER = /^h\.\d+\.attn\.(bias|masked_bias)$/;

/**
 * Maps the tensors of a model file onto the config's parameters: strips a `transformer.` prefix, drops the
 * attention-mask buffers and (tied head) `lm_head.weight`, then requires exactly the expected names and shapes.
 */
export function paramsFromTensors(
  tensors: Map<string, { dtype: string; shape: number[]; data: Float32Array }>,
  config: GPTConfig,
  where = MODEL_FILE,
): ParamMap {
  const expected = expectedParamShapes(config);
  const found = new Map<string, { dtype: string; shape: number[]; data: Float32Array; raw: string }>();
  for (const [raw, t] of tensors) {
    const name = raw.startsWith('transformer.') ? raw.slice('transformer.'.length) : raw;
    if (MASK_BUFFER.test(name)) continue;
    if (name === 'lm_head.weight' && config.tie_embeddings) continue; // HF ties it to wte on load, as here
    const prev = found.get(name);
    if (prev) throw new Error(`${where}: tensor '${name}' appears twice ('${prev.raw}' and '${raw}')`);
    found.set(name, { ...t, raw });
  }
  const out: ParamMap = new Map();
  for (const [name, shape] of expected) {
    const t = found.get(name);
    if (!t) throw new Error(`${where}: missing tensor '${name}' (expected shape ${fmt(shape)} from the config)`);
    if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16') throw new Error(`${where}: tensor '${t.raw}' has dtype ${t.dtype}; parameters must be F32, F16 or BF16`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      const transposed = shape.length === 2 && t.shape.length === 2 && t.shape[0] === shape[1] && t.shape[1] === shape[0];
      const hint = transposed ? ' (transposed: GPT-2 stores linear weights Conv1D-style as [in, out])' : '';
      throw new Error(`${where}: tensor '${t.raw}' has shape ${fmt(t.shape)}, expected ${fmt(shape)} from the config${hint}`);
    }
    out.set(name, { shape: [...shape], data: t.data });
    found.delete(name);
  }
  for (const [name, t] of found) {
    let hint = '';
    if (name === 'lm_head.weight') hint = ' (an untied output head, but the config says tie_word_embeddings true)';
    else if (name === 'wpe.weight') hint = ' (learned positions, but the config says wgpt.positions "sinusoidal")';
    else if (name.endsWith('attn.c_attn.bias')) hint = ' (a q/k/v bias, but the config says wgpt.qkv_bias false)';
    throw new Error(`${where}: unexpected tensor '${t.raw}' with shape ${fmt(t.shape)}${hint}`);
  }
  return out;
}

function checkParams(config: GPTConfig, params: ParamMap): void {
  const expected = expectedParamShapes(config);
  for (const [name, shape] of expected) {
    const p = params.get(name);
    if (!p) throw new Error(`saveCheckpoint: missing parameter '${name}' (expected shape ${fmt(shape)})`);
    if (p.shape.length !== shape.length || p.shape.some((d, i) => d !== shape[i])) throw new Error(`saveCheckpoint: parameter '${name}' has shape ${fmt(p.shape)}, expected ${fmt(shape)}`);
    const n = shape.reduce((a, b) => a * b, 1);
    if (!(p.data instanceof Float32Array) || p.data.length !== n) throw new Error(`saveCheckpoint: parameter '${name}' needs a Float32Array of ${n} values, got ${p.data?.length}`);
  }
  for (const name of params.keys()) if (!expected.has(name)) throw new Error(`saveCheckpoint: unexpected parameter '${name}' for this config`);
}

// ---- training state ----

const RESERVED = new Set(['optimizer', 'buffers', 'format', 'version', 'write_id']);

function isJsonValue(v: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every((x) => isJsonValue(x, depth + 1));
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return Object.values(v as object).every((x) => isJsonValue(x, depth + 1));
  return false;
}

function checkCounter(key: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new Error(`training state: ${key} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

/** The two training-state files (JSON counters + safetensors moments), tied together by a random write id. */
export function trainingStateFiles(state: TrainingState): Map<string, Uint8Array | string> {
  checkCounter('step', state.step, 0);
  checkCounter('epoch', state.epoch, 0);
  checkCounter('batchIndex', state.batchIndex, 0);
  checkCounter('rngSeed', state.rngSeed, Number.MIN_SAFE_INTEGER);
  const opt = state.optimizer;
  if (!opt || !(opt.m instanceof Map) || !(opt.v instanceof Map)) throw new Error('training state: optimizer needs m and v maps');
  checkCounter('optimizer.step', opt.step, 0);
  const names = [...opt.m.keys()];
  const tensors: TensorToWrite[] = [];
  for (const name of names) {
    const m = opt.m.get(name)!;
    const v = opt.v.get(name);
    if (!(m instanceof Float32Array) || !(v instanceof Float32Array)) throw new Error(`training state: optimizer moments of '${name}' must be Float32Arrays (m and v)`);
    if (m.length !== v.length) throw new Error(`training state: optimizer moments of '${name}' differ in length (m ${m.length}, v ${v.length})`);
    tensors.push({ name: `optimizer.m.${name}`, shape: [m.length], data: m }, { name: `optimizer.v.${name}`, shape: [v.length], data: v });
  }
  for (const name of opt.v.keys()) if (!opt.m.has(name)) throw new Error(`training state: optimizer has v but no m for '${name}'`);
  const bufferNames = state.buffers ? [...state.buffers.keys()] : [];
  for (const name of bufferNames) {
    const b = state.buffers!.get(name)!;
    tensors.push({ name: `buffer.${name}`, shape: [b.length], data: b });
  }
  const writeId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const json: Record<string, unknown> = { format: 'wgpt-training-state', version: 1, write_id: writeId };
  for (const [k, v] of Object.entries(state)) {
    if (RESERVED.has(k)) continue;
    if (!isJsonValue(v)) throw new Error(`training state: field '${k}' is not a plain JSON value (put typed arrays in buffers)`);
    json[k] = v;
  }
  json.optimizer = { step: opt.step, params: names };
  json.buffers = bufferNames;
  return new Map<string, Uint8Array | string>([
    [STATE_TENSORS_FILE, serializeSafetensors(tensors, { format: 'wgpt-training-state', write_id: writeId })],
    [STATE_FILE, JSON.stringify(json, null, 1) + '\n'],
  ]);
}

// ---- folder save / load ----

function readBytes(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read ${what} ${path}: ${firstLine(e)}`);
  }
}

function readJson(path: string): unknown {
  const text = new TextDecoder().decode(readBytes(path, 'file'));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path} is not valid JSON (${firstLine(e)})`);
  }
}

/** The checkpoint folder to read for `dir` (itself, or `<dir>.old` after an interrupted swap); one-line errors. */
export function resolveCheckpointDir(dir: string): string {
  const real = resolveFolder(dir);
  if (!real) throw new Error(`checkpoint folder ${dir} does not exist`);
  if (!statSync(real).isDirectory()) throw new Error(`checkpoint ${dir} is not a folder`);
  return real;
}

/**
 * Writes `dir` atomically (see writeFolderAtomic): config.json, model.safetensors (F32, HF GPT-2 names, metadata
 * format "pt"), and when given the training state and any extra files. The previous folder's files are replaced whole.
 */
export function saveCheckpoint(
  dir: string,
  config: GPTConfig,
  params: ParamMap,
  extra: { trainingState?: TrainingState; files?: Record<string, Uint8Array | string> } = {},
): void {
  const hf = configToHF(config);
  checkParams(config, params);
  const tensors: TensorToWrite[] = [...params].map(([name, p]) => ({ name, shape: p.shape, data: p.data }));
  const files = new Map<string, Uint8Array | string>([
    [CONFIG_FILE, JSON.stringify(hf, null, 2) + '\n'],
    [MODEL_FILE, serializeSafetensors(tensors, { format: 'pt' })],
  ]);
  if (extra.trainingState) for (const [k, v] of trainingStateFiles(extra.trainingState)) files.set(k, v);
  for (const [k, v] of Object.entries(extra.files ?? {})) {
    if (files.has(k)) throw new Error(`saveCheckpoint: extra file '${k}' clashes with a checkpoint file`);
    files.set(k, v);
  }
  writeFolderAtomic(dir, files);
}

/**
 * Reads a checkpoint folder (a wgpt one or a Hugging Face GPT-2 download). Tensors come back as f32 (F32 ones as
 * views into the file's bytes). `dir` in the result is the folder actually read (`<dir>.old` after an interrupted save).
 */
export function loadCheckpoint(dir: string): { config: GPTConfig; params: ParamMap; dir: string } {
  const real = resolveCheckpointDir(dir);
  try {
    return loadFolder(real, dir);
  } catch (e) {
    // reading `<dir>.old` while a writer finished its swap and removed it: the new folder is complete
    if (real !== dir && existsSync(dir)) return loadFolder(dir, dir);
    throw e;
  }
}

function loadFolder(real: string, dir: string): { config: GPTConfig; params: ParamMap; dir: string } {
  const cfgPath = join(real, CONFIG_FILE);
  if (!existsSync(cfgPath)) throw new Error(`checkpoint ${dir} has no ${CONFIG_FILE}`);
  const config = configFromHF(readJson(cfgPath), cfgPath);
  const modelPath = join(real, MODEL_FILE);
  if (!existsSync(modelPath)) {
    if (existsSync(join(real, 'model.safetensors.index.json'))) throw new Error(`checkpoint ${dir} is sharded (model.safetensors.index.json); wgpt reads a single ${MODEL_FILE}`);
    if (existsSync(join(real, 'pytorch_model.bin'))) throw new Error(`checkpoint ${dir} has pytorch_model.bin but no ${MODEL_FILE}; wgpt reads safetensors only`);
    throw new Error(`checkpoint ${dir} has no ${MODEL_FILE}`);
  }
  const bytes = readBytes(modelPath, 'model file');
  let parsed;
  try {
    parsed = parseSafetensors(bytes);
  } catch (e) {
    throw new Error(`${modelPath}: ${firstLine(e)}`);
  }
  return { config, params: paramsFromTensors(parsed.tensors, config, modelPath), dir: real };
}

export function hasTrainingState(dir: string): boolean {
  const real = resolveFolder(dir);
  return !!real && existsSync(join(real, STATE_FILE));
}

/**
 * Writes only the training state into an existing checkpoint folder (each file atomically). Prefer
 * saveCheckpoint(..., {trainingState}) so model and state change together; a crash between the two files
 * here is detected at load (their write ids differ).
 */
export function saveTrainingState(dir: string, state: TrainingState): void {
  const real = resolveCheckpointDir(dir);
  const files = trainingStateFiles(state);
  writeFileAtomic(join(real, STATE_TENSORS_FILE), files.get(STATE_TENSORS_FILE)!);
  writeFileAtomic(join(real, STATE_FILE), files.get(STATE_FILE)!);
}

/** Reads the training state of a checkpoint folder; checks it against the folder's config when there is one. */
export function loadTrainingState(dir: string): TrainingState {
  const real = resolveCheckpointDir(dir);
  const jsonPath = join(real, STATE_FILE);
  const tPath = join(real, STATE_TENSORS_FILE);
  if (!existsSync(jsonPath)) throw new Error(`checkpoint ${dir} has no training state (${STATE_FILE}); it cannot be resumed`);
  if (!existsSync(tPath)) throw new Error(`checkpoint ${dir} has ${STATE_FILE} but no ${STATE_TENSORS_FILE}`);
  const j = readJson(jsonPath);
  const bad = (msg: string): never => {
    throw new Error(`${jsonPath}: ${msg}`);
  };
  if (typeof j !== 'object' || j === null || Array.isArray(j)) bad('must be a JSON object');
  const o = j as Record<string, unknown>;
  if (o.format !== 'wgpt-training-state') bad(`format is ${JSON.stringify(o.format)}, expected "wgpt-training-state"`);
  const bytes = readBytes(tPath, 'file');
  let parsed;
  try {
    parsed = parseSafetensors(bytes);
  } catch (e) {
    throw new Error(`${tPath}: ${firstLine(e)}`);
  }
  if (parsed.metadata.write_id !== o.write_id) bad(`${STATE_FILE} and ${STATE_TENSORS_FILE} come from different writes (interrupted saveTrainingState?)`);
  const optJ = o.optimizer as { step?: unknown; params?: unknown } | undefined;
  if (!optJ || !Array.isArray(optJ.params) || optJ.params.some((p) => typeof p !== 'string')) bad('optimizer.params must be a list of names');
  if (!Array.isArray(o.buffers) || o.buffers.some((p) => typeof p !== 'string')) bad('buffers must be a list of names');
  let shapes: Map<string, number[]> | null = null;
  const cfgPath = join(real, CONFIG_FILE);
  if (existsSync(cfgPath)) shapes = expectedParamShapes(configFromHF(readJson(cfgPath), cfgPath));

  const take = (name: string): { data: Float32Array; ints?: Int32Array } => {
    const t = parsed.tensors.get(name);
    if (!t) throw new Error(`${tPath}: missing tensor '${name}'`);
    parsed.tensors.delete(name);
    return t;
  };
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const name of optJ!.params as string[]) {
    const tm = take(`optimizer.m.${name}`);
    const tv = take(`optimizer.v.${name}`);
    if (shapes) {
      const s = shapes.get(name);
      if (!s) throw new Error(`${tPath}: optimizer state for '${name}', which is not a parameter of the checkpoint's config`);
      const n = s.reduce((a, b) => a * b, 1);
      if (tm.data.length !== n || tv.data.length !== n) throw new Error(`${tPath}: optimizer state for '${name}' has ${tm.data.length} values, the parameter has ${n}`);
    }
    m.set(name, tm.data);
    v.set(name, tv.data);
  }
  const buffers = new Map<string, Float32Array | Int32Array>();
  for (const name of o.buffers as string[]) {
    const t = take(`buffer.${name}`);
    buffers.set(name, t.ints ?? t.data);
  }
  if (parsed.tensors.size) throw new Error(`${tPath}: unexpected tensor '${[...parsed.tensors.keys()][0]}'`);

  const state: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(o)) if (!RESERVED.has(k)) state[k] = val;
  for (const k of ['step', 'epoch', 'batchIndex']) checkCounter(k, state[k], 0);
  checkCounter('rngSeed', state.rngSeed, Number.MIN_SAFE_INTEGER);
  const optStep = checkCounter('optimizer.step', optJ!.step, 0);
  return { ...(state as Omit<TrainingState, 'optimizer'>), optimizer: { step: optStep, m, v }, buffers } as TrainingState;
}
