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
//   SQRT_2_OVER_PI, INV_SQRT_2   GELU constants (tanh form: √(2/π); erf form: 1/√2)

const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
const INV_SQRT_2: f32 = 0.7071067811865476;

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
