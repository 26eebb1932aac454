// The B side of the register-blocked matmuls, written once: 8 consecutive columns of B read 4 k's at a time, and the
// one-row loop (matmul.wgsl's `row1`, which matmul_ln.wgsl runs on its normalised row). A shader takes it with
// `//!include matmul_row`; it declares no bindings of its own. Leaves out: the `big` entry's mat4x4 tiles.
//
// The includer declares: Bs (array<f32>) and Bv (array<vec4f>), the same B buffer read as f32 and as vec4; overrides
// TB (B stored (N, K)) and VB (vec4 loads along B's contiguous dimension: n, or k with TB; the host sets it only when
// that dimension, its pitch and offset are multiples of 4); and, for row_dot8, row_a4(ia, k) = A(k .. k+3) as a vec4
// and row_a1(ia, k) = A(k) of the one row (ia: where the row starts, in the includer's own terms).
//
//   b_cols(bB, n0, N, ldb)   where columns n0 .. n0+7 start: ib[c] = bB + n_c (an offset along a stored (K, N) row) or
//                            bB + n_c·ldb (TB: the start of a stored (N, K) row), n_c = min(n0 + c, N − 1); with VB and
//                            not TB, ib[4] is the upper vec4 half, clamped to the last whole vec4 (N − 4)
//   b_block(ib, k, ldb)      B(k + j, n0 + 4h .. n0 + 4h + 3) as b[2j + h], j < 4, h < 2 (TB: one stored row per
//                            column, transposed by renaming)
//   b_row(ib, k, ldb)        B(k, n0 .. n0+3) and B(k, n0+4 .. n0+7): the last K mod 4 steps, scalar loads
//   row_dot8(ia, ib, K, ldb) Σ_k A(k)·B(k, n0 .. n0+7) for one row of A: per 4 k's a.x·b0 + a.y·b1 + a.z·b2 + a.w·b3
//                            added to the sums (the order of matmul.wgsl's `main` per row, so one row gives the same
//                            bits in all three), then one k at a time

fn b_cols(bB: u32, n0: u32, N: u32, ldb: u32) -> array<u32, 8> {
  let nL = N - 1u;
  let n = array<u32, 8>(n0, min(n0 + 1u, nL), min(n0 + 2u, nL), min(n0 + 3u, nL), min(n0 + 4u, nL), min(n0 + 5u, nL), min(n0 + 6u, nL), min(n0 + 7u, nL));
  if (TB) {
    return array<u32, 8>(bB + n[0] * ldb, bB + n[1] * ldb, bB + n[2] * ldb, bB + n[3] * ldb, bB + n[4] * ldb, bB + n[5] * ldb, bB + n[6] * ldb, bB + n[7] * ldb);
  }
  // with VB, vec4 halves along n (N is a multiple of 4): the upper half clamps to the last whole vec4 (no mutable
  // array: every element stays a value the compiler can keep in a register)
  let i4 = select(bB + n[4], bB + min(n0 + 4u, N - 4u), VB);
  return array<u32, 8>(bB + n[0], bB + n[1], bB + n[2], bB + n[3], i4, bB + n[5], bB + n[6], bB + n[7]);
}

// u: stored row c of (N, K) at k .. k+3
fn b_trow(ib: u32, k: u32) -> vec4f {
  if (VB) { return Bv[(ib + k) >> 2u]; }
  return vec4f(Bs[ib + k], Bs[ib + k + 1u], Bs[ib + k + 2u], Bs[ib + k + 3u]);
}

// 4 columns of one row of a stored (K, N) B, starting at i0 .. i3 (+ r); scalars, not the array and an index: an array
// indexed through a parameter is kept in memory by SwiftShader (measured: `main` 0.93× with it)
fn b_quad(i0: u32, i1: u32, i2: u32, i3: u32, r: u32) -> vec4f {
  if (VB) { return Bv[(i0 + r) >> 2u]; }
  return vec4f(Bs[i0 + r], Bs[i1 + r], Bs[i2 + r], Bs[i3 + r]);
}

fn b_block(ib: array<u32, 8>, k: u32, ldb: u32) -> array<vec4f, 8> {
  if (TB) {
    let u0 = b_trow(ib[0], k);
    let u1 = b_trow(ib[1], k);
    let u2 = b_trow(ib[2], k);
    let u3 = b_trow(ib[3], k);
    let u4 = b_trow(ib[4], k);
    let u5 = b_trow(ib[5], k);
    let u6 = b_trow(ib[6], k);
    let u7 = b_trow(ib[7], k);
    return array<vec4f, 8>(
      vec4f(u0.x, u1.x, u2.x, u3.x), vec4f(u4.x, u5.x, u6.x, u7.x),
      vec4f(u0.y, u1.y, u2.y, u3.y), vec4f(u4.y, u5.y, u6.y, u7.y),
      vec4f(u0.z, u1.z, u2.z, u3.z), vec4f(u4.z, u5.z, u6.z, u7.z),
      vec4f(u0.w, u1.w, u2.w, u3.w), vec4f(u4.w, u5.w, u6.w, u7.w));
  }
  let r0 = k * ldb;
  let r1 = r0 + ldb;
  let r2 = r1 + ldb;
  let r3 = r2 + ldb;
  let i0 = ib[0];
  let i1 = ib[1];
  let i2 = ib[2];
  let i3 = ib[3];
  let i4 = ib[4];
  let i5 = ib[5];
  let i6 = ib[6];
  let i7 = ib[7];
  return array<vec4f, 8>(b_quad(i0, i1, i2, i3, r0), b_quad(i4, i5, i6, i7, r0), b_quad(i0, i1, i2, i3, r1), b_quad(i4, i5, i6, i7, r1),
                         b_quad(i0, i1, i2, i3, r2), b_quad(i4, i5, i6, i7, r2), b_quad(i0, i1, i2, i3, r3), b_quad(i4, i5, i6, i7, r3));
}

fn b_row(ib: array<u32, 8>, k: u32, ldb: u32) -> array<vec4f, 2> {
  var r = k;
  if (!TB) { r = k * ldb; }
  return array<vec4f, 2>(vec4f(Bs[ib[0] + r], Bs[ib[1] + r], Bs[ib[2] + r], Bs[ib[3] + r]),
                         vec4f(Bs[ib[4] + r], Bs[ib[5] + r], Bs[ib[6] + r], Bs[ib[7] + r]));
}

fn row_dot8(ia: u32, ib: array<u32, 8>, K: u32, ldb: u32) -> array<vec4f, 2> {
  var s0 = vec4f(0.0);
  var s1 = vec4f(0.0);
  let K4 = K & ~3u;
  for (var k = 0u; k < K4; k += 4u) {
    let a = row_a4(ia, k);
    let b = b_block(ib, k, ldb);
    s0 += a.x * b[0] + a.y * b[2] + a.z * b[4] + a.w * b[6];
    s1 += a.x * b[1] + a.y * b[3] + a.z * b[5] + a.w * b[7];
  }
  for (var k = K4; k < K; k++) {
    let x = row_a1(ia, k);
    let b = b_row(ib, k, ldb);
    s0 += x * b[0];
    s1 += x * b[1];
  }
  return array<vec4f, 2>(s0, s1);
}
