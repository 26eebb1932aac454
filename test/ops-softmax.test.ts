// Softmax (plain, masked, causal) and the causal mask: GPU vs the CPU reference (forward + backward, odd
// shapes, −inf entries, fully masked rows), += accumulation, finite differences, the PyTorch fixture.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu } from '../src/gpu/device.ts';
import { Tensor, backward } from '../src/autograd/tensor.ts';
import { softmax, causalMask } from '../src/ops/softmax.ts';
import { softmaxRef, softmaxBwdRef, softmaxUsedRef, causalMaskRef, causalMaskBwdRef } from '../src/ref/softmax.ts';
import { assertClose, randn, fileReport, readFixture, throwsMsg } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';

const report = fileReport(test.after);

const FWD = { atol: 1e-6, rtol: 1e-5 };
const BWD = { atol: 1e-5, rtol: 1e-4 };

test('softmax: forward and backward match the reference on odd shapes, −inf entries and all −inf rows', async () => {
  const gpu = await getGpu();
  for (const shape of [[1], [1, 1], [3, 5], [2, 3, 17], [4, 65]]) {
    await gpu.scope(async () => {
      const n = shape[shape.length - 1];
      const size = shape.reduce((a, b) => a * b, 1);
      const rows = size / n;
      const x = randn(size, 11 + size, -4, 4);
      if (n >= 5) for (let i = 2; i < size; i += 7) x[i] = -Infinity; // scattered −inf
      if (rows >= 3) x.fill(-Infinity, n, 2 * n); // row 1 entirely −inf
      const dy = randn(size, 12 + size);
      const xt = Tensor.from(gpu, x, shape, { requiresGrad: true });
      const y = softmax(xt);
      const yv = await y.toArray();
      const yRef = softmaxRef(x, rows, n);
      report('softmax fwd vs ref', assertClose(yv, yRef, { ...FWD, name: `softmax ${shape}` }));
      assert.ok(yv.every((v) => Number.isFinite(v)), 'no NaN/inf in the output');
      if (rows >= 3) assert.ok(yv.slice(n, 2 * n).every((v) => v === 0), 'an all −inf row gives zeros');
      backward(y, Tensor.from(gpu, dy, shape));
      const dx = await xt.grad!.toArray();
      report('softmax bwd vs ref', assertClose(dx, softmaxBwdRef(yRef, dy, rows, n), { ...BWD, name: `softmax grad ${shape}` }));
    });
  }
});

test('softmax with a mask and/or causal: masked entries get exactly 0, a fully masked row gives zeros, gradients match', async () => {
  const gpu = await getGpu();
  // [shape, mask rows M (0 = none), causal]
  const cases: [number[], number, boolean][] = [
    [[2, 3, 5], 2, false], // [B, N] mask over x [B, T, N]: each mask row serves 3 rows
    [[6, 7], 6, false], // a mask row per row
    [[4, 9], 1, false], // one mask row for all
    [[2, 4, 4], 0, true], // square causal
    [[3, 2, 5], 0, true], // Tq < N: the last Tq positions (KV-cache style)
    [[2, 3, 6], 2, true], // both
    [[1, 1, 1], 1, false],
  ];
  for (const [shape, M, causal] of cases) {
    await gpu.scope(async () => {
      const n = shape[shape.length - 1];
      const size = shape.reduce((a, b) => a * b, 1);
      const rows = size / n;
      const x = randn(size, 40 + size, -3, 3);
      const mask = M ? Array.from({ length: M * n }, (_, i) => ((i * 7 + 3) % 5 === 0 ? 0 : 1)) : undefined;
      if (mask) mask.fill(0, 0, n); // mask row 0 fully masked: the rows it serves give zeros
      if (mask && M * n === 1) mask[0] = 1;
      const tag = `${shape} M${M}${causal ? ' causal' : ''}`;
      const used = softmaxUsedRef(rows, n, { mask, causalTq: causal ? shape[shape.length - 2] : undefined });
      const xt = Tensor.from(gpu, x, shape, { requiresGrad: true });
      const y = softmax(xt, { mask, causal });
      const yv = await y.toArray();
      const yRef = softmaxRef(x, rows, n, used);
      report('softmax masked fwd vs ref', assertClose(yv, yRef, { ...FWD, name: `masked softmax ${tag}` }));
      for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) if (!used(r, j)) assert.is(yv[r * n + j], 0, `${tag}: unused (${r}, ${j}) is exactly 0`);
      assert.ok(yv.every((v) => Number.isFinite(v)), `${tag}: no NaN`);
      const dy = randn(size, 50 + size);
      backward(y, Tensor.from(gpu, dy, shape));
      const dx = await xt.grad!.toArray();
      assert.ok(dx.every((v) => Number.isFinite(v)), `${tag}: no NaN in the gradient`);
      report('softmax masked bwd vs ref', assertClose(dx, softmaxBwdRef(yRef, dy, rows, n), { ...BWD, name: `masked softmax grad ${tag}` }));
    });
  }
  const x = Tensor.zeros(gpu, [2, 3, 4]);
  throwsMsg(() => softmax(x, { mask: [1, 0, 1] }), /softmax: mask has 3 entries; for x \[2, 3, 4\] it must be M·4 with M dividing 6 rows/);
  throwsMsg(() => softmax(x, { mask: new Array(20).fill(1) }), /mask has 20 entries/);
  throwsMsg(() => softmax(x, { mask: [1, 1, 2, 1] }), /softmax: mask\[2\] is 2; entries must be 0 \(masked\) or 1 \(kept\)/);
  throwsMsg(() => softmax(Tensor.zeros(gpu, [5, 3]), { causal: true }), /softmax: causal needs x \[\.\.\., Tq, N\] with Tq ≤ N, got \[5, 3\]/);
});

test('softmax and causalMask backward accumulate (+=) into an existing grad', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const shape = [2, 5, 5];
    const x = randn(50, 3);
    const dy = randn(50, 4);
    const pre = randn(50, 5);
    for (const op of ['softmax', 'mask'] as const) {
      const xt = Tensor.from(gpu, x, shape, { requiresGrad: true });
      xt.grad = Tensor.from(gpu, pre, shape);
      const y = op === 'softmax' ? softmax(xt) : causalMask(xt);
      backward(y, Tensor.from(gpu, dy, shape));
      const g = op === 'softmax' ? softmaxBwdRef(softmaxRef(x, 10, 5), dy, 10, 5) : causalMaskBwdRef(dy, 2, 5);
      assertClose(await xt.grad!.toArray(), Array.from(g, (v, i) => v + pre[i]), { ...BWD, name: `${op} acc` });
    }
  });
});

test('causalMask: −inf strictly above the diagonal, x elsewhere; gradient passes only below', async () => {
  const gpu = await getGpu();
  for (const [lead, T] of [[1, 1], [3, 5], [2, 17]]) {
    await gpu.scope(async () => {
      const n = lead * T * T;
      const x = randn(n, T);
      const dy = randn(n, T + 1);
      const xt = Tensor.from(gpu, x, [lead, T, T], { requiresGrad: true });
      const y = causalMask(xt);
      const yv = await y.toArray();
      const ref = causalMaskRef(Float32Array.from(x), lead, T);
      assertClose(yv, ref, { atol: 0, rtol: 0, name: `mask ${lead}x${T}` });
      let masked = 0;
      for (const v of yv) if (v === -Infinity) masked++;
      assert.is(masked, (lead * T * (T - 1)) / 2);
      backward(y, Tensor.from(gpu, dy, [lead, T, T]));
      assertClose(await xt.grad!.toArray(), causalMaskBwdRef(dy, lead, T), { atol: 0, rtol: 0, name: 'mask grad' });
    });
  }
  assert.throws(() => causalMask(Tensor.zeros(gpu, [2, 3, 4])), /causalMask: scores must be \[\.\.\., T, T\], got \[2, 3, 4\]/);
});

test('gradCheck: softmax, masked causal softmax, causalMask∘softmax', async () => {
  const gpu = await getGpu();
  const e1 = await gradCheck(gpu, 'softmax', [{ data: randn(15, 31, -2, 2), shape: [3, 5] }], ([x]) => softmax(x));
  const e2 = await gradCheck(gpu, 'causalMask∘softmax', [{ data: randn(2 * 16, 32, -2, 2), shape: [2, 4, 4] }], ([x]) => softmax(causalMask(x)));
  const e3 = await gradCheck(gpu, 'masked causal softmax', [{ data: randn(2 * 3 * 5, 35, -2, 2), shape: [2, 3, 5] }], ([x]) => softmax(x, { causal: true, mask: [1, 0, 1, 1, 1, 0, 0, 0, 0, 0] }));
  report('softmax gradcheck', e1[0]);
  report('causalMask∘softmax gradcheck', e2[0]);
  report('masked softmax gradcheck', e3[0]);
});

test('PyTorch fixture softmax.json (−inf entries): forward and gradient', async () => {
  const gpu = await getGpu();
  const { t } = readFixture('softmax.json');
  const x = t('x');
  assert.ok(x.data.some((v) => v === -Infinity), 'the fixture has −inf entries');
  await gpu.scope(async () => {
    const xt = Tensor.from(gpu, x.data, x.shape, { requiresGrad: true });
    const y = softmax(xt);
    report('softmax fwd vs PyTorch', assertClose(await y.toArray(), t('out').data, { atol: 1e-6, rtol: 1e-5, name: 'softmax.json out' }));
    const go = t('grad_out');
    backward(y, Tensor.from(gpu, go.data, go.shape));
    report('softmax bwd vs PyTorch', assertClose(await xt.grad!.toArray(), t('grad_x').data, { atol: 1e-6, rtol: 1e-5, name: 'softmax.json grad_x' }));
  });
});

test.run();
