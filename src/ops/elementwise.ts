// Elementwise ops: add (with suffix broadcasting), GELU (tanh), dropout (seeded counter-based mask),
// scale. Forward and backward side by side. Leaves out: general NumPy broadcasting.
import elemWgsl from '../../shaders/elementwise.wgsl';
import type { Gpu } from '../gpu/device.js';
import { Tensor, makeNode, gradTarget, shapeStr } from '../autograd/tensor.js';
import { encodeColSum } from './matmul.js';

type Entry = 'add' | 'copy' | 'gelu' | 'gelu_bwd' | 'dropout';

function run(gpu: Gpu, entry: Entry, bufs: Record<string, GPUBuffer>, n: number, o: { nb?: number; acc?: 0 | 1; p?: number; seed?: number; scale?: number } = {}): void {
  const k = gpu.kernel({ shader: elemWgsl, entry });
  gpu.dispatch(k, { buffers: bufs, params: { n, nb: o.nb ?? 1, acc: o.acc ?? 0, p: o.p ?? 0, seed: (o.seed ?? 0) >>> 0, scale: o.scale ?? 1 }, workgroups: gpu.grid(n, 64) });
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

/** GELU, tanh approximation (GPT-2 / the course). */
export function gelu(x: Tensor): Tensor {
  const gpu = x.gpu;
  const out = Tensor.empty(gpu, [...x.shape], 'gelu');
  run(gpu, 'gelu', { a: x.buffer, out: out.buffer }, x.size);
  return makeNode(out, [x], (o) => {
    // backward of `out = gelu(x)`: dx = dy·gelu'(x)
    const t = gradTarget(x);
    if (t) run(gpu, 'gelu_bwd', { a: x.buffer, b: o.grad!.buffer, out: t.t.buffer }, x.size, { acc: t.acc });
  });
}

/**
 * Inverted dropout: keeps each element with probability 1 − p and scales it by 1/(1 − p). The mask is
 * a hash of (seed, element index): identical for identical seeds, recomputed (not stored) for backward.
 */
export function dropout(x: Tensor, p: number, seed: number): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  if (p === 0) return x;
  const gpu = x.gpu;
  const out = Tensor.empty(gpu, [...x.shape], 'dropout');
  run(gpu, 'dropout', { a: x.buffer, out: out.buffer }, x.size, { p, seed });
  return makeNode(out, [x], (o) => {
    // backward of `out = x·mask/(1−p)`: dx = dy·mask/(1−p), same mask
    const t = gradTarget(x);
    if (t) run(gpu, 'dropout', { a: o.grad!.buffer, out: t.t.buffer }, x.size, { p, seed, acc: t.acc });
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
