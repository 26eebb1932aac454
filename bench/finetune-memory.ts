// GPU memory of fine-tuning GPT-2 small (the `gpt2` preset: 124M parameters, HF layout), full vs LoRA, read from
// wgpt's buffer pool: trainable parameters, the bytes held after building the model (weights + gradient buffers),
// after building the optimizer (AdamW moments + staging), and the peak of one training step (batch 1 × 128 tokens).
// One mode per process (the pool's high-water mark is per process):
//   node --import ./src/register.mjs bench/finetune-memory.ts full|lora|lora-f16
// Leaves out: activations' dependence on batch size (one small batch), host memory.
import { getGpu } from '../src/gpu/device.ts';
import { GPT } from '../src/model/gpt.ts';
import { PRESETS } from '../src/model/config.ts';
import { initParams } from '../src/model/model.ts';
import { gptParamTable } from '../src/model/params.ts';
import { Trainer } from '../src/train/trainer.ts';
import { LoRA, matchTargets, loraModules, initLoraWeights } from '../src/model/lora.ts';

const mode = process.argv[2] ?? 'full';
if (!['full', 'lora', 'lora-f16'].includes(mode)) throw new Error(`mode must be full, lora or lora-f16, got ${mode}`);
const gpu = await getGpu();
const cfg = { ...PRESETS.gpt2 };
const host = initParams(gptParamTable(cfg), 1);
if (mode !== 'full') for (const [k, p] of host) host.set(k, { ...p, frozen: true });
const MB = (b: number) => (b / 2 ** 20).toFixed(1);
const s0 = gpu.pool.stats().inUseBytes;
const model = GPT.fromParams(gpu, cfg, host);
let extra;
let lora: LoRA | undefined;
if (mode !== 'full') {
  const mods = loraModules(matchTargets(model.linearModules(), ['c_attn', 'c_proj']), (n) => model.params.get(n)?.shape, true);
  lora = new LoRA(gpu, { r: 8, alpha: 16, dropout: 0, targets: ['c_attn', 'c_proj'], rslora: false, fanInFanOut: true, baseModel: null, taskType: 'CAUSAL_LM' }, mods, initLoraWeights(mods, 8, 1), 'transformer.', { trainable: true });
  model.adapter = lora;
  extra = lora.params();
  if (mode === 'lora-f16') {
    await model.storeFrozenLinearsF16();
    gpu.pool.trim();
  }
}
const s1 = gpu.pool.stats().inUseBytes;
const tr = new Trainer(model, { lr: 1e-4, weightDecay: 0.01, seed: 1, extraParams: extra });
const s2 = gpu.pool.stats().inUseBytes;
const trainable = tr.trainable.reduce((a, t) => a + t.size, 0);
const T = 128;
const x = Int32Array.from({ length: T }, (_, i) => (i * 977) % cfg.vocab_size);
gpu.pool.resetPeak();
const t0 = performance.now();
await tr.step({ x, y: x, B: 1, T }, 0);
const sec = (performance.now() - t0) / 1000;
const peak = gpu.pool.stats().peakBytes;
console.log(JSON.stringify({
  mode: mode === 'full' ? 'full fine-tune' : `LoRA r 8 on c_attn, c_proj (attn + mlp)${mode === 'lora-f16' ? ', base linear weights f16' : ''}`,
  parameters: [...model.params.values()].reduce((a, t) => a + t.size, 0),
  trainable,
  model_MiB: MB(s1 - s0),
  optimizer_MiB: MB(s2 - s1),
  held_MiB: MB(s2 - s0),
  step_peak_MiB: MB(peak),
  step_seconds: Number(sec.toFixed(1)),
}));
tr.optimizer.dispose();
lora?.dispose();
model.dispose();
