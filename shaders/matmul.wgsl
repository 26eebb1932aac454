// Batched strided matmul for CPU adapters (SwiftShader): C[b] (=|+=) alpha·A[b]·B[b] (+ bias) for any
// M, N, K. Register blocking; the GPU variant (shared-memory tiles) is matmul_tiled.wgsl. Three entries with one
// contract (src/ops/matmul.ts picks by shape): `main` (4×8 of C per invocation, no shared memory), `row1` (M = 1)
// and `big` (32×16 per invocation with a workgroup-shared A tile, or 64×16 with A's rows shared by quad swaps on
// SwiftShader; for large enough products: src/ops/matmul.ts;
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

// one row of A stored (M, K), for row_dot8 (matmul_row.wgsl): A(k .. k+3) and A(k) of the row starting at ia
fn row_a4(ia: u32, k: u32) -> vec4f {
  if (VA) { return Av[(ia + k) >> 2u]; }
  return vec4f(A[ia + k], A[ia + k + 1u], A[ia + k + 2u], A[ia + k + 3u]);
}

fn row_a1(ia: u32, k: u32) -> f32 {
  return A[ia + k];
}

// B's 8 columns (b_cols, b_block, b_row) and the one-row loop (row_dot8), shared with matmul_ln.wgsl
//!include matmul_row

// `main` writes its loads out itself: through matmul_row.wgsl's functions (b_cols, b_block, b_row) it ran 0.95–0.97×
// on the (M, K)·(K, N) layout (bench/kernel-ab.ts, process CPU, 9–15 rounds), for reasons SwiftShader's code
// generation keeps to itself; row1 and matmul_ln, whose loop is row_dot8, ran as before.
@compute @workgroup_size(WX, WY, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n0 = (gid.x + p.nBase * WX) * 8u;
  let m0 = (gid.y + p.mBase * WY) * 4u;
  if (n0 >= p.N || m0 >= p.M) { return; }
  let b = gid.z + p.zBase;
  let aB = p.oA + b * p.sA;
  let bB = p.oB + b * p.sB;
  // clamped row and column indices: loads for rows/columns past the edge repeat the last one
  let mL = p.M - 1u;
  let nL = p.N - 1u;
  let m1 = min(m0 + 1u, mL);
  let m2 = min(m0 + 2u, mL);
  let m3 = min(m0 + 3u, mL);
  let n1 = min(n0 + 1u, nL);
  let n2 = min(n0 + 2u, nL);
  let n3 = min(n0 + 3u, nL);
  let n4 = min(n0 + 4u, nL);
  let n5 = min(n0 + 5u, nL);
  let n6 = min(n0 + 6u, nL);
  let n7 = min(n0 + 7u, nL);
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
  // B: column offsets n0..n7 (stored (K, N)) or start of rows n0..n7 (stored (N, K))
  var ib0 = bB + n0;
  var ib1 = bB + n1;
  var ib2 = bB + n2;
  var ib3 = bB + n3;
  var ib4 = bB + n4;
  var ib5 = bB + n5;
  var ib6 = bB + n6;
  var ib7 = bB + n7;
  if (TB) {
    ib0 = bB + n0 * p.ldb;
    ib1 = bB + n1 * p.ldb;
    ib2 = bB + n2 * p.ldb;
    ib3 = bB + n3 * p.ldb;
    ib4 = bB + n4 * p.ldb;
    ib5 = bB + n5 * p.ldb;
    ib6 = bB + n6 * p.ldb;
    ib7 = bB + n7 * p.ldb;
  } else if (VB) {
    // vec4 halves along n (N is a multiple of 4): the upper half clamps to the last whole vec4
    ib4 = bB + min(n0 + 4u, p.N - 4u);
  }

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
    } else if (VA) {
      a0 = Av[(ia0 + k) >> 2u];
      a1 = Av[(ia1 + k) >> 2u];
      a2 = Av[(ia2 + k) >> 2u];
      a3 = Av[(ia3 + k) >> 2u];
    } else {
      a0 = vec4f(A[ia0 + k], A[ia0 + k + 1u], A[ia0 + k + 2u], A[ia0 + k + 3u]);
      a1 = vec4f(A[ia1 + k], A[ia1 + k + 1u], A[ia1 + k + 2u], A[ia1 + k + 3u]);
      a2 = vec4f(A[ia2 + k], A[ia2 + k + 1u], A[ia2 + k + 2u], A[ia2 + k + 3u]);
      a3 = vec4f(A[ia3 + k], A[ia3 + k + 1u], A[ia3 + k + 2u], A[ia3 + k + 3u]);
    }
    // b<j><h> = B(k+j, n0+4h .. n0+4h+3)
    var b00: vec4f;
    var b01: vec4f;
    var b10: vec4f;
    var b11: vec4f;
    var b20: vec4f;
    var b21: vec4f;
    var b30: vec4f;
    var b31: vec4f;
    if (TB) {
      // u<c> = B(k .. k+3, n_c): one stored row of (N, K) each; transposed by renaming
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
      b00 = vec4f(u0.x, u1.x, u2.x, u3.x);
      b01 = vec4f(u4.x, u5.x, u6.x, u7.x);
      b10 = vec4f(u0.y, u1.y, u2.y, u3.y);
      b11 = vec4f(u4.y, u5.y, u6.y, u7.y);
      b20 = vec4f(u0.z, u1.z, u2.z, u3.z);
      b21 = vec4f(u4.z, u5.z, u6.z, u7.z);
      b30 = vec4f(u0.w, u1.w, u2.w, u3.w);
      b31 = vec4f(u4.w, u5.w, u6.w, u7.w);
    } else {
      let r0 = k * p.ldb;
      let r1 = r0 + p.ldb;
      let r2 = r1 + p.ldb;
      let r3 = r2 + p.ldb;
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
    }
    s00 += a0.x * b00 + a0.y * b10 + a0.z * b20 + a0.w * b30;
    s01 += a0.x * b01 + a0.y * b11 + a0.z * b21 + a0.w * b31;
    s10 += a1.x * b00 + a1.y * b10 + a1.z * b20 + a1.w * b30;
    s11 += a1.x * b01 + a1.y * b11 + a1.z * b21 + a1.w * b31;
    s20 += a2.x * b00 + a2.y * b10 + a2.z * b20 + a2.w * b30;
    s21 += a2.x * b01 + a2.y * b11 + a2.z * b21 + a2.w * b31;
    s30 += a3.x * b00 + a3.y * b10 + a3.z * b20 + a3.w * b30;
    s31 += a3.x * b01 + a3.y * b11 + a3.z * b21 + a3.w * b31;
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
    var lo: vec4f;
    var hi: vec4f;
    if (TB) {
      lo = vec4f(Bs[ib0 + k], Bs[ib1 + k], Bs[ib2 + k], Bs[ib3 + k]);
      hi = vec4f(Bs[ib4 + k], Bs[ib5 + k], Bs[ib6 + k], Bs[ib7 + k]);
    } else {
      let r = bB + k * p.ldb;
      lo = vec4f(Bs[r + n0], Bs[r + n1], Bs[r + n2], Bs[r + n3]);
      hi = vec4f(Bs[r + n4], Bs[r + n5], Bs[r + n6], Bs[r + n7]);
    }
    s00 += x0 * lo;
    s01 += x0 * hi;
    s10 += x1 * lo;
    s11 += x1 * hi;
    s20 += x2 * lo;
    s21 += x2 * hi;
    s30 += x3 * lo;
    s31 += x3 * hi;
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
// the invocations copy A(m0 .. m0+31, k0 .. k0+7) into workgroup memory (At), and every later read of At has a constant index
// (on a GPU a broadcast from shared memory; SwiftShader gathers workgroup memory per lane whatever the index, which is why
// it gets the quad form below). B is read straight from its buffer, 16 columns × 4 k's at a
// time, as a mat4x4f per 4 columns (a matrix product then does 4 rows × 4 columns × 4 k's). Measured on
// SwiftShader: ~2× the `main` entry at 512³ (one 4 × 8 block per invocation gathers 12 values per 32 FMAs,
// this one 16 per 512 from the buffer and 32 broadcasts); smaller blocks (16×8, 16×16, 8×16) were slower.
// Grid: x → 16·BW-column blocks, y → 32-row blocks, z → batch. A last, partial chunk of 8 k's (K mod 8 ≠ 0) runs the same
// code with its A entries past K set to 0 in At and B's rows clamped (one copy of the update code: SwiftShader compiles
// the entry in ~1.1–1.3 s instead of 1.7–2.4 s with a separate remainder loop). On an adapter with 4-wide subgroups
// (SwiftShader) a workgroup of 4 is one quad: the quad form owns a 64 × 64 block, each invocation loads a quarter of A's
// rows and reads the rest through quad swaps, with no At and no barrier (the same sums; shaders/matmul_gen.ts, which
// writes both forms of the entry, says why and how fast).
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

// the entry `big` itself is generated by shaders/matmul_gen.ts (A shared through At above, or by quad swaps)
