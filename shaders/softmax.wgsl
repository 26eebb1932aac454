// Row softmax over the last dim, forward and backward, with an optional causal window and an optional
// 0/1 mask, optionally with attention dropout. One invocation per row: no barriers (they are very
// expensive on SwiftShader); rows are independent. Leaves out: online (single-pass) softmax and
// multi-invocation rows, which only pay for very long rows on real GPUs.
//
// Entry points (1-D grid over rows: r = gid.x + gid.y·nwg.x·WG, bounds-checked against rows):
//   softmax_fwd      x (read, [rows, n]), keep (read, u32 mask) → y (write =, [rows, n])
//   softmax_fwd_drop x, keep (read) → y (write =) and yd (write =, y·keep/(1−p): the dropped probabilities)
//   softmax_bwd      ys, dy (read) → dx (write = when acc == 0, accumulate += when acc == 1)
//   softmax_bwd_drop ys, yds, dy (read) → dx (= or +=)
// Which columns row r uses — the masking logic, here once for softmax and attention:
//   causal window  j < key_end(r % Tq, q0, n) (prelude): row r is query r % Tq of a [.., Tq, n] block at
//                  position q0 + r % Tq; q0 ≥ n means no window (every column)
//   mask           when masked == 1: keep[(r / group)·n + j] != 0 (a [rows/group, n] mask, each row
//                  shared by `group` consecutive rows: attention's key mask [B, Tk] has group H·Tq)
// Forward writes 0 at every unused column. A row with no used column, or whose used entries are all −inf,
// gives zeros, not NaN (PyTorch gives NaN there); otherwise the usual max-shifted exp(x − m) / Σ exp(x − m).
// Backward needs no mask: y = 0 at unused columns, so their gradient y·(…) is 0 (columns past the causal
// window are written 0 when acc == 0 and left alone when acc == 1).
// Dropout keep test: keep_hash(flat index r·n + j, seed) ≥ thr (prelude), thr = round(p·2³²).
//!include prelude

struct Fwd { rows: u32, n: u32, Tq: u32, q0: u32, group: u32, masked: u32, seed: u32, thr: u32, keepScale: f32 }
struct Bwd { rows: u32, n: u32, Tq: u32, q0: u32, scale: f32, acc: u32 }

@group(0) @binding(0) var<uniform> pf: Fwd;
@group(0) @binding(2) var<uniform> pb: Bwd;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> yd: array<f32>;
@group(0) @binding(6) var<storage, read> ys: array<f32>;
@group(0) @binding(7) var<storage, read> yds: array<f32>;
@group(0) @binding(8) var<storage, read> dy: array<f32>;
@group(0) @binding(9) var<storage, read_write> dx: array<f32>;
@group(0) @binding(10) var<storage, read> keep: array<u32>;

override WG: u32 = 64;

fn row_of(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * WG; }

// Forward row r: used(j) is the causal window and the mask; probability j is exp(x − m) / s.
struct Row { base: u32, lim: u32, mb: u32, m: f32, s: f32 }

fn used(w: Row, j: u32) -> bool {
  return j < w.lim && (pf.masked == 0u || keep[w.mb + j] != 0u);
}

fn row_stats(r: u32) -> Row {
  var w = Row(r * pf.n, key_end(r % pf.Tq, pf.q0, pf.n), (r / pf.group) * pf.n, neg_inf(), 0.0);
  for (var j = 0u; j < w.lim; j++) { if (used(w, j)) { w.m = max(w.m, x[w.base + j]); } }
  if (w.m == neg_inf()) { return w; }
  for (var j = 0u; j < w.lim; j++) { if (used(w, j)) { w.s += exp(x[w.base + j] - w.m); } }
  return w;
}

// 0 where unused or where the row has nothing finite to normalise
fn prob(w: Row, j: u32) -> f32 {
  if (w.m == neg_inf() || !used(w, j)) { return 0.0; }
  return exp(x[w.base + j] - w.m) / w.s;
}

// Forward: y = exp(x − m) / Σ exp(x − m) over the used columns, m = their max.
@compute @workgroup_size(WG)
fn softmax_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = row_of(gid, nwg);
  if (r >= pf.rows) { return; }
  let w = row_stats(r);
  for (var j = 0u; j < pf.n; j++) { y[w.base + j] = prob(w, j); }
}

// Forward with dropout on the probabilities: y as above (kept for backward), yd = y·keep/(1−p).
@compute @workgroup_size(WG)
fn softmax_fwd_drop(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = row_of(gid, nwg);
  if (r >= pf.rows) { return; }
  let w = row_stats(r);
  for (var j = 0u; j < pf.n; j++) {
    let v = prob(w, j);
    y[w.base + j] = v;
    yd[w.base + j] = select(0.0, v * pf.keepScale, keep_hash(w.base + j, pf.seed) >= pf.thr);
  }
}

// dx (=|+=) v inside the causal window; zero_tail writes 0 past it when writing (=)
fn put_dx(base: u32, j: u32, v: f32) {
  if (pb.acc == 1u) { dx[base + j] += v; } else { dx[base + j] = v; }
}

fn zero_tail(base: u32, lim: u32) {
  if (pb.acc == 0u) {
    for (var j = lim; j < pb.n; j++) { dx[base + j] = 0.0; }
  }
}

// Backward of `y = exp(x − m) / s` (softmax_fwd): dx = scale · y·(dy − Σ_j dy·y).
// (`scale` folds the attention scale that multiplied x before the softmax; 1 for the plain op.)
@compute @workgroup_size(WG)
fn softmax_bwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = row_of(gid, nwg);
  if (r >= pb.rows) { return; }
  let base = r * pb.n;
  let lim = key_end(r % pb.Tq, pb.q0, pb.n);
  var s = 0.0;
  for (var j = 0u; j < lim; j++) { s += dy[base + j] * ys[base + j]; }
  for (var j = 0u; j < lim; j++) { put_dx(base, j, pb.scale * ys[base + j] * (dy[base + j] - s)); }
  zero_tail(base, lim);
}

// Backward of softmax_fwd_drop, with dy the gradient of yd (the dropped probabilities):
// dyd/dy = keep/(1−p), so dx = scale · (yd·dy − y·Σ_j yd·dy).
@compute @workgroup_size(WG)
fn softmax_bwd_drop(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = row_of(gid, nwg);
  if (r >= pb.rows) { return; }
  let base = r * pb.n;
  let lim = key_end(r % pb.Tq, pb.q0, pb.n);
  var s = 0.0;
  for (var j = 0u; j < lim; j++) { s += dy[base + j] * yds[base + j]; }
  for (var j = 0u; j < lim; j++) { put_dx(base, j, pb.scale * (yds[base + j] * dy[base + j] - ys[base + j] * s)); }
  zero_tail(base, lim);
}
