// A/B of the matmul op between another checkout (A, e.g. main) and this tree (B), in one process on one device,
// alternating A B per round: median wall ms per product and the per-round ratio A ÷ B (> 1: B faster), for the
// square sizes and the `small` GPT's training products (V = 1416) in the three stored layouts. Both run with the
// kernel tiers at 'best' (steady state). Leaves out: correctness (the op tests check the bits).
// Run: node --import ./src/register.mjs bench/matmul-ab.ts /path/to/other/checkout [ROUNDS=7] [SIZES]
import { getGpu } from '../src/gpu/device.ts';
import { encodeMatmul as encodeB } from '../src/ops/matmul.ts';

const other = process.argv[2];
if (!other) throw new Error('usage: bench/matmul-ab.ts OTHER_CHECKOUT [ROUNDS] [MxNxK,…]');
const { encodeMatmul: encodeA } = (await import(`${other}/src/ops/matmul.ts`)) as { encodeMatmul: typeof encodeB };
const rounds = Number(process.argv[3] ?? 7);
const sizes = (process.argv[4] ?? '1024x1024x1024,512x512x512,256x1416x128,256x128x1416,128x1416x256,256x512x128,256x128x512,128x512x256,128x1416x64,128x256x64')
  .split(',').map((s) => s.split('x').map(Number));
const gpu = await getGpu();
gpu.setPolicy({ tiers: 'best' });
const rnd = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + s) * 0.5);
const med = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1];
console.log(`| product (M×K·K×N) | layout | A ms | B ms | A GFLOP/s | B GFLOP/s | A ÷ B (per-round median, min–max) |\n|---|---|---:|---:|---:|---:|---:|`);
for (const [M, N, K] of sizes) {
  for (const [tA, tB] of [[false, false], [false, true], [true, false]] as const) {
    const a = gpu.buffer(rnd(M * K, 1));
    const b = gpu.buffer(rnd(K * N, 2));
    const c = gpu.buffer(M * N * 4);
    const spec = { a, b, c, M, N, K, transA: tA, transB: tB };
    const reps = Math.max(1, Math.round(3e8 / (2 * M * N * K)));
    const time = async (f: typeof encodeB) => {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) f(gpu, spec);
      await gpu.sync();
      return (performance.now() - t0) / reps;
    };
    await time(encodeA);
    await time(encodeB);
    const A: number[] = [];
    const B: number[] = [];
    for (let r = 0; r < rounds; r++) {
      if (r % 2) { B.push(await time(encodeB)); A.push(await time(encodeA)); } else { A.push(await time(encodeA)); B.push(await time(encodeB)); }
    }
    const ratios = A.map((x, i) => x / B[i]);
    const gf = (ms: number) => ((2 * M * N * K) / ms / 1e6).toFixed(2);
    console.log(`| ${M}×${K}${tA ? 'ᵀ' : ''}·${K}×${N}${tB ? 'ᵀ' : ''} | ${tA ? 'tn' : tB ? 'nt' : 'nn'} | ${med(A).toFixed(2)} | ${med(B).toFixed(2)} | ${gf(med(A))} | ${gf(med(B))} | ${med(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) |`);
    for (const x of [a, b, c]) x.destroy();
  }
}
process.exit(0);
