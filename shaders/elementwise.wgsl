// Elementwise kernels over n elements. Flat index i = gid.x + gid.y·nwg.x·64 (see Gpu.grid), bounds-checked.
// All take p{n, nb, acc, p, seed, scale}; unused fields are ignored.
//  add:          out = a + b[i % nb]                     (b broadcast over leading dims; write =)
//  copy:         out (=|+=) scale·a                      (acc: 0 write, 1 accumulate)
//  gelu:         out = 0.5·a·(1 + tanh(√(2/π)(a + 0.044715a³)))          (write =)
//  gelu_bwd:     out (=|+=) dy·gelu'(a)    with dy in b  (acc)
//  dropout:      out (=|+=) a·keep(i)/(1−p)               keep(i) = hash(seed, i) ≥ p·2³²; same mask fwd and bwd
struct P { n: u32, nb: u32, acc: u32, p: f32, seed: u32, scale: f32 }
@group(0) @binding(0) var<uniform> u: P;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn idx(gid: vec3<u32>, nwg: vec3<u32>) -> u32 { return gid.x + gid.y * nwg.x * 64u; }

fn put(i: u32, v: f32) {
  if (u.acc == 1u) { out[i] = out[i] + v; } else { out[i] = v; }
}

@compute @workgroup_size(64)
fn add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = idx(gid, nwg);
  if (i >= u.n) { return; }
  out[i] = a[i] + b[i % u.nb];
}

@compute @workgroup_size(64)
fn copy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = idx(gid, nwg);
  if (i >= u.n) { return; }
  put(i, u.scale * a[i]);
}

const GELU_K: f32 = 0.7978845608028654; // √(2/π)

// tanh through exp with the argument clamped: |z| > 10 is ±1 to f32 precision (and SwiftShader's tanh
// is not safe for large arguments)
fn tanh_safe(z: f32) -> f32 {
  let zc = clamp(z, -10.0, 10.0);
  let e = exp(2.0 * zc);
  return (e - 1.0) / (e + 1.0);
}

@compute @workgroup_size(64)
fn gelu(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = idx(gid, nwg);
  if (i >= u.n) { return; }
  let x = a[i];
  out[i] = 0.5 * x * (1.0 + tanh_safe(GELU_K * (x + 0.044715 * x * x * x)));
}

// d/dx 0.5x(1 + tanh(z)), z = k(x + 0.044715x³): 0.5(1 + t) + 0.5x(1 − t²)·k(1 + 3·0.044715x²)
@compute @workgroup_size(64)
fn gelu_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = idx(gid, nwg);
  if (i >= u.n) { return; }
  let x = a[i];
  let t = tanh_safe(GELU_K * (x + 0.044715 * x * x * x));
  let d = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * GELU_K * (1.0 + 0.134145 * x * x);
  put(i, b[i] * d);
}

// PCG-style integer hash: a counter-based RNG (no state), so masks depend only on (seed, i).
fn hash(x: u32) -> u32 {
  var h = x * 747796405u + 2891336453u;
  h = ((h >> ((h >> 28u) + 4u)) ^ h) * 277803737u;
  return (h >> 22u) ^ h;
}

@compute @workgroup_size(64)
fn dropout(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = idx(gid, nwg);
  if (i >= u.n) { return; }
  let r = f32(hash(i ^ hash(u.seed)) >> 8u) / 16777216.0; // uniform in [0, 1) with 24 bits
  let keep = select(0.0, 1.0 / (1.0 - u.p), r >= u.p);
  put(i, a[i] * keep);
}
