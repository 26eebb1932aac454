// Embedding kernels. Flat index i = gid.x + gid.y·nwg.x·64 (see Gpu.grid); every index is bounds-checked.
//  gather:   out (R, C) = W[ids[r], :]            bindings p{R, C, V}, ids (read, R i32), W (read, V·C), out (write =)
//  gather_add: out (R, C) = W[ids[r], :]·scale + P[pos0 + r mod T, :]   token rows (× scale when scale ≠ 1) plus
//            position rows in one dispatch: the same numbers as gather, (scale,) gather of positions, add.
//            bindings ga{R, C, V, T, pos0, NP, scale}, ids (read), W (read, V·C), P (read, NP·C), out (write =)
//  scatter:  Wgrad (V, C) += coef·Σ_{r: ids[r]=u} dy[r, :]   deterministic, no atomics: the host groups positions by id
//            into csr = [uniq (U) | offsets (U+1) | positions (R)]; one invocation owns each (u, c) and sums
//            its positions in order (each term × coef: exact when coef = 1). bindings q{U, C, V, R, coef}, csr (read),
//            dy (read, R·C), Wgrad (accumulate +=)
//  scatter2: scatter for two tables in one dispatch (token + position rows of gather_add): ids in one CSR, the second
//            table's ids offset by V (so they sort after every token id); id < V: Wgrad[id] += coef·Σ,
//            else Pgrad[id − V] += Σ (coef 1). bindings q2{U, C, V, V2, R, coef}, csr, dy, Wgrad, Pgrad (+=)
//  gather_add4, scatter2_4: gather_add and scatter2 with four adjacent channels per invocation through vec4 views
//            (W4, P4, out4, dy4, Wgrad4, Pgrad4; C a multiple of 4, the host's choice): each channel's value and sum as
//            the scalar entries make it (the same bits), a quarter of the invocations and load instructions
//            (SwiftShader pays per invocation and per load instruction: docs/perf.md, issue #26)
//  onehot:   oh (R, V) = (v == ids[r]) ? 1 : 0      bindings o{R, V}, ids (read), oh (write =)
//  sinusoid: pe (T, C): pe[t, 2i] = sin(t / 10000^(2i/C)), pe[t, 2i+1] = cos(t / 10000^(2i/C))   bindings s{T, C}, pe (write =)
struct GatherP { R: u32, C: u32, V: u32 }
@group(0) @binding(0) var<uniform> p: GatherP;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var<storage, read> W: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

//!include prelude

@compute @workgroup_size(64)
fn gather(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= p.R * p.C) { return; }
  let r = i / p.C;
  let c = i % p.C;
  let id = u32(ids[r]);
  if (id >= p.V) { out[i] = 0.0; return; } // ids are validated on the host; never read outside W
  out[i] = W[id * p.C + c];
}

struct GatherAddP { R: u32, C: u32, V: u32, T: u32, pos0: u32, NP: u32, scale: f32 }
@group(0) @binding(0) var<uniform> ga: GatherAddP;
@group(0) @binding(4) var<storage, read> P: array<f32>;

@compute @workgroup_size(64)
fn gather_add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= ga.R * ga.C) { return; }
  let r = i / ga.C;
  let c = i % ga.C;
  let id = u32(ids[r]);
  let pos = ga.pos0 + r % ga.T;
  if (id >= ga.V || pos >= ga.NP) { out[i] = 0.0; return; } // validated on the host; never read outside W or P
  var t = W[id * ga.C + c];
  if (ga.scale != 1.0) { t = t * ga.scale; }
  out[i] = t + P[pos * ga.C + c];
}

struct ScatterP { U: u32, C: u32, V: u32, R: u32, coef: f32 }
@group(0) @binding(0) var<uniform> q: ScatterP;
@group(0) @binding(1) var<storage, read> csr: array<i32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> Wgrad: array<f32>;

@compute @workgroup_size(64)
fn scatter(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= q.U * q.C) { return; }
  let u = i / q.C;
  let c = i % q.C;
  let id = u32(csr[u]);
  let start = u32(csr[q.U + u]);
  let end = u32(csr[q.U + u + 1u]);
  if (id >= q.V || end > q.R) { return; }
  // backward of gather's `out[i] = W[id·C + c]`: the sum over this id's positions, in ascending order
  var s = 0.0;
  for (var k = start; k < end; k++) {
    let r = u32(csr[2u * q.U + 1u + k]);
    if (r >= q.R) { continue; } // positions come from the host grouping; never read outside dy
    if (q.coef == 1.0) { s += dy[r * q.C + c]; } else { s += dy[r * q.C + c] * q.coef; }
  }
  Wgrad[id * q.C + c] += s;
}

struct Scatter2P { U: u32, C: u32, V: u32, V2: u32, R: u32, coef: f32 }
@group(0) @binding(0) var<uniform> q2: Scatter2P;
@group(0) @binding(4) var<storage, read_write> Pgrad: array<f32>;

@compute @workgroup_size(64)
fn scatter2(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= q2.U * q2.C) { return; }
  let u = i / q2.C;
  let c = i % q2.C;
  let id = u32(csr[u]);
  let start = u32(csr[q2.U + u]);
  let end = u32(csr[q2.U + u + 1u]);
  if (id >= q2.V + q2.V2 || end > 2u * q2.R) { return; }
  let first = id < q2.V;
  var s = 0.0;
  for (var k = start; k < end; k++) {
    let r = u32(csr[2u * q2.U + 1u + k]);
    if (r >= q2.R) { continue; } // rows come from the host grouping; never read outside dy
    if (first && q2.coef != 1.0) { s += dy[r * q2.C + c] * q2.coef; } else { s += dy[r * q2.C + c]; }
  }
  if (first) { Wgrad[id * q2.C + c] += s; } else { Pgrad[(id - q2.V) * q2.C + c] += s; }
}

@group(0) @binding(5) var<storage, read> W4: array<vec4f>;
@group(0) @binding(6) var<storage, read> P4: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> out4: array<vec4f>;

@compute @workgroup_size(64)
fn gather_add4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  let C4 = ga.C / 4u;
  if (i >= ga.R * C4) { return; }
  let r = i / C4;
  let c = i % C4;
  let id = u32(ids[r]);
  let pos = ga.pos0 + r % ga.T;
  if (id >= ga.V || pos >= ga.NP) { out4[i] = vec4f(0.0); return; } // validated on the host; never read outside W or P
  var t = W4[id * C4 + c];
  if (ga.scale != 1.0) { t = t * ga.scale; }
  out4[i] = t + P4[pos * C4 + c];
}

@group(0) @binding(8) var<storage, read> dy4: array<vec4f>;
@group(0) @binding(9) var<storage, read_write> Wgrad4: array<vec4f>;
@group(0) @binding(10) var<storage, read_write> Pgrad4: array<vec4f>;

@compute @workgroup_size(64)
fn scatter2_4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  let C4 = q2.C / 4u;
  if (i >= q2.U * C4) { return; }
  let u = i / C4;
  let c = i % C4;
  let id = u32(csr[u]);
  let start = u32(csr[q2.U + u]);
  let end = u32(csr[q2.U + u + 1u]);
  if (id >= q2.V + q2.V2 || end > 2u * q2.R) { return; }
  let first = id < q2.V;
  var s = vec4f(0.0);
  for (var k = start; k < end; k++) {
    let r = u32(csr[2u * q2.U + 1u + k]);
    if (r >= q2.R) { continue; } // rows come from the host grouping; never read outside dy
    if (first && q2.coef != 1.0) { s += dy4[r * C4 + c] * q2.coef; } else { s += dy4[r * C4 + c]; }
  }
  if (first) { Wgrad4[id * C4 + c] += s; } else { Pgrad4[(id - q2.V) * C4 + c] += s; }
}

struct OneHotP { R: u32, V: u32 }
@group(0) @binding(0) var<uniform> o: OneHotP;
@group(0) @binding(2) var<storage, read_write> oh: array<f32>;

@compute @workgroup_size(64)
fn onehot(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= o.R * o.V) { return; }
  let r = i / o.V;
  let v = i % o.V;
  oh[i] = select(0.0, 1.0, i32(v) == ids[r]);
}

struct SinP { T: u32, C: u32, pos0: u32 }
@group(0) @binding(0) var<uniform> sp: SinP;
@group(0) @binding(1) var<storage, read_write> pe: array<f32>;

// sin and cos to ~1 ulp: Cody–Waite reduction by π/2 (3-part constant, exact for |k| < 2^12) and
// short Taylor polynomials on [−π/4, π/4]. The built-in sin/cos are only 2^-11-accurate (and worse
// outside [−π, π]) on some adapters, which is visible next to PyTorch's table.
fn sincos(x: f32) -> vec2<f32> {
  let k = round(x * 0.6366197723675814);
  let r = ((x - k * 1.5703125) - k * 4.837512969970703e-4) - k * 7.549789954891882e-8;
  let r2 = r * r;
  let s = r * (1.0 + r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 * (1.0 / 362880.0)))));
  let c = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 * (1.0 / 40320.0))));
  let q = i32(k) & 3;
  if (q == 0) { return vec2<f32>(s, c); }
  if (q == 1) { return vec2<f32>(c, -s); }
  if (q == 2) { return vec2<f32>(-s, -c); }
  return vec2<f32>(-c, s);
}

@compute @workgroup_size(64)
fn sinusoid(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= sp.T * sp.C) { return; }
  let t = f32(i / sp.C + sp.pos0);
  let c = i % sp.C;
  let two_i = f32(c - (c % 2u));
  // 1 / 10000^(2i/C) = 2^(−log2(10000)·2i/C)
  let angle = t * exp2(-13.287712379549449 * two_i / f32(sp.C));
  let sc = sincos(angle);
  pe[i] = select(sc.x, sc.y, (c % 2u) == 1u);
}
