// Test utility: the scalar Σ_i Σ out_i·g_i for host constants g_i, as one autograd node (dot products via
// encodeMatmul), so the recurrent layers' output, h_n and c_n can all feed one root in gradient tests.
// Leaves out: anything but f32 constants of the outputs' sizes.
import { Tensor, makeNode, gradTarget } from '../src/autograd/tensor.ts';
import { encodeMatmul } from '../src/ops/matmul.ts';

export function mulSum(outs: Tensor[], gs: Float32Array[]): Tensor {
  const gpu = outs[0].gpu;
  const gBufs = gs.map((g, i) => {
    if (g.length !== outs[i].size) throw new Error(`mulSum: constant ${i} has ${g.length} values for a tensor of ${outs[i].size}`);
    return Tensor.from(gpu, g, [g.length]);
  });
  const loss = Tensor.empty(gpu, [1], 'mulSum');
  // loss = Σ_i out_i (1, n) · g_i (n, 1)
  outs.forEach((o, i) => encodeMatmul(gpu, { a: o.buffer, b: gBufs[i].buffer, c: loss.buffer, M: 1, N: 1, K: o.size, acc: i > 0 }));
  return makeNode(loss, outs, (l) => {
    // d out_i = g_i (n, 1) · dloss (1, 1)
    outs.forEach((o, i) => {
      const t = gradTarget(o);
      if (t) encodeMatmul(gpu, { a: gBufs[i].buffer, b: l.grad!.buffer, c: t.t.buffer, M: o.size, N: 1, K: 1, acc: t.acc });
    });
  });
}
