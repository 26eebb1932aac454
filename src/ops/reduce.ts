// Reductions over the rows of a row-major (R, N) buffer: the bias gradient (linear) and the backward of
// broadcast binary ops (add/sub/mul). Deterministic (rows summed in order, no atomics). Leaves out:
// a Tensor-level sum/mean op with autograd (no model needs one yet), reductions along inner axes.
import reduceWgsl from '../../shaders/reduce.wgsl';
import type { Gpu } from '../gpu/device.js';

export interface ColSumOptions {
  /** scale of the sum (default 1) */
  coef?: number;
  /** multiply X[i] by weight[i % weightSize] before summing (the other factor of a product) */
  weight?: GPUBuffer;
  weightSize?: number;
}

/** out[n] (=|+=) coef·Σ_r x[r, n] (·weight[(r·N + n) % nw]) for x (R, N). acc: false writes, true adds. */
export function encodeColSum(gpu: Gpu, x: GPUBuffer, out: GPUBuffer, R: number, N: number, acc: boolean | 0 | 1, o: ColSumOptions = {}): void {
  if (N === 0) return;
  const params = { R, N, nw: o.weight ? o.weightSize ?? 0 : 0, acc: acc ? 1 : 0, coef: o.coef ?? 1 };
  if (o.weight && R * N > 0 && !(params.nw > 0 && (R * N) % params.nw === 0)) throw new Error(`encodeColSum: weight size ${params.nw} does not divide R·N = ${R * N}`);
  if (!o.weight && N % 4 === 0) {
    // four adjacent columns per invocation (colsum4: the same bits)
    gpu.dispatch(gpu.kernel({ shader: reduceWgsl, entry: 'colsum4' }), { buffers: { X4: x, out4: out }, params, workgroups: gpu.grid(N / 4, 64) });
    return;
  }
  const k = gpu.kernel({ shader: reduceWgsl, entry: o.weight ? 'colsum_mul' : 'colsum' });
  const buffers: Record<string, GPUBuffer> = o.weight ? { X: x, W: o.weight, out } : { X: x, out };
  gpu.dispatch(k, { buffers, params, workgroups: gpu.grid(N, 64) });
}
