// Attention matrix as a self-contained SVG heat map: one row per generated target token, one column per source
// token, the tokens written on the axes. Browser-safe. Leaves out: several heads or several sentences per plot.

const esc = (s: string) => s.replace(/[<&>"]/g, (c) => ({ '<': '&lt;', '&': '&amp;', '>': '&gt;', '"': '&quot;' })[c]!);

/** weights (rows × cols), row-major, each in [0, 1]; rowLabels: target tokens; colLabels: source tokens. */
export function attentionSvg(weights: ArrayLike<number>, rowLabels: string[], colLabels: string[], title = 'attention'): string {
  const rows = rowLabels.length;
  const cols = colLabels.length;
  if (weights.length !== rows * cols) throw new Error(`attentionSvg: ${weights.length} weights for ${rows} × ${cols} labels`);
  const cell = 28;
  const left = 12 + 8 * Math.min(24, Math.max(1, ...rowLabels.map((s) => [...s].length)));
  const top = 40 + 8 * Math.min(24, Math.max(1, ...colLabels.map((s) => [...s].length)));
  const W = left + cols * cell + 20;
  const H = top + rows * cell + 20;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, `<rect width="${W}" height="${H}" fill="white"/>`];
  out.push(`<text x="8" y="18" font-size="14">${esc(title)}</text>`);
  for (let c = 0; c < cols; c++) {
    const x = left + c * cell + cell / 2;
    out.push(`<text transform="translate(${x + 4},${top - 6}) rotate(-60)">${esc(colLabels[c])}</text>`);
  }
  for (let r = 0; r < rows; r++) {
    const y = top + r * cell;
    out.push(`<text x="${left - 6}" y="${y + cell / 2 + 4}" text-anchor="end">${esc(rowLabels[r])}</text>`);
    for (let c = 0; c < cols; c++) {
      const w = Math.max(0, Math.min(1, weights[r * cols + c]));
      const shade = Math.round(255 * (1 - w));
      out.push(`<rect x="${left + c * cell}" y="${y}" width="${cell}" height="${cell}" fill="rgb(${shade},${shade},255)" stroke="#eee"><title>${esc(rowLabels[r])} → ${esc(colLabels[c])}: ${w.toFixed(3)}</title></rect>`);
    }
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
