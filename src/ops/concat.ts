// concat along the last axis (torch.cat(xs, dim=-1)), forward and backward side by side: used for Luong
// attention's [h_t; c]. Leaves out: other axes (none of wgpt's models needs them yet).
import concatWgsl from '../../shaders/concat.wgsl';
import type { Gpu } from '../gpu/device.js';
import { Tensor, makeNode, gradTarget, shapeStr } from '../autograd/tensor.js';

function copyCols(gpu: Gpu, src: GPUBuffer, dst: GPUBuffer, p: { R: number; W: number; ldIn: number; ldOut: number; oIn: number; oOut: number; acc: 0 | 1 }): void {
  const k = gpu.kernel({ shader: concatWgsl, entry: 'copy_cols' });
  gpu.dispatch(k, { buffers: { src, dst }, params: p, workgroups: gpu.grid(p.R * p.W, 64) });
}

/** xs: tensors [..., W_i] with the same leading dims → [..., Σ W_i]. */
export function concat(xs: Tensor[]): Tensor {
  if (xs.length === 0) throw new Error('concat: no tensors');
  const lead = xs[0].shape.slice(0, -1);
  for (const x of xs) {
    if (x.shape.length !== lead.length + 1 || x.shape.slice(0, -1).some((d, i) => d !== lead[i])) {
      throw new Error(`concat: shape mismatch: ${xs.map((t) => shapeStr(t.shape)).join(' and ')} (all but the last dim must agree)`);
    }
  }
  const gpu = xs[0].gpu;
  const widths = xs.map((x) => x.shape[x.shape.length - 1]);
  const Wt = widths.reduce((a, b) => a + b, 0);
  const R = lead.reduce((a, b) => a * b, 1);
  const out = Tensor.empty(gpu, [...lead, Wt], 'concat');
  let off = 0;
  const offs = widths.map((w) => ((off += w), off - w));
  xs.forEach((x, i) => copyCols(gpu, x.buffer, out.buffer, { R, W: widths[i], ldIn: widths[i], ldOut: Wt, oIn: 0, oOut: offs[i], acc: 0 }));
  return makeNode(out, xs, (o) => {
    // backward of `out[r, off_i + j] = x_i[r, j]`: dx_i (=|+=) the block of dy
    xs.forEach((x, i) => {
      const g = gradTarget(x);
      if (g) copyCols(gpu, o.grad!.buffer, g.t.buffer, { R, W: widths[i], ldIn: Wt, ldOut: widths[i], oIn: offs[i], oOut: 0, acc: g.acc });
    });
  });
}
