// The page loads a model by name (issue #27): the stand-in Hub on another origin, the page bundled and served on
// localhost in the system Chromium; files fetched once into Cache Storage (sha256 checked against the model info),
// the second load reads them from the cache, a load with the Hub gone still works; the logits equal Node's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { startServer } from '../src/cli/serve.ts';
import { getGpu } from '../src/gpu/device.ts';
import { IdBatch, noGrad } from '../src/autograd/tensor.ts';
import { loadCheckpoint } from '../src/hub/folder.ts';
import { asCausalLM } from '../src/model/generate.ts';
import { startHub, folderFiles } from './hub-server.ts';
import { FIXTURES, assertClose } from './helpers.ts';

const CHROMIUM = process.env.WGPT_CHROMIUM || '/usr/bin/chromium';
const ENTRY = fileURLToPath(new URL('./browser/entry.ts', import.meta.url));
const TB = join(FIXTURES, 'torch_bin');
const ROWS = [[3, 17, 63, 0, 41], [5, 5, 12, 60, 1]];

test('the page fetches a model by name into Cache Storage, reuses it, and gives Node\'s logits', async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (or set WGPT_CHROMIUM)`);
  // the repo holds pytorch_model.bin only (as older Hub repos do): the page reads it through the restricted unpickler
  const files = new Map([['config.json', new Uint8Array(readFileSync(join(TB, 'zip', 'config.json')))], ['pytorch_model.bin', new Uint8Array(readFileSync(join(TB, 'zip', 'pytorch_model.bin')))]]);
  const hub = await startHub([{ repo: 'wgpt-test/tiny-gpt2', files }, { repo: 'wgpt-test/sharded', files: folderFiles(join(TB, 'st_sharded')) }], {}, 240_000);
  const server = await startServer({ port: 0, entry: ENTRY });
  let browser: Browser | null = null;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'] });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}?hub=${encodeURIComponent(hub.endpoint)}`);
    await page.waitForFunction(() => (window as any).wgpt?.state?.ready || (window as any).wgpt?.state?.error, null, { timeout: 120_000 });
    const load = (name: string, o: Record<string, unknown> = {}) => page.evaluate(([n, opt]) => (window as any).wgpt.hub.load(n, opt), [name, o] as const);
    const first = await load('wgpt-test/tiny-gpt2');
    assert.equal(first.fetched.sort(), ['config.json', 'pytorch_model.bin']);
    assert.equal(first.fromCache, []);
    assert.is(first.weightFile, 'pytorch_model.bin');
    assert.is(first.commit, hub.commitOf('wgpt-test/tiny-gpt2'));
    const pageLogits = (await page.evaluate((rows) => (window as any).wgpt.hub.logits(rows), ROWS)) as number[];
    // Node, same weights from the safetensors folder
    const gpu = await getGpu();
    const ck = loadCheckpoint(join(TB, 'st'));
    const model = asCausalLM(ck.arch.create(gpu, ck.config, ck.params), 'test');
    const nodeLogits = await gpu.scope(() => noGrad(async () => model.logits(IdBatch.from(gpu, ROWS.flat(), [2, 5], 64)).toArray()));
    (model as unknown as { dispose(): void }).dispose();
    assertClose(Float32Array.from(pageLogits), nodeLogits, { atol: 1e-5, rtol: 1e-5, name: 'page logits vs Node' });
    // second load: every file from Cache Storage, one request (the model info)
    const before = hub.requests.length;
    const second = await load('wgpt-test/tiny-gpt2');
    assert.equal(second.fetched, []);
    assert.equal(second.fromCache.sort(), ['config.json', 'pytorch_model.bin']);
    assert.equal(hub.requests.slice(before).map((r) => r.url), ['/api/models/wgpt-test/tiny-gpt2/revision/main?blobs=true']);
    // sharded safetensors by name
    const sh = await load('wgpt-test/sharded');
    assert.equal(sh.fetched.sort(), ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json']);
    // the Hub gone: the cached info and files still load
    await hub.close();
    const offline = await load('wgpt-test/tiny-gpt2');
    assert.equal(offline.fetched, []);
    // a 64-id model with no tokenizer files: it runs on ids, and generating text says why it cannot
    const text = (await page.evaluate(() => (window as any).wgpt.hub.generate('hi', 3).catch((e: Error) => `error: ${e.message}`))) as string;
    assert.is(text, "error: the tokenizer of wgpt-test/tiny-gpt2 has 50257 ids but the model's vocab_size is 64");
    // an unknown name is one line in the view's error box, not an exception in the page
    await page.fill('#hub-name', 'nobody/nothing');
    await page.click('#hub-load');
    await page.waitForFunction(() => !(document.querySelector('#hub-error') as HTMLElement).hidden, null, { timeout: 30_000 });
    assert.match((await page.textContent('#hub-error'))!, /^cannot reach .* and nobody\/nothing is not in this browser's cache$/);
    assert.equal(errors, []);
  } finally {
    await browser?.close().catch(() => {});
    await server.close().catch(() => {});
    await hub.close();
  }
});

test.run();
