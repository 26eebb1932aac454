// Sums over the rows of a row-major X (R, N): the bias gradient and the backward of broadcast binary ops.
// One invocation per column n sums its R rows in order (deterministic, no atomics); 1-D grid over columns,
// n = gid.x + gid.y·nwg.x·64 (see Gpu.grid), bounds-checked against N.
//   colsum      X (read) → out (= when acc == 0, += when acc == 1):  out[n] (=|+=) coef·Σ_r X[r·N + n]
//   colsum_mul  X, W (read) → out (=|+=):  out[n] (=|+=) coef·Σ_r X[i]·W[i % nw], i = r·N + n
//               (W broadcast over X's flat index: the other operand of a product)
struct P { R: u32, N: u32, nw: u32, acc: u32, coef: f32 }
@group(0) @binding(0) var<uniform> s: P;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> W: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

//!include prelude

fn put(n: u32, t: f32) {
  var v = s.coef * t;
  if (s.acc == 1u) { v += out[n]; }
  out[n] = v;
}

@compute @workgroup_size(64)
fn colsum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let n = flat_index(gid, nwg);
  if (n >= s.N) { return; }
  var t = 0.0;
  for (var r = 0u; r < s.R; r++) { t += X[r * s.N + n]; }
  put(n, t);
}

@compute @workgroup_size(64)
fn colsum_mul(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let n = flat_index(gid, nwg);
  if (n >= s.N) { return; }
  let full = s.nw == s.R * s.N; // W as large as X: no modulo
  var t = 0.0;
  for (var r = 0u; r < s.R; r++) {
    let i = r * s.N + n;
    var j = i;
    if (!full) { j = i % s.nw; }
    t += X[i] * W[j];
  }
  put(n, t);
}
