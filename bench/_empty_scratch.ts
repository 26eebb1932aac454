import { getGpu } from '../src/gpu/device.ts';
const gpu = await getGpu();
const code = `struct P { n: u32 }
@group(0) @binding(0) var<uniform> u: P;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3u) { if (gid.x < u.n) { out[gid.x] = 1.0; } }`;
const k = gpu.kernel({ shader: { file: 'empty', code }, entry: 'main' });
const ob = gpu.buffer(1 << 20);
for (const wgs of [1, 2, 8, 64]) {
  const f = () => gpu.dispatch(k, { buffers: { out: ob }, params: { n: 64 * wgs }, workgroups: [wgs, 1, 1] });
  for (let i = 0; i < 20; i++) f(); await gpu.sync();
  const r: number[][] = [];
  for (let t = 0; t < 5; t++) { const c0 = process.cpuUsage(); const t0 = performance.now(); for (let i = 0; i < 200; i++) f(); await gpu.sync(); const c = process.cpuUsage(c0); r.push([(c.user + c.system) / 1000 / 200, (performance.now() - t0) / 200]); }
  r.sort((a, b) => a[0] - b[0]);
  console.log(`workgroups ${wgs}: per dispatch cpu ${r[2][0].toFixed(4)} ms wall ${r[2][1].toFixed(4)} ms`);
}
process.exit(0);
