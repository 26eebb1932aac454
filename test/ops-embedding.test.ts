// Embedding, positions and elementwise ops vs CPU references, finite differences, determinism of the
// scatter backward, the course's gather == one-hot·W point, and PyTorch fixtures.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { getGpu } from '../src/gpu/device.ts';
import { Tensor, IdBatch, backward } from '../src/autograd/tensor.ts';
import { embedding, onehotEmbedding, sinusoidalPositions, positionIds } from '../src/ops/embedding.ts';
import { add, gelu, dropout } from '../src/ops/elementwise.ts';
import { gatherRef, scatterRef, sinusoidRef, geluRef, geluBwdRef, addRef } from '../src/ref/elementwise.ts';
import { colSumRef } from '../src/ref/matmul.ts';
import { assertClose, randn, rng, FIXTURES, fixture, report } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';

type F = { tensors: Record<string, { shape: number[]; data: number[] }> };
const need = (name: string) => {
  if (!existsSync(FIXTURES + name)) throw new Error(`test/fixtures/${name} is missing: run test/fixtures/gen.py`);
  return fixture<F>(name).tensors;
};

test('embedding gather and deterministic scatter backward vs CPU reference (repeated ids, odd sizes)', async () => {
  const gpu = await getGpu();
  for (const [V, C, R] of [[1, 1, 1], [7, 3, 17], [65, 33, 70]] as const) {
    await gpu.scope(async () => {
      const r = rng(V + C);
      const ids = Array.from({ length: R }, () => Math.floor(r() * V));
      const W = randn(V * C, 3);
      const dy = randn(R * C, 4);
      const runOnce = async () => {
        const w = Tensor.param(gpu, W, [V, C], 'w');
        const y = embedding(IdBatch.from(gpu, ids, [R], V), w);
        const out = await y.toArray();
        backward(y, Tensor.from(gpu, dy, [R, C]));
        const g = await w.grad!.toArray();
        w.dispose();
        return { out, g };
      };
      const a = await runOnce();
      const b = await runOnce();
      assertClose(a.out, gatherRef(ids, W, C), { atol: 0, rtol: 0, name: 'gather' });
      assertClose(a.g, scatterRef(ids, dy, V, C), { atol: 1e-6, rtol: 1e-6, name: 'scatter' });
      assert.equal([...a.g], [...b.g], 'scatter-add is bit-identical across runs');
    });
  }
  const w = Tensor.from(gpu, new Float32Array(6), [3, 2]);
  assert.throws(() => embedding(new IdBatch(gpu, Int32Array.from([0, 3]), [2], w.buffer), w), /embedding: id 3 at position 1 is out of range \[0, 3\)/);
});

test("the course's point: gather == one-hot · W forward, and their weight gradients agree", async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const [V, C] = [13, 5];
    const ids = [2, 3, 5, 1, 3, 12, 0, 3];
    const W = randn(V * C, 9);
    const dy = randn(ids.length * C, 10);
    const w1 = Tensor.from(gpu, W, [V, C], { requiresGrad: true });
    const w2 = Tensor.from(gpu, W, [V, C], { requiresGrad: true });
    const y1 = embedding(IdBatch.from(gpu, ids, [2, 4], V), w1);
    const y2 = onehotEmbedding(IdBatch.from(gpu, ids, [2, 4], V), w2);
    assert.equal(y2.shape, [2, 4, C]);
    assertClose(await y2.toArray(), await y1.toArray(), { atol: 1e-6, rtol: 0, name: 'one-hot·W vs gather' });
    backward(y1, Tensor.from(gpu, dy, [2, 4, C]));
    backward(y2, Tensor.from(gpu, dy, [2, 4, C]));
    assertClose(await w2.grad!.toArray(), await w1.grad!.toArray(), { atol: 1e-6, rtol: 1e-6, name: 'weight grads' });
  });
});

test('positions: learned = embedding over arange(pos0…); sinusoidal table vs reference', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    for (const [T, C, p0] of [[7, 6, 0], [33, 17, 5], [1, 1, 0]] as const) {
      assertClose(await sinusoidalPositions(gpu, T, C, p0).toArray(), sinusoidRef(T, C, p0), { atol: 2e-5, rtol: 1e-5, name: `sinusoid T=${T} C=${C}` });
    }
    assert.equal([...positionIds(gpu, 4, 3).ids], [3, 4, 5, 6]);
  });
});

test('add (same shape and broadcast), gelu, dropout vs references', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    for (const [R, C] of [[1, 1], [3, 17], [65, 33]] as const) {
      const a = randn(R * C, 1, -6, 6);
      const b = randn(C, 2);
      const dy = randn(R * C, 3);
      const at = Tensor.from(gpu, a, [R, C], { requiresGrad: true });
      const bt = Tensor.from(gpu, b, [C], { requiresGrad: true });
      const y = add(at, bt);
      assertClose(await y.toArray(), addRef(a, b), { atol: 0, rtol: 0, name: 'add' });
      backward(y, Tensor.from(gpu, dy, [R, C]));
      assertClose(await at.grad!.toArray(), dy, { atol: 0, rtol: 0, name: 'add da' });
      assertClose(await bt.grad!.toArray(), colSumRef(dy, R, C), { atol: 1e-6, rtol: 1e-6, name: 'add db' });
      const xt = Tensor.from(gpu, a, [R, C], { requiresGrad: true });
      const g = gelu(xt);
      assertClose(await g.toArray(), geluRef(a), { atol: 1e-6, rtol: 1e-5, name: 'gelu' });
      backward(g, Tensor.from(gpu, dy, [R, C]));
      assertClose(await xt.grad!.toArray(), geluBwdRef(a, dy), { atol: 1e-6, rtol: 1e-5, name: 'gelu bwd' });
    }
    const big = Tensor.from(gpu, [-1e4, -50, 50, 1e4], [4]);
    assertClose(await gelu(big).toArray(), [0, 0, 50, 1e4], { atol: 1e-6, rtol: 1e-6, name: 'gelu at large |x| (no NaN)' });
    assert.throws(() => add(Tensor.from(gpu, new Float32Array(6), [2, 3]), Tensor.from(gpu, new Float32Array(2), [2])), /add: shape mismatch: \[2, 3\] and \[2\]/);
  });
});

test('dropout: same seed same mask, keep rate ≈ 1−p, scaled by 1/(1−p), backward uses the mask', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const n = 100_000;
    const x = new Float32Array(n).fill(1);
    const xt = Tensor.from(gpu, x, [n], { requiresGrad: true });
    const a = await dropout(xt, 0.1, 42).toArray();
    const b = await dropout(xt, 0.1, 42).toArray();
    const c = await dropout(xt, 0.1, 43).toArray();
    assert.equal([...a], [...b], 'identical masks for identical seeds');
    assert.ok([...a].some((v, i) => v !== c[i]), 'a different seed gives a different mask');
    const kept = a.filter((v) => v !== 0);
    assert.ok(Math.abs(kept.length / n - 0.9) < 0.01, `kept fraction ${kept.length / n}`);
    assert.ok(kept.every((v) => Math.abs(v - 1 / 0.9) < 1e-6));
    const y = dropout(xt, 0.1, 42);
    backward(y, Tensor.from(gpu, new Float32Array(n).fill(2), [n]));
    const g = await xt.grad!.toArray();
    assert.ok([...g].every((v, i) => (a[i] === 0 ? v === 0 : Math.abs(v - 2 / 0.9) < 1e-5)), 'grad follows the mask');
    assert.is(dropout(xt, 0, 1), xt, 'p = 0 is the identity');
  });
});

test('finite differences: embedding, add (broadcast), gelu, dropout', async () => {
  const gpu = await getGpu();
  const ids = IdBatch.from(gpu, [1, 0, 1, 3], [4], 4);
  await gradCheck(gpu, 'embedding', [{ data: randn(12, 1), shape: [4, 3] }], ([w]) => embedding(ids, w));
  await gradCheck(gpu, 'add broadcast', [{ data: randn(12, 2), shape: [2, 2, 3] }, { data: randn(6, 3), shape: [2, 3] }], ([a, b]) => add(a, b));
  await gradCheck(gpu, 'gelu', [{ data: randn(10, 4, -3, 3), shape: [10] }], ([x]) => gelu(x), { eps: 1e-3 });
  await gradCheck(gpu, 'dropout', [{ data: randn(10, 5), shape: [10] }], ([x]) => dropout(x, 0.3, 7));
  ids.dispose();
});

test('PyTorch fixtures: nn.Embedding (and the course seed 123 numbers), sinusoidal table, GELU(tanh)', async () => {
  const gpu = await getGpu();
  const e = need('embedding.json');
  await gpu.scope(async () => {
    const V = e.weight.shape[0];
    const w = Tensor.from(gpu, e.weight.data, e.weight.shape, { requiresGrad: true });
    const y = embedding(IdBatch.from(gpu, e.ids.data, e.ids.shape, V), w);
    report('embedding fwd (torch)', assertClose(await y.toArray(), e.out.data, { atol: 0, rtol: 0, name: 'embedding out' }));
    backward(y, Tensor.from(gpu, e.grad_out.data, e.grad_out.shape));
    report('embedding grad (torch)', assertClose(await w.grad!.toArray(), e.grad_weight.data, { atol: 1e-6, rtol: 1e-6, name: 'embedding grad_weight' }));
    const cw = Tensor.from(gpu, e.course_weight.data, e.course_weight.shape);
    const co = await embedding(IdBatch.from(gpu, [2, 3, 5, 1], [4], 6), cw).toArray();
    assertClose(co, e.course_out.data, { atol: 0, rtol: 0, name: 'course embedding' });
    // the course prints these (torch.manual_seed(123); nn.Embedding(6, 3)), row 2: [1.2753, -0.2010, -0.1606]
    assertClose(co.slice(0, 3), [1.2753, -0.201, -0.1606], { atol: 5e-5, rtol: 0, name: 'course printed numbers' });
  });
  const p = need('positions.json');
  await gpu.scope(async () => {
    const [T, C] = p.sinusoidal.shape;
    report('sinusoidal (torch)', assertClose(await sinusoidalPositions(gpu, T, C).toArray(), p.sinusoidal.data, { atol: 1e-5, rtol: 1e-5, name: 'sinusoidal' }));
  });
  const g = need('gelu.json');
  await gpu.scope(async () => {
    const x = Tensor.from(gpu, g.x.data, g.x.shape, { requiresGrad: true });
    const y = gelu(x);
    report('gelu fwd (torch)', assertClose(await y.toArray(), g.out.data, { atol: 1e-6, rtol: 1e-5, name: 'gelu out' }));
    backward(y, Tensor.from(gpu, g.grad_out.data, g.grad_out.shape));
    report('gelu grad (torch)', assertClose(await x.grad!.toArray(), g.grad_x.data, { atol: 1e-6, rtol: 1e-5, name: 'gelu grad' }));
  });
});

test.run();
