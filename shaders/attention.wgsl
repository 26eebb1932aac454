// Multi-head scaled-dot-product attention as three strided, batched-over-(batch, head) kernels plus a
// KV-cache writer; softmax.wgsl does the rows in between. This file holds the bindings, the store helpers
// and kv_write; the six unrolled entry points are generated from one template by src/ops/attention-wgsl.ts
// (SwiftShader spills private arrays, so the 4×4 / 4×8 register blocks are written out, not looped) and
// appended to this text. These are the unfused path: attentionWithProbs / attentionQKVWithProbs (attention maps)
// and head sizes the fused kernels of flash_attention.wgsl do not cover; they are also the fused kernels' test
// oracle. Leaves out: shared-memory tiles (barriers are very expensive on SwiftShader; register blocking with vec4
// loads is what pays there).
//
// Layout. z = b·H + h runs over batch × heads (workgroup z, plus zBase for > 65535). A "row source"
// X(b, t, d) = X[b·xBatch + t·xRow + xOff + h·hd + d] reads head h's hd channels of position t: q, k, v
// [B, T, C] are (C, 0, T·C); the q, k, v slices of qkv [B, T, 3C] are (3C, 0 | C | 2C, T·3C); a KV cache
// [B, maxT, C] is (C, 0, maxT·C). Blocks S, W are [BH, Tq, Tk] dense. The causal window is the prelude's
// key_end / query_start: query i sits at position q0 + i and sees keys j < key_end(i) = min(Tk, q0+i+1);
// q0 ≥ Tk means no window (bidirectional and cross attention). Key padding is not seen here: softmax
// writes P = 0 at padded keys, so every sum below gets exactly zero from them. Each invocation owns a
// 4×4 (or 4×8) output block in vec4 accumulators; out-of-range rows/columns are clamped on load, skipped
// on store.
//
// Entry points (the *8 variants: 4×8 blocks and vec4 loads along d through the A4/B4/X4 views of the
// same buffers; they need hd and every stride/offset to be multiples of 4; the plain ones take any hd):
//   scores, scores8       A, Bm (read) → S (write =, only j < key_end(i) is written):
//                         S[z,i,j] = scale · Σ_d A(b,i,d)·Bm(b,j,d)
//   weighted, weighted8   W (read [BH,Tq,Tk], zero outside the window), X (read) → O (write = when
//                         acc == 0, accumulate += when acc == 1): O(b,i,d) = Σ_{j < key_end(i)} W[z,i,j]·X(b,j,d)
//                         (O is a row source too, e.g. one slice of dqkv)
//   weighted_t, weighted_t8  W (read, zero outside the window), X (read) → O (= or +=):
//                         O(b,j,d) = Σ_{i ≥ query_start(j)} W[z,i,j]·X(b,i,d)
//   weighted16, weighted_t16  weighted8 / weighted_t8 on 4×16 blocks (hd a multiple of 16): each loaded weight serves
//                         16 columns; every element's sum as the 4×8 form makes it (the same bits)
//   kv_write              ks, vs (read, row sources of Tn new positions) → kc, vc (write =, [B,maxT,C]):
//                         rows pos … pos+Tn−1
// Forward: S = scores(q, k, scale); P = softmax rows; out = weighted(P or dropped P, v).
// Backward: G = scores(dout, v, 1) (grad of the weights); dS = softmax backward; dq = weighted(dS, k);
// dk = weighted_t(dS, q); dv = weighted_t(P or dropped P, dout).
//!include prelude

struct Score {
  BH: u32, H: u32, Tq: u32, Tk: u32, hd: u32, q0: u32, zBase: u32,
  aRow: u32, aOff: u32, aBatch: u32,
  bRow: u32, bOff: u32, bBatch: u32,
  scale: f32,
}
struct Wsum {
  BH: u32, H: u32, Tq: u32, Tk: u32, hd: u32, q0: u32, zBase: u32,
  xRow: u32, xOff: u32, xBatch: u32,
  oRow: u32, oOff: u32, oBatch: u32,
  acc: u32,
}
struct Kv {
  n: u32, Tn: u32, C: u32, maxT: u32, pos: u32,
  kRow: u32, kOff: u32, kBatch: u32,
  vRow: u32, vOff: u32, vBatch: u32,
}

@group(0) @binding(0) var<uniform> ps: Score;
@group(0) @binding(1) var<uniform> pw: Wsum;
@group(0) @binding(2) var<uniform> pk: Kv;
@group(0) @binding(3) var<storage, read> A: array<f32>;
@group(0) @binding(4) var<storage, read> Bm: array<f32>;
@group(0) @binding(5) var<storage, read_write> S: array<f32>;
@group(0) @binding(6) var<storage, read> W: array<f32>;
@group(0) @binding(7) var<storage, read> X: array<f32>;
@group(0) @binding(8) var<storage, read_write> O: array<f32>;
@group(0) @binding(9) var<storage, read> ks: array<f32>;
@group(0) @binding(10) var<storage, read_write> kc: array<f32>;
@group(0) @binding(11) var<storage, read_write> vc: array<f32>;

// vec4 views of the same buffers, for the *8 entry points (hd, strides and offsets multiples of 4)
@group(0) @binding(12) var<storage, read> A4: array<vec4f>;
@group(0) @binding(13) var<storage, read> B4: array<vec4f>;
@group(0) @binding(14) var<storage, read> X4: array<vec4f>;
@group(0) @binding(15) var<storage, read> vs: array<f32>;

override WX: u32 = 8;
override WY: u32 = 8;
override WG: u32 = 64;

// S[z, i, j0 … j0+3] = scale·v inside the causal window (entries outside it are never read)
fn store_s(i: u32, j0: u32, v: vec4f, z: u32) {
  if (i >= ps.Tq) { return; }
  let base = (z * ps.Tq + i) * ps.Tk;
  let end = key_end(i, ps.q0, ps.Tk);
  for (var c = 0u; c < 4u; c++) {
    let j = j0 + c;
    if (j < end) { S[base + j] = ps.scale * v[c]; }
  }
}

// O(row t, d0 … d0+3) (=|+=) v for t < T, d < hd
fn store_o(t: u32, d0: u32, v: vec4f, ob: u32, T: u32) {
  if (t >= T) { return; }
  let base = ob + t * pw.oRow;
  for (var c = 0u; c < 4u; c++) {
    let d = d0 + c;
    if (d < pw.hd) {
      var x = v[c];
      if (pw.acc == 1u) { x += O[base + d]; }
      O[base + d] = x;
    }
  }
}

// ---- KV cache -----------------------------------------------------------------------------------

// kc[b, pos+t, c] = ks(b, t, c); vc[b, pos+t, c] = vs(b, t, c) (row sources with h·hd + d = c);
// one invocation per (b, t, c).
@compute @workgroup_size(WG)
fn kv_write(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= pk.n) { return; }
  let c = e % pk.C;
  let bt = e / pk.C;
  let t = bt % pk.Tn;
  let b = bt / pk.Tn;
  let dst = (b * pk.maxT + pk.pos + t) * pk.C + c;
  kc[dst] = ks[b * pk.kBatch + t * pk.kRow + pk.kOff + c];
  vc[dst] = vs[b * pk.vBatch + t * pk.vRow + pk.vOff + c];
}
