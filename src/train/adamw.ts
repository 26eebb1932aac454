// AdamW with torch.optim.AdamW semantics (decoupled weight decay, per parameter group as torch's param_groups; bias correction),
// all parameters in one kernel dispatch per chunk of (by default) 16 Mi elements: parameters and gradients are copied
// (buffer copies, no dispatches) into flat staging buffers, updated beside flat moments, and copied back; global grad
// norm and clip_grad_norm_ on the GPU, no host round trip. Leaves out: amsgrad, maximize, per-group hyper-parameters.
import adamWgsl from '../../shaders/adamw.wgsl';
import { Tensor } from '../autograd/tensor.js';
import type { Gpu } from '../gpu/device.js';

export interface AdamWOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** elements per dispatch (default 16 Mi, capped by the device's storage binding size); the same numbers for any */
  chunkElements?: number;
  /**
   * weight decay per parameter (same order as the params), overriding `weightDecay`: torch's param_groups with
   * their own weight_decay (Hugging Face Trainer's grouping gives biases and LayerNorm weights 0; see
   * src/train/decay.ts). Chunks never straddle a change of decay, so each dispatch has one.
   */
  weightDecays?: readonly number[];
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

/** One dispatch's share of the parameters laid end to end: elements [start, start + size) of that concatenation. */
interface Chunk {
  start: number;
  size: number;
  /** the chunk's first and second moments (persistent) */
  m: Tensor;
  v: Tensor;
  /** the weight decay of every parameter in the chunk */
  wd: number;
}

/** vec4s per invocation of adamw.wgsl `step` (its override PER; measured on SwiftShader, docs/perf.md issue #26). */
const ADAMW_PER = 32;

/** The default elements per AdamW dispatch: 64 MiB staging buffers for parameters and gradients. */
export const ADAMW_CHUNK = 16 * 1024 * 1024;

export class AdamW {
  lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  /** weight decay of each parameter (all `weightDecay` unless AdamWOptions.weightDecays) */
  readonly weightDecays: readonly number[];
  stepCount = 0;
  /** elements per dispatch */
  readonly chunkElements: number;
  /** where each parameter starts in the concatenation */
  private starts: number[] = [];
  private chunks: Chunk[] = [];
  /** staging: parameters and gradients of one chunk, flat */
  private flatP: Tensor;
  private flatG: Tensor;
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
    // a multiple of 4 elements: the vec4 kernel's buffers are rounded up to whole vec4s
    const max = Math.floor(Math.min(this.gpu.limits.maxStorageBufferBindingSize, this.gpu.limits.maxBufferSize) / 16) * 4;
    const k = o.chunkElements ?? Math.min(ADAMW_CHUNK, max);
    if (!(Number.isInteger(k) && k >= 1 && k <= max)) throw new Error(`AdamW: chunkElements must be an integer in 1…${max} on this device, got ${k}`);
    this.chunkElements = k;
    if (o.weightDecays && o.weightDecays.length !== params.length) throw new Error(`AdamW: ${o.weightDecays.length} weight decays for ${params.length} parameters`);
    this.weightDecays = o.weightDecays ? [...o.weightDecays] : params.map(() => this.weightDecay);
    for (const wd of this.weightDecays) if (!(wd >= 0)) throw new Error(`AdamW: weight decay must be ≥ 0, got ${wd}`);
    let total = 0;
    // runs of consecutive parameters with one weight decay; each run is cut into chunks of at most k elements
    const runs: { start: number; end: number; wd: number }[] = [];
    params.forEach((p, i) => {
      this.starts.push(total);
      const wd = this.weightDecays[i];
      const last = runs[runs.length - 1];
      if (last && last.wd === wd) last.end += p.size;
      else runs.push({ start: total, end: total + p.size, wd });
      total += p.size;
    });
    for (const r of runs) {
      for (let start = r.start; start < r.end; start += k) {
        const size = Math.min(k, r.end - start);
        const c = this.chunks.length;
        // the kernel updates vec4s: buffers hold a multiple of 4 elements (the padding's values are updated but never
        // copied back or exported; in a later chunk the staging padding holds an earlier chunk's values, all finite)
        const padded = Math.ceil(size / 4) * 4;
        this.chunks.push({ start, size, wd: r.wd, m: Tensor.zeros(this.gpu, [padded], { isParam: true, name: `adamw.exp_avg.${c}` }), v: Tensor.zeros(this.gpu, [padded], { isParam: true, name: `adamw.exp_avg_sq.${c}` }) });
      }
    }
    const stage = Math.ceil(Math.max(1, Math.min(k, total)) / 4) * 4;
    this.flatP = Tensor.zeros(this.gpu, [stage], { isParam: true, name: 'adamw.params' });
    this.flatG = Tensor.zeros(this.gpu, [stage], { isParam: true, name: 'adamw.grads' });
  }

  /** Dispatches per step (one per chunk). */
  get dispatchesPerStep(): number {
    return this.chunks.length;
  }

  /** Calls f(parameter index, element offset in the parameter, offset in the chunk, count) for the parameters' parts in chunk c. */
  private parts(c: Chunk, f: (i: number, from: number, at: number, n: number) => void): void {
    this.params.forEach((p, i) => {
      const lo = Math.max(this.starts[i], c.start);
      const hi = Math.min(this.starts[i] + p.size, c.start + c.size);
      if (hi > lo) f(i, lo - this.starts[i], lo - c.start, hi - lo);
    });
  }

  /**
   * One update of every parameter from its .grad (lr may be changed per step). With `maxNorm`: torch's
   * clip_grad_norm_ first, on the staged gradients — the global L2 norm reduced on the GPU over the flat staging buffer
   * (one `sumsq` dispatch per chunk + one `total`, not one per parameter), then each chunk's gradients scaled by
   * min(1, maxNorm/(norm + 1e-6)) before its update. The parameters' own .grad buffers stay unclipped. Returns the
   * pre-clip norm [1] (a tensor of the current arena), or null without maxNorm.
   */
  step(lr = this.lr, o: { maxNorm?: number } = {}): Tensor | null {
    this.stepCount++;
    const t = this.stepCount;
    const [b1, b2] = this.betas;
    const stepSize = lr / (1 - Math.pow(b1, t));
    const bc2sqrt = Math.sqrt(1 - Math.pow(b2, t));
    const hyper = { lr, b1, b2, eps: this.eps, stepSize, bc2sqrt };
    const kernel = this.gpu.kernel({ shader: adamWgsl, entry: 'step', constants: { PER: ADAMW_PER } });
    const [fp, fg] = [this.flatP.buffer, this.flatG.buffer];
    const gatherGrads = (c: Chunk) => this.parts(c, (i, from, at, n) => this.gpu.copy(this.params[i].grad!.buffer, fg, n * 4, from * 4, at * 4));
    let norm: Tensor | null = null;
    const clip = o.maxNorm;
    if (clip !== undefined) {
      if (!(clip > 0)) throw new Error(`AdamW: maxNorm must be > 0, got ${clip}`);
      // pass 1: Σ g² in chunks of 1024 of each staged chunk, then one sum (deterministic order)
      const count = this.chunks.reduce((a, c) => a + Math.ceil(c.size / 1024), 0);
      const partial = this.gpu.pool.acquire(count * 4, 'adamw.gradnorm.partial');
      const ks = this.gpu.kernel({ shader: adamWgsl, entry: 'sumsq' });
      let offset = 0;
      for (const c of this.chunks) {
        gatherGrads(c);
        this.gpu.dispatch(ks, { buffers: { g: fg, partial }, params: { n: c.size, offset, count, maxNorm: 0 }, workgroups: this.gpu.grid(Math.ceil(c.size / 1024), 64) });
        offset += Math.ceil(c.size / 1024);
      }
      norm = Tensor.empty(this.gpu, [1], 'grad_norm');
      this.gpu.dispatch(this.gpu.kernel({ shader: adamWgsl, entry: 'total' }), { buffers: { parts: partial, norm: norm.buffer }, params: { n: 0, offset: 0, count, maxNorm: 0 }, workgroups: 1 });
      this.gpu.pool.release(partial); // later dispatches that reuse it are ordered after these
    }
    const kc = clip !== undefined ? this.gpu.kernel({ shader: adamWgsl, entry: 'clip' }) : null;
    for (const c of this.chunks) {
      // gather (copies, in recording order) → [clip] → one update of the whole chunk → scatter the parameters back
      this.parts(c, (i, from, at, n) => this.gpu.copy(this.params[i].buffer, fp, n * 4, from * 4, at * 4));
      // one chunk: the gradients staged for the norm are still there
      if (!(clip !== undefined && this.chunks.length === 1)) gatherGrads(c);
      if (kc) this.gpu.dispatch(kc, { buffers: { gc: fg, nrm: norm!.buffer }, params: { n: c.size, offset: 0, count: 0, maxNorm: clip! }, workgroups: this.gpu.grid(c.size, 64) });
      this.gpu.dispatch(kernel, { buffers: { param: fp, grad: fg, m: c.m.buffer, v: c.v.buffer }, params: { n: c.size, wd: c.wd, ...hyper }, workgroups: this.gpu.grid(Math.ceil(c.size / 4 / ADAMW_PER), 64) });
      this.parts(c, (i, from, at, n) => this.gpu.copy(fp, this.params[i].buffer, n * 4, at * 4, from * 4));
    }
    return norm;
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
    const names = this.names(model);
    const m = new Map<string, Float32Array>(names.map((n, i) => [n, new Float32Array(this.params[i].size)]));
    const v = new Map<string, Float32Array>(names.map((n, i) => [n, new Float32Array(this.params[i].size)]));
    for (const c of this.chunks) {
      const [cm, cv] = [await c.m.toArray(), await c.v.toArray()];
      this.parts(c, (i, from, at, n) => {
        m.get(names[i])!.set(cm.subarray(at, at + n), from);
        v.get(names[i])!.set(cv.subarray(at, at + n), from);
      });
    }
    return { step: this.stepCount, m, v };
  }

  /** Restores moments and the step count saved by exportState (every name is checked before anything is uploaded). */
  loadState(s: OptimizerState, model?: { params: Map<string, Tensor> }): void {
    const names = this.names(model);
    names.forEach((name, i) => {
      const mm = s.m.get(name);
      const vv = s.v.get(name);
      if (!mm || !vv) throw new Error(`optimizer state has no moments for ${name}`);
      if (mm.length !== this.params[i].size || vv.length !== this.params[i].size) throw new Error(`optimizer state for ${name} has ${mm.length} values, the parameter has ${this.params[i].size}`);
    });
    for (const c of this.chunks) {
      const [cm, cv] = [new Float32Array(c.size), new Float32Array(c.size)];
      this.parts(c, (i, from, at, n) => {
        cm.set(s.m.get(names[i])!.subarray(from, from + n), at);
        cv.set(s.v.get(names[i])!.subarray(from, from + n), at);
      });
      this.gpu.upload(c.m.buffer, cm);
      this.gpu.upload(c.v.buffer, cv);
    }
    this.stepCount = s.step;
  }

  dispose(): void {
    for (const c of this.chunks) {
      c.m.dispose();
      c.v.dispose();
    }
    this.flatP.dispose();
    this.flatG.dispose();
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
