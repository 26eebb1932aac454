// Batched strided matmul for GPUs: the same contract as matmul.wgsl (C[b] (=|+=) alpha·A[b]·B[b]
// (+ bias), any M, N, K) on 64×64 shared-memory tiles. Leaves out: vec4 global loads, double buffering.
//
// p.act 1: GPT-2's tanh GELU (the prelude's gelu_tanh) on alpha·A·B + bias before the accumulate, as matmul.wgsl.
// Bindings: p (uniform Params, same members as matmul.wgsl, and tA, tB), A (read), Bs (read), C (read_write:
//   written = when p.acc == 0, accumulated += when p.acc == 1), bias ([N], read, added to every row
//   when p.hasBias == 1; pass any buffer otherwise).
// Element layout: A(m,k) = A[oA + b·sA + m·lda + k]   (p.tA == 1: A[oA + b·sA + k·lda + m])
//                 B(k,n) = Bs[oB + b·sB + k·ldb + n]  (p.tB == 1: Bs[oB + b·sB + n·ldb + k])
//                 C(m,n) = C[oC + b·sC + m·ldc + n]
// Grid: x → 64-column tiles, y → 64-row tiles, z → batch (+ nBase/mBase/zBase for split dispatches).
// A workgroup of 16×16 invocations stages a 64×16 slice of A and a 16×64 slice of B in workgroup
// memory per step (zero-filled past the edges, loaded along the stored contiguous dimension), then
// each invocation accumulates a 4×4 block of C in four vec4 registers. The layouts are uniforms, not
// override constants: the branch is uniform (cheap on GPUs) and one pipeline serves all four layouts.
struct Params {
  M: u32, N: u32, K: u32, lda: u32,
  ldb: u32, ldc: u32, sA: u32, sB: u32,
  sC: u32, oA: u32, oB: u32, oC: u32,
  mBase: u32, nBase: u32, zBase: u32, acc: u32,
  hasBias: u32, alpha: f32, act: u32, tA: u32, tB: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(3) var<storage, read> Bs: array<f32>;
@group(0) @binding(5) var<storage, read_write> C: array<f32>;
@group(0) @binding(6) var<storage, read> bias: array<f32>;

//!include prelude

const TM: u32 = 64u; // tile rows (m)
const TN: u32 = 64u; // tile columns (n)
const TK: u32 = 16u; // tile depth (k)

// shA[k·16 + i] = A(tile m 4i .. 4i+3, k); shB[k·16 + j] = B(k, tile n 4j .. 4j+3)
var<workgroup> shA: array<vec4f, 256>;
var<workgroup> shB: array<vec4f, 256>;

fn store1(rowBase: u32, n: u32, v: f32) {
  if (n >= p.N) { return; }
  let i = rowBase + n;
  var x = p.alpha * v;
  if (p.hasBias == 1u) { x += bias[n]; }
  if (p.act == 1u) { x = gelu_tanh(x); }
  if (p.acc == 1u) { x += C[i]; }
  C[i] = x;
}

fn storeRow(cBase: u32, m: u32, n0: u32, v: vec4f) {
  if (m >= p.M) { return; }
  let r = cBase + m * p.ldc;
  store1(r, n0, v.x);
  store1(r, n0 + 1u, v.y);
  store1(r, n0 + 2u, v.z);
  store1(r, n0 + 3u, v.w);
}

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let tid = lid.y * 16u + lid.x;
  let mT = (wid.y + p.mBase) * TM;
  let nT = (wid.x + p.nBase) * TN;
  let b = wid.z + p.zBase;
  let aB = p.oA + b * p.sA;
  let bB = p.oB + b * p.sB;
  var c0 = vec4f(0.0);
  var c1 = vec4f(0.0);
  var c2 = vec4f(0.0);
  var c3 = vec4f(0.0);
  for (var k0 = 0u; k0 < p.K; k0 += TK) {
    // stage the tiles: 1024 elements of each, 4 per invocation, consecutive invocations reading
    // consecutive addresses of the stored layout
    for (var i = 0u; i < 4u; i++) {
      let e = tid + 256u * i;
      var mm: u32;
      var ka: u32;
      if (p.tA == 1u) { mm = e % TM; ka = e / TM; } else { ka = e % TK; mm = e / TK; }
      let m = mT + mm;
      let ga = k0 + ka;
      var va = 0.0;
      if (m < p.M && ga < p.K) {
        if (p.tA == 1u) { va = A[aB + ga * p.lda + m]; } else { va = A[aB + m * p.lda + ga]; }
      }
      shA[ka * 16u + mm / 4u][mm % 4u] = va;
      var nn: u32;
      var kb: u32;
      if (p.tB == 1u) { kb = e % TK; nn = e / TK; } else { nn = e % TN; kb = e / TN; }
      let n = nT + nn;
      let gb = k0 + kb;
      var vb = 0.0;
      if (n < p.N && gb < p.K) {
        if (p.tB == 1u) { vb = Bs[bB + n * p.ldb + gb]; } else { vb = Bs[bB + gb * p.ldb + n]; }
      }
      shB[kb * 16u + nn / 4u][nn % 4u] = vb;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let a = shA[kk * 16u + lid.y];
      let bv = shB[kk * 16u + lid.x];
      c0 += a.x * bv;
      c1 += a.y * bv;
      c2 += a.z * bv;
      c3 += a.w * bv;
    }
    workgroupBarrier();
  }
  let cBase = p.oC + b * p.sC;
  let m0 = mT + lid.y * 4u;
  let n0 = nT + lid.x * 4u;
  storeRow(cBase, m0, n0, c0);
  storeRow(cBase, m0 + 1u, n0, c1);
  storeRow(cBase, m0 + 2u, n0, c2);
  storeRow(cBase, m0 + 3u, n0, c3);
}
