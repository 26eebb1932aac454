// GPT configuration: a typed config with a commented default on every field, and the presets.
// Leaves out: anything not in the course's GPT (no rotary positions, no MoE, no bias-free LayerNorm).

export type Positions = 'learned' | 'sinusoidal';

export interface GPTConfig {
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

/** Checks a config; throws one line naming the bad field. */
export function validateConfig(c: GPTConfig): GPTConfig {
  const ints: (keyof GPTConfig)[] = ['vocab_size', 'context_length', 'd_model', 'n_heads', 'n_layers'];
  for (const k of ints) {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v <= 0) throw new Error(`config: ${k} must be a positive integer, got ${v}`);
  }
  if (c.d_model % c.n_heads !== 0) throw new Error(`config: d_model ${c.d_model} is not divisible by n_heads ${c.n_heads}`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new Error(`config: dropout must be in [0, 1), got ${c.dropout}`);
  if (!(c.layernorm_eps > 0)) throw new Error(`config: layernorm_eps must be > 0, got ${c.layernorm_eps}`);
  if (c.positions !== 'learned' && c.positions !== 'sinusoidal') throw new Error(`config: positions must be 'learned' or 'sinusoidal', got ${c.positions}`);
  return c;
}
