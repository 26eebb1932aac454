// LayerNorm fused into the linear that consumes it, for decode (a KV-cache step: few rows, typically one): each
// workgroup normalises its row once into workgroup memory, term for term as layernorm.wgsl's forward, then each
// invocation computes 8 output columns of that row. Leaves out: gradients (inference only), many rows (no row reuse of
// B: for a prompt the unfused LayerNorm + register-blocked matmul is faster), K > 4096 (workgroup memory).
//  main:  C[r, n] = act(Σ_k xn[r, k]·B(k, n) + bias[n]),  xn[r, :] = (x[r, :] − mean)·rstd·lnw + lnb   C written (=)
// Bindings: p (uniform); x (read, R·K); lnw, lnb (read, K); Bs / Bv (read, the same buffer as f32 and vec4):
//   B(k, n) = Bs[k·N + n], or with TB Bs[n·K + k] (stored (N, K): the tied output head); bias (read, N, when
//   p.hasBias == 1; pass any buffer otherwise); C (read_write, R·N).
// Overrides: KMAX (see xs); TB (B stored (N, K)); VB (vec4 loads of B: the host sets it only when N (or K with TB) is a multiple of
//   4); ACT 0 none, 1 GPT-2's tanh GELU (matmul.wgsl's act_epilogue, term for term).
// Grid: x → 512-column blocks (64 invocations × 8 columns), nBase shifts a split dispatch; y → row r.
// Out-of-range columns are clamped on load and skipped on store.
struct Params { R: u32, N: u32, K: u32, eps: f32, hasBias: u32, nBase: u32 }
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
override ACT: u32 = 0;

//!include prelude

// the row's length in workgroup memory: the host passes a power of two ≥ K (≤ 4096), so the memory Dawn zeroes
// per workgroup is no larger than needed
override KMAX: u32 = 4096u;
var<workgroup> xs: array<f32, KMAX>;
var<workgroup> stats: vec2f;

fn act_epilogue(v: f32) -> f32 {
  if (ACT == 1u) {
    let e = exp(2.0 * clamp(GELU_K * (v + 0.044715 * v * v * v), -10.0, 10.0));
    return 0.5 * v * (1.0 + (e - 1.0) / (e + 1.0));
  }
  return v;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let r = min(wid.y, p.R - 1u);
  let K = min(p.K, KMAX);
  let xo = r * p.K;
  // the row's mean and rstd, summed in order by one invocation (layernorm.wgsl's forward)
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
  for (var c = li; c < K; c += 64u) { xs[c] = (x[xo + c] - m) * rs * lnw[c] + lnb[c]; }
  workgroupBarrier();

  let n0 = ((wid.x + p.nBase) * 64u + li) * 8u;
  if (n0 >= p.N || wid.y >= p.R) { return; }
  let nL = p.N - 1u;
  var lo = vec4f(0.0);
  var hi = vec4f(0.0);
  if (TB) {
    // eight stored rows of (N, K), one per column
    let b0 = n0 * K;
    let b1 = min(n0 + 1u, nL) * K;
    let b2 = min(n0 + 2u, nL) * K;
    let b3 = min(n0 + 3u, nL) * K;
    let b4 = min(n0 + 4u, nL) * K;
    let b5 = min(n0 + 5u, nL) * K;
    let b6 = min(n0 + 6u, nL) * K;
    let b7 = min(n0 + 7u, nL) * K;
    if (VB) {
      for (var k = 0u; k < K; k += 4u) {
        let a = vec4f(xs[k], xs[k + 1u], xs[k + 2u], xs[k + 3u]);
        lo += vec4f(dot(a, Bv[(b0 + k) >> 2u]), dot(a, Bv[(b1 + k) >> 2u]), dot(a, Bv[(b2 + k) >> 2u]), dot(a, Bv[(b3 + k) >> 2u]));
        hi += vec4f(dot(a, Bv[(b4 + k) >> 2u]), dot(a, Bv[(b5 + k) >> 2u]), dot(a, Bv[(b6 + k) >> 2u]), dot(a, Bv[(b7 + k) >> 2u]));
      }
    } else {
      for (var k = 0u; k < K; k++) {
        let a = xs[k];
        lo += a * vec4f(Bs[b0 + k], Bs[b1 + k], Bs[b2 + k], Bs[b3 + k]);
        hi += a * vec4f(Bs[b4 + k], Bs[b5 + k], Bs[b6 + k], Bs[b7 + k]);
      }
    }
  } else {
    let n1 = min(n0 + 1u, nL);
    let n2 = min(n0 + 2u, nL);
    let n3 = min(n0 + 3u, nL);
    let n4 = min(n0 + 4u, nL);
    let n5 = min(n0 + 5u, nL);
    let n6 = min(n0 + 6u, nL);
    let n7 = min(n0 + 7u, nL);
    if (VB) {
      // N is a multiple of 4: the upper vec4 is clamped to the last whole one (its extra columns are not stored)
      let h4 = min(n0 + 4u, p.N - 4u);
      for (var k = 0u; k < K; k++) {
        let a = xs[k];
        lo += a * Bv[(k * p.N + n0) >> 2u];
        hi += a * Bv[(k * p.N + h4) >> 2u];
      }
    } else {
      for (var k = 0u; k < K; k++) {
        let a = xs[k];
        let o = k * p.N;
        lo += a * vec4f(Bs[o + n0], Bs[o + n1], Bs[o + n2], Bs[o + n3]);
        hi += a * vec4f(Bs[o + n4], Bs[o + n5], Bs[o + n6], Bs[o + n7]);
      }
    }
  }
  let res = array<vec4f, 2>(lo, hi);
  let cols = min(8u, p.N - n0);
  for (var j = 0u; j < cols; j++) {
    var v = res[j >> 2u][j & 3u];
    if (p.hasBias == 1u) { v += bias[n0 + j]; }
    C[r * p.N + n0 + j] = act_epilogue(v);
  }
}
