// Binary elementwise ops add, sub, mul (one WGSL template, shaders/binary.wgsl) with broadcasting of
// leading dimensions, and the scalar multiple scale(x, s); forward and backward side by side. Leaves
// out: general NumPy broadcasting (a size-1 dim inside the shape, both operands broadcast at once).
import binaryWgsl from '../../shaders/binary.wgsl';
import type { Gpu } from '../gpu/device.js';
import { Tensor, makeNode, gradTarget, shapeStr, numel } from '../autograd/tensor.js';
import { encodeColSum } from './reduce.js';

const OPS = { add: 0, sub: 1, mul: 2 } as const;
type BinaryName = keyof typeof OPS;

const stripOnes = (s: readonly number[]): number[] => {
  let k = 0;
  while (k < s.length && s[k] === 1) k++;
  return s.slice(k);
};
const isSuffix = (short: number[], long: number[]): boolean => short.length <= long.length && short.every((d, i) => d === long[long.length - short.length + i]);

/**
 * The output shape of a broadcast binary op: each operand, leading size-1 dims aside, must equal the
 * other or a trailing part of it ([B,T,C] with [T,C], [C], [1,T,C] or [B,T,C]). Throws one line otherwise.
 */
export function broadcastShape(op: string, a: readonly number[], b: readonly number[]): number[] {
  const sa = stripOnes(a);
  const sb = stripOnes(b);
  if (!isSuffix(sa, sb) && !isSuffix(sb, sa)) {
    throw new Error(`${op}: shape mismatch: ${shapeStr(a)} and ${shapeStr(b)} (one must equal the other's trailing dims, leading size-1 dims aside)`);
  }
  // right-aligned: every dim is the same in both or 1 in one of them (the suffix rule guarantees it)
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let k = 0; k < r; k++) {
    const da = a[a.length - r + k] ?? 1;
    const db = b[b.length - r + k] ?? 1;
    out.push(da === 1 ? db : da);
  }
  return out;
}

function binary(name: BinaryName, a: Tensor, b: Tensor): Tensor {
  const gpu = a.gpu;
  const shape = broadcastShape(name, a.shape, b.shape);
  const n = numel(shape);
  const [na, nb] = [a.size, b.size];
  const out = Tensor.empty(gpu, shape, name);
  const k = gpu.kernel({ shader: binaryWgsl, entry: 'forward', constants: { OP: OPS[name] } });
  gpu.dispatch(k, { buffers: { a: a.buffer, b: b.buffer, out: out.buffer }, params: { n, na, nb, acc: 0, s: 1 }, workgroups: gpu.grid(n, 64) });
  return makeNode(out, [a, b], (o) => {
    // backward of `out[i] = a[i % na] OP b[i % nb]`: each operand's gradient sums dy·∂out/∂operand over
    // the R = n / size rows it was repeated on: add: dy; sub: dy and −dy; mul: dy·b and dy·a
    const dy = o.grad!.buffer;
    const push = (t: Tensor, other: Tensor, coef: number) => {
      const g = gradTarget(t);
      if (!g) return;
      const R = t.size ? n / t.size : 0;
      // a full-size operand of add/sub: an elementwise pass (the old copy), no row loop
      // … and when that pass is a plain copy (coefficient 1, nothing to accumulate): a buffer copy, no dispatch
      if (name !== 'mul' && R === 1 && coef === 1 && g.acc === 0) gpu.copy(dy, g.t.buffer, n * 4);
      else if (name !== 'mul' && R === 1) gpu.dispatch(scaleKernel(gpu), { buffers: { a: dy, out: g.t.buffer }, params: { n, na: n, nb: n, acc: g.acc, s: coef }, workgroups: gpu.grid(n, 64) });
      else encodeColSum(gpu, dy, g.t.buffer, R, t.size, g.acc, name === 'mul' ? { weight: other.buffer, weightSize: other.size } : { coef });
    };
    push(a, b, 1);
    push(b, a, name === 'sub' ? -1 : 1);
  });
}

/** a + b, broadcasting leading dims (either may be the other's trailing dims). */
export const add = (a: Tensor, b: Tensor): Tensor => binary('add', a, b);
/** a − b, broadcasting leading dims. */
export const sub = (a: Tensor, b: Tensor): Tensor => binary('sub', a, b);
/** a·b elementwise, broadcasting leading dims. */
export const mul = (a: Tensor, b: Tensor): Tensor => binary('mul', a, b);

const scaleKernel = (gpu: Gpu) => gpu.kernel({ shader: binaryWgsl, entry: 'scale' });

/** s·x for a number s. */
export function scale(x: Tensor, s: number): Tensor {
  if (!Number.isFinite(s)) throw new Error(`scale: the factor must be a finite number, got ${s}`);
  const gpu = x.gpu;
  const out = Tensor.empty(gpu, [...x.shape], 'scale');
  const k = scaleKernel(gpu);
  gpu.dispatch(k, { buffers: { a: x.buffer, out: out.buffer }, params: { n: x.size, na: x.size, nb: x.size, acc: 0, s }, workgroups: gpu.grid(x.size, 64) });
  return makeNode(out, [x], (o) => {
    // backward of `out = s·x`: dx (=|+=) s·dy
    const t = gradTarget(x);
    if (t) gpu.dispatch(k, { buffers: { a: o.grad!.buffer, out: t.t.buffer }, params: { n: x.size, na: x.size, nb: x.size, acc: t.acc, s }, workgroups: gpu.grid(x.size, 64) });
  });
}
