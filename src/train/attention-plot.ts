// Attention matrix of a translation as a self-contained SVG heat map (what `wgpt translate --show-attention` and
// bench/reversal.ts write): one row per generated target token, one column per source token, the tokens and axis
// titles on both axes, a colour bar. Browser-safe; drawn by src/plot/figures.ts. Leaves out: several heads or
// several sentences per plot.
import { attentionSvg as mapSvg } from '../plot/figures.js';

/** weights (rows × cols), row-major, each in [0, 1]; rowLabels: target tokens; colLabels: source tokens. */
export function attentionSvg(weights: ArrayLike<number>, rowLabels: string[], colLabels: string[], title = 'attention'): string {
  const rows = rowLabels.length;
  const cols = colLabels.length;
  if (weights.length !== rows * cols) throw new Error(`attentionSvg: ${weights.length} weights for ${rows} × ${cols} labels`);
  return mapSvg(weights, colLabels, title, { rowTokens: rowLabels, xLabel: 'source token', yLabel: 'generated token' });
}
