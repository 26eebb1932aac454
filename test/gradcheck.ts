// Finite-difference gradient check for GPU ops: L = Σ out·r for a seeded r; compares backward()'s
// gradients with central differences of the GPU forward (f32, so tolerances are loose by nature).
import { Tensor, backward, noGrad } from '../src/autograd/tensor.ts';
import type { Gpu } from '../src/gpu/device.ts';
import { compareClose, randn } from './helpers.ts';

export interface GradCheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** check at most this many coordinates per input (spread evenly) */
  maxCoords?: number;
  seed?: number;
}

/**
 * `f` builds the op from input tensors. `inputs` are host arrays with shapes; those with
 * `grad: false` are not checked. Returns the max abs error per input; throws on mismatch.
 */
export async function gradCheck(
  gpu: Gpu,
  name: string,
  inputs: { data: Float32Array; shape: number[]; grad?: boolean }[],
  f: (xs: Tensor[]) => Tensor,
  opts: GradCheckOptions = {},
): Promise<number[]> {
  const eps = opts.eps ?? 1e-2;
  const atol = opts.atol ?? 2e-3;
  const rtol = opts.rtol ?? 2e-2;
  return gpu.scope(async () => {
    const xs = inputs.map((x) => Tensor.from(gpu, x.data, x.shape, { requiresGrad: x.grad !== false }));
    const out = f(xs);
    const r = randn(out.size, opts.seed ?? 99);
    backward(out, Tensor.from(gpu, r, out.shape));
    const errs: number[] = [];
    for (let k = 0; k < inputs.length; k++) {
      if (inputs[k].grad === false) continue;
      const analytic = await xs[k].grad!.toArray();
      const n = inputs[k].data.length;
      const maxC = opts.maxCoords ?? 24;
      const step = Math.max(1, Math.floor(n / maxC));
      const idx: number[] = [];
      for (let i = 0; i < n && idx.length < maxC; i += step) idx.push(i);
      const num: number[] = [];
      const ana: number[] = [];
      for (const i of idx) {
        const val = async (delta: number) =>
          gpu.scope(async () => {
            const d = inputs.map((x) => x.data.slice());
            d[k][i] += delta;
            const o = await noGrad(() => f(d.map((x, j) => Tensor.from(gpu, x, inputs[j].shape)))).toArray();
            let s = 0;
            for (let j = 0; j < o.length; j++) s += o[j] * r[j];
            return s;
          });
        const lp = await val(eps);
        const lm = await val(-eps);
        num.push((lp - lm) / (2 * eps));
        ana.push(analytic[i]);
      }
      const c = compareClose(ana, num, atol, rtol);
      if (!c.ok) throw new Error(`${name}: finite-difference check of input ${k}: ${c.message} (indices ${idx.slice(0, 6).join(',')}…)`);
      errs.push(c.maxAbs);
    }
    return errs;
  });
}
