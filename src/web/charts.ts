// Canvas drawing for the page: a labelled heatmap (row labels, column axis, colour scale), a line chart with
// axis titles and a legend, and a horizontal bar chart. Pure drawing: no GPU, no page state.
// Leaves out: interactivity (hover read-outs, zoom) and HiDPI scaling beyond the canvas' own size.

const INK = '#1d2330';
const MUTED = '#667085';
const GRID = '#e3e6eb';
const FONT = '11px system-ui, sans-serif';
const MONO = '11px ui-monospace, monospace';

/** What was last drawn on each canvas (the page tests read it: labels, ranges, series lengths). */
export const drawn: Record<string, Record<string, unknown>> = {};

/** Diverging blue–white–red for v in [−1, 1]; sequential white→blue for v in [0, 1]. */
function colour(v: number, diverging: boolean): [number, number, number] {
  if (!Number.isFinite(v)) return [200, 200, 200];
  if (diverging) {
    const a = Math.min(1, Math.abs(v));
    return v >= 0 ? [255, Math.round(255 * (1 - 0.85 * a)), Math.round(255 * (1 - 0.85 * a))] : [Math.round(255 * (1 - 0.85 * a)), Math.round(255 * (1 - 0.6 * a)), 255];
  }
  const a = Math.min(1, Math.max(0, v));
  return [Math.round(255 * (1 - a * 0.85)), Math.round(255 * (1 - a * 0.6)), 255];
}

export interface HeatmapOptions {
  /** label per row (drawn left of the rows) */
  rowLabels: string[];
  /** label per column (drawn under the columns, rotated); else the column axis is numbered */
  colLabels?: string[];
  /** title of the column axis, e.g. "embedding dimension" or "key token" */
  xTitle: string;
  /** title of the row axis, e.g. "token" or "query token" */
  yTitle: string;
  /** blue–white–red around 0 (embeddings) instead of white→blue from 0 (probabilities) */
  diverging?: boolean;
  /** cells drawn grey (the causal mask's upper triangle) */
  mask?: (r: number, c: number) => boolean;
  /** fixed colour range; default: ±max|v| (diverging) or [0, max] */
  range?: [number, number];
}

/** Rows × cols of `data` (row stride `stride`) as cells with row labels, a column axis and a colour bar. */
export function drawHeatmap(canvas: HTMLCanvasElement, data: Float32Array, rows: number, cols: number, stride: number, o: HeatmapOptions): void {
  const ctx = canvas.getContext('2d')!;
  ctx.font = MONO;
  const labelW = Math.min(110, Math.max(24, ...o.rowLabels.map((l) => ctx.measureText(l).width + 8))) + 14;
  const colLabelH = o.colLabels ? Math.min(90, Math.max(...o.colLabels.map((l) => ctx.measureText(l).width)) + 10) : 16;
  const barW = 46;
  // cells may be wider than tall (many dimensions) but stay ≥ 13 px tall so every row label is readable
  const cw = Math.max(4, Math.min(22, Math.floor(420 / Math.max(cols, 1))));
  const ch = o.colLabels ? cw : Math.max(13, Math.min(22, Math.floor(300 / Math.max(rows, 1))));
  const W = labelW + cols * cw + barW + 10;
  const H = 8 + rows * ch + colLabelH + 18;
  canvas.width = W;
  canvas.height = H;
  ctx.clearRect(0, 0, W, H);
  let lo = Infinity;
  let hi = -Infinity;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (o.mask?.(r, c)) continue;
      const v = data[r * stride + c];
      if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    }
  }
  if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
  let range: [number, number];
  if (o.range) range = o.range;
  else if (o.diverging) {
    const m = Math.max(Math.abs(lo), Math.abs(hi), 1e-9);
    range = [-m, m];
  } else range = [0, Math.max(hi, 1e-9)];
  const norm = (v: number) => (o.diverging ? v / range[1] : (v - range[0]) / (range[1] - range[0]));
  const x0 = labelW;
  const y0 = 8;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const [R, G, B] = o.mask?.(r, c) ? [235, 237, 240] : colour(norm(data[r * stride + c]), !!o.diverging);
      ctx.fillStyle = `rgb(${R},${G},${B})`;
      ctx.fillRect(x0 + c * cw, y0 + r * ch, cw, ch);
    }
  }
  // row labels (tokens) and the row-axis title
  ctx.fillStyle = INK;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  o.rowLabels.forEach((l, r) => ctx.fillText(l, x0 - 4, y0 + (r + 0.5) * ch, labelW - 16));
  ctx.save();
  ctx.font = FONT;
  ctx.fillStyle = MUTED;
  ctx.translate(8, y0 + (rows * ch) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText(o.yTitle, 0, 0);
  ctx.restore();
  // column labels or a numbered dimension axis, then the column-axis title
  const yAxis = y0 + rows * ch + 3;
  ctx.fillStyle = INK;
  if (o.colLabels) {
    o.colLabels.forEach((l, c) => {
      ctx.save();
      ctx.translate(x0 + (c + 0.5) * cw, yAxis);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = 'right';
      ctx.fillText(l, 0, 0, colLabelH - 6);
      ctx.restore();
    });
  } else {
    ctx.font = FONT;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const every = Math.max(1, Math.ceil(cols / 8 / 8) * 8);
    for (let c = 0; c < cols; c += every) ctx.fillText(String(c), x0 + (c + 0.5) * cw, yAxis);
    if ((cols - 1) % every) ctx.fillText(String(cols - 1), x0 + (cols - 0.5) * cw, yAxis);
  }
  ctx.font = FONT;
  ctx.fillStyle = MUTED;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  ctx.fillText(o.xTitle, x0 + (cols * cw) / 2, H - 2);
  // colour scale
  const bx = x0 + cols * cw + 10;
  const bh = Math.max(40, rows * ch);
  for (let i = 0; i < bh; i++) {
    const t = 1 - i / (bh - 1);
    const [R, G, B] = colour(o.diverging ? 2 * t - 1 : t, !!o.diverging);
    ctx.fillStyle = `rgb(${R},${G},${B})`;
    ctx.fillRect(bx, y0 + i, 10, 1);
  }
  ctx.fillStyle = INK;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  const fmt = (v: number) => (Math.abs(v) >= 100 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(0) : v.toFixed(2));
  ctx.fillText(fmt(range[1]), bx + 13, y0 + 4);
  if (o.diverging) ctx.fillText('0', bx + 13, y0 + bh / 2);
  ctx.fillText(fmt(range[0]), bx + 13, y0 + bh - 4);
  drawn[canvas.id] = { rows, cols, rowLabels: o.rowLabels, colLabels: o.colLabels ?? null, xTitle: o.xTitle, yTitle: o.yTitle, range, scale: true, cell: { x0, y0, cw, ch } };
}

export interface Series {
  name: string;
  colour: string;
  points: { x: number; y: number }[];
}

/** Lines over a shared x axis with axis titles, ticks and a legend; `empty` is shown when there is no point. */
export function drawLines(canvas: HTMLCanvasElement, series: Series[], o: { xTitle: string; yTitle: string; empty: string }): void {
  const ctx = canvas.getContext('2d')!;
  const W = canvas.width;
  const H = canvas.height;
  const L = 52;
  const B = 34;
  const T = 10;
  const R = 12;
  ctx.clearRect(0, 0, W, H);
  ctx.font = FONT;
  const pts = series.flatMap((s) => s.points);
  drawn[canvas.id] = { series: series.map((s) => ({ name: s.name, n: s.points.length })), xTitle: o.xTitle, yTitle: o.yTitle };
  // axis titles are always there
  ctx.fillStyle = MUTED;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  ctx.fillText(o.xTitle, L + (W - L - R) / 2, H - 2);
  ctx.save();
  ctx.translate(11, T + (H - T - B) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText(o.yTitle, 0, 0);
  ctx.restore();
  if (!pts.length) {
    ctx.textAlign = 'left';
    ctx.fillText(o.empty, L + 8, H / 2);
    return;
  }
  const xs = pts.map((p) => p.x);
  const ys = pts.map((p) => p.y).filter(Number.isFinite);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y1 - y0 < 1e-6) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const px = (x: number) => L + ((x - x0) / Math.max(1e-9, x1 - x0)) * (W - L - R);
  const py = (y: number) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  ctx.strokeStyle = GRID;
  ctx.fillStyle = MUTED;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let i = 0; i <= 4; i++) {
    const v = y0 + ((y1 - y0) * i) / 4;
    ctx.beginPath();
    ctx.moveTo(L, py(v));
    ctx.lineTo(W - R, py(v));
    ctx.stroke();
    ctx.fillText(v.toFixed(2), L - 4, py(v));
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const step = Math.max(1, Math.ceil((x1 - x0) / 6));
  for (let x = x0; x <= x1; x += step) ctx.fillText(String(x), px(x), H - B + 4);
  let ly = T + 4;
  for (const s of series) {
    ctx.strokeStyle = s.colour;
    ctx.fillStyle = s.colour;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    s.points.forEach((p, i) => (i ? ctx.lineTo(px(p.x), py(p.y)) : ctx.moveTo(px(p.x), py(p.y))));
    ctx.stroke();
    if (s.points.length === 1) ctx.fillRect(px(s.points[0].x) - 2, py(s.points[0].y) - 2, 4, 4);
    for (const p of s.points.length <= 30 ? s.points : []) ctx.fillRect(px(p.x) - 1.5, py(p.y) - 1.5, 3, 3);
    ctx.fillRect(W - R - 96, ly + 4, 14, 3);
    ctx.fillStyle = INK;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    ctx.fillText(s.name, W - R - 78, ly + 5);
    ly += 15;
  }
  ctx.lineWidth = 1;
}

/** Horizontal bars (label, value in [0, 1]) with the value printed: the next-token probabilities. */
export function drawBars(canvas: HTMLCanvasElement, bars: { label: string; value: number }[], o: { title: string }): void {
  const ctx = canvas.getContext('2d')!;
  const rowH = 20;
  const W = canvas.width;
  canvas.height = Math.max(60, 24 + bars.length * rowH + 18);
  const H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  ctx.font = MONO;
  const L = Math.min(150, Math.max(40, ...bars.map((b) => ctx.measureText(b.label).width + 14)));
  const max = Math.max(1e-9, ...bars.map((b) => b.value));
  bars.forEach((b, i) => {
    const y = 8 + i * rowH;
    ctx.fillStyle = INK;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    ctx.fillText(b.label, L - 6, y + rowH / 2, L - 8);
    const w = (b.value / max) * (W - L - 70);
    ctx.fillStyle = i === 0 ? '#3b5bdb' : '#91a7ff';
    ctx.fillRect(L, y + 3, Math.max(1, w), rowH - 6);
    ctx.fillStyle = MUTED;
    ctx.textAlign = 'left';
    ctx.fillText(`${(100 * b.value).toFixed(1)}%`, L + w + 6, y + rowH / 2);
  });
  ctx.font = FONT;
  ctx.fillStyle = MUTED;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  ctx.fillText(o.title, L + (W - L) / 2, H - 2);
  drawn[canvas.id] = { bars: bars.map((b) => ({ ...b })), title: o.title };
}
