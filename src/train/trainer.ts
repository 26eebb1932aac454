// One training step and evaluation for any Model (browser-safe: no files here): the model's own objective
// (GPT: mean cross-entropy over B·T, as the course book), torch.optim.AdamW defaults, weight decay on every
// parameter, no clipping unless asked. Leaves out: gradient accumulation, LR schedules (lr is per-step settable).
import { backward, noGrad } from '../autograd/tensor.js';
import { AdamW, clipGradNorm } from './adamw.js';
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
  constructor(
    readonly model: Model<any, B, any>,
    readonly opts: TrainerOptions,
  ) {
    this.optimizer = new AdamW(model.paramList(), {
      lr: opts.lr,
      betas: opts.betas ?? [0.9, 0.999],
      eps: opts.eps ?? 1e-8,
      weightDecay: opts.weightDecay,
    });
  }

  /** Forward, backward, AdamW update. Returns the loss of this step's forward pass (before the update). */
  async step(b: B, step: number): Promise<number> {
    const { model, optimizer } = this;
    const gpu = model.gpu;
    const loss = await gpu.scope(async () => {
      optimizer.zeroGrad();
      const l = model.loss(b, { train: true, seed: mixSeed(this.opts.seed, step), ...(this.opts.labelSmoothing ? { labelSmoothing: this.opts.labelSmoothing } : {}) });
      backward(l);
      if (this.opts.gradClip !== undefined) clipGradNorm(model.paramList(), this.opts.gradClip);
      optimizer.step();
      return l.item();
    });
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
