// Warm-up plans (src/train/warmup.ts on gpu.plan / gpu.warmUp): planning runs a step's code without touching the
// GPU and finds every pipeline the step then needs; a run with a plan gives the same numbers as one without. On a
// fresh device of its own, so the counts are this test's. Leaves out: timing (docs/perf.md, bench).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { acquire } from '../src/gpu/device.ts';
import { GPT } from '../src/model/gpt.ts';
import { PRESETS } from '../src/model/config.ts';
import { Trainer } from '../src/train/trainer.ts';
import { warmUpTraining, warmUpGeneration } from '../src/train/warmup.ts';
import { generate } from '../src/model/generate.ts';

const cfg = { ...PRESETS.tiny, vocab_size: 61, context_length: 12, d_model: 32, n_heads: 2, n_layers: 2 };
const x = Int32Array.from({ length: 24 }, (_, i) => (i * 7) % 61);
const y = Int32Array.from({ length: 24 }, (_, i) => (i * 7 + 1) % 61);
const batch = { x, y, B: 2, T: 12 };

test('a training plan foresees the step: afterwards the step creates only AdamW\'s kernel; losses equal a run without a plan', async () => {
  const gpu = await acquire({ policy: { tiers: 'progressive' } });
  try {
    const planned = GPT.init(gpu, cfg, 5);
    const plain = GPT.init(gpu, cfg, 5);
    const dispatches = gpu.counters.dispatches;
    const r = await warmUpTraining(planned, batch);
    assert.is(r.error, undefined, r.error);
    assert.ok(r.now >= 10, `the plan found ${r.now} kernels`);
    assert.is(gpu.counters.dispatches, dispatches, 'planning dispatches nothing');
    assert.is(gpu.counters.asyncPipelines, r.now, 'created in the background');
    const c0 = { ...gpu.counters };
    const t1 = new Trainer(planned, { lr: 1e-2, weightDecay: 0.1, seed: 9 });
    const l1 = [await t1.step(batch, 0)];
    assert.is(gpu.counters.pipelines - c0.pipelines, 1, 'one synchronous compile in the step (AdamW, left out of the plan)');
    l1.push(await t1.step(batch, 1), await t1.step(batch, 2));
    const t2 = new Trainer(plain, { lr: 1e-2, weightDecay: 0.1, seed: 9 });
    const l2 = [await t2.step(batch, 0), await t2.step(batch, 1), await t2.step(batch, 2)];
    assert.equal(l1, l2, 'the same losses, bit for bit');
    planned.dispose();
    plain.dispose();
  } finally {
    gpu.destroy();
  }
});

test('a generation plan foresees the prefill and the decode steps: no compile while generating, and a second run gives the same tokens', async () => {
  const gpu = await acquire({ policy: { tiers: 'progressive' } });
  try {
    const m = GPT.init(gpu, cfg, 6);
    const o = { maxNewTokens: 5, temperature: 0.9, topK: 10, seed: 4 };
    const r = await warmUpGeneration(m, [1, 2, 3], o);
    assert.is(r.error, undefined, r.error);
    const c0 = { ...gpu.counters };
    const a: number[] = [];
    for await (const id of generate(m, [1, 2, 3], o)) a.push(id);
    assert.is(gpu.counters.pipelines, c0.pipelines, 'no synchronous compile while generating');
    const b: number[] = [];
    for await (const id of generate(m, [1, 2, 3], o)) b.push(id);
    assert.equal(a, b);
    assert.is(a.length, 5);
    m.dispose();
  } finally {
    gpu.destroy();
  }
});

test.run();
