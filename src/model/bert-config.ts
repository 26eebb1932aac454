// BERT (model_type "bert") configuration in Hugging Face's own keys, its presets, its parameter table and the
// Hugging Face name mapping (browser-safe, host only; the layers are in bert.ts). Leaves out: relative/rotary
// position embeddings, decoder (is_decoder / cross-attention) configs, untied MLM decoders.
import { type ParamSpec, type HFMapping, init } from './model.js';

/** The keys of bert-base-cased's config.json that change the computation, with their meaning. */
export interface BertConfig {
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

const line = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0];

/** Checks a config; throws one line naming the bad field. */
export function validateBertConfig(c: BertConfig, where = 'config'): BertConfig {
  const bad = (m: string): never => {
    throw new Error(`${where}: ${m}`);
  };
  for (const k of ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'max_position_embeddings', 'type_vocab_size'] as const) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) bad(`${k} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  if (c.hidden_size % c.num_attention_heads !== 0) bad(`hidden_size ${c.hidden_size} is not divisible by num_attention_heads ${c.num_attention_heads}`);
  if (!BERT_ACTS.includes(c.hidden_act)) bad(`hidden_act ${JSON.stringify(c.hidden_act)} is not supported (wgpt reads ${BERT_ACTS.map((a) => `"${a}"`).join(', ')})`);
  for (const k of ['hidden_dropout_prob', 'attention_probs_dropout_prob'] as const) {
    if (typeof c[k] !== 'number' || !(c[k] >= 0 && c[k] < 1)) bad(`${k} must be in [0, 1), got ${JSON.stringify(c[k])}`);
  }
  if (typeof c.layer_norm_eps !== 'number' || !(c.layer_norm_eps > 0)) bad(`layer_norm_eps must be > 0, got ${JSON.stringify(c.layer_norm_eps)}`);
  if (!Number.isInteger(c.pad_token_id) || c.pad_token_id < 0 || c.pad_token_id >= c.vocab_size) bad(`pad_token_id ${c.pad_token_id} is not an id of the vocabulary (0…${c.vocab_size - 1})`);
  if (typeof c.initializer_range !== 'number' || !(c.initializer_range > 0)) bad(`initializer_range must be > 0, got ${JSON.stringify(c.initializer_range)}`);
  if (c.word_embedding_init_range !== undefined && !(typeof c.word_embedding_init_range === 'number' && c.word_embedding_init_range > 0)) bad(`word_embedding_init_range must be > 0, got ${JSON.stringify(c.word_embedding_init_range)}`);
  return c;
}

/** config.json object (Hugging Face BertConfig keys) → BertConfig; HF's defaults for absent keys. */
export function bertConfigFromHF(j: unknown, where = 'config.json'): BertConfig {
  const bad = (m: string): never => {
    throw new Error(`${where}: ${m}`);
  };
  if (typeof j !== 'object' || j === null || Array.isArray(j)) bad('must be a JSON object');
  const o = j as Record<string, unknown>;
  if (o.model_type !== 'bert') bad(`model_type is ${JSON.stringify(o.model_type)}, not "bert"`);
  for (const k of ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads']) if (o[k] === undefined) bad(`missing "${k}"`);
  const pe = o.position_embedding_type ?? 'absolute';
  if (pe !== 'absolute') bad(`position_embedding_type ${JSON.stringify(pe)} is not supported (wgpt reads "absolute")`);
  if (o.is_decoder === true || o.add_cross_attention === true) bad('decoder BERT configs (is_decoder / add_cross_attention) are not supported');
  const H = o.hidden_size as number;
  const c: BertConfig = {
    vocab_size: o.vocab_size as number,
    hidden_size: H,
    num_hidden_layers: o.num_hidden_layers as number,
    num_attention_heads: o.num_attention_heads as number,
    intermediate_size: (o.intermediate_size ?? 3072) as number,
    hidden_act: (o.hidden_act ?? 'gelu') as BertAct,
    hidden_dropout_prob: (o.hidden_dropout_prob ?? 0.1) as number,
    attention_probs_dropout_prob: (o.attention_probs_dropout_prob ?? 0.1) as number,
    max_position_embeddings: (o.max_position_embeddings ?? 512) as number,
    type_vocab_size: (o.type_vocab_size ?? 2) as number,
    layer_norm_eps: (o.layer_norm_eps ?? 1e-12) as number,
    pad_token_id: (o.pad_token_id ?? 0) as number,
    initializer_range: (o.initializer_range ?? 0.02) as number,
    ...(o.word_embedding_init_range !== undefined ? { word_embedding_init_range: o.word_embedding_init_range as number } : {}),
  };
  try {
    return validateBertConfig(c, where);
  } catch (e) {
    throw new Error(line(e));
  }
}

/** BertConfig → config.json object with bert-base-cased's keys (what transformers' BertForMaskedLM reads back). */
export function bertConfigToHF(c: BertConfig): Record<string, unknown> {
  validateBertConfig(c);
  return {
    architectures: ['BertForMaskedLM'],
    attention_probs_dropout_prob: c.attention_probs_dropout_prob,
    hidden_act: c.hidden_act,
    hidden_dropout_prob: c.hidden_dropout_prob,
    hidden_size: c.hidden_size,
    initializer_range: c.initializer_range,
    intermediate_size: c.intermediate_size,
    layer_norm_eps: c.layer_norm_eps,
    max_position_embeddings: c.max_position_embeddings,
    model_type: 'bert',
    num_attention_heads: c.num_attention_heads,
    num_hidden_layers: c.num_hidden_layers,
    pad_token_id: c.pad_token_id,
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
    type_vocab_size: c.type_vocab_size,
    vocab_size: c.vocab_size,
    ...(c.word_embedding_init_range !== undefined ? { word_embedding_init_range: c.word_embedding_init_range } : {}),
  };
}

// ---- the parameter table and the Hugging Face mapping ----

/**
 * Every parameter of BertForMaskedLM (pooler and NSP head excluded), in the optimizer's fixed order, under Hugging
 * Face's own names (`bert.` prefix, LayerNorm.weight/bias) and layouts: Linear weights are torch's [out, in] (the
 * model multiplies by their transpose), so files load and save without any rewriting. Init as HF's _init_weights:
 * normal(0, initializer_range) for Linear and Embedding weights (the [PAD] row zeroed), zero biases, LayerNorm 1/0;
 * the word embeddings at word_embedding_init_range instead when the config sets it (wgpt's micro preset).
 */
export function bertParamTable(c: BertConfig): ParamSpec[] {
  const H = c.hidden_size;
  const w = init.normal(c.initializer_range);
  const t: ParamSpec[] = [];
  const lin = (n: string, i: number, o: number) => {
    t.push({ name: n + '.weight', shape: [o, i], init: w });
    t.push({ name: n + '.bias', shape: [o], init: init.zeros() });
  };
  const ln = (n: string) => {
    t.push({ name: n + '.weight', shape: [H], init: init.ones() });
    t.push({ name: n + '.bias', shape: [H], init: init.zeros() });
  };
  const we = c.word_embedding_init_range !== undefined ? init.normal(c.word_embedding_init_range) : w;
  t.push({ name: 'bert.embeddings.word_embeddings.weight', shape: [c.vocab_size, H], init: we, paddingRow: c.pad_token_id });
  t.push({ name: 'bert.embeddings.position_embeddings.weight', shape: [c.max_position_embeddings, H], init: w });
  t.push({ name: 'bert.embeddings.token_type_embeddings.weight', shape: [c.type_vocab_size, H], init: w });
  ln('bert.embeddings.LayerNorm');
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const q = `bert.encoder.layer.${l}.`;
    lin(q + 'attention.self.query', H, H);
    lin(q + 'attention.self.key', H, H);
    lin(q + 'attention.self.value', H, H);
    lin(q + 'attention.output.dense', H, H);
    ln(q + 'attention.output.LayerNorm');
    lin(q + 'intermediate.dense', H, c.intermediate_size);
    lin(q + 'output.dense', c.intermediate_size, H);
    ln(q + 'output.LayerNorm');
  }
  lin('cls.predictions.transform.dense', H, H);
  ln('cls.predictions.transform.LayerNorm');
  t.push({ name: 'cls.predictions.bias', shape: [c.vocab_size], init: init.zeros() });
  return t;
}

/** Tensors of a checkpoint that BertForMaskedLM does not use, and why (named in one line when loading). */
const UNUSED: [RegExp, string][] = [
  [/^bert\.pooler\./, 'pooler (BertForMaskedLM has none)'],
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
  skip(name) {
    return UNUSED.find(([re]) => re.test(name))?.[1] ?? null;
  },
  unexpectedHint(name) {
    if (/^bert\.encoder\.layer\.\d+\./.test(name)) return 'a layer beyond num_hidden_layers in config.json';
    if (/relative|distance_embedding/.test(name)) return 'relative position embeddings are not supported';
    return '';
  },
  transposedHint: "BERT's Linear weights are torch's [out, in]",
};
