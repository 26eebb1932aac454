// Shape ops: reshape as a view (shared buffer, shared gradient, no double release), slice and concat
// along every axis, transpose of any two axes: vs CPU references at odd sizes, forward and backward
// (= and +=), size 0, one-line errors, finite differences and a PyTorch fixture.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu } from '../src/gpu/device.ts';
import { Tensor, backward, noGrad } from '../src/autograd/tensor.ts';
import { reshape, slice, concat, transpose } from '../src/ops/shape.ts';
import { add, mul } from '../src/ops/binary.ts';
import { sliceRef, sliceBwdRef, concatRef, transposeRef } from '../src/ref/shape.ts';
import { assertClose, randn, fixture, report, throwsMsg } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';

type F = { meta: Record<string, unknown>; tensors: Record<string, { shape: number[]; data: number[] }> };
const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

test('reshape is a view: same buffer, no dispatch, gradient lands in the input with no kernel', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const x = randn(3 * 5 * 7, 1);
    const xt = Tensor.from(gpu, x, [3, 5, 7], { requiresGrad: true });
    const before = gpu.dispatchCount;
    const v = reshape(xt, [15, -1]);
    assert.equal(v.shape, [15, 7]);
    assert.is(v.buffer, xt.buffer, 'the view shares the buffer');
    assert.is(gpu.dispatchCount, before, 'no kernel for a reshape');
    assertClose(await v.toArray(), x, { atol: 0, rtol: 0, name: 'view data' });
    // y = v·w: the product's backward writes dv straight into x.grad (through the view)
    const w = randn(15 * 7, 2);
    const dy = randn(15 * 7, 3);
    const y = mul(v, Tensor.from(gpu, w, [15, 7]));
    const d0 = gpu.dispatchCount;
    backward(y, Tensor.from(gpu, dy, [15, 7]));
    assert.is(gpu.dispatchCount - d0, 1, 'one kernel (mul backward), none for the reshape');
    assertClose(await xt.grad!.toArray(), w.map((v2, i) => v2 * dy[i]), { atol: 1e-7, rtol: 1e-6, name: 'grad through the view' });
  });
});

test('reshape: += when the input has other consumers, reshape of a reshape, reshape as the root, errors', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const x = randn(12, 4);
    const dy = randn(12, 5);
    // x feeds a view chain and an add: both gradients meet in x.grad, in either order
    for (const order of ['view first', 'add first']) {
      const xt = Tensor.from(gpu, x, [3, 4], { requiresGrad: true });
      const v = reshape(reshape(xt, [2, 6]), [12]);
      const flat = reshape(xt, [12]);
      const y = order === 'view first' ? add(v, flat) : add(flat, v);
      backward(y, Tensor.from(gpu, dy, [12]));
      assertClose(await xt.grad!.toArray(), dy.map((g) => 2 * g), { atol: 0, rtol: 0, name: `d(view + view) ${order}` });
    }
    // the view is the root: the given gradient is copied into x.grad
    const xt = Tensor.from(gpu, x, [3, 4], { requiresGrad: true });
    const root = reshape(xt, [4, 3]);
    const g = Tensor.from(gpu, dy, [4, 3]);
    backward(root, g);
    assertClose(await xt.grad!.toArray(), dy, { atol: 0, rtol: 0, name: 'reshape as root' });
    assertClose(await g.toArray(), dy, { atol: 0, rtol: 0, name: 'the given gradient is untouched' });
    // a parameter's view accumulates into the persistent grad
    const p = Tensor.param(gpu, x, [3, 4], 'p');
    backward(mul(reshape(p, [12]), Tensor.from(gpu, new Float32Array(12).fill(2), [12])), Tensor.from(gpu, dy, [12]));
    backward(mul(reshape(p, [12]), Tensor.from(gpu, new Float32Array(12).fill(2), [12])), Tensor.from(gpu, dy, [12]));
    assertClose(await p.grad!.toArray(), dy.map((v) => 4 * v), { atol: 1e-6, rtol: 0, name: 'param grad through views, twice' });
    p.dispose();
    const z = Tensor.zeros(gpu, [2, 6]);
    throwsMsg(() => reshape(z, [5, 2]), /^reshape: cannot view \[2, 6\] \(12 elements\) as \[5, 2\]$/);
    throwsMsg(() => reshape(z, [-1, -1]), /cannot view \[2, 6\] \(12 elements\) as \[-1, -1\]/);
    throwsMsg(() => reshape(z, [5, -1]), /cannot view/);
    assert.equal(reshape(Tensor.zeros(gpu, [0, 3]), [3, 0, 1]).shape, [3, 0, 1]);
  });
});

test('reshape view lifetime: disposing the view releases nothing; arenas release the buffer once', async () => {
  const gpu = await getGpu();
  const inUse0 = gpu.pool.stats().inUseBytes;
  await gpu.scope(async () => {
    const x = Tensor.from(gpu, randn(64, 9), [8, 8]);
    const v = noGrad(() => reshape(x, [64]));
    v.dispose();
    v.dispose();
    assertClose(await x.toArray(), randn(64, 9), { atol: 0, rtol: 0, name: 'base alive after the view is disposed' });
    const v2 = reshape(x, [4, 16]);
    x.dispose();
    let msg = '';
    try {
      await v2.toArray();
    } catch (e) {
      msg = (e as Error).message;
    }
    assert.match(msg, /was released/, 'a view of a disposed tensor refuses to read');
  }); // the arena ends with the view and its base both in scope: one release, no throw
  assert.is(gpu.pool.stats().inUseBytes, inUse0, 'nothing leaked, nothing released twice');
});

test('slice along every axis vs reference, forward and backward (= and +=), size 0, errors', async () => {
  const gpu = await getGpu();
  const shape = [3, 5, 7];
  const x = randn(numel(shape), 11);
  for (let axis = 0; axis < 3; axis++) {
    const D = shape[axis];
    for (const [start, end] of [[0, D], [1, D - 1], [D - 1, D], [2, 2]]) {
      await gpu.scope(async () => {
        const xt = Tensor.from(gpu, x, shape, { requiresGrad: true });
        const y = slice(xt, axis, start, end);
        const tag = `slice axis ${axis} [${start}, ${end})`;
        assertClose(await y.toArray(), sliceRef(x, shape, axis, start, end), { atol: 0, rtol: 0, name: tag });
        const dy = randn(y.size, 12);
        // y and x both feed the output: slice's backward accumulates or writes, depending on order
        backward(add(y, slice(xt, axis, start, end)), Tensor.from(gpu, dy, y.shape));
        assertClose(await xt.grad!.toArray(), sliceBwdRef(dy, shape, axis, start, end).map((v) => 2 * v), { atol: 0, rtol: 0, name: `${tag} bwd` });
      });
    }
  }
  await gpu.scope(async () => {
    const xt = Tensor.from(gpu, x, shape);
    assert.equal(slice(xt, -1, 2, 5).shape, [3, 5, 3]);
    throwsMsg(() => slice(xt, 3, 0, 1), /^slice: axis 3 is out of range for shape \[3, 5, 7\] \(rank 3\)$/);
    throwsMsg(() => slice(xt, 1, 3, 6), /^slice: range \[3, 6\) is not within \[0, 5\] along axis 1 of \[3, 5, 7\]$/);
    throwsMsg(() => slice(xt, 1, 3, 2), /range \[3, 2\)/);
    throwsMsg(() => slice(xt, 1, 0.5, 2), /range \[0.5, 2\)/);
  });
});

test('concat along every axis vs reference, backward to each input, errors', async () => {
  const gpu = await getGpu();
  for (let axis = 0; axis < 3; axis++) {
    await gpu.scope(async () => {
      const shapes = [[3, 5, 7], [3, 5, 7], [3, 5, 7]].map((s, k) => s.map((d, a) => (a === axis ? [2, 1, 0][k] + (a === 2 ? 3 : 0) : d)));
      const xs = shapes.map((s, k) => randn(numel(s), 20 + k));
      const ts = xs.map((x, k) => Tensor.from(gpu, x, shapes[k], { requiresGrad: true }));
      const y = concat(ts, axis);
      const tag = `concat axis ${axis} [${shapes.map((s) => `[${s}]`).join(' ')}]`;
      assertClose(await y.toArray(), concatRef(xs, shapes, axis), { atol: 0, rtol: 0, name: tag });
      const dy = randn(y.size, 30);
      backward(y, Tensor.from(gpu, dy, y.shape));
      let start = 0;
      for (const [k, t] of ts.entries()) {
        const L = shapes[k][axis];
        assertClose(await t.grad!.toArray(), sliceRef(dy, y.shape, axis, start, start + L), { atol: 0, rtol: 0, name: `${tag} d${k}` });
        start += L;
      }
    });
  }
  await gpu.scope(async () => {
    // the same tensor twice: both slices of dy accumulate into one gradient
    const x = randn(6, 40);
    const xt = Tensor.from(gpu, x, [2, 3], { requiresGrad: true });
    const dy = randn(12, 41);
    backward(concat([xt, xt], -1), Tensor.from(gpu, dy, [2, 6]));
    const want = [0, 1, 2, 3, 4, 5].map((i) => dy[Math.floor(i / 3) * 6 + (i % 3)] + dy[Math.floor(i / 3) * 6 + 3 + (i % 3)]);
    assertClose(await xt.grad!.toArray(), want, { atol: 1e-7, rtol: 0, name: 'concat([x, x]) grad' });
    throwsMsg(() => concat([], 0), /^concat: needs at least one tensor$/);
    throwsMsg(() => concat([Tensor.zeros(gpu, [2, 3]), Tensor.zeros(gpu, [3, 3])], 1), /^concat: shape mismatch: tensor 1 is \[3, 3\], tensor 0 is \[2, 3\] \(only axis 1 may differ\)$/);
    throwsMsg(() => concat([Tensor.zeros(gpu, [2, 3]), Tensor.zeros(gpu, [2, 3, 1])], 0), /concat: shape mismatch: tensor 1 is \[2, 3, 1\]/);
    throwsMsg(() => concat([Tensor.zeros(gpu, [2, 3])], 2), /^concat: axis 2 is out of range for shape \[2, 3\] \(rank 2\)$/);
  });
});

test('transpose of any two axes vs reference (ranks 2 to 4), backward (= and +=), errors', async () => {
  const gpu = await getGpu();
  const cases: [number[], number, number][] = [[[3, 5], 0, 1], [[1, 17], 0, 1], [[2, 3, 5], 0, 2], [[2, 3, 5], 1, 2], [[2, 3, 5], 2, 0], [[2, 3, 5, 7], 1, 2], [[2, 3, 5, 7], 0, 3], [[2, 3, 5, 7], -1, 1], [[4, 0, 3], 0, 2]];
  for (const [shape, a, b] of cases) {
    await gpu.scope(async () => {
      const x = randn(numel(shape), 50);
      const xt = Tensor.from(gpu, x, shape, { requiresGrad: true });
      const y = transpose(xt, a, b);
      const [d0, d1] = [(a + shape.length) % shape.length, (b + shape.length) % shape.length];
      const want = [...shape];
      [want[d0], want[d1]] = [shape[d1], shape[d0]];
      const tag = `transpose [${shape}] ${a} ${b}`;
      assert.equal(y.shape, want, tag);
      assertClose(await y.toArray(), transposeRef(x, shape, d0, d1), { atol: 0, rtol: 0, name: tag });
      const dy = randn(y.size, 51);
      backward(add(y, transpose(xt, b, a)), Tensor.from(gpu, dy, y.shape));
      assertClose(await xt.grad!.toArray(), transposeRef(dy, want, d0, d1).map((v) => 2 * v), { atol: 0, rtol: 0, name: `${tag} bwd` });
    });
  }
  await gpu.scope(async () => {
    const xt = Tensor.from(gpu, randn(6, 1), [2, 3]);
    const same = transpose(xt, 1, -1);
    assert.is(same.buffer, xt.buffer, 'transposing an axis with itself is a view');
    throwsMsg(() => transpose(xt, 0, 2), /^transpose: axis 2 is out of range for shape \[2, 3\] \(rank 2\)$/);
  });
});

test('finite differences: slice, concat, transpose, reshape', async () => {
  const gpu = await getGpu();
  const errs: number[] = [];
  errs.push(...(await gradCheck(gpu, 'slice', [{ data: randn(30, 1), shape: [2, 5, 3] }], ([x]) => slice(x, 1, 1, 4))));
  errs.push(...(await gradCheck(gpu, 'concat', [{ data: randn(6, 2), shape: [2, 3] }, { data: randn(4, 3), shape: [2, 2] }], ([a, b]) => concat([a, b], 1))));
  errs.push(...(await gradCheck(gpu, 'transpose', [{ data: randn(24, 4), shape: [2, 3, 4] }], ([x]) => transpose(x, 0, 2))));
  errs.push(...(await gradCheck(gpu, 'reshape', [{ data: randn(12, 5), shape: [3, 4] }, { data: randn(12, 6), shape: [2, 6] }], ([x, w]) => mul(reshape(x, [2, 6]), w))));
  report('shape gradcheck', Math.max(...errs));
});

test('PyTorch fixture: narrow, cat, transpose, reshape with gradients', async () => {
  const gpu = await getGpu();
  const g = fixture<F>('shape.json').tensors;
  const T = (k: string, grad = true) => Tensor.from(gpu, g[k].data, g[k].shape, { requiresGrad: grad });
  const check = async (name: string, y: Tensor, inputs: [string, Tensor][], prefix: string) => {
    assert.equal(y.shape, g[`${prefix}_out`].shape, `${name} shape`);
    report(`${name} (torch)`, assertClose(await y.toArray(), g[`${prefix}_out`].data, { atol: 0, rtol: 0, name: `${name} out` }));
    backward(y, Tensor.from(gpu, g[`${prefix}_grad_out`].data, g[`${prefix}_grad_out`].shape));
    for (const [k, t] of inputs) report(`${name} grad (torch)`, assertClose(await t.grad!.toArray(), g[`${prefix}_grad_${k}`].data, { atol: 1e-6, rtol: 1e-6, name: `${name} grad ${k}` }));
  };
  await gpu.scope(async () => {
    const x = T('slice_x');
    await check('slice', slice(x, 1, 1, 4), [['x', x]], 'slice');
    const [a, b, c] = [T('cat_a'), T('cat_b'), T('cat_c')];
    await check('concat', concat([a, b, c], 2), [['a', a], ['b', b], ['c', c]], 'cat');
    const t = T('transpose_x');
    await check('transpose', transpose(t, 1, 3), [['x', t]], 'transpose');
    const r = T('reshape_x');
    const w = T('reshape_w', false);
    await check('reshape', mul(reshape(r, [6, -1]), w), [['x', r]], 'reshape');
  });
});

test.run();
