// The shared WGSL prelude: helpers several kernel families need bit-identical. A shader asks for it
// with a line `//!include prelude` (src/gpu/kernel.ts splices it in; compile errors still name
// this file and line). Leaves out: anything with bindings or entry points (a prelude only declares).
//
//   neg_inf()            −inf as a runtime value (a const-expression may not be infinite in WGSL)
//   pcg(v)               PCG hash (Jarzynski & Olano 2020), a bijection on u32
//   keep_hash(c, seed)   counter-based dropout hash: element c is kept iff keep_hash(c, seed) ≥ thr,
//                        thr = round(p·2³²) (src/ops/random.ts dropThreshold); same (c, seed) → same
//                        answer, so backward recomputes the mask. The seed enters twice (shifted
//                        counter, then xor between two rounds), so two seeds' masks are not shifts of
//                        each other. Attention dropout and elementwise dropout use this one function.
//   key_end(i, q0, Tk)   the causal window, the one place it is written: query i sits at position q0 + i
//   query_start(j, q0)   and sees keys j < key_end(i) = min(Tk, q0 + i + 1) (q0 ≥ Tk: no limit, every
//                        key); seen from key j, the queries i ≥ query_start(j) = max(0, j − q0) see it
//   GELU_K, SQRT1_2, INV_SQRT_2PI   GELU constants: √(2/π) (tanh form), 1/√2 and 1/√(2π) (erf form)
//   tanh_exp(z)          tanh as (e − 1)/(e + 1), e = exp(2z), z clamped to ±10 (±1 to f32 precision)
//   gelu_tanh(v)         GPT-2's GELU, 0.5·v·(1 + tanh(√(2/π)(v + 0.044715v³))): the one formula the unary op and the
//                        matmul epilogues share, so a fused linear+GELU gives the bits of linear then gelu
//   GRID_WG, flat_index(gid, nwg)   a 1-D kernel of GRID_WG invocations per workgroup spread over x and y by the host
//                        (Gpu.grid, src/gpu/device.ts, whose default workgroup size is the same 64: kernel.ts GRID_WG);
//                        flat_index is the invocation's flat index (bounds-check it)

const GELU_K: f32 = 0.7978845608028654; // √(2/π)
const SQRT1_2: f32 = 0.7071067811865476; // 1/√2
const INV_SQRT_2PI: f32 = 0.3989422804014327; // 1/√(2π)
const GRID_WG: u32 = 64u;

fn flat_index(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * GRID_WG;
}

fn tanh_exp(z: f32) -> f32 {
  let zc = clamp(z, -10.0, 10.0);
  let e = exp(2.0 * zc);
  return (e - 1.0) / (e + 1.0);
}

fn gelu_tanh(v: f32) -> f32 {
  return 0.5 * v * (1.0 + tanh_exp(GELU_K * (v + 0.044715 * v * v * v)));
}

fn neg_inf() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn keep_hash(counter: u32, seed: u32) -> u32 {
  return pcg(pcg(counter + pcg(seed)) ^ seed);
}

fn key_end(i: u32, q0: u32, Tk: u32) -> u32 {
  return min(Tk, q0 + i + 1u);
}

fn query_start(j: u32, q0: u32) -> u32 {
  return select(0u, j - q0, j > q0);
}
