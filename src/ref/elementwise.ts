// CPU reference for the dropout kernel (add and GELU are re-exported from their families): plain
// loops, test oracles only. Leaves out: any speed. (The embedding references live in ./embedding.ts.)
import { keepRef } from './random.js';

// re-exported for callers that import every reference from here (the browser test page)
export { gatherRef, scatterRef, sinusoidRef } from './embedding.js';

// add and GELU references live with their families in ./binary.ts and ./unary.ts
export { addRef, addBwdBRef } from './binary.js';
export { geluRef, geluBwdRef } from './unary.js';

/**
 * x (n) → x·keep(i)/(1−p) (n), keep(i) = hash(offset + i, seed) ≥ round(p·2³²) (the shared dropout
 * hash). Backward is the same function applied to dy. The product is taken in f32 as on the GPU.
 */
export function dropoutRef(x: ArrayLike<number>, p: number, seed: number, offset = 0): Float32Array {
  const thr = Math.min(0xffffffff, Math.round(p * 2 ** 32));
  const scale = Math.fround(1 / (1 - p));
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = keepRef((offset + i) >>> 0, seed >>> 0, thr) ? Math.fround(x[i]) * scale : 0;
  return out;
}
