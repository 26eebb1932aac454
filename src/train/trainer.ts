// One training step and evaluation for a GPT (browser-safe: no files here). Semantics of the course
// book: mean cross-entropy over B·T, torch.optim.AdamW defaults, weight decay on every parameter,
// no clipping unless asked. Leaves out: gradient accumulation, LR schedules (lr is per-step settable).
import { IdBatch, backward, noGrad } from '../autograd/tensor.js';
import { crossEntropy } from '../ops/loss.js';
import { AdamW, clipGradNorm } from './adamw.js';
import type { GPT } from '../model/gpt.js';
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

export interface Batch {
  x: Int32Array;
  y: Int32Array;
  B: number;
  T: number;
}

export class NonFiniteLossError extends Error {
  constructor(readonly step: number, readonly loss: number) {
    super(`loss is ${loss} at step ${step}: training stopped (the last saved checkpoint is kept)`);
  }
}

export class Trainer {
  readonly optimizer: AdamW;
  constructor(
    readonly model: GPT,
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
  async step(b: Batch, step: number): Promise<number> {
    const { model, optimizer } = this;
    const gpu = model.gpu;
    const loss = await gpu.scope(async () => {
      optimizer.zeroGrad();
      const ids = IdBatch.from(gpu, b.x, [b.B, b.T], model.config.vocab_size);
      const logits = model.forward(ids, { train: true, seed: mixSeed(this.opts.seed, step) });
      const l = crossEntropy(logits, b.y);
      backward(l);
      if (this.opts.gradClip !== undefined) clipGradNorm(model.paramList(), this.opts.gradClip);
      optimizer.step();
      return l.item();
    });
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(step, loss);
    return loss;
  }

  /** Mean loss over batches, no dropout, no graph. */
  async evaluate(batches: Iterable<Batch>): Promise<number> {
    const gpu = this.model.gpu;
    let sum = 0;
    let n = 0;
    for (const b of batches) {
      sum += await gpu.scope(() =>
        noGrad(async () => {
          const ids = IdBatch.from(gpu, b.x, [b.B, b.T], this.model.config.vocab_size);
          return crossEntropy(this.model.forward(ids), b.y).item();
        }),
      );
      n++;
    }
    return n ? sum / n : NaN;
  }
}
