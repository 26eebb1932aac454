// Causal mask on attention scores, the course's masked_fill(triu(ones(T, T), diagonal=1).bool(), −inf):
// element (.., i, j) of a [.., T, T] tensor becomes −inf where j > i, forward and backward.
// Leaves out: padding masks and non-square (decode) masks; attention.wgsl applies the causal limit
// itself through its loop bounds and never materialises −inf.
//
// Entry points (1-D grid over the n = lead·T·T elements: e = gid.x + gid.y·nwg.x·WG, bounds-checked):
//   mask_fwd  x (read, [lead, T, T]) → y (write =): y = −inf where j > i, else x
//   mask_bwd  dy (read) → dx (write = when acc == 0, accumulate += when acc == 1): dy where j ≤ i, 0 where j > i

struct Fwd { n: u32, T: u32 }
struct Bwd { n: u32, T: u32, acc: u32 }

@group(0) @binding(0) var<uniform> pf: Fwd;
@group(0) @binding(1) var<uniform> pb: Bwd;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

override WG: u32 = 64;

//!include prelude

@compute @workgroup_size(WG)
fn mask_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= pf.n) { return; }
  let j = e % pf.T;
  let i = (e / pf.T) % pf.T;
  y[e] = select(x[e], neg_inf(), j > i);
}

// Backward of `y[e] = select(x[e], −inf, j > i)` (mask_fwd): the masked entries are constants.
@compute @workgroup_size(WG)
fn mask_bwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= pb.n) { return; }
  let j = e % pb.T;
  let i = (e / pb.T) % pb.T;
  var v = select(dy[e], 0.0, j > i);
  if (pb.acc == 1u) { v += dx[e]; }
  dx[e] = v;
}
