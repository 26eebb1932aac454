// LayerNorm over the last dim C of x (R, C), PyTorch semantics (biased variance, eps inside the sqrt).
//  forward:    y (R, C) = (x − mean)·rstd·w + b; saves mean (R), rstd (R)            y, mean, rstd written (=)
//  backward_x: dx = rstd·(dŷ − mean(dŷ) − x̂·mean(dŷ·x̂)), dŷ = dy·w              dx (=|+= by p.acc)
//  backward_wb: dw[c] += Σ_r dy·x̂, db[c] += Σ_r dy  (one invocation per channel, rows in order: deterministic)
//  backward:   backward_x and backward_wb in one dispatch (R + C invocations; 8 storage buffers)
// One invocation per row (forward, backward_x) or per channel (backward_wb), or either (backward); every index bounds-checked.
//  forward4, backward_x4, backward_wb4, backward4: the same through vec4 views (x4, w4, b4, y4, dy4, dx4, dw4, db4; C a
//  multiple of 4, the host's choice); backward_wb4 (and backward4's channel part) takes four adjacent channels per
//  invocation (R + C/4 invocations). Every sum keeps the scalar entries' order (a row's channels one by one, a
//  channel's rows in order): the same bits. Why: SwiftShader pays per load instruction and a vec4 load is one where
//  four scalars are four (measured in a training step, docs/perf.md, issue #26).
struct P { R: u32, C: u32, eps: f32, acc: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> mean: array<f32>;
@group(0) @binding(6) var<storage, read_write> rstd: array<f32>;

//!include prelude


@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = flat_index(gid, nwg);
  if (r >= p.R) { return; }
  let o = r * p.C;
  var s = 0.0;
  for (var c = 0u; c < p.C; c++) { s += x[o + c]; }
  let m = s / f32(p.C);
  var v = 0.0;
  for (var c = 0u; c < p.C; c++) { let d = x[o + c] - m; v += d * d; }
  let rs = inverseSqrt(v / f32(p.C) + p.eps);
  for (var c = 0u; c < p.C; c++) { y[o + c] = (x[o + c] - m) * rs * w[c] + b[c]; }
  mean[r] = m;
  rstd[r] = rs;
}

@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<storage, read> smean: array<f32>;
@group(0) @binding(6) var<storage, read> srstd: array<f32>;

// dx of row r (backward_x's work)
fn dx_row(r: u32) {
  let o = r * p.C;
  let m = smean[r];
  let rs = srstd[r];
  var s1 = 0.0; // Σ dŷ
  var s2 = 0.0; // Σ dŷ·x̂
  for (var c = 0u; c < p.C; c++) {
    let dh = dy[o + c] * w[c];
    s1 += dh;
    s2 += dh * (x[o + c] - m) * rs;
  }
  let inv = 1.0 / f32(p.C);
  for (var c = 0u; c < p.C; c++) {
    let xh = (x[o + c] - m) * rs;
    var g = rs * (dy[o + c] * w[c] - s1 * inv - xh * s2 * inv);
    if (p.acc == 1u) { g += dx[o + c]; }
    dx[o + c] = g;
  }
}

@compute @workgroup_size(64)
fn backward_x(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = flat_index(gid, nwg);
  if (r >= p.R) { return; }
  dx_row(r);
}

@group(0) @binding(8) var<storage, read_write> dw: array<f32>;
@group(0) @binding(7) var<storage, read_write> db: array<f32>;

// dw[c], db[c] of channel c (backward_wb's work)
fn wb_col(c: u32) {
  var sw = 0.0;
  var sb = 0.0;
  for (var r = 0u; r < p.R; r++) {
    let g = dy[r * p.C + c];
    sw += g * (x[r * p.C + c] - smean[r]) * srstd[r];
    sb += g;
  }
  dw[c] += sw;
  db[c] += sb;
}

@compute @workgroup_size(64)
fn backward_wb(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = flat_index(gid, nwg);
  if (c >= p.C) { return; }
  wb_col(c);
}

// both in one dispatch: invocations 0…R−1 are backward_x's rows, R…R+C−1 backward_wb's channels (independent
// outputs, the same arithmetic per invocation, so the same bits as the two dispatches)
@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i < p.R) { dx_row(i); } else if (i < p.R + p.C) { wb_col(i - p.R); }
}

// ---- vec4 views (C % 4 == 0) ----

@group(0) @binding(9) var<storage, read> x4: array<vec4f>;
@group(0) @binding(10) var<storage, read> w4: array<vec4f>;
@group(0) @binding(11) var<storage, read> b4: array<vec4f>;
@group(0) @binding(12) var<storage, read_write> y4: array<vec4f>;

// v.x + v.y + v.z + v.w added to s one by one (the scalar loop's order)
fn add4(s: f32, v: vec4f) -> f32 { return s + v.x + v.y + v.z + v.w; }

@compute @workgroup_size(64)
fn forward4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = flat_index(gid, nwg);
  if (r >= p.R) { return; }
  let C4 = p.C / 4u;
  let o = r * C4;
  var s = 0.0;
  for (var c = 0u; c < C4; c++) { s = add4(s, x4[o + c]); }
  let m = s / f32(p.C);
  var v = 0.0;
  for (var c = 0u; c < C4; c++) { let d = x4[o + c] - m; v = add4(v, d * d); }
  let rs = inverseSqrt(v / f32(p.C) + p.eps);
  for (var c = 0u; c < C4; c++) { y4[o + c] = (x4[o + c] - m) * rs * w4[c] + b4[c]; }
  mean[r] = m;
  rstd[r] = rs;
}

@group(0) @binding(13) var<storage, read> dy4: array<vec4f>;
@group(0) @binding(14) var<storage, read_write> dx4: array<vec4f>;

fn dx_row4(r: u32) {
  let C4 = p.C / 4u;
  let o = r * C4;
  let m = smean[r];
  let rs = srstd[r];
  var s1 = 0.0; // Σ dŷ
  var s2 = 0.0; // Σ dŷ·x̂
  for (var c = 0u; c < C4; c++) {
    let dh = dy4[o + c] * w4[c];
    s1 = add4(s1, dh);
    s2 = add4(s2, dh * (x4[o + c] - m) * rs);
  }
  let inv = 1.0 / f32(p.C);
  for (var c = 0u; c < C4; c++) {
    let xh = (x4[o + c] - m) * rs;
    var g = rs * (dy4[o + c] * w4[c] - s1 * inv - xh * s2 * inv);
    if (p.acc == 1u) { g += dx4[o + c]; }
    dx4[o + c] = g;
  }
}

@compute @workgroup_size(64)
fn backward_x4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = flat_index(gid, nwg);
  if (r >= p.R) { return; }
  dx_row4(r);
}

@group(0) @binding(15) var<storage, read_write> dw4: array<vec4f>;
@group(0) @binding(16) var<storage, read_write> db4: array<vec4f>;

// dw, db of channels 4q … 4q+3
fn wb_col4(q: u32) {
  let C4 = p.C / 4u;
  var sw = vec4f(0.0);
  var sb = vec4f(0.0);
  for (var r = 0u; r < p.R; r++) {
    let g = dy4[r * C4 + q];
    sw += g * (x4[r * C4 + q] - smean[r]) * srstd[r];
    sb += g;
  }
  dw4[q] += sw;
  db4[q] += sb;
}

@compute @workgroup_size(64)
fn backward_wb4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let q = flat_index(gid, nwg);
  if (q >= p.C / 4u) { return; }
  wb_col4(q);
}

@compute @workgroup_size(64)
fn backward4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i < p.R) { dx_row4(i); } else if (i < p.R + p.C / 4u) { wb_col4(i - p.R); }
}
