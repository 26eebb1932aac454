// Recurrent layers, PyTorch semantics (nn.RNN tanh, nn.LSTM, nn.GRU): ONE fused dispatch per time step
// forward (h·W_hhᵀ + b_hh + the precomputed x·W_ihᵀ + b_ih, nonlinearities, c and h) and ONE backward, both
// directions of a bidirectional layer in the same dispatch. The cell is the override CELL (src/ops/rnn.ts's
// cell table RNN_CELLS gives it):
//   CELL = 0: Elman RNN, h' = tanh(a).
//   CELL = 1: LSTM, row blocks of a = (i, f, g, o): σ, σ, tanh, σ; c' = f⊙c + i⊙g, h' = o⊙tanh(c').
//   CELL = 2: GRU, row blocks (r, z, n): r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r⊙h_n),
//             h' = (1 − z)⊙n + z⊙h, where x_· = W_i· x + b_i· and h_· = W_h· h + b_h· (b_hn stays inside r⊙…).
// Shapes in f32 elements. R = L·N rows in the input's own row order, row(t, n) = t·sT + n·sN; G = H (RNN),
// 4H (LSTM) or 3H (GRU); direction d processes time t = s (d = 0) or L−1−s (d = 1) at step s.
//   xg  (D, R, G)   step_fwd: pre-activations x·W_ihᵀ + b_ih in, activations out (overwritten in place, =)
//   wt  (D, H, G) = W_hhᵀ per direction (step_fwd; pack_t writes it), whh (D, G, H) = W_hh (backward)
//   bhh (D, G)   lens (N) u32: sequence n has valid times [0, lens[n])
//   st  = hp (D, R, H) then cp (D, R, H): hp the h *before* time t (step s writes the next step's row, =);
//         cp the LSTM's c before time t, or the GRU's h_n = W_hn h + b_hn at time t (backward needs it for dr)
//   out (R, D·H) = ;  hn, cn (layers·D, N, H): this layer's block at oHn, written at the last step (=)
//   Padded times (t ≥ lens[n]) carry the state through unchanged and output 0 (packed-sequence semantics).
// Backward (step_bwd, s = L−1 … 0): dg (D, R, G) gradient of the hidden-side pre-activations h·W_hhᵀ + b_hh
//   (=; 0 at padded times); GRU only: dgx (D, R, G) the input side's (its n block is dg's without the ⊙r;
//   the other cells' input and hidden sides are equal, so they use dg for both).
//   carry (2, D, N, H) = (dh, dc) flowing back through time (read/written in place by its own invocation); the
//   GRU keeps in the dc slot the direct path dh'⊙z of h' = … + z⊙h instead. The gradient of the state after time
//   t is the next step's dg·W_hh (+ that direct path) or the carried dh across padded steps / dh_n at the end,
//   plus dout[t] (gout, (R, D·H)). state_grad then writes dh0 / dc0 (=|+= by acc).
// One invocation per (d, n, j), i = gid.x + gid.y·nwg.x·64 over D·N·H; every index bounds-checked.
override CELL: u32 = 1u;

struct P {
  s: u32, L: u32, N: u32, H: u32, D: u32, sT: u32, sN: u32, G: u32,
  oHn: u32, oH0: u32, hasH0: u32, hasC0: u32, acc: u32,
}
@group(0) @binding(0) var<uniform> u: P;
@group(0) @binding(1) var<storage, read_write> xg: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
@group(0) @binding(3) var<storage, read> bhh: array<f32>;
@group(0) @binding(4) var<storage, read_write> st: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read_write> hn: array<f32>;
@group(0) @binding(7) var<storage, read_write> cn: array<f32>;
@group(0) @binding(8) var<storage, read> lens: array<u32>;

fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 { return gid.x + gid.y * nwg.x * 64u; }

// tanh through exp with the argument clamped: |z| > 10 is ±1 to f32 precision (SwiftShader's tanh is not
// safe for large arguments); σ likewise
fn tanh_s(z: f32) -> f32 {
  let e = exp(2.0 * clamp(z, -10.0, 10.0));
  return (e - 1.0) / (e + 1.0);
}
fn sigm(z: f32) -> f32 { return 1.0 / (1.0 + exp(-clamp(z, -30.0, 30.0))); }

fn time_of(d: u32, s: u32) -> u32 { return select(u.L - 1u - s, s, d == 0u); }
fn row(t: u32, n: u32) -> u32 { return t * u.sT + n * u.sN; }
// st = (hp, cp): the h and c rows (D, R, H) each; cp starts after hp
fn cpo() -> u32 { return u.D * u.L * u.N * u.H; }

// hp/cp rows of the first step of each direction ← h0/c0 (or 0). h0, c0 are (layers·D, N, H); this layer's
// block starts at oH0.
@group(0) @binding(2) var<storage, read> h0: array<f32>;
@group(0) @binding(3) var<storage, read> c0: array<f32>;
@compute @workgroup_size(64)
fn state_init(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= u.D * u.N * u.H) { return; }
  let j = i % u.H;
  let n = (i / u.H) % u.N;
  let d = i / (u.H * u.N);
  let dst = (d * u.L * u.N + row(time_of(d, 0u), n)) * u.H + j;
  var h = 0.0;
  if (u.hasH0 == 1u) { h = h0[u.oH0 + i]; }
  st[dst] = h;
  if (CELL == 1u) {
    var c = 0.0;
    if (u.hasC0 == 1u) { c = c0[u.oH0 + i]; }
    st[cpo() + dst] = c;
  }
}

// b_hh + x·W_ihᵀ + b_ih (from xg) for unit j of (d, row r): the pre-activations before the recurrent term.
// GRU: (x_r + b_hr, x_z + b_hz, x_n, b_hn): the recurrent sums go to .x, .y and .w (h_n = W_hn h + b_hn is kept
// apart from x_n because r scales it)
fn pre_act(d: u32, r: u32, j: u32) -> vec4<f32> {
  let gb = (d * u.L * u.N + r) * u.G;
  let H = u.H;
  var a = vec4<f32>(xg[gb + j] + bhh[d * u.G + j], 0.0, 0.0, 0.0);
  if (CELL == 1u) {
    a.y = xg[gb + H + j] + bhh[d * u.G + H + j];
    a.z = xg[gb + 2u * H + j] + bhh[d * u.G + 2u * H + j];
    a.w = xg[gb + 3u * H + j] + bhh[d * u.G + 3u * H + j];
  } else if (CELL == 2u) {
    a.y = xg[gb + H + j] + bhh[d * u.G + H + j];
    a.z = xg[gb + 2u * H + j];
    a.w = bhh[d * u.G + 2u * H + j];
  }
  return a;
}

// the cell update of unit j of (d, n) at step u.s, given its full pre-activations a (rows i, f, g, o; RNN: a.x;
// GRU: (r, z, x_n, h_n) as pre_act + the recurrent sums)
fn fwd_unit(d: u32, n: u32, j: u32, a: vec4<f32>) {
  let H = u.H;
  let t = time_of(d, u.s);
  let R = u.L * u.N;
  let r = row(t, n);
  let sb = (d * R + r) * H;
  let valid = t < lens[n];
  var hnew = st[sb + j];
  var cnew = 0.0;
  if (CELL == 1u) { cnew = st[cpo() + sb + j]; }
  if (valid) {
    let gb = (d * R + r) * u.G;
    if (CELL == 1u) {
      let ig = sigm(a.x);
      let fg = sigm(a.y);
      let gg = tanh_s(a.z);
      let og = sigm(a.w);
      cnew = fg * cnew + ig * gg;
      hnew = og * tanh_s(cnew);
      xg[gb + j] = ig;
      xg[gb + H + j] = fg;
      xg[gb + 2u * H + j] = gg;
      xg[gb + 3u * H + j] = og;
    } else if (CELL == 2u) {
      let rg = sigm(a.x);
      let zg = sigm(a.y);
      let ng = tanh_s(a.z + rg * a.w);
      hnew = (1.0 - zg) * ng + zg * hnew;
      xg[gb + j] = rg;
      xg[gb + H + j] = zg;
      xg[gb + 2u * H + j] = ng;
      st[cpo() + sb + j] = a.w;
    } else {
      hnew = tanh_s(a.x);
      xg[gb + j] = hnew;
    }
  }
  out[r * u.D * H + d * H + j] = select(0.0, hnew, valid);
  if (u.s + 1u < u.L) {
    let nb = (d * R + row(time_of(d, u.s + 1u), n)) * H + j;
    st[nb] = hnew;
    if (CELL == 1u) { st[cpo() + nb] = cnew; }
  } else {
    let i = (d * u.N + n) * H + j;
    hn[u.oHn + i] = hnew;
    if (CELL == 1u) { cn[u.oHn + i] = cnew; }
  }
}

// One invocation per unit (d, n, j). a = pre_act + h·W_hhᵀ with W_hhᵀ (H, G): neighbouring invocations (j) read
// neighbouring weights, one pass over h for all gates.
@compute @workgroup_size(64)
fn step_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= u.D * u.N * u.H) { return; }
  let H = u.H;
  let G = u.G;
  let j = i % H;
  let n = (i / H) % u.N;
  let d = i / (H * u.N);
  let t = time_of(d, u.s);
  let r = row(t, n);
  var a = vec4<f32>(0.0);
  if (t < lens[n]) {
    a = pre_act(d, r, j);
    let sb = (d * u.L * u.N + r) * H;
    var w = d * H * G + j;
    if (CELL == 1u) {
      for (var k = 0u; k < H; k++) {
        a += st[sb + k] * vec4<f32>(wt[w], wt[w + H], wt[w + 2u * H], wt[w + 3u * H]);
        w += G;
      }
    } else if (CELL == 2u) {
      for (var k = 0u; k < H; k++) {
        a += st[sb + k] * vec4<f32>(wt[w], wt[w + H], 0.0, wt[w + 2u * H]);
        w += G;
      }
    } else {
      for (var k = 0u; k < H; k++) {
        a.x += st[sb + k] * wt[w];
        w += G;
      }
    }
  }
  fwd_unit(d, n, j, a);
}

// step_fwd for H % 4 = 0: one invocation per 4 neighbouring units (d, n, j…j+3), vec4 loads of W_hhᵀ rows
// (4 weight loads per 16 multiply-adds instead of 5 per 4)
@group(0) @binding(2) var<storage, read> wt4: array<vec4<f32>>;
@compute @workgroup_size(64)
fn step_fwd4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  let H4 = u.H / 4u;
  if (i >= u.D * u.N * H4) { return; }
  let H = u.H;
  let G = u.G;
  let j = (i % H4) * 4u;
  let n = (i / H4) % u.N;
  let d = i / (H4 * u.N);
  let t = time_of(d, u.s);
  let r = row(t, n);
  var ai = vec4<f32>(0.0);
  var af = vec4<f32>(0.0);
  var ag = vec4<f32>(0.0);
  var ao = vec4<f32>(0.0);
  if (t < lens[n]) {
    let sb = (d * u.L * u.N + r) * H;
    var w = (d * H * G + j) / 4u; // vec4 index of W_hhᵀ[k, q·H + j]
    let G4 = G / 4u;
    if (CELL == 1u) {
      for (var k = 0u; k < H; k++) {
        let hk = st[sb + k];
        ai += hk * wt4[w];
        af += hk * wt4[w + H4];
        ag += hk * wt4[w + 2u * H4];
        ao += hk * wt4[w + 3u * H4];
        w += G4;
      }
    } else if (CELL == 2u) {
      for (var k = 0u; k < H; k++) {
        let hk = st[sb + k];
        ai += hk * wt4[w];
        af += hk * wt4[w + H4];
        ao += hk * wt4[w + 2u * H4];
        w += G4;
      }
    } else {
      for (var k = 0u; k < H; k++) {
        ai += st[sb + k] * wt4[w];
        w += G4;
      }
    }
  }
  // (GRU: ag stays 0: x_n gets no recurrent term, h_n's went to ao)
  for (var m = 0u; m < 4u; m++) {
    var a = vec4<f32>(0.0);
    if (t < lens[n]) { a = pre_act(d, r, j + m) + vec4<f32>(ai[m], af[m], ag[m], ao[m]); }
    fwd_unit(d, n, j + m, a);
  }
}

// ---- backward ----------------------------------------------------------------------------------------
@group(0) @binding(1) var<storage, read> acts: array<f32>;
@group(0) @binding(2) var<storage, read> whh: array<f32>;
@group(0) @binding(3) var<storage, read_write> dg: array<f32>;
@group(0) @binding(4) var<storage, read> sts: array<f32>;
@group(0) @binding(5) var<storage, read_write> carry: array<f32>;
@group(0) @binding(6) var<storage, read> gout: array<f32>;
@group(0) @binding(7) var<storage, read_write> dgx: array<f32>;

// Σ_g dg[d, rr, g]·W_hh[d, g, j]: the gradient reaching the state before time row rr through W_hh
fn dh_through(d: u32, rr: u32, j: u32) -> f32 {
  let gb = (d * u.L * u.N + rr) * u.G;
  let wb = d * u.G * u.H;
  var s = 0.0;
  for (var g = 0u; g < u.G; g++) { s += dg[gb + g] * whh[wb + g * u.H + j]; }
  return s;
}

// backward of the cell update of unit j of (d, n) at step u.s, given gin = the gradient of the state after it
fn bwd_unit(d: u32, n: u32, j: u32, gin: f32) {
  let H = u.H;
  let G = u.G;
  let DNH = u.D * u.N * H;
  let i = (d * u.N + n) * H + j;
  let t = time_of(d, u.s);
  let r = row(t, n);
  let gb = (d * u.L * u.N + r) * G;
  if (t >= lens[n]) {
    carry[i] = gin;
    for (var q = 0u; q < G / H; q++) { dg[gb + q * H + j] = 0.0; }
    if (CELL == 2u) { for (var q = 0u; q < 3u; q++) { dgx[gb + q * H + j] = 0.0; } }
    return;
  }
  let dh = gin + gout[r * u.D * H + d * H + j];
  if (CELL == 1u) {
    let ig = acts[gb + j];
    let fg = acts[gb + H + j];
    let gg = acts[gb + 2u * H + j];
    let og = acts[gb + 3u * H + j];
    let cprev = sts[cpo() + (d * u.L * u.N + r) * H + j];
    let c = fg * cprev + ig * gg;
    let tc = tanh_s(c);
    // h' = o·tanh(c'): do = dh·tanh(c'), dc' = (carried dc') + dh·o·(1 − tanh²(c'))
    let dc = carry[DNH + i] + dh * og * (1.0 - tc * tc);
    // c' = f·c + i·g: di = dc'·g, df = dc'·c, dg = dc'·i, dc = dc'·f; then through σ' and tanh'
    carry[DNH + i] = dc * fg;
    dg[gb + j] = dc * gg * ig * (1.0 - ig);
    dg[gb + H + j] = dc * cprev * fg * (1.0 - fg);
    dg[gb + 2u * H + j] = dc * ig * (1.0 - gg * gg);
    dg[gb + 3u * H + j] = dh * tc * og * (1.0 - og);
  } else if (CELL == 2u) {
    let rg = acts[gb + j];
    let zg = acts[gb + H + j];
    let ng = acts[gb + 2u * H + j];
    let sb = (d * u.L * u.N + r) * H + j;
    let hprev = sts[sb];
    let hng = sts[cpo() + sb];
    // h' = (1 − z)·n + z·h: dn = dh·(1 − z), dz = dh·(h − n), and dh·z straight to the previous state (carried)
    // n = tanh(x_n + r·h_n): dx_n = dn·(1 − n²), dh_n = dx_n·r, dr = dx_n·h_n; then through σ'
    let dxn = dh * (1.0 - zg) * (1.0 - ng * ng);
    let dr = dxn * hng * rg * (1.0 - rg);
    let dz = dh * (hprev - ng) * zg * (1.0 - zg);
    carry[DNH + i] = dh * zg;
    dg[gb + j] = dr;
    dg[gb + H + j] = dz;
    dg[gb + 2u * H + j] = dxn * rg;
    dgx[gb + j] = dr;
    dgx[gb + H + j] = dz;
    dgx[gb + 2u * H + j] = dxn;
  } else {
    // h' = tanh(a): da = dh·(1 − h'²)
    let h = acts[gb + j];
    dg[gb + j] = dh * (1.0 - h * h);
  }
}

// backward of step_fwd at step s (run for s = L−1 down to 0). The gradient of the state after this step comes
// through the next step's W_hh (+ the GRU's direct z path) if that step was a real one, else it is the carried
// gradient (the state passed a padded step unchanged, or this is the last step: dh_n).
@compute @workgroup_size(64)
fn step_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= u.D * u.N * u.H) { return; }
  let H = u.H;
  let j = i % H;
  let n = (i / H) % u.N;
  let d = i / (H * u.N);
  var gin = carry[i];
  if (u.s + 1u < u.L) {
    let t2 = time_of(d, u.s + 1u);
    if (t2 < lens[n]) {
      gin = dh_through(d, row(t2, n), j);
      if (CELL == 2u) { gin += carry[u.D * u.N * H + i]; }
    }
  }
  bwd_unit(d, n, j, gin);
}

// step_bwd for H % 4 = 0: one invocation per 4 neighbouring units, vec4 loads of W_hh rows
@group(0) @binding(2) var<storage, read> whh4: array<vec4<f32>>;
@compute @workgroup_size(64)
fn step_bwd4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  let H4 = u.H / 4u;
  if (i >= u.D * u.N * H4) { return; }
  let H = u.H;
  let j = (i % H4) * 4u;
  let n = (i / H4) % u.N;
  let d = i / (H4 * u.N);
  let i0 = (d * u.N + n) * H + j;
  var gin = vec4<f32>(carry[i0], carry[i0 + 1u], carry[i0 + 2u], carry[i0 + 3u]);
  if (u.s + 1u < u.L) {
    let t2 = time_of(d, u.s + 1u);
    if (t2 < lens[n]) {
      let gb = (d * u.L * u.N + row(t2, n)) * u.G;
      var w = (d * u.G * H + j) / 4u; // vec4 index of W_hh[g, j]
      gin = vec4<f32>(0.0);
      for (var g = 0u; g < u.G; g++) {
        gin += dg[gb + g] * whh4[w];
        w += H4;
      }
      if (CELL == 2u) {
        let cz = u.D * u.N * H + i0;
        gin += vec4<f32>(carry[cz], carry[cz + 1u], carry[cz + 2u], carry[cz + 3u]);
      }
    }
  }
  for (var m = 0u; m < 4u; m++) { bwd_unit(d, n, j + m, gin[m]); }
}

// dh0 / dc0 (=|+= by acc) at oH0 + (d·N + n)·H + j, after step_bwd has run for s = 0: the gradient of the
// state before the first step (through W_hh, + the GRU's direct z path, if that step was real, else carried
// through the padding)
@group(0) @binding(1) var<storage, read_write> gh0: array<f32>;
@group(0) @binding(6) var<storage, read_write> gc0: array<f32>;
@compute @workgroup_size(64)
fn state_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  let DNH = u.D * u.N * u.H;
  if (i >= DNH) { return; }
  let H = u.H;
  let j = i % H;
  let n = (i / H) % u.N;
  let d = i / (H * u.N);
  let t0 = time_of(d, 0u);
  var g = carry[i];
  if (t0 < lens[n]) {
    g = dh_through(d, row(t0, n), j);
    if (CELL == 2u) { g += carry[DNH + i]; }
  }
  if (u.hasH0 == 1u) {
    if (u.acc == 1u) { g += gh0[u.oH0 + i]; }
    gh0[u.oH0 + i] = g;
  }
  if (CELL == 1u && u.hasC0 == 1u) {
    var c = carry[DNH + i];
    if (u.acc == 1u) { c += gc0[u.oH0 + i]; }
    gc0[u.oH0 + i] = c;
  }
}

// Bias gradients: db_ih[g] (=|+= by accA) Σ_r dgs[oIn + r·G + g] (the input side's gate gradients) and db_hh
// (=|+= by accB) Σ_r dgs2[…] (the hidden side's: the same buffer except for the GRU), rows in order
// (deterministic). One invocation per g.
struct Pb { R: u32, G: u32, oIn: u32, accA: u32, accB: u32 }
@group(0) @binding(0) var<uniform> ub: Pb;
@group(0) @binding(1) var<storage, read> dgs: array<f32>;
@group(0) @binding(2) var<storage, read_write> gba: array<f32>;
@group(0) @binding(3) var<storage, read_write> gbb: array<f32>;
@group(0) @binding(4) var<storage, read> dgs2: array<f32>;
@compute @workgroup_size(64)
fn bias_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = flat(gid, nwg);
  if (g >= ub.G) { return; }
  var s = 0.0;
  var s2 = 0.0;
  for (var r = 0u; r < ub.R; r++) {
    s += dgs[ub.oIn + r * ub.G + g];
    s2 += dgs2[ub.oIn + r * ub.G + g];
  }
  gba[g] = select(s, s + gba[g], ub.accA == 1u);
  gbb[g] = select(s2, s2 + gbb[g], ub.accB == 1u);
}

// W_hhᵀ for step_fwd: wtp[oT + k·G + g] = w[g·H + k] for one direction's W_hh (G, H). One invocation per element.
struct Pt { G: u32, H: u32, oT: u32 }
@group(0) @binding(0) var<uniform> ut: Pt;
@group(0) @binding(1) var<storage, read> wsrc: array<f32>;
@group(0) @binding(2) var<storage, read_write> wtp: array<f32>;
@compute @workgroup_size(64)
fn pack_t(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= ut.G * ut.H) { return; }
  let g = i / ut.H;
  let k = i % ut.H;
  wtp[ut.oT + k * ut.G + g] = wsrc[i];
}
