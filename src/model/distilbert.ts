// DistilBERT (model_type "distilbert": DistilBertForMaskedLM, DistilBertForSequenceClassification) on the shared
// encoder, in its own config keys (dim, n_layers, hidden_dim, …) and names: distilbert.embeddings (no token types),
// transformer.layer.N.attention.{q,k,v,out}_lin, sa_layer_norm, ffn.lin1/lin2, output_layer_norm (no dropout on the
// attention output), vocab_transform / vocab_layer_norm / vocab_projector (tied), pre_classifier + ReLU + classifier.
// Leaves out: sinusoidal_pos_embds true, the QA / token-classification heads.
import type { HFMapping } from './model.js';
import { type Schema, checkConfig, configFromSchema, configToSchema } from './schema.js';
import { type HeadKeys, HEAD_SCHEMA, checkHeadKeys, headKeysToHF, wantsClassifier, numLabelsOf, labelsOf } from './heads.js';
import { type EncoderSpec, encoderArchitectures, BERT_TOKENS } from './encoder.js';

/** DistilBertConfig's keys that change the computation (Hugging Face names). */
export interface DistilBertConfig extends HeadKeys {
  vocab_size: number;
  /** hidden width (BERT's hidden_size) */
  dim: number;
  n_layers: number;
  n_heads: number;
  /** feed-forward width (BERT's intermediate_size) */
  hidden_dim: number;
  /** "gelu" (erf) or "relu" */
  activation: 'gelu' | 'relu';
  /** dropout on embeddings and the feed-forward output */
  dropout: number;
  attention_dropout: number;
  max_position_embeddings: number;
  pad_token_id: number;
  initializer_range: number;
  /** dropout of the classification head */
  seq_classif_dropout: number;
}

export const DISTILBERT_SCHEMA: Schema<DistilBertConfig> = {
  vocab_size: { type: 'int', min: 1, default: 30522 },
  dim: { type: 'int', min: 1, default: 768 },
  n_layers: { type: 'int', min: 1, default: 6 },
  n_heads: { type: 'int', min: 1, default: 12 },
  hidden_dim: { type: 'int', min: 1, default: 3072 },
  activation: { type: 'enum', values: ['gelu', 'relu'], default: 'gelu' },
  dropout: { type: 'number', min: 0, below: 1, default: 0.1 },
  attention_dropout: { type: 'number', min: 0, below: 1, default: 0.1 },
  max_position_embeddings: { type: 'int', min: 1, default: 512 },
  pad_token_id: { type: 'int', min: 0, default: 0 },
  initializer_range: { type: 'number', above: 0, default: 0.02 },
  seq_classif_dropout: { type: 'number', min: 0, below: 1, default: 0.2 },
  ...HEAD_SCHEMA,
};

function validate(c: DistilBertConfig, where = 'config'): DistilBertConfig {
  checkConfig(DISTILBERT_SCHEMA, c, where);
  if (c.dim % c.n_heads !== 0) throw new Error(`${where}: dim ${c.dim} is not divisible by n_heads ${c.n_heads}`);
  if (c.pad_token_id >= c.vocab_size) throw new Error(`${where}: pad_token_id ${c.pad_token_id} is not an id of the vocabulary (0…${c.vocab_size - 1})`);
  checkHeadKeys(c, where);
  return c;
}

function fromHF(j: Record<string, unknown>, where: string): DistilBertConfig {
  if (j.model_type !== 'distilbert') throw new Error(`${where}: model_type is ${JSON.stringify(j.model_type)}, not "distilbert"`);
  if (j.sinusoidal_pos_embds === true) throw new Error(`${where}: sinusoidal_pos_embds true is not supported (wgpt reads learned positions)`);
  const c = configFromSchema(DISTILBERT_SCHEMA, j, where);
  if (!wantsClassifier(c)) for (const k of Object.keys(HEAD_SCHEMA) as (keyof HeadKeys)[]) delete c[k];
  return validate(c, where);
}

function toHF(c: DistilBertConfig): Record<string, unknown> {
  validate(c);
  const { architectures: _a, num_labels: _n, id2label: _i, label2id: _l, problem_type: _p, ...rest } = configToSchema(DISTILBERT_SCHEMA, c);
  return { ...headKeysToHF(c, 'DistilBertForMaskedLM'), ...rest, model_type: 'distilbert', sinusoidal_pos_embds: false, tie_weights_: true, torch_dtype: 'float32' };
}

export function distilbertSpec(c: DistilBertConfig): EncoderSpec {
  return {
    owner: 'DistilBERT',
    prefix: 'distilbert.',
    layerPath: 'transformer.layer.',
    layerNames: {
      attn: { q: 'attention.q_lin', k: 'attention.k_lin', v: 'attention.v_lin', out: 'attention.out_lin' },
      attnNorm: 'sa_layer_norm',
      fc: 'ffn.lin1',
      proj: 'ffn.lin2',
      outNorm: 'output_layer_norm',
    },
    vocab: c.vocab_size,
    hidden: c.dim,
    layers: c.n_layers,
    heads: c.n_heads,
    inner: c.hidden_dim,
    act: c.activation,
    hiddenDrop: c.dropout,
    attnDrop: c.attention_dropout,
    dropAttnOutput: false,
    maxPos: c.max_position_embeddings,
    typeVocab: 0,
    eps: 1e-12,
    pad: c.pad_token_id,
    initRange: c.initializer_range,
    positions: 'absolute',
    tokens: BERT_TOKENS,
    head: wantsClassifier(c)
      ? { kind: 'cls', dense: 'pre_classifier', denseAct: 'relu', out: 'classifier', dropBeforeDense: false, p: c.seq_classif_dropout, numLabels: numLabelsOf(c), labels: labelsOf(c), problemType: c.problem_type }
      : { kind: 'mlm', dense: 'vocab_transform', norm: 'vocab_layer_norm', bias: 'vocab_projector.bias', act: c.activation },
  };
}

const distilbertHF: HFMapping<DistilBertConfig> = {
  prefixes: [],
  skip(name, c) {
    if (name === 'vocab_projector.weight') return 'decoder tied to the word embeddings';
    if (name === 'distilbert.embeddings.position_ids') return 'buffers';
    if (wantsClassifier(c) && /^vocab_(transform|layer_norm|projector)\./.test(name)) return 'masked-LM head (DistilBertForSequenceClassification has none)';
    if (!wantsClassifier(c) && /^(pre_classifier|classifier)\./.test(name)) return 'classification head (DistilBertForMaskedLM has none)';
    return null;
  },
  unexpectedHint: (name) => (/^distilbert\.transformer\.layer\.\d+\./.test(name) ? 'a layer beyond n_layers in config.json' : ''),
  transposedHint: "DistilBERT's Linear weights are torch's [out, in]",
};

const base: DistilBertConfig = { vocab_size: 30522, dim: 768, n_layers: 6, n_heads: 12, hidden_dim: 3072, activation: 'gelu', dropout: 0.1, attention_dropout: 0.1, max_position_embeddings: 512, pad_token_id: 0, initializer_range: 0.02, seq_classif_dropout: 0.2 };
export const DISTILBERT_PRESETS: Record<string, DistilBertConfig> = {
  /** 2 layers of 64: seconds per step on the CPU adapter (tests) */
  tiny: { ...base, dim: 64, n_layers: 2, n_heads: 4, hidden_dim: 256, max_position_embeddings: 64, dropout: 0, attention_dropout: 0 },
  /** 4 layers of 128 */
  small: { ...base, dim: 128, n_layers: 4, n_heads: 4, hidden_dim: 512, max_position_embeddings: 128 },
  /** distilbert-base-uncased's shape */
  base,
};

const family = encoderArchitectures<DistilBertConfig>({
  modelType: 'distilbert',
  name: 'distilbert',
  loraTargets: ['q_lin', 'v_lin'],
  mlmClass: 'DistilBertForMaskedLM',
  clsClass: 'DistilBertForSequenceClassification',
  summary: 'DistilBERT encoder (Hugging Face DistilBertForMaskedLM / DistilBertForSequenceClassification)',
  presets: DISTILBERT_PRESETS,
  defaultPreset: 'tiny',
  tokens: BERT_TOKENS,
  validate: (c) => validate(c),
  fromHF,
  toHF,
  spec: distilbertSpec,
  hf: distilbertHF,
  fresh(o) {
    const name = o.preset ?? 'tiny';
    const preset = DISTILBERT_PRESETS[name];
    if (!preset) throw new Error(`unknown DistilBERT preset '${name}' (presets: ${Object.keys(DISTILBERT_PRESETS).join(', ')})`);
    const c: DistilBertConfig = { ...preset, vocab_size: o.vocabSize, pad_token_id: o.specialTokens?.['[PAD]'] ?? preset.pad_token_id };
    if (o.context !== undefined) c.max_position_embeddings = o.context;
    if (o.dropout !== undefined) c.dropout = c.attention_dropout = o.dropout;
    return validate(c);
  },
  withDropout: (c, p) => validate({ ...c, dropout: p, attention_dropout: p }),
  describe: (c) => `${c.n_layers} layers, dim ${c.dim}, ${c.n_heads} heads, hidden_dim ${c.hidden_dim} (${c.activation}), ${c.max_position_embeddings} positions, vocab ${c.vocab_size}`,
});

export const distilbert = family.mlm;
export const distilbertForSequenceClassification = family.cls;
