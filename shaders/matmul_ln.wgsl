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
//   is a multiple of 4); ACT 0 none, 1 GPT-2's tanh GELU (the prelude's gelu_tanh, as matmul.wgsl's act_epilogue).
// Grid: x → workgroups (64 invocations × 8 columns), each looping over every gridX-th 512-column block (p.stride =
//   gridX·512; the host keeps gridX ≤ 8: each workgroup normalises the row once); y → row r.
// Out-of-range columns are clamped on load and skipped on store.
struct Params { R: u32, N: u32, K: u32, eps: f32, hasBias: u32, stride: u32 }
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

var<workgroup> stats: vec2f;
// the normalised row in workgroup memory, 4 features per element (zero past K): the host passes KMAX4, a power of
// two ≥ K/4 (≤ 512), so the memory Dawn zeroes per workgroup is no larger than needed
override KMAX4: u32 = 512u;
var<workgroup> xs: array<vec4f, KMAX4>;

// row_dot8's view of A: the normalised row in xs
fn row_a4(ia: u32, k: u32) -> vec4f {
  return xs[k >> 2u];
}

fn row_a1(ia: u32, k: u32) -> f32 {
  return xs[k >> 2u][k & 3u];
}

// B's 8 columns and the one-row loop, shared with matmul.wgsl's `main` and `row1`
//!include matmul_row

// matmul.wgsl's act_epilogue
fn act_epilogue(v: f32) -> f32 {
  if (ACT == 1u) { return gelu_tanh(v); }
  return v;
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

  // from here matmul.wgsl's row1 (row_dot8 of matmul_row.wgsl) with A's row read from xs: the same sums in the same order
  if (wid.y >= p.R) { return; }
  // B stored (K, N): rows of N; TB (N, K): rows of K
  var ldb = p.N;
  if (TB) { ldb = K; }
  // 8-column blocks strided by the grid's width: a few workgroups normalise the row, each then covers many blocks
  for (var n0 = (wid.x * 64u + li) * 8u; n0 < p.N; n0 += p.stride) {
    let res = row_dot8(0u, b_cols(0u, n0, p.N, ldb), K, ldb);
    let cols = min(8u, p.N - n0);
    for (var j = 0u; j < cols; j++) {
      var v = 1.0 * res[j >> 2u][j & 3u];
      if (p.hasBias == 1u) { v += bias[n0 + j]; }
      C[r * p.N + n0 + j] = act_epilogue(v);
    }
  }
}
