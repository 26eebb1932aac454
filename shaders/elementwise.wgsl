// Elementwise kernels over n elements. Flat index i = gid.x + gid.y·nwg.x·64 (see Gpu.grid), bounds-checked.
// All take u{n, nb, acc, seed, offset, thr, scale}; unused fields are ignored. Bindings: a (read), b (read),
// out (read_write); every entry writes out[0..n).
//  add:          out = a + b[i % nb]                     (b broadcast over leading dims; write =)
//  copy:         out (=|+=) scale·a                      (acc: 0 write, 1 accumulate)
//  gelu:         out = 0.5·a·(1 + tanh(√(2/π)(a + 0.044715a³)))          (write =)
//  gelu_bwd:     out (=|+=) dy·gelu'(a)    with dy in b  (acc)
//  dropout:      out (=|+=) a·keep(i)·scale              keep(i) = hash(offset + i, seed) ≥ thr, thr = round(p·2³²),
//                scale = 1/(1−p) (acc)                    the same mask forward and backward (recomputed, not stored)
struct P { n: u32, nb: u32, acc: u32, seed: u32, offset: u32, thr: u32, scale: f32 }
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

// backward of gelu's `out = 0.5·x·(1 + tanh(z))`, z = k(x + 0.044715x³):
//   dx = dy·(0.5(1 + t) + 0.5x(1 − t²)·k(1 + 3·0.044715x²)), t = tanh(z)
@compute @workgroup_size(64)
fn gelu_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = idx(gid, nwg);
  if (i >= u.n) { return; }
  let x = a[i];
  let t = tanh_safe(GELU_K * (x + 0.044715 * x * x * x));
  var d = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * GELU_K * (1.0 + 0.134145 * x * x);
  // beyond |x| = 10, gelu' is the step 0/1 to f32 precision; the formula's x³ factor would overflow to inf·0
  if (abs(x) > 10.0) { d = select(0.0, 1.0, x > 0.0); }
  put(i, b[i] * d);
}

// Dropout's hash: keep_hash (PCG, stateless) from the prelude, the same function as attention dropout,
// so the mask is a pure function of (seed, counter), identical on every run and recomputed by backward.
// The counter is offset + i (mod 2³²): a tensor dropped in chunks with matching offsets gets the whole
// tensor's mask.
//!include prelude

@compute @workgroup_size(64)
fn dropout(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = idx(gid, nwg);
  if (i >= u.n) { return; }
  let kept = keep_hash(u.offset + i, u.seed) >= u.thr;
  // forward: out = x·mask·scale; backward of that line: dx = dy·mask·scale (a holds dy then)
  put(i, select(0.0, a[i] * u.scale, kept));
}
