// LoRA fine-tuning in the system Chromium (playwright-core, --enable-unsafe-webgpu): the page's LoRA panel adapts
// the demo GPT to pasted text, the loss falls, the adapter's size is shown, the two downloaded files are a PEFT
// adapter folder that Node reads and puts on a model of the page's config (`--adapter`'s code path).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startServer } from '../src/cli/serve.ts';
import { getGpu } from '../src/gpu/device.ts';
import { IdBatch, noGrad } from '../src/autograd/tensor.ts';
import { GPT } from '../src/model/gpt.ts';
import { loadAdapter } from '../src/model/lora-folder.ts';

const CHROMIUM = process.env.WGPT_CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

test('LoRA in Chrome: the loss falls, the size is shown, the downloaded PEFT files load in Node', async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (or set WGPT_CHROMIUM)`);
  const server = await startServer({ port: 0 });
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-lora-page-'));
  let browser: Browser | null = null;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    const page = await browser.newPage({ acceptDownloads: true });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(server.url);
    await page.waitForFunction(() => (window as any).wgpt?.state?.ready || (window as any).wgpt?.state?.error, null, { timeout: 120_000 });
    // a base worth adapting: the page's own training panel first (the demo GPT on the-verdict), then LoRA on other text
    await page.fill('#train-steps', '40');
    await page.evaluate(() => (window as any).wgpt.train());
    const res = await page.evaluate(async () => {
      const w = (window as any).wgpt;
      const losses: number[] = await w.lora.run({ text: w.state.verdict.slice(0, 12000).toUpperCase(), steps: 16, r: 4 });
      return { losses, stat: document.querySelector('#lora .lora-stat')!.textContent, config: w.state.model.config };
    });
    const first = res.losses.slice(0, 3).reduce((a: number, b: number) => a + b, 0) / 3;
    const last = res.losses.slice(-3).reduce((a: number, b: number) => a + b, 0) / 3;
    assert.ok(last < first - 0.2, `LoRA loss should fall: ${res.losses.map((l: number) => l.toFixed(2)).join(' ')}`);
    assert.match(res.stat!, /^adapter: [\d,]+ parameters \([\d.]+ KiB as f32; [\d.]+% of the base's [\d,]+\); loss /);
    // the two downloads, through the button
    const got: string[] = [];
    const done = new Promise<void>((resolve) => {
      page.on('download', async (d) => {
        await d.saveAs(join(tmp, 'ad', d.suggestedFilename()));
        got.push(d.suggestedFilename());
        if (got.length === 2) resolve();
      });
    });
    await page.click('#lora .lora-download');
    await done;
    assert.equal(readdirSync(join(tmp, 'ad')).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
    // Node: a model of the page's config takes the adapter (names, shapes, layout checked) and its logits change
    const gpu = await getGpu();
    const m = GPT.init(gpu, res.config, 1);
    const ids = IdBatch.from(gpu, [1, 2, 3, 4], [1, 4], res.config.vocab_size);
    const before = await gpu.scope(() => noGrad(() => m.forward(ids).toArray()));
    const lora = loadAdapter(gpu, m, join(tmp, 'ad'));
    assert.is(lora.config.r, 4);
    assert.is(lora.modules.size, 4 * res.config.n_layers);
    const after = await gpu.scope(() => noGrad(() => m.forward(ids).toArray()));
    assert.ok(after.some((v, i) => Math.abs(v - before[i]) > 1e-6), 'the adapter changes the logits');
    lora.dispose();
    m.dispose();
    assert.equal(errors, []);
  } finally {
    await browser?.close().catch(() => {});
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
