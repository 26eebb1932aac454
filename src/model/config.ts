// GPT configuration: a typed config with a commented default on every field, the presets, and config.json in
// Hugging Face GPT-2 keys.
// Leaves out: anything not in the course's GPT (no rotary positions, no MoE, no bias-free LayerNorm).

import { type HeadKeys, HEAD_SCHEMA, checkHeadKeys, headKeysToHF, wantsClassifier } from './heads.js';
import { type Schema, checkConfig, configFromSchema } from './schema.js';

export type Positions = 'learned' | 'sinusoidal';

export interface GPTConfig extends HeadKeys {
  /** number of token ids the embedding and the output head cover (GPT-2 BPE: 50257) */
  vocab_size: number;
  /** longest sequence the model accepts; size of the learned position table */
  context_length: number;
  /** embedding width C (must be divisible by n_heads) */
  d_model: number;
  /** attention heads; head size is d_model / n_heads */
  n_heads: number;
  /** transformer blocks */
  n_layers: number;
  /** dropout probability on embeddings, attention weights and residual branches during training */
  dropout: number;
  /** whether the fused q/k/v projection has a bias (GPT-2: true; the course's 124M config: false) */
  qkv_bias: boolean;
  /** output head shares the token embedding matrix (GPT-2: true; the course: false) */
  tie_embeddings: boolean;
  /** learned position embeddings (GPT-2) or the fixed sin/cos table */
  positions: Positions;
  /** LayerNorm epsilon */
  layernorm_eps: number;
  /** GPT2ForSequenceClassification: the id whose first occurrence ends a row (the score is read one token before) */
  pad_token_id?: number;
}

export const DEFAULT_CONFIG: GPTConfig = {
  vocab_size: 50257,
  context_length: 256,
  d_model: 768,
  n_heads: 12,
  n_layers: 12,
  dropout: 0.1,
  qkv_bias: false,
  tie_embeddings: false,
  positions: 'learned',
  layernorm_eps: 1e-5,
};

export const PRESETS: Record<string, GPTConfig> = {
  /** a few hundred thousand parameters plus the embedding: seconds per step on the CPU adapter */
  tiny: { ...DEFAULT_CONFIG, context_length: 32, d_model: 64, n_heads: 4, n_layers: 2, dropout: 0 },
  /** the default for `npm start`: trains in minutes on SwiftShader, writes recognisable words */
  small: { ...DEFAULT_CONFIG, context_length: 64, d_model: 128, n_heads: 4, n_layers: 2, dropout: 0 },
  /** the course book's GPT_CONFIG_124M */
  'book-124m': { ...DEFAULT_CONFIG },
  /** Hugging Face GPT-2 small layout: biases, tied head, context 1024 */
  gpt2: { ...DEFAULT_CONFIG, context_length: 1024, qkv_bias: true, tie_embeddings: true },
};

/**
 * GPTConfig's keys as data: types, ranges, their config.json names (GPT-2's; wgpt's own under "wgpt") and GPT-2's
 * defaults. `dropout` defaults to resid_pdrop; context_length reads n_ctx when n_positions is absent (gptConfigFromHF).
 */
export const GPT_SCHEMA: Schema<GPTConfig> = {
  vocab_size: { type: 'int', min: 1 },
  context_length: { type: 'int', min: 1, hf: 'n_positions' },
  d_model: { type: 'int', min: 1, hf: 'n_embd' },
  n_heads: { type: 'int', min: 1, hf: 'n_head' },
  n_layers: { type: 'int', min: 1, hf: 'n_layer' },
  dropout: { type: 'number', min: 0, below: 1, hf: 'wgpt.dropout', default: (j: Record<string, unknown>) => j.resid_pdrop ?? 0.1 },
  qkv_bias: { type: 'bool', hf: 'wgpt.qkv_bias', default: true },
  tie_embeddings: { type: 'bool', hf: 'tie_word_embeddings', default: true },
  positions: { type: 'enum', values: ['learned', 'sinusoidal'], hf: 'wgpt.positions', default: 'learned' },
  layernorm_eps: { type: 'number', above: 0, hf: 'layer_norm_epsilon', default: 1e-5 },
  pad_token_id: { type: 'int', min: 0, default: null },
  ...HEAD_SCHEMA,
};

/** Checks a config; throws one line naming the bad field. */
export function validateConfig(c: GPTConfig): GPTConfig {
  checkConfig(GPT_SCHEMA, c, 'config');
  if (c.d_model % c.n_heads !== 0) throw new Error(`config: d_model ${c.d_model} is not divisible by n_heads ${c.n_heads}`);
  if (c.pad_token_id !== undefined && c.pad_token_id >= c.vocab_size) throw new Error(`config: pad_token_id ${c.pad_token_id} is not an id of the vocabulary (0…${c.vocab_size - 1})`);
  checkHeadKeys(c, 'config');
  return c;
}

const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0];

// ---- config.json (Hugging Face GPT-2 keys) <-> GPTConfig ----

/** GPTConfig → config.json object with GPT-2 HF keys, plus what HF has no key for under "wgpt". */
export function gptConfigToHF(c: GPTConfig): Record<string, unknown> {
  validateConfig(c);
  return {
    model_type: 'gpt2',
    ...headKeysToHF(c, 'GPT2LMHeadModel'),
    ...(c.pad_token_id !== undefined ? { pad_token_id: c.pad_token_id } : {}),
    vocab_size: c.vocab_size,
    n_positions: c.context_length,
    n_ctx: c.context_length,
    n_embd: c.d_model,
    n_layer: c.n_layers,
    n_head: c.n_heads,
    n_inner: null,
    layer_norm_epsilon: c.layernorm_eps,
    activation_function: 'gelu_new',
    tie_word_embeddings: c.tie_embeddings,
    resid_pdrop: c.dropout,
    embd_pdrop: c.dropout,
    attn_pdrop: c.dropout,
    scale_attn_weights: true,
    torch_dtype: 'float32',
    wgpt: { format: 1, qkv_bias: c.qkv_bias, positions: c.positions, dropout: c.dropout },
  };
}

/** config.json object → GPTConfig. Defaults as HF GPT-2: qkv_bias true, learned positions, tied head, eps 1e-5. */
export function gptConfigFromHF(j: unknown, where = 'config.json'): GPTConfig {
  const bad = (msg: string): never => {
    throw new Error(`${where}: ${msg}`);
  };
  if (typeof j !== 'object' || j === null || Array.isArray(j)) bad('must be a JSON object');
  const o = j as Record<string, unknown>;
  if (o.model_type !== undefined && o.model_type !== 'gpt2') bad(`model_type is ${JSON.stringify(o.model_type)}, not "gpt2"`);
  for (const k of ['vocab_size', 'n_embd', 'n_layer', 'n_head']) if (o[k] === undefined) bad(`missing "${k}"`);
  if (o.n_positions === undefined && o.n_ctx === undefined) bad('missing "n_positions"');
  const w = o.wgpt ?? {};
  if (typeof w !== 'object' || w === null || Array.isArray(w)) bad('"wgpt" must be an object');
  const ours = w as Record<string, unknown>;

  const n = o.n_embd;
  if (typeof n === 'number' && o.n_inner !== undefined && o.n_inner !== null && o.n_inner !== 4 * n) bad(`n_inner ${JSON.stringify(o.n_inner)} is not supported; wgpt's MLP is ${n}→${4 * n}→${n} (n_inner null)`);
  const act = o.activation_function ?? 'gelu_new';
  if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') bad(`activation_function ${JSON.stringify(act)} is not supported; wgpt uses the tanh GELU ("gelu_new")`);
  if (o.scale_attn_by_inverse_layer_idx === true) bad('scale_attn_by_inverse_layer_idx true is not supported');
  if (o.scale_attn_weights === false) bad('scale_attn_weights false is not supported (wgpt scales scores by 1/sqrt(head size))');
  const positions = ours.positions ?? 'learned';
  if (positions !== 'learned' && positions !== 'sinusoidal') bad(`wgpt.positions must be "learned" or "sinusoidal", got ${JSON.stringify(positions)}`);
  const c = configFromSchema(GPT_SCHEMA, { ...o, n_positions: o.n_positions ?? o.n_ctx }, where);
  // the head keys and pad_token_id matter to GPT2ForSequenceClassification only (the LM ignores them)
  if (!wantsClassifier(c)) for (const k of [...Object.keys(HEAD_SCHEMA), 'pad_token_id'] as (keyof GPTConfig)[]) delete c[k];
  try {
    return validateConfig(c);
  } catch (e) {
    return bad(firstLine(e));
  }
}
