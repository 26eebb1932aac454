// Elementwise kernels over n elements. Flat index i = gid.x + gid.y·nwg.x·64 (see Gpu.grid), bounds-checked.
// All take u{n, acc, seed, offset, thr, scale}; unused fields are ignored. Bindings: a (read),
// out (read_write); every entry writes out[0..n).
//  copy:         out (=|+=) scale·a                      (acc: 0 write, 1 accumulate)
//  dropout:      out (=|+=) a·keep(i)·scale              keep(i) = hash(offset + i, seed) ≥ thr, thr = round(p·2³²),
//                scale = 1/(1−p) (acc)                    the same mask forward and backward (recomputed, not stored)
struct P { n: u32, acc: u32, seed: u32, offset: u32, thr: u32, scale: f32 }
@group(0) @binding(0) var<uniform> u: P;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;


fn put(i: u32, v: f32) {
  if (u.acc == 1u) { out[i] = out[i] + v; } else { out[i] = v; }
}

@compute @workgroup_size(64)
fn copy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= u.n) { return; }
  put(i, u.scale * a[i]);
}

// Dropout's hash: keep_hash (PCG, stateless) from the prelude, the same function as attention dropout,
// so the mask is a pure function of (seed, counter), identical on every run and recomputed by backward.
// The counter is offset + i (mod 2³²): a tensor dropped in chunks with matching offsets gets the whole
// tensor's mask.
//!include prelude

@compute @workgroup_size(64)
fn dropout(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= u.n) { return; }
  let kept = keep_hash(u.offset + i, u.seed) >= u.thr;
  // forward: out = x·mask·scale; backward of that line: dx = dy·mask·scale (a holds dy then)
  put(i, select(0.0, a[i] * u.scale, kept));
}
