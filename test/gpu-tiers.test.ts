// Kernel tiers: a cheap tier that compiles fast and the best tier compiled in the background must compute the same
// bits, so a run's numbers never depend on when the best tier became ready (src/gpu/device.ts kernelTier). Checks
// matmul's `main` against `big` and flash attention at 1 row per invocation against 2 and 4 (forward, dq, dk, dv,
// decode prefill), and the progressive policy's switch. Leaves out: speed (bench), the tiled GPU matmul (no tiers).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu, type Gpu } from '../src/gpu/device.ts';
import { Tensor, backward, noGrad } from '../src/autograd/tensor.ts';
import { encodeMatmul } from '../src/ops/matmul.ts';
import { attention, attentionDecode, createKVCache } from '../src/ops/attention.ts';
import { matmulShader } from '../shaders/matmul_gen.ts';

const matmulWgsl = matmulShader('workgroup');
import { randn } from './helpers.ts';

/** index of the first element where a and b differ bit for bit, or -1 */
function firstDiff(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (x.length !== y.length) return 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

test("matmul: `main` and `big` (A shared through workgroup memory and by quad swaps) give the same bits (all layouts, K mod 8 ≠ 0, bias, alpha, acc, edges)", async () => {
  const gpu = await getGpu();
  let n = 0;
  const forms: ('workgroup' | 'subgroup')[] = gpu.features.has('subgroups') ? ['workgroup', 'subgroup'] : ['workgroup'];
  // vec4 loads in every layout at 64×128·128×96, scalar loads and edges at 37×33·33×130 (K mod 8 = 1)
  const cases: [number, number, number, boolean, boolean][] = [
    [64, 96, 128, false, false], [64, 96, 128, false, true], [64, 96, 128, true, false], [64, 96, 128, true, true],
    [37, 130, 33, false, false], [37, 130, 33, true, true],
  ];
  for (const [M, N, K, tA, tB] of cases) {
    await gpu.scope(async () => {
      const a = gpu.buffer(randn(M * K, M + K + (tA ? 1 : 0)));
      const b = gpu.buffer(randn(K * N, N + K + (tB ? 1 : 0)));
      const bias = gpu.buffer(randn(N, 7));
      const c0 = randn(M * N, 3);
      const outs: Float32Array[] = [];
      const run = async (block: 'small' | 'big') => {
        const c = gpu.buffer(c0);
        encodeMatmul(gpu, { a, b, c, M, N, K, transA: tA, transB: tB, block, acc: 1, alpha: 0.5, bias, variant: 'regblock' });
        outs.push(await gpu.readF32(c, M * N));
      };
      await run('small');
      for (const f of forms) await gpu.withPolicy({ bigTile: f }, () => run('big'));
      for (let i = 1; i < outs.length; i++) {
        const at = firstDiff(outs[0], outs[i]);
        assert.is(at, -1, `${M}×${K}${tA ? 'ᵀ' : ''}·${K}×${N}${tB ? 'ᵀ' : ''}, big (${forms[i - 1]}): element ${at}: main ${outs[0][at]} big ${outs[i][at]}`);
      }
      n++;
    });
  }
  assert.is(n, cases.length);
});

/** attention forward + backward (and a decode prefill) at policy flash rows R; returns every output. */
async function flashRun(gpu: Gpu, R: number, B: number, T: number, C: number, H: number): Promise<Float32Array[]> {
  return gpu.withPolicy({ tiers: 'best', flash: { ...gpu.policy.flash, RQ: R, RK: R } }, () =>
    gpu.scope(async () => {
      const n = B * T * C;
      const q = Tensor.from(gpu, randn(n, 1), [B, T, C], { requiresGrad: true });
      const k = Tensor.from(gpu, randn(n, 2), [B, T, C], { requiresGrad: true });
      const v = Tensor.from(gpu, randn(n, 3), [B, T, C], { requiresGrad: true });
      const o = attention(q, k, v, { heads: H, causal: true });
      backward(o, Tensor.from(gpu, randn(n, 4), [B, T, C]));
      const cache = createKVCache(gpu, { B, maxT: T, C });
      const d = noGrad(() => attentionDecode(q, k, v, cache, 0, { heads: H }));
      const out = [o, q.grad!, k.grad!, v.grad!, d].map((t) => gpu.readF32(t.buffer, n));
      const r = await Promise.all(out);
      cache.dispose();
      return r;
    }),
  );
}

test('flash attention: 1 row per invocation and the most rows give the same bits (forward, dq, dk, dv, decode prefill)', async () => {
  const gpu = await getGpu();
  // hd 32 runs up to 4 rows per invocation, hd 64 up to 2 (the register budget)
  for (const [B, T, C, H, R] of [[2, 37, 128, 4, 4], [1, 9, 64, 1, 2]] as const) {
    const one = await flashRun(gpu, 1, B, T, C, H);
    const many = await flashRun(gpu, R, B, T, C, H);
    ['out', 'dq', 'dk', 'dv', 'decode'].forEach((what, i) => {
      const at = firstDiff(one[i], many[i]);
      assert.is(at, -1, `B${B} T${T} C${C} H${H} ${what}, R = 1 vs ${R}: element ${at}`);
    });
  }
});

test('progressive tiers: the cheap tier until the best one, asked for twice, is compiled in the background; best and cheap policies', async () => {
  const gpu = await getGpu();
  // a specialization no other test creates (WX = 4), so this test sees it compile
  const base = { WX: 4, WY: 8, TA: 0, TB: 1, VA: 0, VB: 0, ACT: 0 };
  const best = { shader: matmulWgsl, entry: 'big', constants: { ...base, BW: 4 } };
  const cheap = { shader: matmulWgsl, entry: 'main', constants: base };
  await gpu.withPolicy({ tiers: 'cheap' }, () => assert.is(gpu.kernelTier([best, cheap]).tier, 1));
  assert.not.ok(gpu.hasKernel(best), 'the cheap policy never compiles the best tier');
  await gpu.withPolicy({ tiers: 'progressive' }, async () => {
    const c0 = { ...gpu.counters };
    assert.is(gpu.kernelTier([best, cheap]).tier, 1, 'first ask: the cheap tier');
    assert.is(gpu.kernelTier([best, cheap]).tier, 1, 'second ask: still the cheap tier, the best one queued');
    assert.is(gpu.counters.asyncPipelines, c0.asyncPipelines, 'nothing compiles in the background before the host waits');
    await gpu.sync(); // the first wait after a pipeline was created: still nothing starts
    await gpu.sync(); // the second: the queued compile starts
    await gpu.whenWarm();
    assert.is(gpu.counters.asyncPipelines, c0.asyncPipelines + 1);
    assert.ok(gpu.counters.asyncCompileMs > c0.asyncCompileMs);
    assert.ok(gpu.hasKernel(best));
    assert.is(gpu.kernelTier([best, cheap]).tier, 0, 'once compiled: the best tier');
  });
  await gpu.withPolicy({ tiers: 'best' }, () => assert.is(gpu.kernelTier([best, cheap]).tier, 0));
});

test('warm: pipelines created in the background one at a time; kernel() then finds them', async () => {
  const gpu = await getGpu();
  const defs = [1, 2].map((WY) => ({ shader: matmulWgsl, entry: 'main', constants: { WX: 2, WY, TA: 1, TB: 0, VA: 0, VB: 0, ACT: 0 } }));
  const c0 = { ...gpu.counters };
  await gpu.warm(defs);
  assert.is(gpu.counters.asyncPipelines - c0.asyncPipelines, 2);
  for (const d of defs) assert.ok(gpu.hasKernel(d));
  gpu.kernel(defs[0]);
  assert.is(gpu.counters.pipelines, c0.pipelines, 'no synchronous compile after warm()');
  await gpu.checkErrors();
});

test.run();
