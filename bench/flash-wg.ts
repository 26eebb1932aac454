// One flash workgroup size per kernel kind (docs/perf.md): a prompt's prefill through the decode kernel at the
// policy's decodeWG (8) against the size the dispatch size used to pick (min(32, pow2ceil(B·H·blocks))), alternating in
// one process, process CPU ms per prefill (SwiftShader runs it on this process's threads). Leaves out: other kinds.
// Run: node --import ./src/register.mjs bench/flash-wg.ts [ROUNDS=9]
import { getGpu, type Gpu } from '../src/gpu/device.ts';
import { Tensor, noGrad } from '../src/autograd/tensor.ts';
import { attentionDecode, createKVCache } from '../src/ops/attention.ts';

const rounds = Number(process.argv[2] ?? 9);
const gpu = await getGpu();
gpu.setPolicy({ tiers: 'best' });
const rnd = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + s) * 0.5);

async function cpuMs(g: Gpu, fn: () => void, reps: number): Promise<number> {
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) fn();
  await g.sync();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / reps;
}

console.log('| prefill (decode kernel) | WG | old WG | CPU ms, WG 8 | CPU ms, old | old ÷ new median (range) |\n|---|---:|---:|---:|---:|---:|');
for (const [H, hd, L] of [[4, 32, 16], [4, 32, 64], [12, 64, 64]] as const) {
  const C = H * hd;
  const q = Tensor.from(gpu, rnd(L * C, 1), [1, L, C]);
  const k = Tensor.from(gpu, rnd(L * C, 2), [1, L, C]);
  const v = Tensor.from(gpu, rnd(L * C, 3), [1, L, C]);
  const cache = createKVCache(gpu, { B: 1, maxT: L, C });
  const R = Math.max(1, Math.min(gpu.policy.flash.RQ, Math.floor(gpu.policy.flash.budget / Math.ceil(hd / 4))));
  let n = 1;
  while (n < H * Math.ceil(L / R)) n *= 2;
  const oldWG = Math.min(32, Math.max(8, n));
  const run = (wg: number) => () => {
    gpu.setPolicy({ flash: { ...gpu.policy.flash, decodeWG: wg } });
    noGrad(() => attentionDecode(q, k, v, cache, 0, { heads: H }));
  };
  const a = run(8);
  const b = run(oldWG);
  await gpu.scope(async () => {
    a();
    b();
    await gpu.sync();
  });
  const ta: number[] = [];
  const tb: number[] = [];
  for (let r = 0; r < rounds; r++) {
    await gpu.scope(async () => {
      if (r % 2 === 0) {
        ta.push(await cpuMs(gpu, a, 20));
        tb.push(await cpuMs(gpu, b, 20));
      } else {
        tb.push(await cpuMs(gpu, b, 20));
        ta.push(await cpuMs(gpu, a, 20));
      }
    });
  }
  const med = (xs: number[]) => [...xs].sort((p, s) => p - s)[Math.floor(xs.length / 2)];
  const ratios = tb.map((x, i) => x / ta[i]);
  console.log(`| H${H} hd${hd} L${L} | 8 | ${oldWG} | ${med(ta).toFixed(3)} | ${med(tb).toFixed(3)} | ${med(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) |`);
  cache.dispose();
}
process.exit(0);
