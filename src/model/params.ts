// The GPT's parameter table in Hugging Face GPT-2 naming (declared by its layers in gpt.ts): shapes and counts for
// callers that want them without a model. Browser-safe.
import type { GPTConfig } from './config.js';
import { tableShapes, tableCount } from './model.js';
import { gptParamTable } from './gpt.js';

export { gptParamTable };

/** name → shape, in table order. */
export function paramShapes(c: GPTConfig): Map<string, number[]> {
  return tableShapes(gptParamTable(c));
}

export function countParams(c: GPTConfig): number {
  return tableCount(gptParamTable(c));
}
