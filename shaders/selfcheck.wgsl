// Self-check kernel used by `wgpt info` and the foundation tests: y = a*x + b (elementwise).
// Bindings: p (uniform {n, a, b}), x (read, n f32), y (write =, n f32). Shapes: x,y (n).
struct Params { n: u32, a: f32, b: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  y[i] = p.a * x[i] + p.b;
}
