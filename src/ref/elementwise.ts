// CPU references for the elementwise kernels (add with suffix broadcast, dropout): plain
// loops, test oracles only. Leaves out: any speed. (The embedding references live in ./embedding.ts.)
import { keepRef } from './attention.js';

// re-exported for callers that import every reference from here (the browser test page)
export { gatherRef, scatterRef, sinusoidRef } from './embedding.js';

/** a (n) + b (nb) broadcast over a's leading dims (nb divides n): out[i] = a[i] + b[i % nb]. */
export function addRef(a: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  return Float32Array.from(a, (v, i) => v + b[i % b.length]);
}

/** Backward of add for b: db (nb) = Σ over the n/nb broadcast rows of dy (n); f64 sums. */
export function addBwdBRef(dy: ArrayLike<number>, nb: number): Float32Array {
  const out = new Float64Array(nb);
  for (let i = 0; i < dy.length; i++) out[i % nb] += dy[i];
  return Float32Array.from(out);
}

// GPT-2's GELU (tanh) references live with the other activations in ./unary.ts
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
