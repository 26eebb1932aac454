// LayerNorm fused into the linear that consumes it, for decode (a KV-cache step: few rows, typically one): each
// workgroup normalises its row once into workgroup memory, term for term as layernorm.wgsl's forward, then each
// invocation computes 8 output columns of that row as matmul.wgsl's `row1` does (the same sums in the same order,
// so the same bits as LayerNorm then the one-row matmul where the compiler treats both alike). Leaves out: gradients
// (inference only), many rows (no reuse of B across rows: for a prompt the unfused LayerNorm + register-blocked matmul
// is faster), K > 2048 (workgroup memory: 8 KiB + 8 B at most, within WebGPU's default 16 KiB).
//  main:  C[r, n] = act(Σ_k xn[r, k]·B(k, n) + bias[n]),  xn[r, :] = (x[r, :] − mean)·rstd·lnw + lnb   C written (=)
// Bindings: p (uniform); x (read, R·K); lnw, lnb (read, K); Bs / Bv (read, the same buffer as f32 and vec4):
//   B(k, n) = Bs[k·N + n], or with TB Bs[n·K + k] (stored (N, K): the tied output head); bias (read, N, when
//   p.hasBias == 1; pass any buffer otherwise); C (read_write, R·N).
// Overrides: KMAX4 (see xs); TB (B stored (N, K)); VB (vec4 loads of B: the host sets it only when N, or K with TB,
//   is a multiple of 4). p.act: 0 none, 1 GPT-2's tanh GELU (the prelude's gelu_tanh, as matmul.wgsl's epilogue).
// Grid: x → workgroups (64 invocations × 8 columns), each looping over every gridX-th 512-column block (p.stride =
//   gridX·512; the host keeps gridX ≤ 8: each workgroup normalises the row once); y → row r.
// Out-of-range columns are clamped on load and skipped on store.
struct Params { R: u32, N: u32, K: u32, eps: f32, hasBias: u32, stride: u32, act: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> lnw: array<f32>;
@group(0) @binding(3) var<storage, read> lnb: array<f32>;
@group(0) @binding(4) var<storage, read> Bs: array<f32>;
@group(0) @binding(5) var<storage, read> Bv: array<vec4f>;
@group(0) @binding(6) var<storage, read> bias: array<f32>;
@group(0) @binding(7) var<storage, read_write> C: array<f32>;

override TB: bool = false;
override VB: bool = false;

//!include prelude

var<workgroup> stats: vec2f;
// the normalised row in workgroup memory, 4 features per element (zero past K): the host passes KMAX4, a power of
// two ≥ K/4 (≤ 512), so the memory Dawn zeroes per workgroup is no larger than needed
override KMAX4: u32 = 512u;
var<workgroup> xs: array<vec4f, KMAX4>;

// p.act as a loop of 0 or 1 trips (matmul.wgsl's act_epilogue)
fn act_epilogue(v: f32) -> f32 {
  var x = v;
  for (var t = 0u; t < p.act; t++) { x = gelu_tanh(x); }
  return x;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let r = min(wid.y, p.R - 1u);
  let K = p.K;
  let xo = r * K;
  // the row's mean and rstd, summed in order by one invocation (layernorm.wgsl's forward, term for term)
  if (li == 0u) {
    var s = 0.0;
    for (var c = 0u; c < K; c++) { s += x[xo + c]; }
    let m = s / f32(K);
    var v = 0.0;
    for (var c = 0u; c < K; c++) { let d = x[xo + c] - m; v += d * d; }
    stats = vec2f(m, inverseSqrt(v / f32(K) + p.eps));
  }
  workgroupBarrier();
  let m = stats.x;
  let rs = stats.y;
  for (var c4 = li; c4 < (K + 3u) / 4u; c4 += 64u) {
    var q = vec4f(0.0);
    for (var j = 0u; j < 4u; j++) {
      let c = 4u * c4 + j;
      if (c < K) { q[j] = (x[xo + c] - m) * rs * lnw[c] + lnb[c]; }
    }
    xs[c4] = q;
  }
  workgroupBarrier();

  // from here matmul.wgsl's row1, term for term, with A's row read from xs: the same sums in the same order
  if (wid.y >= p.R) { return; }
  // 8-column blocks strided by the grid's width: a few workgroups normalise the row, each then covers many blocks
  for (var n0 = (wid.x * 64u + li) * 8u; n0 < p.N; n0 += p.stride) {
  let nL = p.N - 1u;
  let n1 = min(n0 + 1u, nL);
  let n2 = min(n0 + 2u, nL);
  let n3 = min(n0 + 3u, nL);
  let n4 = min(n0 + 4u, nL);
  let n5 = min(n0 + 5u, nL);
  let n6 = min(n0 + 6u, nL);
  let n7 = min(n0 + 7u, nL);
  var ib0 = n0;
  var ib1 = n1;
  var ib2 = n2;
  var ib3 = n3;
  var ib4 = n4;
  var ib5 = n5;
  var ib6 = n6;
  var ib7 = n7;
  if (TB) {
    ib0 = n0 * K;
    ib1 = n1 * K;
    ib2 = n2 * K;
    ib3 = n3 * K;
    ib4 = n4 * K;
    ib5 = n5 * K;
    ib6 = n6 * K;
    ib7 = n7 * K;
  } else if (VB) {
    ib4 = min(n0 + 4u, p.N - 4u);
  }
  var s0 = vec4f(0.0);
  var s1 = vec4f(0.0);
  let K4 = K & ~3u;
  for (var k = 0u; k < K4; k += 4u) {
    let a = xs[k >> 2u];
    if (TB) {
      // one stored row of (N, K) per column: 8 dot products of 4
      var u0: vec4f;
      var u1: vec4f;
      var u2: vec4f;
      var u3: vec4f;
      var u4: vec4f;
      var u5: vec4f;
      var u6: vec4f;
      var u7: vec4f;
      if (VB) {
        u0 = Bv[(ib0 + k) >> 2u];
        u1 = Bv[(ib1 + k) >> 2u];
        u2 = Bv[(ib2 + k) >> 2u];
        u3 = Bv[(ib3 + k) >> 2u];
        u4 = Bv[(ib4 + k) >> 2u];
        u5 = Bv[(ib5 + k) >> 2u];
        u6 = Bv[(ib6 + k) >> 2u];
        u7 = Bv[(ib7 + k) >> 2u];
      } else {
        u0 = vec4f(Bs[ib0 + k], Bs[ib0 + k + 1u], Bs[ib0 + k + 2u], Bs[ib0 + k + 3u]);
        u1 = vec4f(Bs[ib1 + k], Bs[ib1 + k + 1u], Bs[ib1 + k + 2u], Bs[ib1 + k + 3u]);
        u2 = vec4f(Bs[ib2 + k], Bs[ib2 + k + 1u], Bs[ib2 + k + 2u], Bs[ib2 + k + 3u]);
        u3 = vec4f(Bs[ib3 + k], Bs[ib3 + k + 1u], Bs[ib3 + k + 2u], Bs[ib3 + k + 3u]);
        u4 = vec4f(Bs[ib4 + k], Bs[ib4 + k + 1u], Bs[ib4 + k + 2u], Bs[ib4 + k + 3u]);
        u5 = vec4f(Bs[ib5 + k], Bs[ib5 + k + 1u], Bs[ib5 + k + 2u], Bs[ib5 + k + 3u]);
        u6 = vec4f(Bs[ib6 + k], Bs[ib6 + k + 1u], Bs[ib6 + k + 2u], Bs[ib6 + k + 3u]);
        u7 = vec4f(Bs[ib7 + k], Bs[ib7 + k + 1u], Bs[ib7 + k + 2u], Bs[ib7 + k + 3u]);
      }
      s0 += a.x * vec4f(u0.x, u1.x, u2.x, u3.x) + a.y * vec4f(u0.y, u1.y, u2.y, u3.y) + a.z * vec4f(u0.z, u1.z, u2.z, u3.z) + a.w * vec4f(u0.w, u1.w, u2.w, u3.w);
      s1 += a.x * vec4f(u4.x, u5.x, u6.x, u7.x) + a.y * vec4f(u4.y, u5.y, u6.y, u7.y) + a.z * vec4f(u4.z, u5.z, u6.z, u7.z) + a.w * vec4f(u4.w, u5.w, u6.w, u7.w);
    } else {
      let r0 = k * p.N;
      let r1 = r0 + p.N;
      let r2 = r1 + p.N;
      let r3 = r2 + p.N;
      var b00: vec4f;
      var b01: vec4f;
      var b10: vec4f;
      var b11: vec4f;
      var b20: vec4f;
      var b21: vec4f;
      var b30: vec4f;
      var b31: vec4f;
      if (VB) {
        b00 = Bv[(ib0 + r0) >> 2u];
        b01 = Bv[(ib4 + r0) >> 2u];
        b10 = Bv[(ib0 + r1) >> 2u];
        b11 = Bv[(ib4 + r1) >> 2u];
        b20 = Bv[(ib0 + r2) >> 2u];
        b21 = Bv[(ib4 + r2) >> 2u];
        b30 = Bv[(ib0 + r3) >> 2u];
        b31 = Bv[(ib4 + r3) >> 2u];
      } else {
        b00 = vec4f(Bs[ib0 + r0], Bs[ib1 + r0], Bs[ib2 + r0], Bs[ib3 + r0]);
        b01 = vec4f(Bs[ib4 + r0], Bs[ib5 + r0], Bs[ib6 + r0], Bs[ib7 + r0]);
        b10 = vec4f(Bs[ib0 + r1], Bs[ib1 + r1], Bs[ib2 + r1], Bs[ib3 + r1]);
        b11 = vec4f(Bs[ib4 + r1], Bs[ib5 + r1], Bs[ib6 + r1], Bs[ib7 + r1]);
        b20 = vec4f(Bs[ib0 + r2], Bs[ib1 + r2], Bs[ib2 + r2], Bs[ib3 + r2]);
        b21 = vec4f(Bs[ib4 + r2], Bs[ib5 + r2], Bs[ib6 + r2], Bs[ib7 + r2]);
        b30 = vec4f(Bs[ib0 + r3], Bs[ib1 + r3], Bs[ib2 + r3], Bs[ib3 + r3]);
        b31 = vec4f(Bs[ib4 + r3], Bs[ib5 + r3], Bs[ib6 + r3], Bs[ib7 + r3]);
      }
      s0 += a.x * b00 + a.y * b10 + a.z * b20 + a.w * b30;
      s1 += a.x * b01 + a.y * b11 + a.z * b21 + a.w * b31;
    }
  }
  for (var k = K4; k < K; k++) {
    let xk = xs[k >> 2u][k & 3u];
    var lo: vec4f;
    var hi: vec4f;
    if (TB) {
      lo = vec4f(Bs[ib0 + k], Bs[ib1 + k], Bs[ib2 + k], Bs[ib3 + k]);
      hi = vec4f(Bs[ib4 + k], Bs[ib5 + k], Bs[ib6 + k], Bs[ib7 + k]);
    } else {
      let rk = k * p.N;
      lo = vec4f(Bs[rk + n0], Bs[rk + n1], Bs[rk + n2], Bs[rk + n3]);
      hi = vec4f(Bs[rk + n4], Bs[rk + n5], Bs[rk + n6], Bs[rk + n7]);
    }
    s0 += xk * lo;
    s1 += xk * hi;
  }
  let res = array<vec4f, 2>(s0, s1);
  let cols = min(8u, p.N - n0);
  for (var j = 0u; j < cols; j++) {
    var v = 1.0 * res[j >> 2u][j & 3u];
    if (p.hasBias == 1u) { v += bias[n0 + j]; }
    C[r * p.N + n0 + j] = act_epilogue(v);
  }
  }
}
