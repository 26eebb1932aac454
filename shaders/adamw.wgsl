// AdamW (torch.optim.AdamW order of operations) and global grad-norm clipping.
//  step:    p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
//           p ← p − stepSize·m / (√v / bc2sqrt + eps), stepSize = lr/(1−β1^t), bc2sqrt = √(1−β2^t)   p, m, v updated in place
//           src/train/adamw.ts runs it once per chunk of all parameters laid end to end (flat staging buffers filled
//           and emptied by buffer copies): one dispatch for a model up to 16 Mi parameters
//  sumsq:   partial[o + j] = Σ_{i in chunk j} g[i]²  (chunks of 1024, one invocation each, in order)     (=)
//  norm:    norm[0] = √(Σ_j partial[j])  (one invocation: deterministic)                              (=)
//  clip:    g ← g·min(1, maxNorm/(norm[0] + 1e-6))  (torch.nn.utils.clip_grad_norm_)                   in place
struct P { n: u32, lr: f32, wd: f32, b1: f32, b2: f32, eps: f32, stepSize: f32, bc2sqrt: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 { return gid.x + gid.y * nwg.x * 64u; }

// one element's update from (param, grad, m, v): returns (param, m, v)
fn adamw(w0: f32, gi: f32, m0: f32, v0: f32, lr: f32, wd: f32, b1: f32, b2: f32, eps: f32, stepSize: f32, bc2sqrt: f32) -> vec3f {
  var w = w0 * (1.0 - lr * wd);
  let mi = b1 * m0 + (1.0 - b1) * gi;
  let vi = b2 * v0 + (1.0 - b2) * gi * gi;
  w -= stepSize * mi / (sqrt(vi) / bc2sqrt + eps);
  return vec3f(w, mi, vi);
}

@compute @workgroup_size(64)
fn step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  let r = adamw(param[i], grad[i], m[i], v[i], p.lr, p.wd, p.b1, p.b2, p.eps, p.stepSize, p.bc2sqrt);
  m[i] = r.y;
  v[i] = r.z;
  param[i] = r.x;
}

struct Q { n: u32, offset: u32, count: u32, maxNorm: f32 }
@group(0) @binding(0) var<uniform> q: Q;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(64)
fn sumsq(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let j = flat(gid, nwg);
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
  let i = flat(gid, nwg);
  if (i >= q.n) { return; }
  gc[i] = gc[i] * min(1.0, q.maxNorm / (nrm[0] + 1e-6));
}
