// LayerNorm op (PyTorch semantics): forward saves per-row mean and rstd; backward gives dx and
// accumulates dweight/dbias with a deterministic per-channel reduction. Leaves out: RMSNorm, no-affine LN.
import lnWgsl from '../../shaders/layernorm.wgsl';
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
    const dy = o.grad!.buffer;
    const gx = gradTarget(x);
    if (gx) gpu.dispatch(gpu.kernel({ shader: lnWgsl, entry: 'backward_x' }), { buffers: { x: x.buffer, w: weight.buffer, dy, dx: gx.t.buffer, smean: mean, srstd: rstd }, params: { ...params, acc: gx.acc }, workgroups: gpu.grid(R, 64) });
    // backward_wb only adds (zeroed targets); a side that needs no gradient writes into scratch, released after
    const gw = gradTarget(weight, { zeroed: true });
    const gb = gradTarget(bias, { zeroed: true });
    if (gw || gb) {
      const dw = gw?.t ?? Tensor.zeros(gpu, [C]);
      const db = gb?.t ?? Tensor.zeros(gpu, [C]);
      gpu.dispatch(gpu.kernel({ shader: lnWgsl, entry: 'backward_wb' }), { buffers: { x: x.buffer, dy, dw: dw.buffer, db: db.buffer, smean: mean, srstd: rstd }, params, workgroups: gpu.grid(C, 64) });
      if (!gw) dw.dispose();
      if (!gb) db.dispose();
    }
  });
  return out;
}
