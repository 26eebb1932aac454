// The loader for Node (every command and `wgpt/node` use it): a model reference — a folder, or a name on the Hub
// (ORG/NAME[@REVISION], legacy ids like gpt2) downloaded into huggingface_hub's cache — → its folder → config.json →
// architecture → weights (load.ts) → tokenizer (hub/tokenizer.ts, or the spec a wgpt run saved) → model.
// Leaves out: the browser (hub/browser.ts fetches into Cache Storage and uses the same core).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { architectureOf } from '../model/architectures.js';
import type { Gpu } from '../gpu/device.js';
import type { Model, SkippedTensor } from '../model/model.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { resolveFolder } from '../io/atomic.js';
import { CONFIG_FILE, loadCheckpoint, resolveCheckpointDir } from './folder.js';
import type { LoadedCheckpoint } from './load.js';
import { parseModelRef } from './ref.js';
import { downloadModel, type HubOptions } from './download.js';
import { checkpointTokenizer } from './tokenizer-spec.js';

export type { HubOptions } from './download.js';

/**
 * The folder `ref` names: itself when it exists (or its `.old` after an interrupted save), else the Hub cache's
 * snapshot of the model it names, downloaded first when needed. One-line errors.
 */
export async function resolveModelDir(ref: string, opts: HubOptions = {}): Promise<string> {
  if (existsSync(ref) || resolveFolder(ref)) return ref;
  const m = parseModelRef(ref);
  if (!m) return ref; // not a name: the folder loader says the folder does not exist
  try {
    return await downloadModel(m, opts);
  } catch (e) {
    const msg = String((e as Error).message).split('\n')[0];
    // a relative path that does not exist looks like ORG/NAME too: when the Hub has no such model, say both
    const both = ref.includes('/') && !ref.includes('@') && (msg.startsWith('no model ') || msg.startsWith('cannot reach '));
    throw new Error(both ? `no folder ${ref} here, and ${msg}` : msg);
  }
}

export interface LoadedModel {
  model: Model;
  tokenizer: Tokenizer;
  checkpoint: LoadedCheckpoint;
  skipped: SkippedTensor[];
}

/** Checkpoint (config, parameters, generation config) of a folder or a model name. */
export async function loadCheckpointByRef(ref: string, opts: HubOptions = {}): Promise<LoadedCheckpoint> {
  return loadCheckpoint(await resolveModelDir(ref, opts));
}

/** Model + tokenizer of a folder or a model name (`tokenizer`: a spec that overrides the model's own; `check` throws to refuse the checkpoint). */
export async function loadModel(
  gpu: Gpu,
  ref: string,
  o: { tokenizer?: string; hub?: HubOptions; check?: (ck: LoadedCheckpoint) => void; checkModel?: (model: Model, ck: LoadedCheckpoint) => void } = {},
): Promise<LoadedModel> {
  const ck = await loadCheckpointByRef(ref, o.hub);
  o.check?.(ck); // e.g. the architecture a command needs, before the GPU upload and the tokenizer
  const model = ck.arch.create(gpu, ck.config, ck.params);
  try {
    o.checkModel?.(model, ck); // e.g. a capability, before the tokenizer
    const tokenizer = checkpointTokenizer(ck.dir, ck.arch.modelType, ck.arch.vocabSize(ck.config), o.tokenizer);
    return { model, tokenizer, checkpoint: ck, skipped: ck.skipped };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** The tokenizer a folder or a model name carries (on the Hub: config and tokenizer files only are downloaded). */
export async function loadTokenizerOf(ref: string, opts: HubOptions = {}): Promise<Tokenizer> {
  const dir = resolveCheckpointDir(await resolveModelDir(ref, { ...opts, weights: false }));
  const cfgPath = join(dir, CONFIG_FILE);
  const modelType = existsSync(cfgPath) ? readConfigType(cfgPath) : 'gpt2';
  return checkpointTokenizer(dir, modelType, Number.MAX_SAFE_INTEGER);
}

function readConfigType(path: string): string {
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path} is not valid JSON (${String((e as Error).message).split('\n')[0]})`);
  }
  return architectureOf((j ?? {}) as Record<string, unknown>, path).modelType;
}

/** Model + tokenizer of a folder on disk, synchronously (no names: resolveModelDir first for those). */
export function loadModelDir(gpu: Gpu, dir: string, tokenizerOverride?: string): { model: Model; tokenizer: Tokenizer; skipped: SkippedTensor[] } {
  const ck = loadCheckpoint(dir);
  const model = ck.arch.create(gpu, ck.config, ck.params);
  try {
    return { model, tokenizer: checkpointTokenizer(ck.dir, ck.arch.modelType, ck.arch.vocabSize(ck.config), tokenizerOverride), skipped: ck.skipped };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** Model alone (for commands that take ids, not text). */
export async function loadModelOnly(gpu: Gpu, ref: string, opts: HubOptions = {}): Promise<Model> {
  const ck = await loadCheckpointByRef(ref, opts);
  return ck.arch.create(gpu, ck.config, ck.params);
}
