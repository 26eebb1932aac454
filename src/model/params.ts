// The GPT's parameter names and shapes in Hugging Face GPT-2 naming (the single source of truth for
// the model, checkpoints and the optimizer state). Browser-safe. Linear weights are [in, out] (Conv1D).
import type { GPTConfig } from './config.js';

export function paramShapes(c: GPTConfig): Map<string, number[]> {
  const C = c.d_model;
  const m = new Map<string, number[]>();
  m.set('wte.weight', [c.vocab_size, C]);
  if (c.positions === 'learned') m.set('wpe.weight', [c.context_length, C]);
  for (let i = 0; i < c.n_layers; i++) {
    const p = `h.${i}.`;
    m.set(p + 'ln_1.weight', [C]);
    m.set(p + 'ln_1.bias', [C]);
    m.set(p + 'attn.c_attn.weight', [C, 3 * C]);
    if (c.qkv_bias) m.set(p + 'attn.c_attn.bias', [3 * C]);
    m.set(p + 'attn.c_proj.weight', [C, C]);
    m.set(p + 'attn.c_proj.bias', [C]);
    m.set(p + 'ln_2.weight', [C]);
    m.set(p + 'ln_2.bias', [C]);
    m.set(p + 'mlp.c_fc.weight', [C, 4 * C]);
    m.set(p + 'mlp.c_fc.bias', [4 * C]);
    m.set(p + 'mlp.c_proj.weight', [4 * C, C]);
    m.set(p + 'mlp.c_proj.bias', [C]);
  }
  m.set('ln_f.weight', [C]);
  m.set('ln_f.bias', [C]);
  if (!c.tie_embeddings) m.set('lm_head.weight', [c.vocab_size, C]);
  return m;
}

export function countParams(c: GPTConfig): number {
  let n = 0;
  for (const s of paramShapes(c).values()) n += s.reduce((a, b) => a * b, 1);
  return n;
}
