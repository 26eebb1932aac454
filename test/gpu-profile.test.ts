// The Gpu's work counters (dispatches, passes, submits, readbacks, uploads) and profile mode (per-kernel
// dispatch counts and GPU ms) on known op sequences, and a GPT step's / KV-cache token's dispatches per op family.
// Counts only: no timing assertions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu, diffCounters } from '../src/gpu/device.ts';
import { encodeMatmul } from '../src/ops/matmul.ts';
import { encodeCopy } from '../src/ops/elementwise.ts';
import { Tensor, IdBatch, noGrad } from '../src/autograd/tensor.ts';
import { GPT } from '../src/model/gpt.ts';
import { PRESETS } from '../src/model/config.ts';
import { Trainer } from '../src/train/trainer.ts';
import { gelu } from '../src/ops/unary.ts';
import { AdamW } from '../src/train/adamw.ts';
import adamWgsl from '../shaders/adamw.wgsl';
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

test('AdamW: all parameters in one dispatch per chunk (copied flat), bit-identical to the one-parameter `step` kernel; parameters split across chunks; moments export and load by name', async () => {
  const gpu = await getGpu();
  const sizes = [5, 70, 1, 64, 3, 129, 2, 17, 9, 33, 1, 4];
  const total = sizes.reduce((a, b) => a + b, 0);
  const hyper = { lr: 1e-2, wd: 0.1, b1: 0.9, b2: 0.999, eps: 1e-8 };
  // the default (one chunk), chunks that cut parameters in two (and a 129-element one in three), one element per chunk
  for (const chunk of [undefined, 50, 1]) {
    await gpu.scope(async () => {
      const flat = sizes.map((n, i) => Tensor.param(gpu, Float32Array.from(randn(n, 20 + i)), [n], `p${i}`));
      // the reference: today's one-parameter kernel on each parameter's own m and v buffers
      // (the kernel updates whole vec4s: each buffer holds a multiple of 4 elements, the padding 0)
      const pad = (n: number) => Math.ceil(n / 4) * 4;
      const single = sizes.map((n, i) => {
        const p0 = new Float32Array(pad(n));
        p0.set(randn(n, 20 + i));
        return { p: gpu.buffer(p0), g: gpu.buffer(pad(n) * 4), m: gpu.buffer(pad(n) * 4), v: gpu.buffer(pad(n) * 4) };
      });
      const one = gpu.kernel({ shader: adamWgsl, entry: 'step' });
      const opt = new AdamW(flat, { lr: hyper.lr, weightDecay: hyper.wd, chunkElements: chunk });
      const want = chunk ? Math.ceil(total / chunk) : 1;
      assert.is(opt.dispatchesPerStep, want);
      for (let t = 1; t <= 3; t++) {
        sizes.forEach((n, i) => {
          const g = Float32Array.from(randn(n, 100 * t + i));
          gpu.upload(flat[i].grad!.buffer, g);
          gpu.upload(single[i].g, g);
        });
        const c0 = { ...gpu.counters };
        opt.step();
        const d = diffCounters(gpu.counters, c0);
        assert.is(d.dispatches, want, `chunk ${chunk}: ${want} dispatches`);
        if (!chunk) assert.is(d.copies, 3 * sizes.length, 'one chunk: each parameter and gradient copied in, the parameter copied back');
        const stepSize = hyper.lr / (1 - Math.pow(hyper.b1, t));
        const bc2sqrt = Math.sqrt(1 - Math.pow(hyper.b2, t));
        sizes.forEach((n, i) => gpu.dispatch(one, { buffers: { param: single[i].p, grad: single[i].g, m: single[i].m, v: single[i].v }, params: { n, ...hyper, stepSize, bc2sqrt }, workgroups: gpu.grid(pad(n) / 4, 64) }));
      }
      const st = await opt.exportState();
      let worst = 0;
      for (let i = 0; i < sizes.length; i++) {
        const pairs: [ArrayLike<number>, Float32Array][] = [
          [await flat[i].toArray(), await gpu.readF32(single[i].p, sizes[i])],
          [st.m.get(`p${i}`)!, await gpu.readF32(single[i].m, sizes[i])],
          [st.v.get(`p${i}`)!, await gpu.readF32(single[i].v, sizes[i])],
        ];
        for (const [a, b] of pairs) {
          assert.is(a.length, sizes[i]);
          for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]));
        }
      }
      console.log(`  AdamW, ${want} dispatch(es) for ${sizes.length} parameters (chunk ${chunk ?? 'default'}) vs the one-parameter kernel (params, m, v after 3 steps): max |diff| ${worst}`);
      assert.is(worst, 0, 'bit-identical to the one-parameter kernel');
      // the exported moments load into an optimizer chunked otherwise and export the same
      const other = new AdamW(flat, { lr: hyper.lr, weightDecay: hyper.wd, chunkElements: chunk === 50 ? 7 : 50 });
      other.loadState(st);
      const back = await other.exportState();
      assert.is(back.step, 3);
      for (const [name, a] of st.m) assert.equal([...back.m.get(name)!], [...a], `m of ${name} round-trips`);
      for (const [name, a] of st.v) assert.equal([...back.v.get(name)!], [...a], `v of ${name} round-trips`);
      opt.dispose();
      other.dispose();
      flat.forEach((p) => p.dispose());
    });
  }
  await gpu.scope(async () => {
    const p = Tensor.param(gpu, [1, 2], [2], 'p');
    assert.throws(() => new AdamW([p], { lr: 1e-3, chunkElements: 0 }), /chunkElements must be an integer in 1…/);
    p.dispose();
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

test('GPT step and KV-cache token: dispatches per op family outside attention/softmax (the #19 dispatch cuts)', async () => {
  const gpu = await getGpu();
  const V = 97;
  const cfg = { ...PRESETS.tiny, vocab_size: V, context_length: 16, dropout: 0 };
  const m = GPT.init(gpu, cfg, 3);
  const trainer = new Trainer(m, { lr: 1e-3, weightDecay: 0.1, seed: 1 });
  const [B, T] = [2, 16];
  const x = Int32Array.from({ length: B * T }, (_, i) => (i * 31) % V);
  const y = Int32Array.from({ length: B * T }, (_, i) => (i * 31 + 1) % V);
  const byFamily = (entries: { family: string; dispatches: number }[]) => {
    const f: Record<string, number> = {};
    for (const e of entries) f[e.family] = (f[e.family] ?? 0) + e.dispatches;
    return f;
  };
  try {
    await trainer.step({ x, y, B, T }, 0); // compiles
    gpu.beginProfile();
    await trainer.step({ x, y, B, T }, 1);
    const step = byFamily((await gpu.endProfile()).entries);
    console.log(`  train step (2 layers): ${JSON.stringify(step)}`);
    const L = cfg.n_layers;
    // per layer 6 matmuls forward + 6 backward (the head: 1 + 2), one AdamW dispatch for all parameters, LayerNorm
    // forward + one fused backward for the 2L + 1 norms, GELU forward + backward-with-bias-sum, the residual
    // projections' 2 bias sums, embeddings gathered + added in one dispatch and scattered in one, no binary add
    assert.equal(
      { matmul: step.matmul, adamw: step.adamw, layernorm: step.layernorm, unary: step.unary, reduce: step.reduce, embedding: step.embedding, cross_entropy: step.cross_entropy, binary: step.binary ?? 0 },
      { matmul: 12 * L + 3, adamw: 1, layernorm: 2 * (2 * L + 1), unary: 2 * L, reduce: 2 * L, embedding: 2, cross_entropy: 3, binary: 0 },
    );
    // attention: one fused forward and two fused backward dispatches per layer (flash_fwd, flash_d, flash_dkv…_ds) and,
    // this sequence being short (policy flash.dsBytes), dq as one DS·K product (attention.wgsl `weighted`); no unfused
    // scores/softmax dispatches (they were 6 attention + 2 softmax per layer)
    assert.equal({ flash: step.flash_attention, attention: step.attention ?? 0, softmax: step.softmax ?? 0 }, { flash: 3 * L, attention: L, softmax: 0 });
    const caches = m.createCaches(1);
    try {
      await gpu.scope(async () => {
        noGrad(() => m.forwardCached(IdBatch.from(gpu, [1, 2, 3], [1, 3], V), caches, 0));
        await gpu.sync();
        gpu.beginProfile();
        const l = noGrad(() => m.forwardCached(IdBatch.from(gpu, [4], [1, 1], V), caches, 3));
        await l.toArray();
        const tok = byFamily((await gpu.endProfile()).entries);
        console.log(`  KV-cache token (2 layers): ${JSON.stringify(tok)}`);
        // LayerNorms inside their matmuls (ln_1→qkv, ln_2→fc, ln_f→head), token + position in one gather
        assert.equal(
          { matmul: tok.matmul, matmul_ln: tok.matmul_ln, layernorm: tok.layernorm ?? 0, embedding: tok.embedding, binary: tok.binary ?? 0 },
          { matmul: 2 * L, matmul_ln: 2 * L + 1, layernorm: 0, embedding: 1, binary: 0 },
        );
        // attention: one flash_decode per layer (it writes the cache too; was scores + softmax + weighted + kv_write)
        assert.equal({ flash: tok.flash_attention, attention: tok.attention ?? 0, softmax: tok.softmax ?? 0 }, { flash: L, attention: 0, softmax: 0 });
      });
    } finally {
      for (const c of caches) c.dispose();
    }
  } finally {
    trainer.optimizer.dispose();
    m.dispose();
  }
});

test.run();
