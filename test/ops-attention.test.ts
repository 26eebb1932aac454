// Softmax, causal mask and attention ops: GPU vs the CPU reference (forward + backward, odd shapes),
// finite differences, dropout determinism, KV-cache decode vs full attention, PyTorch fixtures.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { getGpu } from '../src/gpu/device.ts';
import { Tensor, backward, noGrad } from '../src/autograd/tensor.ts';
import { softmax, causalMask, attention, attentionWithProbs, attentionDecode, createKVCache, dropThreshold } from '../src/ops/attention.ts';
import { softmaxRef, softmaxBwdRef, causalMaskRef, causalMaskBwdRef, attentionRef, attentionBwdRef } from '../src/ref/attention.ts';
import { assertClose, randn, report as record, errorReport, FIXTURES } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';

const reported = new Set<string>();
function report(name: string, maxAbs: number): void {
  reported.add(name);
  record(name, maxAbs);
}
test.after(() => {
  for (const k of reported) console.log(`  max |err| ${k}: ${errorReport[k].toExponential(2)}`);
});

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

const SHAPES: [number, number, number, number][] = [
  // B, T, H, hd
  [1, 1, 1, 1],
  [2, 5, 3, 4],
  [1, 17, 2, 7],
  [1, 33, 3, 1],
  [2, 6, 1, 64],
  [1, 9, 2, 5],
  [1, 10, 2, 12],
  [3, 4, 2, 8],
];

async function checkAttention(B: number, T: number, H: number, hd: number, dropout: number, seed: number): Promise<void> {
  const gpu = await getGpu();
  const C = H * hd;
  await gpu.scope(async () => {
    const qkv = randn(B * T * 3 * C, B * 1000 + T * 10 + hd, -1.5, 1.5);
    const dout = randn(B * T * C, 7 + T);
    const t = Tensor.from(gpu, qkv, [B, T, 3 * C], { requiresGrad: true });
    const { out, probs } = attentionWithProbs(t, H, { dropout, seed });
    assert.equal(out.shape, [B, T, C]);
    const thr = dropThreshold(dropout);
    const ref = attentionRef(qkv, B, T, C, H, { dropout, seed, thr });
    const tag = `B${B} T${T} H${H} hd${hd} p${dropout}`;
    report('attention fwd vs ref', assertClose(await out.toArray(), ref.out, { ...FWD, name: `attention out ${tag}` }));
    report('attention probs vs ref', assertClose(await probs.toArray(), ref.att, { ...FWD, name: `attention probs ${tag}` }));
    backward(out, Tensor.from(gpu, dout, [B, T, C]));
    const g = await t.grad!.toArray();
    report('attention bwd vs ref', assertClose(g, attentionBwdRef(qkv, dout, B, T, C, H, { dropout, seed, thr }), { ...BWD, name: `attention dqkv ${tag}` }));
  });
}

test('attention: forward, probabilities and dqkv match the reference on odd shapes (T = 1, 5, 17, 33; hd = 1 … 64)', async () => {
  for (const [B, T, H, hd] of SHAPES) await checkAttention(B, T, H, hd, 0, 0);
});

test('attention with dropout matches the reference with the same seeded mask, forward and backward', async () => {
  await checkAttention(2, 5, 3, 4, 0.25, 1234);
  await checkAttention(1, 17, 2, 7, 0.5, 77);
});

test('attention dropout: identical seeds give identical outputs, other seeds differ, drop rate ≈ p', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const [B, T, H, hd] = [2, 24, 2, 4];
    const C = H * hd;
    const x = Tensor.from(gpu, randn(B * T * 3 * C, 5), [B, T, 3 * C]);
    const run = async (seed: number, p = 0.3) => attention(x, H, { dropout: p, seed }).toArray();
    const a = await run(42);
    const b = await run(42);
    const c = await run(43);
    assert.equal(Array.from(a), Array.from(b), 'same seed, same output');
    assert.ok(a.some((v, i) => v !== c[i]), 'another seed changes the output');
    const noDrop = await run(42, 0);
    assert.ok(a.some((v, i) => v !== noDrop[i]), 'dropout changes the output');
    // rate: the reference's hash is the shader's (checked above); count dropped entries of the causal part
    const { keepRef } = await import('../src/ref/attention.ts');
    let kept = 0;
    let total = 0;
    const thr = dropThreshold(0.3);
    for (let z = 0; z < B * H; z++) for (let i = 0; i < T; i++) for (let j = 0; j <= i; j++) {
      total++;
      if (keepRef((z * T + i) * T + j, 42, thr)) kept++;
    }
    const rate = 1 - kept / total;
    assert.ok(Math.abs(rate - 0.3) < 0.05, `drop rate ${rate.toFixed(3)} vs 0.3 over ${total} entries`);
  });
  assert.throws(() => attention(Tensor.zeros(gpu, [1, 2, 6]), 1, { dropout: 1 }), /dropout must be in \[0, 1\), got 1/);
  assert.throws(() => attention(Tensor.zeros(gpu, [1, 2, 7]), 1), /last dim of qkv must be 3·C/);
  assert.throws(() => attention(Tensor.zeros(gpu, [1, 2, 12]), 3), /C = 4 is not divisible by nHeads = 3/);
});

test('attention backward accumulates into an existing qkv grad', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const [B, T, H, hd] = [1, 6, 2, 3];
    const C = H * hd;
    const qkv = randn(B * T * 3 * C, 21);
    const dout = randn(B * T * C, 22);
    const pre = randn(B * T * 3 * C, 23);
    const t = Tensor.from(gpu, qkv, [B, T, 3 * C], { requiresGrad: true });
    t.grad = Tensor.from(gpu, pre, [B, T, 3 * C]);
    backward(attention(t, H), Tensor.from(gpu, dout, [B, T, C]));
    const ref = attentionBwdRef(qkv, dout, B, T, C, H);
    assertClose(await t.grad!.toArray(), Array.from(ref, (v, i) => v + pre[i]), { ...BWD, name: 'attention acc' });
  });
});

test('gradCheck: softmax, causalMask∘softmax, attention (with and without dropout)', async () => {
  const gpu = await getGpu();
  const e1 = await gradCheck(gpu, 'softmax', [{ data: randn(15, 31, -2, 2), shape: [3, 5] }], ([x]) => softmax(x));
  const e2 = await gradCheck(gpu, 'causalMask∘softmax', [{ data: randn(2 * 16, 32, -2, 2), shape: [2, 4, 4] }], ([x]) => softmax(causalMask(x)));
  const e3 = await gradCheck(gpu, 'attention', [{ data: randn(1 * 4 * 12, 33), shape: [1, 4, 12] }], ([x]) => attention(x, 2), { maxCoords: 48 });
  const e4 = await gradCheck(gpu, 'attention+dropout', [{ data: randn(2 * 3 * 6, 34), shape: [2, 3, 6] }], ([x]) => attention(x, 1, { dropout: 0.3, seed: 9 }), { maxCoords: 36 });
  report('softmax gradcheck', e1[0]);
  report('causalMask∘softmax gradcheck', e2[0]);
  report('attention gradcheck', Math.max(e3[0], e4[0]));
});

test('no graph: noGrad attention keeps no buffers; the graph releases its saved buffers in backward', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const x = Tensor.from(gpu, randn(2 * 7 * 9, 1), [2, 7, 9], { requiresGrad: true });
    await gpu.sync();
    const before = gpu.pool.stats().inUseBytes;
    const out = noGrad(() => attention(x, 3, { dropout: 0.2, seed: 1 }));
    assert.is(out.backwardFn, null);
    out.dispose();
    assert.is(gpu.pool.stats().inUseBytes, before, 'noGrad attention returns its scratch buffers');
    const y = attention(x, 3, { dropout: 0.2, seed: 1 });
    backward(y);
    x.grad!.dispose();
    x.grad = null;
    y.dispose();
    assert.is(gpu.pool.stats().inUseBytes, before, 'backward released the saved probabilities');
  });
});

test('attentionDecode: prefix, a chunk, then one token at a time equals attention on the whole sequence', async () => {
  const gpu = await getGpu();
  for (const [B, T, H, hd, prefix] of [
    [1, 6, 2, 3, 1],
    [2, 11, 3, 4, 5],
    [1, 9, 1, 64, 4],
  ]) {
    await gpu.scope(async () => {
      const C = H * hd;
      const qkv = randn(B * T * 3 * C, 100 + T);
      const full = await noGrad(() => attention(Tensor.from(gpu, qkv, [B, T, 3 * C]), H)).toArray();
      const cache = createKVCache(gpu, { B, maxT: T + 2, C });
      try {
        const rows = (t0: number, t1: number) => {
          const out = new Float32Array(B * (t1 - t0) * 3 * C);
          for (let b = 0; b < B; b++) out.set(qkv.subarray((b * T + t0) * 3 * C, (b * T + t1) * 3 * C), b * (t1 - t0) * 3 * C);
          return Tensor.from(gpu, out, [B, t1 - t0, 3 * C]);
        };
        let maxErr = 0;
        const check = async (o: Tensor, t0: number, t1: number) => {
          const got = await o.toArray();
          const want: number[] = [];
          for (let b = 0; b < B; b++) want.push(...full.subarray((b * T + t0) * C, (b * T + t1) * C));
          maxErr = Math.max(maxErr, assertClose(got, want, { atol: 1e-5, rtol: 0, name: `decode rows ${t0}…${t1 - 1}` }));
        };
        // the prefix at once, then (where there is room) a chunk of 3, then one token at a time
        const steps: [number, number][] = [[0, prefix]];
        let t = prefix;
        if (T - t > 4) steps.push([t, (t += 3)]);
        for (; t < T; t++) steps.push([t, t + 1]);
        for (const [t0, t1] of steps) await check(attentionDecode(rows(t0, t1), cache, t0, H), t0, t1);
        assert.is(cache.length, T);
        report('attentionDecode vs full attention', maxErr);
      } finally {
        cache.dispose();
      }
    });
  }
});

test('attentionDecode refuses positions past maxT, gaps and mismatched shapes', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const cache = createKVCache(gpu, { B: 1, maxT: 4, C: 6 });
    try {
      const x = (Tn: number) => Tensor.zeros(gpu, [1, Tn, 18]);
      assert.throws(() => attentionDecode(x(3), cache, 2, 2), /pos 2 \+ 3 new positions = 5 exceeds the KV cache's maxT 4/);
      assert.throws(() => attentionDecode(x(1), cache, 1, 2), /pos 1 leaves a gap/);
      assert.throws(() => attentionDecode(Tensor.zeros(gpu, [2, 1, 18]), cache, 0, 2), /attentionDecode: shape mismatch: qkv is \[2, 1, 18\], expected \[1, \*, 18\]/);
      attentionDecode(x(4), cache, 0, 2);
      assert.is(cache.length, 4);
    } finally {
      cache.dispose();
    }
    assert.throws(() => attentionDecode(Tensor.zeros(gpu, [1, 1, 18]), cache, 0, 2), /cache was disposed/);
    assert.throws(() => createKVCache(gpu, { B: 1, maxT: 0, C: 6 }), /maxT must be a positive integer, got 0/);
  });
});

interface FixtureFile {
  meta: Record<string, number | string>;
  tensors: Record<string, { shape: number[]; data: (number | string | null)[] }>;
}

/**
 * Reads a gen.py fixture. Python's json.dump writes ±inf as bare `-Infinity`/`Infinity` (not JSON),
 * so those tokens are quoted before JSON.parse and turned back into numbers here.
 */
function readFixture(name: string): { meta: FixtureFile['meta']; t: (key: string) => { shape: number[]; data: Float64Array } } {
  const text = readFileSync(FIXTURES + name, 'utf8').replace(/(?<=[[,:]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g, '"$1"');
  const f = JSON.parse(text) as FixtureFile;
  const num = (v: number | string | null): number => {
    if (typeof v === 'number') return v;
    if (v === '-inf' || v === '-Infinity') return -Infinity;
    if (v === 'inf' || v === 'Infinity') return Infinity;
    if (v === 'NaN' || v === 'nan') return NaN;
    throw new Error(`${name}: unexpected value ${JSON.stringify(v)}`);
  };
  return {
    meta: f.meta,
    t: (key) => {
      const e = f.tensors[key];
      if (!e) throw new Error(`${name}: no tensor '${key}' (has ${Object.keys(f.tensors).join(', ')})`);
      return { shape: e.shape, data: Float64Array.from(e.data, num) };
    },
  };
}

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

test('PyTorch fixture attention.json (the course MHA core): out, attn and grad_qkv', async () => {
  const gpu = await getGpu();
  const { meta, t } = readFixture('attention.json');
  const qkv = t('qkv');
  const H = Number(meta.n_heads);
  const [B, T, C3] = qkv.shape;
  assert.is(C3, 3 * Number(meta.C));
  await gpu.scope(async () => {
    const x = Tensor.from(gpu, qkv.data, qkv.shape, { requiresGrad: true });
    const { out, probs } = attentionWithProbs(x, H);
    report('attention fwd vs PyTorch', assertClose(await out.toArray(), t('out').data, { atol: 1e-6, rtol: 1e-5, name: 'attention.json out' }));
    assert.equal(t('attn').shape, [B, H, T, T]);
    report('attention probs vs PyTorch', assertClose(await probs.toArray(), t('attn').data, { atol: 1e-6, rtol: 1e-5, name: 'attention.json attn' }));
    const go = t('grad_out');
    backward(out, Tensor.from(gpu, go.data, go.shape));
    report('attention bwd vs PyTorch', assertClose(await x.grad!.toArray(), t('grad_qkv').data, { atol: 1e-5, rtol: 1e-4, name: 'attention.json grad_qkv' }));
    // the CPU reference agrees with PyTorch too (it is the oracle of the odd-shape tests above)
    assertClose(attentionRef(qkv.data, B, T, C3 / 3, H).out, t('out').data, { atol: 1e-6, rtol: 1e-5, name: 'attentionRef vs PyTorch' });
    assertClose(attentionBwdRef(qkv.data, go.data, B, T, C3 / 3, H), t('grad_qkv').data, { atol: 1e-6, rtol: 1e-5, name: 'attentionBwdRef vs PyTorch' });
  });
});

test.run();
