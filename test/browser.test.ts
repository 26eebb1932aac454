// Browser tests: the page bundled by esbuild, served on localhost, driven in the system Chromium
// (/usr/bin/chromium, --enable-unsafe-webgpu; never `playwright install`) by playwright-core.
// Runs kernel checks in the page, trains in the page and in Node with the same seed and compares the
// losses, clicks through the views, and checks the screenshot is a real (non-blank) image.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer } from '../src/cli/serve.ts';
import { getGpu } from '../src/gpu/device.ts';
import { trainLosses } from '../src/train/quick.ts';
import { walk, stageText, STAGE_NAMES } from '../src/walk/stages.ts';

const CHROMIUM = process.env.WGPT_CHROMIUM || '/usr/bin/chromium';
const ENTRY = fileURLToPath(new URL('./browser/entry.ts', import.meta.url));
const VERDICT = fileURLToPath(new URL('../src/data/the-verdict.txt', import.meta.url));

let server: Awaited<ReturnType<typeof startServer>> | null = null;
let browser: Browser | null = null;
let page: Page | null = null;
const consoleErrors: string[] = [];

// Set-up runs inside the first test that needs it (a throwing uvu before-hook is not reported as a failure).
let ready: Promise<Page> | null = null;
function setup(): Promise<Page> {
  ready ??= (async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (or set WGPT_CHROMIUM)`);
    server = await startServer({ port: 0, entry: ENTRY });
    // playwright creates (and removes) a fresh temporary profile for each launch
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    // every console error counts (a missing favicon is one: "Failed to load resource … 404")
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${m.text()} ${m.location()?.url ?? ''}`);
    });
    await page.goto(server.url);
    await page.waitForFunction(() => (window as any).wgpt?.state?.ready || (window as any).wgpt?.state?.error, null, { timeout: 60_000 });
    return page;
  })();
  return ready;
}

test.after(async () => {
  await browser?.close().catch(() => {});
  await server?.close().catch(() => {});
});

test('the page finds a WebGPU adapter and says which', async () => {
  await setup();
  const err = await page!.evaluate(() => (window as any).wgpt.state.error);
  assert.is(err, null, `page error: ${err}`);
  const line = await page!.textContent('#adapter');
  assert.match(line!, /^WebGPU adapter: .+ — (a CPU \(software\) adapter|a GPU)/);
  const r = await page!.evaluate(async () => (window as any).wgpt.gpuTask(async () => (window as any).wgpt.selfCheck(await (window as any).wgpt.getGpu(), 10_001)));
  assert.ok(r.ok, `self-check in the page: max err ${r.maxErr}`);
});

test('kernel checks run in the page and match the CPU references', async () => {
  await setup();
  const res = (await page!.evaluate(() => (window as any).wgpt.gpuTask(() => (window as any).wgptTests.kernelChecks()))) as Record<string, { ok: boolean; maxAbs: number; message: string }>;
  const names = Object.keys(res);
  assert.ok(names.length >= 8, `ran ${names.length} checks`);
  for (const [name, r] of Object.entries(res)) assert.ok(r.ok, `${name}: ${r.message}`);
  console.log(`    in-page kernel checks: ${names.map((n) => `${n} ${res[n].maxAbs.toExponential(1)}`).join(', ')}`);
});

test('training in Chrome gives the same losses as in Node (same seed, same adapter)', async () => {
  await setup();
  const text = readFileSync(VERDICT, 'utf8');
  const opts = { steps: 4, seed: 7 };
  const inPage = (await page!.evaluate(async (o) => {
    const w = (window as any).wgpt;
    return w.gpuTask(async () => w.trainLosses(await w.getGpu(), w.state.verdict, o));
  }, opts)) as number[];
  const inNode = await trainLosses(await getGpu(), text, opts);
  const maxDiff = Math.max(...inPage.map((l, i) => Math.abs(l - inNode[i])));
  console.log(`    losses node ${inNode.map((l) => l.toFixed(6)).join(' ')} | chrome ${inPage.map((l) => l.toFixed(6)).join(' ')} | max |diff| ${maxDiff.toExponential(2)}`);
  assert.is(inPage.length, 4);
  assert.ok(maxDiff <= 1e-5, `Node vs Chrome loss difference ${maxDiff}`);
});

test('click through: tokenizer chips, training with train + val loss and the stop button, generation, attention map', async () => {
  await setup();
  const p = page!;
  await p.fill('#tok-text', 'Every effort moves you, Mrs. Gisburn said.');
  // GPT-2 BPE for comparison
  await p.selectOption('#tok-kind', 'gpt2');
  await p.waitForFunction(() => document.querySelectorAll('#tok-chips .chip').length > 3);
  const chips = await p.$$eval('#tok-chips .chip small', (els) => els.map((e) => Number(e.textContent)));
  assert.equal(chips.slice(0, 4), [6109, 3626, 6100, 345], 'GPT-2 ids of "Every effort moves you"');
  // the model's own tokenizer (the default): a BPE trained on the-verdict; the prompt round-trips, no <|unk|>
  await p.selectOption('#tok-kind', 'model');
  const modelTok = await p.evaluate(() => {
    const sel = document.querySelector('#tok-kind') as HTMLSelectElement;
    const chips = [...document.querySelectorAll('#tok-chips .chip')].map((c) => c.firstChild!.textContent);
    return { label: sel.options[sel.selectedIndex].textContent, text: chips.join(''), n: chips.length, vocab: (window as any).wgpt.state.tok.vocabSize };
  });
  assert.match(modelTok.label!, /^the model's: byte-level BPE trained on the text \([\d,]+ ids\)$/);
  assert.is(modelTok.text, 'Every effort moves you, Mrs. Gisburn said.');
  assert.ok(modelTok.n < 20, `${modelTok.n} BPE tokens`);
  await p.fill('#train-steps', '3');
  const viewsBefore = await p.evaluate(() => (window as any).wgpt.state.viewUpdates as number);
  await p.click('#train-go');
  await p.waitForFunction(() => /step 3\/3/.test(document.querySelector('#train-stat')!.textContent || ''), null, { timeout: 120_000 });
  await p.waitForFunction(() => !(document.querySelector('#train-go') as HTMLButtonElement).disabled);
  const tr = await p.evaluate(() => ({ losses: (window as any).wgpt.state.losses as number[], val: (window as any).wgpt.state.val as { x: number; y: number }[], chart: (window as any).wgpt.drawn['loss-chart'], views: (window as any).wgpt.state.viewUpdates as number }));
  assert.is(tr.losses.length, 3);
  assert.ok(tr.losses.every((l) => Number.isFinite(l) && l > 0));
  assert.equal(tr.val.map((v) => v.x), [1, 2, 3], 'val loss at every step of a 3-step run');
  assert.ok(tr.val.every((v) => Number.isFinite(v.y)));
  assert.equal(tr.chart, { series: [{ name: 'train loss', n: 3 }, { name: 'val loss', n: 3 }], xTitle: 'step', yTitle: 'cross-entropy loss' });
  assert.ok(tr.views - viewsBefore >= 3, `views redrawn ${tr.views - viewsBefore} times during a 3-step run (attention follows training)`);
  // the stop button ends a long run early
  await p.fill('#train-steps', '500');
  await p.click('#train-go');
  await p.waitForFunction(() => /step 1\//.test(document.querySelector('#train-stat')!.textContent || ''), null, { timeout: 60_000 });
  await p.click('#train-stop');
  await p.waitForFunction(() => !(document.querySelector('#train-go') as HTMLButtonElement).disabled, null, { timeout: 60_000 });
  const stopped = await p.evaluate(() => (window as any).wgpt.state.losses.length as number);
  assert.ok(stopped >= 1 && stopped < 500, `stopped after ${stopped} steps`);
  await p.fill('#gen-n', '8');
  await p.click('#gen-go');
  await p.waitForFunction(() => /tokens in/.test(document.querySelector('#gen-stat')!.textContent || ''), null, { timeout: 60_000 });
  const gen = await p.textContent('#gen-out');
  assert.ok(gen!.startsWith('Every effort moves you') && gen!.length > 'Every effort moves you'.length, `generated: ${gen}`);
  await p.selectOption('#att-head', '1');
  await p.waitForFunction(() => /head 1/.test(document.querySelector('#att-stat')!.textContent || ''));
  const att = await p.evaluate(() => (window as any).wgpt.drawn['att-map']);
  assert.equal(att.rowLabels, att.colLabels, 'tokens on both axes');
  assert.is(att.rowLabels.length, att.rows);
  assert.equal([att.xTitle, att.yTitle, att.range], ['key token (attended to)', 'query token', [0, 1]]);
});

test('errors are shown in the page with the fix, and every control recovers', async () => {
  await setup();
  const p = page!;
  const vocab = await p.evaluate(() => (window as any).wgpt.state.tok.vocabSize as number);
  const visibleError = (id: string) => p.evaluate((sel) => { const e = document.querySelector(sel) as HTMLElement; return e.hidden ? null : e.textContent; }, id);
  // a pasted text shorter than one batch: the message says how long it is and what to do; nothing is replaced
  await p.fill('#train-text', 'Too short to train on.');
  await p.fill('#train-steps', '2');
  await p.click('#train-go');
  await p.waitForFunction(() => !(document.querySelector('#train-error') as HTMLElement).hidden);
  const err = await visibleError('#train-error');
  assert.match(err!, /^the text is \d+ tokens \(\d+ for training after the 10% validation split\); one batch of 4 windows of 64\+1 tokens needs 257: paste a longer text, lower batch, or clear the box to train on the-verdict\.txt$/);
  assert.is(await p.evaluate(() => (document.querySelector('#train-go') as HTMLButtonElement).disabled), false, 'Train is usable again');
  assert.is(await p.evaluate(() => (window as any).wgpt.state.tok.vocabSize as number), vocab, 'the vocabulary did not switch');
  // a negative step count is refused with the value, not run as 1 step
  await p.fill('#train-text', '');
  await p.fill('#train-steps', '-3');
  await p.click('#train-go');
  await p.waitForFunction(() => /got -3/.test(document.querySelector('#train-error')!.textContent || ''));
  assert.is(await visibleError('#train-error'), 'steps must be a whole number ≥ 1 (got -3): fix the box and press Train again');
  await p.fill('#gen-n', '0');
  await p.click('#gen-go');
  await p.waitForFunction(() => !(document.querySelector('#gen-error') as HTMLElement).hidden);
  assert.is(await visibleError('#gen-error'), 'tokens must be a whole number ≥ 1 (got 0): fix the box and press Generate again');
  // fixed inputs: training runs, the error goes away
  await p.fill('#train-steps', '1');
  await p.click('#train-go');
  await p.waitForFunction(() => /step 1\/1/.test(document.querySelector('#train-stat')!.textContent || '') && !(document.querySelector('#train-go') as HTMLButtonElement).disabled, null, { timeout: 120_000 });
  assert.is(await visibleError('#train-error'), null);
  await p.fill('#gen-n', '3');
  await p.click('#gen-go');
  await p.waitForFunction(() => /^3 tokens in/.test(document.querySelector('#gen-stat')!.textContent || ''), null, { timeout: 60_000 });
  assert.is(await visibleError('#gen-error'), null);
});

test('the views explain: decoded sliding-window pairs, labelled heatmaps with a colour scale, next-token bars; no console errors', async () => {
  await setup();
  const p = page!;
  await p.fill('#tok-text', 'Every effort moves you to the sunlit terrace.');
  await p.fill('#gen-prompt', 'Every effort moves you');
  await p.waitForFunction(() => document.querySelectorAll('#windows-list .pair').length === 4);
  const pairs = await p.$$eval('#windows-list .pair', (els) => els.map((e) => e.textContent));
  const tokens = await p.evaluate(() => { const w = (window as any).wgpt; const t = w.state.tok; return t.encode('Every effort moves you to').map((i: number) => t.decode([i])); });
  for (let i = 1; i <= 4; i++) assert.is(pairs[i - 1], `${tokens.slice(0, i).join('')} → ${tokens[i]}`);
  console.log(`    sliding windows: ${pairs.join(' | ')}`);
  await p.evaluate(() => (window as any).wgpt.renderViews());
  const d = await p.evaluate(() => (window as any).wgpt.drawn);
  for (const id of ['emb-tok', 'emb-pos', 'emb-sum']) {
    assert.ok(d[id].scale, `${id} has a colour scale`);
    assert.match(d[id].xTitle, /^embedding dimension \(first \d+ of \d+\)$/);
    assert.is(d[id].rowLabels.length, d[id].rows);
  }
  assert.equal(d['emb-tok'].rowLabels.slice(0, 4), tokens.slice(0, 4).map((t: string) => t.replace(/ /g, '·')), 'rows labelled with the tokens');
  const bars = d['next-bars'].bars as { label: string; value: number }[];
  assert.is(bars.length, 10);
  assert.ok(bars.every((b, i) => i === 0 || b.value <= bars[i - 1].value), 'sorted by probability');
  const total = bars.reduce((a, b) => a + b.value, 0);
  assert.ok(total > 0 && total <= 1 + 1e-5, `top-10 probability mass ${total}`);
  assert.match(d['next-bars'].title, /^P\(next token \| "Every effort moves you"\), top 10 of \d+$/);
  console.log(`    next token after "Every effort moves you": ${bars.slice(0, 3).map((b) => `${b.label} ${(100 * b.value).toFixed(1)}%`).join(', ')}`);
  assert.equal(consoleErrors, [], 'no console errors (favicon included)');
});

test('Walk view: next/previous through the same stages and numbers as wgpt walk', async () => {
  const p = await setup();
  const gpu = await getGpu();
  const names = ['batch', 'embedding-6x3', 'one-hot'];
  const untimed = (t: string) => t.replace(/ \(\d+\.\d s\) ──/, ' ──');
  const inNode = new Map((await walk(gpu, { verdict: readFileSync(VERDICT, 'utf8') }, names)).map((s) => [s.name, untimed(stageText(s, STAGE_NAMES.indexOf(s.name)))]));
  const shown = async (name: string) => {
    await p.waitForFunction((n) => /^error/.test(document.querySelector('#walk-stat')!.textContent || '') || (document.querySelector('#walk-out')!.textContent!.includes(` ${n}: `) && / s$/.test(document.querySelector('#walk-stat')!.textContent || '')), name, { timeout: 90_000 });
    const stat = (await p.textContent('#walk-stat'))!;
    assert.ok(!stat.startsWith('error'), stat);
    return untimed((await p.textContent('#walk-out'))!);
  };
  await p.selectOption('#walk-pick', String(STAGE_NAMES.indexOf('batch')));
  assert.is(await shown('batch'), inNode.get('batch'));
  await p.selectOption('#walk-pick', String(STAGE_NAMES.indexOf('embedding-6x3')));
  const six = await shown('embedding-6x3');
  assert.is(six, inNode.get('embedding-6x3'));
  assert.ok(six.includes('tensor([[ 0.3374, -0.1778, -0.1690],'), six);
  await p.click('#walk-next');
  assert.is(await shown('one-hot'), inNode.get('one-hot'));
  await p.click('#walk-prev');
  assert.is(await shown('embedding-6x3'), inNode.get('embedding-6x3'));
  assert.equal(consoleErrors, []);
});

/** Decodes an 8-bit RGB/RGBA PNG and counts distinct colours (no dependency: zlib inflate of IDAT). */
function distinctColours(png: Buffer): number {
  assert.equal([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
  let off = 8;
  let w = 0, h = 0, type = 0;
  const idat: Buffer[] = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const kind = png.toString('latin1', off + 4, off + 8);
    const body = png.subarray(off + 8, off + 8 + len);
    if (kind === 'IHDR') {
      w = body.readUInt32BE(0);
      h = body.readUInt32BE(4);
      assert.is(body[8], 8, 'bit depth 8');
      type = body[9];
    } else if (kind === 'IDAT') idat.push(body);
    off += 12 + len;
  }
  const bpp = type === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = w * bpp;
  const prev = Buffer.alloc(stride);
  const cur = Buffer.alloc(stride);
  const colours = new Set<number>();
  for (let y = 0; y < h; y++) {
    const f = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? cur[x - bpp] : 0;
      const b = prev[x];
      const c = x >= bpp ? prev[x - bpp] : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][f];
      cur[x] = (line[x] + pred) & 255;
    }
    for (let x = 0; x < w; x += 3) colours.add((cur[x * bpp] << 16) | (cur[x * bpp + 1] << 8) | cur[x * bpp + 2]);
    cur.copy(prev);
  }
  return colours.size;
}

test('screenshot is a real page, not a blank image', async () => {
  await setup();
  const png = await page!.screenshot({ fullPage: true });
  const n = distinctColours(png);
  console.log(`    screenshot ${png.length} bytes, ${n} distinct colours`);
  assert.ok(n > 50, `only ${n} distinct colours`);
  if (process.env.WGPT_SCREENSHOT) (await import('node:fs')).writeFileSync(process.env.WGPT_SCREENSHOT, png);
});

test.run();
