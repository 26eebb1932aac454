// The page's encoder view in the system Chromium (playwright-core, --enable-unsafe-webgpu): `wgpt serve --bert` with
// gen_bert.py's folder, fill-mask probabilities equal PyTorch's, and the attention map is bidirectional (a query
// attends to keys after it). Without --bert the view says how to serve one and the page logs no error.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startServer } from '../src/cli/serve.ts';
import { parseSafetensors } from '../src/io/safetensors.ts';
import { assertClose, FIXTURES, report } from './helpers.ts';

const CHROMIUM = process.env.WGPT_CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

test('encoder view: fill-mask in the page matches PyTorch; the attention map is bidirectional', async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (or set WGPT_CHROMIUM)`);
  const ref = parseSafetensors(new Uint8Array(readFileSync(join(FIXTURES, 'bert_tiny', 'ref.safetensors')))).tensors;
  const server = await startServer({ port: 0, bert: join(FIXTURES, 'bert_tiny') });
  let browser: Browser | null = null;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(server.url);
    await page.waitForFunction(() => (window as any).wgpt?.encoder, null, { timeout: 120_000 });
    const res = await page.evaluate(async () => {
      const v = await (window as any).wgpt.encoder;
      if (!v) return null;
      const cands = await v.run('I [MASK] to school.');
      const map = document.querySelector('#encoder .enc-map') as HTMLCanvasElement;
      const d = (window as any).wgpt.drawn['enc-map'];
      // row 0 ([CLS]) against the last key ([SEP]), at the middle of its cell: white would mean zero weight (a causal map masks it)
      const { x0, y0, cw, ch } = d.cell;
      const px = map.getContext('2d')!.getImageData(Math.floor(x0 + (d.cols - 0.5) * cw), Math.floor(y0 + 0.5 * ch), 1, 1).data;
      return { cands, size: [map.width, map.height], rows: d.rows, cols: d.cols, labels: d.rowLabels, colLabels: d.colLabels, titles: [d.xTitle, d.yTitle], cell: [cw, ch], cornerRed: px[0], text: document.querySelector('#encoder .enc-out')!.textContent };
    });
    assert.ok(res, 'the encoder view loaded the served folder');
    assert.equal([res!.rows, res!.cols], [7, 7], 'one row and column per token of [CLS] I [MASK] to school . [SEP]');
    assert.equal(res!.labels, res!.colLabels);
    assert.is(res!.labels.length, 7);
    assert.ok(res!.cell[0] >= 13 && res!.cell[1] >= 13, `cells of ${res!.cell} px are readable`);
    assert.ok(res!.size[0] > 150 && res!.size[1] > 150, `the map is drawn at ${res!.size} px, labels and colour scale included`);
    assert.equal(res!.titles, ['key token (attended to)', 'query token']);
    const row = ref.get('fill1_probs')!.data;
    const want = Array.from(row.keys()).sort((a, b) => row[b] - row[a]).slice(0, 5);
    report('bert fill-mask in the page', assertClose(res!.cands[0].map((c: { prob: number }) => c.prob), want.map((i) => row[i]), { atol: 1e-5, rtol: 1e-4 }));
    assert.ok(res!.cornerRed < 255, `the first query attends to the last key (pixel red ${res!.cornerRed})`);
    assert.match(res!.text!, /^\[MASK\] 1: /);
    assert.equal(errors, []);
  } finally {
    await browser?.close().catch(() => {});
    await server.close();
  }
});

test.run();
