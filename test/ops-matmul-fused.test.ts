// The register-blocked matmul's one-row entry (`row1`, used when M == 1 and A is not transposed: a KV-cache decode
// step) against the CPU reference and against the 4-row kernel on the same data: layouts, vec4 and scalar loads,
// bias, alpha, accumulate, batch, split grids; its GELU epilogue (linearGelu) and the residual-accumulating
// linearResidual against the unfused ops. Leaves out: speed (bench generate / bench train --profile).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu } from '../src/gpu/device.ts';
import { encodeMatmul, linear, linearGelu, linearResidual } from '../src/ops/matmul.ts';
import { gelu } from '../src/ops/unary.ts';
import { add } from '../src/ops/binary.ts';
import { Tensor, noGrad, backward } from '../src/autograd/tensor.ts';
import { bmmRef, linearRef } from '../src/ref/matmul.ts';
import { unaryBwdRef } from '../src/ref/unary.ts';
import { assertClose, randn } from './helpers.ts';

test('matmul M=1 (row1 entry) vs CPU reference: nn / nt, vec4 and scalar, bias, alpha, acc, batch, split grid', async () => {
  const gpu = await getGpu();
  const prev = gpu.setPolicy({ matmul: 'regblock', tiers: 'best' });
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
    gpu.setPolicy(prev);
  }
  console.log(`  row1 vs CPU reference: max |err| ${worst.toExponential(2)}`);
});

test('matmul M=1 gives the same numbers as the 4-row kernel on that row (same summation order)', async () => {
  const gpu = await getGpu();
  const prev = gpu.setPolicy({ matmul: 'regblock', tiers: 'best' });
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
    gpu.setPolicy(prev);
  }
});

test('linearGelu: one fused dispatch without a graph (M = 1, 7 and 40; both variants), equal to gelu(linear()); with a graph, linear then gelu', async () => {
  const gpu = await getGpu();
  const prev = gpu.setPolicy({ tiers: 'best' });
  try {
    // regblock: R = 40 with 136 outputs runs the `big` entry (its own epilogue), the others `row1` and `main`;
    // tiled: the shared-memory kernel's epilogue
    for (const [variant, R, outF] of [['regblock', 1, 36], ['regblock', 7, 36], ['regblock', 40, 136], ['tiled', 7, 36], ['tiled', 40, 136]] as const) {
      gpu.setPolicy({ matmul: variant });
      await gpu.scope(async () => {
        const inF = 20;
        const x = Tensor.from(gpu, Float32Array.from(randn(R * inF, 1, -3, 3)), [R, inF]);
        const w = Tensor.param(gpu, Float32Array.from(randn(inF * outF, 2)), [inF, outF], 'w');
        const b = Tensor.param(gpu, Float32Array.from(randn(outF, 3)), [outF], 'b');
        const d0 = gpu.dispatchCount;
        const fused = noGrad(() => linearGelu(x, w, b));
        const d1 = gpu.dispatchCount;
        const ref = noGrad(() => gelu(linear(x, w, b)));
        const d2 = gpu.dispatchCount;
        const withGraph = linearGelu(x, w, b);
        const d3 = gpu.dispatchCount;
        assert.is(d1 - d0, 1, 'fused: one dispatch');
        assert.is(d2 - d1, 2, 'unfused: two');
        assert.is(d3 - d2, 2, 'recording a graph: linear then gelu');
        const [f, r, g] = [await fused.toArray(), await ref.toArray(), await withGraph.toArray()];
        let worst = 0;
        for (let i = 0; i < f.length; i++) worst = Math.max(worst, Math.abs(f[i] - r[i]));
        console.log(`  linearGelu ${variant} R=${R}: fused vs gelu(linear) max |diff| ${worst.toExponential(2)}`);
        assertClose(f, r, { atol: 1e-6, rtol: 1e-6, name: `linearGelu ${variant} R=${R}` });
        assert.equal([...g], [...r], 'the graph path is gelu(linear()) itself');
        const cpu = linearRef(await x.toArray(), await w.toArray(), await b.toArray(), R, inF, outF).map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))));
        assertClose(f, cpu, { atol: 1e-5, rtol: 1e-5, name: `linearGelu ${variant} R=${R} vs CPU reference` });
        w.dispose();
        b.dispose();
      });
    }
    await gpu.scope(() => {
      const [a, b, c] = [gpu.buffer(16), gpu.buffer(16), gpu.buffer(16)];
      assert.throws(() => encodeMatmul(gpu, { a, b, c, M: 1, N: 1, K: 1, act: 'relu' as 'gelu_tanh' }), /unknown act 'relu'/);
    });
  } finally {
    gpu.setPolicy(prev);
  }
});

test('linearGelu recording a graph: backward = gelu backward + bias colsum in one dispatch, every gradient bit for bit as gelu(linear()); bias grad = and +=', async () => {
  const gpu = await getGpu();
  for (const [R, inF, outF] of [[1, 5, 7], [6, 12, 65], [33, 20, 36]] as const) {
    for (const biasUsedTwice of [false, true]) {
      await gpu.scope(async () => {
        const xv = Float32Array.from(randn(R * inF, 21, -3, 3));
        const wv = Float32Array.from(randn(inF * outF, 22));
        const bv = Float32Array.from(randn(outF, 23));
        const dyv = Float32Array.from(randn(R * outF, 24));
        const run = async (fused: boolean) => {
          const x = Tensor.from(gpu, xv, [R, inF], { requiresGrad: true });
          const w = Tensor.param(gpu, wv, [inF, outF], 'w');
          const b = Tensor.param(gpu, bv, [outF], 'b');
          let y = fused ? linearGelu(x, w, b) : gelu(linear(x, w, b));
          if (biasUsedTwice) y = add(y, b); // b gets a second gradient: the fused colsum must accumulate
          const d0 = gpu.dispatchCount;
          backward(y, Tensor.from(gpu, dyv, [R, outF]));
          const out = { y: await y.toArray(), dx: await x.grad!.toArray(), dw: await w.grad!.toArray(), db: await b.grad!.toArray(), bwd: gpu.dispatchCount - d0 };
          w.dispose();
          b.dispose();
          return out;
        };
        const f = await run(true);
        const u = await run(false);
        assert.is(f.bwd, u.bwd - 1, `backward: ${f.bwd} dispatches fused, ${u.bwd} unfused`);
        for (const k of ['y', 'dx', 'dw', 'db'] as const) assert.equal(new Uint32Array(f[k].buffer), new Uint32Array(u[k].buffer), `linearGelu R=${R} ${k}${biasUsedTwice ? ' (bias used twice)' : ''}: same bits`);
        const z = linearRef(xv, wv, bv, R, inF, outF);
        const dz = unaryBwdRef('gelu_tanh', z, dyv);
        const db = new Float32Array(outF);
        for (let r = 0; r < R; r++) for (let n = 0; n < outF; n++) db[n] += dz[r * outF + n];
        const e = assertClose(f.db, biasUsedTwice ? db.map((v, n) => v + dyv.reduce((s, _, i) => s + (i % outF === n ? dyv[i] : 0), 0)) : db, { atol: 1e-5, rtol: 1e-5, name: `linearGelu db R=${R} vs CPU reference` });
        if (R === 33 && biasUsedTwice) console.log(`  linearGelu with a graph: backward one dispatch fewer, every gradient = gelu(linear()) bit for bit; db vs CPU reference ${e.toExponential(2)}`);
      });
    }
  }
});

test('linearResidual: one dispatch, forward and backward equal to add(res, linear(x, w, b)); res with and without an earlier gradient', async () => {
  const gpu = await getGpu();
  for (const R of [1, 6]) {
    for (const resUsedTwice of [false, true]) {
      await gpu.scope(async () => {
        const [inF, outF] = [12, 20];
        const xv = Float32Array.from(randn(R * inF, 11));
        const rv = Float32Array.from(randn(R * outF, 12));
        const wv = Float32Array.from(randn(inF * outF, 13));
        const bv = Float32Array.from(randn(outF, 14));
        const dyv = Float32Array.from(randn(R * outF, 15));
        const run = async (fused: boolean) => {
          const x = Tensor.from(gpu, xv, [R, inF], { requiresGrad: true });
          const res = Tensor.from(gpu, rv, [R, outF], { requiresGrad: true });
          const w = Tensor.param(gpu, wv, [inF, outF], 'w');
          const b = Tensor.param(gpu, bv, [outF], 'b');
          const d0 = gpu.dispatchCount;
          let y = fused ? linearResidual(x, w, b, res) : add(res, linear(x, w, b));
          const forward = gpu.dispatchCount - d0;
          if (resUsedTwice) y = add(y, res); // res gets a second gradient: the fused backward must accumulate
          backward(y, Tensor.from(gpu, dyv, [R, outF]));
          const out = { y: await y.toArray(), dx: await x.grad!.toArray(), dres: await res.grad!.toArray(), dw: await w.grad!.toArray(), db: await b.grad!.toArray(), forward };
          w.dispose();
          b.dispose();
          return out;
        };
        const f = await run(true);
        const u = await run(false);
        assert.is(f.forward, 1, 'fused forward: one dispatch (plus a buffer copy)');
        assert.is(u.forward, 2);
        for (const k of ['y', 'dx', 'dres', 'dw', 'db'] as const) assertClose(f[k], u[k], { atol: 1e-6, rtol: 1e-6, name: `linearResidual R=${R} ${k}${resUsedTwice ? ' (res used twice)' : ''}` });
      });
    }
  }
  console.log('  linearResidual vs add(res, linear()): forward and all gradients within 1e-6');
});

test.run();
