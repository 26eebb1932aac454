// The GPT's parameter table in Hugging Face GPT-2 naming: the single source of truth for the model, its init,
// checkpoints, the HF mapping and the optimizer state. Browser-safe. Linear weights are [in, out] (Conv1D).
import type { GPTConfig } from './config.js';
import { init, tableShapes, tableCount, type Init, type ParamSpec } from './model.js';

/**
 * GPT-2 init: weights normal(0, 0.02), biases 0, LayerNorm weight 1 / bias 0. The order is the RNG's order
 * (and the optimizer's): changing it changes every seeded model.
 */
export function gptParamTable(c: GPTConfig): ParamSpec[] {
  const C = c.d_model;
  const w = init.normal(0.02);
  const t: ParamSpec[] = [];
  const add = (name: string, shape: number[], i: Init) => t.push({ name, shape, init: i });
  add('wte.weight', [c.vocab_size, C], w);
  if (c.positions === 'learned') add('wpe.weight', [c.context_length, C], w);
  for (let i = 0; i < c.n_layers; i++) {
    const p = `h.${i}.`;
    add(p + 'ln_1.weight', [C], init.ones());
    add(p + 'ln_1.bias', [C], init.zeros());
    add(p + 'attn.c_attn.weight', [C, 3 * C], w);
    if (c.qkv_bias) add(p + 'attn.c_attn.bias', [3 * C], init.zeros());
    add(p + 'attn.c_proj.weight', [C, C], w);
    add(p + 'attn.c_proj.bias', [C], init.zeros());
    add(p + 'ln_2.weight', [C], init.ones());
    add(p + 'ln_2.bias', [C], init.zeros());
    add(p + 'mlp.c_fc.weight', [C, 4 * C], w);
    add(p + 'mlp.c_fc.bias', [4 * C], init.zeros());
    add(p + 'mlp.c_proj.weight', [4 * C, C], w);
    add(p + 'mlp.c_proj.bias', [C], init.zeros());
  }
  add('ln_f.weight', [C], init.ones());
  add('ln_f.bias', [C], init.zeros());
  if (!c.tie_embeddings) add('lm_head.weight', [c.vocab_size, C], w);
  return t;
}

/** name → shape, in table order. */
export function paramShapes(c: GPTConfig): Map<string, number[]> {
  return tableShapes(gptParamTable(c));
}

export function countParams(c: GPTConfig): number {
  return tableCount(gptParamTable(c));
}
