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
      const l = model.loss(b, { train: true, seed: mixSeed(this.opts.seed, step) });
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
    const gpu = this.model.gpu;
    let sum = 0;
    let n = 0;
    for (const b of batches) {
      sum += await gpu.scope(() => noGrad(async () => this.model.loss(b).item()));
      n++;
    }
    return n ? sum / n : NaN;
  }
}
