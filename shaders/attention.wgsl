// Causal scaled-dot-product multi-head attention as three strided, batched-over-(batch, head) kernels
// plus a KV-cache writer; softmax.wgsl does the rows in between. Leaves out: a fused single-pass
// (flash) kernel and shared-memory tiles (barriers are very expensive on SwiftShader; register
// blocking with vec4 loads is what pays there).
//
// Layout. z = b·H + h runs over batch × heads (workgroup z, plus zBase for > 65535). A "row source"
// X(b, t, d) = X[b·xBatch + t·xRow + xOff + h·hd + d] reads head h's hd channels of position t: the
// q, k, v slices of qkv [B, T, 3C] are (xRow 3C, xOff 0 | C | 2C, xBatch T·3C); a KV cache [B, maxT, C]
// is (C, 0, maxT·C). Square blocks S, W are [BH, Tq, Tk] dense; query i sits at position q0 + i and
// may see keys j ≤ q0 + i (causal). Each invocation owns a 4×4 (or 4×8) output block in vec4
// accumulators, unrolled by hand; out-of-range rows/columns are clamped on load, skipped on store.
//
// Entry points (the *8 variants: 4×8 blocks and vec4 loads along d through the A4/B4/X4 views of the
// same buffers; they need hd and every stride/offset to be multiples of 4; the plain ones take any hd):
//   scores, scores8       A, Bm (read) → S (write =, only j ≤ q0+i is written):
//                         S[z,i,j] = scale · Σ_d A(b,i,d)·Bm(b,j,d)
//   weighted, weighted8   W (read [BH,Tq,Tk], zero for j > q0+i), X (read) → O (write = when acc == 0,
//                         accumulate += when acc == 1): O(b,i,d) = Σ_{j ≤ q0+i} W[z,i,j]·X(b,j,d)
//                         (O is a row source too, e.g. one slice of dqkv)
//   weighted_t, weighted_t8  W (read, zero for j > q0+i), X (read) → O (= or +=):
//                         O(b,j,d) = Σ_{i : q0+i ≥ j} W[z,i,j]·X(b,i,d)
//   kv_write              ks, vs (read, row sources of Tn new positions) → kc, vc (write =, [B,maxT,C]):
//                         rows pos … pos+Tn−1
// Forward: S = scores(q, k, 1/√hd); P = softmax rows (causal); out = weighted(P or dropped P, v).
// Backward: G = scores(dout, v, 1) (grad of the weights); dS = softmax backward; dq = weighted(dS, k);
// dk = weighted_t(dS, q); dv = weighted_t(P or dropped P, dout).

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

// ---- scores -------------------------------------------------------------------------------------

fn store_s(i: u32, j0: u32, v: vec4f, z: u32) {
  if (i >= ps.Tq) { return; }
  let base = (z * ps.Tq + i) * ps.Tk;
  for (var c = 0u; c < 4u; c++) {
    let j = j0 + c;
    if (j < ps.Tk && j <= ps.q0 + i) { S[base + j] = ps.scale * v[c]; }
  }
}

@compute @workgroup_size(WX, WY, 1)
fn scores(@builtin(global_invocation_id) gid: vec3u) {
  let z = gid.z + ps.zBase;
  let i0 = gid.y * 4u;
  let j0 = gid.x * 4u;
  if (z >= ps.BH || i0 >= ps.Tq || j0 >= ps.Tk) { return; }
  if (j0 > ps.q0 + i0 + 3u) { return; } // the whole block is above the diagonal (masked)
  let b = z / ps.H;
  let h = z % ps.H;
  let iL = ps.Tq - 1u;
  let jL = ps.Tk - 1u;
  let ab = b * ps.aBatch + ps.aOff + h * ps.hd;
  let bb = b * ps.bBatch + ps.bOff + h * ps.hd;
  let a0 = ab + min(i0, iL) * ps.aRow;
  let a1 = ab + min(i0 + 1u, iL) * ps.aRow;
  let a2 = ab + min(i0 + 2u, iL) * ps.aRow;
  let a3 = ab + min(i0 + 3u, iL) * ps.aRow;
  let c0 = bb + min(j0, jL) * ps.bRow;
  let c1 = bb + min(j0 + 1u, jL) * ps.bRow;
  let c2 = bb + min(j0 + 2u, jL) * ps.bRow;
  let c3 = bb + min(j0 + 3u, jL) * ps.bRow;
  var s0 = vec4f(0.0);
  var s1 = vec4f(0.0);
  var s2 = vec4f(0.0);
  var s3 = vec4f(0.0);
  for (var d = 0u; d < ps.hd; d++) {
    let kv = vec4f(Bm[c0 + d], Bm[c1 + d], Bm[c2 + d], Bm[c3 + d]);
    s0 += A[a0 + d] * kv;
    s1 += A[a1 + d] * kv;
    s2 += A[a2 + d] * kv;
    s3 += A[a3 + d] * kv;
  }
  store_s(i0, j0, s0, z);
  store_s(i0 + 1u, j0, s1, z);
  store_s(i0 + 2u, j0, s2, z);
  store_s(i0 + 3u, j0, s3, z);
}

// scores, block = 4 queries × 8 keys with vec4 loads along d: hd, aRow, aOff, aBatch, bRow, bOff, bBatch multiples of 4.
@compute @workgroup_size(WX, WY, 1)
fn scores8(@builtin(global_invocation_id) gid: vec3u) {
  let z = gid.z + ps.zBase;
  let i0 = gid.y * 4u;
  let j0 = gid.x * 8u;
  if (z >= ps.BH || i0 >= ps.Tq || j0 >= ps.Tk) { return; }
  if (j0 > ps.q0 + i0 + 3u) { return; }
  let b = z / ps.H;
  let h = z % ps.H;
  let iL = ps.Tq - 1u;
  let jL = ps.Tk - 1u;
  let ab = b * ps.aBatch + ps.aOff + h * ps.hd;
  let bb = b * ps.bBatch + ps.bOff + h * ps.hd;
  let a0 = (ab + min(i0, iL) * ps.aRow) / 4u;
  let a1 = (ab + min(i0 + 1u, iL) * ps.aRow) / 4u;
  let a2 = (ab + min(i0 + 2u, iL) * ps.aRow) / 4u;
  let a3 = (ab + min(i0 + 3u, iL) * ps.aRow) / 4u;
  let c0 = (bb + min(j0, jL) * ps.bRow) / 4u;
  let c1 = (bb + min(j0 + 1u, jL) * ps.bRow) / 4u;
  let c2 = (bb + min(j0 + 2u, jL) * ps.bRow) / 4u;
  let c3 = (bb + min(j0 + 3u, jL) * ps.bRow) / 4u;
  let c4 = (bb + min(j0 + 4u, jL) * ps.bRow) / 4u;
  let c5 = (bb + min(j0 + 5u, jL) * ps.bRow) / 4u;
  let c6 = (bb + min(j0 + 6u, jL) * ps.bRow) / 4u;
  let c7 = (bb + min(j0 + 7u, jL) * ps.bRow) / 4u;
  var s0 = vec4f(0.0);
  var s1 = vec4f(0.0);
  var s2 = vec4f(0.0);
  var s3 = vec4f(0.0);
  var t0 = vec4f(0.0);
  var t1 = vec4f(0.0);
  var t2 = vec4f(0.0);
  var t3 = vec4f(0.0);
  let n4 = ps.hd / 4u;
  for (var d = 0u; d < n4; d++) {
    let k0 = B4[c0 + d];
    let k1 = B4[c1 + d];
    let k2 = B4[c2 + d];
    let k3 = B4[c3 + d];
    let k4 = B4[c4 + d];
    let k5 = B4[c5 + d];
    let k6 = B4[c6 + d];
    let k7 = B4[c7 + d];
    let q0 = A4[a0 + d];
    let q1 = A4[a1 + d];
    let q2 = A4[a2 + d];
    let q3 = A4[a3 + d];
    s0 += vec4f(dot(q0, k0), dot(q0, k1), dot(q0, k2), dot(q0, k3));
    s1 += vec4f(dot(q1, k0), dot(q1, k1), dot(q1, k2), dot(q1, k3));
    s2 += vec4f(dot(q2, k0), dot(q2, k1), dot(q2, k2), dot(q2, k3));
    s3 += vec4f(dot(q3, k0), dot(q3, k1), dot(q3, k2), dot(q3, k3));
    t0 += vec4f(dot(q0, k4), dot(q0, k5), dot(q0, k6), dot(q0, k7));
    t1 += vec4f(dot(q1, k4), dot(q1, k5), dot(q1, k6), dot(q1, k7));
    t2 += vec4f(dot(q2, k4), dot(q2, k5), dot(q2, k6), dot(q2, k7));
    t3 += vec4f(dot(q3, k4), dot(q3, k5), dot(q3, k6), dot(q3, k7));
  }
  store_s(i0, j0, s0, z);
  store_s(i0 + 1u, j0, s1, z);
  store_s(i0 + 2u, j0, s2, z);
  store_s(i0 + 3u, j0, s3, z);
  store_s(i0, j0 + 4u, t0, z);
  store_s(i0 + 1u, j0 + 4u, t1, z);
  store_s(i0 + 2u, j0 + 4u, t2, z);
  store_s(i0 + 3u, j0 + 4u, t3, z);
}

// ---- weighted sums ------------------------------------------------------------------------------

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

// O(b,i,d) = Σ_j W[z,i,j]·X(b,j,d); block = 4 queries × 4 channels.
@compute @workgroup_size(WX, WY, 1)
fn weighted(@builtin(global_invocation_id) gid: vec3u) {
  let z = gid.z + pw.zBase;
  let i0 = gid.y * 4u;
  let d0 = gid.x * 4u;
  if (z >= pw.BH || i0 >= pw.Tq || d0 >= pw.hd) { return; }
  let b = z / pw.H;
  let h = z % pw.H;
  let iL = pw.Tq - 1u;
  let dL = pw.hd - 1u;
  let w0 = (z * pw.Tq + min(i0, iL)) * pw.Tk;
  let w1 = (z * pw.Tq + min(i0 + 1u, iL)) * pw.Tk;
  let w2 = (z * pw.Tq + min(i0 + 2u, iL)) * pw.Tk;
  let w3 = (z * pw.Tq + min(i0 + 3u, iL)) * pw.Tk;
  let xb = b * pw.xBatch + pw.xOff + h * pw.hd;
  let e0 = min(d0, dL);
  let e1 = min(d0 + 1u, dL);
  let e2 = min(d0 + 2u, dL);
  let e3 = min(d0 + 3u, dL);
  // keys past a row's own limit have W = 0, so the block's last row sets the loop bound
  let jEnd = min(pw.q0 + min(i0 + 3u, iL) + 1u, pw.Tk);
  var o0 = vec4f(0.0);
  var o1 = vec4f(0.0);
  var o2 = vec4f(0.0);
  var o3 = vec4f(0.0);
  for (var j = 0u; j < jEnd; j++) {
    let xr = xb + j * pw.xRow;
    let xv = vec4f(X[xr + e0], X[xr + e1], X[xr + e2], X[xr + e3]);
    o0 += W[w0 + j] * xv;
    o1 += W[w1 + j] * xv;
    o2 += W[w2 + j] * xv;
    o3 += W[w3 + j] * xv;
  }
  let ob = b * pw.oBatch + pw.oOff + h * pw.hd;
  store_o(i0, d0, o0, ob, pw.Tq);
  store_o(i0 + 1u, d0, o1, ob, pw.Tq);
  store_o(i0 + 2u, d0, o2, ob, pw.Tq);
  store_o(i0 + 3u, d0, o3, ob, pw.Tq);
}

// weighted, block = 4 queries × 8 channels (two vec4 loads of X per key): hd, xRow, xOff, xBatch multiples of 4.
@compute @workgroup_size(WX, WY, 1)
fn weighted8(@builtin(global_invocation_id) gid: vec3u) {
  let z = gid.z + pw.zBase;
  let i0 = gid.y * 4u;
  let d0 = gid.x * 8u;
  if (z >= pw.BH || i0 >= pw.Tq || d0 >= pw.hd) { return; }
  let b = z / pw.H;
  let h = z % pw.H;
  let iL = pw.Tq - 1u;
  let w0 = (z * pw.Tq + min(i0, iL)) * pw.Tk;
  let w1 = (z * pw.Tq + min(i0 + 1u, iL)) * pw.Tk;
  let w2 = (z * pw.Tq + min(i0 + 2u, iL)) * pw.Tk;
  let w3 = (z * pw.Tq + min(i0 + 3u, iL)) * pw.Tk;
  let xa = (b * pw.xBatch + pw.xOff + h * pw.hd + d0) / 4u;
  let xc = (b * pw.xBatch + pw.xOff + h * pw.hd + min(d0 + 4u, pw.hd - 4u)) / 4u;
  let xr4 = pw.xRow / 4u;
  let jEnd = min(pw.q0 + min(i0 + 3u, iL) + 1u, pw.Tk);
  var o0 = vec4f(0.0);
  var o1 = vec4f(0.0);
  var o2 = vec4f(0.0);
  var o3 = vec4f(0.0);
  var o4 = vec4f(0.0);
  var o5 = vec4f(0.0);
  var o6 = vec4f(0.0);
  var o7 = vec4f(0.0);
  for (var j = 0u; j < jEnd; j++) {
    let xv = X4[xa + j * xr4];
    let xu = X4[xc + j * xr4];
    let p0 = W[w0 + j];
    let p1 = W[w1 + j];
    let p2 = W[w2 + j];
    let p3 = W[w3 + j];
    o0 += p0 * xv;
    o1 += p1 * xv;
    o2 += p2 * xv;
    o3 += p3 * xv;
    o4 += p0 * xu;
    o5 += p1 * xu;
    o6 += p2 * xu;
    o7 += p3 * xu;
  }
  let ob = b * pw.oBatch + pw.oOff + h * pw.hd;
  store_o(i0, d0, o0, ob, pw.Tq);
  store_o(i0 + 1u, d0, o1, ob, pw.Tq);
  store_o(i0 + 2u, d0, o2, ob, pw.Tq);
  store_o(i0 + 3u, d0, o3, ob, pw.Tq);
  store_o(i0, d0 + 4u, o4, ob, pw.Tq);
  store_o(i0 + 1u, d0 + 4u, o5, ob, pw.Tq);
  store_o(i0 + 2u, d0 + 4u, o6, ob, pw.Tq);
  store_o(i0 + 3u, d0 + 4u, o7, ob, pw.Tq);
}

// O(b,j,d) = Σ_i W[z,i,j]·X(b,i,d) (Wᵀ·X); block = 4 keys × 4 channels.
@compute @workgroup_size(WX, WY, 1)
fn weighted_t(@builtin(global_invocation_id) gid: vec3u) {
  let z = gid.z + pw.zBase;
  let j0 = gid.y * 4u;
  let d0 = gid.x * 4u;
  if (z >= pw.BH || j0 >= pw.Tk || d0 >= pw.hd) { return; }
  let b = z / pw.H;
  let h = z % pw.H;
  let jL = pw.Tk - 1u;
  let dL = pw.hd - 1u;
  let k0 = min(j0, jL);
  let k1 = min(j0 + 1u, jL);
  let k2 = min(j0 + 2u, jL);
  let k3 = min(j0 + 3u, jL);
  let xb = b * pw.xBatch + pw.xOff + h * pw.hd;
  let e0 = min(d0, dL);
  let e1 = min(d0 + 1u, dL);
  let e2 = min(d0 + 2u, dL);
  let e3 = min(d0 + 3u, dL);
  // queries before the block's first key's diagonal have W = 0 for all four keys
  var iStart = 0u;
  if (j0 > pw.q0) { iStart = j0 - pw.q0; }
  var o0 = vec4f(0.0);
  var o1 = vec4f(0.0);
  var o2 = vec4f(0.0);
  var o3 = vec4f(0.0);
  for (var i = iStart; i < pw.Tq; i++) {
    let xr = xb + i * pw.xRow;
    let xv = vec4f(X[xr + e0], X[xr + e1], X[xr + e2], X[xr + e3]);
    let wr = (z * pw.Tq + i) * pw.Tk;
    o0 += W[wr + k0] * xv;
    o1 += W[wr + k1] * xv;
    o2 += W[wr + k2] * xv;
    o3 += W[wr + k3] * xv;
  }
  let ob = b * pw.oBatch + pw.oOff + h * pw.hd;
  store_o(j0, d0, o0, ob, pw.Tk);
  store_o(j0 + 1u, d0, o1, ob, pw.Tk);
  store_o(j0 + 2u, d0, o2, ob, pw.Tk);
  store_o(j0 + 3u, d0, o3, ob, pw.Tk);
}

// weighted_t, block = 4 keys × 8 channels (two vec4 loads of X per query): hd, xRow, xOff, xBatch multiples of 4.
@compute @workgroup_size(WX, WY, 1)
fn weighted_t8(@builtin(global_invocation_id) gid: vec3u) {
  let z = gid.z + pw.zBase;
  let j0 = gid.y * 4u;
  let d0 = gid.x * 8u;
  if (z >= pw.BH || j0 >= pw.Tk || d0 >= pw.hd) { return; }
  let b = z / pw.H;
  let h = z % pw.H;
  let jL = pw.Tk - 1u;
  let k0 = min(j0, jL);
  let k1 = min(j0 + 1u, jL);
  let k2 = min(j0 + 2u, jL);
  let k3 = min(j0 + 3u, jL);
  let xa = (b * pw.xBatch + pw.xOff + h * pw.hd + d0) / 4u;
  let xc = (b * pw.xBatch + pw.xOff + h * pw.hd + min(d0 + 4u, pw.hd - 4u)) / 4u;
  let xr4 = pw.xRow / 4u;
  var iStart = 0u;
  if (j0 > pw.q0) { iStart = j0 - pw.q0; }
  var o0 = vec4f(0.0);
  var o1 = vec4f(0.0);
  var o2 = vec4f(0.0);
  var o3 = vec4f(0.0);
  var o4 = vec4f(0.0);
  var o5 = vec4f(0.0);
  var o6 = vec4f(0.0);
  var o7 = vec4f(0.0);
  for (var i = iStart; i < pw.Tq; i++) {
    let xv = X4[xa + i * xr4];
    let xu = X4[xc + i * xr4];
    let wr = (z * pw.Tq + i) * pw.Tk;
    let p0 = W[wr + k0];
    let p1 = W[wr + k1];
    let p2 = W[wr + k2];
    let p3 = W[wr + k3];
    o0 += p0 * xv;
    o1 += p1 * xv;
    o2 += p2 * xv;
    o3 += p3 * xv;
    o4 += p0 * xu;
    o5 += p1 * xu;
    o6 += p2 * xu;
    o7 += p3 * xu;
  }
  let ob = b * pw.oBatch + pw.oOff + h * pw.hd;
  store_o(j0, d0, o0, ob, pw.Tk);
  store_o(j0 + 1u, d0, o1, ob, pw.Tk);
  store_o(j0 + 2u, d0, o2, ob, pw.Tk);
  store_o(j0 + 3u, d0, o3, ob, pw.Tk);
  store_o(j0, d0 + 4u, o4, ob, pw.Tk);
  store_o(j0 + 1u, d0 + 4u, o5, ob, pw.Tk);
  store_o(j0 + 2u, d0 + 4u, o6, ob, pw.Tk);
  store_o(j0 + 3u, d0 + 4u, o7, ob, pw.Tk);
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
