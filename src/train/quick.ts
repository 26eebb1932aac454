// A small, fixed training run that gives the same losses wherever it runs (Node or Chrome): the
// browser test trains with it in the page and in Node and compares. Browser-safe.
import type { Gpu } from '../gpu/device.js';
import { GPT } from '../model/gpt.js';
import { PRESETS, type GPTConfig } from '../model/config.js';
import { loadTokenizer } from '../tokenizer/index.js';
import { BatchLoader } from '../data/index.js';
import { Trainer } from './trainer.js';

export interface QuickRunOptions {
  steps: number;
  seed: number;
  /** preset name (default tiny) */
  preset?: string;
  context?: number;
  batch?: number;
  lr?: number;
}

/** Trains a fresh model on `text` (simple-v2 vocabulary from the text itself) and returns each step's loss. */
export async function trainLosses(gpu: Gpu, text: string, o: QuickRunOptions): Promise<number[]> {
  const tok = loadTokenizer('simple-v2', { vocabFrom: text });
  const ids = Int32Array.from(tok.encode(text));
  const T = o.context ?? 16;
  const cfg: GPTConfig = { ...PRESETS[o.preset ?? 'tiny'], vocab_size: tok.vocabSize, context_length: T };
  const model = GPT.init(gpu, cfg, o.seed);
  const trainer = new Trainer(model, { lr: o.lr ?? 3e-3, weightDecay: 0.1, seed: o.seed });
  const loader = new BatchLoader(ids, { maxLength: T, stride: T, batchSize: o.batch ?? 2, shuffle: false, dropLast: true });
  const losses: number[] = [];
  try {
    for (let s = 0; s < o.steps; s++) {
      const b = loader.batch(s % loader.numBatches, 0);
      losses.push(await trainer.step(b, s));
    }
  } finally {
    trainer.optimizer.dispose();
    model.dispose();
  }
  return losses;
}
