// Training tests: the tiny preset learns the-verdict; pooled GPU memory stays flat over 1,000 steps;
// a non-finite loss stops with the step number; --resume reproduces the uninterrupted run exactly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getGpu, acquire } from '../src/gpu/device.ts';
import { loadCheckpoint } from '../src/hub/folder.ts';
import { loadTrainingState } from '../src/train/state.ts';
import { GPT } from '../src/model/gpt.ts';
import { PRESETS } from '../src/model/config.ts';
import { Trainer, NonFiniteLossError } from '../src/train/trainer.ts';
import { runTraining, type RunOptions } from '../src/train/run.ts';
import { writeTokenFile } from '../src/data/node.ts';
import { loadTokenizer } from '../src/tokenizer/index.ts';

const VERDICT = fileURLToPath(new URL('../src/data/the-verdict.txt', import.meta.url));
const quiet = { say: () => {}, progress: false };

function baseOpts(out: string, over: Partial<RunOptions> = {}): RunOptions {
  return {
    data: VERDICT,
    tokenizer: 'simple-v2',
    preset: 'tiny',
    context: 16,
    batch: 2,
    steps: 12,
    lr: 3e-3,
    weightDecay: 0.1,
    seed: 5,
    shuffle: true,
    valFraction: 0.1,
    evalEvery: 0,
    evalBatches: 4,
    saveEvery: 0,
    out,
    ...over,
  };
}

test('tiny preset on the-verdict: loss goes down; log, checkpoint and plot are written', async () => {
  const gpu = await getGpu();
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-train-'));
  try {
    const log = join(tmp, 'log.jsonl');
    const r = await runTraining(gpu, baseOpts(join(tmp, 'run'), { steps: 40, log, evalEvery: 20 }), undefined, quiet);
    const first = r.train.slice(0, 5).reduce((a, p) => a + p.loss, 0) / 5;
    const last = r.train.slice(-5).reduce((a, p) => a + p.loss, 0) / 5;
    assert.ok(last < first - 0.5, `loss should fall: first 5 mean ${first.toFixed(3)}, last 5 mean ${last.toFixed(3)}`);
    assert.ok(Math.abs(r.train[0].loss - Math.log(r.model.config.vocab_size)) < 0.5, `initial loss ≈ ln(V) = ${Math.log(r.model.config.vocab_size).toFixed(2)}, got ${r.train[0].loss}`);
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const steps = lines.filter((l) => 'loss' in l);
    assert.is(steps.length, 40);
    assert.equal(steps.map((l) => l.step), Array.from({ length: 40 }, (_, i) => i + 1));
    assert.ok(lines.some((l) => typeof l.val_loss === 'number'), 'eval lines carry val_loss');
    assert.ok(existsSync(join(tmp, 'run', 'model.safetensors')));
    assert.match(readFileSync(join(tmp, 'run', 'loss.svg'), 'utf8'), /<polyline/);
    r.model.dispose();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('--resume after an interruption reproduces the uninterrupted loss curve exactly', async () => {
  const gpu = await getGpu();
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-resume-'));
  try {
    const full = await runTraining(gpu, baseOpts(join(tmp, 'full'), { steps: 10, dropout: 0.1 }), undefined, quiet);
    full.model.dispose();
    const half = await runTraining(gpu, baseOpts(join(tmp, 'half'), { steps: 4, dropout: 0.1 }), undefined, quiet);
    half.model.dispose();
    const resumed = await runTraining(gpu, { ...baseOpts(join(tmp, 'half')), steps: 10 }, join(tmp, 'half'), quiet);
    resumed.model.dispose();
    assert.equal(resumed.train.map((p) => p.step), full.train.map((p) => p.step));
    assert.equal(resumed.train.map((p) => p.loss), full.train.map((p) => p.loss), 'bit-identical losses');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a non-finite loss stops training with the step number', async () => {
  const gpu = await getGpu();
  const cfg = { ...PRESETS.tiny, vocab_size: 50, context_length: 8 };
  const m = GPT.init(gpu, cfg, 1);
  try {
    const tr = new Trainer(m, { lr: 1e-3, weightDecay: 0, seed: 1 });
    const x = Int32Array.from({ length: 16 }, (_, i) => i % 50);
    await tr.step({ x, y: x, B: 2, T: 8 }, 0);
    // poison one weight: the next forward produces NaN
    gpu.upload(m.p('ln_f.weight').buffer, new Float32Array(cfg.d_model).fill(NaN));
    let err: unknown = null;
    try {
      await tr.step({ x, y: x, B: 2, T: 8 }, 1);
    } catch (e) {
      err = e;
    }
    assert.instance(err, NonFiniteLossError);
    assert.match((err as Error).message, /loss is NaN at step 1/);
  } finally {
    m.dispose();
  }
});

test('pooled GPU memory stays flat over 1,000 training steps (tiny preset)', async () => {
  const gpu = await getGpu();
  const cfg = { ...PRESETS.tiny, vocab_size: 64, context_length: 8, d_model: 32, n_heads: 2, n_layers: 1 };
  const m = GPT.init(gpu, cfg, 2);
  try {
    const tr = new Trainer(m, { lr: 1e-3, weightDecay: 0.1, seed: 3 });
    const x = Int32Array.from({ length: 16 }, (_, i) => (i * 7) % 64);
    const y = Int32Array.from({ length: 16 }, (_, i) => (i * 7 + 1) % 64);
    let at10 = 0;
    for (let s = 0; s < 1000; s++) {
      await tr.step({ x, y, B: 2, T: 8 }, s);
      if (s === 9) at10 = gpu.pool.stats().allocatedBytes;
    }
    const at1000 = gpu.pool.stats().allocatedBytes;
    console.log(`    pool bytes: step 10 ${at10}, step 1000 ${at1000}; in use between steps ${gpu.pool.stats().inUseBytes}`);
    assert.is(at1000, at10, `allocated bytes must not grow: ${at10} at step 10, ${at1000} at step 1000`);
  } finally {
    m.dispose();
  }
});

test('training from a .bin token file; a .bin from another vocabulary is refused with both sizes', async () => {
  const gpu = await getGpu();
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-bin-'));
  try {
    const text = readFileSync(VERDICT, 'utf8');
    const tok = loadTokenizer('simple-v2', { vocabFrom: text });
    writeTokenFile(join(tmp, 'v.bin'), tok.encode(text), tok.vocabSize);
    const r = await runTraining(gpu, baseOpts(join(tmp, 'run'), { data: join(tmp, 'v.bin'), steps: 3 }), undefined, quiet);
    assert.is(r.train.length, 3);
    assert.is(r.model.config.vocab_size, 1132);
    r.model.dispose();
    let err: Error | null = null;
    try {
      await runTraining(gpu, baseOpts(join(tmp, 'run2'), { data: join(tmp, 'v.bin'), tokenizer: 'gpt2', steps: 1 }), undefined, quiet);
    } catch (e) {
      err = e as Error;
    }
    assert.match(err?.message ?? '', /was tokenized with a 1132-id vocabulary but --tokenizer gpt2 has 50257 ids/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('device loss mid-training: a clear error, and the last checkpoint stays intact and loadable', async () => {
  const gpu = await acquire(); // a device of its own, so losing it does not touch the other tests'
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-lost-'));
  try {
    let err: Error | null = null;
    try {
      await runTraining(gpu, baseOpts(join(tmp, 'run'), { steps: 20, saveEvery: 4 }), undefined, { ...quiet, onStep: (s) => s === 6 && gpu.device.destroy() });
    } catch (e) {
      err = e as Error;
    }
    assert.ok(err, 'training must stop');
    assert.match(err!.message, /device lost|destroyed|readback failed/i);
    const st = loadTrainingState(join(tmp, 'run'));
    assert.is(st.step, 4, 'the checkpoint from step 4 is the last good one');
    const ck = loadCheckpoint(join(tmp, 'run'));
    assert.ok(ck.params.get('wte.weight')!.data.every(Number.isFinite));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
