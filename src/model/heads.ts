// Sequence-classification heads shared by every architecture: the config.json keys they read and write
// (architectures, num_labels, id2label, label2id, problem_type), the batch and loss of single-label classification,
// and the two ways to get a classifier model (for the fine-tuning work):
//
//   newClassifier({ arch, config, numLabels, labels, seed })            a FRESH classifier: every row from the table's init
//   newClassifier({ arch, config, numLabels, labels, seed, from })      from a pretrained checkpoint's parameters (a masked-LM
//                                                                       or LM model of the same family): shared rows copied,
//                                                                       the head's rows initialised, the pretraining head
//                                                                       dropped and named with the reason
//
// `arch` is the classifier architecture (classifierOf(arch) in architectures.ts finds it from a masked-LM or LM
// one); `config` the base config (a checkpoint's, or arch.freshConfig({ preset, vocabSize })). Returns the
// classifier's config and ParamMap; `arch.create(gpu, config, params)` builds it. Leaves out: multi-label and
// regression losses (their logits work; `problem_type` is read and written), data and training commands.
import { Tensor, IdBatch } from '../autograd/tensor.js';
import { type Architecture, type Model, type ParamMap, type SkippedTensor, initParams, skippedLine } from './model.js';
import type { Schema } from './schema.js';
import { embedding } from '../ops/embedding.js';
import { reshape } from '../ops/shape.js';
import { crossEntropy } from '../ops/loss.js';

export type ProblemType = 'single_label_classification' | 'multi_label_classification' | 'regression';
export const PROBLEM_TYPES: readonly ProblemType[] = ['single_label_classification', 'multi_label_classification', 'regression'];

/** The head keys every config type carries (Hugging Face's PretrainedConfig names). */
export interface HeadKeys {
  /** the model class: which head (…ForMaskedLM, …ForSequenceClassification, GPT2LMHeadModel); absent = the default */
  architectures?: string[];
  /** classifier outputs (HF: derived from id2label when absent) */
  num_labels?: number;
  /** index → label name */
  id2label?: Record<string, string>;
  /** label name → index */
  label2id?: Record<string, number>;
  problem_type?: ProblemType;
}

export const HEAD_SCHEMA: Schema<HeadKeys> = {
  architectures: { type: 'strings', default: null },
  num_labels: { type: 'int', min: 1, default: null },
  id2label: { type: 'labels', default: null },
  label2id: { type: 'labels', default: null },
  problem_type: { type: 'enum', values: PROBLEM_TYPES, default: null },
};

/** Whether a config asks for the classification head (its `architectures` names a …ForSequenceClassification). */
export function wantsClassifier(c: HeadKeys): boolean {
  return !!c.architectures?.some((a) => a.endsWith('ForSequenceClassification'));
}

/** num_labels of a classifier config: num_labels, else id2label's size, else 2 (HF's default). */
export function numLabelsOf(c: HeadKeys): number {
  return c.num_labels ?? (c.id2label ? Object.keys(c.id2label).length : 2);
}

/** id2label as a list (`LABEL_i` where the config names none). */
export function labelsOf(c: HeadKeys): string[] {
  const n = numLabelsOf(c);
  return Array.from({ length: n }, (_, i) => c.id2label?.[String(i)] ?? `LABEL_${i}`);
}

/** The head keys of a classifier `cls` with n labels named `labels` (default LABEL_i), spelled out as transformers writes them. */
export function classifierKeys(cls: string, n: number, labels?: readonly string[]): Required<Pick<HeadKeys, 'architectures' | 'num_labels' | 'id2label' | 'label2id'>> {
  const names = labels ? [...labels] : Array.from({ length: n }, (_, i) => `LABEL_${i}`);
  return {
    architectures: [cls],
    num_labels: n,
    id2label: Object.fromEntries(names.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(names.map((l, i) => [l, i])),
  };
}

/** Cross-key checks of the head keys: num_labels against id2label, indices 0…n−1, label2id the inverse. */
export function checkHeadKeys(c: HeadKeys, where: string): void {
  const n = numLabelsOf(c);
  if (c.id2label) {
    const keys = Object.keys(c.id2label);
    if (keys.length !== n) throw new Error(`${where}: id2label has ${keys.length} labels but num_labels is ${n}`);
    for (let i = 0; i < n; i++) if (c.id2label[String(i)] === undefined) throw new Error(`${where}: id2label has no entry "${i}" (its keys must be 0…${n - 1})`);
  }
  if (c.label2id) {
    for (const [name, i] of Object.entries(c.label2id)) {
      if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new Error(`${where}: label2id["${name}"] is ${JSON.stringify(i)}, not an index 0…${n - 1}`);
    }
  }
  if (c.problem_type === 'regression' && n !== 1) throw new Error(`${where}: problem_type "regression" needs num_labels 1, got ${n}`);
}

/** The head keys a classifier config writes (id2label/label2id spelled out, as transformers writes them). */
export function headKeysToHF(c: HeadKeys, defaultClass: string): Record<string, unknown> {
  const out: Record<string, unknown> = { architectures: c.architectures ?? [defaultClass] };
  if (wantsClassifier(c)) {
    const labels = labelsOf(c);
    out.num_labels = labels.length;
    out.id2label = Object.fromEntries(labels.map((l, i) => [String(i), l]));
    out.label2id = c.label2id ?? Object.fromEntries(labels.map((l, i) => [l, i]));
  } else {
    if (c.num_labels !== undefined) out.num_labels = c.num_labels;
    if (c.id2label) out.id2label = c.id2label;
    if (c.label2id) out.label2id = c.label2id;
  }
  if (c.problem_type) out.problem_type = c.problem_type;
  return out;
}

/** Rows `rows` (flat b·T + t) of h [B, T, C] → [N, C], differentiable (a gather whose backward scatters). */
export function pickRows(h: Tensor, rows: readonly number[]): Tensor {
  const [B, T, C] = h.shape;
  return embedding(IdBatch.from(h.gpu, rows, [rows.length], B * T, 'row'), reshape(h, [B * T, C]));
}

/** Checks a 0/1 attention mask of B·T entries (absent: all 1); returns it as numbers. */
export function checkMask(mask: ArrayLike<number> | undefined, B: number, T: number, who: string): ArrayLike<number> {
  if (!mask) return new Uint8Array(B * T).fill(1);
  if (mask.length !== B * T) throw new Error(`${who}: attention mask has ${mask.length} entries, the ids need B·T = ${B}·${T} = ${B * T}`);
  for (let i = 0; i < B * T; i++) if (mask[i] !== 0 && mask[i] !== 1) throw new Error(`${who}: attention mask entry ${mask[i]} at position ${i} is not 0 or 1`);
  return mask;
}

/** A single-label classification batch: ids [B, T] row-major, 0/1 mask, one label index per row. */
export interface ClassificationBatch {
  ids: Int32Array;
  attentionMask: Uint8Array | Int32Array;
  labels: Int32Array;
  B: number;
  T: number;
}

/** HF's loss for problem_type single_label_classification: mean cross-entropy of logits [B, n] against labels. */
export function classificationLoss(logits: Tensor, labels: ArrayLike<number>, problem: ProblemType | undefined): Tensor {
  if (problem && problem !== 'single_label_classification') throw new Error(`problem_type "${problem}": wgpt trains single_label_classification only (its logits work for any)`);
  const n = logits.shape[1];
  for (let i = 0; i < labels.length; i++) if (!(Number.isInteger(labels[i]) && labels[i] >= 0 && labels[i] < n)) throw new Error(`label ${labels[i]} of row ${i} is not an index 0…${n - 1}`);
  return crossEntropy(logits, labels);
}

/** What newClassifier returns: the classifier's config and parameters, and what it did to get them. */
export interface NewClassifier<C> {
  config: C;
  params: ParamMap;
  /** rows drawn from the table's init (all of them for a fresh model; the head's when from a checkpoint) */
  initialised: string[];
  /** tensors of `from` the classifier has no place for (the pretraining head), with the reason */
  dropped: SkippedTensor[];
  /** one line for the user: what was initialised and what dropped */
  summary: string;
}

/**
 * A classifier of architecture `arch` (a …ForSequenceClassification one) with `numLabels` outputs named `labels`
 * (default LABEL_i): fresh, or from `from` (a pretrained model's parameters by table name; rows of the same name
 * and shape are copied). Errors are one line.
 */
export function newClassifier<C extends HeadKeys, B, M extends Model<C, B>>(o: {
  arch: Architecture<C, B, M>;
  config: C;
  numLabels: number;
  labels?: readonly string[];
  seed: number;
  from?: ParamMap;
  /** the pretrained model's class, for the reasons (BertForMaskedLM) */
  fromClass?: string;
}): NewClassifier<C> {
  const cls = o.arch.hfArchitectures?.[0];
  if (!cls || !cls.endsWith('ForSequenceClassification')) throw new Error(`newClassifier: ${o.arch.name} is not a sequence-classification architecture`);
  if (!(Number.isInteger(o.numLabels) && o.numLabels >= 1)) throw new Error(`the number of labels must be a positive integer, got ${o.numLabels}`);
  const labels = o.labels ? [...o.labels] : Array.from({ length: o.numLabels }, (_, i) => `LABEL_${i}`);
  if (labels.length !== o.numLabels) throw new Error(`${labels.length} label names for ${o.numLabels} labels`);
  if (new Set(labels).size !== labels.length) throw new Error(`label names must differ: ${JSON.stringify(labels)}`);
  const base = { ...o.config } as C;
  delete base.id2label;
  delete base.label2id;
  delete base.num_labels;
  const config = o.arch.validateConfig({ ...base, ...classifierKeys(cls, o.numLabels, labels) });
  const table = o.arch.paramTable(config);
  const fresh = o.arch.initParams ? o.arch.initParams(config, o.seed, 'wgpt') : initParams(table, o.seed);
  const initialised: string[] = [];
  const dropped: SkippedTensor[] = [];
  const params: ParamMap = new Map();
  for (const row of table) {
    const got = o.from?.get(row.name);
    if (got && got.shape.join(',') === row.shape.join(',')) params.set(row.name, { shape: [...row.shape], data: got.data.slice() });
    else {
      if (got) throw new Error(`${row.name} has shape [${got.shape}] in the pretrained model, the classifier needs [${row.shape}]`);
      params.set(row.name, fresh.get(row.name)!);
      initialised.push(row.name);
    }
  }
  if (o.from) for (const name of o.from.keys()) if (!params.has(name)) dropped.push({ name, reason: `${o.fromClass ?? 'the pretraining'} head (${cls} has none)` });
  const summary = o.from
    ? `${cls} from the pretrained weights: ${initialised.length ? `initialised ${initialised.join(', ')}` : 'nothing initialised'}${dropped.length ? `; ${skippedLine(dropped).replace(/^skipped/, 'dropped')}` : ''}`
    : `${cls} initialised from seed ${o.seed} (${table.length} tensors)`;
  return { config, params, initialised, dropped, summary };
}
