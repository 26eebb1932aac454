// Shape ops: reshape (a view: same buffer, no kernel, gradient shared with the input), slice and concat
// along any axis, transpose of two axes (copies by shaders/shape.wgsl); forward and backward side by
// side. Leaves out: strided views (slice/transpose copy), steps ≠ 1 in slice, permutations of > 2 axes.
import shapeWgsl from '../../shaders/shape.wgsl';
import type { Gpu } from '../gpu/device.js';
import { Tensor, makeNode, gradTarget, shapeStr, numel } from '../autograd/tensor.js';
import { encodeCopy } from './elementwise.js';

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** A dim index in [−rank, rank) → [0, rank); one-line error otherwise. */
function axisOf(op: string, axis: number, shape: readonly number[]): number {
  const r = shape.length;
  if (!Number.isInteger(axis) || axis < -r || axis >= r) throw new Error(`${op}: axis ${axis} is out of range for shape ${shapeStr(shape)} (rank ${r})`);
  return axis < 0 ? axis + r : axis;
}

type RangeParams = { n: number; D: number; L: number; inner: number; start: number; acc: 0 | 1 };
function range(gpu: Gpu, entry: 'slice' | 'pad' | 'place', x: GPUBuffer, out: GPUBuffer, p: RangeParams): void {
  gpu.dispatch(gpu.kernel({ shader: shapeWgsl, entry }), { buffers: { x, out }, params: p, workgroups: gpu.grid(p.n, 64) });
}

/**
 * x viewed with another shape of the same size (one dim may be −1: inferred). No copy: the result shares
 * x's buffer (and x's gradient: whatever flows into it lands in x.grad, no kernel). Disposing it never
 * releases x's buffer; it is valid as long as x is.
 */
export function reshape(x: Tensor, shape: number[]): Tensor {
  const bad = () => new Error(`reshape: cannot view ${shapeStr(x.shape)} (${x.size} elements) as ${shapeStr(shape)}`);
  const free = shape.filter((d) => d === -1).length;
  if (free > 1 || shape.some((d) => !Number.isInteger(d) || d < -1)) throw bad();
  let want = [...shape];
  if (free) {
    const known = prod(shape.filter((d) => d !== -1));
    if (known === 0 || x.size % known !== 0) throw bad();
    want = shape.map((d) => (d === -1 ? x.size / known : d));
  }
  if (numel(want) !== x.size) throw bad();
  const out = Tensor.view(x, want, 'reshape');
  return makeNode(out, [x], (o) => {
    // backward of `out = x` (same memory): o.grad normally IS x.grad seen through the view (gradTarget
    // hands the view's consumers x's gradient), so nothing to do; only a gradient given from outside
    // (out is the root of backward()) needs a copy
    const g = o.grad!;
    if (g.viewOf && x.grad && g.buffer === x.grad.buffer) return;
    const t = gradTarget(x);
    if (t) encodeCopy(x.gpu, g.buffer, t.t.buffer, x.size, t.acc);
  });
}

/** x[..., start:end, ...] along `axis` (a copy). Backward: dy into the range, 0 elsewhere. */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const ax = axisOf('slice', axis, x.shape);
  const D = x.shape[ax];
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || end > D) {
    throw new Error(`slice: range [${start}, ${end}) is not within [0, ${D}] along axis ${ax} of ${shapeStr(x.shape)}`);
  }
  const L = end - start;
  const inner = prod(x.shape.slice(ax + 1));
  const shape = [...x.shape];
  shape[ax] = L;
  const out = Tensor.empty(x.gpu, shape, 'slice');
  range(x.gpu, 'slice', x.buffer, out.buffer, { n: out.size, D, L, inner, start, acc: 0 });
  return makeNode(out, [x], (o) => {
    // backward of `out[o, l, i] = x[o, start + l, i]`: dx = dy inside the range, 0 outside
    const t = gradTarget(x);
    if (t) range(x.gpu, 'pad', o.grad!.buffer, t.t.buffer, { n: x.size, D, L, inner, start, acc: t.acc });
  });
}

/** Joins tensors along `axis`; all other dims must match. Backward: each input gets its slice of dy. */
export function concat(xs: Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new Error('concat: needs at least one tensor');
  const first = xs[0];
  const ax = axisOf('concat', axis, first.shape);
  for (const [k, t] of xs.entries()) {
    const ok = t.shape.length === first.shape.length && t.shape.every((d, i) => i === ax || d === first.shape[i]);
    if (!ok) throw new Error(`concat: shape mismatch: tensor ${k} is ${shapeStr(t.shape)}, tensor 0 is ${shapeStr(first.shape)} (only axis ${ax} may differ)`);
    if (t.gpu !== first.gpu) throw new Error(`concat: tensor ${k} lives on another device`);
  }
  const inner = prod(first.shape.slice(ax + 1));
  const D = xs.reduce((s, t) => s + t.shape[ax], 0);
  const shape = [...first.shape];
  shape[ax] = D;
  const out = Tensor.empty(first.gpu, shape, 'concat');
  const starts: number[] = [];
  let start = 0;
  for (const t of xs) {
    starts.push(start);
    range(t.gpu, 'place', t.buffer, out.buffer, { n: t.size, D, L: t.shape[ax], inner, start, acc: 0 });
    start += t.shape[ax];
  }
  return makeNode(out, xs, (o) => {
    // backward of `out[o, start_k + l, i] = x_k[o, l, i]`: dx_k = dy[o, start_k + l, i]
    xs.forEach((t, k) => {
      const g = gradTarget(t);
      if (g) range(t.gpu, 'slice', o.grad!.buffer, g.t.buffer, { n: t.size, D, L: t.shape[ax], inner, start: starts[k], acc: g.acc });
    });
  });
}

/** x with axes dim0 and dim1 exchanged (a copy, contiguous). Backward: the same transpose of dy. */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  let d0 = axisOf('transpose', dim0, x.shape);
  let d1 = axisOf('transpose', dim1, x.shape);
  if (d0 === d1) return reshape(x, x.shape);
  if (d0 > d1) [d0, d1] = [d1, d0];
  const s = x.shape;
  const [D0, D1, B, C] = [s[d0], s[d1], prod(s.slice(d0 + 1, d1)), prod(s.slice(d1 + 1))];
  const shape = [...s];
  [shape[d0], shape[d1]] = [D1, D0];
  const out = Tensor.empty(x.gpu, shape, 'transpose');
  const k = x.gpu.kernel({ shader: shapeWgsl, entry: 'transpose' });
  x.gpu.dispatch(k, { buffers: { x: x.buffer, out: out.buffer }, params: { n: x.size, D0, B, D1, C, acc: 0 }, workgroups: x.gpu.grid(x.size, 64) });
  return makeNode(out, [x], (o) => {
    // backward of `out[a, j, b, i, c] = x[a, i, b, j, c]`: dx = dy transposed back (D0 and D1 exchanged)
    const t = gradTarget(x);
    if (t) x.gpu.dispatch(k, { buffers: { x: o.grad!.buffer, out: t.t.buffer }, params: { n: x.size, D0: D1, B, D1: D0, C, acc: t.acc }, workgroups: x.gpu.grid(x.size, 64) });
  });
}
