// A/B of the register-blocked matmul kernels (matmul.wgsl `main`, `row1`, `big`; matmul_ln.wgsl) between the shader
// text of a git revision (A) and the working tree's (B), in one process, alternating A B A B per round: median ms per
// dispatch of each (process CPU ms on a CPU adapter) and the per-round ratios A ÷ B (> 1: B faster). Shapes: the small preset's training and decode
// products. Leaves out: other kernels, correctness (the op tests).
// Run: node --import ./src/register.mjs bench/kernel-ab.ts [REV=main] [ROUNDS=7] [CASE-REGEX]
import { execFileSync } from 'node:child_process';
import { getGpu, type Gpu } from '../src/gpu/device.ts';
import { GRID_WG } from '../src/gpu/kernel.ts';
import type { ShaderSource } from '../src/gpu/kernel.ts';
import { BIG_ROWS, matmulShader } from '../shaders/matmul_gen.ts';
import lnNew from '../shaders/matmul_ln.wgsl';

const rev = process.argv[2] ?? 'main';
const rounds = Number(process.argv[3] ?? 7);
const old = (f: string): ShaderSource => ({ file: `${f} @${rev}`, code: execFileSync('git', ['show', `${rev}:${f}`], { encoding: 'utf8' }) });
const A = { mm: old('shaders/matmul.wgsl'), ln: old('shaders/matmul_ln.wgsl') };
const B = { mm: matmulShader('workgroup'), ln: lnNew };
// B's `big` in the form the device policy picks (SwiftShader: the quad form, BW = 4, 64-row blocks)
const bigB = () => matmulShader(gpu.policy.bigTile);
// the old text declares ACT as an override and has no `act` uniform
const oldAct = (src: ShaderSource) => /override ACT/.test(src.code);

const gpu = await getGpu();
gpu.setPolicy({ tiers: 'best' });
const rnd = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + s) * 0.5);

interface Case {
  name: string;
  run: (side: typeof A) => () => void;
}

function mmCase(name: string, entry: 'main' | 'row1' | 'big', M: number, N: number, K: number, tA: boolean, tB: boolean, bw = 8): Case {
  const a = gpu.buffer(rnd(M * K, 1));
  const b = gpu.buffer(rnd(K * N, 2));
  const c = gpu.buffer(M * N * 4);
  return {
    name,
    run: (side) => {
      let BW = bw;
      const act = oldAct(side.mm);
      const shader = side === B && entry === 'big' ? bigB() : side.mm;
      if (side === B && entry === 'big' && gpu.policy.bigTile === 'subgroup') BW = 4;
      const k = gpu.kernel({ shader, entry, constants: { WX: 8, WY: 8, TA: tA ? 1 : 0, TB: tB ? 1 : 0, VA: 1, VB: 1, ...(act ? { ACT: 0 } : {}), ...(entry === 'big' ? { BW } : {}) } });
      const params = {
        M, N, K, lda: tA ? M : K, ldb: tB ? K : N, ldc: N, sA: 0, sB: 0, sC: 0, oA: 0, oB: 0, oC: 0,
        mBase: 0, nBase: 0, zBase: 0, acc: 0, hasBias: 0, alpha: 1, ...(act ? {} : { act: 0 }),
      };
      const wg: [number, number, number] = entry === 'row1' ? [Math.ceil(N / 512), 1, 1] : entry === 'big' ? [Math.ceil(N / (16 * BW)), Math.ceil(M / (side === B ? BIG_ROWS[gpu.policy.bigTile] : 32)), 1] : [Math.ceil(N / 64), Math.ceil(M / 32), 1];
      return () => gpu.dispatch(k, { buffers: { A: a, Av: a, Bs: b, Bv: b, C: c, bias: a }, params, workgroups: wg });
    },
  };
}

function lnCase(name: string, N: number, K: number, TB: boolean): Case {
  const x = gpu.buffer(rnd(K, 3));
  const w = gpu.buffer(rnd(K, 4));
  const bb = gpu.buffer(rnd(K, 5));
  const Bm = gpu.buffer(rnd(K * N, 6));
  const c = gpu.buffer(N * 4);
  return {
    name,
    run: (side) => {
      const act = oldAct(side.ln);
      const k = gpu.kernel({ shader: side.ln, constants: { KMAX4: 32, TB: TB ? 1 : 0, VB: 1, ...(act ? { ACT: 0 } : {}) } });
      const groups = Math.min(Math.ceil(N / 512), 8);
      const params = { R: 1, N, K, eps: 1e-5, hasBias: 0, stride: groups * 512, ...(act ? {} : { act: 0 }) };
      return () => gpu.dispatch(k, { buffers: { x, lnw: w, lnb: bb, Bs: Bm, Bv: Bm, bias: bb, C: c }, params, workgroups: [groups, 1] });
    },
  };
}

const cases: Case[] = [
  mmCase('main 512×128·128×384', 'main', 512, 384, 128, false, false),
  mmCase('main 512×128·(1000×128)ᵀ', 'main', 512, 1000, 128, false, true),
  mmCase('main (128×512)ᵀ·512×384', 'main', 128, 384, 512, true, false),
  mmCase('big 512×128·128×384', 'big', 512, 384, 128, false, false),
  mmCase('row1 1×128·128×512', 'row1', 1, 512, 128, false, false),
  mmCase('row1 1×128·(1000×128)ᵀ', 'row1', 1, 1000, 128, false, true),
  lnCase('matmul_ln 1×128 → 384', 384, 128, false),
  lnCase('matmul_ln 1×128 → (1000×128)ᵀ', 1000, 128, true),
];

/**
 * CPU ms per dispatch: the process's CPU time (SwiftShader runs the kernels on this process's threads) from recording
 * to the GPU's completion; unlike the wall clock or GPU timestamps it barely moves when other processes load the
 * machine (on a GPU adapter it measures only the host: use the wall clock there).
 */
async function time(g: Gpu, fn: () => void, reps: number): Promise<number> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  await g.sync();
  const c = process.cpuUsage(c0);
  return g.info.isCpu ? (c.user + c.system) / 1000 / reps : (performance.now() - t0) / reps;
}

console.log(`kernel A/B: A = ${rev}, B = working tree; ${rounds} rounds, alternating; GRID_WG ${GRID_WG}`);
console.log(`| kernel | A ${gpu.info.isCpu ? 'CPU ' : ''}ms | B ${gpu.info.isCpu ? 'CPU ' : ''}ms | A ÷ B median (range) |\n|---|---:|---:|---:|`);
const only = process.argv[4] ? new RegExp(process.argv[4]) : null;
for (const c of cases.filter((x) => !only || only.test(x.name))) {
  const fa = c.run(A);
  const fb = c.run(B);
  fa();
  fb();
  await gpu.sync();
  const one = await time(gpu, fb, 1);
  const reps = Math.max(2, Math.min(400, Math.round(250 / Math.max(one, 0.01))));
  const ta: number[] = [];
  const tb: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      ta.push(await time(gpu, fa, reps));
      tb.push(await time(gpu, fb, reps));
    } else {
      tb.push(await time(gpu, fb, reps));
      ta.push(await time(gpu, fa, reps));
    }
  }
  const med = (x: number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)];
  const ratios = ta.map((x, i) => x / tb[i]);
  console.log(`| ${c.name} | ${med(ta).toFixed(3)} | ${med(tb).toFixed(3)} | ${med(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) |`);
}
process.exit(0);
