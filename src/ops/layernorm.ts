// LayerNorm op (PyTorch semantics): forward saves per-row mean and rstd; backward gives dx and
// accumulates dweight/dbias with a deterministic per-channel reduction, both in one dispatch. Leaves out: RMSNorm, no-affine LN.
import lnWgsl from '../../shaders/layernorm.wgsl';
import type { Gpu } from '../gpu/device.js';
import { Tensor, makeNode, gradTarget, checkShape, numel, shapeStr } from '../autograd/tensor.js';

/** x [..., C], weight [C], bias [C] → [..., C]. */
export function layerNorm(x: Tensor, weight: Tensor, bias: Tensor, eps = 1e-5): Tensor {
  const gpu = x.gpu;
  if (x.shape.length === 0) throw new Error(`layerNorm: x is a scalar; it needs a feature dim (weight is ${shapeStr(weight.shape)})`);
  const C = x.shape[x.shape.length - 1];
  checkShape('layerNorm', 'weight', weight.shape, [C]);
  checkShape('layerNorm', 'bias', bias.shape, [C]);
  if (!(eps > 0)) throw new Error(`layerNorm: eps must be > 0, got ${eps}`);
  const R = numel(x.shape.slice(0, -1));
  const y = Tensor.empty(gpu, [...x.shape], 'layernorm');
  const mean = gpu.pool.acquire(R * 4, 'ln.mean');
  const rstd = gpu.pool.acquire(R * 4, 'ln.rstd');
  const params = { R, C, eps, acc: 0 };
  gpu.dispatch(gpu.kernel({ shader: lnWgsl, entry: 'forward' }), { buffers: { x: x.buffer, w: weight.buffer, b: bias.buffer, y: y.buffer, mean, rstd }, params, workgroups: gpu.grid(R, 64) });
  const out = makeNode(y, [x, weight, bias], (o) => {
    // backward of `y = (x − mean)·rstd·w + b`
    const gx = gradTarget(x);
    // dw/db only add (zeroed targets); a side that needs no gradient writes into scratch, released after
    const gw = gradTarget(weight, { zeroed: true });
    const gb = gradTarget(bias, { zeroed: true });
    const dw = gw || gb ? (gw?.t ?? Tensor.zeros(gpu, [C])) : null;
    const db = gw || gb ? (gb?.t ?? Tensor.zeros(gpu, [C])) : null;
    encodeLayerNormBackward(gpu, { x: x.buffer, w: weight.buffer, dy: o.grad!.buffer, dx: gx?.t.buffer, dw: dw?.buffer, db: db?.buffer, mean, rstd }, { R, C, eps, acc: gx?.acc ?? 0 });
    if (dw && !gw) dw.dispose();
    if (db && !gb) db.dispose();
  });
  return out;
}

export interface LayerNormBackwardBuffers {
  x: GPUBuffer;
  w: GPUBuffer;
  dy: GPUBuffer;
  /** (R, C), written (=) or accumulated (+= when acc = 1); absent: no dx */
  dx?: GPUBuffer;
  /** [C] each, accumulated (+=); both or neither */
  dw?: GPUBuffer;
  db?: GPUBuffer;
  /** the forward's saved per-row statistics */
  mean: GPUBuffer;
  rstd: GPUBuffer;
}

/**
 * Records LayerNorm's backward: dx and dw/db in one dispatch (`backward`) when both are wanted, else the one that is;
 * `separate` forces the two-dispatch form (backward_x, backward_wb), the same bits (the tests compare them).
 */
export function encodeLayerNormBackward(gpu: Gpu, b: LayerNormBackwardBuffers, params: { R: number; C: number; eps: number; acc: number }, separate = false): void {
  const { x, w, dy, dx, dw, db, mean: smean, rstd: srstd } = b;
  const { R, C } = params;
  if (!dw !== !db) throw new Error('encodeLayerNormBackward: dw and db go together');
  if (dx && dw && !separate) {
    gpu.dispatch(gpu.kernel({ shader: lnWgsl, entry: 'backward' }), { buffers: { x, w, dy, dx, smean, srstd, dw, db: db! }, params, workgroups: gpu.grid(R + C, 64) });
    return;
  }
  if (dx) gpu.dispatch(gpu.kernel({ shader: lnWgsl, entry: 'backward_x' }), { buffers: { x, w, dy, dx, smean, srstd }, params, workgroups: gpu.grid(R, 64) });
  if (dw) gpu.dispatch(gpu.kernel({ shader: lnWgsl, entry: 'backward_wb' }), { buffers: { x, dy, dw, db: db!, smean, srstd }, params, workgroups: gpu.grid(C, 64) });
}
