// matmul / linear / linearT and the buffer-level encodeMatmul: both kernel variants (register-blocked
// and shared-memory tiled) against the CPU reference on odd shapes, forward and every backward;
// finite differences; PyTorch fixtures. Leaves out: speed (bench/matmul.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { getGpu, type Gpu } from '../src/gpu/device.ts';
import { Tensor, backward } from '../src/autograd/tensor.ts';
import { matmul, linear, linearT, encodeMatmul, matmulVariant, type MatmulVariant } from '../src/ops/matmul.ts';
import { matmulRef, bmmRef, bmmBackwardRef, linearRef, linearBackwardRef, linearTRef, linearTBackwardRef } from '../src/ref/matmul.ts';
import { colSumRef } from '../src/ref/reduce.ts';
import { assertClose, randn, FIXTURES, fixture, report } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';
import { BIG_ROWS } from '../shaders/matmul_gen.ts';

const VARIANTS: MatmulVariant[] = ['regblock', 'tiled'];

/** Runs fn with every matmul on this device forced onto `v` (at its best tier), restoring the policy afterwards. */
async function withVariant<T>(v: MatmulVariant, fn: () => Promise<T>): Promise<T> {
  const gpu = await getGpu();
  return gpu.withPolicy({ matmul: v, tiers: 'best' }, fn);
}

// [M, N, K]: ones, odd sizes, and sizes that turn the vec4 paths on for some layouts and off for others
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 17, 33],
  [65, 1, 7],
  [5, 33, 2],
  [8, 16, 12], // every dimension a multiple of 4: vec4 loads of A and B in all layouts
  [12, 7, 16], // A vec4 (both layouts), B vec4 only when transposed
  [5, 8, 6], // B vec4 only when not transposed, A scalar
  [70, 130, 40], // several workgroups and partial tiles in both variants
];

const TOL = { atol: 1e-5, rtol: 1e-5 };

test('the device policy picks the variant; withPolicy changes it for one device and restores it; bad fields are refused', async () => {
  const gpu = await getGpu();
  const auto = gpu.info.isCpu ? 'regblock' : 'tiled';
  assert.is(matmulVariant(gpu), auto);
  await gpu.withPolicy({ matmul: 'tiled' }, () => assert.is(matmulVariant(gpu), 'tiled'));
  assert.is(matmulVariant(gpu), auto);
  assert.throws(() => gpu.setPolicy({ matmul: 'fast' as 'tiled' }), /unknown matmul variant 'fast'/);
  assert.throws(() => gpu.setPolicy({ speed: 1 } as never), /unknown policy field 'speed'/);
  assert.is(matmulVariant(gpu), auto);
});

test('matmul forward and both grads vs CPU reference: both variants, all transposes, odd shapes', async () => {
  const gpu = await getGpu();
  for (const v of VARIANTS) {
    let worst = 0;
    await withVariant(v, async () => {
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
              const name = `${v} matmul M=${M} N=${N} K=${K} tA=${tA} tB=${tB}`;
              worst = Math.max(worst, assertClose(await y.toArray(), matmulRef(a, b, M, N, K, tA, tB), { ...TOL, name }));
              backward(y, Tensor.from(gpu, dy, [M, N]));
              const g = bmmBackwardRef(dy, a, b, 1, M, N, K, { transA: tA, transB: tB });
              worst = Math.max(worst, assertClose(await at.grad!.toArray(), g.da, { ...TOL, name: name + ' dA' }));
              worst = Math.max(worst, assertClose(await bt.grad!.toArray(), g.db, { ...TOL, name: name + ' dB' }));
            });
          }
        }
      }
    });
    report(`matmul fwd+bwd vs CPU ref (${v})`, worst);
  }
});

test('batched matmul: shared and per-batch B, all transposes; shared-B grads sum over the batch', async () => {
  const gpu = await getGpu();
  const [Z1, Z2, M, N, K] = [2, 3, 5, 6, 7];
  const Z = Z1 * Z2;
  for (const v of VARIANTS) {
    await withVariant(v, async () => {
      for (const shared of [true, false]) {
        for (const tA of [false, true]) {
          for (const tB of [false, true]) {
            await gpu.scope(async () => {
              const a = randn(Z * M * K, 11);
              const b = randn((shared ? 1 : Z) * K * N, 12);
              const dy = randn(Z * M * N, 13);
              const bMat = tB ? [N, K] : [K, N];
              const at = Tensor.from(gpu, a, [Z1, Z2, ...(tA ? [K, M] : [M, K])], { requiresGrad: true });
              const bt = Tensor.from(gpu, b, shared ? bMat : [Z1, Z2, ...bMat], { requiresGrad: true });
              const y = matmul(at, bt, { transA: tA, transB: tB });
              assert.equal(y.shape, [Z1, Z2, M, N]);
              const o = { transA: tA, transB: tB, sharedB: shared };
              const name = `${v} batched shared=${shared} tA=${tA} tB=${tB}`;
              assertClose(await y.toArray(), bmmRef(a, b, Z, M, N, K, o), { ...TOL, name });
              backward(y, Tensor.from(gpu, dy, [Z1, Z2, M, N]));
              const g = bmmBackwardRef(dy, a, b, Z, M, N, K, o);
              assertClose(await at.grad!.toArray(), g.da, { ...TOL, name: name + ' dA' });
              assertClose(await bt.grad!.toArray(), g.db, { ...TOL, name: name + ' dB' });
            });
          }
        }
      }
    });
  }
});

/** C filled with NaN (acc off: every element must be written) or with known values (acc on). */
async function checkEncode(gpu: Gpu, v: MatmulVariant, c: {
  M: number; N: number; K: number; batch: number; tA: boolean; tB: boolean; acc: boolean; bias: boolean; alpha: number;
  lda: number; ldb: number; ldc: number; pad: number; sharedB: boolean; maxGroupsPerDim?: number; block?: 'small' | 'big';
}): Promise<number> {
  const { M, N, K, batch, tA, tB, lda, ldb, ldc, pad } = c;
  const rowsA = tA ? K : M;
  const rowsB = tB ? N : K;
  // operands with padded rows (ld > row length) and a leading offset of `pad` elements
  const sA = rowsA * lda + pad;
  const sB = c.sharedB ? 0 : rowsB * ldb + pad;
  const sC = M * ldc + pad;
  const aHost = randn(pad + batch * sA, 21);
  const bHost = randn(pad + (c.sharedB ? rowsB * ldb : batch * sB), 22);
  const cInit = c.acc ? randn(pad + batch * sC + 3, 23) : new Float32Array(pad + batch * sC + 3).fill(NaN);
  const biasHost = randn(N, 24);
  return gpu.scope(async () => {
    const A = gpu.buffer(aHost);
    const B = gpu.buffer(bHost);
    const Cb = gpu.buffer(cInit);
    encodeMatmul(gpu, {
      a: A, b: B, c: Cb, M, N, K, batch, transA: tA, transB: tB, lda, ldb, ldc,
      strideA: sA, strideB: sB, strideC: sC, offsetA: pad, offsetB: pad, offsetC: pad,
      acc: c.acc, alpha: c.alpha, bias: c.bias ? gpu.buffer(biasHost) : undefined, variant: v, maxGroupsPerDim: c.maxGroupsPerDim,
      block: c.block,
    });
    const got = await gpu.readF32(Cb, cInit.length);
    // expected: cInit everywhere except the M×N windows, which hold alpha·A·B + bias (+ old value)
    const want = cInit.slice();
    for (let z = 0; z < batch; z++) {
      const az = new Float32Array(rowsA * (tA ? M : K));
      for (let r = 0; r < rowsA; r++) for (let q = 0; q < (tA ? M : K); q++) az[r * (tA ? M : K) + q] = aHost[pad + z * sA + r * lda + q];
      const bz = new Float32Array(rowsB * (tB ? K : N));
      for (let r = 0; r < rowsB; r++) for (let q = 0; q < (tB ? K : N); q++) bz[r * (tB ? K : N) + q] = bHost[pad + z * sB + r * ldb + q];
      const p = matmulRef(az, bz, M, N, K, tA, tB);
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
          const i = pad + z * sC + m * ldc + n;
          want[i] = c.alpha * p[m * N + n] + (c.bias ? biasHost[n] : 0) + (c.acc ? cInit[i] : 0);
        }
      }
    }
    return assertClose(got, want, { atol: 2e-5, rtol: 1e-5, name: `${v} encodeMatmul ${JSON.stringify(c)}` });
  });
}

test('encodeMatmul: acc on/off, fused bias, alpha, row pitches, offsets, batch strides, shared B', async () => {
  const gpu = await getGpu();
  let worst = 0;
  for (const v of VARIANTS) {
    for (const [M, N, K] of [[1, 1, 1], [3, 17, 33], [9, 16, 8], [4, 8, 4]] as const) {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          for (const acc of [false, true]) {
            const bias = acc === tA; // both with and without bias in each combination of the rest
            // aligned pitches keep the vec4 paths on when the shape allows; odd ones force scalar loads
            const odd = (M + N + K) % 2 === 1;
            const lda = (tA ? M : K) + (odd ? 1 : 4);
            const ldb = (tB ? K : N) + (odd ? 3 : 0);
            const ldc = N + 2;
            const pad = odd ? 1 : 4;
            for (const [batch, sharedB] of [[1, false], [3, true], [2, false]] as const) {
              worst = Math.max(worst, await checkEncode(gpu, v, { M, N, K, batch, tA, tB, acc, bias, alpha: acc ? 0.5 : 1, lda, ldb, ldc, pad, sharedB }));
            }
          }
        }
      }
    }
  }
  report('encodeMatmul strided/acc/bias vs CPU ref', worst);
});

test("encodeMatmul block 'big' (entry big: shared A tile, 32×16 per invocation; 64×16 in the quad form) at odd sizes: every layout, vec4 and scalar, acc, bias, alpha, batch, pitches", async () => {
  const gpu = await getGpu();
  let worst = 0;
  // [M, N, K]: ones; odd sizes; K with and without a remainder past the 8-k chunks; several 32×128 blocks with
  // partial ones; multiples of 4 (vec4 loads of A and B in every layout); N < 96 runs 4 invocations per workgroup
  // (32×64 blocks) instead of 8, N = 64 with vec4 loads
  // K mod 8 = 4 with vec4 loads (the last chunk's second half of A zeroed, B's rows clamped): [40, 136, 20], [36, 64, 12]
  for (const [M, N, K] of [[1, 1, 1], [3, 17, 33], [33, 130, 21], [40, 136, 24], [70, 5, 9], [72, 64, 24], [37, 90, 17], [40, 136, 20], [36, 64, 12]] as const) {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        const odd = (M + N + K) % 2 === 1;
        const acc = tA !== tB;
        const lda = (tA ? M : K) + (odd ? 1 : 4);
        const ldb = (tB ? K : N) + (odd ? 3 : 0);
        const pad = odd ? 1 : 4;
        for (const [batch, sharedB] of [[1, false], [2, true], [2, false]] as const) {
          // both forms of `big` (A shared through workgroup memory; by quad swaps where the adapter has subgroups)
          for (const bigTile of gpu.features.has('subgroups') ? (['workgroup', 'subgroup'] as const) : (['workgroup'] as const)) {
            const e = await gpu.withPolicy({ bigTile }, () => checkEncode(gpu, 'regblock', { M, N, K, batch, tA, tB, acc, bias: !acc, alpha: acc ? 0.5 : 1, lda, ldb, ldc: N + 2, pad, sharedB, block: 'big' }));
            worst = Math.max(worst, e);
          }
        }
      }
    }
  }
  report("encodeMatmul block 'big' vs CPU ref", worst);
  // the auto choice: 'big' from 32 rows, 32 columns, 16 k's and 2^18 multiply-adds; the same numbers as 'small'
  // (same summation order)
  for (const [M, N, K] of [[64, 200, 40], [128, 40, 64], [40, 100, 20]]) await gpu.scope(async () => {
    const a = gpu.buffer(randn(M * K, 41));
    const b = gpu.buffer(randn(K * N, 42));
    const outs: Float32Array[] = [];
    for (const block of ['auto', 'small', 'big'] as const) {
      const c = gpu.buffer(M * N * 4);
      if (block === 'auto') gpu.beginProfile();
      encodeMatmul(gpu, { a, b, c, M, N, K, variant: 'regblock', block });
      if (block === 'auto') {
        const entry = (await gpu.endProfile()).entries.map((e) => e.kernel.replace(/^.*matmul[^:]*:(\w+).*$/, '$1'));
        assert.equal(entry, [M * N * K >= 1 << 18 ? 'big' : 'main'], `auto's entry at ${M}×${K}·${K}×${N}`);
      }
      outs.push(await gpu.readF32(c, M * N));
    }
    if (M * N * K >= 1 << 18) assert.equal([...outs[0]], [...outs[2]], `auto picks big at ${M}×${K}·${K}×${N}`);
    else assert.equal([...outs[0]], [...outs[1]], `auto picks main at ${M}×${K}·${K}×${N} (80,000 multiply-adds)`);
    assertClose(outs[1], outs[2], { atol: 1e-6, rtol: 1e-6, name: 'small vs big' });
    assert.throws(() => encodeMatmul(gpu, { a, b, c: gpu.buffer(16), M: 1, N: 1, K: 1, variant: 'regblock', block: 'huge' as 'big' }), /unknown block 'huge'/);
  });
});

test('encodeMatmul splits grids past the per-dimension workgroup limit (x, y and batch z)', async () => {
  const gpu = await getGpu();
  for (const v of VARIANTS) {
    // limit 2 groups per dimension: 3 chunks along x and y, 3 along the batch
    const [M, N] = v === 'tiled' ? [64 * 5 - 3, 64 * 5 + 1] : [32 * 5 - 1, 64 * 5 - 7];
    const before = gpu.dispatchCount;
    await checkEncode(gpu, v, { M, N, K: 5, batch: 5, tA: false, tB: false, acc: false, bias: true, alpha: 1, lda: 5, ldb: N, ldc: N, pad: 0, sharedB: false, maxGroupsPerDim: 2 });
    assert.is(gpu.dispatchCount - before, 27, `${v}: 3×3×3 dispatches`);
  }
  // entry big: 32×128 blocks (64×64 in the quad form: 4 invocations)
  const before = gpu.dispatchCount;
  const cols = 16 * (gpu.policy.bigTile === 'subgroup' ? 4 : 8);
  const rows = BIG_ROWS[gpu.policy.bigTile];
  await checkEncode(gpu, 'regblock', { M: rows * 5 - 1, N: cols * 5 - 9, K: 19, batch: 5, tA: false, tB: true, acc: true, bias: true, alpha: 1, lda: 19, ldb: 19, ldc: cols * 5 - 9, pad: 0, sharedB: false, maxGroupsPerDim: 2, block: 'big' });
  assert.is(gpu.dispatchCount - before, 27, 'big: 3×3×3 dispatches');
});

test('encodeMatmul stride form (sAm/sAk/sBk/sBn, oC) equals the transA/lda form', async () => {
  const gpu = await getGpu();
  const [M, N, K] = [5, 6, 3];
  const a = randn(M * K, 31); // stored (K, M): A(m,k) at k·M + m
  const b = randn(K * N, 32); // stored (K, N)
  await gpu.scope(async () => {
    const A = gpu.buffer(a);
    const B = gpu.buffer(b);
    const C = gpu.buffer(new Float32Array(7 + M * N).fill(NaN));
    encodeMatmul(gpu, { a: A, b: B, c: C, M, N, K, sAm: 1, sAk: M, sBk: N, sBn: 1, oC: 7 });
    const got = await gpu.readF32(C, 7 + M * N);
    assertClose(got.subarray(7), matmulRef(a, b, M, N, K, true, false), { ...TOL, name: 'stride form' });
    assert.ok(got.subarray(0, 7).every(Number.isNaN), 'elements before oC untouched');
    assert.throws(() => encodeMatmul(gpu, { a: A, b: B, c: C, M, N, K, sAm: 2, sAk: 3, sBk: N, sBn: 1 }), /A strides \(2, 3\): one of them must be 1/);
    assert.throws(() => encodeMatmul(gpu, { a: A, b: B, c: C, M, N, K, sAm: 1, sAk: M, transB: true }), /either the stride form \(sAm, sAk\) or transB, not both/);
    assert.throws(() => encodeMatmul(gpu, { a: A, b: B, c: C, M, N, K, transa: true } as never), /unknown option 'transa'/);
  });
});

test('encodeMatmul rejects operands that overrun their buffers, bad pitches and aliasing', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const small = gpu.buffer(new Float32Array(64)); // 256 B
    const big = gpu.buffer(new Float32Array(1024));
    assert.throws(() => encodeMatmul(gpu, { a: small, b: big, c: gpu.buffer(4096), M: 9, N: 8, K: 8 }), /encodeMatmul: A reaches element 71 but its buffer holds 64 floats/);
    assert.throws(() => encodeMatmul(gpu, { a: big, b: big, c: small, M: 9, N: 8, K: 8 }), /encodeMatmul: C reaches element 71/);
    assert.throws(() => encodeMatmul(gpu, { a: big, b: big, c: gpu.buffer(4096), M: 4, N: 4, K: 4, lda: 3 }), /lda 3 is smaller than A's row length 4/);
    assert.throws(() => encodeMatmul(gpu, { a: big, b: big, c: big, M: 4, N: 4, K: 4 }), /must not alias/);
    assert.throws(() => encodeMatmul(gpu, { a: big, b: big, c: small, M: 2.5, N: 4, K: 4 }), /M must be a non-negative integer/);
  });
});

test('linear (with/without bias) and linearT vs CPU reference, both variants; param grads accumulate', async () => {
  const gpu = await getGpu();
  for (const v of VARIANTS) {
    await withVariant(v, async () => {
      for (const [R, inF, outF] of [[1, 1, 1], [6, 5, 4], [34, 17, 33], [8, 16, 12]] as const) {
        for (const withBias of [true, false]) {
          await gpu.scope(async () => {
            const x = randn(R * inF, 1);
            const w = randn(inF * outF, 2);
            const bb = randn(outF, 3);
            const dy = randn(R * outF, 4);
            // even R as [2, R/2, in]: leading dims fold into rows
            const xt = Tensor.from(gpu, x, R % 2 === 0 ? [2, R / 2, inF] : [R, inF], { requiresGrad: true });
            const wt = Tensor.param(gpu, w, [inF, outF], 'w');
            const bt = withBias ? Tensor.param(gpu, bb, [outF], 'b') : undefined;
            const y = linear(xt, wt, bt);
            assert.equal(y.shape, [...xt.shape.slice(0, -1), outF]);
            const name = `${v} linear R=${R} in=${inF} out=${outF} bias=${withBias}`;
            assertClose(await y.toArray(), linearRef(x, w, withBias ? bb : null, R, inF, outF), { ...TOL, name });
            backward(y, Tensor.from(gpu, dy, y.shape));
            // a second backward on a fresh graph: parameter and input grads accumulate (+=)
            const y2 = linear(xt, wt, bt);
            backward(y2, Tensor.from(gpu, dy, y2.shape));
            const g = linearBackwardRef(dy, x, w, R, inF, outF);
            assertClose(await xt.grad!.toArray(), g.dx.map((q) => 2 * q), { ...TOL, name: name + ' dx (2 accumulations)' });
            assertClose(await wt.grad!.toArray(), g.dw.map((q) => 2 * q), { ...TOL, name: name + ' dW' });
            if (bt) assertClose(await bt.grad!.toArray(), g.db.map((q) => 2 * q), { ...TOL, name: name + ' db' });
            wt.dispose();
            bt?.dispose();
          });
        }
      }
      for (const [R, C, V] of [[1, 1, 1], [7, 6, 9], [5, 12, 33], [12, 16, 8]] as const) {
        for (const withBias of [false, true]) {
          await gpu.scope(async () => {
            const x = randn(R * C, 5);
            const w = randn(V * C, 6);
            const dy = randn(R * V, 7);
            const bb = randn(V, 8);
            const xt = Tensor.from(gpu, x, [R, C], { requiresGrad: true });
            const wt = Tensor.from(gpu, w, [V, C], { requiresGrad: true });
            const bt = withBias ? Tensor.from(gpu, bb, [V], { requiresGrad: true }) : undefined;
            const y = linearT(xt, wt, bt);
            const name = `${v} linearT R=${R} C=${C} V=${V} bias=${withBias}`;
            const ref = linearTRef(x, w, R, C, V);
            if (withBias) for (let i = 0; i < ref.length; i++) ref[i] += bb[i % V];
            assertClose(await y.toArray(), ref, { ...TOL, name });
            backward(y, Tensor.from(gpu, dy, [R, V]));
            const g = linearTBackwardRef(dy, x, w, R, C, V);
            assertClose(await xt.grad!.toArray(), g.dx, { ...TOL, name: name + ' dx' });
            assertClose(await wt.grad!.toArray(), g.dw, { ...TOL, name: name + ' dW' });
            if (bt) assertClose(await bt.grad!.toArray(), colSumRef(dy, R, V), { ...TOL, name: name + ' db' });
          });
        }
      }
    });
  }
});

test('shape mismatches name the op and both shapes', async () => {
  const gpu = await getGpu();
  await gpu.scope(() => {
    const x = Tensor.from(gpu, new Float32Array(6), [2, 3]);
    assert.throws(() => matmul(x, Tensor.from(gpu, new Float32Array(8), [4, 2])), /matmul: shape mismatch: b for a \[2, 3\] is \[4, 2\], expected \[3, \*\]/);
    assert.throws(() => matmul(x, Tensor.from(gpu, new Float32Array(12), [2, 3, 2])), /matmul: shape mismatch: b for a \[2, 3\] is \[2, 3, 2\]/);
    assert.throws(() => matmul(Tensor.from(gpu, new Float32Array(12), [2, 2, 3]), Tensor.from(gpu, new Float32Array(18), [3, 3, 2])), /b for a \[2, 2, 3\] is \[3, 3, 2\], expected \[2, 3, \*\]/);
    assert.throws(() => linear(x, Tensor.from(gpu, new Float32Array(8), [4, 2])), /linear: shape mismatch: weight for x \[2, 3\] is \[4, 2\], expected \[3, \*\]/);
    assert.throws(() => linear(x, Tensor.from(gpu, new Float32Array(6), [3, 2]), Tensor.from(gpu, new Float32Array(3), [3])), /linear: shape mismatch: bias for weight \[3, 2\] is \[3\], expected \[2\]/);
    assert.throws(() => linearT(x, Tensor.from(gpu, new Float32Array(8), [4, 2])), /linearT: shape mismatch: weight for x \[2, 3\] is \[4, 2\], expected \[\*, 3\]/);
    assert.throws(() => linearT(x, Tensor.from(gpu, new Float32Array(6), [2, 3]), Tensor.from(gpu, new Float32Array(3), [3])), /linearT: shape mismatch: bias for weight \[2, 3\] is \[3\], expected \[2\]/);
  });
});

test('finite differences: matmul (plain, transposed, batched), linear, linearT', async () => {
  const gpu = await getGpu();
  for (const v of VARIANTS) {
    await withVariant(v, async () => {
      await gradCheck(gpu, `${v} matmul`, [{ data: randn(6, 1), shape: [2, 3] }, { data: randn(12, 2), shape: [3, 4] }], ([a, b]) => matmul(a, b));
      await gradCheck(gpu, `${v} matmul tA tB`, [{ data: randn(6, 3), shape: [3, 2] }, { data: randn(12, 4), shape: [4, 3] }], ([a, b]) => matmul(a, b, { transA: true, transB: true }));
      await gradCheck(gpu, `${v} matmul batched`, [{ data: randn(12, 10), shape: [2, 2, 3] }, { data: randn(18, 11), shape: [2, 3, 3] }], ([a, b]) => matmul(a, b));
      await gradCheck(gpu, `${v} linear`, [{ data: randn(6, 5), shape: [2, 3] }, { data: randn(12, 6), shape: [3, 4] }, { data: randn(4, 7), shape: [4] }], ([x, w, b]) => linear(x, w, b));
      await gradCheck(gpu, `${v} linearT`, [{ data: randn(6, 8), shape: [2, 3] }, { data: randn(15, 9), shape: [5, 3] }], ([x, w]) => linearT(x, w));
    });
  }
});

type Fixture = { tensors: Record<string, { shape: number[]; data: number[] }> };

test('PyTorch fixture: nn.Linear-style x·W + b, a plain 3×17·17×33 matmul and the tied head x·wteᵀ', async () => {
  if (!existsSync(FIXTURES + 'linear.json')) throw new Error('test/fixtures/linear.json is missing: run test/fixtures/gen.py');
  const gpu = await getGpu();
  const f = fixture<Fixture>('linear.json').tensors;
  const FWD = { atol: 1e-6, rtol: 1e-6 };
  const GRAD = { atol: 1e-6, rtol: 1e-5 };
  for (const v of VARIANTS) {
    await withVariant(v, () =>
      gpu.scope(async () => {
        const t = (k: string, g = false) => {
          if (!f[k]) throw new Error(`linear.json has no tensor '${k}'`);
          return Tensor.from(gpu, f[k].data, f[k].shape, { requiresGrad: g });
        };
        const x = t('x', true), W = t('W', true), b = t('b', true);
        const y = linear(x, W, b);
        report(`linear fwd vs torch (${v})`, assertClose(await y.toArray(), f.out.data, { ...FWD, name: 'linear out' }));
        backward(y, t('grad_out'));
        report(`linear grads vs torch (${v})`, Math.max(
          assertClose(await x.grad!.toArray(), f.grad_x.data, { ...GRAD, name: 'grad_x' }),
          assertClose(await W.grad!.toArray(), f.grad_W.data, { ...GRAD, name: 'grad_W' }),
          assertClose(await b.grad!.toArray(), f.grad_b.data, { ...GRAD, name: 'grad_b' }),
        ));

        const a = t('mm_a', true), bm = t('mm_b', true);
        const mm = matmul(a, bm);
        report(`matmul fwd vs torch (${v})`, assertClose(await mm.toArray(), f.mm_out.data, { ...FWD, name: 'mm_out' }));
        backward(mm, t('mm_grad_out'));
        report(`matmul grads vs torch (${v})`, Math.max(
          assertClose(await a.grad!.toArray(), f.mm_grad_a.data, { ...GRAD, name: 'mm_grad_a' }),
          assertClose(await bm.grad!.toArray(), f.mm_grad_b.data, { ...GRAD, name: 'mm_grad_b' }),
        ));

        const tx = t('tied_x', true), wte = t('tied_wte', true);
        const logits = linearT(tx, wte);
        report(`linearT fwd vs torch (${v})`, assertClose(await logits.toArray(), f.tied_out.data, { ...FWD, name: 'tied_out' }));
        backward(logits, t('tied_grad_out'));
        report(`linearT grads vs torch (${v})`, Math.max(
          assertClose(await tx.grad!.toArray(), f.tied_grad_x.data, { ...GRAD, name: 'tied_grad_x' }),
          assertClose(await wte.grad!.toArray(), f.tied_grad_wte.data, { ...GRAD, name: 'tied_grad_wte' }),
        ));
      }),
    );
  }
});

test.run();
