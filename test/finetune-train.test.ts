// Hugging Face Trainer's knobs against PyTorch (test/fixtures/gen_finetune.py): every schedule's lr at every step,
// AdamW with Trainer's decay groups + clip_grad_norm_ + gradient accumulation (= one big batch) on a small model of
// our ops; frozen parameters have no gradient buffers and no moments; the runner's --grad-accum, --train-only and
// --time-budget (stop, save, resume exactly).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getGpu } from '../src/gpu/device.ts';
import { Tensor } from '../src/autograd/tensor.ts';
import { linear } from '../src/ops/matmul.ts';
import { layerNorm } from '../src/ops/layernorm.ts';
import { tanh } from '../src/ops/unary.ts';
import { crossEntropy } from '../src/ops/loss.ts';
import { Trainer } from '../src/train/trainer.ts';
import { AdamW, clipGradNorm } from '../src/train/adamw.ts';
import { lrLambda, warmupSteps, type ScheduleName } from '../src/train/schedule.ts';
import { noDecay, freezePredicate } from '../src/train/groups.ts';
import { runTraining, type RunOptions } from '../src/train/run.ts';
import { loadCheckpoint } from '../src/hub/folder.ts';
import { gptParamTable } from '../src/model/params.ts';
import { PRESETS } from '../src/model/config.ts';
import { BERT_PRESETS, bertParamTable } from '../src/model/bert-config.ts';
import { GPT } from '../src/model/gpt.ts';
import { readFixture, assertClose as closeTo, throwsMsg, randn } from './helpers.ts';

const assertClose = (a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number, name: string) => closeTo(a, b, { atol, rtol, name });

test('every schedule gives transformers\' lr at every step; warmup_ratio → ceil(n·r)', () => {
  const f = readFixture('finetune_schedules.json');
  const base = Number(f.meta.base_lr);
  for (const [name, w, n] of JSON.parse(String(f.meta.cases)) as [ScheduleName, number, number][]) {
    const ref = f.t(`${name}_w${w}_n${n}`).data;
    const got = Array.from({ length: n }, (_, k) => base * lrLambda({ name, warmupSteps: w, totalSteps: n }, k));
    assertClose(got, ref, 1e-12, 1e-9, `${name} warmup ${w} of ${n}`);
  }
  for (const [n, r, want] of JSON.parse(String(f.meta.ratio)) as [number, number, number][]) assert.is(warmupSteps(n, { warmupRatio: r }), want, `ceil(${n}·${r})`);
  assert.is(warmupSteps(10, { warmupSteps: 3, warmupRatio: 0.5 }), 3, 'warmup_steps wins');
});

test('Trainer\'s decay grouping: biases and LayerNorm weights of GPT-2 and BERT get none, the rest all', () => {
  const gptNames = gptParamTable(PRESETS.tiny).map((p) => p.name);
  const off = gptNames.filter(noDecay);
  assert.ok(off.includes('h.0.ln_1.weight') && off.includes('ln_f.weight') && off.includes('h.0.attn.c_proj.bias'));
  for (const n of ['wte.weight', 'wpe.weight', 'h.0.attn.c_attn.weight', 'h.0.mlp.c_fc.weight']) assert.not.ok(noDecay(n), n);
  assert.ok(off.every((n) => n.endsWith('bias') || /ln_/.test(n)), off.join(' '));
  const bertNames = bertParamTable({ ...Object.values(BERT_PRESETS)[0], vocab_size: 100 }).map((p) => p.name);
  const bOff = bertNames.filter(noDecay);
  assert.ok(bOff.some((n) => /LayerNorm\.weight$/.test(n)) && bOff.every((n) => /bias|LayerNorm/.test(n)), bOff.join(' '));
  assert.ok(bertNames.filter((n) => !noDecay(n)).every((n) => n.endsWith('weight') && !/LayerNorm/.test(n)));
});

test('freeze patterns: module prefixes and wildcards; a pattern matching nothing or freezing everything is one line', () => {
  const names = gptParamTable({ ...PRESETS.tiny, n_layers: 2 }).map((p) => p.name);
  const only = freezePredicate(names, { trainOnly: ['h.1', 'ln_f'] })!;
  assert.equal(names.filter((n) => !only(n)), names.filter((n) => n.startsWith('h.1.') || n.startsWith('ln_f.')));
  const fr = freezePredicate(names, { freeze: ['h.*.ln_1'] })!;
  assert.equal(names.filter(fr), ['h.0.ln_1.weight', 'h.0.ln_1.bias', 'h.1.ln_1.weight', 'h.1.ln_1.bias']);
  throwsMsg(() => freezePredicate(names, { freeze: ['h.9'] }), /--freeze h\.9 matches no parameter/);
  throwsMsg(() => freezePredicate(names, { freeze: ['*'] }), /leaves no parameter to train/);
});

/** A small model of our ops, the fixture's: tanh(LN(x·fc + b))·head + b, cross-entropy. */
function tinyModel(gpu: Awaited<ReturnType<typeof getGpu>>, f: ReturnType<typeof readFixture>) {
  const names = ['fc.weight', 'fc.bias', 'ln.weight', 'ln.bias', 'head.weight', 'head.bias'];
  const params = new Map(names.map((n) => [n, Tensor.param(gpu, Float32Array.from(f.t('init.' + n).data), f.t('init.' + n).shape, n)]));
  const P = (n: string) => params.get(n)!;
  type Batch = { x: Float32Array; y: Int32Array };
  const model = {
    gpu,
    params,
    paramList: () => [...params.values()],
    loss(b: Batch) {
      const x = Tensor.from(gpu, b.x, [b.y.length, 4]);
      return crossEntropy(linear(tanh(layerNorm(linear(x, P('fc.weight'), P('fc.bias')), P('ln.weight'), P('ln.bias'), 1e-5)), P('head.weight'), P('head.bias')), b.y);
    },
  };
  return { model: model as never as import('../src/model/model.ts').Model<unknown, Batch>, params };
}

test('AdamW with decay groups, clip_grad_norm_, a linear-warmup schedule and gradient accumulation match PyTorch; accumulation = one big batch', async () => {
  const gpu = await getGpu();
  const f = readFixture('finetune_trainer.json');
  const X = f.t('x').data;
  const Y = f.t('y').data;
  for (const [tag, accum, grouping, clip] of [['accum2_hf_clip', 2, 'hf', 0.5], ['big_hf_clip', 1, 'hf', 0.5], ['accum4_all', 4, 'all', undefined]] as const) {
    const { model, params } = tinyModel(gpu, f);
    const tr = new Trainer(model, { lr: 0.05, weightDecay: 0.1, seed: 0, decayGrouping: grouping, gradClip: clip, schedule: { name: 'linear', warmupSteps: 2, totalSteps: 5 } });
    const losses: number[] = [];
    const lrs: number[] = [];
    for (let s = 0; s < 5; s++) {
      const rows = 8 / accum;
      const micro = Array.from({ length: accum }, (_, k) => ({ x: Float32Array.from(X.subarray((s * 8 + k * rows) * 4, (s * 8 + (k + 1) * rows) * 4)), y: Int32Array.from(Y.subarray(s * 8 + k * rows, s * 8 + (k + 1) * rows)) }));
      losses.push(await tr.step(accum === 1 ? micro[0] : micro, s));
      lrs.push(tr.lastLr);
    }
    assertClose(lrs, f.t(tag + '.lrs').data, 1e-12, 1e-9, `${tag} lrs`);
    assertClose(losses, f.t(tag + '.losses').data, 2e-5, 2e-5, `${tag} losses`);
    for (const [n, t] of params) assertClose(await t.toArray(), f.t(`${tag}.${n}`).data, 5e-5, 5e-5, `${tag} ${n}`);
    tr.optimizer.dispose();
    for (const t of params.values()) t.dispose();
  }
  // the accumulated and the big-batch runs of PyTorch agree (what "= one big batch" means), and so do ours
  assertClose(f.t('accum2_hf_clip.head.weight').data, f.t('big_hf_clip.head.weight').data, 1e-5, 1e-5, 'torch: accum = big batch');
});

test('clipping inside AdamW.step (one reduction over the staged chunks) = clip_grad_norm_ then step, over several chunks', async () => {
  const gpu = await getGpu();
  const sizes = [13, 40, 7, 1];
  const data = sizes.map((n, i) => randn(n, 10 + i));
  const grads = sizes.map((n, i) => randn(n, 20 + i).map((v) => v * 3));
  const make = () => sizes.map((n, i) => {
    const t = Tensor.param(gpu, data[i], [n], `p${i}`);
    gpu.upload(t.grad!.buffer, grads[i]);
    return t;
  });
  const [a, b] = [make(), make()];
  const oa = new AdamW(a, { lr: 0.1, weightDecay: 0.01 });
  const ob = new AdamW(b, { lr: 0.1, weightDecay: 0.01, chunkElements: 8 });
  assert.ok(ob.dispatchesPerStep > 4, `${ob.dispatchesPerStep} chunks`);
  const normA = await gpu.scope(async () => {
    const n = clipGradNorm(a, 0.5);
    oa.step();
    return n.item();
  });
  const normB = await gpu.scope(async () => ob.step(0.1, { maxNorm: 0.5 })!.item());
  const want = Math.hypot(...grads.flatMap((g) => Array.from(g)));
  assertClose([normA, normB], [want, want], 1e-5, 1e-5, 'pre-clip norm');
  for (let i = 0; i < sizes.length; i++) assertClose(await b[i].toArray(), await a[i].toArray(), 1e-6, 1e-5, `p${i} after the step`);
  for (const o of [oa, ob]) o.dispose();
  for (const t of [...a, ...b]) t.dispose();
});

test('frozen parameters get no gradient buffers and no optimizer moments (pool bytes)', async () => {
  const gpu = await getGpu();
  const cfg = { ...PRESETS.tiny, vocab_size: 64, context_length: 8 };
  const full = GPT.init(gpu, cfg, 1);
  const fullTr = new Trainer(full, { lr: 1e-3, weightDecay: 0, seed: 1 });
  const table = gptParamTable(cfg);
  const pm = await full.exportParams();
  const only = freezePredicate(table.map((p) => p.name), { trainOnly: ['h.1', 'ln_f'] })!;
  for (const [n, p] of pm) if (only(n)) pm.set(n, { ...p, frozen: true });
  const before = gpu.pool.stats().inUseBytes;
  const part = GPT.fromParams(gpu, cfg, pm);
  const partTr = new Trainer(part, { lr: 1e-3, weightDecay: 0, seed: 1 });
  const partBytes = gpu.pool.stats().inUseBytes - before;
  const trainable = table.filter((p) => !only(p.name)).reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
  const total = table.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
  assert.is(partTr.trainable.length, table.filter((p) => !only(p.name)).length);
  for (const [n, t] of part.params) assert.is(!!t.grad, !only(n), n);
  // weights + grads + 2 moments of the trainable part, + weights of the rest (pool size classes round up: ≥ bound)
  assert.ok(partBytes < 4 * (total + 3 * trainable) * 2, `frozen model holds ${partBytes} bytes`);
  const x = Int32Array.from({ length: 16 }, (_, i) => (i * 7) % 64);
  const w0 = await part.p('wte.weight').toArray();
  const h1 = await part.p('h.1.mlp.c_fc.weight').toArray();
  await partTr.step({ x, y: x, B: 2, T: 8 }, 0);
  assert.equal(await part.p('wte.weight').toArray(), w0, 'a frozen tensor does not move');
  assert.not.equal(await part.p('h.1.mlp.c_fc.weight').toArray(), h1, 'a trained tensor moves');
  fullTr.optimizer.dispose();
  partTr.optimizer.dispose();
  full.dispose();
  part.dispose();
});

const VERDICT = fileURLToPath(new URL('../src/data/the-verdict.txt', import.meta.url));
const quiet = { say: () => {}, progress: false };
function runOpts(out: string, over: Partial<RunOptions> = {}): RunOptions {
  return { data: VERDICT, tokenizer: 'simple-v2', preset: 'tiny', context: 16, batch: 2, steps: 4, lr: 3e-3, weightDecay: 0.1, seed: 5, shuffle: false, valFraction: 0.1, evalEvery: 0, evalBatches: 2, saveEvery: 0, out, ...over };
}

test('runner: --grad-accum 2 of batch 2 trains as batch 4; --train-only leaves the rest untouched; best checkpoint kept', async () => {
  const gpu = await getGpu();
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-ft-'));
  try {
    const a = await runTraining(gpu, runOpts(join(tmp, 'a'), { gradAccum: 2, decayGrouping: 'hf', lrSchedule: 'cosine', warmupSteps: 1, gradClip: 1 }), undefined, quiet);
    const b = await runTraining(gpu, runOpts(join(tmp, 'b'), { batch: 4, decayGrouping: 'hf', lrSchedule: 'cosine', warmupSteps: 1, gradClip: 1 }), undefined, quiet);
    assertClose(a.train.map((p) => p.loss), b.train.map((p) => p.loss), 1e-4, 1e-4, 'losses');
    const pa = loadCheckpoint(join(tmp, 'a')).params;
    const pb = loadCheckpoint(join(tmp, 'b')).params;
    for (const [n, p] of pa) assertClose(p.data, pb.get(n)!.data, 1e-4, 1e-3, n);
    a.model.dispose();
    b.model.dispose();
    const c = await runTraining(gpu, runOpts(join(tmp, 'c'), { model: join(tmp, 'a'), trainOnly: ['h.1', 'ln_f'], preset: undefined, evalEvery: 2, steps: 4 }), undefined, quiet);
    const pc = loadCheckpoint(join(tmp, 'c')).params;
    for (const [n, p] of pc) {
      const same = p.data.every((v, i) => v === pa.get(n)!.data[i]);
      assert.is(same, !(n.startsWith('h.1.') || n.startsWith('ln_f.')), n);
    }
    assert.ok(c.best && c.best.dir === join(tmp, 'c') + '-best', 'best checkpoint kept');
    assert.ok(loadCheckpoint(c.best!.dir).params.size === pc.size);
    c.model.dispose();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('--time-budget stops cleanly with a checkpoint; the resumed run equals the uninterrupted one', async () => {
  const gpu = await getGpu();
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-budget-'));
  try {
    const full = await runTraining(gpu, runOpts(join(tmp, 'full'), { steps: 5, gradAccum: 2, lrSchedule: 'linear', warmupRatio: 0.2, decayGrouping: 'hf' }), undefined, quiet);
    full.model.dispose();
    const lines: string[] = [];
    const cut = await runTraining(gpu, runOpts(join(tmp, 'cut'), { steps: 5, gradAccum: 2, lrSchedule: 'linear', warmupRatio: 0.2, decayGrouping: 'hf', timeBudget: 1e-6 }), undefined, { ...quiet, say: (l) => lines.push(l) });
    cut.model.dispose();
    assert.ok(cut.outOfTime && cut.steps === 1, `stopped after step 1: ${cut.steps}`);
    assert.ok(lines.some((l) => /time budget ran out at step 1\/5/.test(l)) && lines.some((l) => /resume with: wgpt train --resume/.test(l)), lines.join('\n'));
    const res = await runTraining(gpu, { ...runOpts(join(tmp, 'cut')), steps: undefined }, join(tmp, 'cut'), quiet);
    res.model.dispose();
    assert.equal(res.train.map((p) => p.loss), full.train.map((p) => p.loss), 'bit-identical losses');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
