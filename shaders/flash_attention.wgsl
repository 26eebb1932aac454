// Flash-style fused attention: forward with an online softmax (output + per-row log-sum-exp, no [Tq, Tk]
// buffer), backward recomputing the probabilities from q, k and the saved log-sum-exp (one dispatch for dq
// and D = rowsum(dO∘O), one for dk and dv), and one-dispatch KV-cache decode (writes the new keys/values
// into the cache and attends over cache + new rows). This file holds the bindings and the uniform block;
// the entry points are generated per head size by src/ops/attention-wgsl.ts (flashShader) and appended,
// because SwiftShader spills private arrays: a row of hd channels lives in hd/4 named vec4 variables.
// Leaves out: workgroup-shared K/V tiles (barriers are very expensive on SwiftShader; on a real GPU the
// invocations of one workgroup read the same key rows, which the cache serves, but a shared-memory tile
// would be faster there — not measurable on these machines), split-K decode (a long cache is scanned by
// one invocation per (batch, head, query block)), arbitrary [Tq, Tk] masks and head sizes above 256
// (those use the unfused kernels of attention.wgsl).
//
// Layout as in attention.wgsl: z = b·H + h; a row source X(b, t, d) = X[b·xBatch + t·xRow + xOff + h·HD + d]
// (q, k, v [B, T, C]: (C, 0, T·C); slices of qkv [B, T, 3C]: (3C, 0 | C | 2C, T·3C); a KV cache: (C, 0, maxT·C)).
// Query i sits at position q0 + i and sees keys j < key_end(i, q0, Tk) (prelude; q0 ≥ Tk: all); with masked == 1,
// only keys with keep[b·Tk + j] ≠ 0. HD (the head size) and R (rows per invocation) are baked into the
// generated text; one invocation owns R consecutive query rows (or key rows, flash_dkv) of one z and all HD
// channels of them, in vec4 registers. 1-D grid: e = gid.x + gid.y·nwg.x·WG → z = e / nBlk, block = e % nBlk.
// Scores s = scale·q·k; a masked or out-of-window key has s = −inf, probability exactly 0.
// Dropout (drop == 1): key j of query i is kept iff keep_hash((z·Tq + i)·Tk + j, seed) ≥ thr (the same counter
// as softmax.wgsl's softmax_fwd_drop over [BH·Tq, Tk] rows); a kept probability is scaled by keepScale =
// 1/(1−p). Dropout scales the P·V accumulation only, never the row sum (it acts on normalised probabilities).
//
// Entry points (generated; "_s" variants read rows with scalar loads for any HD and any stride, "_v"
// variants through the vec4 views Q4, K4, V4, G4, Ob4, KC4, VC4: HD and all strides/offsets multiples of 4):
//   flash_fwd     Q, K, V (read), keep (read, u32 mask when masked == 1) → O (write =, [B, Tq, C] row source),
//                 LSE (write =, [BH·Tq]): per row, online over key chunks of 4:
//                   m' = max(m, s), l = l·e^(m−m') + Σ e^(s−m'), acc = acc·e^(m−m') + Σ e^(s−m')·drop·v;
//                   O = acc / l, LSE = m + log l  (a row with no visible key: O = 0, LSE = 0)
//   flash_decode  Q, K, V (read: the Tn new rows), KC, VC (read_write: the cache [B, maxT, C]) → O (=), and
//                 KC, VC rows split … split+Tn−1 (=) from K, V: keys j < split are read from the cache,
//                 keys j ≥ split from the new rows (j − split); no invocation reads a cache row this
//                 dispatch writes, so the write and the reads do not race. No LSE, no dropout.
//   flash_dq      Q, K, V, G (= dO), Ob (= O), LSE (read) → Dl (write =, [BH·Tq]: D = Σ_d dO·O) and
//                 GQ (= when accQ == 0, += when 1): p = e^(s − LSE), dp = drop·(dO·v), ds = p·(dp − D),
//                 dq = scale·Σ_j ds·k_j. (Without a dq sink only Dl is written.)
//   flash_dkv     Q, K, V, G, LSE, Dl (read) → GK (dk, = / += by accK) and GV (dv, = / += by accV), or both
//                 into GK when dk and dv share one buffer (the "shared" variant: dk stored first, then dv):
//                 dv_j = Σ_i p·drop·dO_i, dk_j = scale·Σ_i ds·q_i over the queries i that see key j.
//                 "_ds" variants also write DS[(z·Tq + i)·Tk + j] = scale·ds (=) for every pair they visit (from the
//                 query 4⌊query_start(j)/4⌋ on: 0 where key j is not visible to i), for short sequences: dq = DS·K is
//                 then one product (attention.wgsl `weighted`) instead of flash_dq's recomputation of p and ds.
// Backward uses D = rowsum(dO∘O) = Σ_j p·dp (the softmax backward's row term), which holds with dropout too.
//!include prelude

struct Flash {
  BH: u32, H: u32, Tq: u32, Tk: u32, q0: u32, nBlk: u32, split: u32,
  qRow: u32, qOff: u32, qBatch: u32,
  kRow: u32, kOff: u32, kBatch: u32,
  vRow: u32, vOff: u32, vBatch: u32,
  oRow: u32, oOff: u32, oBatch: u32,
  gRow: u32, gOff: u32, gBatch: u32,
  cRow: u32, cOff: u32, cBatch: u32,
  dqRow: u32, dqOff: u32, dqBatch: u32, accQ: u32,
  dkRow: u32, dkOff: u32, dkBatch: u32, accK: u32,
  dvRow: u32, dvOff: u32, dvBatch: u32, accV: u32,
  masked: u32, drop: u32, seed: u32, thr: u32, keepScale: f32, scale: f32,
}

@group(0) @binding(0) var<uniform> pf: Flash;
@group(0) @binding(1) var<storage, read> Q: array<f32>;
@group(0) @binding(2) var<storage, read> K: array<f32>;
@group(0) @binding(3) var<storage, read> V: array<f32>;
@group(0) @binding(4) var<storage, read> Q4: array<vec4f>;
@group(0) @binding(5) var<storage, read> K4: array<vec4f>;
@group(0) @binding(6) var<storage, read> V4: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> O: array<f32>;
@group(0) @binding(8) var<storage, read_write> LSE: array<f32>;
@group(0) @binding(9) var<storage, read> keep: array<u32>;
@group(0) @binding(10) var<storage, read_write> KC: array<f32>;
@group(0) @binding(11) var<storage, read_write> VC: array<f32>;
@group(0) @binding(12) var<storage, read_write> KC4: array<vec4f>;
@group(0) @binding(13) var<storage, read_write> VC4: array<vec4f>;
@group(0) @binding(14) var<storage, read> G: array<f32>;
@group(0) @binding(15) var<storage, read> G4: array<vec4f>;
@group(0) @binding(16) var<storage, read> Ob: array<f32>;
@group(0) @binding(17) var<storage, read> Ob4: array<vec4f>;
@group(0) @binding(18) var<storage, read_write> Dl: array<f32>;
@group(0) @binding(19) var<storage, read_write> GQ: array<f32>;
@group(0) @binding(20) var<storage, read_write> GK: array<f32>;
@group(0) @binding(21) var<storage, read_write> GV: array<f32>;
@group(0) @binding(22) var<storage, read_write> DS: array<f32>;

override WG: u32 = 32;

// the dropout multiplier of probability (row counter rc = (z·Tq + i)·Tk, key j): keepScale or 0 (1 without dropout)
// (masked and drop are uniforms, not overrides: one pipeline per generated entry, a uniform branch per key)
fn drop_mul(rc: u32, j: u32) -> f32 {
  if (pf.drop == 0u) { return 1.0; }
  return select(0.0, pf.keepScale, keep_hash(rc + j, pf.seed) >= pf.thr);
}

// is key j of batch b attended (key padding only; the causal window is checked by the caller)
fn key_ok(b: u32, j: u32) -> bool {
  if (pf.masked == 0u) { return true; }
  return keep[b * pf.Tk + min(j, pf.Tk - 1u)] != 0u;
}

// (=|+=) one channel of an output row: buf[a] = v, or buf[a] + v when acc == 1
fn put_q(a: u32, v: f32) { var x = v; if (pf.accQ == 1u) { x += GQ[a]; } GQ[a] = x; }
fn put_k(a: u32, v: f32) { var x = v; if (pf.accK == 1u) { x += GK[a]; } GK[a] = x; }
fn put_v(a: u32, v: f32) { var x = v; if (pf.accV == 1u) { x += GV[a]; } GV[a] = x; }
// the shared variant: dv into GK as well, after dk
fn put_vk(a: u32, v: f32) { var x = v; if (pf.accV == 1u) { x += GK[a]; } GK[a] = x; }
