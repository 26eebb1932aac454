// A training step of the `small` GPT (V = 1000, B = 8, T = 64) under two kernel policies of one device, alternating
// per round: `big` with A shared through workgroup memory (A) against the quad form (B); process CPU ms per
// step (SwiftShader runs on this process's threads, so the figure barely moves with other processes' load) and the
// wall ms. The two compute the same bits, so both runs see the same losses. Leaves out: tfjs, PyTorch (bench peer-train).
// Run: node --import ./src/register.mjs bench/step-ab.ts [ROUNDS=7] [STEPS=3]
import { getGpu, type KernelPolicy } from '../src/gpu/device.ts';
import { GPT } from '../src/model/gpt.ts';
import { PRESETS } from '../src/model/config.ts';
import { Trainer } from '../src/train/trainer.ts';

const rounds = Number(process.argv[2] ?? 7);
const steps = Number(process.argv[3] ?? 3);
const gpu = await getGpu();
if (!gpu.features.has('subgroups')) throw new Error('bench/step-ab.ts: the adapter has no subgroups feature');
const cfg = { ...PRESETS.small, vocab_size: 1000 };
const B = 8;
const T = cfg.context_length;
const x = Int32Array.from({ length: B * T }, (_, i) => (i * 7919) % 1000);
const y = Int32Array.from({ length: B * T }, (_, i) => (i * 7919 + 1) % 1000);
const sides: [string, Partial<KernelPolicy>][] = [['workgroup', { tiers: 'best', bigTile: 'workgroup' }], ['subgroup', { tiers: 'best', bigTile: 'subgroup' }]];
const models = sides.map(() => GPT.init(gpu, cfg, 1));
const trainers = models.map((m) => new Trainer(m, { lr: 1e-3, weightDecay: 0.1, seed: 1 }));
const cpu: number[][] = [[], []];
const wall: number[][] = [[], []];
const losses: number[][] = [[], []];
let step = 0;
// warm-up: compiles both sides' kernels
for (let s = 0; s < 2; s++) await gpu.withPolicy(sides[s][1], () => trainers[s].step({ x, y, B, T }, 0));
for (let r = 0; r < rounds; r++) {
  for (const s of r % 2 ? [1, 0] : [0, 1]) {
    await gpu.withPolicy(sides[s][1], async () => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) losses[s].push(await trainers[s].step({ x, y, B, T }, 1 + step + i));
      const c = process.cpuUsage(c0);
      cpu[s].push((c.user + c.system) / 1000 / steps);
      wall[s].push((performance.now() - t0) / steps);
    });
  }
  step += steps;
}
const med = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)];
const rc = cpu[0].map((v, i) => v / cpu[1][i]);
const rw = wall[0].map((v, i) => v / wall[1][i]);
console.log(`small GPT step (V = 1000, B = ${B}, T = ${T}), ${rounds} rounds × ${steps} steps, alternating`);
console.log(`| big's A tile | CPU ms / step | wall ms / step | tokens/s (wall) |\n|---|---:|---:|---:|`);
for (let s = 0; s < 2; s++) console.log(`| ${sides[s][0]} | ${med(cpu[s]).toFixed(0)} | ${med(wall[s]).toFixed(0)} | ${((B * T) / (med(wall[s]) / 1000)).toFixed(0)} |`);
console.log(`workgroup ÷ subgroup: CPU ${med(rc).toFixed(3)} (${Math.min(...rc).toFixed(2)}–${Math.max(...rc).toFixed(2)}), wall ${med(rw).toFixed(3)} (${Math.min(...rw).toFixed(2)}–${Math.max(...rw).toFixed(2)})`);
console.log(`losses equal bit for bit: ${losses[0].every((l, i) => Object.is(l, losses[1][i]))}`);
process.exit(0);
