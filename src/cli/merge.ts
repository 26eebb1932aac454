// `wgpt merge`: a LoRA adapter folder (PEFT's layout) folded into its base model's weights (PEFT's merge_and_unload),
// written as a normal checkpoint folder (config.json + model.safetensors, the base's tokenizer files copied). Host
// arithmetic only, no GPU. Leaves out: unmerging, merging several adapters at once.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Command, UsageError } from './command.js';
import { loadCheckpoint, saveCheckpoint, CONFIG_FILE, MODEL_FILE } from '../hub/folder.js';
import { STATE_FILE, STATE_TENSORS_FILE } from '../train/state.js';
import { readAdapterFolder, fanInFanOut } from '../model/lora-folder.js';
import { mergeLora } from '../model/lora.js';

/** files of the base folder that are not its weights, config or training state (tokenizer files, run.json) */
const SKIP = new Set([CONFIG_FILE, MODEL_FILE, STATE_FILE, STATE_TENSORS_FILE, 'pytorch_model.bin', 'model.safetensors.index.json', 'loss.svg']);

const cmd: Command = {
  summary: 'merge a LoRA adapter into its base model: a normal model folder (W += scale·B·A)',
  usage: 'wgpt merge --model BASE --adapter DIR --out DIR [--overwrite]',
  options: { model: { type: 'string' }, adapter: { type: 'string' }, out: { type: 'string' }, overwrite: { type: 'boolean' } },
  help: {
    model: ['BASE', 'the base model folder the adapter was trained on; required'],
    adapter: ['DIR', 'the LoRA adapter folder (adapter_config.json + adapter_model.safetensors); required'],
    out: ['DIR', 'where the merged model goes (config.json, model.safetensors, the base\'s tokenizer files); required'],
    overwrite: ['', 'replace --out when it already holds files'],
  },
  async run(v) {
    for (const k of ['model', 'adapter', 'out']) if (!v[k]) throw new UsageError(`--${k} is required`);
    const out = v.out as string;
    if ([v.model, v.adapter].some((d) => resolve(d as string) === resolve(out))) throw new UsageError('--out must be a new folder, not --model or --adapter');
    if (existsSync(out) && !v.overwrite && (!statSync(out).isDirectory() || readdirSync(out).length)) throw new Error(`${out} already holds files; give --overwrite to replace it`);
    const ck = loadCheckpoint(v.model as string);
    const { config, weights, shapes } = readAdapterFolder(v.adapter as string, ck.arch);
    const want = fanInFanOut(ck.arch);
    if (config.fanInFanOut !== want) throw new Error(`${v.adapter}: fan_in_fan_out is ${config.fanInFanOut}, but ${ck.arch.name}'s linear weights are ${want ? '[in, out] (Conv1D)' : '[out, in]'}`);
    const merged = mergeLora(ck.params, config, shapes, weights);
    const files: Record<string, Uint8Array> = {};
    for (const f of readdirSync(ck.dir)) {
      if (SKIP.has(f) || !statSync(join(ck.dir, f)).isFile()) continue;
      files[f] = readFileSync(join(ck.dir, f));
    }
    saveCheckpoint(out, ck.config, merged, { arch: ck.arch, files });
    console.log(`merged ${shapes.size} LoRA modules (r ${config.r}, scale ${(config.rslora ? config.alpha / Math.sqrt(config.r) : config.alpha / config.r).toPrecision(4)}) into ${ck.arch.name} → ${out}`);
  },
};
export default cmd;
