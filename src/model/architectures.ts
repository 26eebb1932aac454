// The architecture registry: every model_type wgpt reads, and lookup by config.json's model_type or by the name
// `wgpt train --arch` takes. Adding an architecture = one import and one entry here. Leaves out: plugins at run time.
import type { Architecture } from './model.js';
import { gpt2, gpt2ForSequenceClassification } from './gpt.js';
import { bert, bertForSequenceClassification } from './bert.js';
import { marian } from './marian.js';
import { rnnSeq2seq } from './rnn-seq2seq.js';
import { roberta, robertaForSequenceClassification } from './roberta.js';
import { distilbert, distilbertForSequenceClassification } from './distilbert.js';

/** Registered architectures; the first is the default for configs written before model_type was read. */
export const ARCHITECTURES: readonly Architecture[] = [
  gpt2, bert, rnnSeq2seq, marian, roberta, distilbert,
  gpt2ForSequenceClassification, bertForSequenceClassification, robertaForSequenceClassification, distilbertForSequenceClassification,
];

/** The model types wgpt reads, quoted and joined for messages: "gpt2", "bert" or "marian". */
export function modelTypesText(): string {
  const q = [...new Set(ARCHITECTURES.map((a) => JSON.stringify(a.modelType)))];
  return q.length === 1 ? q[0] : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

/**
 * The architecture of a config.json object (a missing model_type means gpt2, the only type older wgpt wrote). Entries
 * sharing a model_type are told apart by config.json's `architectures` (BertForSequenceClassification); a class wgpt
 * has no entry for (BertForPreTraining, BertModel) reads as the model_type's first entry, whose table skips what it lacks.
 */
export function architectureOf(j: Record<string, unknown>, where: string): Architecture {
  const t = j.model_type ?? ARCHITECTURES[0].modelType;
  const same = ARCHITECTURES.filter((x) => x.modelType === t);
  if (!same.length) throw new Error(`${where}: model_type is ${JSON.stringify(t)}; wgpt reads model_type ${modelTypesText()}`);
  const classes = Array.isArray(j.architectures) ? (j.architectures as unknown[]) : [];
  return same.find((a) => a.hfArchitectures?.some((h) => classes.includes(h))) ?? same[0];
}

/** The sequence-classification architecture of `arch`'s family (same model_type), or null. */
export function classifierOf(arch: Architecture): Architecture | null {
  return ARCHITECTURES.find((a) => a.modelType === arch.modelType && a.hfArchitectures?.[0]?.endsWith('ForSequenceClassification')) ?? null;
}

/** The architecture `wgpt train --arch NAME` means (its name or its model_type). */
export function architectureByName(name: string): Architecture {
  const a = ARCHITECTURES.find((x) => x.name === name || x.modelType === name);
  if (!a) throw new Error(`unknown architecture '${name}' (architectures: ${ARCHITECTURES.map((x) => x.name).join(', ')})`);
  return a;
}
