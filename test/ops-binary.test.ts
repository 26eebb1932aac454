// Binary ops add, sub, mul with leading-dim broadcasting (either operand the smaller) and scale: vs CPU
// references at odd sizes, forward and both gradients (= and +=), shape errors, size 0, finite
// differences and a PyTorch fixture.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu } from '../src/gpu/device.ts';
import { Tensor, backward } from '../src/autograd/tensor.ts';
import { add, sub, mul, scale, broadcastShape } from '../src/ops/binary.ts';
import { binaryRef, binaryBwdRef, type BinaryRefName } from '../src/ref/binary.ts';
import { assertClose, randn, fixture, report, throwsMsg } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';

type F = { meta: { cases: { op: BinaryRefName; a: number[]; b: number[] }[] }; tensors: Record<string, { shape: number[]; data: number[] }> };
const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const OPS = { add, sub, mul };

test('broadcastShape: suffix rule with leading size-1 dims, one-line errors', () => {
  assert.equal(broadcastShape('add', [2, 3, 5], [3, 5]), [2, 3, 5]);
  assert.equal(broadcastShape('add', [5], [2, 3, 5]), [2, 3, 5]);
  assert.equal(broadcastShape('add', [1, 3, 5], [2, 3, 5]), [2, 3, 5]);
  assert.equal(broadcastShape('add', [1, 1, 3], [2, 3]), [1, 2, 3]);
  assert.equal(broadcastShape('add', [4, 1], [1]), [4, 1]);
  assert.equal(broadcastShape('add', [], [2, 2]), [2, 2]);
  throwsMsg(() => broadcastShape('mul', [2, 1, 3], [2, 3]), /^mul: shape mismatch: \[2, 1, 3\] and \[2, 3\] \(one must equal the other's trailing dims, leading size-1 dims aside\)$/);
  throwsMsg(() => broadcastShape('sub', [3], [2, 4]), /^sub: shape mismatch: \[3\] and \[2, 4\]/);
});

test('add, sub, mul forward and both gradients vs reference (broadcast either way, odd sizes)', async () => {
  const gpu = await getGpu();
  const cases: [number[], number[]][] = [
    [[1], [1]], [[3, 17], [3, 17]], [[65, 33], [65, 33]],
    [[3, 17], [17]], [[17], [3, 17]], [[2, 33, 17], [33, 17]], [[1, 33, 17], [2, 33, 17]], [[5, 65], [1, 65]], [[4, 1], [1]], [[1], [3, 5]],
  ];
  for (const name of ['add', 'sub', 'mul'] as const) {
    for (const [sa, sb] of cases) {
      await gpu.scope(async () => {
        const [na, nb] = [numel(sa), numel(sb)];
        const a = randn(na, na + 1);
        const b = randn(nb, nb + 2);
        const shape = broadcastShape(name, sa, sb);
        const dy = randn(numel(shape), 3);
        const at = Tensor.from(gpu, a, sa, { requiresGrad: true });
        const bt = Tensor.from(gpu, b, sb, { requiresGrad: true });
        const y = OPS[name](at, bt);
        const tag = `${name} [${sa}] [${sb}]`;
        report(`${name} fwd vs ref`, assertClose(await y.toArray(), binaryRef(name, a, b), { atol: 0, rtol: 0, name: tag }));
        backward(y, Tensor.from(gpu, dy, shape));
        const want = binaryBwdRef(name, a, b, dy);
        report(`${name} da vs ref`, assertClose(await at.grad!.toArray(), want.da, { atol: 1e-6, rtol: 1e-6, name: `${tag} da` }));
        report(`${name} db vs ref`, assertClose(await bt.grad!.toArray(), want.db, { atol: 1e-6, rtol: 1e-6, name: `${tag} db` }));
      });
    }
  }
});

test('x·x, x − x and scale accumulate (+=) into one gradient; scale; size 0', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const x = randn(33, 5);
    const dy = randn(33, 6);
    const sq = Tensor.from(gpu, x, [3, 11], { requiresGrad: true });
    backward(mul(sq, sq), Tensor.from(gpu, dy, [3, 11]));
    assertClose(await sq.grad!.toArray(), x.map((v, i) => 2 * v * dy[i]), { atol: 1e-6, rtol: 1e-6, name: 'd(x·x)' });
    const z = Tensor.from(gpu, x, [33], { requiresGrad: true });
    backward(sub(z, z), Tensor.from(gpu, dy, [33]));
    assertClose(await z.grad!.toArray(), new Float32Array(33), { atol: 0, rtol: 0, name: 'd(x − x)' });
    const s = Tensor.from(gpu, x, [33], { requiresGrad: true });
    const y = scale(s, -0.375);
    assertClose(await y.toArray(), x.map((v) => -0.375 * v), { atol: 0, rtol: 0, name: 'scale' });
    backward(add(y, s), Tensor.from(gpu, dy, [33]));
    assertClose(await s.grad!.toArray(), dy.map((v) => Math.fround(-0.375 * v) + v), { atol: 1e-7, rtol: 0, name: 'd(scale(x) + x)' });
    throwsMsg(() => scale(s, NaN), /^scale: the factor must be a finite number, got NaN$/);
    // size 0: no dispatch, empty results, empty gradients
    const e1 = Tensor.from(gpu, [], [0, 3], { requiresGrad: true });
    const e2 = Tensor.from(gpu, [1, 2, 3], [3], { requiresGrad: true });
    const ye = mul(e1, e2);
    assert.equal(ye.shape, [0, 3]);
    backward(ye, Tensor.from(gpu, [], [0, 3]));
    assert.is((await e1.grad!.toArray()).length, 0);
    assertClose(await e2.grad!.toArray(), [0, 0, 0], { atol: 0, rtol: 0, name: 'grad over zero rows' });
  });
});

test('add over more than 65,535 workgroups (the 2-D grid), broadcast both ways', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const n = 65535 * 64 + 3 * 17;
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = (i % 1013) - 500;
    const b = Float32Array.from({ length: 17 }, (_, i) => i * 0.25 - 2);
    const y = await sub(Tensor.from(gpu, b, [17]), Tensor.from(gpu, a, [n / 17, 17])).toArray();
    assertClose(y, binaryRef('sub', b, a), { atol: 0, rtol: 0, name: 'sub with a 2-D grid' });
  });
});

test('finite differences: add, sub, mul (same shape and broadcast), scale', async () => {
  const gpu = await getGpu();
  const errs: number[] = [];
  for (const name of ['add', 'sub', 'mul'] as const) {
    errs.push(...(await gradCheck(gpu, `${name} same shape`, [{ data: randn(15, 1), shape: [3, 5] }, { data: randn(15, 2), shape: [3, 5] }], ([a, b]) => OPS[name](a, b))));
    errs.push(...(await gradCheck(gpu, `${name} b broadcast`, [{ data: randn(12, 3), shape: [2, 2, 3] }, { data: randn(6, 4), shape: [2, 3] }], ([a, b]) => OPS[name](a, b))));
    errs.push(...(await gradCheck(gpu, `${name} a broadcast`, [{ data: randn(3, 5), shape: [1, 3] }, { data: randn(12, 6), shape: [4, 3] }], ([a, b]) => OPS[name](a, b))));
  }
  errs.push(...(await gradCheck(gpu, 'scale', [{ data: randn(7, 6), shape: [7] }], ([x]) => scale(x, 2.5))));
  report('binary gradcheck', Math.max(...errs));
});

test('PyTorch fixture: add, sub, mul with broadcasting, forward and both gradients', async () => {
  const gpu = await getGpu();
  const f = fixture<F>('binary.json');
  const g = f.tensors;
  for (const [k, c] of f.meta.cases.entries()) {
    await gpu.scope(async () => {
      const a = Tensor.from(gpu, g[`${k}_a`].data, c.a, { requiresGrad: true });
      const b = Tensor.from(gpu, g[`${k}_b`].data, c.b, { requiresGrad: true });
      const y = OPS[c.op](a, b);
      assert.equal(y.shape, g[`${k}_out`].shape, `case ${k} shape`);
      report(`${c.op} fwd (torch)`, assertClose(await y.toArray(), g[`${k}_out`].data, { atol: 1e-6, rtol: 1e-6, name: `case ${k} ${c.op} out` }));
      backward(y, Tensor.from(gpu, g[`${k}_grad_out`].data, g[`${k}_grad_out`].shape));
      report(`${c.op} grads (torch)`, assertClose(await a.grad!.toArray(), g[`${k}_grad_a`].data, { atol: 1e-6, rtol: 1e-6, name: `case ${k} grad a` }));
      report(`${c.op} grads (torch)`, assertClose(await b.grad!.toArray(), g[`${k}_grad_b`].data, { atol: 1e-6, rtol: 1e-6, name: `case ${k} grad b` }));
    });
  }
});

test.run();
