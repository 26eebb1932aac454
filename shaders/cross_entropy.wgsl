// Cross-entropy fused with log-softmax over logits (N, V) with integer targets (N), an ignore index and label
// smoothing eps (PyTorch's F.cross_entropy(label_smoothing=eps): the target distribution is (1 − eps)·onehot + eps/V).
//  rows:     lse[n] = logsumexp(logits[n, :]) (max-subtracted);
//            rowloss[n] = lse − (1 − eps)·logits[n, t] − eps·mean_v logits[n, v], or 0 if ignored              (=)
//  mean:     loss[0] = invCount · Σ_n rowloss[n]   (one invocation, rows in order: deterministic)            (=)
//  backward: dlogits[n, v] (=|+=) dloss·invCount·(softmax[n, v] − (1 − eps)·[v == t] − eps/V), 0 on ignored rows
//  rows4:    rows through the vec4 view logitsv (V a multiple of 4, the host's choice): the same max, the same sums in the
//            same order (component by component), so the same bits; a quarter of the load instructions
// eps = 0 is exactly the plain cross-entropy. Targets are validated on the host (in [0, V) or == ignore) before any dispatch.
struct P { N: u32, V: u32, ignore: i32, invCount: f32, acc: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read_write> lse: array<f32>;
@group(0) @binding(4) var<storage, read_write> rowloss: array<f32>;

//!include prelude


// a target that counts: not the ignore index and inside [0, V) (the host has refused any other value)
fn counted(t: i32) -> bool { return !(t == p.ignore || t < 0 || u32(t) >= p.V); }

// `rows`: one invocation per row. (Tried this session: 4 rows per workgroup of 64 with two barriers, and a row per
// workgroup with a barrier tree: 0.5× and 0.3× of this at 128×1413, 1.0× at 128×50257 — SwiftShader's barriers
// cost more than the parallel row scan saves.)
@compute @workgroup_size(64)
fn rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = flat_index(gid, nwg);
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
  if (!counted(t)) { rowloss[n] = 0.0; } else {
    var r = l - logits[o + u32(t)];
    if (p.eps != 0.0) { r = l - (1.0 - p.eps) * logits[o + u32(t)] - p.eps * (sx / f32(p.V)); }
    rowloss[n] = r;
  }
}

@group(0) @binding(6) var<storage, read> logitsv: array<vec4f>;

@compute @workgroup_size(64)
fn rows4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = flat_index(gid, nwg);
  if (n >= p.N) { return; }
  let V4 = p.V / 4u;
  let o = n * V4;
  var mv = logitsv[o];
  for (var v = 0u; v < V4; v++) { mv = max(mv, logitsv[o + v]); }
  let mx = max(max(mv.x, mv.y), max(mv.z, mv.w));
  var s = 0.0;
  var sx = 0.0;
  for (var v = 0u; v < V4; v++) {
    let x = logitsv[o + v];
    let e = exp(x - mx);
    s += e.x; s += e.y; s += e.z; s += e.w;
    sx += x.x; sx += x.y; sx += x.z; sx += x.w;
  }
  let l = mx + log(s);
  lse[n] = l;
  let t = targets[n];
  if (!counted(t)) { rowloss[n] = 0.0; } else {
    let xt = logitsv[o + u32(t) / 4u][u32(t) % 4u];
    var r = l - xt;
    if (p.eps != 0.0) { r = l - (1.0 - p.eps) * xt - p.eps * (sx / f32(p.V)); }
    rowloss[n] = r;
  }
}

// workgroup index over a 2-D grid (gpu.grid(count, 1): more than 65535 workgroups spill into y)
fn wgIndex(wid: vec3<u32>, nwg: vec3<u32>) -> u32 { return wid.x + wid.y * nwg.x; }

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

// `backward`: one workgroup of 64 per (row, 256 columns): invocation l writes columns c0+l, c0+l+64, … (4 of them);
// the row's target, lse and scale are read once per invocation. Grid: gpu.grid(N·⌈V/256⌉, 1).
@compute @workgroup_size(64)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) l: u32) {
  let chunks = (p.V + 255u) / 256u;
  let w = wgIndex(wid, nwg);
  let n = w / chunks;
  if (n >= p.N) { return; }
  let c0 = (w - n * chunks) * 256u;
  let o = n * p.V;
  let t = targets[n];
  let live = counted(t);
  let scale = dloss[0] * p.invCount;
  let l0 = slse[n];
  let tv = select(p.V, u32(t), live); // (an ignored row writes 0, as PyTorch)
  let off = p.eps / f32(p.V);
  let end = min(c0 + 256u, p.V);
  for (var v = c0 + l; v < end; v += 64u) {
    let i = o + v;
    var g = select(0.0, scale * (exp(logits[i] - l0) - (1.0 - p.eps) * select(0.0, 1.0, v == tv) - off), live);
    if (p.acc == 1u) { g += dlogits[i]; }
    dlogits[i] = g;
  }
}

// `backward4`: the same formula over the flat (N·V) index space in vec4s, for buffers that hold whole vec4s (the
// host checks): invocation q owns the Q vec4s Q·q .. Q·q+Q−1, i.e. elements 4Q·q .. 4Q·q+4Q−1 (override Q, the host
// sets 4 or 16; vec4 loads of logits, vec4 stores of dlogits: on SwiftShader a scalar store per element cost more than
// the rest of the kernel; the row values are read once per 4Q elements; 16 vec4s per invocation measured ~1.3× faster
// than 4 at 256×1416, docs/perf.md issue #26). 4Q elements span at most two rows (V ≥ 4Q, host-checked): each component
// picks its row's target and lse by vector selects. Elements past N·V (the last vec4's padding inside the buffer)
// get 0 (+ the old value when accumulating). Measured at 128×50257: 62–67 ms vs 125–127 for `backward`.
// Grid: gpu.grid(⌈N·V/(4Q)⌉, 64).
@group(0) @binding(7) var<storage, read_write> dlogitsv: array<vec4f>;
override Q: u32 = 4u;

@compute @workgroup_size(64)
fn backward4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let q0 = flat_index(gid, nwg) * Q;
  let total = p.N * p.V;
  let i0 = q0 * 4u;
  if (i0 >= total) { return; }
  let n0 = i0 / p.V;
  let n1 = min(n0 + 1u, p.N - 1u);
  let split = (n0 + 1u) * p.V; // elements from here belong to row n0 + 1
  let t0 = targets[n0];
  let t1 = targets[n1];
  let live0 = counted(t0);
  let live1 = counted(t1);
  let lse0 = vec4f(slse[n0]);
  let lse1 = vec4f(slse[n1]);
  let scale = dloss[0] * p.invCount;
  let off = p.eps / f32(p.V);
  let tv0 = vec4u(bitcast<u32>(t0) + n0 * p.V);
  let tv1 = vec4u(bitcast<u32>(t1) + split);
  let q1 = min(q0 + Q, (total + 3u) / 4u);
  for (var q = q0; q < q1; q++) {
    // component-wise as vector ops (a loop over the 4 components ran ~2× slower on SwiftShader)
    let e = vec4u(q * 4u) + vec4u(0u, 1u, 2u, 3u);
    let second = e >= vec4u(split);
    let live = select(vec4<bool>(live0), vec4<bool>(live1), second) & (e < vec4u(total));
    let hit = select(vec4f(0.0), vec4f(1.0), live & (e == select(tv0, tv1, second)));
    var g = select(vec4f(0.0), scale * (exp(logitsv[q] - select(lse0, lse1, second)) - (1.0 - p.eps) * hit - off), live);
    if (p.acc == 1u) { g += dlogitsv[q]; }
    dlogitsv[q] = g;
  }
}
