// SVG → PNG for the figures (Node): resvg (npm `@resvg/resvg-js`: Rust's resvg, a native binary from the registry)
// with the two bundled fonts in ./fonts (DejaVu Sans; NanumSquare for Hangul) and no system fonts, so a figure's
// pixels are the same on every machine. Where resvg's binary is not available (a platform without a prebuilt one)
// the PNG is drawn by the built-in rasteriser (./raster.ts: 5×7 bitmap font, no Hangul) and one line says so.
// Leaves out: fonts other than the bundled two, and PNG metadata.
import { deflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { rasterizeSvg } from './raster.js';
import { encodePng } from './png.js';

export const FONT_FILES = ['DejaVuSans.ttf', 'NanumSquareR.ttf'].map((f) => fileURLToPath(new URL(`./fonts/${f}`, import.meta.url)));

type ResvgClass = typeof import('@resvg/resvg-js').Resvg;
let resvg: Promise<ResvgClass | null> | null = null;
let warned = false;

function loadResvg(): Promise<ResvgClass | null> {
  resvg ??= import('@resvg/resvg-js').then(
    (m) => m.Resvg,
    (e: Error) => {
      if (!warned) process.stderr.write(`wgpt: @resvg/resvg-js is not available here (${e.message.split('\n')[0]}); PNGs drawn with the built-in 5×7 rasteriser\n`);
      warned = true;
      return null;
    },
  );
  return resvg;
}

/** The PNG of an SVG figure at `scale` × its size. `renderer` says which drew it. */
export async function svgToPng(svg: string, scale = 2): Promise<{ png: Uint8Array; renderer: 'resvg' | 'builtin' }> {
  const Resvg = await loadResvg();
  if (!Resvg) return { png: encodePng(rasterizeSvg(svg, scale), (b) => deflateSync(b, { level: 9 })), renderer: 'builtin' };
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { fontFiles: FONT_FILES, loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return { png: new Uint8Array(r.render().asPng()), renderer: 'resvg' };
}
