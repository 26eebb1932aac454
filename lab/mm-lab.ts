// Scratch lab (not shipped): candidate matmul kernels for SwiftShader, nn layout, sizes multiples of the tile.
// Run: node --import ./src/register.mjs lab/mm-lab.ts CAND[,CAND] [SIZES]
import { getGpu } from '../src/gpu/device.ts';
import { encodeMatmul } from '../src/ops/matmul.ts';
import { each, list } from '../shaders/unroll.ts';

const HEAD = `enable subgroups;
struct Params {
  M: u32, N: u32, K: u32, lda: u32,
  ldb: u32, ldc: u32, sA: u32, sB: u32,
  sC: u32, oA: u32, oB: u32, oC: u32,
  mBase: u32, nBase: u32, zBase: u32, acc: u32,
  hasBias: u32, alpha: f32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> Av: array<vec4f>;
@group(0) @binding(4) var<storage, read> Bv: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> C: array<f32>;
`;

// L(R, J, U): workgroup = 1 subgroup of 4 lanes; tile R rows × 16J cols; lane li owns columns n0 + 4(4j + li) .. +3
// (vec4 accumulators), all R rows; A rows 4q + li loaded by lane li as vec4 along k, others read by broadcast.
// U = k-quads per loop trip.
function L(R: number, J: number, U: number): { code: string; rows: number; cols: number } {
  const Q = R / 4;
  const quad = (u: number) => `    {
      let k = k0 + ${4 * u}u;
${each(Q, (q) => `      let a${q} = Av[(aB + (m0 + ${4 * q}u + li) * p.lda + k) >> 2u];`)}
${each(J, (j) => each(4, (i) => `      let b${i}${j} = Bv[(bB + (k + ${i}u) * p.ldb + n0 + ${16 * j}u + 4u * li) >> 2u];`))}
${each(R, (r) => {
  const q = r >> 2, l = r & 3;
  return `      {\n${each(4, (i) => `        let x${i} = subgroupBroadcast(a${q}[${i}], ${l}u);`)}\n${each(J, (j) => `        c${r}_${j} += x0 * b0${j} + x1 * b1${j} + x2 * b2${j} + x3 * b3${j};`)}\n      }`;
})}
    }`;
  const code = `${HEAD}
@compute @workgroup_size(4, 1, 1)
fn lab(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3u) {
  let n0 = wid.x * ${16 * J}u;
  let m0 = wid.y * ${R}u;
  let aB = p.oA;
  let bB = p.oB;
${each(R, (r) => each(J, (j) => `  var c${r}_${j} = vec4f(0.0);`))}
  for (var k0 = 0u; k0 < p.K; k0 += ${4 * U}u) {
${each(U, quad)}
  }
${each(R, (r) => each(J, (j) => `  { let o = p.oC + (m0 + ${r}u) * p.ldc + n0 + ${16 * j}u + 4u * li; C[o] = c${r}_${j}.x; C[o + 1u] = c${r}_${j}.y; C[o + 2u] = c${r}_${j}.z; C[o + 3u] = c${r}_${j}.w; }`))}
}
`;
  return { code, rows: R, cols: 16 * J };
}


// G(R, CL, U): big's structure (mat4x4 products, A rows by subgroup broadcast), R rows × 4·CL cols per workgroup,
// CL columns per lane, U k-quads per loop trip, vec4 indices without shifts in the loop.
function G(R: number, CL: number, U: number): { code: string; rows: number; cols: number } {
  const T = R / 16; // row-quads loaded per lane
  const J = CL / 4;
  const quad = (u: number) => `    {
      let k4 = k40 + ${u}u;
${each(T, (t) => `      let a${t} = transpose(mat4x4f(${list(4, (r) => `Av[ar${t}_${r} + k4]`)}));`)}
${each(J, (j) => `      let b${j} = transpose(mat4x4f(${list(4, (i) => `Bv[bc${j} + (k4 * 4u + ${i}u) * ldb4]`)}));`)}
${each(R / 4, (Q) => `      { let a = mat4x4f(${list(4, (i) => `subgroupBroadcast(a${Q >> 2}[${i}], ${Q & 3}u)`)});
${each(J, (j) => `        c${Q}_${j} += a * b${j};`)} }`)}
    }`;
  const code = `${HEAD}
@compute @workgroup_size(4, 1, 1)
fn lab(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3u) {
  let n0 = (wid.x * 4u + li) * ${CL}u;
  let m0 = wid.y * ${R}u;
  let lda4 = p.lda >> 2u;
  let ldb4 = p.ldb >> 2u;
${each(T, (t) => each(4, (r) => `  let ar${t}_${r} = (p.oA >> 2u) + (m0 + 4u * (li + ${4 * t}u) + ${r}u) * lda4;`))}
${each(J, (j) => `  let bc${j} = (p.oB >> 2u) + ((n0 + ${4 * j}u) >> 2u);`)}
${each(R / 4, (Q) => each(J, (j) => `  var c${Q}_${j} = mat4x4f();`))}
  for (var k40 = 0u; k40 < (p.K >> 2u); k40 += ${U}u) {
${each(U, quad)}
  }
${each(R / 4, (Q) => each(J, (j) => each(4, (jj) => `  { let o = p.oC + (m0 + ${4 * Q}u) * p.ldc + n0 + ${4 * j + jj}u; ${list(4, (r) => `C[o + ${r}u * p.ldc] = c${Q}_${j}[${jj}][${r}]`).replace(/, /g, '; ')}; }`)))}
}
`;
  return { code, rows: R, cols: 4 * CL };
}

// S(R, CL, U): G with A shared by quad swaps (lane l reads lane l^s's quads: one swizzle per component)
function S(R: number, CL: number, U: number): { code: string; rows: number; cols: number } {
  const T = R / 16;
  const J = CL / 4;
  const sw = ['', 'quadSwapX', 'quadSwapY', 'quadSwapDiagonal'];
  const quad = (u: number) => `    {
      let k4 = k40 + ${u}u;
${each(T, (t) => `      let a${t} = transpose(mat4x4f(${list(4, (r) => `Av[ar${t}_${r} + k4]`)}));`)}
${each(J, (j) => `      let b${j} = transpose(mat4x4f(${list(4, (i) => `Bv[bc${j} + (k4 * 4u + ${i}u) * ldb4]`)}));`)}
${each(T, (t) => each(4, (s) => `      { let a = ${s === 0 ? `a${t}` : `mat4x4f(${list(4, (i) => `${sw[s]}(a${t}[${i}])`)})`};\n${each(J, (j) => `        c${t}${s}_${j} += a * b${j};`)} }`))}
    }`;
  const code = `${HEAD}
@compute @workgroup_size(4, 1, 1)
fn lab(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3u) {
  let n0 = (wid.x * 4u + li) * ${CL}u;
  let m0 = wid.y * ${R}u;
  let lda4 = p.lda >> 2u;
  let ldb4 = p.ldb >> 2u;
${each(T, (t) => each(4, (r) => `  let ar${t}_${r} = (p.oA >> 2u) + (m0 + 4u * (li + ${4 * t}u) + ${r}u) * lda4;`))}
${each(J, (j) => `  let bc${j} = (p.oB >> 2u) + ((n0 + ${4 * j}u) >> 2u);`)}
${each(T, (t) => each(4, (s) => each(J, (j) => `  var c${t}${s}_${j} = mat4x4f();`)))}
  for (var k40 = 0u; k40 < (p.K >> 2u); k40 += ${U}u) {
${each(U, quad)}
  }
${each(T, (t) => each(4, (s) => `  { let mq = m0 + 4u * (${4 * t}u + (li ^ ${s}u));\n${each(J, (j) => each(4, (jj) => `  { let o = p.oC + mq * p.ldc + n0 + ${4 * j + jj}u; ${list(4, (r) => `C[o + ${r}u * p.ldc] = c${t}${s}_${j}[${jj}][${r}]`).replace(/, /g, '; ')}; }`))} }`))}
}
`;
  return { code, rows: R, cols: 4 * CL };
}

const CANDS: Record<string, () => { code: string; rows: number; cols: number }> = {};
for (const R of [16, 32, 48, 64]) for (const CL of [8, 12, 16, 20, 24, 32]) for (const U of [1, 2, 4, 8]) CANDS[`G${R}x${CL}u${U}`] = () => G(R, CL, U);
for (const R of [16, 32, 48, 64]) for (const CL of [8, 12, 16, 20, 24, 32]) for (const U of [1, 2, 4, 8]) CANDS[`S${R}x${CL}u${U}`] = () => S(R, CL, U);
for (const R of [4, 8, 12, 16, 32]) for (const J of [1, 2, 4]) for (const U of [1, 2, 4]) CANDS[`L${R}x${J}u${U}`] = () => L(R, J, U);

const gpu = await getGpu();
gpu.setPolicy({ tiers: 'best' });
const names = (process.argv[2] ?? 'L8x1u2').split(',');
const sizes = (process.argv[3] ?? '1024,256x1408x128').split(',').map((s) => { const v = s.split('x').map(Number); return v.length === 1 ? [v[0], v[0], v[0]] : v; });
const rnd = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + s) * 0.5);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
for (const [M, N, K] of sizes) {
  const a = gpu.buffer(rnd(M * K, 1));
  const b = gpu.buffer(rnd(K * N, 2));
  const cRef = gpu.buffer(M * N * 4);
  const c = gpu.buffer(M * N * 4);
  encodeMatmul(gpu, { a, b, c: cRef, M, N, K, block: 'big' });
  const ref = new Float32Array(await gpu.read(cRef));
  const gf = (ms: number) => (2 * M * N * K / ms / 1e6).toFixed(2);
  const runs: { n: string; run: () => void; ws: number[]; cs: number[]; note: string }[] = [];
  runs.push({ n: 'big', run: () => encodeMatmul(gpu, { a, b, c, M, N, K, block: 'big' }), ws: [], cs: [], note: '' });
  for (const n of names) {
    const cand = CANDS[n]();
    if (M % cand.rows || N % cand.cols || K % 16) { console.log(`${n}: skip (tile)`); continue; }
    const t0 = performance.now();
    const k = gpu.kernel({ shader: { file: `lab:${n}`, code: cand.code }, entry: 'lab' });
    const compile = performance.now() - t0;
    const params = { M, N, K, lda: K, ldb: N, ldc: N, sA: 0, sB: 0, sC: 0, oA: 0, oB: 0, oC: 0, mBase: 0, nBase: 0, zBase: 0, acc: 0, hasBias: 0, alpha: 1 };
    const run = () => gpu.dispatch(k, { buffers: { Av: a, Bv: b, C: c }, params, workgroups: [N / cand.cols, M / cand.rows, 1] });
    run(); await gpu.sync();
    const out = new Float32Array(await gpu.read(c));
    let same = 0; for (let i = 0; i < out.length; i++) if (out[i] === ref[i]) same++;
    runs.push({ n, run, ws: [], cs: [], note: `compile ${compile.toFixed(0)} ms${same === out.length ? '' : `, BITS DIFFER at ${out.length - same}`}` });
  }
  const reps = Math.max(1, Math.round(1e9 / (2 * M * N * K)));
  for (let r = 0; r < 7; r++) for (const x of runs) { const t1 = performance.now(), c0 = cpu(); for (let i = 0; i < reps; i++) x.run(); await gpu.sync(); x.ws.push((performance.now() - t1) / reps); x.cs.push((cpu() - c0) / reps); }
  const med = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1];
  console.log(`${M}x${N}x${K}:`);
  for (const x of runs) console.log(`  ${x.n}: ${med(x.ws).toFixed(2)} ms ${gf(med(x.ws))} GFLOP/s, ${gf(med(x.cs))} per CPU-s; ×${med(x.ws.map((v, i) => runs[0].ws[i] / v)).toFixed(3)} vs big (per-round median) ${x.note}`);
}
process.exit(0);
