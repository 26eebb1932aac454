// Row softmax over the last dim, forward and backward, plain or causal (row r of a [.., Tq, n] block
// keeps columns j ≤ q0 + r % Tq), optionally with attention dropout. One invocation per row: no
// barriers (they are very expensive on SwiftShader); rows are independent. Leaves out: online
// (single-pass) softmax and multi-invocation rows, which only pay for very long rows on real GPUs.
//
// Entry points (1-D grid over rows: r = gid.x + gid.y·nwg.x·WG, bounds-checked against rows):
//   softmax_fwd      x (read, [rows, n]) → y (write =, [rows, n])
//   softmax_fwd_drop x (read) → y (write =) and yd (write =, y·keep/(1−p): the dropped probabilities)
//   softmax_bwd      y, dy (read) → dx (write = when acc == 0, accumulate += when acc == 1)
//   softmax_bwd_drop y, yd, dy (read) → dx (= or +=)
// Row length: lim = n, or min(n, q0 + r % Tq + 1) when causal == 1; columns j ≥ lim are written 0
// (forward) and get no gradient (backward). −inf-safe: a row whose kept entries are all −inf
// (or a causal row with lim == 0) gives zeros, not NaN (PyTorch gives NaN there); finite rows are
// the usual max-shifted exp(x − max) / Σ exp(x − max).
// Dropout keep test: pcg-hash of (flat index r·n + j, seed) ≥ thr, where thr = round(p·2³²).

struct Fwd { rows: u32, n: u32, Tq: u32, q0: u32, causal: u32 }
struct FwdDrop { rows: u32, n: u32, Tq: u32, q0: u32, causal: u32, seed: u32, thr: u32, keepScale: f32 }
struct Bwd { rows: u32, n: u32, Tq: u32, q0: u32, causal: u32, scale: f32, acc: u32 }

@group(0) @binding(0) var<uniform> pf: Fwd;
@group(0) @binding(1) var<uniform> pd: FwdDrop;
@group(0) @binding(2) var<uniform> pb: Bwd;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> yd: array<f32>;
@group(0) @binding(6) var<storage, read> ys: array<f32>;
@group(0) @binding(7) var<storage, read> yds: array<f32>;
@group(0) @binding(8) var<storage, read> dy: array<f32>;
@group(0) @binding(9) var<storage, read_write> dx: array<f32>;

override WG: u32 = 64;

// −inf as a runtime value (a const-expression may not be infinite in WGSL).
fn neg_inf() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

// PCG hash (Jarzynski & Olano 2020), a bijection on u32.
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

// Counter-based dropout: element idx is kept iff this is ≥ thr. Same (idx, seed) → same answer.
fn keep_hash(idx: u32, seed: u32) -> u32 {
  return pcg(pcg(idx + pcg(seed)) ^ seed);
}

fn row_len(r: u32, n: u32, Tq: u32, q0: u32, causal: u32) -> u32 {
  if (causal == 0u) { return n; }
  return min(n, q0 + r % Tq + 1u);
}

// Forward: y = exp(x − m) / Σ exp(x − m) over the kept columns, m = their max.
@compute @workgroup_size(WG)
fn softmax_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= pf.rows) { return; }
  let n = pf.n;
  let base = r * n;
  let lim = row_len(r, n, pf.Tq, pf.q0, pf.causal);
  var m = neg_inf();
  for (var j = 0u; j < lim; j++) { m = max(m, x[base + j]); }
  if (m == neg_inf()) {
    for (var j = 0u; j < n; j++) { y[base + j] = 0.0; }
    return;
  }
  var s = 0.0;
  for (var j = 0u; j < lim; j++) { s += exp(x[base + j] - m); }
  for (var j = 0u; j < lim; j++) { y[base + j] = exp(x[base + j] - m) / s; }
  for (var j = lim; j < n; j++) { y[base + j] = 0.0; }
}

// Forward with dropout on the probabilities: y as above (kept for backward), yd = y·keep/(1−p).
@compute @workgroup_size(WG)
fn softmax_fwd_drop(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= pd.rows) { return; }
  let n = pd.n;
  let base = r * n;
  let lim = row_len(r, n, pd.Tq, pd.q0, pd.causal);
  var m = neg_inf();
  for (var j = 0u; j < lim; j++) { m = max(m, x[base + j]); }
  if (m == neg_inf()) {
    for (var j = 0u; j < n; j++) { y[base + j] = 0.0; yd[base + j] = 0.0; }
    return;
  }
  var s = 0.0;
  for (var j = 0u; j < lim; j++) { s += exp(x[base + j] - m); }
  for (var j = 0u; j < lim; j++) {
    let v = exp(x[base + j] - m) / s;
    y[base + j] = v;
    yd[base + j] = select(0.0, v * pd.keepScale, keep_hash(base + j, pd.seed) >= pd.thr);
  }
  for (var j = lim; j < n; j++) { y[base + j] = 0.0; yd[base + j] = 0.0; }
}

// Backward of `y = exp(x − m) / s` (softmax_fwd): dx = scale · y·(dy − Σ_j dy·y).
// (`scale` folds the attention 1/√hd that multiplied x before the softmax; 1 for the plain op.)
@compute @workgroup_size(WG)
fn softmax_bwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= pb.rows) { return; }
  let n = pb.n;
  let base = r * n;
  let lim = row_len(r, n, pb.Tq, pb.q0, pb.causal);
  var s = 0.0;
  for (var j = 0u; j < lim; j++) { s += dy[base + j] * ys[base + j]; }
  for (var j = 0u; j < lim; j++) {
    var v = pb.scale * ys[base + j] * (dy[base + j] - s);
    if (pb.acc == 1u) { v += dx[base + j]; }
    dx[base + j] = v;
  }
  if (pb.acc == 0u) {
    for (var j = lim; j < n; j++) { dx[base + j] = 0.0; }
  }
}

// Backward of softmax_fwd_drop, with dy the gradient of yd (the dropped probabilities):
// dy/dy_pre = keep/(1−p), so dx = scale · (yd·dy − y·Σ_j yd·dy).
@compute @workgroup_size(WG)
fn softmax_bwd_drop(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= pb.rows) { return; }
  let n = pb.n;
  let base = r * n;
  let lim = row_len(r, n, pb.Tq, pb.q0, pb.causal);
  var s = 0.0;
  for (var j = 0u; j < lim; j++) { s += dy[base + j] * yds[base + j]; }
  for (var j = 0u; j < lim; j++) {
    var v = pb.scale * (yds[base + j] * dy[base + j] - ys[base + j] * s);
    if (pb.acc == 1u) { v += dx[base + j]; }
    dx[base + j] = v;
  }
  if (pb.acc == 0u) {
    for (var j = lim; j < n; j++) { dx[base + j] = 0.0; }
  }
}
