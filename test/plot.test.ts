// Pictures without a browser: the SVG figures (heatmaps, attention maps, loss curve) are well-formed XML; drawn by
// resvg with the bundled fonts every text lies inside the picture and no two texts overlap (each text's ink box is
// measured by resvg itself: titles are not cropped, axis titles do not run into rotated tick labels); Hangul has
// glyphs; every map has a colour bar and axis titles; the built-in rasteriser and PNG encoder still round-trip (the
// fallback where resvg's binary is missing) — with node:zlib compression and the browser-safe stored blocks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deflateSync } from 'node:zlib';
import { Resvg } from '@resvg/resvg-js';
import { heatmapsSvg, attentionSvg, coolwarm } from '../src/plot/figures.ts';
import { attentionSvg as translationSvg } from '../src/train/attention-plot.ts';
import { svgToPng, FONT_FILES } from '../src/plot/render.ts';
import { rasterizeSvg } from '../src/plot/raster.ts';
import { encodePng, zlibStored, adler32 } from '../src/plot/png.ts';
import { lossCurveSvg } from '../src/train/plot.ts';
import { decodePng, pixelStats, checkXml } from './png-svg.ts';

const data = Float32Array.from({ length: 5 * 33 }, (_, i) => Math.sin(i * 0.37) * 2);
const figures: Record<string, string> = {
  heatmaps: heatmapsSvg([{ title: 'token', data, rows: 5, cols: 33, rowLabels: ['In', ' the', '<&>', 'lit', '"q"'] }, { title: 'sum', data, rows: 5, cols: 33 }], { title: 'embeddings', xLabel: 'dim', yLabel: 'token' }),
  attention: attentionSvg(Float32Array.from({ length: 9 }, (_, i) => ((i % 3) <= Math.floor(i / 3) ? 1 / (Math.floor(i / 3) + 1) : 0)), ['Hello', ',', ' I'], 'attention'),
  loss: lossCurveSvg([...Array(20)].map((_, i) => ({ step: i, loss: 7 - i * 0.2 })), [{ step: 19, loss: 4 }]),
};
// the shapes that went wrong before: a long title over a small map, long rotated key labels, cross-attention with
// Hangul on one side (translate --show-attention), one-syllable labels, a single-row map
const long = ['Every', ' effort', ' moves', ' you', ' towards', ' the', ' sunlit', ' terrace', 'ofsomeunknownPlace'];
const figures2: Record<string, string> = {
  'long title, 3 × 3': attentionSvg(Float32Array.from({ length: 9 }, () => 1 / 3), ['Hello', ',', ' I'], "Attention weights, block 0 head 0: 'Hello, I am a fairly long prompt'"),
  'long rotated keys': attentionSvg(Float32Array.from({ length: 5 * long.length }, (_, i) => (i % 7) / 7), long, 'Luong attention: decoder steps × source tokens', { rowTokens: ['[CLS]', '##ier', '##ier', '##ier', '##ier'] }),
  'translation, Hangul': translationSvg(Float32Array.from({ length: 4 * 3 }, (_, i) => (i % 4) / 4), ['나는', '학교에', '간다', '.'], ['I', ' go', ' to school.']),
  'one syllable each': translationSvg(Float32Array.from({ length: 12 * 12 }, (_, i) => (i % 13 === 0 ? 1 : 0)), [...'안하에하니는가하이지이에'], [...'에이지이하가는니하에하안']),
  'one row': attentionSvg(Float32Array.from([0.2, 0.3, 0.5]), ['a', 'b', 'c'], 'one query', { rowTokens: ['q'] }),
  'heatmaps, labels on every panel': heatmapsSvg([{ title: 'token embeddings', data, rows: 5, cols: 33, rowLabels: long.slice(0, 5) }, { title: 'position embeddings', data, rows: 5, cols: 33, rowLabels: ['p=0', 'p=1', 'p=2', 'p=3', 'p=4'] }], { title: 'First sequence of the batch: token + position = input embeddings', xLabel: 'embedding dimension', yLabel: 'token' }),
};
const FONT = { fontFiles: FONT_FILES, loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' };

/** Every <text> of an SVG with the ink box resvg draws it in (the text alone on the same canvas, same defaults). */
function textBoxes(svg: string): { text: string; x: number; y: number; w: number; h: number }[] {
  const root = /<svg [^>]*>/.exec(svg)![0];
  return [...svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].flatMap((m) => {
    const b = new Resvg(`${root}${m[0]}</svg>`, { font: FONT }).getBBox();
    return b ? [{ text: m[1], x: b.x, y: b.y, w: b.width, h: b.height }] : [];
  });
}

test('figures are well-formed SVG documents', () => {
  for (const [name, svg] of Object.entries(figures)) {
    const { root, elements } = checkXml(svg);
    assert.is(root, 'svg', name);
    assert.ok(elements > 20, `${name}: ${elements} elements`);
  }
  assert.throws(() => checkXml('<svg><rect></svg>'), /does not close/);
  assert.throws(() => checkXml('<svg>a & b</svg>'), /bad entity/);
});

test('drawn with the bundled fonts: every text inside the picture, no two texts overlapping', () => {
  for (const [name, svg] of Object.entries({ ...figures, ...figures2 })) {
    const W = Number(/width="(\d+(?:\.\d+)?)"/.exec(svg)![1]), H = Number(/height="(\d+(?:\.\d+)?)"/.exec(svg)![1]);
    const boxes = textBoxes(svg);
    assert.ok(boxes.length >= 5, `${name}: ${boxes.length} texts drawn`);
    for (const b of boxes) assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.w <= W && b.y + b.h <= H, `${name}: ${JSON.stringify(b.text)} at [${b.x.toFixed(1)}, ${b.y.toFixed(1)}, ${b.w.toFixed(1)} × ${b.h.toFixed(1)}] leaves the ${W} × ${H} picture`);
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i], boxes[j]];
        const overlap = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x) > 0.5 && Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y) > 0.5;
        assert.not.ok(overlap, `${name}: ${JSON.stringify(a.text)} and ${JSON.stringify(b.text)} overlap`);
      }
  }
});

test('every map has axis titles and a colour bar; translate --show-attention names its axes', () => {
  for (const [name, svg] of Object.entries({ attention: figures.attention, ...figures2 })) {
    const texts = [...svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    const bar = [...svg.matchAll(/<rect [^>]*width="12" /g)].length;
    assert.ok(bar >= 48, `${name}: a colour bar (${bar} strips)`);
    if (name.startsWith('heatmaps')) assert.ok(texts.includes('embedding dimension') && texts.includes('token'), name);
    else if (name.startsWith('translation') || name.startsWith('one syllable')) assert.ok(texts.includes('source token') && texts.includes('generated token'), `${name}: ${texts.slice(-4)}`);
    else assert.ok(texts.includes('key') && texts.includes('query'), name);
  }
});

test('Hangul has glyphs (not the missing-glyph box); the PNGs come from resvg', async () => {
  const draw = (t: string) => new Resvg(`<svg xmlns="http://www.w3.org/2000/svg" width="60" height="30" font-family="sans-serif" font-size="20"><rect width="60" height="30" fill="white"/><text x="5" y="22">${t}</text></svg>`, { font: FONT }).render().pixels;
  const missing = draw('\ue000');
  for (const t of ['한', '학', '간']) assert.not.ok(Buffer.from(draw(t)).equals(Buffer.from(missing)), `${t} drawn as the missing-glyph box`);
  assert.not.ok(Buffer.from(draw('한')).equals(Buffer.from(draw('학'))));
  const { png, renderer } = await svgToPng(figures2['translation, Hangul'], 2);
  assert.is(renderer, 'resvg');
  const img = decodePng(png);
  const W = Number(/width="(\d+)"/.exec(figures2['translation, Hangul'])![1]);
  assert.is(img.width, 2 * W);
  const st = pixelStats(img);
  assert.ok(st.colours >= 16 && st.inked > 0.05, `looks blank (${st.colours} colours, ${(st.inked * 100).toFixed(1)}% inked)`);
});

test('coolwarm: blue at 0, grey in the middle, red at 1', () => {
  assert.equal(coolwarm(0), [59, 76, 192]);
  assert.equal(coolwarm(0.5), [221, 221, 221]);
  assert.equal(coolwarm(1), [180, 4, 38]);
});

test('PNG: encode → decode gives the raster back, size and ink as drawn (zlib and stored blocks)', () => {
  for (const [name, svg] of Object.entries(figures)) {
    const W = Number(/width="(\d+)"/.exec(svg)![1]), H = Number(/height="(\d+)"/.exec(svg)![1]);
    const r = rasterizeSvg(svg, 2);
    assert.is(r.width, 2 * W);
    assert.is(r.height, 2 * H);
    const zlibs: ((b: Uint8Array) => Uint8Array)[] = [(b) => new Uint8Array(deflateSync(b))];
    if (name === 'attention') zlibs.push(zlibStored); // the browser-safe fallback, on the smallest figure
    for (const z of zlibs) {
      const png = decodePng(encodePng(r, z));
      assert.is(png.width, r.width);
      assert.is(png.height, r.height);
      assert.ok(Buffer.from(png.pixels).equals(Buffer.from(r.rgb)), `${name}: decoded pixels differ from the raster`);
      const st = pixelStats(png);
      assert.ok(st.colours >= 4 && st.inked > 0.02, `${name}: looks blank (${st.colours} colours, ${(st.inked * 100).toFixed(1)}% inked)`);
    }
  }
  assert.is(adler32(new TextEncoder().encode('Wikipedia')), 0x11e60398);
  assert.throws(() => encodePng({ width: 2, height: 2, rgb: new Uint8Array(5) }), /needs 12 bytes/);
  assert.throws(() => rasterizeSvg('<html/>'), /no <svg>/);
});

test.run();
