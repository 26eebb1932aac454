// The fused (flash) attention path — attention / attentionQKV without probabilities, and KV-cache decode — against
// the unfused kernels (attentionWithProbs / attentionQKVWithProbs keep them), the CPU reference and the PyTorch
// fixtures, at sizes that are not multiples of the tiles; finite differences; dispatch counts and memory.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu, diffCounters } from '../src/gpu/device.ts';
import { Tensor, backward, noGrad } from '../src/autograd/tensor.ts';
import { attention, attentionWithProbs, attentionQKV, attentionQKVWithProbs, attentionDecode, attentionDecodeQKV, createKVCache, type AttentionOptions } from '../src/ops/attention.ts';
import { dropThreshold } from '../src/ops/random.ts';
import { attentionRef, attentionBwdRef, attentionQKVRef, attentionQKVBwdRef, type AttnRefOptions } from '../src/ref/attention.ts';
import { assertClose, randn, fileReport, readFixture } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';

const report = fileReport(test.after);

// these tests exercise the best tier of every flash kernel (the cheap tier gives the same bits: gpu-tiers.test.ts)
test.before(async () => {
  (await getGpu()).setPolicy({ tiers: 'best' });
});

/**
 * The two backward forms of the fused path: flash_dq + flash_dkv (policy flash.dsBytes = 0), and for short sequences
 * flash_d + flash_dkv…_ds + one DS·K product for dq (the default policy at these sizes).
 */
async function bothBackwards(fn: (form: string) => Promise<void>): Promise<void> {
  const gpu = await getGpu();
  for (const [form, dsBytes] of [['flash_dq', 0], ['ds·K', 8 << 20]] as const) await gpu.withPolicy({ flash: { ...gpu.policy.flash, dsBytes } }, () => fn(form));
}

const FWD = { atol: 1e-6, rtol: 1e-5 };
const BWD = { atol: 1e-5, rtol: 1e-4 };

interface Case {
  B: number;
  Tq: number;
  Tk: number;
  H: number;
  hd: number;
  causal?: boolean;
  /** key lengths per batch row (0 = the whole row padded) */
  lengths?: number[];
  scale?: number;
  dropout?: number;
  seed?: number;
}

const name = (c: Case) =>
  `B${c.B} Tq${c.Tq} Tk${c.Tk} H${c.H} hd${c.hd}${c.causal ? ' causal' : ''}${c.lengths ? ` len[${c.lengths}]` : ''}${c.scale ? ` scale${c.scale}` : ''}${c.dropout ? ` p${c.dropout}` : ''}`;

const maskOf = (c: Case) => (c.lengths ? Array.from({ length: c.B * c.Tk }, (_, e) => (e % c.Tk < c.lengths![Math.floor(e / c.Tk)] ? 1 : 0)) : undefined);

/** fused vs unfused (same call with probabilities) vs the CPU reference: out, dq, dk, dv. */
async function checkFused(c: Case): Promise<void> {
  const gpu = await getGpu();
  const { B, Tq, Tk, H, hd } = c;
  const C = H * hd;
  const tag = name(c);
  await gpu.scope(async () => {
    const s = B * 131 + Tq * 17 + Tk * 3 + hd;
    const q = randn(B * Tq * C, s, -1.5, 1.5);
    const k = randn(B * Tk * C, s + 1, -1.5, 1.5);
    const v = randn(B * Tk * C, s + 2);
    const dout = randn(B * Tq * C, s + 3);
    const keyMask = maskOf(c);
    const o: AttentionOptions = { heads: H, causal: c.causal, scale: c.scale, dropout: c.dropout, seed: c.seed, keyMask };
    const run = (withProbs: boolean) => {
      const ts = [q, k, v].map((a, i) => Tensor.from(gpu, a, [B, i === 0 ? Tq : Tk, C], { requiresGrad: true }));
      const out = withProbs ? attentionWithProbs(ts[0], ts[1], ts[2], o).out : attention(ts[0], ts[1], ts[2], o);
      backward(out, Tensor.from(gpu, dout, [B, Tq, C]));
      return { out, ts };
    };
    const fused = run(false);
    const unfused = run(true);
    const ro: AttnRefOptions = { causal: c.causal, keyMask, scale: c.scale, dropout: c.dropout, seed: c.seed, thr: c.dropout ? dropThreshold(c.dropout) : undefined };
    const dims = { B, Tq, Tk, C, H };
    const ref = attentionRef(q, k, v, dims, ro).out;
    const g = attentionBwdRef(q, k, v, dout, dims, ro);
    const fo = await fused.out.toArray();
    report('fused out vs ref', assertClose(fo, ref, { ...FWD, name: `out ${tag}` }));
    report('fused out vs unfused', assertClose(fo, await unfused.out.toArray(), { ...FWD, name: `out fused vs unfused ${tag}` }));
    if (c.lengths) {
      c.lengths.forEach((L, b) => {
        if (L === 0) assert.ok(fo.slice(b * Tq * C, (b + 1) * Tq * C).every((x) => x === 0), `${tag}: the fully padded batch row ${b} gives exact zeros`);
      });
    }
    for (const [i, gn, want] of [[0, 'dq', g.dq], [1, 'dk', g.dk], [2, 'dv', g.dv]] as const) {
      const got = await fused.ts[i].grad!.toArray();
      assert.ok(got.every(Number.isFinite), `${tag}: ${gn} is finite`);
      report(`fused ${gn} vs ref`, assertClose(got, want, { ...BWD, name: `${gn} ${tag}` }));
      report(`fused ${gn} vs unfused`, assertClose(got, await unfused.ts[i].grad!.toArray(), { ...BWD, name: `${gn} fused vs unfused ${tag}` }));
    }
  });
}

test('fused attention = unfused = reference: odd T (not a multiple of the 2-row or 4-key tiles), odd hd, Tq ≠ Tk, causal with q0 > 0, padding incl. an all-padded row, scale, dropout', async () => {
  const cases: Case[] = [
    { B: 1, Tq: 1, Tk: 1, H: 1, hd: 1 },
    { B: 2, Tq: 7, Tk: 7, H: 3, hd: 5, causal: true }, // scalar loads, T odd
    { B: 1, Tq: 13, Tk: 13, H: 2, hd: 8, causal: true }, // vec4 loads
    { B: 3, Tq: 6, Tk: 9, H: 2, hd: 5, lengths: [7, 0, 9] }, // cross, padded, row 1 all padded
    { B: 2, Tq: 3, Tk: 11, H: 2, hd: 8, causal: true, lengths: [11, 5] }, // causal, q0 = 8, padded
    { B: 2, Tq: 13, Tk: 6, H: 4, hd: 5 }, // Tq > Tk
    { B: 2, Tq: 9, Tk: 9, H: 2, hd: 5, causal: true, dropout: 0.3, seed: 11 }, // dropout on, scalar
    { B: 3, Tq: 5, Tk: 10, H: 1, hd: 8, lengths: [3, 0, 10], scale: 0.6, dropout: 0.25, seed: 4 }, // dropout + padding + scale, vec4
    { B: 1, Tq: 33, Tk: 33, H: 2, hd: 64, causal: true, dropout: 0.1, seed: 2 }, // GPT's head size, long unrolled rows
  ];
  for (const c of cases) await bothBackwards(() => checkFused(c));
});

test('fused attentionQKV (strided q, k, v slices read in place) = attentionQKVWithProbs = reference, with and without dropout', async () => {
  const gpu = await getGpu();
  for (const [B, T, H, hd, p] of [[2, 9, 2, 8, 0], [1, 11, 3, 5, 0.2], [2, 6, 2, 8, 0.4]] as const) {
    await bothBackwards(() => gpu.scope(async () => {
      const C = H * hd;
      const qkv = randn(B * T * 3 * C, 500 + T * hd, -1.5, 1.5);
      const dout = randn(B * T * C, 600 + T);
      const o = { causal: true, dropout: p, seed: 5 };
      const tag = `qkv B${B} T${T} H${H} hd${hd} p${p}`;
      const a = Tensor.from(gpu, qkv, [B, T, 3 * C], { requiresGrad: true });
      const b = Tensor.from(gpu, qkv, [B, T, 3 * C], { requiresGrad: true });
      const fo = attentionQKV(a, H, o);
      const uo = attentionQKVWithProbs(b, H, o).out;
      backward(fo, Tensor.from(gpu, dout, [B, T, C]));
      backward(uo, Tensor.from(gpu, dout, [B, T, C]));
      const ro = { causal: true, dropout: p, seed: 5, thr: dropThreshold(p) };
      const fv = await fo.toArray();
      report('fused qkv out vs ref', assertClose(fv, attentionQKVRef(qkv, B, T, C, H, ro).out, { ...FWD, name: `out ${tag}` }));
      report('fused qkv out vs unfused', assertClose(fv, await uo.toArray(), { ...FWD, name: `out fused vs unfused ${tag}` }));
      const fg = await a.grad!.toArray();
      report('fused dqkv vs ref', assertClose(fg, attentionQKVBwdRef(qkv, dout, B, T, C, H, ro), { ...BWD, name: `dqkv ${tag}` }));
      report('fused dqkv vs unfused', assertClose(fg, await b.grad!.toArray(), { ...BWD, name: `dqkv fused vs unfused ${tag}` }));
    }));
  }
});

test('fused backward (both forms) with shared and partial grad targets: (x, x, x), k = v, only q needs grad, only k and v need grad, += into an existing grad', async () => {
  const gpu = await getGpu();
  await bothBackwards((form) => gpu.scope(async () => {
    const [B, T, Tk, H, hd] = [2, 5, 7, 2, 5];
    const C = H * hd;
    const x = randn(B * T * C, 71);
    const e = randn(B * Tk * C, 72);
    const dout = randn(B * T * C, 73);
    const G = () => Tensor.from(gpu, dout, [B, T, C]);
    // (x, x, x): dk and dv land in one buffer (the shared dk/dv kernel), dq in the same one before them
    const xt = Tensor.from(gpu, x, [B, T, C], { requiresGrad: true });
    backward(attention(xt, xt, xt, { heads: H, causal: true, dropout: 0.2, seed: 3 }), G());
    const ro = { causal: true, dropout: 0.2, seed: 3, thr: dropThreshold(0.2) };
    const g1 = attentionBwdRef(x, x, x, dout, { B, Tq: T, Tk: T, C, H }, ro);
    report('fused shared grads vs ref', assertClose(await xt.grad!.toArray(), Array.from(g1.dq, (v, i) => v + g1.dk[i] + g1.dv[i]), { ...BWD, name: 'x,x,x grad' }));
    // cross attention with k = v = the encoder output
    const qt = Tensor.from(gpu, x, [B, T, C], { requiresGrad: true });
    const et = Tensor.from(gpu, e, [B, Tk, C], { requiresGrad: true });
    backward(attention(qt, et, et, { heads: H, keyLengths: [7, 4] }), G());
    const km = Array.from({ length: B * Tk }, (_, i) => (i % Tk < [7, 4][Math.floor(i / Tk)] ? 1 : 0));
    const g2 = attentionBwdRef(x, e, e, dout, { B, Tq: T, Tk, C, H }, { keyMask: km });
    report('fused dq vs ref', assertClose(await qt.grad!.toArray(), g2.dq, { ...BWD, name: 'k = v: dq' }));
    report('fused shared grads vs ref', assertClose(await et.grad!.toArray(), Array.from(g2.dk, (v, i) => v + g2.dv[i]), { ...BWD, name: 'k = v: dk + dv' }));
    // only q needs grad (no dk/dv dispatch), then only k and v (D is still computed, no dq written)
    const q3 = Tensor.from(gpu, x, [B, T, C], { requiresGrad: true });
    const k3 = Tensor.from(gpu, e, [B, Tk, C]);
    const v3 = Tensor.from(gpu, randn(B * Tk * C, 74), [B, Tk, C]);
    const c0 = { ...gpu.counters };
    backward(attention(q3, k3, v3, { heads: H }), G());
    assert.is(diffCounters(gpu.counters, c0).dispatches, 2, 'forward + flash_dq only');
    const vv = await v3.toArray();
    const g3 = attentionBwdRef(x, e, vv, dout, { B, Tq: T, Tk, C, H });
    assertClose(await q3.grad!.toArray(), g3.dq, { ...BWD, name: 'only dq' });
    const q4 = Tensor.from(gpu, x, [B, T, C]);
    const k4 = Tensor.from(gpu, e, [B, Tk, C], { requiresGrad: true });
    const v4 = Tensor.from(gpu, vv, [B, Tk, C], { requiresGrad: true });
    v4.grad = Tensor.from(gpu, randn(B * Tk * C, 75), [B, Tk, C]); // dv accumulates (+=), dk is written (=)
    const pre = await v4.grad.toArray();
    backward(attention(q4, k4, v4, { heads: H }), G());
    assertClose(await k4.grad!.toArray(), g3.dk, { ...BWD, name: 'only dk, dv: dk' });
    assertClose(await v4.grad!.toArray(), Array.from(g3.dv, (v, i) => v + pre[i]), { ...BWD, name: `only dk, dv: dv += (${form})` });
  }));
});

test('gradCheck: fused attention (causal cross with padding and dropout; attentionQKV)', async () => {
  const gpu = await getGpu();
  const [B, Tq, Tk, C] = [2, 3, 5, 10];
  const inputs = [
    { data: randn(B * Tq * C, 80), shape: [B, Tq, C] },
    { data: randn(B * Tk * C, 81), shape: [B, Tk, C] },
    { data: randn(B * Tk * C, 82), shape: [B, Tk, C] },
  ];
  const e1 = await gradCheck(gpu, 'flash causal cross padded dropout', inputs, ([q, k, v]) => attention(q, k, v, { heads: 2, causal: true, keyLengths: [5, 4], dropout: 0.3, seed: 8 }), { maxCoords: 30 });
  const e2 = await gradCheck(gpu, 'flash attentionQKV', [{ data: randn(1 * 5 * 30, 83), shape: [1, 5, 30] }], ([x]) => attentionQKV(x, 2, { causal: true }), { maxCoords: 40 });
  report('fused gradcheck', Math.max(...e1, ...e2));
});

test('PyTorch fixtures through the fused path: attention.json (qkv) and attention_general.json (out, grad q/k/v)', async () => {
  const gpu = await getGpu();
  {
    const { meta, t } = readFixture('attention.json');
    const qkv = t('qkv');
    await gpu.scope(async () => {
      const x = Tensor.from(gpu, qkv.data, qkv.shape, { requiresGrad: true });
      const out = attentionQKV(x, Number(meta.n_heads), { causal: true });
      report('fused fwd vs PyTorch', assertClose(await out.toArray(), t('out').data, { atol: 1e-6, rtol: 1e-5, name: 'attention.json out' }));
      const go = t('grad_out');
      backward(out, Tensor.from(gpu, go.data, go.shape));
      report('fused bwd vs PyTorch', assertClose(await x.grad!.toArray(), t('grad_qkv').data, { atol: 1e-5, rtol: 1e-4, name: 'attention.json grad_qkv' }));
    });
  }
  const { meta, t, has } = readFixture('attention_general.json');
  for (const cn of String(meta.cases).split(',')) {
    await gpu.scope(async () => {
      const x = (key: string) => t(`${cn}.${key}`);
      const [qt, kt, vt] = [x('q'), x('k'), x('v')].map((a) => Tensor.from(gpu, a.data, a.shape, { requiresGrad: true }));
      const keyMask = has(`${cn}.key_mask`) ? Array.from(x('key_mask').data) : undefined;
      const out = attention(qt, kt, vt, { heads: Number(meta[`${cn}.heads`]), causal: Number(meta[`${cn}.causal`]) === 1, keyMask });
      report('fused fwd vs PyTorch', assertClose(await out.toArray(), x('out').data, { atol: 1e-6, rtol: 1e-5, name: `${cn} out` }));
      const go = x('grad_out');
      backward(out, Tensor.from(gpu, go.data, go.shape));
      for (const [g, ten] of [['q', qt], ['k', kt], ['v', vt]] as const) {
        report('fused bwd vs PyTorch', assertClose(await ten.grad!.toArray(), x(`grad_${g}`).data, { atol: 1e-5, rtol: 1e-4, name: `${cn} grad_${g}` }));
      }
    });
  }
});

test('fused decode: one dispatch per call (attention + cache write), = the reference over the whole sequence with left padding; the cache holds the new rows', async () => {
  const gpu = await getGpu();
  for (const [B, T, H, hd, v4] of [[2, 10, 3, 5, false], [2, 10, 2, 8, true]] as const) {
    await gpu.scope(async () => {
      const C = H * hd;
      const [q, k, v] = [91, 92, 93].map((s) => randn(B * T * C, s + hd));
      const keyMask = Array.from({ length: B * T }, (_, e) => (Math.floor(e / T) === 1 && e % T < 3 ? 0 : 1)); // row 1 left-padded by 3
      const full = attentionRef(q, k, v, { B, Tq: T, Tk: T, C, H }, { causal: true, keyMask }).out;
      const sl = (a: Float32Array, t0: number, t1: number) => {
        const out = new Float32Array(B * (t1 - t0) * C);
        for (let b = 0; b < B; b++) out.set(a.subarray((b * T + t0) * C, (b * T + t1) * C), b * (t1 - t0) * C);
        return Tensor.from(gpu, out, [B, t1 - t0, C]);
      };
      const cache = createKVCache(gpu, { B, maxT: T + 1, C });
      let err = 0;
      try {
        for (const [t0, t1] of [[0, 5], [5, 6], [6, 9], [9, 10]]) {
          const args = [sl(q, t0, t1), sl(k, t0, t1), sl(v, t0, t1)] as const;
          const c0 = { ...gpu.counters };
          const o = attentionDecode(args[0], args[1], args[2], cache, t0, { heads: H, keyMask: keyMask.filter((_, e) => e % T < t1) });
          assert.is(diffCounters(gpu.counters, c0).dispatches, 1, 'decode is one dispatch');
          const want: number[] = [];
          for (let b = 0; b < B; b++) want.push(...full.subarray((b * T + t0) * C, (b * T + t1) * C));
          err = Math.max(err, assertClose(await o.toArray(), want, { ...FWD, name: `decode ${t0}…${t1 - 1} hd${hd}` }));
        }
        const [kc, vc] = [await gpu.readF32(cache.k, B * (T + 1) * C), await gpu.readF32(cache.v, B * (T + 1) * C)];
        for (let b = 0; b < B; b++) {
          assert.equal(Array.from(kc.subarray(b * (T + 1) * C, (b * (T + 1) + T) * C)), Array.from(k.subarray(b * T * C, (b + 1) * T * C)), `cache k rows, batch ${b}`);
          assert.equal(Array.from(vc.subarray(b * (T + 1) * C, (b * (T + 1) + T) * C)), Array.from(v.subarray(b * T * C, (b + 1) * T * C)), `cache v rows, batch ${b}`);
        }
      } finally {
        cache.dispose();
      }
      report(`fused decode vs ref (${v4 ? 'vec4' : 'scalar'} loads)`, err);
    });
  }
  // the fused-qkv decode: one dispatch per token too
  await gpu.scope(async () => {
    const cache = createKVCache(gpu, { B: 1, maxT: 4, C: 8 });
    try {
      attentionDecodeQKV(Tensor.from(gpu, randn(3 * 24, 1), [1, 3, 24]), cache, 0, 2);
      const c0 = { ...gpu.counters };
      attentionDecodeQKV(Tensor.from(gpu, randn(24, 2), [1, 1, 24]), cache, 3, 2);
      assert.is(diffCounters(gpu.counters, c0).dispatches, 1);
    } finally {
      cache.dispose();
    }
  });
});

test('fused training attention: 1 dispatch forward, 2 backward (flash_dq, flash_dkv; or for short sequences flash_d, flash_dkv…_ds, the DS·K product: 3), and no [B, H, T, T] buffer (pool bytes in use while the graph is held)', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const [B, T, H, hd] = [2, 64, 2, 8];
    const C = H * hd;
    const x = Tensor.from(gpu, randn(B * T * 3 * C, 3), [B, T, 3 * C], { requiresGrad: true });
    const dout = Tensor.from(gpu, randn(B * T * C, 4), [B, T, C]);
    await gpu.sync();
    const inUse0 = gpu.pool.stats().inUseBytes;
    const c0 = { ...gpu.counters };
    const out = attentionQKV(x, H, { causal: true, dropout: 0.1, seed: 1 });
    assert.is(diffCounters(gpu.counters, c0).dispatches, 1, 'forward: one dispatch');
    const held = gpu.pool.stats().inUseBytes - inUse0;
    const tt = B * H * T * T * 4;
    console.log(`  fused forward holds ${held} B (out + log-sum-exp); one [B, H, T, T] buffer would be ${tt} B`);
    assert.ok(held < tt / 2, `held ${held} B < half of one T×T buffer (${tt} B)`);
    const c1 = { ...gpu.counters };
    backward(out, dout);
    assert.is(diffCounters(gpu.counters, c1).dispatches, 3, 'backward, short sequence (default policy): flash_d + flash_dkv…_ds + weighted (dq = DS·K)');
    const x2 = Tensor.from(gpu, randn(B * T * 3 * C, 3), [B, T, 3 * C], { requiresGrad: true });
    await gpu.withPolicy({ flash: { ...gpu.policy.flash, dsBytes: B * H * T * T * 4 - 1 } }, () => {
      const out2 = attentionQKV(x2, H, { causal: true, dropout: 0.1, seed: 1 });
      const c2 = { ...gpu.counters };
      backward(out2, dout);
      assert.is(diffCounters(gpu.counters, c2).dispatches, 2, 'backward past dsBytes: flash_dq + flash_dkv');
    });
    const noG = noGrad(() => attentionQKV(x, H, { causal: true }));
    assert.is(noG.backwardFn, null);
  });
});

test.run();
