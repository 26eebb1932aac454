// Batched strided matmul: C[b] (=|+=) alpha · A[b]·B[b] (+ bias), any M, N, K (no tile-multiple assumption).
// Bindings: p (uniform), A (read), Bm (read), C (write = when p.acc == 0, accumulate += when p.acc == 1),
// bias (read, [N], used when p.hasBias == 1; pass any buffer otherwise).
// Shapes via element offsets and strides: A(m,k) = A[oA + b*sAb + m*sAm + k*sAk],
// B(k,n) = Bm[oB + b*sBb + k*sBk + n*sBn], C(m,n) = C[oC + b*sCb + m*N + n]. Transposes are just swapped strides. Batch in workgroup z (or via zBase).
// Register blocking without shared memory: each invocation owns a 4×4 block of C held in four vec4
// accumulators (SwiftShader pays dearly for barriers and spills indexed private arrays).
struct Params {
  M: u32, N: u32, K: u32, zBase: u32,
  sAm: u32, sAk: u32, sAb: u32,
  sBk: u32, sBn: u32, sBb: u32,
  sCb: u32, acc: u32, hasBias: u32, alpha: f32,
  oA: u32, oB: u32, oC: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> Bm: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

override WX: u32 = 8;
override WY: u32 = 8;

fn storeRow(row: u32, col0: u32, base: u32, v: vec4<f32>) {
  if (row >= p.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    let col = col0 + j;
    if (col < p.N) {
      let idx = base + row * p.N + col;
      var x = p.alpha * v[j];
      if (p.hasBias == 1u) { x += bias[col]; }
      if (p.acc == 1u) { x += C[idx]; }
      C[idx] = x;
    }
  }
}

@compute @workgroup_size(WX, WY)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.z + p.zBase;
  let col0 = gid.x * 4u;
  let row0 = gid.y * 4u;
  if (col0 >= p.N || row0 >= p.M) { return; }
  let aBase = p.oA + b * p.sAb;
  let bBase = p.oB + b * p.sBb;
  // clamped row/col indices keep every load in bounds; out-of-range rows/cols are never stored
  let r0 = aBase + min(row0, p.M - 1u) * p.sAm;
  let r1 = aBase + min(row0 + 1u, p.M - 1u) * p.sAm;
  let r2 = aBase + min(row0 + 2u, p.M - 1u) * p.sAm;
  let r3 = aBase + min(row0 + 3u, p.M - 1u) * p.sAm;
  let c0 = bBase + min(col0, p.N - 1u) * p.sBn;
  let c1 = bBase + min(col0 + 1u, p.N - 1u) * p.sBn;
  let c2 = bBase + min(col0 + 2u, p.N - 1u) * p.sBn;
  let c3 = bBase + min(col0 + 3u, p.N - 1u) * p.sBn;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k = 0u; k < p.K; k++) {
    let ka = k * p.sAk;
    let kb = k * p.sBk;
    let bv = vec4<f32>(Bm[c0 + kb], Bm[c1 + kb], Bm[c2 + kb], Bm[c3 + kb]);
    acc0 += A[r0 + ka] * bv;
    acc1 += A[r1 + ka] * bv;
    acc2 += A[r2 + ka] * bv;
    acc3 += A[r3 + ka] * bv;
  }
  let cBase = p.oC + b * p.sCb;
  storeRow(row0, col0, cBase, acc0);
  storeRow(row0 + 1u, col0, cBase, acc1);
  storeRow(row0 + 2u, col0, cBase, acc2);
  storeRow(row0 + 3u, col0, cBase, acc3);
}

// Column sums over rows (bias gradient): out[n] (=|+=) Σ_r X[r*N + n]. One invocation per column,
// rows summed in order: deterministic. X is (R, N).
struct SumParams { R: u32, N: u32, acc: u32 }
@group(0) @binding(0) var<uniform> s: SumParams;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn colsum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = gid.x + gid.y * nwg.x * 64u;
  if (n >= s.N) { return; }
  var t = 0.0;
  for (var r = 0u; r < s.R; r++) { t += X[r * s.N + n]; }
  if (s.acc == 1u) { t += out[n]; }
  out[n] = t;
}
