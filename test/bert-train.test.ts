// `wgpt train --arch bert` through the shared runner on Korean text with a WordPiece tokenizer: MLM loss goes down,
// evaluation reports held-out loss and accuracy, the folder is a Hugging Face BERT folder with its tokenizer, a resumed
// run reproduces the uninterrupted one exactly (masks re-drawn per epoch from the seed), `--model DIR` fine-tunes it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getGpu } from '../src/gpu/device.ts';
import { runTraining, type RunOptions } from '../src/train/run.ts';
import { loadCheckpoint } from '../src/hub/folder.ts';
import { bert } from '../src/model/bert.ts';
import { trainWordPiece } from '../src/tokenizer/wordpiece-train.ts';
import { wordPieceToHfJson } from '../src/tokenizer/hf-json.ts';

const KO = fileURLToPath(new URL('../src/data/debian-faq-ko.txt', import.meta.url));
const quiet = { say: () => {}, progress: false };

function setup(tmp: string): { data: string; tokenizer: string; V: number } {
  const text = readFileSync(KO, 'utf8').split('\n').slice(0, 120).join('\n');
  const data = join(tmp, 'ko.txt');
  writeFileSync(data, text);
  const tokenizer = join(tmp, 'tokenizer.json');
  const wp = trainWordPiece(text, { vocabSize: 400 }).tokenizer; // at least alphabet + specials: more than 400 here
  writeFileSync(tokenizer, wordPieceToHfJson(wp));
  return { data, tokenizer, V: wp.vocabSize };
}

const opts = (f: { data: string; tokenizer: string }, out: string, over: Partial<RunOptions> = {}): RunOptions => ({
  data: f.data,
  tokenizer: f.tokenizer,
  arch: 'bert',
  preset: 'tiny',
  context: 24,
  batch: 4,
  steps: 8,
  lr: 3e-3,
  weightDecay: 0.01,
  seed: 7,
  shuffle: true,
  valFraction: 0.1,
  evalEvery: 0,
  evalBatches: 2,
  saveEvery: 0,
  out,
  ...over,
});

test('train --arch bert: loss falls, held-out loss and accuracy, a Hugging Face folder with its tokenizer', async () => {
  const gpu = await getGpu();
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-bert-train-'));
  try {
    const f = setup(tmp);
    const lines: string[] = [];
    const log = join(tmp, 'log.jsonl');
    const r = await runTraining(gpu, opts(f, join(tmp, 'run'), { steps: 16, log, evalEvery: 8 }), undefined, { ...quiet, say: (l: string) => lines.push(l) });
    const first = r.train.slice(0, 3).reduce((a, p) => a + p.loss, 0) / 3;
    const last = r.train.slice(-3).reduce((a, p) => a + p.loss, 0) / 3;
    assert.ok(last < first - 0.3, `MLM loss should fall: ${first.toFixed(3)} → ${last.toFixed(3)}`);
    assert.ok(Math.abs(r.train[0].loss - Math.log(f.V)) < 0.6, `initial loss ≈ ln V, got ${r.train[0].loss}`);
    const v = r.val[r.val.length - 1];
    assert.ok(v.accuracy !== undefined && v.accuracy >= 0 && v.accuracy <= 1, `val accuracy ${v.accuracy}`);
    assert.ok(lines.some((l) => /most-frequent-token baseline \(always .*\) accuracy \d/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /val \d\.\d{3} \(accuracy \d+\.\d%\)/.test(l)), lines.join('\n'));
    const evals = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => 'val_loss' in l);
    assert.ok(evals.length >= 2 && evals.every((l) => typeof l.val_accuracy === 'number'));
    const ck = loadCheckpoint(join(tmp, 'run'));
    assert.is(ck.arch, bert);
    assert.ok(existsSync(join(tmp, 'run', 'tokenizer.json')));
    const cfg = JSON.parse(readFileSync(join(tmp, 'run', 'config.json'), 'utf8'));
    assert.is(cfg.model_type, 'bert');
    assert.is(cfg.vocab_size, f.V);
    r.model.dispose();
    // fine-tune the folder: --model DIR
    const ft = await runTraining(gpu, { ...opts(f, join(tmp, 'ft'), { steps: 3 }), preset: undefined, arch: undefined, model: join(tmp, 'run') }, undefined, quiet);
    assert.ok(ft.train[0].loss < first, `fine-tuning starts from the trained weights (${ft.train[0].loss} < ${first})`);
    ft.model.dispose();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('resume reproduces the uninterrupted run: same masks per epoch, same losses', async () => {
  const gpu = await getGpu();
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-bert-resume-'));
  try {
    const f = setup(tmp);
    // 24 rows of ≤ 24 tokens / batch 4: an epoch boundary falls inside the 10 steps, so masks are re-drawn mid-run
    const full = await runTraining(gpu, opts(f, join(tmp, 'full'), { steps: 10 }), undefined, quiet);
    full.model.dispose();
    const half = await runTraining(gpu, opts(f, join(tmp, 'half'), { steps: 4 }), undefined, quiet);
    half.model.dispose();
    const resumed = await runTraining(gpu, { ...opts(f, join(tmp, 'half')), steps: 10 }, join(tmp, 'half'), quiet);
    resumed.model.dispose();
    assert.equal(resumed.train.map((p) => p.loss), full.train.map((p) => p.loss), 'bit-identical losses');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
