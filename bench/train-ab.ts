// A/B of a GPT training step (forward, backward, AdamW) between another checkout (A, e.g. main) and this tree (B), in
// one process on one device: each side's own model, trainer and ops, the same seed and batch, alternating A B per round.
// Prints wall ms per step, tokens/s, the per-round ratio A ÷ B (> 1: B faster) and whether the losses agree. The
// presets and batch are those of `wgpt bench peer-train` (tiny B 4 × T 32, small B 4 × T 64, V = 1416).
// Run: node --import ./src/register.mjs bench/train-ab.ts /path/to/other/checkout [ROUNDS=7] [STEPS=3] [PRESETS=tiny,small]
import { getGpu } from '../src/gpu/device.ts';
import { GPT as GptB } from '../src/model/gpt.ts';
import { PRESETS } from '../src/model/config.ts';
import { Trainer as TrainerB } from '../src/train/trainer.ts';

const other = process.argv[2];
if (!other) throw new Error('usage: bench/train-ab.ts OTHER_CHECKOUT [ROUNDS] [STEPS] [PRESETS]');
const { GPT: GptA } = (await import(`${other}/src/model/gpt.ts`)) as { GPT: typeof GptB };
const { Trainer: TrainerA } = (await import(`${other}/src/train/trainer.ts`)) as { Trainer: typeof TrainerB };
const rounds = Number(process.argv[3] ?? 7);
const steps = Number(process.argv[4] ?? 3);
const presets = (process.argv[5] ?? 'tiny,small').split(',');
const gpu = await getGpu();
gpu.setPolicy({ tiers: 'best' });
const V = 1416;
const med = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)];
console.log(`| preset (B × T, V = ${V}) | A ms/step | B ms/step | A tokens/s | B tokens/s | A ÷ B (per-round median, min–max) | losses |\n|---|---:|---:|---:|---:|---:|---|`);
for (const preset of presets) {
  const B = 4;
  const T = preset === 'tiny' ? 32 : 64;
  const cfg = { ...PRESETS[preset], vocab_size: V, context_length: T, dropout: 0 };
  const x = Int32Array.from({ length: B * T }, (_, i) => (i * 7919) % V);
  const y = Int32Array.from({ length: B * T }, (_, i) => (i * 7919 + 1) % V);
  const trainers = [new TrainerA(GptA.init(gpu as never, cfg, 1) as never, { lr: 1e-3, weightDecay: 0.1, seed: 1 }), new TrainerB(GptB.init(gpu, cfg, 1), { lr: 1e-3, weightDecay: 0.1, seed: 1 })];
  const wall: number[][] = [[], []];
  const losses: number[][] = [[], []];
  let step = 0;
  for (let s = 0; s < 2; s++) for (let i = 0; i < 3; i++) losses[s].push(await trainers[s].step({ x, y, B, T }, i));
  step = 3;
  for (let r = 0; r < rounds; r++) {
    for (const s of r % 2 ? [1, 0] : [0, 1]) {
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) losses[s].push(await trainers[s].step({ x, y, B, T }, step + i));
      wall[s].push((performance.now() - t0) / steps);
    }
    step += steps;
  }
  const rw = wall[0].map((v, i) => v / wall[1][i]);
  const same = losses[0].every((l, i) => Math.abs(l - losses[1][i]) <= 1e-4 * Math.abs(l));
  const bits = losses[0].every((l, i) => Object.is(l, losses[1][i]));
  console.log(`| ${preset} (${B} × ${T}) | ${med(wall[0]).toFixed(1)} | ${med(wall[1]).toFixed(1)} | ${((B * T) / (med(wall[0]) / 1000)).toFixed(0)} | ${((B * T) / (med(wall[1]) / 1000)).toFixed(0)} | ${med(rw).toFixed(3)} (${Math.min(...rw).toFixed(2)}–${Math.max(...rw).toFixed(2)}) | ${bits ? 'equal bit for bit' : same ? 'equal within 1e-4' : 'DIFFER'} (${losses[1][0].toFixed(4)} → ${losses[1][losses[1].length - 1].toFixed(4)}) |`);
}
process.exit(0);
