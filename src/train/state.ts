// Training state beside a checkpoint (Node): optimizer moments, step/epoch counters, the run's RNG seed and extra
// buffers, as training_state.json + training_state.safetensors tied by a write id, so `--resume` continues exactly.
// Lives in src/train (src/model knows nothing of training). Leaves out: the model's own files (hub/folder.ts).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableShapes } from '../model/model.js';
import type { OptimizerState } from './adamw.js';
import { parseSafetensors, serializeSafetensors, type TensorToWrite } from '../io/safetensors.js';
import { resolveFolder, writeFileAtomic } from '../io/atomic.js';
import { CONFIG_FILE, readConfig, resolveCheckpointDir } from '../hub/folder.js';

export type { OptimizerState } from './adamw.js';

export const STATE_FILE = 'training_state.json';
export const STATE_TENSORS_FILE = 'training_state.safetensors';

const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0];

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
  if (existsSync(cfgPath)) {
    const { arch, config } = readConfig(readJson(cfgPath), cfgPath);
    shapes = tableShapes(arch.paramTable(config));
  }

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
