// Cross-entropy loss fused with log-softmax (PyTorch F.cross_entropy semantics: mean over the
// non-ignored positions; all positions ignored → NaN, as PyTorch; label_smoothing as PyTorch's). Leaves out: class weights.
import ceWgsl from '../../shaders/cross_entropy.wgsl';
import { Tensor, makeNode, gradTarget, shapeStr } from '../autograd/tensor.js';

/** logits [N, V] or [B, T, V]; targets: N ints, each in [0, V) or == ignoreIndex → scalar [1]. labelSmoothing ε: the
 * target is (1 − ε)·onehot + ε/V (F.cross_entropy(label_smoothing=ε)). */
export function crossEntropy(logits: Tensor, targets: ArrayLike<number>, ignoreIndex = -100, labelSmoothing = 0): Tensor {
  const gpu = logits.gpu;
  const V = logits.shape[logits.shape.length - 1];
  const N = logits.size / V;
  if (!(labelSmoothing >= 0 && labelSmoothing < 1)) throw new Error(`crossEntropy: label smoothing must be in [0, 1), got ${labelSmoothing}`);
  if (targets.length !== N) throw new Error(`crossEntropy: ${targets.length} targets for logits ${shapeStr(logits.shape)} (${N} positions)`);
  let count = 0;
  for (let i = 0; i < N; i++) {
    const t = targets[i];
    if (t === ignoreIndex) continue;
    if (!Number.isInteger(t) || t < 0 || t >= V) throw new Error(`crossEntropy: target ${t} at position ${i} is out of range [0, ${V}) (ignore index ${ignoreIndex})`);
    count++;
  }
  const tg = gpu.buffer(Int32Array.from(targets), 'ce.targets');
  const lse = gpu.pool.acquire(N * 4, 'ce.lse');
  const rowloss = gpu.pool.acquire(N * 4, 'ce.rowloss');
  const params = { N, V, ignore: ignoreIndex, invCount: count ? 1 / count : NaN, acc: 0, eps: labelSmoothing };
  // V a multiple of 4: rows4 reads the logits as vec4s (the same bits)
  const rowsBuf: Record<string, GPUBuffer> = V % 4 === 0 ? { logitsv: logits.buffer } : { logits: logits.buffer };
  gpu.dispatch(gpu.kernel({ shader: ceWgsl, entry: V % 4 === 0 ? 'rows4' : 'rows' }), { buffers: { ...rowsBuf, targets: tg, lse, rowloss }, params, workgroups: gpu.grid(N, 64) });
  const out = Tensor.empty(gpu, [1], 'cross_entropy');
  gpu.dispatch(gpu.kernel({ shader: ceWgsl, entry: 'mean' }), { buffers: { rl: rowloss, loss: out.buffer }, params, workgroups: 1 });
  return makeNode(out, [logits], (o) => {
    // backward of `loss = mean_n(lse[n] − logits[n, t_n])`: dlogits = dloss/count·(softmax − onehot)
    const g = gradTarget(logits);
    if (!g) return;
    const whole = Math.ceil((N * V) / 4) * 16; // bytes of N·V elements in whole vec4s
    if (V >= 16 && logits.buffer.size >= whole && g.t.buffer.size >= whole) {
      // Q vec4s (4Q elements, at most two rows: V ≥ 4Q) per invocation
      const Q = V >= 64 ? 16 : 4;
      gpu.dispatch(gpu.kernel({ shader: ceWgsl, entry: 'backward4', constants: { Q } }), { buffers: { logitsv: logits.buffer, targets: tg, slse: lse, dloss: o.grad!.buffer, dlogitsv: g.t.buffer }, params: { ...params, acc: g.acc }, workgroups: gpu.grid(Math.ceil((N * V) / (4 * Q)), 64) });
    } else {
      gpu.dispatch(gpu.kernel({ shader: ceWgsl, entry: 'backward' }), { buffers: { logits: logits.buffer, targets: tg, slse: lse, dloss: o.grad!.buffer, dlogits: g.t.buffer }, params: { ...params, acc: g.acc }, workgroups: gpu.grid(N * Math.ceil(V / 256), 1) });
    }
  });
}
