// Warm-up plans: the kernels a training step or a generation will need, found by running its code once in the
// device's planning mode (gpu.plan: nothing runs on the GPU, buffers are not filled) and created in the background
// (createComputePipelineAsync) — the cheapest tiers first, then the best ones — before the first real step. Leaves out:
// a cache across processes (Dawn in Node has none to offer: docs/perf.md), guessing shapes a run has not shown.
import type { Gpu } from '../gpu/device.js';
import { backward } from '../autograd/tensor.js';
import type { Model } from '../model/model.js';
import { generate, type SampleOptions } from '../model/generate.js';
import type { CausalLM } from '../model/model.js';

export interface WarmReport {
  /** kernels created before the first step (the cheapest tier of each) */
  now: number;
  /** best tiers left compiling in the background */
  later: number;
  /** wall ms until the kernels needed at once existed */
  ms: number;
  /** why the plan was given up (the kernels then compile on first use, as without a plan) */
  error?: string;
}

async function warm(gpu: Gpu, fn: () => unknown): Promise<WarmReport> {
  const t0 = performance.now();
  try {
    const r = await gpu.warmUp(fn);
    return { ...r, ms: performance.now() - t0 };
  } catch (e) {
    return { now: 0, later: 0, ms: performance.now() - t0, error: (e as Error).message };
  }
}

/**
 * The kernels of one training step on batches shaped like `batch`: the model's loss and backward (AdamW's one kernel
 * compiles in milliseconds and is left to the first step). The plan leaves parameter gradients allocated; a step
 * zeroes them first (Trainer.step), so the numbers are those of a run without the plan.
 */
export function warmUpTraining<B>(model: Model<any, B, any>, batch: B): Promise<WarmReport> {
  return warm(model.gpu, () => {
    const l = model.loss(batch, { train: true, seed: 0 });
    backward(l);
  });
}

/** The kernels of a generation from `prompt`: its prefill and one decode step (two tokens, sampled from zeros). */
export function warmUpGeneration(model: CausalLM & { gpu: Gpu }, prompt: number[], o: SampleOptions): Promise<WarmReport> {
  return warm(model.gpu, async () => {
    for await (const id of generate(model, prompt, { ...o, maxNewTokens: Math.min(2, o.maxNewTokens ?? 2), eotId: undefined })) void id;
  });
}
