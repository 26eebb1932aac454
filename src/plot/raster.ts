// Rasterises the flat SVG subset that wgpt's figures use (rect, line, polyline with dashes, circle, text with
// the 5×7 bitmap font, rotate(-90) text) into an RGB pixel buffer, so PNGs need no browser. Browser-safe.
// Leaves out: anti-aliasing, paths, gradients, groups/transforms other than a text's rotate(-90), real fonts.
import { glyph, GLYPH_ADVANCE } from './font5x7.js';

export interface Raster {
  width: number;
  height: number;
  /** RGB, row-major, 3 bytes per pixel */
  rgb: Uint8Array;
}

const NAMED: Record<string, [number, number, number]> = { white: [255, 255, 255], black: [0, 0, 0], red: [255, 0, 0], green: [0, 128, 0], blue: [0, 0, 255], gray: [128, 128, 128], grey: [128, 128, 128] };

function parseColor(c: string | undefined): [number, number, number] | null {
  if (!c || c === 'none' || c === 'transparent') return null;
  c = c.trim().toLowerCase();
  if (NAMED[c]) return NAMED[c];
  let m = /^#([0-9a-f]{6})$/.exec(c);
  if (m) return [0, 2, 4].map((i) => parseInt(m![1].slice(i, i + 2), 16)) as [number, number, number];
  m = /^#([0-9a-f]{3})$/.exec(c);
  if (m) return [0, 1, 2].map((i) => parseInt(m![1][i] + m![1][i], 16)) as [number, number, number];
  m = /^rgb\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(c);
  if (m) return [+m[1], +m[2], +m[3]];
  return [0, 0, 0];
}

function attrs(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([\w:-]+)="([^"]*)"/g)) out[m[1]] = m[2];
  return out;
}

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

const DESCENDERS = new Set(['g', 'p', 'q', 'y', ',', ';']);

class Canvas {
  readonly rgb: Uint8Array;
  constructor(readonly width: number, readonly height: number) {
    this.rgb = new Uint8Array(width * height * 3).fill(255);
  }
  px(x: number, y: number, c: [number, number, number]): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const o = (y * this.width + x) * 3;
    this.rgb[o] = c[0];
    this.rgb[o + 1] = c[1];
    this.rgb[o + 2] = c[2];
  }
  fillRect(x0: number, y0: number, x1: number, y1: number, c: [number, number, number]): void {
    const xa = Math.max(0, Math.round(x0)), xb = Math.min(this.width, Math.round(x1));
    const ya = Math.max(0, Math.round(y0)), yb = Math.min(this.height, Math.round(y1));
    for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) this.px(x, y, c);
  }
  /** a line of width w (pixels) as squares stamped along it; dash = [on, off] lengths or null */
  line(x1: number, y1: number, x2: number, y2: number, w: number, c: [number, number, number], dash: number[] | null, phase = 0): number {
    const len = Math.hypot(x2 - x1, y2 - y1);
    const steps = Math.max(1, Math.ceil(len * 2));
    const h = Math.max(1, Math.round(w));
    const lo = -Math.floor((h - 1) / 2);
    for (let i = 0; i <= steps; i++) {
      const t = i / steps;
      if (dash) {
        const period = dash[0] + dash[1];
        if ((phase + t * len) % period >= dash[0]) continue;
      }
      const x = Math.round(x1 + t * (x2 - x1)), y = Math.round(y1 + t * (y2 - y1));
      for (let dy = 0; dy < h; dy++) for (let dx = 0; dx < h; dx++) this.px(x + lo + dx, y + lo + dy, c);
    }
    return phase + len;
  }
  circle(cx: number, cy: number, r: number, c: [number, number, number]): void {
    for (let y = Math.floor(cy - r); y <= Math.ceil(cy + r); y++) for (let x = Math.floor(cx - r); x <= Math.ceil(cx + r); x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) this.px(x, y, c);
  }
  /** text with its baseline at y; anchor start/middle/end; rotated: runs bottom-to-top around (x, y) */
  text(x: number, y: number, s: string, k: number, anchor: string, rotated: boolean, c: [number, number, number]): void {
    const chars = [...s];
    const width = chars.length * GLYPH_ADVANCE * k - k;
    const start = anchor === 'middle' ? -width / 2 : anchor === 'end' ? -width : 0;
    chars.forEach((ch, i) => {
      const g = glyph(ch);
      const drop = DESCENDERS.has(ch) ? 2 : 0; // g, p, q, y, ',' ';' hang below the baseline
      for (let r = 0; r < 7; r++) for (let q = 0; q < 5; q++) {
        if (!g[r * 5 + q]) continue;
        for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) {
          const u = start + (i * GLYPH_ADVANCE + q) * k + a; // along the text
          const v = (r - 7 + drop) * k + b + 1; // relative to the baseline (negative: above)
          if (rotated) this.px(Math.round(x + v), Math.round(y - u), c);
          else this.px(Math.round(x + u), Math.round(y + v), c);
        }
      }
    });
  }
}

/** Draws an SVG produced by wgpt's figure code at `scale` × its size. Throws on a document it cannot read. */
export function rasterizeSvg(svg: string, scale = 2): Raster {
  const root = /<svg\b([^>]*)>/.exec(svg);
  if (!root) throw new Error('rasterizeSvg: no <svg> element');
  const ra = attrs(root[1]);
  const W = Number(ra.width), H = Number(ra.height);
  if (!(W > 0 && H > 0)) throw new Error('rasterizeSvg: <svg> needs numeric width and height');
  const baseSize = Number(ra['font-size'] ?? 12);
  const cv = new Canvas(Math.round(W * scale), Math.round(H * scale));
  const S = (v: string | undefined) => Number(v ?? 0) * scale;
  for (const m of svg.matchAll(/<(rect|line|polyline|circle|text)\b([^>]*?)(\/>|>([^<]*)<\/text>)/g)) {
    const [, tag, rest, , content] = m;
    const a = attrs(rest);
    if (tag === 'rect') {
      const x = S(a.x), y = S(a.y), w = S(a.width), h = S(a.height);
      const fill = parseColor(a.fill ?? 'black');
      if (fill) cv.fillRect(x, y, x + w, y + h, fill);
      const stroke = parseColor(a.stroke);
      if (stroke) {
        const sw = Number(a['stroke-width'] ?? 1) * scale;
        cv.line(x, y, x + w, y, sw, stroke, null);
        cv.line(x + w, y, x + w, y + h, sw, stroke, null);
        cv.line(x + w, y + h, x, y + h, sw, stroke, null);
        cv.line(x, y + h, x, y, sw, stroke, null);
      }
    } else if (tag === 'line') {
      const stroke = parseColor(a.stroke ?? 'black');
      if (stroke) cv.line(S(a.x1), S(a.y1), S(a.x2), S(a.y2), Number(a['stroke-width'] ?? 1) * scale, stroke, null);
    } else if (tag === 'polyline') {
      const stroke = parseColor(a.stroke ?? 'black');
      const pts = (a.points ?? '').trim().split(/\s+/).filter(Boolean).map((p) => p.split(',').map((v) => Number(v) * scale));
      const dash = a['stroke-dasharray'] ? a['stroke-dasharray'].split(/[\s,]+/).map((v) => Number(v) * scale) : null;
      let phase = 0;
      if (stroke) for (let i = 1; i < pts.length; i++) phase = cv.line(pts[i - 1][0], pts[i - 1][1], pts[i][0], pts[i][1], Number(a['stroke-width'] ?? 1) * scale, stroke, dash && dash.length >= 2 ? dash : null, phase);
    } else if (tag === 'circle') {
      const fill = parseColor(a.fill ?? 'black');
      if (fill) cv.circle(S(a.cx), S(a.cy), S(a.r), fill);
    } else {
      const size = Number(a['font-size'] ?? baseSize);
      const k = Math.max(1, Math.round((size * scale) / 9));
      const rotated = /rotate\(\s*-90\b/.test(a.transform ?? '');
      cv.text(S(a.x), S(a.y), unescape(content ?? ''), k, a['text-anchor'] ?? 'start', rotated, parseColor(a.fill ?? 'black') ?? [0, 0, 0]);
    }
  }
  return { width: cv.width, height: cv.height, rgb: cv.rgb };
}
