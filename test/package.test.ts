// The npm package as a user gets it: `npm pack` (which builds dist/), the tarball installed into an empty
// temporary project, then plain `node` (no TypeScript loader) imports `wgpt`, runs a forward pass and a
// training step, `npx wgpt info` runs, and every code block of README.md and docs/ marked `<!-- doc-test: run -->`
// (node) or `<!-- doc-test: sh -->` (npx wgpt lines) runs as written there (test/doc-blocks.ts). Needs the npm registry for the package metadata (tarballs come from the npm cache when there).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { allDocBlocks } from './doc-blocks.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function sh(cmd: string, args: string[], cwd: string, timeoutMs = 120_000): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: timeoutMs, env: { ...process.env, WGPT_QUIET: '1', npm_config_update_notifier: 'false' }, maxBuffer: 1 << 24 }, (e, out, err) =>
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out: String(out), err: String(err) }),
    );
  });
}

function duBytes(p: string): number {
  const st = lstatSync(p);
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const c of readdirSync(p)) n += duBytes(join(p, c));
  return n;
}
const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;

let app = '';
let installErr = '';
let tmp = '';
let ready: Promise<string> | null = null;
/** Pack + install once (inside the first test: a throwing uvu before-hook is not reported). */
function install(): Promise<string> {
  ready ??= (async () => {
    tmp = mkdtempSync(join(tmpdir(), 'wgpt-pack-'));
    const pack = await sh('npm', ['pack', '--pack-destination', tmp, '--loglevel=error'], ROOT);
    assert.is(pack.code, 0, `npm pack failed: ${pack.err}`);
    const tgz = join(tmp, pack.out.trim().split('\n').pop()!);
    assert.ok(existsSync(tgz), `no tarball at ${tgz}`);
    app = join(tmp, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    const inst = await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tgz], app);
    assert.is(inst.code, 0, `npm install of the tarball failed: ${inst.err}`);
    installErr = inst.err;
    const nm = join(app, 'node_modules');
    console.log(`  packed ${mb(lstatSync(tgz).size)}; installed into an empty project: node_modules ${mb(duBytes(nm))} (wgpt ${mb(duBytes(join(nm, 'wgpt')))}, webgpu ${mb(duBytes(join(nm, 'webgpu')))})`);
    return app;
  })();
  return ready;
}

test.after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the packed tarball: compiled dist/, runtime dependencies only, no sources or dev tools', async () => {
  const dir = await install();
  const pkg = join(dir, 'node_modules', 'wgpt');
  for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/node.js', 'dist/cli/wgpt.js', 'dist/wgpt.browser.js', 'dist/web/index.html', 'dist/data/the-verdict.txt'])
    assert.ok(existsSync(join(pkg, f)), `${f} missing from the package`);
  assert.not.ok(existsSync(join(pkg, 'src')), 'src/ shipped');
  assert.not.ok(readdirSync(join(pkg, 'dist'), { recursive: true }).some((f) => String(f).endsWith('.ts') && !String(f).endsWith('.d.ts')), '.ts sources in dist/');
  // LICENSE travels with the code; no script npm would run (or warn about) on install
  assert.ok(existsSync(join(pkg, 'LICENSE')), 'LICENSE missing from the package');
  assert.match(readFileSync(join(pkg, 'LICENSE'), 'utf8'), /^MIT License/);
  const scripts = (JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  for (const s of ['prepare', 'preinstall', 'install', 'postinstall']) assert.is(scripts[s], undefined, `the packed manifest has a ${s} script`);
  assert.not.match(installErr, /wgpt@/, `npm warned about wgpt while installing it: ${installErr}`);
  for (const f of ['dist/data/ko-en.tsv', 'dist/data/debian-faq-ko.txt', 'dist/plot/fonts/DejaVuSans.ttf', 'dist/plot/fonts/NanumSquareR.ttf', 'dist/plot/fonts/README.md'])
    assert.ok(existsSync(join(pkg, f)), `${f} missing from the package`);
  for (const dev of ['uvu', 'tsx', 'esbuild', 'typescript', 'playwright-core'])
    assert.not.ok(existsSync(join(dir, 'node_modules', dev)), `${dev} installed as a runtime dependency`);
});

test('plain node imports wgpt: a forward pass and a training step', async () => {
  const dir = await install();
  writeFileSync(
    join(dir, 'app.mjs'),
    `import { getGpu, GPT, PRESETS, Trainer, IdBatch, noGrad } from 'wgpt';
import { BUNDLED_CORPUS } from 'wgpt/node';
const gpu = await getGpu();
const model = GPT.init(gpu, { ...PRESETS.tiny, vocab_size: 50, context_length: 8, d_model: 16, n_heads: 2, n_layers: 1 }, 7);
const logits = await gpu.scope(() => noGrad(() => model.forward(IdBatch.from(gpu, [1, 2, 3, 4], [1, 4], 50)).toArray()));
const trainer = new Trainer(model, { lr: 1e-2, weightDecay: 0, seed: 7 });
const x = Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), y = Int32Array.from([2, 3, 4, 5, 6, 7, 8, 9]);
const l0 = await trainer.step({ x, y, B: 1, T: 8 }, 0);
const l1 = await trainer.step({ x, y, B: 1, T: 8 }, 1);
console.log(JSON.stringify({ n: logits.length, finite: logits.every(Number.isFinite), l0, l1, corpus: BUNDLED_CORPUS.endsWith('the-verdict.txt') }));
`,
  );
  const r = await sh(process.execPath, ['app.mjs'], dir);
  assert.is(r.code, 0, `node app.mjs failed: ${r.err}`);
  const o = JSON.parse(r.out.trim().split('\n').pop()!);
  console.log(`  plain node: logits (1, 4, 50) finite ${o.finite}; loss ${o.l0.toFixed(4)} → ${o.l1.toFixed(4)} after one AdamW step`);
  assert.is(o.n, 200);
  assert.ok(o.finite);
  assert.ok(Math.abs(o.l0 - Math.log(50)) < 0.5, `initial loss ${o.l0} should be near ln 50`);
  assert.ok(o.l1 < o.l0, `one step on the same batch lowers the loss: ${o.l0} → ${o.l1}`);
  assert.ok(o.corpus);
});

test('npx wgpt info, --version and the missing bench from the installed package', async () => {
  const dir = await install();
  const r = await sh('npx', ['--no-install', 'wgpt', 'info'], dir);
  assert.is(r.code, 0, `npx wgpt info failed: ${r.err}`);
  assert.match(r.out, /^adapter {6}/m);
  assert.match(r.out, /^self-check {3}PASS/m);
  const ver = await sh('npx', ['--no-install', 'wgpt', '--version'], dir);
  assert.is(ver.out, `wgpt ${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version} (node ${process.versions.node})\n`);
  const b = await sh('npx', ['--no-install', 'wgpt', 'bench'], dir);
  assert.is(b.code, 1);
  assert.match(b.err, /^wgpt bench: not available in this installation .*it runs from a clone of the repository\n$/);
});

test('wgpt serve from the installed package serves the prebuilt page (no esbuild needed)', async () => {
  const dir = await install();
  const p = spawn(process.execPath, [join(dir, 'node_modules', 'wgpt', 'dist', 'cli', 'wgpt.js'), 'serve', '--port', '0'], { cwd: dir, env: { ...process.env, WGPT_QUIET: '1' } });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      p.stdout.on('data', (d) => {
        out += d;
        const m = /serving the page at (http:\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      p.on('close', (code) => reject(new Error(`wgpt serve exited ${code}: ${out}`)));
    });
    const html = await (await fetch(url)).text();
    assert.match(html, /<script type="module" src="\/wgpt\.js">/);
    const js = await (await fetch(url + 'wgpt.js')).text();
    assert.is(js, readFileSync(join(dir, 'node_modules', 'wgpt', 'dist', 'wgpt.browser.js'), 'utf8'), 'the prebuilt bundle is what is served');
    assert.is((await fetch(url + 'the-verdict.txt')).status, 200);
    console.log(`  wgpt serve (installed): page ${html.length} B, prebuilt bundle ${(js.length / 1024).toFixed(0)} KiB`);
  } finally {
    p.kill();
  }
});

test("the documentation's run blocks (node) run as written against the installed package", async () => {
  const dir = await install();
  const blocks = allDocBlocks().filter((b) => b.mark === 'run');
  assert.ok(blocks.length >= 1, 'no <!-- doc-test: run --> block in README.md or docs/');
  const outs: string[] = [];
  for (const [i, b] of blocks.entries()) {
    writeFileSync(join(dir, `doc-${i}.mjs`), b.code);
    const t0 = performance.now();
    const r = await sh(process.execPath, [`doc-${i}.mjs`], dir);
    assert.is(r.code, 0, `${b.file}:${b.line} failed: ${r.err.trim().split('\n').slice(0, 3).join(' | ')}`);
    assert.ok(r.out.trim().length > 0, `${b.file}:${b.line} printed nothing`);
    outs.push(r.out);
    console.log(`  ${b.file}:${b.line}: ${((performance.now() - t0) / 1000).toFixed(1)} s, last line: ${r.out.trim().split('\n').pop()}`);
  }
  // the README's example prints a falling loss and a continuation of the prompt
  const out = outs[0];
  const losses = [...out.matchAll(/^step \d+ {2}loss (\d+\.\d+)$/gm)].map((m) => Number(m[1]));
  assert.ok(losses.length >= 2 && losses[losses.length - 1] < losses[0], `losses ${losses}`);
  assert.match(out, /^Every effort moves you/m);
});

test("the documentation's sh blocks (npx wgpt …) run as written in the installed project (each distinct block once)", async () => {
  const dir = await install();
  // a block repeated on another page (the README's GPT example in docs/gpt.md) runs once
  const all = allDocBlocks().filter((b) => b.mark === 'sh');
  const blocks = all.filter((b, i) => all.findIndex((x) => x.code === b.code) === i);
  assert.ok(blocks.length >= 1, 'no <!-- doc-test: sh --> block');
  // `npx wgpt` resolves to the package's bin, whose whole job is `main(process.argv)` (the bin and npx are tested
  // above): every line runs through the installed dist/cli/main.js in ONE plain-node process, so the lines share a
  // device and its compiled kernels instead of paying Dawn's and SwiftShader's start-up per line
  const jobs: { where: string; line: string; cwd: string; argv: string[]; prints: string[] }[] = [];
  for (const [n, b] of blocks.entries()) {
    // each block runs in a folder of its own inside the project
    const cwd = join(dir, `sh-${n}`);
    mkdirSync(cwd);
    const lines = b.code.split('\n');
    for (const [k, line] of lines.entries()) {
      if (!line.trim() || line.startsWith('#')) continue;
      const args = shellWords(line.replace(/\s+#.*$/, ''));
      assert.equal(args.slice(0, 2), ['npx', 'wgpt'], `${b.file}:${b.line}: ${line}`);
      // `# prints: TEXT` after a command: its stdout has a line matching TEXT (… matches anything)
      const prints: string[] = [];
      for (let e = k + 1; e < lines.length && lines[e].startsWith('# prints: '); e++) prints.push(lines[e].slice('# prints: '.length));
      jobs.push({ where: `${b.file}:${b.line}`, line, cwd, argv: args.slice(2), prints });
    }
  }
  const runner = join(dir, 'sh-runner.mjs');
  writeFileSync(
    runner,
    `import { readFileSync, writeFileSync } from 'node:fs';
const { main } = await import(${JSON.stringify(pathToFileURL(join(dir, 'node_modules', 'wgpt', 'dist', 'cli', 'main.js')).href)});
const jobs = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const results = [];
const w = { out: process.stdout.write, err: process.stderr.write, log: console.log, error: console.error, warn: console.warn };
for (const j of jobs) {
  let out = '', err = '';
  const cap = (add) => (c, ...r) => { add(typeof c === 'string' ? c : Buffer.from(c).toString('utf8')); const cb = r.find((x) => typeof x === 'function'); if (cb) cb(); return true; };
  process.stdout.write = cap((t) => (out += t)); process.stderr.write = cap((t) => (err += t));
  console.log = (...a) => void (out += a.map(String).join(' ') + '\\n');
  console.error = console.warn = (...a) => void (err += a.map(String).join(' ') + '\\n');
  process.chdir(j.cwd);
  const t0 = performance.now();
  let code;
  try { code = await main(j.argv); } catch (e) { code = -1; err += String(e && e.stack || e); }
  Object.assign(process.stdout, { write: w.out }); Object.assign(process.stderr, { write: w.err });
  Object.assign(console, { log: w.log, error: w.error, warn: w.warn });
  results.push({ code, out, err, seconds: (performance.now() - t0) / 1000 });
  if (code !== 0) break;
}
writeFileSync(process.argv[3], JSON.stringify(results));
process.exit(0);
`,
  );
  writeFileSync(join(dir, 'sh-jobs.json'), JSON.stringify(jobs));
  const r = await sh(process.execPath, [runner, join(dir, 'sh-jobs.json'), join(dir, 'sh-results.json')], dir, 600_000);
  assert.is(r.code, 0, `the runner failed: ${r.err.trim().split('\n').slice(-3).join(' | ')}`);
  const results = JSON.parse(readFileSync(join(dir, 'sh-results.json'), 'utf8')) as { code: number; out: string; err: string; seconds: number }[];
  for (const [i, j] of jobs.entries()) {
    const res = results[i];
    assert.ok(res, `${j.where}: \`${j.line}\` did not run (an earlier line failed)`);
    assert.is(res.code, 0, `${j.where}: \`${j.line}\` exited ${res.code}: ${res.err.trim().split('\n').slice(-2).join(' | ')}`);
    for (const want of j.prints) {
      const re = new RegExp(`^${want.split('…').map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'm');
      assert.match(res.out, re, `${j.where}: \`${j.line}\` should print ${want}`);
    }
    console.log(`  ${j.where}: ${j.line.slice(0, 70)} — ${res.seconds.toFixed(1)} s, ${res.out.trim().split('\n').pop()?.slice(0, 60)}`);
  }
});

/** Splits a shell line into words: double- and single-quoted strings, no expansions (the sh blocks use none). */
function shellWords(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]));
  return out;
}

test.run();
