// Sums over the rows of a row-major X (R, N): the bias gradient and the backward of broadcast binary ops.
// One invocation per column n sums its R rows in order (deterministic, no atomics); 1-D grid over columns,
// n = gid.x + gid.y·nwg.x·64 (see Gpu.grid), bounds-checked against N.
//   colsum      X (read) → out (= when acc == 0, += when acc == 1):  out[n] (=|+=) coef·Σ_r X[r·N + n]
//   colsum_mul  X, W (read) → out (=|+=):  out[n] (=|+=) coef·Σ_r X[i]·W[i % nw], i = r·N + n
//               (W broadcast over X's flat index: the other operand of a product)
//   colsum4     colsum over four adjacent columns per invocation through vec4 views X4, out4 (N a multiple of 4, the
//               host's choice): each column's rows in order, so the same bits; a quarter of the invocations and load
//               instructions (SwiftShader pays per invocation and per load instruction: docs/perf.md, issue #26)
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

@group(0) @binding(4) var<storage, read> X4: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> out4: array<vec4f>;

@compute @workgroup_size(64)
fn colsum4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let q = flat_index(gid, nwg);
  let N4 = s.N / 4u;
  if (q >= N4) { return; }
  var t = vec4f(0.0);
  for (var r = 0u; r < s.R; r++) { t += X4[r * N4 + q]; }
  var v = s.coef * t;
  if (s.acc == 1u) { v += out4[q]; }
  out4[q] = v;
}
