// Row reductions (encodeColSum: the bias gradient and the broadcast binary ops' backward) vs the CPU
// reference at odd sizes: plain and weighted (the other factor of a product), = and +=, coef, R = 0.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu } from '../src/gpu/device.ts';
import { encodeColSum } from '../src/ops/reduce.ts';
import reduceWgsl from '../shaders/reduce.wgsl';
import { colSumRef } from '../src/ref/reduce.ts';
import { assertClose, randn, report } from './helpers.ts';

test('encodeColSum: Σ over rows, coef, weight broadcast over the flat index, = and +=', async () => {
  const gpu = await getGpu();
  // [R, N, weight size (0: none)]
  const cases: [number, number, number][] = [[1, 1, 0], [3, 17, 0], [65, 33, 0], [1000, 3, 0], [7, 5, 35], [7, 5, 5], [4, 6, 12], [0, 5, 0]];
  for (const [R, N, nw] of cases) {
    await gpu.scope(async () => {
      const x = randn(R * N, R + N);
      const w = nw ? randn(nw, nw) : undefined;
      const prev = randn(N, 7);
      const xb = gpu.buffer(x);
      const out = gpu.buffer(prev);
      const wb = w ? gpu.buffer(w) : undefined;
      const tag = `R${R} N${N} nw${nw}`;
      encodeColSum(gpu, xb, out, R, N, false, { coef: -0.5, weight: wb, weightSize: nw });
      report('colsum vs ref', assertClose(await gpu.readF32(out, N), colSumRef(x, R, N, -0.5, w), { atol: 1e-5, rtol: 1e-6, name: `colsum = ${tag}` }));
      gpu.upload(out, prev);
      encodeColSum(gpu, xb, out, R, N, true, { weight: wb, weightSize: nw });
      const want = colSumRef(x, R, N, 1, w).map((v, i) => v + prev[i]);
      report('colsum vs ref', assertClose(await gpu.readF32(out, N), want, { atol: 1e-5, rtol: 1e-6, name: `colsum += ${tag}` }));
    });
  }
  await gpu.scope(async () => {
    const b = gpu.buffer(new Float32Array(12));
    assert.throws(() => encodeColSum(gpu, b, b, 3, 4, false, { weight: b, weightSize: 5 }), /encodeColSum: weight size 5 does not divide R·N = 12/);
  });
});

test('colsum4 (N a multiple of 4: what encodeColSum runs) = colsum, bit for bit, = and += with coef', async () => {
  const gpu = await getGpu();
  for (const [R, N] of [[1, 4], [65, 32], [256, 384], [0, 8]] as const) {
    await gpu.scope(async () => {
      const x = randn(R * N, 3 * R + N);
      const prev = randn(N, 9);
      const xb = gpu.buffer(x);
      for (const acc of [0, 1] as const) {
        const outs: number[][] = [];
        for (const entry of ['colsum', 'colsum4']) {
          const out = gpu.buffer(prev);
          const buffers: Record<string, GPUBuffer> = entry === 'colsum' ? { X: xb, out } : { X4: xb, out4: out };
          gpu.dispatch(gpu.kernel({ shader: reduceWgsl, entry }), { buffers, params: { R, N, nw: 0, acc, coef: 0.75 }, workgroups: gpu.grid(entry === 'colsum' ? N : N / 4, 64) });
          outs.push([...(await gpu.readF32(out, N))]);
        }
        assert.equal(outs[1], outs[0], `colsum4 R${R} N${N} acc ${acc}: colsum's bits`);
        const out = gpu.buffer(prev);
        encodeColSum(gpu, xb, out, R, N, acc, { coef: 0.75 });
        assert.equal([...(await gpu.readF32(out, N))], outs[0], `encodeColSum R${R} N${N} acc ${acc} (colsum4) = colsum`);
      }
    });
  }
});

test.run();
