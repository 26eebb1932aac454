// One training step and evaluation for any Model (browser-safe: no files here): the model's own objective
// (GPT: mean cross-entropy over B·T, as the course book), torch.optim.AdamW defaults, weight decay on every
// parameter (the course) or Hugging Face Trainer's grouping, no clipping unless asked, gradient accumulation over
// micro-batches, the lr of a schedule per optimizer step. Only parameters with gradient buffers are optimized
// (frozen ones have none). Leaves out: mixed precision, per-group learning rates.
import { backward, noGrad, type Tensor } from '../autograd/tensor.js';
import { scale } from '../ops/binary.js';
import { AdamW } from './adamw.js';
import { weightDecayOf } from './groups.js';
import { lrLambda, type Schedule } from './schedule.js';
import type { Model } from '../model/model.js';
import type { LMBatch } from '../model/gpt.js';
import { mixSeed } from '../model/init.js';

export interface TrainerOptions {
  lr: number;
  weightDecay: number;
  betas?: [number, number];
  eps?: number;
  /** clip the global grad norm to this value (off when undefined) */
  gradClip?: number;
  /** run seed: dropout masks derive from (seed, step) */
  seed: number;
  /** label smoothing ε of the training loss (models whose architecture has `labelSmoothing`; evaluation stays plain) */
  labelSmoothing?: number;
  /** 'all': decay every parameter (the course, the default here); 'hf': none for biases and LayerNorm weights */
  decayGrouping?: 'hf' | 'all';
  /** lr per optimizer step = lr·λ(step) (absent: constant lr) */
  schedule?: Schedule;
  /**
   * extra trainable tensors beyond the model's (LoRA's A and B), with their names; optimized after the model's,
   * in this order
   */
  extraParams?: readonly { name: string; t: Tensor }[];
}

/** A GPT training batch (the next-token batch; other architectures bring their own batch type). */
export type Batch = LMBatch;

export class NonFiniteLossError extends Error {
  constructor(readonly step: number, readonly loss: number) {
    super(`loss is ${loss} at step ${step}: training stopped (the last saved checkpoint is kept)`);
  }
}

export class Trainer<B = LMBatch> {
  readonly optimizer: AdamW;
  /** the optimized tensors (the model's with gradient buffers, then extraParams) and their names */
  readonly trainable: Tensor[];
  readonly trainableNames: string[];
  /** the lr of the last step */
  lastLr: number;
  constructor(
    readonly model: Model<any, B, any>,
    readonly opts: TrainerOptions,
  ) {
    const byTensor = new Map<Tensor, string>();
    for (const [name, t] of model.params) byTensor.set(t, name);
    const own = model.paramList().filter((t) => t.requiresGrad && t.grad);
    this.trainable = [...own, ...(opts.extraParams ?? []).map((e) => e.t)];
    this.trainableNames = [...own.map((t, i) => byTensor.get(t) ?? t.name ?? `p${i}`), ...(opts.extraParams ?? []).map((e) => e.name)];
    if (!this.trainable.length) throw new Error('nothing to train: every parameter is frozen');
    const grouping = opts.decayGrouping ?? 'all';
    this.optimizer = new AdamW(this.trainable, {
      lr: opts.lr,
      betas: opts.betas ?? [0.9, 0.999],
      eps: opts.eps ?? 1e-8,
      weightDecay: opts.weightDecay,
      weightDecays: this.trainableNames.map((n) => weightDecayOf(n, opts.weightDecay, grouping)),
    });
    this.lastLr = opts.lr;
  }

  /** The learning rate of optimizer step `step` (0-based). */
  lrAt(step: number): number {
    return this.opts.schedule ? this.opts.lr * lrLambda(this.opts.schedule, step) : this.opts.lr;
  }

  /**
   * One optimizer step: forward and backward of each micro-batch (several: gradient accumulation, each loss scaled
   * by 1/N so the gradient is the mean over them — one batch N× larger when they count equally many targets), the
   * global-norm clip, then AdamW at the schedule's lr. Returns the mean of the micro-batches' losses (before the
   * update).
   */
  async step(batch: B | readonly B[], step: number): Promise<number> {
    const { model, optimizer } = this;
    const gpu = model.gpu;
    const micro: readonly B[] = Array.isArray(batch) ? (batch as readonly B[]) : [batch as B];
    const N = micro.length;
    optimizer.zeroGrad();
    let sum = 0;
    for (let k = 0; k < N; k++) {
      // one micro-batch's dropout seed: the step's own when there is one (the same masks as before accumulation existed)
      const seed = mixSeed(this.opts.seed, N === 1 ? step : step * N + k);
      sum += await gpu.scope(async () => {
        const l = model.loss(micro[k], { train: true, seed, ...(this.opts.labelSmoothing ? { labelSmoothing: this.opts.labelSmoothing } : {}) });
        backward(N === 1 ? l : scale(l, 1 / N));
        return l.item();
      });
    }
    const loss = sum / N;
    const lr = this.lrAt(step);
    this.lastLr = lr;
    // clipping (torch's clip_grad_norm_ over every trainable gradient) runs inside the step, on the staged gradients
    await gpu.scope(async () => void optimizer.step(lr, this.opts.gradClip !== undefined ? { maxNorm: this.opts.gradClip } : {}));
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(step, loss);
    return loss;
  }

  /** Mean loss over batches, no dropout, no graph. */
  async evaluate(batches: Iterable<B>): Promise<number> {
    return (await this.evaluateMetrics(batches)).loss;
  }

  /**
   * Held-out loss, and accuracy when the model reports it (Model.evaluateBatch: the loss is then the mean over all
   * predictions of all batches; otherwise the mean of the batches' mean losses).
   */
  async evaluateMetrics(batches: Iterable<B>): Promise<{ loss: number; accuracy?: number }> {
    const gpu = this.model.gpu;
    const m = this.model;
    if (m.evaluateBatch) {
      let lossSum = 0;
      let correct = 0;
      let n = 0;
      for (const b of batches) {
        const r = await m.evaluateBatch(b);
        lossSum += r.lossSum;
        correct += r.correct;
        n += r.n;
      }
      return n ? { loss: lossSum / n, accuracy: correct / n } : { loss: NaN };
    }
    let sum = 0;
    let n = 0;
    for (const b of batches) {
      sum += await gpu.scope(() => noGrad(async () => m.loss(b).item()));
      n++;
    }
    return { loss: n ? sum / n : NaN };
  }
}
