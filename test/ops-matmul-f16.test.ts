// The packed-f16 weight matmul (shaders/matmul_f16.wgsl, src/ops/matmul-f16.ts): f32 → f16 packing equals the CPU
// reference bit for bit and torch's .half(); forward, dx and the bias gradient against PyTorch (both layouts, sizes
// not multiples of the 16-wide tile, an odd element count) and the CPU oracle; a finite-difference check; half the bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu } from '../src/gpu/device.ts';
import { Tensor, backward } from '../src/autograd/tensor.ts';
import { F16Weight, linearF16, packF16, f32ToF16Bits } from '../src/ops/matmul-f16.ts';
import { f32ToF16BitsRef, f16BitsToNumberRef, matmulF16Ref, roundF16Ref } from '../src/ref/matmul-f16.ts';
import { readFixture, assertClose, randn, rng } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';

const f32 = (d: ArrayLike<number>) => Float32Array.from(d);

test('f32 → f16 bits: round to nearest even, subnormals, overflow, NaN — as the reference and torch.half()', () => {
  const f = readFixture('finetune_f16.json');
  const special = [0, -0, 1, -1, 65504, 65519, 65520, 1e6, -1e6, 6.1e-5, 5.96e-8, 2.98e-8, 2.99e-8, 1e-9, 1 + 2 ** -11, 1 + 3 * 2 ** -11, Infinity, -Infinity, NaN];
  const r = rng(3);
  const vals = [...special, ...Array.from({ length: 5000 }, () => (r() - 0.5) * 10 ** Math.floor(r() * 12 - 8))];
  for (const v of vals) assert.is(f32ToF16Bits(v), f32ToF16BitsRef(v), `bits of ${v}`);
  for (const layout of ['conv1d', 'torch']) {
    const W = f.t(layout + '.W').data;
    const packed = packF16(W);
    assert.is(packed.length, Math.ceil(W.length / 2));
    const back = Array.from({ length: W.length }, (_, i) => f16BitsToNumberRef((packed[i >> 1] >>> (i & 1 ? 16 : 0)) & 0xffff));
    assert.equal(back, Array.from(f.t(layout + '.W16').data), `${layout}: decode(pack(W)) = W.half().float()`);
    if (W.length % 2) assert.is(packed[packed.length - 1] >>> 16, 0, 'an odd count ends in a zero half');
  }
});

test('linearF16 vs PyTorch and the CPU oracle: forward, dx, dbias (conv1d and torch layouts); half the bytes', async () => {
  const gpu = await getGpu();
  const f = readFixture('finetune_f16.json');
  const [M, K, N] = [6, Number(f.meta.K), Number(f.meta.N)];
  for (const layout of ['conv1d', 'torch'] as const) {
    const Wd = f.t(layout + '.W');
    const w = F16Weight.from(gpu, f32(Wd.data), Wd.shape, layout);
    assert.is(w.bytes, Math.ceil((K * N) / 2) * 4);
    await gpu.scope(async () => {
      const x = Tensor.from(gpu, f32(f.t(layout + '.x').data), [2, 3, K], { requiresGrad: true });
      const b = Tensor.from(gpu, f32(f.t(layout + '.b').data), [N], { requiresGrad: true });
      const y = linearF16(x, w, b);
      const got = await y.toArray();
      assertClose(got, f.t(layout + '.out').data, { atol: 1e-5, rtol: 1e-5, name: `${layout} out vs torch` });
      assertClose(got, matmulF16Ref(f.t(layout + '.x').data, Wd.data, M, N, K, layout === 'torch', f.t(layout + '.b').data), { atol: 1e-5, rtol: 1e-5, name: `${layout} out vs ref` });
      backward(y, Tensor.from(gpu, f32(f.t(layout + '.grad_out').data), [2, 3, N]));
      assertClose(await x.grad!.toArray(), f.t(layout + '.grad_x').data, { atol: 1e-5, rtol: 1e-5, name: `${layout} grad_x` });
      assertClose(await b.grad!.toArray(), f.t(layout + '.grad_b').data, { atol: 1e-5, rtol: 1e-5, name: `${layout} grad_b` });
    });
    w.dispose();
  }
});

test('linearF16: finite differences of dx and dbias; sizes past one tile; no bias', async () => {
  const gpu = await getGpu();
  const [K, N] = [33, 40];
  const wdata = roundF16Ref(randn(K * N, 5)); // f16-exact values: the check is of the op, not of rounding
  for (const layout of ['conv1d', 'torch'] as const) {
    const w = F16Weight.from(gpu, wdata, layout === 'conv1d' ? [K, N] : [N, K], layout);
    await gradCheck(gpu, `linearF16 ${layout}`, [{ data: randn(17 * K, 6), shape: [17, K] }, { data: randn(N, 7), shape: [N] }], ([x, b]) => linearF16(x, w, b));
    const y = await gpu.scope(() => linearF16(Tensor.from(gpu, randn(17 * K, 8), [17, K]), w).toArray());
    assertClose(y, matmulF16Ref(randn(17 * K, 8), wdata, 17, N, K, layout === 'torch'), { atol: 1e-4, rtol: 1e-5, name: `${layout} no bias` });
    w.dispose();
  }
});

test.run();
