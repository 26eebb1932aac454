// Loss-curve plot as a self-contained SVG (train loss per step, val loss points). Browser-safe.
// Leaves out: axes in log scale, multiple runs per plot.

export interface LossPoint {
  step: number;
  loss: number;
  /** held-out accuracy, for models that report one (BERT's masked-LM accuracy) */
  accuracy?: number;
}

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

const esc = (s: string) => s.replace(/[<&>]/g, (c) => ({ '<': '&lt;', '&': '&amp;', '>': '&gt;' })[c]!);

export function lossCurveSvg(train: LossPoint[], val: LossPoint[], title = 'wgpt training loss'): string {
  const W = 720, H = 420, L = 60, R = 20, T = 40, B = 50;
  const all = [...train, ...val].filter((p) => Number.isFinite(p.loss));
  const maxStep = Math.max(1, ...all.map((p) => p.step));
  const minStep = Math.min(maxStep - 1, ...all.map((p) => p.step));
  const lo = Math.min(...all.map((p) => p.loss), Infinity);
  const hi = Math.max(...all.map((p) => p.loss), -Infinity);
  const yLo = all.length ? Math.max(0, lo - 0.05 * (hi - lo || 1)) : 0;
  const yHi = all.length ? hi + 0.05 * (hi - lo || 1) : 1;
  const x = (s: number) => L + ((s - minStep) / (maxStep - minStep || 1)) * (W - L - R);
  const y = (v: number) => T + (1 - (v - yLo) / (yHi - yLo || 1)) * (H - T - B);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`);
  for (const t of niceTicks(yLo, yHi)) {
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/>`);
    parts.push(`<text x="${L - 6}" y="${y(t) + 4}" text-anchor="end">${t}</text>`);
  }
  for (const t of niceTicks(minStep, maxStep)) {
    parts.push(`<text x="${x(t)}" y="${H - B + 18}" text-anchor="middle">${t}</text>`);
  }
  parts.push(`<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/><line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#333"/>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">step</text>`);
  parts.push(`<text x="16" y="${(T + H - B) / 2}" transform="rotate(-90 16 ${(T + H - B) / 2})" text-anchor="middle">cross-entropy loss</text>`);
  const tr = train.filter((p) => Number.isFinite(p.loss));
  if (tr.length) parts.push(`<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${tr.map((p) => `${x(p.step).toFixed(1)},${y(p.loss).toFixed(1)}`).join(' ')}"/>`);
  const va = val.filter((p) => Number.isFinite(p.loss));
  if (va.length > 1) parts.push(`<polyline fill="none" stroke="#ff7f0e" stroke-width="1.5" stroke-dasharray="5 3" points="${va.map((p) => `${x(p.step).toFixed(1)},${y(p.loss).toFixed(1)}`).join(' ')}"/>`);
  for (const p of va) parts.push(`<circle cx="${x(p.step).toFixed(1)}" cy="${y(p.loss).toFixed(1)}" r="3" fill="#ff7f0e"/>`);
  parts.push(`<rect x="${W - R - 150}" y="${T}" width="140" height="${va.length ? 44 : 24}" fill="white" stroke="#ccc"/>`);
  parts.push(`<line x1="${W - R - 140}" x2="${W - R - 115}" y1="${T + 14}" y2="${T + 14}" stroke="#1f77b4" stroke-width="2"/><text x="${W - R - 108}" y="${T + 18}">train loss</text>`);
  if (va.length) parts.push(`<line x1="${W - R - 140}" x2="${W - R - 115}" y1="${T + 34}" y2="${T + 34}" stroke="#ff7f0e" stroke-width="2" stroke-dasharray="5 3"/><text x="${W - R - 108}" y="${T + 38}">val loss</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
