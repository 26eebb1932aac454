// The architecture registry: every model_type wgpt reads, and lookup by config.json's model_type or by the name
// `wgpt train --arch` takes. Adding an architecture = one import and one entry here. Leaves out: plugins at run time.
import type { Architecture } from './model.js';
import { gpt2 } from './gpt.js';
import { bert } from './bert.js';
import { marian } from './marian.js';
import { rnnSeq2seq } from './rnn-seq2seq.js';

/** Registered architectures; the first is the default for configs written before model_type was read. */
export const ARCHITECTURES: readonly Architecture[] = [gpt2, bert, rnnSeq2seq, marian];

/** The model types wgpt reads, quoted and joined for messages: "gpt2", "bert" or "marian". */
export function modelTypesText(): string {
  const q = ARCHITECTURES.map((a) => JSON.stringify(a.modelType));
  return q.length === 1 ? q[0] : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

/** The architecture of a config.json object (a missing model_type means gpt2, the only type older wgpt wrote). */
export function architectureOf(j: Record<string, unknown>, where: string): Architecture {
  const t = j.model_type ?? ARCHITECTURES[0].modelType;
  const a = ARCHITECTURES.find((x) => x.modelType === t);
  if (!a) throw new Error(`${where}: model_type is ${JSON.stringify(t)}; wgpt reads model_type ${modelTypesText()}`);
  return a;
}

/** The architecture `wgpt train --arch NAME` means (its name or its model_type). */
export function architectureByName(name: string): Architecture {
  const a = ARCHITECTURES.find((x) => x.name === name || x.modelType === name);
  if (!a) throw new Error(`unknown architecture '${name}' (architectures: ${ARCHITECTURES.map((x) => x.name).join(', ')})`);
  return a;
}
