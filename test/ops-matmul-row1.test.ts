// The register-blocked matmul's one-row entry (`row1`, used when M == 1 and A is not transposed: a KV-cache decode
// step) against the CPU reference and against the 4-row kernel on the same data: layouts, vec4 and scalar loads,
// bias, alpha, accumulate, batch, split grids. Leaves out: speed (bench generate / bench train --profile).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu } from '../src/gpu/device.ts';
import { encodeMatmul, setMatmulVariant } from '../src/ops/matmul.ts';
import { bmmRef } from '../src/ref/matmul.ts';
import { assertClose, randn } from './helpers.ts';

test('matmul M=1 (row1 entry) vs CPU reference: nn / nt, vec4 and scalar, bias, alpha, acc, batch, split grid', async () => {
  const gpu = await getGpu();
  const prev = setMatmulVariant('regblock');
  let worst = 0;
  try {
    // [N, K]: odd, vec4 along K and N, N past one workgroup's 512 columns, N not a multiple of 8
    const cases: [number, number][] = [[1, 1], [7, 5], [16, 12], [600, 8], [1413, 64], [13, 33]];
    for (const [N, K] of cases) {
      for (const tB of [false, true]) {
        for (const batch of [1, 3]) {
          const opts = [
            { bias: false, alpha: 1, acc: false, maxGroupsPerDim: undefined as number | undefined },
            { bias: true, alpha: 0.5, acc: true, maxGroupsPerDim: 1 },
          ];
          for (const o of opts) {
            await gpu.scope(async () => {
              const av = randn(batch * K, N + K);
              const bv = randn(batch * K * N, N * K + 1);
              const biasv = randn(N, 7);
              const c0 = randn(batch * N, 8);
              const a = gpu.buffer(Float32Array.from(av));
              const b = gpu.buffer(Float32Array.from(bv));
              const c = gpu.buffer(Float32Array.from(c0));
              const bias = o.bias ? gpu.buffer(Float32Array.from(biasv)) : undefined;
              const d0 = gpu.dispatchCount;
              encodeMatmul(gpu, { a, b, c, M: 1, N, K, batch, transB: tB, offsetA: 0, bias, alpha: o.alpha, acc: o.acc, maxGroupsPerDim: o.maxGroupsPerDim });
              const dispatches = gpu.dispatchCount - d0;
              const got = await gpu.readF32(c, batch * N);
              const ref = bmmRef(av, bv, batch, 1, N, K, { transB: tB });
              const want = Float32Array.from(ref, (x, i) => o.alpha * x + (o.bias ? biasv[i % N] : 0) + (o.acc ? c0[i] : 0));
              const name = `M=1 N=${N} K=${K} ${tB ? 'nt' : 'nn'} batch=${batch} ${JSON.stringify(o)}`;
              for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
              assertClose(got, want, { atol: 1e-5, rtol: 1e-5, name });
              if (o.maxGroupsPerDim === 1) assert.is(dispatches, Math.ceil(N / 512) * batch, `${name}: one dispatch per 512-column block per batch`);
            });
          }
        }
      }
    }
  } finally {
    setMatmulVariant(prev);
  }
  console.log(`  row1 vs CPU reference: max |err| ${worst.toExponential(2)}`);
});

test('matmul M=1 gives the same numbers as the 4-row kernel on that row (same summation order)', async () => {
  const gpu = await getGpu();
  const prev = setMatmulVariant('regblock');
  try {
    for (const tB of [false, true]) {
      await gpu.scope(async () => {
        const [N, K] = [40, 36];
        const av = Float32Array.from(randn(2 * K, 3));
        const bv = Float32Array.from(randn(K * N, 4));
        const a = gpu.buffer(av);
        const b = gpu.buffer(bv);
        const c1 = gpu.buffer(N * 4);
        const c2 = gpu.buffer(2 * N * 4);
        encodeMatmul(gpu, { a, b, c: c1, M: 1, N, K, transB: tB });
        encodeMatmul(gpu, { a, b, c: c2, M: 2, N, K, transB: tB });
        const one = await gpu.readF32(c1, N);
        const two = await gpu.readF32(c2, N);
        assert.equal([...one], [...two], `${tB ? 'nt' : 'nn'}: row1 equals the first row of the 4-row kernel`);
      });
    }
  } finally {
    setMatmulVariant(prev);
  }
});

test.run();
