import { getGpu } from '../src/gpu/device.ts';
const gpu = await getGpu();
const n = Number(process.argv[2] ?? 200000);
const variants: Record<string, string> = {
  full: `var w = param[i] * (1.0 - p.lr * p.wd); let mi = p.b1 * m[i] + (1.0 - p.b1) * gi; let vi = p.b2 * v[i] + (1.0 - p.b2) * gi * gi; w -= p.stepSize * mi / (sqrt(vi) / p.bc2sqrt + p.eps); m[i] = mi; v[i] = vi; param[i] = w;`,
  nodiv: `var w = param[i] * (1.0 - p.lr * p.wd); let mi = p.b1 * m[i] + (1.0 - p.b1) * gi; let vi = p.b2 * v[i] + (1.0 - p.b2) * gi * gi; w -= p.stepSize * mi * (vi * p.bc2sqrt + p.eps); m[i] = mi; v[i] = vi; param[i] = w;`,
  copy: `param[i] = gi; m[i] = gi; v[i] = gi;`,
  load: `param[i] = gi + m[i] + v[i] + param[i];`,
  rw: `m[i] = m[i] + gi; v[i] = v[i] + gi; param[i] = param[i] + gi;`,
};
const code = (body: string, per: number) => `struct P { n: u32, lr: f32, wd: f32, b1: f32, b2: f32, eps: f32, stepSize: f32, bc2sqrt: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> param: array<vec4f>;
@group(0) @binding(2) var<storage, read> grad: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> m: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> v: array<vec4f>;
@compute @workgroup_size(64)
fn step(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let n4 = (p.n + 3u) / 4u;
  for (var k = 0u; k < ${per}u; k++) { let i = (wid.x * ${per}u + k) * 64u + li; if (i >= n4) { return; } let gi = grad[i]; ${body} }
}`;
const rnd = (s: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.3 + s) * 0.01);
const bufs = { param: gpu.buffer(rnd(1)), grad: gpu.buffer(rnd(2)), m: gpu.buffer(rnd(3)), v: gpu.buffer(rnd(4).map(Math.abs)) };
for (const [name, body] of Object.entries(variants)) for (const per of [1, 8, 32]) {
  const k = gpu.kernel({ shader: { file: `adam_${name}_${per}`, code: code(body, per) }, entry: 'step' });
  const f = () => gpu.dispatch(k, { buffers: bufs, params: { n, lr: 1e-3, wd: 0.1, b1: 0.9, b2: 0.999, eps: 1e-8, stepSize: 1e-3, bc2sqrt: 0.03 }, workgroups: [Math.ceil(n / 4 / 64 / per), 1, 1] });
  f(); await gpu.sync();
  const r: number[] = [];
  for (let t = 0; t < 5; t++) { const c0 = process.cpuUsage(); for (let i = 0; i < 20; i++) f(); await gpu.sync(); const c = process.cpuUsage(c0); r.push((c.user + c.system) / 1000 / 20); }
  r.sort((a, b) => a - b);
  console.log(`${name} per ${per}: ${r[2].toFixed(3)} ms CPU`);
}
process.exit(0);
