// Cross-entropy fused with log-softmax over logits (N, V) with integer targets (N), an ignore index and label
// smoothing eps (PyTorch's F.cross_entropy(label_smoothing=eps): the target distribution is (1 − eps)·onehot + eps/V).
//  rows:     lse[n] = logsumexp(logits[n, :]) (max-subtracted);
//            rowloss[n] = lse − (1 − eps)·logits[n, t] − eps·mean_v logits[n, v], or 0 if ignored              (=)
//  mean:     loss[0] = invCount · Σ_n rowloss[n]   (one invocation, rows in order: deterministic)            (=)
//  backward: dlogits[n, v] (=|+=) dloss·invCount·(softmax[n, v] − (1 − eps)·[v == t] − eps/V), 0 on ignored rows
// eps = 0 is exactly the plain cross-entropy. Targets are validated on the host (in [0, V) or == ignore) before any dispatch.
struct P { N: u32, V: u32, ignore: i32, invCount: f32, acc: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read_write> lse: array<f32>;
@group(0) @binding(4) var<storage, read_write> rowloss: array<f32>;

fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 { return gid.x + gid.y * nwg.x * 64u; }

@compute @workgroup_size(64)
fn rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = flat(gid, nwg);
  if (n >= p.N) { return; }
  let o = n * p.V;
  var mx = logits[o];
  for (var v = 0u; v < p.V; v++) { mx = max(mx, logits[o + v]); }
  var s = 0.0;
  var sx = 0.0;
  for (var v = 0u; v < p.V; v++) { s += exp(logits[o + v] - mx); sx += logits[o + v]; }
  let l = mx + log(s);
  lse[n] = l;
  let t = targets[n];
  if (t == p.ignore || t < 0 || u32(t) >= p.V) { rowloss[n] = 0.0; } else {
    var r = l - logits[o + u32(t)];
    if (p.eps != 0.0) { r = l - (1.0 - p.eps) * logits[o + u32(t)] - p.eps * (sx / f32(p.V)); }
    rowloss[n] = r;
  }
}

@group(0) @binding(1) var<storage, read> rl: array<f32>;
@group(0) @binding(2) var<storage, read_write> loss: array<f32>;

@compute @workgroup_size(1)
fn mean(@builtin(global_invocation_id) gid: vec3<u32>) {
  var s = 0.0;
  for (var n = 0u; n < p.N; n++) { s += rl[n]; }
  loss[0] = s * p.invCount;
}

@group(0) @binding(3) var<storage, read> slse: array<f32>;
@group(0) @binding(4) var<storage, read> dloss: array<f32>;
@group(0) @binding(5) var<storage, read_write> dlogits: array<f32>;

@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.N * p.V) { return; }
  let n = i / p.V;
  let v = i % p.V;
  let t = targets[n];
  var g = 0.0;
  if (!(t == p.ignore || t < 0 || u32(t) >= p.V)) {
    let sm = exp(logits[i] - slse[n]);
    g = dloss[0] * p.invCount * (sm - (1.0 - p.eps) * select(0.0, 1.0, u32(t) == v) - p.eps / f32(p.V));
  }
  if (p.acc == 1u) { g += dlogits[i]; }
  dlogits[i] = g;
}
