// BERT with the masked-LM head (Hugging Face BertForMaskedLM), built only from the shared ops: word + position +
// token-type embeddings → LayerNorm → N post-LN encoder layers (bidirectional attention with the key-padding mask)
// → MLM head tied to the word embeddings; and the `bert` Architecture of the model layer (config.json, table, MLM data).
// Leaves out: the pooler / NSP head (skipped on load), sentence-pair pretraining data, relative positions, fp16.
import type { Gpu } from '../gpu/device.js';
import { IdBatch, noGrad } from '../autograd/tensor.js';
import type { Architecture, ParamMap } from './model.js';
import { type BertConfig, BERT_PRESETS, bertConfigFromHF, bertConfigToHF, bertHF, bertParamTable, validateBertConfig, bertSpec } from './bert-config.js';
import { MaskedLM, EncoderClassifier, encoderArchitectures, specialIdsOf, BERT_TOKENS } from './encoder.js';
import { type ClassificationBatch, wantsClassifier } from './heads.js';
import type { MlmBatch, SpecialIds } from '../data/mlm.js';

export type { BertConfig } from './bert-config.js';

export type { BertInput } from './encoder.js';

/** BertForMaskedLM on the shared encoder (encoder.ts). */
export class Bert extends MaskedLM<BertConfig> {
  constructor(gpu: Gpu, config: BertConfig, params: ParamMap) {
    validateBertConfig(config);
    if (wantsClassifier(config)) throw new Error(`config: architectures ${JSON.stringify(config.architectures)} asks for BertForSequenceClassification; this is the masked-LM model`);
    super(bert, gpu, config, bertSpec(config), params);
  }
}

/** BertForSequenceClassification: pooler (dense + tanh on [CLS]) → dropout → classifier. */
export class BertClassifier extends EncoderClassifier<BertConfig> {
  constructor(gpu: Gpu, config: BertConfig, params: ParamMap) {
    validateBertConfig(config);
    if (!wantsClassifier(config)) throw new Error('config: BertForSequenceClassification needs architectures ["BertForSequenceClassification"]');
    super(bertForSequenceClassification, gpu, config, bertSpec(config), params);
  }
}

// ---- fill-mask ----

export interface FillMaskResult {
  /** position of the [MASK] in the encoded ids */
  position: number;
  /** top-k fill-ins, most probable first */
  candidates: { id: number; token: string; prob: number }[];
}

/** Softmax top-k at each [MASK] position of one encoded sentence (ids [1, T]). */
export async function fillMask(model: MaskedLM<unknown>, ids: number[], maskId: number, topK: number, tokenOf: (id: number) => string): Promise<FillMaskResult[]> {
  const positions = ids.flatMap((id, i) => (id === maskId ? [i] : []));
  if (!positions.length) throw new Error('the text has no [MASK] token to fill');
  if (!(Number.isInteger(topK) && topK >= 1)) throw new Error(`top-k must be a positive integer, got ${topK}`);
  const V = model.vocabSize;
  const k = Math.min(topK, V);
  const logits = await model.gpu.scope(() =>
    noGrad(async () => model.logitsAt({ ids: IdBatch.from(model.gpu, ids, [1, ids.length], V) }, positions).toArray()),
  );
  return positions.map((position, r) => {
    const row = logits.subarray(r * V, (r + 1) * V);
    let max = -Infinity;
    for (const v of row) max = Math.max(max, v);
    let sum = 0;
    for (const v of row) sum += Math.exp(v - max);
    const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => row[b] - row[a] || a - b).slice(0, k);
    return { position, candidates: order.map((id) => ({ id, token: tokenOf(id), prob: Math.exp(row[id] - max) / sum })) };
  });
}

// ---- the architectures ----

/** [CLS], [SEP], [PAD], [MASK] ids from a tokenizer's special tokens (one line naming what is missing). */
export function bertSpecialIds(specials: Record<string, number> | undefined, where = 'the tokenizer'): SpecialIds & { unk?: number } {
  return specialIdsOf(BERT_TOKENS, specials, where, 'BERT');
}

const family = encoderArchitectures<BertConfig>({
  modelType: 'bert',
  name: 'bert',
  loraTargets: ['query', 'value'],
  mlmClass: 'BertForMaskedLM',
  clsClass: 'BertForSequenceClassification',
  summary: 'encoder-only transformer (Hugging Face BertForMaskedLM / BertForSequenceClassification)',
  presets: Object.fromEntries(Object.entries(BERT_PRESETS).map(([k, v]) => [k, { ...v, vocab_size: 30522 }])),
  defaultPreset: 'tiny',
  tokens: BERT_TOKENS,
  validate: (c) => validateBertConfig(c),
  fromHF: (j, where) => bertConfigFromHF(j, where),
  toHF: (c) => bertConfigToHF(c),
  spec: bertSpec,
  hf: bertHF,
  fresh(o) {
    const name = o.preset ?? 'tiny';
    const preset = BERT_PRESETS[name];
    if (!preset) throw new Error(`unknown BERT preset '${name}' (presets: ${Object.keys(BERT_PRESETS).join(', ')})`);
    const c: BertConfig = { ...preset, vocab_size: o.vocabSize };
    if (o.context !== undefined) c.max_position_embeddings = o.context;
    if (o.dropout !== undefined) c.hidden_dropout_prob = c.attention_probs_dropout_prob = o.dropout;
    return validateBertConfig(c);
  },
  withDropout: (c, p) => validateBertConfig({ ...c, hidden_dropout_prob: p, attention_probs_dropout_prob: p }),
  describe: (c) =>
    `${c.num_hidden_layers} layers, hidden ${c.hidden_size}, ${c.num_attention_heads} heads, intermediate ${c.intermediate_size} (${c.hidden_act}), ${c.max_position_embeddings} positions, vocab ${c.vocab_size}`,
});

/** BERT (model_type "bert"): BertForMaskedLM in Hugging Face layout. */
export const bert: Architecture<BertConfig, MlmBatch, Bert> = { ...family.mlm, create: (gpu, config, params) => new Bert(gpu, config, params) };

/** BertForSequenceClassification (model_type "bert", architectures ["BertForSequenceClassification"]). */
export const bertForSequenceClassification: Architecture<BertConfig, ClassificationBatch, BertClassifier> = {
  ...family.cls,
  create: (gpu, config, params) => new BertClassifier(gpu, config, params),
};
