// Text generation for any causal language model (CausalLM, model.ts): prefill the prompt, then one position per new
// token through the KV cache (or, with useCache false, the whole window again each token, as the course's generate does).
// Sampling (temperature, top-k, top-p, seeded) happens on the host over one logits row.
// Leaves out: beam search, batched prompts of different lengths.
import { IdBatch, noGrad } from '../autograd/tensor.js';
import { type CausalLM, type Model, isCausalLM } from './model.js';
import { makeRng } from './init.js';

export interface SampleOptions {
  maxNewTokens: number;
  /** softmax temperature; 0 or undefined = greedy (argmax) */
  temperature?: number;
  /** keep only the k most likely tokens (0/undefined: off) */
  topK?: number;
  /** nucleus sampling: keep the smallest set with cumulative probability ≥ p (1/undefined: off) */
  topP?: number;
  seed?: number;
  /** stop when this id is produced (it is not yielded) */
  eotId?: number;
  /** use the KV cache (default true) */
  useCache?: boolean;
}

/** Picks the next id from one row of logits. */
export function sampleLogits(logits: Float32Array, o: { temperature?: number; topK?: number; topP?: number }, rand: () => number): number {
  const V = logits.length;
  const temperature = o.temperature ?? 0;
  if (!(temperature > 0)) {
    let best = 0;
    for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  let idx = Array.from({ length: V }, (_, i) => i);
  idx.sort((a, b) => logits[b] - logits[a] || a - b);
  if (o.topK && o.topK > 0 && o.topK < V) idx = idx.slice(0, o.topK);
  const max = logits[idx[0]];
  let probs = idx.map((i) => Math.exp((logits[i] - max) / temperature));
  let sum = probs.reduce((a, b) => a + b, 0);
  probs = probs.map((p) => p / sum);
  if (o.topP !== undefined && o.topP > 0 && o.topP < 1) {
    let cum = 0;
    let keep = 0;
    while (keep < probs.length && cum < o.topP) cum += probs[keep++];
    idx = idx.slice(0, keep);
    probs = probs.slice(0, keep);
    sum = probs.reduce((a, b) => a + b, 0);
    probs = probs.map((p) => p / sum);
  }
  let r = rand();
  for (let j = 0; j < idx.length; j++) {
    r -= probs[j];
    if (r <= 0) return idx[j];
  }
  return idx[idx.length - 1];
}

/** Yields new token ids one at a time. */
export async function* generate(model: CausalLM, prompt: number[], o: SampleOptions): AsyncGenerator<number> {
  const gpu = model.gpu;
  const ctx = model.contextLength;
  const V = model.vocabSize;
  if (prompt.length === 0) throw new Error('generate: the prompt encodes to no tokens');
  const rand = makeRng(o.seed ?? 0);
  const tokens = prompt.slice(-ctx);
  const useCache = o.useCache !== false;
  const caches = useCache ? model.createCaches(1) : null;
  let pos = 0; // tokens already in the cache
  try {
    for (let n = 0; n < o.maxNewTokens; n++) {
      const row = await gpu.scope(() =>
        noGrad(async () => {
          let logits;
          if (caches && Number.isFinite(pos)) {
            // the cache holds tokens[0, pos): feed only the new ones
            const ids = tokens.slice(pos);
            logits = model.forwardCached(IdBatch.from(gpu, ids, [1, ids.length], V), caches, pos);
            pos = tokens.length;
          } else {
            // no cache, or the window slid past the context: recompute the last ctx tokens
            const ids = tokens.slice(-ctx);
            logits = model.logits(IdBatch.from(gpu, ids, [1, ids.length], V));
          }
          const T = logits.shape[1];
          return gpu.readF32(logits.buffer, V, (T - 1) * V * 4);
        }),
      );
      const next = sampleLogits(row, o, rand);
      if (o.eotId !== undefined && next === o.eotId) return;
      yield next;
      tokens.push(next);
      if (tokens.length > ctx) {
        tokens.shift();
        pos = Number.POSITIVE_INFINITY; // cache no longer matches the window: recompute from here on
      }
    }
  } finally {
    if (caches) for (const c of caches) c.dispose();
  }
}

/** Decodes a stream of ids into text deltas, holding back incomplete UTF-8 (U+FFFD at the end). */
export function streamDecoder(decode: (ids: number[]) => string) {
  const ids: number[] = [];
  let shown = 0;
  return {
    push(id: number): string {
      ids.push(id);
      const text = decode(ids);
      if (text.endsWith('\uFFFD')) return '';
      const delta = text.slice(shown);
      shown = text.length;
      return delta;
    },
    flush(): string {
      const text = decode(ids);
      const delta = text.slice(shown);
      shown = text.length;
      return delta;
    },
  };
}

/** The model as a causal LM, or one line saying its architecture does not generate that way. */
export function asCausalLM(model: Model, what = 'generate'): CausalLM {
  if (!isCausalLM(model)) throw new Error(`${what}: a "${model.arch.modelType}" model is not a causal language model (no next-token generation)`);
  return model;
}
