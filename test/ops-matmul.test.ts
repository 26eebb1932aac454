// matmul / linear / linearT: GPU vs the CPU reference on odd shapes (forward and every backward),
// finite differences, and PyTorch fixtures.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { getGpu } from '../src/gpu/device.ts';
import { Tensor, backward } from '../src/autograd/tensor.ts';
import { matmul, linear, linearT } from '../src/ops/matmul.ts';
import { matmulRef, transposeRef, colSumRef } from '../src/ref/matmul.ts';
import { assertClose, randn, FIXTURES, fixture, report } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 17, 33],
  [65, 1, 7],
  [5, 33, 2],
  [17, 65, 19],
  [64, 64, 64],
];

test('matmul forward and backward vs CPU reference, all transposes, odd shapes', async () => {
  const gpu = await getGpu();
  let worst = 0;
  for (const [M, N, K] of SHAPES) {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        await gpu.scope(async () => {
          const a = randn(M * K, M + N + K);
          const b = randn(K * N, 7 * M + K);
          const dy = randn(M * N, 3);
          const at = Tensor.from(gpu, a, tA ? [K, M] : [M, K], { requiresGrad: true });
          const bt = Tensor.from(gpu, b, tB ? [N, K] : [K, N], { requiresGrad: true });
          const y = matmul(at, bt, { transA: tA, transB: tB });
          assert.equal(y.shape, [M, N]);
          const name = `matmul ${M}x${N}x${K} tA=${tA} tB=${tB}`;
          worst = Math.max(worst, assertClose(await y.toArray(), matmulRef(a, b, M, N, K, tA, tB), { atol: 1e-5, rtol: 1e-5, name }));
          backward(y, Tensor.from(gpu, dy, [M, N]));
          // dA (M, K) = dy·Bᵀ ; dB (K, N) = Aᵀ·dy — compared in stored layouts
          const bKN = tB ? transposeRef(b, N, K) : b;
          const aMK = tA ? transposeRef(a, K, M) : a;
          const dA = matmulRef(dy, bKN, M, K, N, false, true);
          const dB = matmulRef(aMK, dy, K, N, M, true, false);
          assertClose(await at.grad!.toArray(), tA ? transposeRef(dA, M, K) : dA, { atol: 1e-5, rtol: 1e-5, name: name + ' dA' });
          assertClose(await bt.grad!.toArray(), tB ? transposeRef(dB, K, N) : dB, { atol: 1e-5, rtol: 1e-5, name: name + ' dB' });
        });
      }
    }
  }
  report('matmul vs CPU ref', worst);
});

test('batched matmul with shared and per-batch B; grads accumulate over the batch', async () => {
  const gpu = await getGpu();
  const [Bt, M, N, K] = [3, 5, 6, 7];
  for (const shared of [true, false]) {
    await gpu.scope(async () => {
      const a = randn(Bt * M * K, 11);
      const b = randn((shared ? 1 : Bt) * K * N, 12);
      const dy = randn(Bt * M * N, 13);
      const at = Tensor.from(gpu, a, [Bt, M, K], { requiresGrad: true });
      const bt = Tensor.from(gpu, b, shared ? [K, N] : [Bt, K, N], { requiresGrad: true });
      const y = matmul(at, bt);
      backward(y, Tensor.from(gpu, dy, [Bt, M, N]));
      const ya = await y.toArray();
      const ga = await at.grad!.toArray();
      const gb = await bt.grad!.toArray();
      const gbRef = new Float32Array(shared ? K * N : Bt * K * N);
      for (let z = 0; z < Bt; z++) {
        const az = a.subarray(z * M * K, (z + 1) * M * K);
        const bz = shared ? b : b.subarray(z * K * N, (z + 1) * K * N);
        const dz = dy.subarray(z * M * N, (z + 1) * M * N);
        assertClose(ya.subarray(z * M * N, (z + 1) * M * N), matmulRef(az, bz, M, N, K), { name: `batch ${z}` });
        assertClose(ga.subarray(z * M * K, (z + 1) * M * K), matmulRef(dz, bz, M, K, N, false, true), { name: `dA batch ${z}` });
        const dbz = matmulRef(az, dz, K, N, M, true, false);
        const off = shared ? 0 : z * K * N;
        for (let i = 0; i < K * N; i++) gbRef[off + i] += dbz[i];
      }
      assertClose(gb, gbRef, { name: `dB shared=${shared}` });
    });
  }
  const x = Tensor.from(gpu, new Float32Array(6), [2, 3]);
  assert.throws(() => matmul(x, Tensor.from(gpu, new Float32Array(8), [4, 2])), /matmul: shape mismatch: a \[2, 3\] and b \[4, 2\]/);
});

test('linear (with/without bias) and linearT vs CPU reference; param grads accumulate', async () => {
  const gpu = await getGpu();
  for (const [R, inF, outF] of [[1, 1, 1], [6, 5, 4], [34, 17, 33]] as const) {
    await gpu.scope(async () => {
      const x = randn(R * inF, 1);
      const w = randn(inF * outF, 2);
      const bb = randn(outF, 3);
      const dy = randn(R * outF, 4);
      const xt = Tensor.from(gpu, x, [R, inF], { requiresGrad: true });
      const wt = Tensor.param(gpu, w, [inF, outF], 'w');
      const bt = Tensor.param(gpu, bb, [outF], 'b');
      const y = linear(xt, wt, bt);
      const ref = matmulRef(x, w, R, outF, inF).map((v, i) => v + bb[i % outF]);
      assertClose(await y.toArray(), ref, { name: 'linear fwd' });
      backward(y, Tensor.from(gpu, dy, [R, outF]));
      // run a second backward on a fresh graph: parameter grads must accumulate (+=)
      backward(linear(xt, wt, bt), Tensor.from(gpu, dy, [R, outF]));
      assertClose(await wt.grad!.toArray(), matmulRef(x, dy, inF, outF, R, true).map((v) => 2 * v), { name: 'linear dW (2 accumulations)' });
      assertClose(await bt.grad!.toArray(), colSumRef(dy, R, outF).map((v) => 2 * v), { name: 'linear db' });
      assertClose(await xt.grad!.toArray(), matmulRef(dy, w, R, inF, outF, false, true).map((v) => 2 * v), { name: 'linear dx' });
      wt.dispose();
      bt.dispose();
    });
  }
  await gpu.scope(async () => {
    const [R, C, V] = [7, 6, 9];
    const x = randn(R * C, 5);
    const w = randn(V * C, 6);
    const dy = randn(R * V, 7);
    const xt = Tensor.from(gpu, x, [R, C], { requiresGrad: true });
    const wt = Tensor.from(gpu, w, [V, C], { requiresGrad: true });
    const y = linearT(xt, wt);
    assertClose(await y.toArray(), matmulRef(x, w, R, V, C, false, true), { name: 'linearT fwd' });
    backward(y, Tensor.from(gpu, dy, [R, V]));
    assertClose(await xt.grad!.toArray(), matmulRef(dy, w, R, C, V), { name: 'linearT dx' });
    assertClose(await wt.grad!.toArray(), matmulRef(dy, x, V, C, R, true), { name: 'linearT dW' });
  });
  const x = Tensor.from(gpu, new Float32Array(6), [2, 3]);
  assert.throws(() => linear(x, Tensor.from(gpu, new Float32Array(8), [4, 2])), /linear: shape mismatch: weight is \[4, 2\], expected \[3, \*\]/);
});

test('finite differences: matmul, linear, linearT', async () => {
  const gpu = await getGpu();
  await gradCheck(gpu, 'matmul', [{ data: randn(6, 1), shape: [2, 3] }, { data: randn(12, 2), shape: [3, 4] }], ([a, b]) => matmul(a, b));
  await gradCheck(gpu, 'matmul tA tB', [{ data: randn(6, 3), shape: [3, 2] }, { data: randn(12, 4), shape: [4, 3] }], ([a, b]) => matmul(a, b, { transA: true, transB: true }));
  await gradCheck(gpu, 'linear', [{ data: randn(6, 5), shape: [2, 3] }, { data: randn(12, 6), shape: [3, 4] }, { data: randn(4, 7), shape: [4] }], ([x, w, b]) => linear(x, w, b));
  await gradCheck(gpu, 'linearT', [{ data: randn(6, 8), shape: [2, 3] }, { data: randn(15, 9), shape: [5, 3] }], ([x, w]) => linearT(x, w));
});

test('PyTorch fixture: linear, plain matmul and the tied head', async () => {
  if (!existsSync(FIXTURES + 'linear.json')) throw new Error('test/fixtures/linear.json is missing: run test/fixtures/gen.py');
  const gpu = await getGpu();
  type F = { tensors: Record<string, { shape: number[]; data: number[] }> };
  const f = fixture<F>('linear.json').tensors;
  await gpu.scope(async () => {
    const t = (k: string, g = false) => Tensor.from(gpu, f[k].data, f[k].shape, { requiresGrad: g });
    const x = t('x', true), W = t('W', true), b = t('b', true);
    const y = linear(x, W, b);
    report('linear fwd (torch)', assertClose(await y.toArray(), f.out.data, { atol: 1e-6, rtol: 1e-5, name: 'linear out' }));
    backward(y, t('grad_out'));
    report('linear grads (torch)', Math.max(
      assertClose(await x.grad!.toArray(), f.grad_x.data, { atol: 1e-6, rtol: 1e-5, name: 'grad_x' }),
      assertClose(await W.grad!.toArray(), f.grad_W.data, { atol: 1e-6, rtol: 1e-5, name: 'grad_W' }),
      assertClose(await b.grad!.toArray(), f.grad_b.data, { atol: 1e-6, rtol: 1e-5, name: 'grad_b' }),
    ));
  });
});

test.run();
