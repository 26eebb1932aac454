// AdamW with torch.optim.AdamW semantics (decoupled weight decay on every parameter, bias correction),
// several parameters per kernel dispatch (as many as the device's storage-buffer limit allows, their moments in one
// buffer per group); global grad norm and clip_grad_norm_ on the GPU, no host round trip.
// Leaves out: amsgrad, maximize, per-group hyper-parameters.
import adamWgsl from '../../shaders/adamw.wgsl';
import { adamwGroupSource } from './adamw-wgsl.js';
import { Tensor } from '../autograd/tensor.js';
import type { Gpu } from '../gpu/device.js';

export interface AdamWOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** parameters per dispatch, 1 … adamwGroupSize(gpu) (the default: the most the device allows); the same numbers for any */
  groupSize?: number;
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

/** Parameters updated by one dispatch: their indices in params, where each one's moments start, and the group's moments. */
interface Group {
  idx: number[];
  /** element offset of each parameter's moments in m / v (and one past the last: the group's size) */
  at: number[];
  m: Tensor;
  v: Tensor;
}

/** Parameters per AdamW dispatch on this device: 2 storage buffers for the group's moments + 2 per parameter. */
export function adamwGroupSize(gpu: Gpu): number {
  return Math.max(1, Math.floor((gpu.limits.maxStorageBuffersPerShaderStage - 2) / 2));
}

export class AdamW {
  lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  stepCount = 0;
  /** parameters per dispatch (at most adamwGroupSize(gpu); a group's moments also fit one storage binding) */
  readonly groupSize: number;
  private groups: Group[] = [];
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
    const max = adamwGroupSize(this.gpu);
    const k = o.groupSize ?? max;
    if (!(Number.isInteger(k) && k >= 1 && k <= max)) throw new Error(`AdamW: groupSize must be an integer in 1…${max} on this device, got ${k}`);
    this.groupSize = k;
    // consecutive parameters, k at a time, a group's moments within one storage binding
    const maxElems = Math.floor(Math.min(this.gpu.limits.maxStorageBufferBindingSize, this.gpu.limits.maxBufferSize) / 4);
    let cur: number[] = [];
    let size = 0;
    const close = () => {
      if (!cur.length) return;
      const at = [0];
      for (const i of cur) at.push(at[at.length - 1] + params[i].size);
      const g = this.groups.length;
      const names = cur.map((i) => params[i].name ?? `p${i}`).join(',');
      this.groups.push({
        idx: cur,
        at,
        m: Tensor.zeros(this.gpu, [Math.max(1, size)], { isParam: true, name: `adamw.exp_avg.${g}[${names}]` }),
        v: Tensor.zeros(this.gpu, [Math.max(1, size)], { isParam: true, name: `adamw.exp_avg_sq.${g}[${names}]` }),
      });
      cur = [];
      size = 0;
    };
    params.forEach((p, i) => {
      if (cur.length === k || (cur.length && size + p.size > maxElems)) close();
      cur.push(i);
      size += p.size;
    });
    close();
  }

  /** Dispatches per step (one per group). */
  get dispatchesPerStep(): number {
    return this.groups.length;
  }

  /** One update of every parameter from its .grad (lr may be changed per step). */
  step(lr = this.lr): void {
    this.stepCount++;
    const t = this.stepCount;
    const [b1, b2] = this.betas;
    const stepSize = lr / (1 - Math.pow(b1, t));
    const bc2sqrt = Math.sqrt(1 - Math.pow(b2, t));
    const hyper = { lr, wd: this.weightDecay, b1, b2, eps: this.eps, stepSize, bc2sqrt };
    for (const g of this.groups) {
      const n = g.idx.length;
      const kernel = this.gpu.kernel({ shader: adamwGroupSource(n), entry: `step_group${n}` });
      const buffers: Record<string, GPUBuffer> = { gm: g.m.buffer, gv: g.v.buffer };
      const ends: Record<string, number> = {};
      g.idx.forEach((i, j) => {
        buffers[`pw${j}`] = this.params[i].buffer;
        buffers[`pg${j}`] = this.params[i].grad!.buffer;
        ends[`e${j}`] = g.at[j + 1];
      });
      this.gpu.dispatch(kernel, { buffers, params: { ...ends, ...hyper }, workgroups: this.gpu.grid(g.at[n], 64) });
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

  /** Host copies of the moments, by parameter name (for checkpoints: the same format as one buffer per parameter). */
  async exportState(model?: { params: Map<string, Tensor> }): Promise<OptimizerState> {
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    const names = this.names(model);
    for (const g of this.groups) {
      const [gm, gv] = [await g.m.toArray(), await g.v.toArray()];
      g.idx.forEach((i, j) => {
        m.set(names[i], gm.slice(g.at[j], g.at[j + 1]));
        v.set(names[i], gv.slice(g.at[j], g.at[j + 1]));
      });
    }
    return { step: this.stepCount, m, v };
  }

  /** Restores moments and the step count saved by exportState. */
  loadState(s: OptimizerState, model?: { params: Map<string, Tensor> }): void {
    const names = this.names(model);
    const host = this.groups.map((g) => ({ m: new Float32Array(g.m.size), v: new Float32Array(g.v.size) }));
    this.groups.forEach((g, gi) =>
      g.idx.forEach((i, j) => {
        const name = names[i];
        const mm = s.m.get(name);
        const vv = s.v.get(name);
        if (!mm || !vv) throw new Error(`optimizer state has no moments for ${name}`);
        if (mm.length !== this.params[i].size || vv.length !== this.params[i].size) throw new Error(`optimizer state for ${name} has ${mm.length} values, the parameter has ${this.params[i].size}`);
        host[gi].m.set(mm, g.at[j]);
        host[gi].v.set(vv, g.at[j]);
      }),
    );
    // every name checked before anything is uploaded
    this.groups.forEach((g, gi) => {
      this.gpu.upload(g.m.buffer, host[gi].m);
      this.gpu.upload(g.v.buffer, host[gi].v);
    });
    this.stepCount = s.step;
  }

  dispose(): void {
    for (const g of this.groups) {
      g.m.dispose();
      g.v.dispose();
    }
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
