// The course's pictures as self-contained SVG (browser-safe): embedding heatmaps side by side (coolwarm,
// axes, colour bar, like the course's seaborn figure), attention maps with tokens on both axes, the
// sinusoidal position pattern. The loss curve is src/train/plot.ts. Every figure uses only the SVG subset
// that src/plot/raster.ts rasterises to PNG (rect, line, polyline, circle, text, rotate(-90)).
// Layout reserves room for every label from its estimated width (textWidth: DejaVu Sans' advances, Hangul a full
// em), so titles are not cropped and axis titles never run into tick labels; every map has a colour bar.
// Leaves out: interactivity, measuring text exactly (labels are truncated past a length instead).

export type RGB = [number, number, number];

function ramp(stops: RGB[]): (t: number) => RGB {
  return (t) => {
    const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0.5)) * (stops.length - 1);
    const i = Math.min(stops.length - 2, Math.floor(x));
    const u = x - i;
    return [0, 1, 2].map((k) => Math.round(255 * (stops[i][k] + u * (stops[i + 1][k] - stops[i][k])))) as RGB;
  };
}

/** matplotlib's coolwarm (Moreland's diverging map), from its anchor colours. */
export const coolwarm = ramp([
  [0.2298, 0.2987, 0.7537], [0.3848, 0.5097, 0.9168], [0.5543, 0.6901, 0.9955], [0.7214, 0.8141, 0.9809], [0.8654, 0.8654, 0.8654],
  [0.9594, 0.7692, 0.6784], [0.9567, 0.598, 0.4773], [0.8674, 0.3843, 0.3048], [0.7057, 0.0156, 0.1502],
]);
/** matplotlib's viridis, from its anchor colours (attention weights: 0 → dark, 1 → yellow). */
export const viridis = ramp([
  [0.267, 0.005, 0.329], [0.283, 0.141, 0.458], [0.254, 0.265, 0.53], [0.207, 0.372, 0.553], [0.164, 0.471, 0.558],
  [0.128, 0.567, 0.551], [0.135, 0.659, 0.518], [0.267, 0.749, 0.441], [0.478, 0.821, 0.318], [0.741, 0.873, 0.15], [0.993, 0.906, 0.144],
]);

export const hex = (c: RGB) => '#' + c.map((v) => v.toString(16).padStart(2, '0')).join('');
export const escXml = (s: string) => s.replace(/[<&>"]/g, (c) => ({ '<': '&lt;', '&': '&amp;', '>': '&gt;', '"': '&quot;' })[c]!);
const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)).replace(/^-/, '−');
const r1 = (v: number) => Math.round(v * 10) / 10;

/** A token as an axis label: visible spaces, at most n characters. */
export function tokenLabel(s: string, n = 10): string {
  const t = s.replace(/\n/g, '\\n').replace(/ /g, '·');
  return t.length > n ? t.slice(0, n - 1) + '…' : t;
}

const NARROW = new Set([...' .,:;!|\'il1[]()ftrjI`·']);
const WIDE = new Set([...'MWmw@%#&—…']);

/** Estimated width in px of `s` at font size `size` (DejaVu Sans' advances rounded up; CJK and Hangul a full em). */
export function textWidth(s: string, size = 12): number {
  let em = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if ((c >= 0x1100 && c <= 0x11ff) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xff00 && c <= 0xffef)) em += 1;
    else if (NARROW.has(ch)) em += 0.34;
    else if (WIDE.has(ch)) em += 0.92;
    else if (ch >= 'A' && ch <= 'Z') em += 0.72;
    else em += 0.64;
  }
  return em * size;
}

/** `s` cut with … so that it fits `px` at `size`. */
export function fitText(s: string, px: number, size = 12): string {
  if (textWidth(s, size) <= px) return s;
  const chars = [...s];
  while (chars.length > 1 && textWidth(chars.join('') + '…', size) > px) chars.pop();
  return chars.join('') + '…';
}

class Svg {
  private readonly parts: string[] = [];
  constructor(readonly W: number, readonly H: number) {
    this.parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
    this.rect(0, 0, W, H, '#ffffff');
  }
  rect(x: number, y: number, w: number, h: number, fill: string, stroke?: string, cls?: string): void {
    this.parts.push(`<rect ${cls ? `class="${cls}" ` : ''}x="${r1(x)}" y="${r1(y)}" width="${r1(w)}" height="${r1(h)}" fill="${fill}"${stroke ? ` stroke="${stroke}"` : ''}/>`);
  }
  line(x1: number, y1: number, x2: number, y2: number, stroke = '#333333'): void {
    this.parts.push(`<line x1="${r1(x1)}" y1="${r1(y1)}" x2="${r1(x2)}" y2="${r1(y2)}" stroke="${stroke}"/>`);
  }
  text(x: number, y: number, s: string, o: { anchor?: 'start' | 'middle' | 'end'; size?: number; rotate?: boolean; fill?: string } = {}): void {
    const attrs = [`x="${r1(x)}"`, `y="${r1(y)}"`];
    if (o.anchor && o.anchor !== 'start') attrs.push(`text-anchor="${o.anchor}"`);
    if (o.size) attrs.push(`font-size="${o.size}"`);
    if (o.fill) attrs.push(`fill="${o.fill}"`);
    if (o.rotate) attrs.push(`transform="rotate(-90 ${r1(x)} ${r1(y)})"`);
    this.parts.push(`<text ${attrs.join(' ')}>${escXml(s)}</text>`);
  }
  done(): string {
    return this.parts.join('\n') + '\n</svg>\n';
  }
}

export interface HeatPanel {
  title: string;
  /** rows × cols, row-major */
  data: ArrayLike<number>;
  rows: number;
  cols: number;
  rowLabels?: string[];
}

function colorbar(s: Svg, x: number, y: number, h: number, lo: number, hi: number, cmap: (t: number) => RGB): void {
  const n = 48;
  for (let i = 0; i < n; i++) s.rect(x, y + (h * i) / n, 12, h / n + 0.5, hex(cmap(1 - (i + 0.5) / n)));
  s.rect(x, y, 12, h, 'none', '#333333');
  for (let k = 0; k <= 4; k++) {
    const v = hi - ((hi - lo) * k) / 4;
    const yy = y + (h * k) / 4;
    s.line(x + 12, yy, x + 16, yy);
    s.text(x + 19, yy + 4, fmt(v));
  }
}

/** Heatmaps side by side on one symmetric colour scale (coolwarm), shared colour bar; the course's
 * token / position / input embedding figure. */
export function heatmapsSvg(panels: HeatPanel[], o: { title?: string; xLabel?: string; yLabel?: string; cmap?: (t: number) => RGB; symmetric?: boolean } = {}): string {
  const cmap = o.cmap ?? coolwarm;
  let lo = Infinity, hi = -Infinity;
  for (const p of panels) for (let i = 0; i < p.rows * p.cols; i++) {
    const v = p.data[i];
    if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  }
  if (!(hi >= lo)) { lo = -1; hi = 1; }
  if (o.symmetric !== false) { const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1; lo = -m; hi = m; }
  const labelW = (p: HeatPanel) => Math.max(textWidth(String(p.rows - 1)), ...(p.rowLabels ?? []).map((l) => textWidth(tokenLabel(l, 8))));
  const pw = 240, T = o.title ? 52 : 34, B = 44;
  // left margin: the rotated y-axis title, then the first panel's row labels; later panels keep a gap for theirs
  const L = (o.yLabel ? 30 : 8) + 10 + labelW(panels[0]);
  const gap = Math.max(30, ...panels.slice(1).map((p) => (p.rowLabels ? labelW(p) + 16 : 0)));
  const ph = Math.max(80, Math.min(240, Math.max(...panels.map((p) => p.rows)) * 24));
  const barRight = 14 + 16 + textWidth('−0.00') + 10;
  const plotW = L + panels.length * pw + (panels.length - 1) * gap + barRight;
  const W = Math.ceil(Math.max(plotW, o.title ? textWidth(o.title, 15) + 24 : 0, ...panels.map((p) => L + textWidth(p.title, 13) + 16))), H = T + ph + B;
  const s = new Svg(W, H);
  if (o.title) s.text(W / 2, 22, o.title, { anchor: 'middle', size: 15 });
  panels.forEach((p, k) => {
    const x0 = L + k * (pw + gap), cw = pw / p.cols, ch = ph / p.rows;
    s.text(x0 + pw / 2, T - 8, p.title, { anchor: 'middle', size: 13 });
    for (let r = 0; r < p.rows; r++) for (let c = 0; c < p.cols; c++) {
      const v = p.data[r * p.cols + c];
      s.rect(x0 + c * cw, T + r * ch, cw + 0.05, ch + 0.05, hex(cmap((v - lo) / (hi - lo || 1))));
    }
    s.rect(x0, T, pw, ph, 'none', '#333333');
    const rowStep = Math.ceil(p.rows / 12);
    for (let r = 0; r < p.rows; r += rowStep) {
      const yy = T + (r + 0.5) * ch;
      s.line(x0 - 4, yy, x0, yy);
      if (k === 0 || p.rowLabels) s.text(x0 - 6, yy + 4, p.rowLabels ? tokenLabel(p.rowLabels[r], 8) : String(r), { anchor: 'end' });
    }
    const colStep = [1, 2, 4, 8, 16, 32, 64, 128].find((q) => p.cols / q <= 8) ?? 256;
    for (let c = 0; c < p.cols; c += colStep) {
      const xx = x0 + (c + 0.5) * cw;
      s.line(xx, T + ph, xx, T + ph + 4);
      s.text(xx, T + ph + 16, String(c), { anchor: 'middle' });
    }
    if (o.xLabel) s.text(x0 + pw / 2, H - 8, o.xLabel, { anchor: 'middle' });
  });
  if (o.yLabel) s.text(18, T + ph / 2, o.yLabel, { anchor: 'middle', rotate: true });
  colorbar(s, L + panels.length * pw + (panels.length - 1) * gap + 14, T, ph, lo, hi, cmap);
  return s.done();
}

/** Attention weights (rows: queries, cols: keys) with the tokens on both axes, axis titles, the weights written in
 * the cells when there are few, and a colour bar (0 … max). Rows and columns may differ (cross-attention). */
export function attentionSvg(weights: ArrayLike<number>, tokens: string[], title: string, o: { rowTokens?: string[]; xLabel?: string; yLabel?: string } = {}): string {
  const cols = tokens.length, rowToks = o.rowTokens ?? tokens, rows = rowToks.length;
  if (weights.length !== rows * cols) throw new Error(`attentionSvg: ${weights.length} weights for ${rows} × ${cols} tokens`);
  const xLabel = o.xLabel ?? 'key', yLabel = o.yLabel ?? 'query';
  const cell = Math.max(22, Math.min(48, Math.floor(360 / Math.max(rows, cols))));
  const colText = tokens.map((t) => tokenLabel(t)), rowText = rowToks.map((t) => tokenLabel(t));
  // left: rotated y title, gap, row labels; bottom: rotated column labels, gap, x title; right: colour bar + ticks
  const L = 30 + 10 + Math.max(...rowText.map((t) => textWidth(t)));
  // short column labels (a syllable, a digit) stand upright under their cells; longer ones are rotated
  const upright = colText.every((t) => textWidth(t) <= cell - 4);
  const colH = upright ? 14 : Math.max(...colText.map((t) => textWidth(t)));
  const T = 44, B = 10 + colH + 12 + 18;
  const plotW = L + cols * cell + 12 + 16 + textWidth('0.00') + 12;
  const W = Math.ceil(Math.max(plotW, textWidth(title, 14) + 24)), H = Math.ceil(T + rows * cell + B);
  const s = new Svg(W, H);
  s.text(W / 2, 22, title, { anchor: 'middle', size: 14 });
  let hi = 0;
  for (let i = 0; i < rows * cols; i++) if (Number.isFinite(weights[i])) hi = Math.max(hi, weights[i]);
  hi = hi || 1;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
    const v = weights[r * cols + c];
    const col = viridis(v / hi);
    s.rect(L + c * cell, T + r * cell, cell, cell, hex(col), undefined, 'cell');
    if (rows <= 10 && cols <= 10 && cell >= 30) {
      const light = 0.299 * col[0] + 0.587 * col[1] + 0.114 * col[2] < 140;
      s.text(L + (c + 0.5) * cell, T + (r + 0.5) * cell + 4, v.toFixed(2), { anchor: 'middle', size: 10, fill: light ? '#ffffff' : '#000000' });
    }
  }
  s.rect(L, T, cols * cell, rows * cell, 'none', '#333333');
  for (let r = 0; r < rows; r++) s.text(L - 6, T + (r + 0.5) * cell + 4, rowText[r], { anchor: 'end' });
  // column labels rotated: they read bottom-to-top and end just under the map
  for (let c = 0; c < cols; c++) {
    if (upright) s.text(L + (c + 0.5) * cell, T + rows * cell + 20, colText[c], { anchor: 'middle' });
    else s.text(L + (c + 0.5) * cell + 4, T + rows * cell + 8, colText[c], { anchor: 'end', rotate: true });
  }
  s.text(18, T + (rows * cell) / 2, yLabel, { anchor: 'middle', rotate: true });
  s.text(L + (cols * cell) / 2, T + rows * cell + 10 + colH + 16, xLabel, { anchor: 'middle' });
  colorbar(s, L + cols * cell + 12, T, rows * cell, 0, hi, viridis);
  return s.done();
}
