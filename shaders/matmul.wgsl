// Batched strided matmul for CPU adapters (SwiftShader): C[b] (=|+=) alpha·A[b]·B[b] (+ bias) for any
// M, N, K. Register blocking; the GPU variant (shared-memory tiles) is matmul_tiled.wgsl. Three entries with one
// contract (src/ops/matmul.ts picks by shape): `main` (4×8 of C per invocation, no shared memory), `row1` (M = 1)
// and `big` (32×16 per invocation with a workgroup-shared A tile, for large enough products: src/ops/matmul.ts;
// see its comment).
//
// Bindings (entries `main`, `row1`, `big`): p (uniform Params); A and Av: the same buffer viewed as f32 and as vec4 (read);
//   Bs and Bv likewise for B (read); C (read_write: written = when p.acc == 0, accumulated += when
//   p.acc == 1); bias ([N], read, added to every row when p.hasBias == 1; pass any buffer otherwise).
// Element layout: A(m,k) = A[oA + b·sA + m·lda + k]   (TA: A[oA + b·sA + k·lda + m], stored (K, M))
//                 B(k,n) = Bs[oB + b·sB + k·ldb + n]  (TB: Bs[oB + b·sB + n·ldb + k], stored (N, K))
//                 C(m,n) = C[oC + b·sC + m·ldc + n];  sB = 0 shares B over the batch.
// C(m,n) = alpha·Σ_k A(m,k)·B(k,n) + bias[n] (+ the old C(m,n) when acc == 1).
// Overrides: TA, TB pick the stored layouts; VA / VB read A / B as vec4 along their contiguous
//   dimension (k for A, m for Aᵀ, n for B, k for Bᵀ): the host sets them only when that dimension, the
//   leading dimension, the offset and the batch stride are multiples of 4, so every vec4 is aligned.
// ACT (override): 0 none; 1 GPT-2's tanh GELU on alpha·A·B + bias before the accumulate (a fused `linear` + `gelu`
//   for inference: the prelude's gelu_tanh, which unary.wgsl uses too). An override, not a uniform: tried as a uniform
//   (a loop of 0 or 1 trips per element, one pipeline for both), `big` ran ~13% slower at K = 128 (its store is ~15–20%
//   of such a product); the kernel tiers make the second pipeline's compile cheap to wait for (docs/perf.md).
// Grid (`main`): x → 8-column blocks, y → 4-row blocks, z → batch; nBase/mBase/zBase (in workgroups) shift a
// split dispatch (all entries).
// `main`: each invocation owns a 4×8 block of C in eight vec4 accumulators, unrolled by hand: SwiftShader
// spills private arrays indexed in loops, and a barrier per few k's would cost more than it saves here. Out-of-range rows/columns are
// clamped on load (so every load stays in bounds) and skipped on store.
struct Params {
  M: u32, N: u32, K: u32, lda: u32,
  ldb: u32, ldc: u32, sA: u32, sB: u32,
  sC: u32, oA: u32, oB: u32, oC: u32,
  mBase: u32, nBase: u32, zBase: u32, acc: u32,
  hasBias: u32, alpha: f32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> Av: array<vec4f>;
@group(0) @binding(3) var<storage, read> Bs: array<f32>;
@group(0) @binding(4) var<storage, read> Bv: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> C: array<f32>;
@group(0) @binding(6) var<storage, read> bias: array<f32>;

override WX: u32 = 8;
override WY: u32 = 8;
override TA: bool = false;
override TB: bool = false;
override VA: bool = false;
override VB: bool = false;
override ACT: u32 = 0;
// invocations per workgroup of the `big` entry (8 or 4; each owns 16 columns): 4 for narrow products (N < 96) and where
// 4 leave fewer idle columns in the last block (src/ops/matmul.ts, bigWidth)
override BW: u32 = 8;

//!include prelude

// the activation ACT on one element (see the header)
fn act_epilogue(v: f32) -> f32 {
  if (ACT == 1u) { return gelu_tanh(v); }
  return v;
}

// one row of A stored (M, K), for row_dot8 (matmul_row.wgsl) and `main`: A(k .. k+3) and A(k) of the row starting at ia
fn row_a4(ia: u32, k: u32) -> vec4f {
  if (VA) { return Av[(ia + k) >> 2u]; }
  return vec4f(A[ia + k], A[ia + k + 1u], A[ia + k + 2u], A[ia + k + 3u]);
}

fn row_a1(ia: u32, k: u32) -> f32 {
  return A[ia + k];
}

// B's 8 columns (b_cols, b_block, b_row) and the one-row loop (row_dot8), shared with matmul_ln.wgsl
//!include matmul_row

@compute @workgroup_size(WX, WY, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n0 = (gid.x + p.nBase * WX) * 8u;
  let m0 = (gid.y + p.mBase * WY) * 4u;
  if (n0 >= p.N || m0 >= p.M) { return; }
  let b = gid.z + p.zBase;
  let aB = p.oA + b * p.sA;
  // clamped rows: loads for rows past the edge repeat the last one
  let mL = p.M - 1u;
  let m1 = min(m0 + 1u, mL);
  let m2 = min(m0 + 2u, mL);
  let m3 = min(m0 + 3u, mL);
  // A: start of rows m0..m3 (stored (M, K)) or column offsets m0..m3 (stored (K, M))
  var ia0 = aB + m0;
  var ia1 = aB + m1;
  var ia2 = aB + m2;
  var ia3 = aB + m3;
  if (!TA) {
    ia0 = aB + m0 * p.lda;
    ia1 = aB + m1 * p.lda;
    ia2 = aB + m2 * p.lda;
    ia3 = aB + m3 * p.lda;
  }
  let ib = b_cols(p.oB + b * p.sB, n0, p.N, p.ldb);

  // s<r><h>: row m0+r, columns n0+4h .. n0+4h+3
  var s00 = vec4f(0.0);
  var s01 = vec4f(0.0);
  var s10 = vec4f(0.0);
  var s11 = vec4f(0.0);
  var s20 = vec4f(0.0);
  var s21 = vec4f(0.0);
  var s30 = vec4f(0.0);
  var s31 = vec4f(0.0);
  let K4 = p.K & ~3u;
  for (var k = 0u; k < K4; k += 4u) {
    // a<r> = A(m_r, k .. k+3)
    var a0: vec4f;
    var a1: vec4f;
    var a2: vec4f;
    var a3: vec4f;
    if (TA) {
      // t<j> = A(m0 .. m3, k+j): one stored row of (K, M) each; transposed by renaming
      let r0 = k * p.lda;
      let r1 = r0 + p.lda;
      let r2 = r1 + p.lda;
      let r3 = r2 + p.lda;
      var t0: vec4f;
      var t1: vec4f;
      var t2: vec4f;
      var t3: vec4f;
      if (VA) {
        t0 = Av[(ia0 + r0) >> 2u];
        t1 = Av[(ia0 + r1) >> 2u];
        t2 = Av[(ia0 + r2) >> 2u];
        t3 = Av[(ia0 + r3) >> 2u];
      } else {
        t0 = vec4f(A[ia0 + r0], A[ia1 + r0], A[ia2 + r0], A[ia3 + r0]);
        t1 = vec4f(A[ia0 + r1], A[ia1 + r1], A[ia2 + r1], A[ia3 + r1]);
        t2 = vec4f(A[ia0 + r2], A[ia1 + r2], A[ia2 + r2], A[ia3 + r2]);
        t3 = vec4f(A[ia0 + r3], A[ia1 + r3], A[ia2 + r3], A[ia3 + r3]);
      }
      a0 = vec4f(t0.x, t1.x, t2.x, t3.x);
      a1 = vec4f(t0.y, t1.y, t2.y, t3.y);
      a2 = vec4f(t0.z, t1.z, t2.z, t3.z);
      a3 = vec4f(t0.w, t1.w, t2.w, t3.w);
    } else {
      a0 = row_a4(ia0, k);
      a1 = row_a4(ia1, k);
      a2 = row_a4(ia2, k);
      a3 = row_a4(ia3, k);
    }
    // bv[2j + h] = B(k+j, n0+4h .. n0+4h+3)
    let bv = b_block(ib, k, p.ldb);
    s00 += a0.x * bv[0] + a0.y * bv[2] + a0.z * bv[4] + a0.w * bv[6];
    s01 += a0.x * bv[1] + a0.y * bv[3] + a0.z * bv[5] + a0.w * bv[7];
    s10 += a1.x * bv[0] + a1.y * bv[2] + a1.z * bv[4] + a1.w * bv[6];
    s11 += a1.x * bv[1] + a1.y * bv[3] + a1.z * bv[5] + a1.w * bv[7];
    s20 += a2.x * bv[0] + a2.y * bv[2] + a2.z * bv[4] + a2.w * bv[6];
    s21 += a2.x * bv[1] + a2.y * bv[3] + a2.z * bv[5] + a2.w * bv[7];
    s30 += a3.x * bv[0] + a3.y * bv[2] + a3.z * bv[4] + a3.w * bv[6];
    s31 += a3.x * bv[1] + a3.y * bv[3] + a3.z * bv[5] + a3.w * bv[7];
  }
  // the last K mod 4 steps, one k at a time with scalar loads
  for (var k = K4; k < p.K; k++) {
    var x0: f32;
    var x1: f32;
    var x2: f32;
    var x3: f32;
    if (TA) {
      let r = k * p.lda;
      x0 = A[ia0 + r];
      x1 = A[ia1 + r];
      x2 = A[ia2 + r];
      x3 = A[ia3 + r];
    } else {
      x0 = A[ia0 + k];
      x1 = A[ia1 + k];
      x2 = A[ia2 + k];
      x3 = A[ia3 + k];
    }
    let lh = b_row(ib, k, p.ldb);
    s00 += x0 * lh[0];
    s01 += x0 * lh[1];
    s10 += x1 * lh[0];
    s11 += x1 * lh[1];
    s20 += x2 * lh[0];
    s21 += x2 * lh[1];
    s30 += x3 * lh[0];
    s31 += x3 * lh[1];
  }
  // store C(m0 .. m0+3, n0 .. n0+7) ∩ the matrix: one loop over a private array, once per invocation,
  // out of the hot loop (32 unrolled guarded stores doubled the pipeline compile time on SwiftShader)
  let res = array<vec4f, 8>(s00, s01, s10, s11, s20, s21, s30, s31);
  let cBase = p.oC + b * p.sC + n0;
  let rows = min(4u, p.M - m0);
  let cols = min(8u, p.N - n0);
  for (var r = 0u; r < rows; r++) {
    let rowBase = cBase + (m0 + r) * p.ldc;
    for (var j = 0u; j < cols; j++) {
      let i = rowBase + j;
      var x = p.alpha * res[2u * r + (j >> 2u)][j & 3u];
      if (p.hasBias == 1u) { x += bias[n0 + j]; }
      x = act_epilogue(x);
      if (p.acc == 1u) { x += C[i]; }
      C[i] = x;
    }
  }
}

// Entry `row1`: the same contract for M == 1 with A not transposed (a KV-cache decode step, a single row):
// each invocation owns 1 × 8 of C (grid: x → 8-column blocks, y → unused (1), z → batch), so no invocation
// computes the three clamped rows that `main` would repeat for M = 1. The loop is row_dot8 (matmul_row.wgsl): per row
// the same sums in the same order as `main`.
@compute @workgroup_size(WX, WY, 1)
fn row1(@builtin(global_invocation_id) gid: vec3u, @builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3u) {
  // a flat invocation index over the workgroup's WX·WY invocations and the x workgroups
  let n0 = ((wid.x + p.nBase) * WX * WY + li) * 8u;
  if (n0 >= p.N) { return; }
  let b = gid.z + p.zBase;
  let res = row_dot8(p.oA + b * p.sA, b_cols(p.oB + b * p.sB, n0, p.N, p.ldb), p.K, p.ldb);
  let cBase = p.oC + b * p.sC + n0;
  let cols = min(8u, p.N - n0);
  for (var j = 0u; j < cols; j++) {
    let i = cBase + j;
    var x = p.alpha * res[j >> 2u][j & 3u];
    if (p.hasBias == 1u) { x += bias[n0 + j]; }
    x = act_epilogue(x);
    if (p.acc == 1u) { x += C[i]; }
    C[i] = x;
  }
}

// Entry `big`: the same contract (bindings, formula, overrides; = or += by p.acc) for products large enough to
// fill its blocks (src/ops/matmul.ts picks it by shape). A workgroup of BW (8, or 4 for narrow products) invocations
// owns a 32 × 16·BW block of C: they share rows m0 .. m0+31 and each owns 16 columns, in 32 mat4x4f accumulators
// (c<q><h>: rows m0+4q .. m0+4q+3, columns n0+4h .. n0+4h+3; matrix column j = C column n0+4h+j). Per chunk of 8 k's
// the invocations copy A(m0 .. m0+31, k0 .. k0+7) into workgroup memory (At), and every later read of At has a constant index:
// SwiftShader turns those into one scalar load broadcast to its 4 SIMD lanes, where a buffer read at an
// invocation-dependent index is a per-lane gather. B is read straight from its buffer, 16 columns × 4 k's at a
// time, as a mat4x4f per 4 columns (a matrix product then does 4 rows × 4 columns × 4 k's). Measured on
// SwiftShader: ~2× the `main` entry at 512³ (one 4 × 8 block per invocation gathers 12 values per 32 FMAs,
// this one 16 per 512 from the buffer and 32 broadcasts); smaller blocks (16×8, 16×16, 8×16) were slower.
// Grid: x → 16·BW-column blocks, y → 32-row blocks, z → batch. A last, partial chunk of 8 k's (K mod 8 ≠ 0) runs the same
// code with its A entries past K set to 0 in At and B's rows clamped (one copy of the update code: SwiftShader compiles
// the entry in ~1.1–1.3 s instead of 1.7–2.4 s with a separate remainder loop). On an adapter with 4-wide subgroups
// (SwiftShader) a workgroup of 4 is one subgroup: each invocation keeps its two quads of the A tile in registers and
// reads the others' by subgroupBroadcast, with no At and no barrier (the same sums: 1.4–1.5× less CPU per product).
// shaders/matmul_gen.ts writes both forms of the entry.
// Rows/columns past the edge are clamped on load (in bounds for any M, N, K ≥ 1) and skipped on store.
var<workgroup> At: array<vec4f, 64>; // At[kk·8 + q] = A(m0+4q .. m0+4q+3, k0+kk), kk < 8, q < 8

// the 4 × 4 block of A in At: rows m0+4q .. m0+4q+3 (a column), k0+kk .. k0+kk+3 (the columns); constant
// arguments make every At index a constant after inlining
fn big_tile_a(kk: u32, q: u32) -> mat4x4f {
  return mat4x4f(At[kk * 8u + q], At[(kk + 1u) * 8u + q], At[(kk + 2u) * 8u + q], At[(kk + 3u) * 8u + q]);
}

// B(k .. k+3, n .. n+3) as a mat4x4f whose column j is B(k .. k+3, n+j); columns past N repeat the last one, and
// rows past K (the last, partial chunk of 8 k's) repeat in-range rows: their A entries in At are 0
fn big_tile_b(bB: u32, k: u32, n: u32) -> mat4x4f {
  let nL = p.N - 1u;
  let kL = p.K - 1u;
  if (TB) {
    // stored (N, K): column n+j is a stored row
    let c0 = bB + min(n, nL) * p.ldb;
    let c1 = bB + min(n + 1u, nL) * p.ldb;
    let c2 = bB + min(n + 2u, nL) * p.ldb;
    let c3 = bB + min(n + 3u, nL) * p.ldb;
    if (VB) {
      // K is a multiple of 4: k .. k+3 are all in or all past the end
      let kv = min(k, p.K - 4u);
      return mat4x4f(Bv[(c0 + kv) >> 2u], Bv[(c1 + kv) >> 2u], Bv[(c2 + kv) >> 2u], Bv[(c3 + kv) >> 2u]);
    }
    let k0 = min(k, kL);
    let k1 = min(k + 1u, kL);
    let k2 = min(k + 2u, kL);
    let k3 = min(k + 3u, kL);
    return mat4x4f(
      vec4f(Bs[c0 + k0], Bs[c0 + k1], Bs[c0 + k2], Bs[c0 + k3]),
      vec4f(Bs[c1 + k0], Bs[c1 + k1], Bs[c1 + k2], Bs[c1 + k3]),
      vec4f(Bs[c2 + k0], Bs[c2 + k1], Bs[c2 + k2], Bs[c2 + k3]),
      vec4f(Bs[c3 + k0], Bs[c3 + k1], Bs[c3 + k2], Bs[c3 + k3]));
  }
  // stored (K, N): row k+i holds B(k+i, n .. n+3); the transpose makes the columns
  let r0 = bB + min(k, kL) * p.ldb;
  let r1 = bB + min(k + 1u, kL) * p.ldb;
  let r2 = bB + min(k + 2u, kL) * p.ldb;
  let r3 = bB + min(k + 3u, kL) * p.ldb;
  if (VB) {
    // N is a multiple of 4: a vec4 past the edge clamps to the last whole one
    let v = min(n, p.N - 4u);
    return transpose(mat4x4f(Bv[(r0 + v) >> 2u], Bv[(r1 + v) >> 2u], Bv[(r2 + v) >> 2u], Bv[(r3 + v) >> 2u]));
  }
  let n1 = min(n + 1u, nL);
  let n2 = min(n + 2u, nL);
  let n3 = min(n + 3u, nL);
  let n0 = min(n, nL);
  return transpose(mat4x4f(
    vec4f(Bs[r0 + n0], Bs[r0 + n1], Bs[r0 + n2], Bs[r0 + n3]),
    vec4f(Bs[r1 + n0], Bs[r1 + n1], Bs[r1 + n2], Bs[r1 + n3]),
    vec4f(Bs[r2 + n0], Bs[r2 + n1], Bs[r2 + n2], Bs[r2 + n3]),
    vec4f(Bs[r3 + n0], Bs[r3 + n1], Bs[r3 + n2], Bs[r3 + n3])));
}

// the entry `big` itself is generated by shaders/matmul_gen.ts (A shared through At above, or by subgroup broadcasts)
