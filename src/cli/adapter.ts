// `--adapter DIR` for the inference commands (logits, generate, translate, fill-mask, classify): the flag's table
// entries and the one call that puts a PEFT LoRA folder on a loaded model (frozen), or says in one line why it cannot.
import type { Gpu } from '../gpu/device.js';
import type { Model } from '../model/model.js';
import { loadAdapter } from '../model/lora-folder.js';

export const ADAPTER_OPTION = { adapter: { type: 'string' as const } };
export const ADAPTER_HELP = { adapter: ['DIR', 'a LoRA adapter folder (PEFT: adapter_config.json + adapter_model.safetensors) applied on top of --model'] as [string, string] };

/** Loads `dir` onto the model when given; returns a dispose for the adapter's tensors. */
export function applyAdapter(gpu: Gpu, model: Model, dir: unknown): () => void {
  if (dir === undefined) return () => {};
  const lora = loadAdapter(gpu, model, dir as string);
  return () => lora.dispose();
}
