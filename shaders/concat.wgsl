// Column-block copy for concat along the last axis (forward) and its gradient split (backward):
//  copy_cols: dst[oOut + r·ldOut + j] (=|+= by acc) src[oIn + r·ldIn + j] for r < R, j < W
// One invocation per (r, j), i = gid.x + gid.y·nwg.x·64 over R·W; bounds-checked.
struct P { R: u32, W: u32, ldIn: u32, ldOut: u32, oIn: u32, oOut: u32, acc: u32 }
@group(0) @binding(0) var<uniform> u: P;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn copy_cols(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= u.R * u.W) { return; }
  let r = i / u.W;
  let j = i % u.W;
  let o = u.oOut + r * u.ldOut + j;
  let v = src[u.oIn + r * u.ldIn + j];
  if (u.acc == 1u) { dst[o] = dst[o] + v; } else { dst[o] = v; }
}
