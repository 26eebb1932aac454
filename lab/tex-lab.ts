// Scratch: B read through textureLoad (rgba32float) vs storage buffer, raw WebGPU, nn layout. 
import { getGpu } from '../src/gpu/device.ts';
import { encodeMatmul } from '../src/ops/matmul.ts';
import { each, list } from '../shaders/unroll.ts';
const gpu = await getGpu();
gpu.setPolicy({ tiers: 'best' });
const dev = gpu.device;
const [M, N, K] = (process.argv[3] ?? '1024x1024x1024').split('x').map(Number);
const which = (process.argv[2] ?? 'T32x32u2').split(',');
const rnd = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + s) * 0.5);
const aData = rnd(M * K, 1), bData = rnd(K * N, 2);
const a = gpu.buffer(aData), b = gpu.buffer(bData), cRef = gpu.buffer(M * N * 4), c = gpu.buffer(M * N * 4);
encodeMatmul(gpu, { a, b, c: cRef, M, N, K, block: 'big' });
const ref = new Float32Array(await gpu.read(cRef));
const tex = dev.createTexture({ size: [N / 4, K], format: 'rgba32float', usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST });
dev.queue.writeTexture({ texture: tex }, bData, { bytesPerRow: N * 4 }, [N / 4, K]);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
function T(R: number, CL: number, U: number, useTex: boolean) {
  const Tq = R / 16, J = CL / 4;
  const bload = (j: number, i: number) => useTex ? `textureLoad(Bt, vec2u(bx${j}, k4 * 4u + ${i}u), 0)` : `Bv[bc${j} + (k4 * 4u + ${i}u) * ldb4]`;
  const quad = (u: number) => `    {
      let k4 = k40 + ${u}u;
${each(Tq, (t) => `      let a${t} = transpose(mat4x4f(${list(4, (r) => `Av[ar${t}_${r} + k4]`)}));`)}
${each(J, (j) => `      let b${j} = transpose(mat4x4f(${list(4, (i) => bload(j, i))}));`)}
${each(R / 4, (Q) => `      { let a = mat4x4f(${list(4, (i) => `subgroupBroadcast(a${Q >> 2}[${i}], ${Q & 3}u)`)});\n${each(J, (j) => `        c${Q}_${j} += a * b${j};`)} }`)}
    }`;
  return `enable subgroups;
struct P { M: u32, N: u32, K: u32, lda: u32, ldb: u32, ldc: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> Av: array<vec4f>;
@group(0) @binding(2) var<storage, read> Bv: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var Bt: texture_2d<f32>;
@compute @workgroup_size(4, 1, 1)
fn lab(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3u) {
  let n0 = (wid.x * 4u + li) * ${CL}u;
  let m0 = wid.y * ${R}u;
  let lda4 = p.lda >> 2u;
  let ldb4 = p.ldb >> 2u;
${each(Tq, (t) => each(4, (r) => `  let ar${t}_${r} = (m0 + 4u * (li + ${4 * t}u) + ${r}u) * lda4;`))}
${each(J, (j) => `  let bc${j} = (n0 + ${4 * j}u) >> 2u;\n  let bx${j} = bc${j};`)}
${each(R / 4, (Q) => each(J, (j) => `  var c${Q}_${j} = mat4x4f();`))}
  for (var k40 = 0u; k40 < (p.K >> 2u); k40 += ${U}u) {
${each(U, quad)}
  }
${each(R / 4, (Q) => each(J, (j) => each(4, (jj) => `  { let o = (m0 + ${4 * Q}u) * p.ldc + n0 + ${4 * j + jj}u; ${list(4, (r) => `C[o + ${r}u * p.ldc] = c${Q}_${j}[${jj}][${r}]`).replace(/, /g, '; ')}; }`)))}
}`;
}
const ubuf = dev.createBuffer({ size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST }); dev.queue.writeBuffer(ubuf, 0, new Uint32Array([M, N, K, K, N, N, 0, 0]));
const runs: { w: string; run: () => void; ws: number[]; cs: number[] }[] = [];
for (const w of which) {
  const m = /^([TB])(\d+)x(\d+)u(\d+)$/.exec(w)!;
  const R = +m[2], CL = +m[3], U = +m[4];
  const code = T(R, CL, U, m[1] === 'T');
  const pipe = dev.createComputePipeline({ layout: 'auto', compute: { module: dev.createShaderModule({ code }), entryPoint: 'lab' } });
  const bg = dev.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: [
    { binding: 0, resource: { buffer: ubuf } }, { binding: 1, resource: { buffer: a } }, { binding: 2, resource: { buffer: b } },
    { binding: 3, resource: { buffer: c } }, { binding: 4, resource: tex.createView() }].filter((e) => m[1] === 'T' ? e.binding !== 2 : e.binding !== 4) });
  const run = () => { const e = dev.createCommandEncoder(); const p = e.beginComputePass(); p.setPipeline(pipe); p.setBindGroup(0, bg); p.dispatchWorkgroups(N / (4 * CL), M / R); p.end(); dev.queue.submit([e.finish()]); };
  run(); await dev.queue.onSubmittedWorkDone();
  const out = new Float32Array(await gpu.read(c));
  let same = 0; for (let i = 0; i < out.length; i++) if (out[i] === ref[i]) same++;
  if (same !== out.length) console.log(`${w}: bits differ ${out.length - same}`);
  runs.push({ w, run, ws: [], cs: [] });
}
const reps = Math.max(1, Math.round(1e9 / (2 * M * N * K)));
for (let r = 0; r < 7; r++) for (const x of runs) { const t1 = performance.now(), c0 = cpu(); for (let i = 0; i < reps; i++) x.run(); await dev.queue.onSubmittedWorkDone(); x.ws.push((performance.now() - t1) / reps); x.cs.push((cpu() - c0) / reps); }
const med = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1];
const gf = (ms: number) => (2 * M * N * K / ms / 1e6).toFixed(2);
for (const x of runs) console.log(`${x.w}: ${med(x.ws).toFixed(2)} ms ${gf(med(x.ws))} GFLOP/s, ${gf(med(x.cs))} per CPU-s; ratio to first (per round, median) ${med(x.ws.map((v, i) => runs[0].ws[i] / v)).toFixed(3)}`);
process.exit(0);
