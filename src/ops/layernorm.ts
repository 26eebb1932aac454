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
  // C a multiple of 4: the vec4 entries (the same bits, a quarter of the load instructions)
  const buffers: Record<string, GPUBuffer> = C % 4 === 0 ? { x4: x.buffer, w4: weight.buffer, b4: bias.buffer, y4: y.buffer, mean, rstd } : { x: x.buffer, w: weight.buffer, b: bias.buffer, y: y.buffer, mean, rstd };
  gpu.dispatch(gpu.kernel({ shader: lnWgsl, entry: C % 4 === 0 ? 'forward4' : 'forward' }), { buffers, params, workgroups: gpu.grid(R, 64) });
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
 * `separate` forces the two-dispatch form (backward_x, backward_wb), the same bits (the tests compare them); `scalar`
 * forces the scalar entries where C is a multiple of 4 (the vec4 ones, the same bits: the tests compare them).
 */
export function encodeLayerNormBackward(gpu: Gpu, b: LayerNormBackwardBuffers, params: { R: number; C: number; eps: number; acc: number }, separate = false, scalar = false): void {
  const { x, w, dy, dx, dw, db, mean: smean, rstd: srstd } = b;
  const { R, C } = params;
  if (!dw !== !db) throw new Error('encodeLayerNormBackward: dw and db go together');
  const v4 = C % 4 === 0 && !scalar;
  // the vec4 entries bind the same buffers through their vec4 views (x4, w4, dy4, dx4, dw4, db4)
  const bind = (m: Record<string, GPUBuffer | undefined>) => {
    const out: Record<string, GPUBuffer> = {};
    for (const [k, v] of Object.entries(m)) if (v) out[v4 && k !== 'smean' && k !== 'srstd' ? `${k}4` : k] = v;
    return out;
  };
  const entry = (e: string) => gpu.kernel({ shader: lnWgsl, entry: v4 ? `${e}4` : e });
  const cols = v4 ? C / 4 : C;
  if (dx && dw && !separate) {
    gpu.dispatch(entry('backward'), { buffers: bind({ x, w, dy, dx, smean, srstd, dw, db }), params, workgroups: gpu.grid(R + cols, 64) });
    return;
  }
  if (dx) gpu.dispatch(entry('backward_x'), { buffers: bind({ x, w, dy, dx, smean, srstd }), params, workgroups: gpu.grid(R, 64) });
  if (dw) gpu.dispatch(entry('backward_wb'), { buffers: bind({ x, dy, dw, db, smean, srstd }), params, workgroups: gpu.grid(cols, 64) });
}
