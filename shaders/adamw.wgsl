// AdamW (torch.optim.AdamW order of operations) and global grad-norm clipping.
//  step:    p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
//           p ← p − stepSize·m / (√v / bc2sqrt + eps), stepSize = lr/(1−β1^t), bc2sqrt = √(1−β2^t)   p, m, v updated in place
//           src/train/adamw.ts runs it once per chunk of all parameters laid end to end (flat staging buffers filled
//           and emptied by buffer copies): one dispatch for a model up to 16 Mi parameters. Each invocation updates PER vec4s of 4
//           consecutive elements each (on SwiftShader a vec4 load is one load per lane where 4 scalars are 4;
//           measured ~3× faster): elements 4i .. 4i+3 for i < ⌈n/4⌉, so all four buffers must hold a multiple of 4
//           elements (the host rounds the staging and moment buffers up; what the padding holds is updated too but never
//           copied back to a parameter nor exported)
//  sumsq:   partial[o + j] = Σ_{i in chunk j} g[i]²  (chunks of 1024, one invocation each, in order)     (=)
//  norm:    norm[0] = √(Σ_j partial[j])  (one invocation: deterministic)                              (=)
//  clip:    g ← g·min(1, maxNorm/(norm[0] + 1e-6))  (torch.nn.utils.clip_grad_norm_)                   in place
struct P { n: u32, lr: f32, wd: f32, b1: f32, b2: f32, eps: f32, stepSize: f32, bc2sqrt: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> param: array<vec4f>;
@group(0) @binding(2) var<storage, read> grad: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> m: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> v: array<vec4f>;

//!include prelude


// PER vec4s per invocation (override, the host sets 32 and sizes the grid to ⌈⌈n/4⌉ / (64·PER)⌉ workgroups): invocation
// li of flat workgroup w updates vec4s (w·PER + k)·64 + li, k < PER (a workgroup's range is contiguous, neighbouring
// lanes take neighbouring vec4s). SwiftShader pays per invocation and per workgroup: on a 200k-element update, 8 vec4s
// per invocation took ~0.59× the CPU time of one, 32 ~0.53× (docs/perf.md, issue #26). Every element gets the same
// arithmetic as before: the same bits.
override PER: u32 = 32u;

@compute @workgroup_size(64)
fn step(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n4 = (p.n + 3u) / 4u;
  let base = (wid.x + wid.y * nwg.x) * 64u * PER + li;
  for (var k = 0u; k < PER; k++) {
    let i = base + k * 64u;
    if (i >= n4) { return; }
    let gi = grad[i];
    var w = param[i] * (1.0 - p.lr * p.wd);
    let mi = p.b1 * m[i] + (1.0 - p.b1) * gi;
    let vi = p.b2 * v[i] + (1.0 - p.b2) * gi * gi;
    w -= p.stepSize * mi / (sqrt(vi) / p.bc2sqrt + p.eps);
    m[i] = mi;
    v[i] = vi;
    param[i] = w;
  }
}

struct Q { n: u32, offset: u32, count: u32, maxNorm: f32 }
@group(0) @binding(0) var<uniform> q: Q;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(64)
fn sumsq(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let j = flat_index(gid, nwg);
  let start = j * 1024u;
  if (start >= q.n) { return; }
  let end = min(start + 1024u, q.n);
  var s = 0.0;
  for (var i = start; i < end; i++) { s += g[i] * g[i]; }
  partial[q.offset + j] = s;
}

@group(0) @binding(1) var<storage, read> parts: array<f32>;
@group(0) @binding(2) var<storage, read_write> norm: array<f32>;

@compute @workgroup_size(1)
fn total(@builtin(global_invocation_id) gid: vec3<u32>) {
  var s = 0.0;
  for (var j = 0u; j < q.count; j++) { s += parts[j]; }
  norm[0] = sqrt(s);
}

@group(0) @binding(1) var<storage, read_write> gc: array<f32>;
@group(0) @binding(2) var<storage, read> nrm: array<f32>;

@compute @workgroup_size(64)
fn clip(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= q.n) { return; }
  gc[i] = gc[i] * min(1.0, q.maxNorm / (nrm[0] + 1e-6));
}
