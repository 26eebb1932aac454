// Pictures without a browser: the SVG figures (heatmaps, attention map, loss curve) are well-formed XML, the
// rasteriser draws them, and the PNG encoder's output decodes (zlib inflate + filters) to the right size with
// ink on it — with node:zlib compression and with the browser-safe stored-block fallback.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deflateSync } from 'node:zlib';
import { heatmapsSvg, attentionSvg, coolwarm } from '../src/plot/figures.ts';
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

test('figures are well-formed SVG documents', () => {
  for (const [name, svg] of Object.entries(figures)) {
    const { root, elements } = checkXml(svg);
    assert.is(root, 'svg', name);
    assert.ok(elements > 20, `${name}: ${elements} elements`);
  }
  assert.throws(() => checkXml('<svg><rect></svg>'), /does not close/);
  assert.throws(() => checkXml('<svg>a & b</svg>'), /bad entity/);
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
