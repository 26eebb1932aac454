// PEFT adapter folders on disk (Node): read one (as PEFT's save_pretrained writes it) onto a model of ours, write one
// atomically. Leaves out: adapter_model.bin (pickle) folders, several adapters in one folder (PEFT's subfolders).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Gpu } from '../gpu/device.js';
import { writeFolderAtomic } from '../io/atomic.js';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, LoRA, loraModules, readPeft, type LoraConfig, type LoraModule, type LoraWeights } from './lora.js';
import type { Architecture, LinearAdapter, Model } from './model.js';

/** A model the LoRA adapter can be put on: one built from the layer library (src/model/layers.ts). */
export interface AdaptableModel extends Model {
  adapter: LinearAdapter | undefined;
  linearModules(): string[];
  /** frozen linear weights to packed f16 (--base-dtype f16) */
  storeFrozenLinearsF16?(): Promise<{ weights: number; f32Bytes: number; f16Bytes: number }>;
}

export function isAdaptable(m: unknown): m is AdaptableModel {
  return typeof (m as AdaptableModel)?.linearModules === 'function' && 'adapter' in (m as object);
}

export function checkAdaptable(m: Model, flag: string): AdaptableModel {
  if (!isAdaptable(m)) throw new Error(`${flag}: the ${m.arch.name} architecture has no linear-layer adapter hook yet (LoRA works on models built from src/model/layers.ts)`);
  return m;
}

/** GPT-2 stores linear weights [in, out] (Conv1D): PEFT's fan_in_fan_out. */
export function fanInFanOut(arch: Architecture): boolean {
  return arch.modelType === 'gpt2';
}

export function isAdapterFolder(dir: string): boolean {
  return existsSync(join(dir, ADAPTER_CONFIG));
}

export function readAdapterFolder(dir: string, arch: Architecture): { config: LoraConfig; weights: Map<string, LoraWeights>; shapes: Map<string, LoraModule> } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`adapter folder ${dir} does not exist`);
  for (const f of [ADAPTER_CONFIG, ADAPTER_WEIGHTS]) {
    if (!existsSync(join(dir, f))) {
      const bin = f === ADAPTER_WEIGHTS && existsSync(join(dir, 'adapter_model.bin'));
      throw new Error(`${dir} has no ${f}${bin ? ' (only adapter_model.bin: save the adapter with safe_serialization=True)' : ' (a PEFT adapter folder holds adapter_config.json and adapter_model.safetensors)'}`);
    }
  }
  return readPeft(readFileSync(join(dir, ADAPTER_CONFIG), 'utf8'), readFileSync(join(dir, ADAPTER_WEIGHTS)), arch.hf.prefixes, dir);
}

/**
 * Puts the adapter in `dir` on `model` (frozen, for inference): its modules must be linear modules of the model with
 * the sizes of their base weights, and its fan_in_fan_out must be the architecture's layout.
 */
export function loadAdapter(gpu: Gpu, model: Model, dir: string): LoRA {
  const m = checkAdaptable(model, '--adapter');
  const { config, weights, shapes } = readAdapterFolder(dir, model.arch);
  const linear = new Set(m.linearModules());
  for (const mod of shapes.keys()) if (!linear.has(mod)) throw new Error(`${dir}: the adapter's module '${mod}' is not a linear module of this ${model.arch.name} model (e.g. ${[...linear].slice(0, 3).join(', ')})`);
  const want = fanInFanOut(model.arch);
  if (config.fanInFanOut !== want) throw new Error(`${dir}: fan_in_fan_out is ${config.fanInFanOut}, but ${model.arch.name}'s linear weights are ${want ? '[in, out] (Conv1D): it must be true' : '[out, in]: it must be false'}`);
  const base = loraModules([...shapes.keys()], (n) => model.params.get(n)?.shape, want);
  for (const [mod, s] of shapes) {
    const b = base.get(mod)!;
    if (b.inF !== s.inF || b.outF !== s.outF) throw new Error(`${dir}: module '${mod}' adapts ${s.inF} → ${s.outF} features, the model's layer is ${b.inF} → ${b.outF}`);
  }
  const lora = new LoRA(gpu, config, shapes, weights, model.arch.hf.prefixes[0] ?? '', { trainable: false });
  m.adapter = lora;
  return lora;
}

export function writeAdapterFolder(dir: string, files: Record<string, Uint8Array | string> | Map<string, Uint8Array | string>): void {
  writeFolderAtomic(dir, files);
}
