// Unary activations from one template: the override ACT picks the function (each value is its own
// pipeline, so the switch folds away). Adding an activation = one case in act() and one in act_grad()
// plus a line in src/ops/unary.ts. Every function is finite for all finite x (|x| up to 3e38).
//   ACT 0 tanh        1 sigmoid        2 silu (x·sigmoid(x))        3 relu
//       4 gelu_erf    (0.5·x·(1 + erf(x/√2)) = 0.5·x·erfc(−x/√2), BERT's "gelu")
//       5 gelu_tanh   (0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))), GPT-2's)
// Entries (1-D flat index i = flat_index(gid, nwg) from the prelude, see Gpu.grid; bounds-checked against u.n):
//   forward   x (read) → out (write =):                out[i] = f(x[i])
//   backward  x, dy (read) → out (= when acc == 0, += when acc == 1): out[i] (=|+=) dy[i]·f'(x[i])
//   backward_colsum  x, dy (read) of shape (R, N) → out (write =): out[i] = dy[i]·f'(x[i]), and db (=|+= by
//             bacc): db[n] (=|+=) Σ_r out[r·N + n] (rows in order): the activation's backward and the bias
//             gradient of the linear before it in one dispatch (one invocation per column n; c{R, N, bacc})
//   forward4, backward4, backward_colsum4: the same three through vec4 views (x4, dy4, out4, db4; n or N a multiple
//             of 4, the host's choice): forward4/backward4 take PER vec4s per invocation (vec4 k < PER of flat workgroup
//             w, lane li: (w·PER + k)·64 + li), backward_colsum4 four adjacent columns per invocation. SwiftShader pays
//             per load instruction and per invocation: a vec4 load is one instruction where four scalars are four,
//             and fewer invocations carry less fixed cost (measured on a GELU of 131072: ~3.5× less CPU time,
//             docs/perf.md, issue #26). Each element gets act()/act_grad() of its own lane, each column sums its rows
//             in order: the same bits as the scalar entries.
struct P { n: u32, acc: u32 }
@group(0) @binding(0) var<uniform> u: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read> x4: array<vec4f>;
@group(0) @binding(6) var<storage, read> dy4: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> out4: array<vec4f>;

override ACT: u32 = 0;
override PER: u32 = 8u;

// GELU_K = √(2/π), SQRT1_2 = 1/√2, INV_SQRT_2PI = 1/√(2π), tanh_exp (tanh through exp with the argument clamped:
// |z| > 10 is ±1 to f32 precision, and SwiftShader's tanh is not safe for large arguments) and gelu_tanh (GPT-2's
// GELU in exactly that form: its numbers are pinned, and the matmul epilogues share it) come from the shared prelude
//!include prelude

// tanh for the activation, relative error < 2e-7 everywhere (measured in f32 against libm): Cephes'
// tanhf, an odd polynomial for |z| < 0.625 (where (e − 1)/(e + 1) would cancel) and 1 − 2/(e^2|z| + 1)
// beyond, with |z| clamped at 10 (±1 to f32 precision).
fn tanh_act(z: f32) -> f32 {
  let a = min(abs(z), 10.0);
  let s = z * z;
  let p = ((((-5.70498872745e-3 * s + 2.06390887954e-2) * s - 5.37397155531e-2) * s + 1.33314422036e-1) * s - 3.33332819422e-1) * s * z + z;
  let r = 1.0 - 2.0 / (exp(2.0 * a) + 1.0);
  return select(select(r, -r, z < 0.0), p, a < 0.625);
}

// Logistic function without overflow: e = exp(−|x|) ∈ (0, 1], then 1/(1 + e) or e/(1 + e).
fn sigmoid(z: f32) -> f32 {
  let e = exp(-abs(z));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), z >= 0.0);
}

// erfc(z) for z ≥ 0, relative error < 5e-7 on [0, 10] in f32 (measured against libm's double erfc):
// the Chebyshev fit of Numerical Recipes (erfcc, fractional error < 1.2e-7),
//   erfc(z) = t·exp(−z² − 1.26551223 + t·P(t)), t = 1/(1 + z/2),
// with exp(−z²) split as exp(−h²)·exp((h − z)(h + z)), h = z with its low 12 mantissa bits cleared
// (h² is exact in f32), so the large exponent −z² carries no rounding error. Beyond z = 10
// erfc < 2e-45 (below f32's range) and it returns 0, so 0·x stays 0 for |x| up to 3e38.
fn erfc_pos(z: f32) -> f32 {
  let zc = min(z, 10.0);
  let t = 1.0 / (1.0 + 0.5 * zc);
  let p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807
    + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  let h = bitcast<f32>(bitcast<u32>(zc) & 0xfffff000u);
  let r = t * exp(-h * h) * exp(p + (h - zc) * (h + zc));
  return select(r, 0.0, z > 10.0);
}

// erfc on all of f32: erfc(−z) = 2 − erfc(z).
fn erfc_f(z: f32) -> f32 {
  let e = erfc_pos(abs(z));
  return select(e, 2.0 - e, z < 0.0);
}

fn act(v: f32) -> f32 {
  switch ACT {
    case 0u: { return tanh_act(v); }
    case 1u: { return sigmoid(v); }
    case 2u: { return v * sigmoid(v); }
    case 3u: { return max(v, 0.0); }
    case 4u: { return 0.5 * v * erfc_f(-v * SQRT1_2); }
    default: { return gelu_tanh(v); }
  }
}

// f'(x), each the derivative of the matching act() line.
fn act_grad(v: f32) -> f32 {
  switch ACT {
    // tanh' = 1 − tanh²
    case 0u: { let t = tanh_act(v); return 1.0 - t * t; }
    // σ' = σ(1 − σ)
    case 1u: { let s = sigmoid(v); return s * (1.0 - s); }
    // (xσ)' = σ + xσ(1 − σ) = σ(1 + x(1 − σ))
    case 2u: { let s = sigmoid(v); return s * (1.0 + v * (1.0 - s)); }
    // relu' = 1 for x > 0, else 0 (PyTorch: 0 at x = 0)
    case 3u: { return select(0.0, 1.0, v > 0.0); }
    // (xΦ(x))' = Φ(x) + x·φ(x), φ(x) = exp(−x²/2)/√(2π); x clamped inside φ so x² never overflows
    // (φ(±20) underflows to 0 anyway)
    case 4u: {
      let c = clamp(v, -20.0, 20.0);
      return 0.5 * erfc_f(-v * SQRT1_2) + v * exp(-0.5 * c * c) * INV_SQRT_2PI;
    }
    // 0.5(1 + t) + 0.5x(1 − t²)·k(1 + 3·0.044715x²), t = tanh(k(x + 0.044715x³)); beyond |x| = 10 the
    // step 0/1 to f32 precision (the formula's x³ factor would overflow to inf·0)
    default: {
      let t = tanh_exp(GELU_K * (v + 0.044715 * v * v * v));
      let d = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * GELU_K * (1.0 + 0.134145 * v * v);
      return select(d, select(0.0, 1.0, v > 0.0), abs(v) > 10.0);
    }
  }
}

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= u.n) { return; }
  out[i] = act(x[i]);
}

// backward of `out = f(x)`: dx (=|+=) dy·f'(x)
@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= u.n) { return; }
  let g = dy[i] * act_grad(x[i]);
  if (u.acc == 1u) { out[i] = out[i] + g; } else { out[i] = g; }
}

// backward of `out = f(x)` for x (R, N), with the column sums of dx: one invocation per column, rows in order (the
// same sum, term for term, as reduce.wgsl's colsum of the written dx)
struct C { R: u32, N: u32, bacc: u32 }
@group(0) @binding(0) var<uniform> c: C;
@group(0) @binding(4) var<storage, read_write> db: array<f32>;

@compute @workgroup_size(64)
fn backward_colsum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = flat_index(gid, nwg);
  if (n >= c.N) { return; }
  var t = 0.0;
  for (var r = 0u; r < c.R; r++) {
    let i = r * c.N + n;
    let g = dy[i] * act_grad(x[i]);
    out[i] = g;
    t += g;
  }
  if (c.bacc == 1u) { t += db[n]; }
  db[n] = t;
}

fn act4(v: vec4f) -> vec4f { return vec4f(act(v.x), act(v.y), act(v.z), act(v.w)); }
fn act_grad4(v: vec4f) -> vec4f { return vec4f(act_grad(v.x), act_grad(v.y), act_grad(v.z), act_grad(v.w)); }

// the vec4 index of lane li of flat workgroup wid's k-th round
fn per_index(li: u32, wid: vec3u, nwg: vec3u, k: u32) -> u32 {
  return ((wid.x + wid.y * nwg.x) * PER + k) * 64u + li;
}

@compute @workgroup_size(64)
fn forward4(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  for (var k = 0u; k < PER; k++) {
    let i = per_index(li, wid, nwg, k);
    if (i >= u.n / 4u) { return; }
    out4[i] = act4(x4[i]);
  }
}

@compute @workgroup_size(64)
fn backward4(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  for (var k = 0u; k < PER; k++) {
    let i = per_index(li, wid, nwg, k);
    if (i >= u.n / 4u) { return; }
    let g = dy4[i] * act_grad4(x4[i]);
    if (u.acc == 1u) { out4[i] = out4[i] + g; } else { out4[i] = g; }
  }
}

@group(0) @binding(8) var<storage, read_write> db4: array<vec4f>;

// columns 4q … 4q+3 (q < N/4), rows in order: the same sums as backward_colsum's four invocations
@compute @workgroup_size(64)
fn backward_colsum4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let q = flat_index(gid, nwg);
  let N4 = c.N / 4u;
  if (q >= N4) { return; }
  var t = vec4f(0.0);
  for (var r = 0u; r < c.R; r++) {
    let i = r * N4 + q;
    let g = dy4[i] * act_grad4(x4[i]);
    out4[i] = g;
    t += g;
  }
  if (c.bacc == 1u) { t += db4[q]; }
  db4[q] = t;
}
