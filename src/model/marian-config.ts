// Marian (model_type "marian") configuration in Hugging Face MarianConfig's keys, its presets, its parameter table in
// Hugging Face's own names and [out, in] layouts, and the mapping of Hugging Face files onto it (browser-safe, host
// only; the layers are in marian.ts). Leaves out: pre-LayerNorm variants (normalize_before), embedding/final
// LayerNorms, learned positions, layerdrop.
import { type ParamSpec, type HFMapping, init } from './model.js';
import { type Schema, checkConfig, configFromSchema } from './schema.js';
import { type Params, type Param, type SplitAttentionNames, Embedding, PostLNEncoderLayer, PostLNDecoderLayer, tableOf } from './layers.js';

export interface MarianConfig {
  /** rows of the encoder's token embedding (= the shared one) */
  vocab_size: number;
  /** rows of the decoder's embedding and of the output head (= vocab_size when embeddings are shared) */
  decoder_vocab_size: number;
  /** width of every hidden state (even; divisible by both head counts) */
  d_model: number;
  encoder_layers: number;
  decoder_layers: number;
  encoder_attention_heads: number;
  decoder_attention_heads: number;
  /** widths of the feed-forward layers */
  encoder_ffn_dim: number;
  decoder_ffn_dim: number;
  /** longest source or target (rows of the computed sinusoid table) */
  max_position_embeddings: number;
  /** feed-forward activation: "swish" (SiLU, opus-mt), "silu", "gelu" (erf), "gelu_new", "relu" */
  activation_function: MarianAct;
  /** token embeddings × sqrt(d_model) */
  scale_embedding: boolean;
  /** dropout on embeddings and residual branches, on attention probabilities, after the activation (training) */
  dropout: number;
  attention_dropout: number;
  activation_dropout: number;
  /** <pad>: padding, the decoder's start token, banned from generation */
  pad_token_id: number;
  decoder_start_token_id: number;
  /** </s>: ends a sequence (and is forced at max_length − 1) */
  eos_token_id: number;
  /** one embedding for encoder, decoder and head (opus-mt: true) */
  share_encoder_decoder_embeddings: boolean;
  /** std of the normal init of weights */
  init_std: number;
  /** generation defaults from config.json */
  num_beams: number;
  max_length: number;
}

export type MarianAct = 'swish' | 'silu' | 'gelu' | 'gelu_new' | 'relu';
export const MARIAN_ACTS: readonly MarianAct[] = ['swish', 'silu', 'gelu', 'gelu_new', 'relu'];

/** Helsinki-NLP/opus-mt-ko-en's shape (vocabulary 65001, pad 65000). */
export const OPUS_MT: MarianConfig = {
  vocab_size: 65001,
  decoder_vocab_size: 65001,
  d_model: 512,
  encoder_layers: 6,
  decoder_layers: 6,
  encoder_attention_heads: 8,
  decoder_attention_heads: 8,
  encoder_ffn_dim: 2048,
  decoder_ffn_dim: 2048,
  max_position_embeddings: 512,
  activation_function: 'swish',
  scale_embedding: true,
  dropout: 0.1,
  attention_dropout: 0,
  activation_dropout: 0,
  pad_token_id: 65000,
  decoder_start_token_id: 65000,
  eos_token_id: 0,
  share_encoder_decoder_embeddings: true,
  init_std: 0.02,
  num_beams: 6,
  max_length: 512,
};

type Shape = Omit<MarianConfig, 'vocab_size' | 'decoder_vocab_size' | 'pad_token_id' | 'decoder_start_token_id' | 'eos_token_id'>;
export const MARIAN_PRESETS: Record<string, Shape> = {
  /** 2 + 2 layers of 64: the toy-task demo on the CPU adapter */
  tiny: { ...OPUS_MT, d_model: 64, encoder_layers: 2, decoder_layers: 2, encoder_attention_heads: 4, decoder_attention_heads: 4, encoder_ffn_dim: 256, decoder_ffn_dim: 256, max_position_embeddings: 64, dropout: 0, num_beams: 4, max_length: 64 },
  /** 3 + 3 layers of 128 */
  small: { ...OPUS_MT, d_model: 128, encoder_layers: 3, decoder_layers: 3, encoder_attention_heads: 4, decoder_attention_heads: 4, encoder_ffn_dim: 512, decoder_ffn_dim: 512, max_position_embeddings: 128, dropout: 0.1, num_beams: 4, max_length: 128 },
  /** opus-mt's shape */
  'opus-mt': { ...OPUS_MT },
};

/** MarianConfig's keys as data (types, ranges, MarianConfig's config.json defaults). */
export const MARIAN_SCHEMA: Schema<MarianConfig> = {
  vocab_size: { type: 'int', min: 1 },
  decoder_vocab_size: { type: 'int', min: 1, default: (j: Record<string, unknown>) => j.vocab_size },
  d_model: { type: 'int', min: 1 },
  encoder_layers: { type: 'int', min: 1, default: 12 },
  decoder_layers: { type: 'int', min: 1, default: 12 },
  encoder_attention_heads: { type: 'int', min: 1, default: 16 },
  decoder_attention_heads: { type: 'int', min: 1, default: 16 },
  encoder_ffn_dim: { type: 'int', min: 1, default: 4096 },
  decoder_ffn_dim: { type: 'int', min: 1, default: 4096 },
  max_position_embeddings: { type: 'int', min: 1, default: 1024 },
  activation_function: { type: 'enum', values: MARIAN_ACTS, default: 'gelu' },
  scale_embedding: { type: 'bool', default: false },
  dropout: { type: 'number', min: 0, below: 1, default: 0.1 },
  attention_dropout: { type: 'number', min: 0, below: 1, default: 0 },
  activation_dropout: { type: 'number', min: 0, below: 1, default: 0 },
  pad_token_id: { type: 'int', min: 0, default: 58100 },
  decoder_start_token_id: { type: 'int', min: 0, default: (j: Record<string, unknown>) => j.pad_token_id ?? 58100 },
  eos_token_id: { type: 'int', min: 0, default: 0 },
  share_encoder_decoder_embeddings: { type: 'bool', default: true },
  init_std: { type: 'number', above: 0, default: 0.02 },
  num_beams: { type: 'int', min: 1, default: 1 },
  max_length: { type: 'int', min: 1, default: 512 },
};

/** Checks a config; throws one line naming the bad field. */
export function validateMarianConfig(c: MarianConfig, where = 'config'): MarianConfig {
  checkConfig(MARIAN_SCHEMA, c, where);
  const bad = (m: string): never => {
    throw new Error(`${where}: ${m}`);
  };
  if (c.d_model % 2 !== 0) bad(`d_model ${c.d_model} must be even (half sine, half cosine positions)`);
  for (const k of ['encoder_attention_heads', 'decoder_attention_heads'] as const) if (c.d_model % c[k] !== 0) bad(`d_model ${c.d_model} is not divisible by ${k} ${c[k]}`);
  if (c.share_encoder_decoder_embeddings && c.decoder_vocab_size !== c.vocab_size) bad(`decoder_vocab_size ${c.decoder_vocab_size} differs from vocab_size ${c.vocab_size} although share_encoder_decoder_embeddings is true`);
  for (const k of ['pad_token_id', 'decoder_start_token_id', 'eos_token_id'] as const) {
    if (c[k] >= c.decoder_vocab_size) bad(`${k} ${JSON.stringify(c[k])} is not an id of the decoder's vocabulary (0…${c.decoder_vocab_size - 1})`);
  }
  if (c.pad_token_id >= c.vocab_size) bad(`pad_token_id ${c.pad_token_id} is not an id of the encoder's vocabulary (0…${c.vocab_size - 1})`);
  return c;
}

/** config.json object (MarianConfig keys) → MarianConfig, with MarianConfig's defaults for absent keys. */
export function marianConfigFromHF(j: unknown, where = 'config.json'): MarianConfig {
  const bad = (m: string): never => {
    throw new Error(`${where}: ${m}`);
  };
  if (typeof j !== 'object' || j === null || Array.isArray(j)) bad('must be a JSON object');
  const o = j as Record<string, unknown>;
  if (o.model_type !== 'marian') bad(`model_type is ${JSON.stringify(o.model_type)}, not "marian"`);
  if (o.normalize_before === true) bad('normalize_before true (pre-LayerNorm Marian) is not supported');
  if (o.normalize_embedding === true) bad('normalize_embedding true is not supported');
  if (o.add_final_layer_norm === true) bad('add_final_layer_norm true is not supported');
  if (o.tie_word_embeddings === false) bad('tie_word_embeddings false (an lm_head of its own) is not supported');
  if (o.static_position_embeddings === false) bad('learned position embeddings (static_position_embeddings false) are not supported');
  return validateMarianConfig(configFromSchema(MARIAN_SCHEMA, o, where), where);
}

/** MarianConfig → config.json object with MarianConfig's keys (what transformers' MarianMTModel reads back). */
export function marianConfigToHF(c: MarianConfig): Record<string, unknown> {
  validateMarianConfig(c);
  return {
    model_type: 'marian',
    architectures: ['MarianMTModel'],
    is_encoder_decoder: true,
    ...c,
    static_position_embeddings: true,
    normalize_before: false,
    normalize_embedding: false,
    add_final_layer_norm: false,
    tie_word_embeddings: true,
    forced_eos_token_id: c.eos_token_id,
    bad_words_ids: [[c.pad_token_id]],
    torch_dtype: 'float32',
  };
}

// ---- the parameter table and the Hugging Face mapping ----

/**
 * Every tensor of MarianMTModel under Hugging Face's names and layouts (Linear weights torch's [out, in]), in the
 * optimizer's order. Init as HF's _init_weights: normal(0, init_std) for Linear and Embedding weights (the pad row
 * zeroed), zero biases, LayerNorm 1/0. `final_logits_bias` is a buffer in Hugging Face (saved, never trained): frozen.
 */
export function marianParamTable(c: MarianConfig): ParamSpec[] {
  return tableOf('Marian', (ps) => marianLayers(ps, c));
}

/** Marian's layers (the table's order: embeddings, encoder layers, decoder layers, final_logits_bias). */
export interface MarianLayers {
  shared: Embedding | null;
  encEmbed: Embedding | null;
  decEmbed: Embedding | null;
  encoder: PostLNEncoderLayer[];
  decoder: PostLNDecoderLayer[];
  finalLogitsBias: Param;
}

const attnNames = (p: string): SplitAttentionNames => ({ q: `${p}.q_proj`, k: `${p}.k_proj`, v: `${p}.v_proj`, out: `${p}.out_proj` });

export function marianLayers(ps: Params, c: MarianConfig): MarianLayers {
  const d = c.d_model;
  const w = init.normal(c.init_std);
  const emb = (name: string, rows: number) => new Embedding(ps, name, rows, d, { init: w, paddingRow: c.pad_token_id });
  const shared = c.share_encoder_decoder_embeddings ? emb('model.shared', c.vocab_size) : null;
  const encEmbed = shared ? null : emb('model.encoder.embed_tokens', c.vocab_size);
  const decEmbed = shared ? null : emb('model.decoder.embed_tokens', c.decoder_vocab_size);
  const o = { eps: 1e-5, init: w };
  const encoder = Array.from({ length: c.encoder_layers }, (_, l) =>
    new PostLNEncoderLayer(ps.scope(`model.encoder.layers.${l}.`), { attn: attnNames('self_attn'), attnNorm: 'self_attn_layer_norm', fc: 'fc1', proj: 'fc2', outNorm: 'final_layer_norm' }, d, c.encoder_ffn_dim, o));
  const decoder = Array.from({ length: c.decoder_layers }, (_, l) =>
    new PostLNDecoderLayer(ps.scope(`model.decoder.layers.${l}.`), { self: attnNames('self_attn'), selfNorm: 'self_attn_layer_norm', cross: attnNames('encoder_attn'), crossNorm: 'encoder_attn_layer_norm', fc: 'fc1', proj: 'fc2', outNorm: 'final_layer_norm' }, d, c.decoder_ffn_dim, o));
  const finalLogitsBias = ps.param('final_logits_bias', [1, c.decoder_vocab_size], init.zeros(), { frozen: true });
  return { shared, encEmbed, decEmbed, encoder, decoder, finalLogitsBias };
}

/**
 * How Hugging Face Marian files map onto the table: the computed position tables and the tied copies of the shared
 * embedding (encoder/decoder embed_tokens, lm_head) are skipped and named; files saved from MarianModel (no `model.`
 * prefix) get it.
 */
export const marianHF: HFMapping<MarianConfig> = {
  prefixes: [],
  aliases: [[/^(encoder|decoder|shared)\./, 'model.$1.']],
  skip(name, c) {
    if (/^model\.(encoder|decoder)\.embed_positions\.weight$/.test(name)) return 'sinusoidal positions (computed, never loaded)';
    if (name === 'lm_head.weight') return 'output head tied to the embeddings';
    if (c.share_encoder_decoder_embeddings && /^model\.(encoder|decoder)\.embed_tokens\.weight$/.test(name)) return 'tied to model.shared.weight';
    return null;
  },
  unexpectedHint(name, c) {
    if (/^model\.encoder\.layers\.\d+\./.test(name)) return `a layer beyond encoder_layers ${c.encoder_layers} in config.json`;
    if (/^model\.decoder\.layers\.\d+\./.test(name)) return `a layer beyond decoder_layers ${c.decoder_layers} in config.json`;
    if (/layernorm_embedding|layer_norm\.(weight|bias)$/.test(name)) return 'embedding/final LayerNorms (normalize_embedding, add_final_layer_norm) are not supported';
    if (name === 'model.shared.weight') return 'share_encoder_decoder_embeddings is false in config.json';
    return '';
  },
  transposedHint: "Marian's Linear weights are torch's [out, in]",
};
