// AdamW with torch.optim.AdamW semantics (decoupled weight decay on every parameter, bias correction),
// one kernel dispatch per two parameters; global grad norm and clip_grad_norm_ on the GPU, no host round trip.
// Leaves out: amsgrad, maximize, per-group hyper-parameters.
import adamWgsl from '../../shaders/adamw.wgsl';
import { Tensor } from '../autograd/tensor.js';
import type { Gpu } from '../gpu/device.js';

export interface AdamWOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/** The optimizer's state as checkpoints store it (training_state.*): one type for AdamW and checkpoint.ts. */
export interface OptimizerState {
  /** optimizer steps taken (AdamW bias correction uses it) */
  step: number;
  /** first moments by parameter name */
  m: Map<string, Float32Array>;
  /** second moments by parameter name */
  v: Map<string, Float32Array>;
}

export class AdamW {
  lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  stepCount = 0;
  private m: Tensor[];
  private v: Tensor[];
  private gpu: Gpu;

  constructor(
    readonly params: Tensor[],
    o: AdamWOptions,
  ) {
    if (params.length === 0) throw new Error('AdamW: no parameters');
    this.gpu = params[0].gpu;
    this.lr = o.lr;
    this.betas = o.betas ?? [0.9, 0.999];
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? 0.01;
    for (const p of params) if (!p.grad) throw new Error(`AdamW: parameter ${p.name ?? p.op} has no gradient buffer (create it with Tensor.param)`);
    this.m = params.map((p) => Tensor.zeros(this.gpu, p.shape, { isParam: true, name: `${p.name}.exp_avg` }));
    this.v = params.map((p) => Tensor.zeros(this.gpu, p.shape, { isParam: true, name: `${p.name}.exp_avg_sq` }));
  }

  /** One update of every parameter from its .grad (lr may be changed per step). */
  step(lr = this.lr): void {
    this.stepCount++;
    const t = this.stepCount;
    const [b1, b2] = this.betas;
    const stepSize = lr / (1 - Math.pow(b1, t));
    const bc2sqrt = Math.sqrt(1 - Math.pow(b2, t));
    const hyper = { lr, wd: this.weightDecay, b1, b2, eps: this.eps, stepSize, bc2sqrt };
    const one = this.gpu.kernel({ shader: adamWgsl, entry: 'step' });
    const two = this.gpu.kernel({ shader: adamWgsl, entry: 'step2' });
    const bufs = (i: number) => ({ param: this.params[i].buffer, grad: this.params[i].grad!.buffer, m: this.m[i].buffer, v: this.v[i].buffer });
    // parameters two at a time (one dispatch each pair), the odd one out alone: the same arithmetic per element
    for (let i = 0; i < this.params.length; i += 2) {
      const [a, b] = [this.params[i], this.params[i + 1]];
      if (b) {
        const s = bufs(i + 1);
        this.gpu.dispatch(two, {
          buffers: { ...bufs(i), param2: s.param, grad2: s.grad, m2: s.m, v2: s.v },
          params: { n: a.size, n2: b.size, ...hyper },
          workgroups: this.gpu.grid(a.size + b.size, 64),
        });
      } else this.gpu.dispatch(one, { buffers: bufs(i), params: { n: a.size, ...hyper }, workgroups: this.gpu.grid(a.size, 64) });
    }
  }

  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /** The checkpoint name of each optimized parameter: the model's name for that tensor (frozen buffers are not optimized). */
  private names(model?: { params: Map<string, Tensor> }): string[] {
    const byTensor = new Map<Tensor, string>();
    if (model) for (const [name, t] of model.params) byTensor.set(t, name);
    return this.params.map((p, i) => byTensor.get(p) ?? p.name ?? `p${i}`);
  }

  /** Host copies of the moments, by parameter name (for checkpoints). */
  async exportState(model?: { params: Map<string, Tensor> }): Promise<OptimizerState> {
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    const names = this.names(model);
    for (let i = 0; i < this.params.length; i++) {
      m.set(names[i], await this.m[i].toArray());
      v.set(names[i], await this.v[i].toArray());
    }
    return { step: this.stepCount, m, v };
  }

  /** Restores moments and the step count saved by exportState. */
  loadState(s: OptimizerState, model?: { params: Map<string, Tensor> }): void {
    const names = this.names(model);
    names.forEach((name, i) => {
      const mm = s.m.get(name);
      const vv = s.v.get(name);
      if (!mm || !vv) throw new Error(`optimizer state has no moments for ${name}`);
      if (mm.length !== this.params[i].size || vv.length !== this.params[i].size) throw new Error(`optimizer state for ${name} has ${mm.length} values, the parameter has ${this.params[i].size}`);
      this.gpu.upload(this.m[i].buffer, mm);
      this.gpu.upload(this.v[i].buffer, vv);
    });
    this.stepCount = s.step;
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}

/** Global L2 norm of all parameters' grads → [1] on the GPU (chunked partial sums, then one sum: deterministic). */
export function gradNorm(params: Tensor[]): Tensor {
  const gpu = params[0].gpu;
  const chunks = params.map((p) => Math.ceil(p.size / 1024));
  const count = chunks.reduce((a, b) => a + b, 0);
  const partial = gpu.pool.acquire(count * 4, 'gradnorm.partial');
  const ks = gpu.kernel({ shader: adamWgsl, entry: 'sumsq' });
  let offset = 0;
  params.forEach((p, i) => {
    if (!p.grad) throw new Error(`gradNorm: parameter ${p.name ?? p.op} has no gradient`);
    gpu.dispatch(ks, { buffers: { g: p.grad.buffer, partial }, params: { n: p.size, offset, count, maxNorm: 0 }, workgroups: gpu.grid(chunks[i], 64) });
    offset += chunks[i];
  });
  const out = Tensor.empty(gpu, [1], 'grad_norm');
  gpu.dispatch(gpu.kernel({ shader: adamWgsl, entry: 'total' }), { buffers: { parts: partial, norm: out.buffer }, params: { n: 0, offset: 0, count, maxNorm: 0 }, workgroups: 1 });
  gpu.pool.release(partial);
  return out;
}

/** torch.nn.utils.clip_grad_norm_: scales grads in place by min(1, maxNorm/(norm + 1e-6)); returns the pre-clip norm [1]. */
export function clipGradNorm(params: Tensor[], maxNorm: number): Tensor {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const gpu = params[0].gpu;
  const norm = gradNorm(params);
  const k = gpu.kernel({ shader: adamWgsl, entry: 'clip' });
  for (const p of params) gpu.dispatch(k, { buffers: { gc: p.grad!.buffer, nrm: norm.buffer }, params: { n: p.size, offset: 0, count: 0, maxNorm }, workgroups: gpu.grid(p.size, 64) });
  return norm;
}
