// Elementwise ops: dropout (seeded counter-based mask) and the gradient copy. Forward and backward side
// by side. add/sub/mul/scale live in ./binary.ts, the activations in ./unary.ts (re-exported here for
// existing callers). Leaves out: a stored dropout mask (backward recomputes it from the hash).
import elemWgsl from '../../shaders/elementwise.wgsl';
import type { Gpu } from '../gpu/device.js';
import { Tensor, makeNode, gradTarget } from '../autograd/tensor.js';

import { dropThreshold } from './random.js';

export { gelu } from './unary.js';
export { add, scale } from './binary.js';

type Entry = 'copy' | 'dropout';
type Uniforms = { acc?: 0 | 1; seed?: number; offset?: number; thr?: number; scale?: number };

function run(gpu: Gpu, entry: Entry, bufs: Record<string, GPUBuffer>, n: number, o: Uniforms = {}): void {
  const k = gpu.kernel({ shader: elemWgsl, entry });
  const params = { n, acc: o.acc ?? 0, seed: o.seed ?? 0, offset: o.offset ?? 0, thr: o.thr ?? 0, scale: o.scale ?? 1 };
  gpu.dispatch(k, { buffers: bufs, params, workgroups: gpu.grid(n, 64) });
}

/**
 * Inverted dropout: keeps each element with probability 1 − p and scales it by 1/(1 − p). Element i is
 * kept iff hash(offset + i, seed) ≥ round(p·2³²) (the attention dropout's rule): identical masks for
 * identical (seed, offset), recomputed (not stored) for backward. p = 0 returns x itself (no kernel).
 * seed: any integer (taken mod 2³²); offset: counter start, an integer in [0, 2³²).
 */
export function dropout(x: Tensor, p: number, seed: number, offset = 0): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  if (!Number.isInteger(seed)) throw new Error(`dropout: seed must be an integer, got ${seed}`);
  if (!Number.isInteger(offset) || offset < 0 || offset >= 2 ** 32) throw new Error(`dropout: offset must be an integer in [0, 2^32), got ${offset}`);
  if (p === 0) return x;
  const gpu = x.gpu;
  const mask = { seed: seed >>> 0, offset, thr: dropThreshold(p), scale: 1 / (1 - p) };
  const out = Tensor.empty(gpu, [...x.shape], 'dropout');
  run(gpu, 'dropout', { a: x.buffer, out: out.buffer }, x.size, mask);
  return makeNode(out, [x], (o) => {
    // backward of `out = x·mask/(1−p)`: dx = dy·mask/(1−p), the same mask
    const t = gradTarget(x);
    if (t) run(gpu, 'dropout', { a: o.grad!.buffer, out: t.t.buffer }, x.size, { ...mask, acc: t.acc });
  });
}

/** out (=|+=) src, n elements: used by ops that forward a gradient untouched. */
export function encodeCopy(gpu: Gpu, src: GPUBuffer, dst: GPUBuffer, n: number, acc: 0 | 1): void {
  run(gpu, 'copy', { a: src, out: dst }, n, { acc });
}
