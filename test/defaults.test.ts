// The first hour's defaults (issue #25): bundled corpora by name, `wgpt train` on raw text with no tokenizer learning
// a BPE of its own on a CPU adapter (and saying so), progress lines without a terminal, the English–Korean pairs.
// CLI cases run in-process (test/cli-inproc.ts): one device for all of them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPORA, PARALLEL_CORPUS, resolveCorpus } from '../src/data/corpora.ts';
import { BUNDLED_CORPUS, KOREAN_CORPUS } from '../src/tokenizer/node.ts';
import { parseTsvPairs } from '../src/data/pairs.ts';
import { getGpu } from '../src/gpu/device.ts';
import { runTraining, OWN_BPE } from '../src/train/run.ts';
import { runCli } from './cli-inproc.ts';

const tmp = mkdtempSync(join(tmpdir(), 'wgpt-defaults-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('bundled corpora by name: a path that exists wins, names with or without the extension, unknown names kept', () => {
  assert.is(resolveCorpus('the-verdict'), BUNDLED_CORPUS);
  assert.is(resolveCorpus('the-verdict.txt'), BUNDLED_CORPUS);
  assert.is(resolveCorpus('debian-faq-ko'), KOREAN_CORPUS);
  assert.is(resolveCorpus('ko-en'), PARALLEL_CORPUS);
  for (const c of Object.values(CORPORA)) assert.ok(existsSync(c.path), c.path);
  assert.is(resolveCorpus('no-such-corpus.txt'), 'no-such-corpus.txt');
  assert.is(resolveCorpus(BUNDLED_CORPUS), BUNDLED_CORPUS);
});

test('the English–Korean pairs: a source<TAB>target file the seq2seq data hook reads, Hangul on the target side', () => {
  const pairs = parseTsvPairs(readFileSync(PARALLEL_CORPUS, 'utf8'), PARALLEL_CORPUS);
  console.log(`  ko-en: ${pairs.length} pairs, e.g. ${JSON.stringify(pairs[0].src)} → ${JSON.stringify(pairs[0].tgt)}`);
  assert.ok(pairs.length >= 900, `${pairs.length} pairs`);
  assert.ok(pairs.every((p) => /^[A-Z][A-Za-z' ,-]*[a-z][.?!]?$/.test(p.src) && /[\uac00-\ud7a3]/.test(p.tgt)));
  assert.is(new Set(pairs.map((p) => p.src)).size, pairs.length, 'one translation per English message');
});

test('wgpt tokenize and batches take a corpus name: the course numbers', async () => {
  const c = await runCli(['tokenize', '--count', 'the-verdict']);
  assert.is(c.code, 0, c.err);
  assert.is(c.out, '5145\n');
  const b = await runCli(['batches', '--data', 'the-verdict', '--max-length', '4', '--stride', '4', '--batch', '8', '--no-shuffle', '--take', '1']);
  assert.is(b.code, 0, b.err);
  assert.equal(JSON.parse(b.out).x[1], [1807, 3619, 402, 271]);
});

test('wgpt train --data NAME with no tokenizer on a CPU adapter: a BPE of its own, said in one line, kept in the run', async () => {
  const gpu = await getGpu();
  if (!gpu.info.isCpu) return console.log('  (a GPU adapter: GPT-2 stays the default; nothing to check here)');
  const out = join(tmp, 'verdict');
  // the tiny preset and short windows keep the compiled kernels few (every run below shares them)
  const r = await runCli(['train', '--data', 'the-verdict', '--preset', 'tiny', '--steps', '2', '--batch', '2', '--context', '16', '--out', out]);
  assert.is(r.code, 0, r.err);
  const line = r.out.split('\n').find((l) => l.includes('of its own'));
  console.log(`  ${line}`);
  assert.match(r.out, /^wgpt: trained a byte-level BPE of its own on the-verdict\.txt: 1413 ids in [\d.]+ s \(--tokenizer gpt2 for GPT-2's 50,257 ids\)$/m);
  assert.match(r.out, /vocab 1413\)/);
  assert.is(JSON.parse(readFileSync(join(out, 'wgpt_run.json'), 'utf8')).tokenizer, OWN_BPE);
  assert.ok(existsSync(join(out, 'tokenizer.json')));
  // the run's tokenizer is read back from the folder: generate and resume need no --tokenizer
  const g = await runCli(['generate', '--model', out, '--prompt', 'Every effort moves you', '--max-new-tokens', '3', '--temperature', '0']);
  assert.is(g.code, 0, g.err);
  assert.match(g.out, /^Every effort moves you/);
  const res = await runCli(['train', '--resume', out, '--steps', '3']);
  assert.is(res.code, 0, res.err);
  assert.not.match(res.out, /of its own/);
  assert.match(res.out, /resuming at step 2 of 3 steps/);
  // a tokenizer asked for by name is kept (simple-v2 here: GPT-2's 50,257-wide head would cost this test seconds)
  const named = await runCli(['train', '--data', 'the-verdict', '--tokenizer', 'simple-v2', '--preset', 'tiny', '--steps', '1', '--batch', '2', '--context', '16', '--out', join(tmp, 'named')]);
  assert.is(named.code, 0, named.err);
  assert.not.match(named.out, /of its own/);
  assert.match(named.out, /vocab 1132\)/);
});

test('without a terminal: a progress line at the first and last step and at most every progressLineMs between', async () => {
  const gpu = await getGpu();
  const run = async (progressLineMs: number, dir: string) => {
    const lines: string[] = [];
    await runTraining(gpu, { data: BUNDLED_CORPUS, tokenizer: OWN_BPE, preset: 'tiny', context: 16, batch: 2, steps: 4, lr: 1e-3, weightDecay: 0, seed: 1, shuffle: false, valFraction: 0.1, evalEvery: 0, evalBatches: 1, saveEvery: 0, out: join(tmp, dir), overwrite: true }, undefined, { say: (l) => lines.push(l), progress: false, progressLineMs });
    return lines.filter((l) => /^step \d+\/4 /.test(l)).map((l) => Number(/^step (\d+)/.exec(l)![1]));
  };
  assert.equal(await run(0, 'p0'), [1, 2, 3, 4]);
  assert.equal(await run(3_600_000, 'p1'), [1, 4]);
});

test.run();
