// Elementwise ops (add with suffix broadcast, GELU tanh, seeded dropout, scale) vs CPU references,
// forward and backward on odd sizes, finite differences, dropout statistics/determinism, PyTorch GELU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { getGpu } from '../src/gpu/device.ts';
import { Tensor, backward } from '../src/autograd/tensor.ts';
import { add, gelu, dropout, scale } from '../src/ops/elementwise.ts';
import { addRef, addBwdBRef, geluRef, geluBwdRef, dropoutRef } from '../src/ref/elementwise.ts';
import { assertClose, randn, FIXTURES, fixture, report } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';

type F = { tensors: Record<string, { shape: number[]; data: number[] }> };
const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

test('add: same shape and suffix broadcast (x[B,T,C] + pos[T,C]), forward and both grads vs reference', async () => {
  const gpu = await getGpu();
  const cases: [number[], number[]][] = [
    [[1], [1]], [[3, 17], [3, 17]], [[65, 33], [65, 33]], // same shape
    [[3, 17], [17]], [[2, 33, 17], [33, 17]], [[5, 65], [65]], [[1, 1, 3], [3]], [[4, 1], [1]], // broadcast
  ];
  for (const [sa, sb] of cases) {
    await gpu.scope(async () => {
      const [na, nb] = [numel(sa), numel(sb)];
      const a = randn(na, na + 1);
      const b = randn(nb, nb + 2);
      const dy = randn(na, 3);
      const at = Tensor.from(gpu, a, sa, { requiresGrad: true });
      const bt = Tensor.from(gpu, b, sb, { requiresGrad: true });
      const y = add(at, bt);
      const tag = `[${sa}] + [${sb}]`;
      assert.equal(y.shape, sa);
      assertClose(await y.toArray(), addRef(a, b), { atol: 0, rtol: 0, name: `add ${tag}` });
      backward(y, Tensor.from(gpu, dy, sa));
      assertClose(await at.grad!.toArray(), dy, { atol: 0, rtol: 0, name: `add da ${tag}` });
      report('add db vs ref', assertClose(await bt.grad!.toArray(), addBwdBRef(dy, nb), { atol: 1e-6, rtol: 1e-6, name: `add db ${tag}` }));
    });
  }
  await gpu.scope(async () => {
    // y = x + x: the second gradient push accumulates (acc = 1) into the first
    const x = randn(33, 5);
    const dy = randn(33, 6);
    const xt = Tensor.from(gpu, x, [33], { requiresGrad: true });
    backward(add(xt, xt), Tensor.from(gpu, dy, [33]));
    assertClose(await xt.grad!.toArray(), dy.map((v) => 2 * v), { atol: 0, rtol: 0, name: 'd(x + x)' });
    const z = (s: number[]) => Tensor.zeros(gpu, s);
    assert.throws(() => add(z([2, 3]), z([2])), /add: shape mismatch: \[2, 3\] and \[2\]/);
    assert.throws(() => add(z([3]), z([2, 4])), /add: shape mismatch: \[3\] and \[2, 4\]/);
  });
});

test('add over more than 65,535 workgroups (the 2-D grid index)', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const n = 65535 * 64 + 3 * 17; // one past a 1-D dispatch's reach, not a multiple of 64
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = (i % 1013) - 500;
    const b = Float32Array.from([0.25, -0.5, 2, 1, 0.125, 3, -1, 4, 8, -2, 0.5, 7, -3, 1.5, 6, -4, 9]);
    assert.ok(gpu.grid(n, 64)[1] > 1, 'the dispatch needs a second grid dimension');
    const y = await add(Tensor.from(gpu, a, [n / 17, 17]), Tensor.from(gpu, b, [17])).toArray();
    assertClose(y, addRef(a, b), { atol: 0, rtol: 0, name: 'add with a 2-D grid' });
  });
});

test('gelu (tanh approximation) forward and backward vs reference, odd sizes, no NaN at large |x|', async () => {
  const gpu = await getGpu();
  for (const n of [1, 3, 17, 33, 65, 1000]) {
    await gpu.scope(async () => {
      const x = randn(n, n, -6, 6);
      const dy = randn(n, n + 1);
      const xt = Tensor.from(gpu, x, [n], { requiresGrad: true });
      const y = gelu(xt);
      report('gelu fwd vs ref', assertClose(await y.toArray(), geluRef(x), { atol: 1e-6, rtol: 1e-6, name: `gelu n=${n}` }));
      backward(y, Tensor.from(gpu, dy, [n]));
      report('gelu bwd vs ref', assertClose(await xt.grad!.toArray(), geluBwdRef(x, dy), { atol: 1e-6, rtol: 1e-5, name: `gelu bwd n=${n}` }));
    });
  }
  await gpu.scope(async () => {
    const big = [-3e38, -1e4, -50, -10, 10, 50, 1e4, 3e38];
    const xt = Tensor.from(gpu, big, [big.length], { requiresGrad: true });
    const y = gelu(xt);
    assertClose(await y.toArray(), [-0, 0, 0, geluRef([-10])[0], 10, 50, 1e4, 3e38], { atol: 1e-6, rtol: 1e-6, name: 'gelu at large |x|' });
    backward(y, Tensor.from(gpu, new Float32Array(big.length).fill(1), [big.length]));
    const g = await xt.grad!.toArray();
    assert.ok(g.every(Number.isFinite), `gelu grad at large |x| is finite: ${[...g]}`);
    assertClose(g, [0, 0, 0, geluBwdRef([-10], [1])[0], 1, 1, 1, 1], { atol: 1e-6, rtol: 1e-6, name: "gelu' at large |x|" });
    // x feeds gelu and the add: one backward writes x.grad, the other accumulates into it
    const x = randn(17, 8, -3, 3);
    const dy = randn(17, 9);
    const x2 = Tensor.from(gpu, x, [17], { requiresGrad: true });
    backward(add(gelu(x2), x2), Tensor.from(gpu, dy, [17]));
    const want = geluBwdRef(x, dy).map((v, i) => v + dy[i]);
    assertClose(await x2.grad!.toArray(), want, { atol: 1e-6, rtol: 1e-5, name: 'd(gelu(x) + x)' });
  });
});

test('dropout forward and backward equal the CPU reference bit for bit (odd sizes, offsets)', async () => {
  const gpu = await getGpu();
  for (const [n, p, seed, offset] of [[1, 0.5, 3, 0], [17, 0.1, 42, 0], [33 * 65, 0.5, 7, 0], [1000, 0.3, 2 ** 32 - 1, 123_456], [65, 0.9, 5, 2 ** 32 - 10]] as const) {
    await gpu.scope(async () => {
      const x = randn(n, n);
      const dy = randn(n, n + 1);
      const xt = Tensor.from(gpu, x, [n], { requiresGrad: true });
      const y = dropout(xt, p, seed, offset);
      const tag = `n=${n} p=${p} seed=${seed} offset=${offset}`;
      assertClose(await y.toArray(), dropoutRef(x, p, seed, offset), { atol: 0, rtol: 0, name: `dropout ${tag}` });
      backward(y, Tensor.from(gpu, dy, [n]));
      assertClose(await xt.grad!.toArray(), dropoutRef(dy, p, seed, offset), { atol: 0, rtol: 0, name: `dropout bwd ${tag}` });
    });
  }
});

test('dropout: same seed same mask, keep rate ≈ 1−p, scaled by 1/(1−p), offsets split a tensor, p = 0 is identity', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const n = 100_000;
    const xt = Tensor.from(gpu, new Float32Array(n).fill(1), [n], { requiresGrad: true });
    const a = await dropout(xt, 0.1, 42).toArray();
    const b = await dropout(xt, 0.1, 42).toArray();
    const c = await dropout(xt, 0.1, 43).toArray();
    const d = await dropout(xt, 0.1, 42, 1).toArray();
    assert.equal(new Uint32Array(a.buffer), new Uint32Array(b.buffer), 'identical masks for identical seeds');
    const differ = (u: Float32Array, v: Float32Array) => u.reduce((s, x, i) => s + ((x === 0) !== (v[i] === 0) ? 1 : 0), 0);
    // two independent masks at p = 0.1 disagree on 2·0.1·0.9 = 18% of the elements
    assert.ok(Math.abs(differ(a, c) / n - 0.18) < 0.01, `seed 43 vs 42: ${differ(a, c)} of ${n} mask bits differ`);
    assert.ok(Math.abs(differ(a, d) / n - 0.18) < 0.01, `offset 1 vs 0: ${differ(a, d)} of ${n} mask bits differ`);
    const kept = a.filter((v) => v !== 0);
    assert.ok(Math.abs(kept.length / n - 0.9) < 0.01, `kept fraction ${kept.length / n}`);
    assert.ok(kept.every((v) => v === Math.fround(1 / 0.9)), 'kept elements are scaled by 1/(1−p)');
    // the counter is offset + i: two halves with offsets 0 and k reproduce the whole tensor's mask
    const k = 40_001;
    const h1 = await dropout(Tensor.from(gpu, new Float32Array(k).fill(1), [k]), 0.1, 42, 0).toArray();
    const h2 = await dropout(Tensor.from(gpu, new Float32Array(n - k).fill(1), [n - k]), 0.1, 42, k).toArray();
    assert.equal([...h1, ...h2], [...a], 'chunks with matching offsets give the whole mask');
    const y = dropout(xt, 0.1, 42);
    backward(y, Tensor.from(gpu, new Float32Array(n).fill(2), [n]));
    const g = await xt.grad!.toArray();
    assert.ok(g.every((v, i) => (a[i] === 0 ? v === 0 : v === Math.fround(2 * Math.fround(1 / 0.9)))), 'grad follows the mask');
    assert.is(dropout(xt, 0, 1), xt, 'p = 0 is the identity');
    assert.throws(() => dropout(xt, 1, 1), /dropout: p must be in \[0, 1\), got 1/);
    assert.throws(() => dropout(xt, -0.1, 1), /dropout: p must be in \[0, 1\), got -0.1/);
    assert.throws(() => dropout(xt, 0.5, 1.5), /dropout: seed must be an integer, got 1.5/);
    assert.throws(() => dropout(xt, 0.5, 1, -1), /dropout: offset must be an integer in \[0, 2\^32\), got -1/);
  });
});

test('scale: s·x forward and backward', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const x = randn(65, 1);
    const dy = randn(65, 2);
    const xt = Tensor.from(gpu, x, [5, 13], { requiresGrad: true });
    const y = scale(xt, -0.375);
    assertClose(await y.toArray(), x.map((v) => -0.375 * v), { atol: 0, rtol: 0, name: 'scale' });
    backward(y, Tensor.from(gpu, dy, [5, 13]));
    assertClose(await xt.grad!.toArray(), dy.map((v) => -0.375 * v), { atol: 0, rtol: 0, name: 'scale bwd' });
  });
});

test('finite differences: add (same shape and broadcast), gelu, dropout, scale', async () => {
  const gpu = await getGpu();
  const errs: number[] = [];
  errs.push(...(await gradCheck(gpu, 'add same shape', [{ data: randn(15, 1), shape: [3, 5] }, { data: randn(15, 2), shape: [3, 5] }], ([a, b]) => add(a, b))));
  errs.push(...(await gradCheck(gpu, 'add broadcast', [{ data: randn(12, 2), shape: [2, 2, 3] }, { data: randn(6, 3), shape: [2, 3] }], ([a, b]) => add(a, b))));
  errs.push(...(await gradCheck(gpu, 'gelu', [{ data: randn(17, 4, -4, 4), shape: [17] }], ([x]) => gelu(x), { eps: 1e-3 })));
  errs.push(...(await gradCheck(gpu, 'dropout', [{ data: randn(17, 5), shape: [17] }], ([x]) => dropout(x, 0.3, 7, 3))));
  errs.push(...(await gradCheck(gpu, 'scale', [{ data: randn(7, 6), shape: [7] }], ([x]) => scale(x, 2.5))));
  report('elementwise gradcheck', Math.max(...errs));
});

test('PyTorch fixture: GELU(approximate="tanh") forward and backward', async () => {
  const gpu = await getGpu();
  if (!existsSync(FIXTURES + 'gelu.json')) throw new Error('test/fixtures/gelu.json is missing: run test/fixtures/gen.py');
  const g = fixture<F>('gelu.json').tensors;
  await gpu.scope(async () => {
    const x = Tensor.from(gpu, g.x.data, g.x.shape, { requiresGrad: true });
    const y = gelu(x);
    report('gelu fwd (torch)', assertClose(await y.toArray(), g.out.data, { atol: 1e-6, rtol: 1e-6, name: 'gelu out' }));
    backward(y, Tensor.from(gpu, g.grad_out.data, g.grad_out.shape));
    report('gelu grad (torch)', assertClose(await x.grad!.toArray(), g.grad_x.data, { atol: 1e-6, rtol: 1e-5, name: 'gelu grad' }));
  });
});

test.run();
