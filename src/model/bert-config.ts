// BERT (model_type "bert") configuration in Hugging Face's own keys, its presets, its parameter table and the
// Hugging Face name mapping (browser-safe, host only; the layers are in bert.ts). Leaves out: relative/rotary
// position embeddings, decoder (is_decoder / cross-attention) configs, untied MLM decoders.
import type { ParamSpec, HFMapping } from './model.js';
import { type Schema, checkConfig, configFromSchema, configToSchema } from './schema.js';
import { type HeadKeys, HEAD_SCHEMA, checkHeadKeys, headKeysToHF, wantsClassifier, numLabelsOf, labelsOf } from './heads.js';
import { tableOf } from './layers.js';
import { type EncoderSpec, encoderLayers, BERT_TOKENS } from './encoder.js';
import { BERT_LAYER_NAMES } from './layers.js';

/** The keys of bert-base-cased's config.json that change the computation, with their meaning. */
export interface BertConfig extends HeadKeys {
  /** rows of the word embedding and of the (tied) MLM decoder (bert-base-cased: 28996) */
  vocab_size: number;
  /** width H of every hidden state (must be divisible by num_attention_heads) */
  hidden_size: number;
  /** encoder layers */
  num_hidden_layers: number;
  /** attention heads per layer; head size is hidden_size / num_attention_heads */
  num_attention_heads: number;
  /** width of the feed-forward layer inside each encoder layer (BERT: 4·H) */
  intermediate_size: number;
  /** activation of the feed-forward layer and of the MLM head: "gelu" (erf), "gelu_new" (tanh), "relu", "silu" */
  hidden_act: BertAct;
  /** dropout on embeddings and on both residual branches during training */
  hidden_dropout_prob: number;
  /** dropout on the attention probabilities during training */
  attention_probs_dropout_prob: number;
  /** longest sequence (rows of the learned position table) */
  max_position_embeddings: number;
  /** segment ids accepted (BERT: 2, sentence A and B) */
  type_vocab_size: number;
  /** LayerNorm epsilon (BERT: 1e-12) */
  layer_norm_eps: number;
  /** id of [PAD] (its word-embedding row gets no gradient from lookups, like nn.Embedding(padding_idx)) */
  pad_token_id: number;
  /** std of the normal init of weights */
  initializer_range: number;
  /**
   * wgpt's own key (Hugging Face ignores it): std of the word embeddings' init when it differs from initializer_range.
   * The decoder is tied to them, so at 0.02 a tiny model's logits cannot tell tokens apart for hundreds of steps.
   */
  word_embedding_init_range?: number;
  /** dropout of the classification head (HF: hidden_dropout_prob when absent) */
  classifier_dropout?: number;
}

export type BertAct = 'gelu' | 'gelu_new' | 'relu' | 'silu';
export const BERT_ACTS: readonly BertAct[] = ['gelu', 'gelu_new', 'relu', 'silu'];

/** bert-base-cased's values (vocabulary size aside, which comes from the tokenizer when training). */
export const BERT_BASE: BertConfig = {
  vocab_size: 28996,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  pad_token_id: 0,
  initializer_range: 0.02,
};

export const BERT_PRESETS: Record<string, Omit<BertConfig, 'vocab_size'>> = {
  /** 2 layers of 32 (4 heads of 8): the `wgpt demo-bert` model, the one that learns fastest per second on the CPU adapter */
  micro: { ...BERT_BASE, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 128, max_position_embeddings: 64, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0, word_embedding_init_range: 0.5 },
  /** 2 layers of 64: seconds per step on the CPU adapter (tests) */
  tiny: { ...BERT_BASE, hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 256, max_position_embeddings: 64, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 },
  /** 4 layers of 128 (bert-tiny-ish width, twice the depth): the MLM demo on the Korean corpus */
  small: { ...BERT_BASE, hidden_size: 128, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 512, max_position_embeddings: 128, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 },
  /** bert-base-cased's shape */
  base: { ...BERT_BASE },
};

/** BertConfig's keys as data (types, ranges, config.json defaults: Hugging Face BertConfig's). */
export const BERT_SCHEMA: Schema<BertConfig> = {
  vocab_size: { type: 'int', min: 1 },
  hidden_size: { type: 'int', min: 1 },
  num_hidden_layers: { type: 'int', min: 1 },
  num_attention_heads: { type: 'int', min: 1 },
  intermediate_size: { type: 'int', min: 1, default: 3072 },
  hidden_act: { type: 'enum', values: BERT_ACTS, default: 'gelu' },
  hidden_dropout_prob: { type: 'number', min: 0, below: 1, default: 0.1 },
  attention_probs_dropout_prob: { type: 'number', min: 0, below: 1, default: 0.1 },
  max_position_embeddings: { type: 'int', min: 1, default: 512 },
  type_vocab_size: { type: 'int', min: 1, default: 2 },
  layer_norm_eps: { type: 'number', above: 0, default: 1e-12 },
  pad_token_id: { type: 'int', min: 0, default: 0 },
  initializer_range: { type: 'number', above: 0, default: 0.02 },
  word_embedding_init_range: { type: 'number', above: 0, default: null },
  classifier_dropout: { type: 'number', min: 0, below: 1, default: null },
  ...HEAD_SCHEMA,
};

/** Checks a config; throws one line naming the bad field. */
export function validateBertConfig(c: BertConfig, where = 'config'): BertConfig {
  checkConfig(BERT_SCHEMA, c, where);
  if (c.hidden_size % c.num_attention_heads !== 0) throw new Error(`${where}: hidden_size ${c.hidden_size} is not divisible by num_attention_heads ${c.num_attention_heads}`);
  if (c.pad_token_id >= c.vocab_size) throw new Error(`${where}: pad_token_id ${c.pad_token_id} is not an id of the vocabulary (0…${c.vocab_size - 1})`);
  checkHeadKeys(c, where);
  return c;
}

/**
 * config.json object (Hugging Face BertConfig keys; RoBERTa's are the same) → BertConfig; HF's defaults for absent
 * keys. The head keys are kept for classifiers only (the masked-LM head is the default and is not spelled out).
 */
export function bertConfigFromHF(j: unknown, where = 'config.json', modelType = 'bert', defaults: Partial<BertConfig> = {}): BertConfig {
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new Error(`${where}: must be a JSON object`);
  const o = j as Record<string, unknown>;
  if (o.model_type !== modelType) throw new Error(`${where}: model_type is ${JSON.stringify(o.model_type)}, not "${modelType}"`);
  const pe = o.position_embedding_type ?? 'absolute';
  if (pe !== 'absolute') throw new Error(`${where}: position_embedding_type ${JSON.stringify(pe)} is not supported (wgpt reads "absolute")`);
  if (o.is_decoder === true || o.add_cross_attention === true) throw new Error(`${where}: decoder configs (is_decoder / add_cross_attention) are not supported`);
  const withDefaults = { ...o };
  for (const [k, v] of Object.entries(defaults)) if (withDefaults[k] === undefined) withDefaults[k] = v;
  const c = configFromSchema(BERT_SCHEMA, withDefaults, where);
  if (!wantsClassifier(c)) for (const k of Object.keys(HEAD_SCHEMA) as (keyof HeadKeys)[]) delete c[k];
  return validateBertConfig(c, where);
}

/** BertConfig → config.json object with bert-base-cased's keys (what transformers reads back). */
export function bertConfigToHF(c: BertConfig, modelType = 'bert', mlmClass = 'BertForMaskedLM'): Record<string, unknown> {
  validateBertConfig(c);
  const { architectures: _a, num_labels: _n, id2label: _i, label2id: _l, problem_type: _p, ...rest } = configToSchema(BERT_SCHEMA, c);
  return {
    ...headKeysToHF(c, mlmClass),
    ...rest,
    model_type: modelType,
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
  };
}

// ---- the parameter table and the Hugging Face mapping ----

/**
 * The fields of an encoder spec that every BERT-shaped config (BERT, RoBERTa) gives the same way: sizes, dropouts,
 * positions' count, init ranges; the family says the rest (names, position style, tokens, head).
 */
export function bertShapedSpec(c: BertConfig, family: Pick<EncoderSpec, 'owner' | 'prefix' | 'positions' | 'tokens' | 'head'>): EncoderSpec {
  return {
    ...family,
    layerPath: 'encoder.layer.',
    layerNames: BERT_LAYER_NAMES,
    vocab: c.vocab_size,
    hidden: c.hidden_size,
    layers: c.num_hidden_layers,
    heads: c.num_attention_heads,
    inner: c.intermediate_size,
    act: c.hidden_act,
    hiddenDrop: c.hidden_dropout_prob,
    attnDrop: c.attention_probs_dropout_prob,
    dropAttnOutput: true,
    maxPos: c.max_position_embeddings,
    typeVocab: c.type_vocab_size,
    eps: c.layer_norm_eps,
    pad: c.pad_token_id,
    initRange: c.initializer_range,
    wordInitRange: c.word_embedding_init_range,
  };
}

/** The encoder spec of a BERT config (BertForMaskedLM or BertForSequenceClassification by its `architectures`). */
export function bertSpec(c: BertConfig): EncoderSpec {
  return bertShapedSpec(c, {
    owner: 'BERT',
    prefix: 'bert.',
    positions: 'absolute',
    tokens: BERT_TOKENS,
    head: wantsClassifier(c)
      ? { kind: 'cls', dense: 'bert.pooler.dense', denseAct: 'tanh', out: 'classifier', dropBeforeDense: false, p: c.classifier_dropout ?? c.hidden_dropout_prob, numLabels: numLabelsOf(c), labels: labelsOf(c), problemType: c.problem_type }
      : { kind: 'mlm', dense: 'cls.predictions.transform.dense', norm: 'cls.predictions.transform.LayerNorm', bias: 'cls.predictions.bias', act: c.hidden_act },
  });
}

/**
 * Every parameter of BertForMaskedLM (pooler and NSP head excluded) or BertForSequenceClassification (pooler +
 * classifier, no MLM head), in the optimizer's fixed order, under Hugging Face's own names (`bert.` prefix,
 * LayerNorm.weight/bias) and layouts (Linear weights torch's [out, in]), declared by the layers (encoder.ts). Init as
 * HF's _init_weights: normal(0, initializer_range) for Linear and Embedding weights (the [PAD] row zeroed), zero
 * biases, LayerNorm 1/0; the word embeddings at word_embedding_init_range when the config sets it.
 */
export function bertParamTable(c: BertConfig): ParamSpec[] {
  return tableOf('BERT', (ps) => encoderLayers(ps, bertSpec(c)));
}

/** Tensors of a checkpoint that BertForMaskedLM does not use, and why (named in one line when loading). */
const UNUSED: [RegExp, string][] = [
  [/^cls\.seq_relationship\./, 'next-sentence head'],
  [/^bert\.embeddings\.(position_ids|token_type_ids)$/, 'buffers'],
  [/^cls\.predictions\.decoder\.weight$/, 'decoder tied to the word embeddings'],
  [/^cls\.predictions\.decoder\.bias$/, 'the same Parameter as cls.predictions.bias'],
];

/**
 * How Hugging Face BERT files map onto the table: files without the `bert.` prefix (embeddings.*, encoder.*,
 * pooler.*: a BertModel or an old export) get it, old LayerNorm gamma/beta become weight/bias, the pooler, the NSP
 * head, buffers and the tied decoder's copies are skipped and named.
 */
export const bertHF: HFMapping<BertConfig> = {
  prefixes: [],
  aliases: [
    [/^(embeddings|encoder|pooler)\./, 'bert.$1.'],
    [/\.LayerNorm\.gamma$/, '.LayerNorm.weight'],
    [/\.LayerNorm\.beta$/, '.LayerNorm.bias'],
  ],
  skip(name, c) {
    if (wantsClassifier(c)) {
      if (/^cls\.predictions\./.test(name)) return 'masked-LM head (BertForSequenceClassification has none)';
    } else if (/^bert\.pooler\./.test(name)) return 'pooler (BertForMaskedLM has none)';
    else if (/^classifier\./.test(name)) return 'classification head (BertForMaskedLM has none)';
    return UNUSED.find(([re]) => re.test(name))?.[1] ?? null;
  },
  unexpectedHint(name) {
    if (/^bert\.encoder\.layer\.\d+\./.test(name)) return 'a layer beyond num_hidden_layers in config.json';
    if (/relative|distance_embedding/.test(name)) return 'relative position embeddings are not supported';
    return '';
  },
  transposedHint: "BERT's Linear weights are torch's [out, in]",
};
