// layerNormLinear (shaders/matmul_ln.wgsl: LayerNorm fused into the one-row linear of a decode step) against its CPU
// reference and against the unfused ops (layerNorm, then linear / linearGelu / linearT: the same bits) on the same data;
// bad input.
// Leaves out: speed (bench train --profile, bench generate), the GPT's use of it (model.test.ts, generate tests).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu, diffCounters } from '../src/gpu/device.ts';
import { Tensor, noGrad } from '../src/autograd/tensor.ts';
import { layerNorm } from '../src/ops/layernorm.ts';
import { linear, linearGelu, linearT } from '../src/ops/matmul.ts';
import { layerNormLinear, layerNormLinearFits } from '../src/ops/matmul-ln.ts';
import { layerNormLinearRef } from '../src/ref/matmul-ln.ts';
import { assertClose, randn, report, throwsMsg } from './helpers.ts';

test('layerNormLinear vs CPU reference and vs layerNorm + linear / linearGelu / linearT: odd sizes, vec4 and scalar, bias, GELU, rows', async () => {
  const gpu = await getGpu();
  // [R, K, N]: odd K and N, vec4 along N (nn) or K (nt), N past one workgroup's 512 columns, GPT-2 small's 768, N past
  // LN_LINEAR_GROUPS·512 (workgroups loop over column blocks)
  const cases: [number, number, number][] = [[1, 5, 7], [2, 12, 16], [1, 128, 384], [3, 33, 601], [1, 64, 1413], [1, 768, 12], [2, 8, 4203]];
  let worstRef = 0;
  let worstOps = 0;
  for (const [R, K, N] of cases) {
    for (const transposed of [false, true]) {
      for (const [act, withBias] of [[undefined, false], [undefined, true], ['gelu_tanh', true]] as const) {
        if (transposed && act) continue; // the head has no GELU
        if (act && ((transposed ? K : N) % 4)) continue; // the GPT's fc widths are multiples of 4: no scalar GELU pipeline (compile time)
        await gpu.scope(async () => {
          const xv = randn(R * K, R + K + N, -2, 2);
          const lnw = randn(K, 2, 0.5, 1.5);
          const lnb = randn(K, 3, -0.2, 0.2);
          const wv = randn(K * N, 4, -0.3, 0.3);
          const bv = randn(N, 5);
          const x = Tensor.from(gpu, xv, [R, K]);
          const [tw, tb] = [Tensor.from(gpu, lnw, [K]), Tensor.from(gpu, lnb, [K])];
          const w = Tensor.from(gpu, wv, transposed ? [N, K] : [K, N]);
          const bias = withBias ? Tensor.from(gpu, bv, [N]) : undefined;
          const name = `R=${R} K=${K} N=${N} ${transposed ? 'nt' : 'nn'}${withBias ? ' bias' : ''}${act ? ' gelu' : ''}`;
          const t0 = Date.now();
          const c0 = { ...gpu.counters };
          const fused = noGrad(() => layerNormLinear(x, tw, tb, w, bias, { transposed, act }));
          assert.is(diffCounters(gpu.counters, c0).dispatches, 1, `${name}: one dispatch`);
          assert.equal(fused.shape, [R, N]);
          const got = await fused.toArray();
          const ref = layerNormLinearRef(xv, lnw, lnb, wv, withBias ? bv : null, R, K, N, { transposed, act });
          const errRef = assertClose(got, ref, { atol: 1e-5, rtol: 1e-5, name: `${name} vs ref` });
          worstRef = Math.max(worstRef, errRef);
          const unfused = noGrad(() => {
            const h = layerNorm(x, tw, tb);
            return transposed ? linearT(h, w, bias) : act ? linearGelu(h, w, bias) : linear(h, w, bias);
          });
          // the same LayerNorm expression and row1's sums in row1's order: the same bits as the separate ops
          const uv = await unfused.toArray();
          assert.equal(new Uint32Array(got.buffer), new Uint32Array(uv.buffer), `${name}: the same bits as layerNorm then the matmul`);
          worstOps = Math.max(worstOps, assertClose(got, uv, { atol: 0, rtol: 0, name: `${name} vs unfused ops` }));
          const t = Date.now() - t0;
          if (t > 500) console.log(`  ${name}: ${t} ms`);
        });
      }
    }
  }
  report('layerNormLinear vs ref', worstRef);
  report('layerNormLinear vs unfused ops', worstOps);
  console.log(`  layerNormLinear: max |err| vs CPU reference ${worstRef.toExponential(2)}, vs layerNorm + linear ${worstOps.toExponential(2)} (bit for bit)`);
});

test('layerNormLinear: refuses a recorded graph, too many features and bad shapes; layerNormLinearFits', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const x = Tensor.from(gpu, randn(8, 1), [2, 4]);
    const [w1, b1] = [Tensor.from(gpu, randn(4, 2), [4]), Tensor.from(gpu, randn(4, 3), [4])];
    const w = Tensor.param(gpu, randn(12, 4), [4, 3], 'w');
    throwsMsg(() => layerNormLinear(x, w1, b1, w), /^layerNormLinear: inference only/);
    noGrad(() => {
      throwsMsg(() => layerNormLinear(x, w1, b1, Tensor.from(gpu, randn(15, 5), [5, 3])), /^layerNormLinear: .*weight/);
      throwsMsg(() => layerNormLinear(x, Tensor.from(gpu, randn(3, 2), [3]), b1, w), /^layerNormLinear: .*LayerNorm weight/);
      const big = Tensor.zeros(gpu, [1, 2049]);
      throwsMsg(() => layerNormLinear(big, Tensor.zeros(gpu, [2049]), Tensor.zeros(gpu, [2049]), Tensor.zeros(gpu, [2049, 2])), /^layerNormLinear: 2049 features; the fused kernel normalises at most 2048$/);
      assert.not.ok(layerNormLinearFits(big));
    });
    assert.ok(layerNormLinearFits(x));
    assert.not.ok(layerNormLinearFits(Tensor.zeros(gpu, [5, 4])), 'more rows than a decode step: the unfused ops');
    w.dispose();
  });
});

test.run();
