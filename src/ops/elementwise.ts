// Elementwise ops: add (with suffix broadcasting), dropout (seeded counter-based mask),
// scale. Forward and backward side by side. Leaves out: general NumPy broadcasting.
import elemWgsl from '../../shaders/elementwise.wgsl';
import type { Gpu } from '../gpu/device.js';
import { Tensor, makeNode, gradTarget, shapeStr } from '../autograd/tensor.js';
import { encodeColSum } from './matmul.js';

import { dropThreshold } from './attention.js';

// GPT-2's GELU (tanh approximation) lives with the other activations in ./unary.ts
export { gelu } from './unary.js';

type Entry = 'add' | 'copy' | 'dropout';
type Uniforms = { nb?: number; acc?: 0 | 1; seed?: number; offset?: number; thr?: number; scale?: number };

function run(gpu: Gpu, entry: Entry, bufs: Record<string, GPUBuffer>, n: number, o: Uniforms = {}): void {
  const k = gpu.kernel({ shader: elemWgsl, entry });
  const params = { n, nb: o.nb ?? 1, acc: o.acc ?? 0, seed: o.seed ?? 0, offset: o.offset ?? 0, thr: o.thr ?? 0, scale: o.scale ?? 1 };
  gpu.dispatch(k, { buffers: bufs, params, workgroups: gpu.grid(n, 64) });
}

/** Pushes `g` (n elements) into x's gradient: copy or accumulate. */
function passGrad(gpu: Gpu, x: Tensor, g: GPUBuffer, scale = 1): void {
  const t = gradTarget(x);
  if (t) run(gpu, 'copy', { a: g, out: t.t.buffer }, x.size, { acc: t.acc, scale });
}

/** a + b, where b has a's shape or a suffix of it (broadcast over the leading dims). */
export function add(a: Tensor, b: Tensor): Tensor {
  const gpu = a.gpu;
  const k = b.shape.length;
  const suffix = a.shape.slice(a.shape.length - k);
  if (k > a.shape.length || suffix.join(',') !== b.shape.join(',')) {
    throw new Error(`add: shape mismatch: ${shapeStr(a.shape)} and ${shapeStr(b.shape)} (b must equal a's shape or its trailing dims)`);
  }
  const out = Tensor.empty(gpu, [...a.shape], 'add');
  run(gpu, 'add', { a: a.buffer, b: b.buffer, out: out.buffer }, a.size, { nb: b.size });
  return makeNode(out, [a, b], (o) => {
    // backward of `out = a + b[i % nb]`: da = dy; db = Σ over the broadcast rows of dy
    const dy = o.grad!.buffer;
    passGrad(gpu, a, dy);
    const gb = gradTarget(b);
    if (gb) {
      if (b.size === a.size) run(gpu, 'copy', { a: dy, out: gb.t.buffer }, b.size, { acc: gb.acc });
      else encodeColSum(gpu, dy, gb.t.buffer, a.size / b.size, b.size, gb.acc);
    }
  });
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

/** s·x. */
export function scale(x: Tensor, s: number): Tensor {
  const gpu = x.gpu;
  const out = Tensor.empty(gpu, [...x.shape], 'scale');
  run(gpu, 'copy', { a: x.buffer, out: out.buffer }, x.size, { scale: s });
  return makeNode(out, [x], (o) => passGrad(gpu, x, o.grad!.buffer, s));
}

/** out (=|+=) src, n elements: used by ops that forward a gradient untouched. */
export function encodeCopy(gpu: Gpu, src: GPUBuffer, dst: GPUBuffer, n: number, acc: 0 | 1): void {
  run(gpu, 'copy', { a: src, out: dst }, n, { acc });
}
