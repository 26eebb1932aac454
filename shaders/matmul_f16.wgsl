// Matmul with a weight stored as packed f16 pairs (a frozen base under LoRA: half the bytes of f32). Read with
// unpack2x16float, core WGSL on every adapter (no shader-f16 feature needed); arithmetic in f32.
//  matmul_f16:  c[m, n] (=|+=) Σ_k a[m, k]·W(k, n) (+ bias[n] when hasBias)      a (M, K) f32, c (M, N) f32
//               W(k, n) = half(transB ? n·K + k : k·N + n) of the packed array w: element i is word i >> 1, its low
//               16 bits when i is even, high when odd (unpack2x16float(word).x / .y); an odd element count ends in
//               a zero half. transB 0: W stored (K, N) (GPT-2's Conv1D [in, out]); 1: (N, K) (nn.Linear [out, in]).
//               Backward (dx = dy·Wᵀ) is the same entry with K and N swapped and transB flipped (src/ops/matmul-f16.ts).
//               acc 0 writes, 1 adds (a gradient that already has a value).
// Why this shape: 16×16 output tiles, one output per invocation, a 16-wide k-chunk of a and of W staged in workgroup
// memory (each f16 word is unpacked once per tile, not once per product). Out-of-range tile entries are zeros, written
// without reading past the arrays (branches, not select).
struct P { M: u32, N: u32, K: u32, transB: u32, acc: u32, hasBias: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<u32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

var<workgroup> ta: array<f32, 256>;
var<workgroup> tb: array<f32, 256>;

fn half_at(i: u32) -> f32 {
  let v = unpack2x16float(w[i >> 1u]);
  if ((i & 1u) == 1u) { return v.y; }
  return v.x;
}

@compute @workgroup_size(16, 16)
fn matmul_f16(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let row = wid.y * 16u + lid.y;
  let col = wid.x * 16u + lid.x;
  var s = 0.0;
  for (var k0 = 0u; k0 < p.K; k0 += 16u) {
    let ka = k0 + lid.x;
    var av = 0.0;
    if (row < p.M && ka < p.K) { av = a[row * p.K + ka]; }
    ta[lid.y * 16u + lid.x] = av;
    let kb = k0 + lid.y;
    var bv = 0.0;
    if (kb < p.K && col < p.N) {
      if (p.transB == 1u) { bv = half_at(col * p.K + kb); } else { bv = half_at(kb * p.N + col); }
    }
    tb[lid.y * 16u + lid.x] = bv;
    workgroupBarrier();
    for (var k = 0u; k < 16u; k++) { s += ta[lid.y * 16u + k] * tb[k * 16u + lid.x]; }
    workgroupBarrier();
  }
  if (row < p.M && col < p.N) {
    var v = s;
    if (p.hasBias == 1u) { v += bias[col]; }
    let i = row * p.N + col;
    if (p.acc == 1u) { c[i] = c[i] + v; } else { c[i] = v; }
  }
}
