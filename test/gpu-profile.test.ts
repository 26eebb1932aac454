// The Gpu's work counters (dispatches, passes, submits, readbacks, uploads) and profile mode (per-kernel
// dispatch counts and GPU ms) on known op sequences. Counts only: no timing assertions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu, diffCounters } from '../src/gpu/device.ts';
import { encodeMatmul } from '../src/ops/matmul.ts';
import { encodeCopy } from '../src/ops/elementwise.ts';
import { Tensor, noGrad } from '../src/autograd/tensor.ts';
import { gelu } from '../src/ops/unary.ts';
import { AdamW } from '../src/train/adamw.ts';
import { randn } from './helpers.ts';

test('counters: matmul + copy + readback = 2 dispatches, 1 pass, 1 submit, 1 readback; uploads submit pending work only when it uses their buffer', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const [M, N, K] = [7, 5, 3];
    const a = gpu.buffer(Float32Array.from(randn(M * K, 1)));
    const b = gpu.buffer(Float32Array.from(randn(K * N, 2)));
    const c = gpu.buffer(M * N * 4); // records a clear
    const d = gpu.buffer(M * N * 4);
    await gpu.sync();
    const c0 = { ...gpu.counters };
    encodeMatmul(gpu, { a, b, c, M, N, K, sAm: K, sAk: 1, sBk: N, sBn: 1 });
    encodeCopy(gpu, c, d, M * N, 0);
    await gpu.readF32(d, M * N);
    const n = diffCounters(gpu.counters, c0);
    console.log(`  counters: ${JSON.stringify({ ...n, waitMs: undefined, submitMs: undefined })}`);
    assert.is(n.dispatches, 2);
    assert.is(n.passes, 1, 'both dispatches share one compute pass');
    assert.is(n.submits, 1, 'one submit for the readback');
    assert.is(n.readbacks, 1);
    assert.is(n.readbackBytes, M * N * 4);
    assert.is(n.uniformWrites, 2, 'one uniform block per dispatch');
    assert.is(n.uploads, 0);
    assert.is(n.copies, 1, 'the readback copies into its staging buffer');
    assert.ok(n.waitMs >= 0 && n.submitMs >= 0);
    assert.is(gpu.dispatchCount - c0.dispatches, 2, 'dispatchCount is the counter');

    // recorded work, then an upload into a buffer that work does not use: no submit (one command buffer)
    const c1 = { ...gpu.counters };
    encodeCopy(gpu, c, d, M * N, 0);
    gpu.upload(a, new Float32Array(M * K));
    assert.is(diffCounters(gpu.counters, c1).submits, 0, 'an upload into an unused buffer does not submit');
    await gpu.sync();
    const m = diffCounters(gpu.counters, c1);
    assert.is(m.dispatches, 1);
    assert.is(m.uploads, 1);
    assert.is(m.uploadBytes, M * K * 4);
    assert.is(m.submits, 1);
    assert.is(m.syncs, 1);
    assert.is(m.readbacks, 0);

    // an upload into a buffer the recorded work writes: that work is submitted first, so the upload wins
    const c2 = { ...gpu.counters };
    encodeCopy(gpu, c, d, M * N, 0);
    const mark = Float32Array.from({ length: M * N }, (_, i) => 1000 + i);
    gpu.upload(d, mark);
    assert.is(diffCounters(gpu.counters, c2).submits, 1, 'the pending copy into d was submitted before the upload');
    assert.equal([...(await gpu.readF32(d, M * N))], [...mark], 'upload lands after the recorded copy');
    // and one the recorded work reads: the copy sees the old contents
    const before = await gpu.readF32(c, M * N);
    encodeCopy(gpu, c, d, M * N, 0);
    gpu.upload(c, mark);
    assert.equal([...(await gpu.readF32(d, M * N))], [...before], 'the recorded copy read c before the upload');
    assert.equal([...(await gpu.readF32(c, M * N))], [...mark]);
  });
});

test('profile: per-kernel dispatch counts and finite GPU ms; work is unchanged; counters still count', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const [M, N, K] = [9, 6, 4];
    const av = Float32Array.from(randn(M * K, 3));
    const bv = Float32Array.from(randn(K * N, 4));
    const a = gpu.buffer(av);
    const b = gpu.buffer(bv);
    const c = gpu.buffer(M * N * 4);
    const x = Tensor.from(gpu, Float32Array.from(randn(50, 5)), [50]);
    const run = async () => {
      for (let i = 0; i < 3; i++) encodeMatmul(gpu, { a, b, c, M, N, K, sAm: K, sAk: 1, sBk: N, sBn: 1 });
      const y = noGrad(() => gelu(x));
      return Promise.all([gpu.readF32(c, M * N), y.toArray()]);
    };
    const [plainC, plainY] = await run();
    const c0 = { ...gpu.counters };
    gpu.beginProfile();
    assert.throws(() => gpu.beginProfile(), /already profiling/);
    const [profC, profY] = await run();
    const p = await gpu.endProfile();
    let threw = '';
    await gpu.endProfile().catch((e: Error) => (threw = e.message));
    assert.match(threw, /not profiling/);
    const n = diffCounters(gpu.counters, c0);
    console.log(`  profile (${p.method}): ${p.entries.map((e) => `${e.kernel} ×${e.dispatches} ${e.gpuMs.toFixed(3)} ms`).join('; ')}`);
    assert.equal([...profC], [...plainC], 'profiled matmul gives the same result');
    assert.equal([...profY], [...plainY], 'profiled gelu gives the same result');
    assert.is(p.method, gpu.features.has('timestamp-query') ? 'timestamp-query' : 'submit-per-dispatch');
    const mm = p.entries.find((e) => e.family === 'matmul');
    const un = p.entries.find((e) => e.family === 'unary');
    assert.ok(mm && un, `families found: ${p.entries.map((e) => e.family).join(', ')}`);
    assert.is(mm!.dispatches, 3);
    assert.is(un!.dispatches, 1);
    assert.is(p.entries.reduce((s, e) => s + e.dispatches, 0), 4);
    for (const e of p.entries) assert.ok(Number.isFinite(e.gpuMs) && e.gpuMs >= 0, `${e.kernel}: ${e.gpuMs}`);
    assert.is(n.dispatches, 4);
    assert.is(n.passes, 4, 'profile mode: one pass per dispatch');
    assert.ok(p.encodeMs >= 0);
  });
});

test('AdamW: two parameters per dispatch (5 parameters → 3 dispatches), each updated as the one-parameter kernel does', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const sizes = [5, 70, 1, 64, 3];
    const mk = () => sizes.map((n, i) => Tensor.param(gpu, Float32Array.from(randn(n, 20 + i)), [n], `p${i}`));
    const paired = mk();
    const single = mk();
    const o2 = new AdamW(paired, { lr: 1e-2, weightDecay: 0.1 });
    const o1 = sizes.map((_, i) => new AdamW([single[i]], { lr: 1e-2, weightDecay: 0.1 }));
    for (let t = 1; t <= 3; t++) {
      sizes.forEach((n, i) => {
        const g = Float32Array.from(randn(n, 100 * t + i));
        gpu.upload(paired[i].grad!.buffer, g);
        gpu.upload(single[i].grad!.buffer, g);
      });
      const c0 = { ...gpu.counters };
      o2.step();
      assert.is(diffCounters(gpu.counters, c0).dispatches, 3);
      for (const o of o1) o.step();
    }
    let worst = 0;
    for (let i = 0; i < sizes.length; i++) {
      const [a, b] = [await paired[i].toArray(), await single[i].toArray()];
      for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]));
    }
    console.log(`  AdamW paired vs one-by-one: max |diff| ${worst}`);
    assert.is(worst, 0, 'bit-identical to the one-parameter kernel');
    o2.dispose();
    o1.forEach((o) => o.dispose());
  });
});

test('gpu.buffer(data) while recorded work uses a released buffer of its size class takes another buffer: no submit', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const a = gpu.buffer(Float32Array.from(randn(64, 1)));
    const d = gpu.buffer(64 * 4);
    await gpu.sync();
    const c0 = { ...gpu.counters };
    encodeCopy(gpu, a, d, 64, 0);
    gpu.pool.release(d); // the pending copy still writes d
    const e = gpu.buffer(new Float32Array(64).fill(7));
    assert.is.not(e, d, 'the pending copy\'s buffer is not handed out for an upload');
    assert.is(diffCounters(gpu.counters, c0).submits, 0, 'so the upload did not submit');
    assert.equal([...(await gpu.readF32(e, 64))], new Array(64).fill(7));
  });
});

test.run();
