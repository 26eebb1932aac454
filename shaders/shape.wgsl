// Copies that move data between layouts: a range along one axis (slice, its backward, concat) and the
// swap of two axes (transpose). reshape needs no kernel (a view). One invocation per element of the
// tensor named below; flat index k = gid.x + gid.y·nwg.x·64 (see Gpu.grid), bounds-checked against n.
// Range entries see a tensor as (outer, D, inner) around the axis and the block as (outer, L, inner):
//   slice   x (read, [outer, D, inner]) → out ([outer, L, inner], = when acc == 0, += when acc == 1):
//           out[o, l, i] (=|+=) x[o, start + l, i]                         (n = outer·L·inner)
//   pad     x (read, [outer, L, inner]) → out ([outer, D, inner], =|+=):  the backward of slice,
//           out[o, d, i] (=|+=) (start ≤ d < start + L ? x[o, d − start, i] : 0)   (n = outer·D·inner)
//   place   x (read, [outer, L, inner]) → out ([outer, D, inner], write = on the block only):
//           out[o, start + l, i] = x[o, l, i]  (concat: each input fills its block; n = outer·L·inner)
//   transpose  x (read, [A, D0, B, D1, C]) → out ([A, D1, B, D0, C], =|+=):
//           out[a, j, b, i, c] (=|+=) x[a, i, b, j, c]                     (n = A·D0·B·D1·C)
struct Range { n: u32, D: u32, L: u32, inner: u32, start: u32, acc: u32 }
struct Swap { n: u32, D0: u32, B: u32, D1: u32, C: u32, acc: u32 }
@group(0) @binding(0) var<uniform> r: Range;
@group(0) @binding(1) var<uniform> s: Swap;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

//!include prelude

fn put(k: u32, v: f32, acc: u32) {
  if (acc == 1u) { out[k] = out[k] + v; } else { out[k] = v; }
}

// flat k of an (outer, len, inner) tensor → (o, l, i)
fn split(k: u32, len: u32) -> vec3<u32> {
  let q = k / r.inner;
  return vec3<u32>(q / len, q % len, k % r.inner);
}

// flat index of (o, l, i) in an (outer, len, inner) tensor
fn at(c: vec3<u32>, len: u32) -> u32 {
  return (c.x * len + c.y) * r.inner + c.z;
}

@compute @workgroup_size(64)
fn slice(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = flat_index(gid, nwg);
  if (k >= r.n) { return; }
  let c = split(k, r.L);
  put(k, x[at(c + vec3<u32>(0u, r.start, 0u), r.D)], r.acc);
}

// backward of slice's `out[o, l, i] = x[o, start + l, i]`: dx[o, d, i] = dy[o, d − start, i] inside the
// range, 0 outside (written too, so acc == 0 needs no zero-fill)
@compute @workgroup_size(64)
fn pad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = flat_index(gid, nwg);
  if (k >= r.n) { return; }
  let c = split(k, r.D);
  var v = 0.0;
  if (c.y >= r.start && c.y < r.start + r.L) { v = x[at(c - vec3<u32>(0u, r.start, 0u), r.L)]; }
  put(k, v, r.acc);
}

@compute @workgroup_size(64)
fn place(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = flat_index(gid, nwg);
  if (k >= r.n) { return; }
  out[at(split(k, r.L) + vec3<u32>(0u, r.start, 0u), r.D)] = x[k];
}

// its own backward: transpose of dy with D0 and D1 exchanged
@compute @workgroup_size(64)
fn transpose(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = flat_index(gid, nwg);
  if (k >= s.n) { return; }
  // k = (((a·D1 + j)·B + b)·D0 + i)·C + c in out's layout
  let c = k % s.C;
  var q = k / s.C;
  let i = q % s.D0;
  q = q / s.D0;
  let b = q % s.B;
  q = q / s.B;
  let j = q % s.D1;
  let a = q / s.D1;
  put(k, x[(((a * s.D0 + i) * s.B + b) * s.D1 + j) * s.C + c], s.acc);
}
