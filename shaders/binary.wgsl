// Binary elementwise ops from one template (override OP: 0 add, 1 sub, 2 mul) with suffix broadcasting,
// and the scalar multiple. Flat index i = gid.x + gid.y·nwg.x·64 (see Gpu.grid), bounds-checked against u.n.
//   forward  a, b (read) → out (write =):  out[i] = a[i % na] OP b[i % nb]   (na, nb divide n: each
//            operand is the output or a trailing block of it, repeated over the leading dims)
//   scale    a (read) → out (= when acc == 0, += when acc == 1):  out[i] (=|+=) s·a[i]
// The backward of forward is a sum over the broadcast rows: reduce.wgsl's colsum / colsum_mul, or
// scale (s = ±1) for a full-size operand of add/sub.
struct P { n: u32, na: u32, nb: u32, acc: u32, s: f32 }
@group(0) @binding(0) var<uniform> u: P;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

//!include prelude

override OP: u32 = 0;

fn op(x: f32, y: f32) -> f32 {
  switch OP {
    case 0u: { return x + y; }
    case 1u: { return x - y; }
    default: { return x * y; }
  }
}

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= u.n) { return; }
  // the full-size operand skips the modulo (a uniform branch)
  var ia = i;
  if (u.na != u.n) { ia = i % u.na; }
  var ib = i;
  if (u.nb != u.n) { ib = i % u.nb; }
  out[i] = op(a[ia], b[ib]);
}

@compute @workgroup_size(64)
fn scale(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= u.n) { return; }
  var v = u.s * a[i];
  if (u.acc == 1u) { v += out[i]; }
  out[i] = v;
}
