// Attention ops: general q/k/v attention (bidirectional, causal, padded keys, cross) and the fused-qkv
// GPT entry vs the CPU reference (forward + backward, odd shapes), finite differences, dropout
// determinism, KV-cache decode vs full attention, PyTorch fixtures (attention.json, attention_general.json).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu } from '../src/gpu/device.ts';
import { Tensor, backward, noGrad } from '../src/autograd/tensor.ts';
import { attention, attentionWithProbs, attentionQKV, attentionQKVWithProbs, attentionDecode, attentionDecodeQKV, createKVCache } from '../src/ops/attention.ts';
import { dropThreshold } from '../src/ops/random.ts';
import { attentionRef, attentionBwdRef, attentionQKVRef, attentionQKVBwdRef, type AttnRefOptions } from '../src/ref/attention.ts';
import { keepRef } from '../src/ref/random.ts';
import { assertClose, randn, fileReport, readFixture, throwsMsg } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';
import { attentionShader } from '../shaders/attention_gen.ts';

const report = fileReport(test.after);

// these tests exercise the best tier of every flash kernel (the cheap tier gives the same bits: gpu-tiers.test.ts)
test.before(async () => {
  (await getGpu()).setPolicy({ tiers: 'best' });
});

const FWD = { atol: 1e-6, rtol: 1e-5 };
const BWD = { atol: 1e-5, rtol: 1e-4 };

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
    const { out, probs } = attentionQKVWithProbs(t, H, { causal: true, dropout, seed });
    assert.equal(out.shape, [B, T, C]);
    const thr = dropThreshold(dropout);
    const ref = attentionQKVRef(qkv, B, T, C, H, { causal: true, dropout, seed, thr });
    const tag = `B${B} T${T} H${H} hd${hd} p${dropout}`;
    report('attentionQKV fwd vs ref', assertClose(await out.toArray(), ref.out, { ...FWD, name: `attention out ${tag}` }));
    report('attentionQKV probs vs ref', assertClose(await probs.toArray(), ref.att, { ...FWD, name: `attention probs ${tag}` }));
    backward(out, Tensor.from(gpu, dout, [B, T, C]));
    const g = await t.grad!.toArray();
    report('attentionQKV bwd vs ref', assertClose(g, attentionQKVBwdRef(qkv, dout, B, T, C, H, { causal: true, dropout, seed, thr }), { ...BWD, name: `attention dqkv ${tag}` }));
  });
}

test('attentionQKV (causal): forward, probabilities and dqkv match the reference on odd shapes (T = 1, 5, 17, 33; hd = 1 … 64)', async () => {
  for (const [B, T, H, hd] of SHAPES) await checkAttention(B, T, H, hd, 0, 0);
});

test('attentionQKV with dropout matches the reference with the same seeded mask, forward and backward', async () => {
  await checkAttention(2, 5, 3, 4, 0.25, 1234);
  await checkAttention(1, 17, 2, 7, 0.5, 77);
});

test('attentionQKV dropout: identical seeds give identical outputs, other seeds differ, drop rate ≈ p', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const [B, T, H, hd] = [2, 24, 2, 4];
    const C = H * hd;
    const x = Tensor.from(gpu, randn(B * T * 3 * C, 5), [B, T, 3 * C]);
    const run = async (seed: number, p = 0.3) => attentionQKV(x, H, { causal: true, dropout: p, seed }).toArray();
    const a = await run(42);
    const b = await run(42);
    const c = await run(43);
    assert.equal(Array.from(a), Array.from(b), 'same seed, same output');
    assert.ok(a.some((v, i) => v !== c[i]), 'another seed changes the output');
    const noDrop = await run(42, 0);
    assert.ok(a.some((v, i) => v !== noDrop[i]), 'dropout changes the output');
    // rate: the reference's hash is the shader's (checked above); count dropped entries of the causal part
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
  throwsMsg(() => attentionQKV(Tensor.zeros(gpu, [1, 2, 6]), 1, { dropout: 1 }), /dropout must be in \[0, 1\), got 1/);
  throwsMsg(() => attentionQKV(Tensor.zeros(gpu, [1, 2, 7]), 1), /last dim of qkv must be 3·C/);
  throwsMsg(() => attentionQKV(Tensor.zeros(gpu, [1, 2, 12]), 3), /C = 4 is not divisible by heads = 3/);
});

test('attentionQKV backward accumulates into an existing qkv grad', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const [B, T, H, hd] = [1, 6, 2, 3];
    const C = H * hd;
    const qkv = randn(B * T * 3 * C, 21);
    const dout = randn(B * T * C, 22);
    const pre = randn(B * T * 3 * C, 23);
    const t = Tensor.from(gpu, qkv, [B, T, 3 * C], { requiresGrad: true });
    t.grad = Tensor.from(gpu, pre, [B, T, 3 * C]);
    backward(attentionQKV(t, H, { causal: true }), Tensor.from(gpu, dout, [B, T, C]));
    const ref = attentionQKVBwdRef(qkv, dout, B, T, C, H, { causal: true });
    assertClose(await t.grad!.toArray(), Array.from(ref, (v, i) => v + pre[i]), { ...BWD, name: 'attention acc' });
  });
});

test('gradCheck: attentionQKV (with and without dropout)', async () => {
  const gpu = await getGpu();
  const e3 = await gradCheck(gpu, 'attentionQKV', [{ data: randn(1 * 4 * 12, 33), shape: [1, 4, 12] }], ([x]) => attentionQKV(x, 2, { causal: true }), { maxCoords: 48 });
  const e4 = await gradCheck(gpu, 'attentionQKV+dropout', [{ data: randn(2 * 3 * 6, 34), shape: [2, 3, 6] }], ([x]) => attentionQKV(x, 1, { causal: true, dropout: 0.3, seed: 9 }), { maxCoords: 36 });
  report('attentionQKV gradcheck', Math.max(e3[0], e4[0]));
});

test('no graph: noGrad attention keeps no buffers; the graph releases its saved buffers in backward', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const x = Tensor.from(gpu, randn(2 * 7 * 9, 1), [2, 7, 9], { requiresGrad: true });
    await gpu.sync();
    const before = gpu.pool.stats().inUseBytes;
    const out = noGrad(() => attentionQKV(x, 3, { causal: true, dropout: 0.2, seed: 1 }));
    assert.is(out.backwardFn, null);
    out.dispose();
    assert.is(gpu.pool.stats().inUseBytes, before, 'noGrad attention returns its scratch buffers');
    const y = attentionQKV(x, 3, { causal: true, dropout: 0.2, seed: 1 });
    backward(y);
    x.grad!.dispose();
    x.grad = null;
    y.dispose();
    assert.is(gpu.pool.stats().inUseBytes, before, 'backward released the saved probabilities');
  });
});

test('attentionDecodeQKV: prefix, a chunk, then one token at a time equals attentionQKV on the whole sequence', async () => {
  const gpu = await getGpu();
  for (const [B, T, H, hd, prefix] of [
    [1, 6, 2, 3, 1],
    [2, 11, 3, 4, 5],
    [1, 9, 1, 64, 4],
  ]) {
    await gpu.scope(async () => {
      const C = H * hd;
      const qkv = randn(B * T * 3 * C, 100 + T);
      const full = await noGrad(() => attentionQKV(Tensor.from(gpu, qkv, [B, T, 3 * C]), H, { causal: true })).toArray();
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
        for (const [t0, t1] of steps) await check(attentionDecodeQKV(rows(t0, t1), cache, t0, H), t0, t1);
        assert.is(cache.length, T);
        report('attentionDecodeQKV vs full attention', maxErr);
      } finally {
        cache.dispose();
      }
    });
  }
});

test('attentionDecodeQKV refuses positions past maxT, gaps and mismatched shapes', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const cache = createKVCache(gpu, { B: 1, maxT: 4, C: 6 });
    try {
      const x = (Tn: number) => Tensor.zeros(gpu, [1, Tn, 18]);
      throwsMsg(() => attentionDecodeQKV(x(3), cache, 2, 2), /pos 2 \+ 3 new positions = 5 exceeds the KV cache's maxT 4/);
      throwsMsg(() => attentionDecodeQKV(x(1), cache, 1, 2), /pos 1 leaves a gap/);
      throwsMsg(() => attentionDecodeQKV(Tensor.zeros(gpu, [2, 1, 18]), cache, 0, 2), /attentionDecodeQKV: shape mismatch: qkv is \[2, 1, 18\], expected \[1, \*, 18\]/);
      attentionDecodeQKV(x(4), cache, 0, 2);
      assert.is(cache.length, 4);
    } finally {
      cache.dispose();
    }
    throwsMsg(() => attentionDecodeQKV(Tensor.zeros(gpu, [1, 1, 18]), cache, 0, 2), /cache was disposed/);
    assert.throws(() => createKVCache(gpu, { B: 1, maxT: 0, C: 6 }), /maxT must be a positive integer, got 0/);
  });
});

// ---- general attention (q, k, v) ------------------------------------------------------------------

interface Case {
  B: number;
  Tq: number;
  Tk: number;
  H: number;
  hd: number;
  causal?: boolean;
  /** 'pad': row 0 partly padded, row 1 (when B > 1) fully padded, the rest unpadded; 'lengths': the same as keyLengths */
  mask?: 'pad' | 'lengths';
  scale?: number;
  dropout?: number;
  seed?: number;
}

function caseName(c: Case): string {
  return `B${c.B} Tq${c.Tq} Tk${c.Tk} H${c.H} hd${c.hd}${c.causal ? ' causal' : ''}${c.mask ? ` ${c.mask}` : ''}${c.scale ? ` scale${c.scale}` : ''}${c.dropout ? ` p${c.dropout}` : ''}`;
}

function lengthsOf(c: Case): number[] {
  return Array.from({ length: c.B }, (_, b) => (b === 0 ? Math.max(1, c.Tk - 2) : b === 1 ? 0 : c.Tk));
}

function maskOf(c: Case): number[] | undefined {
  if (!c.mask) return undefined;
  const L = lengthsOf(c);
  return Array.from({ length: c.B * c.Tk }, (_, e) => (e % c.Tk < L[Math.floor(e / c.Tk)] ? 1 : 0));
}

async function checkGeneral(c: Case): Promise<void> {
  const gpu = await getGpu();
  const { B, Tq, Tk, H, hd } = c;
  const C = H * hd;
  const tag = caseName(c);
  await gpu.scope(async () => {
    const seed = B * 100 + Tq * 10 + Tk + hd;
    const q = randn(B * Tq * C, seed, -1.5, 1.5);
    const k = randn(B * Tk * C, seed + 1, -1.5, 1.5);
    const v = randn(B * Tk * C, seed + 2);
    const dout = randn(B * Tq * C, seed + 3);
    const qt = Tensor.from(gpu, q, [B, Tq, C], { requiresGrad: true });
    const kt = Tensor.from(gpu, k, [B, Tk, C], { requiresGrad: true });
    const vt = Tensor.from(gpu, v, [B, Tk, C], { requiresGrad: true });
    const keyMask = maskOf(c);
    const o = { heads: H, causal: c.causal, scale: c.scale, dropout: c.dropout, seed: c.seed, ...(c.mask === 'lengths' ? { keyLengths: lengthsOf(c) } : { keyMask }) };
    const { out, probs } = attentionWithProbs(qt, kt, vt, o);
    assert.equal(out.shape, [B, Tq, C]);
    assert.equal(probs.shape, [B, H, Tq, Tk]);
    const ro: AttnRefOptions = { causal: c.causal, keyMask, scale: c.scale, dropout: c.dropout, seed: c.seed, thr: c.dropout ? dropThreshold(c.dropout) : undefined };
    const dims = { B, Tq, Tk, C, H };
    const ref = attentionRef(q, k, v, dims, ro);
    const ov = await out.toArray();
    const pv = await probs.toArray();
    report('attention fwd vs ref', assertClose(ov, ref.out, { ...FWD, name: `attention out ${tag}` }));
    report('attention probs vs ref', assertClose(pv, ref.att, { ...FWD, name: `attention probs ${tag}` }));
    assert.ok(ov.every((x) => Number.isFinite(x)), `${tag}: no NaN in out`);
    if (keyMask) {
      // padded keys get exactly zero weight; a fully padded batch row gives exactly zero output
      for (let e = 0; e < pv.length; e++) {
        const j = e % Tk;
        const b = Math.floor(e / (H * Tq * Tk));
        if (keyMask[b * Tk + j] === 0) assert.is(pv[e], 0, `${tag}: probs at padded key ${b},${j}`);
      }
      if (B > 1) assert.ok(ov.slice(Tq * C, 2 * Tq * C).every((x) => x === 0), `${tag}: the fully padded row gives zeros`);
    }
    backward(out, Tensor.from(gpu, dout, [B, Tq, C]));
    const g = attentionBwdRef(q, k, v, dout, dims, ro);
    const [dq, dk, dv] = [await qt.grad!.toArray(), await kt.grad!.toArray(), await vt.grad!.toArray()];
    for (const [name, got] of [['dq', dq], ['dk', dk], ['dv', dv]] as const) assert.ok(got.every((x) => Number.isFinite(x)), `${tag}: no NaN in ${name}`);
    report('attention dq vs ref', assertClose(dq, g.dq, { ...BWD, name: `attention dq ${tag}` }));
    report('attention dk vs ref', assertClose(dk, g.dk, { ...BWD, name: `attention dk ${tag}` }));
    report('attention dv vs ref', assertClose(dv, g.dv, { ...BWD, name: `attention dv ${tag}` }));
  });
}

test('attention (q, k, v): bidirectional, causal, padded, cross (Tq ≠ Tk), T = 1, odd hd — forward, probs, dq, dk, dv vs the reference', async () => {
  const cases: Case[] = [
    { B: 2, Tq: 5, Tk: 5, H: 3, hd: 3 }, // bidirectional self
    { B: 1, Tq: 9, Tk: 9, H: 2, hd: 4, causal: true }, // causal self, vec4 path
    { B: 3, Tq: 7, Tk: 7, H: 2, hd: 5, mask: 'pad' }, // padded: row 0 partly, row 1 fully
    { B: 3, Tq: 6, Tk: 6, H: 2, hd: 8, causal: true, mask: 'lengths' }, // causal + padding via keyLengths, vec4
    { B: 2, Tq: 3, Tk: 11, H: 2, hd: 8, mask: 'pad' }, // cross, Tq < Tk
    { B: 2, Tq: 13, Tk: 6, H: 4, hd: 9 }, // cross, Tq > Tk, C = 36 with 4 heads (hd 9)
    { B: 2, Tq: 3, Tk: 7, H: 1, hd: 6, causal: true }, // causal with Tq < Tk: the last Tq positions
    { B: 2, Tq: 1, Tk: 1, H: 2, hd: 3 }, // T = 1
    { B: 2, Tq: 1, Tk: 6, H: 4, hd: 9, mask: 'pad' }, // one decoder query over padded encoder keys
    { B: 1, Tq: 4, Tk: 5, H: 2, hd: 4, scale: 0.7, dropout: 0.3, seed: 5 }, // custom scale, dropout
  ];
  for (const c of cases) await checkGeneral(c);
});

test('attention: q, k, v may be one tensor (x, x, x); its grad sums dq + dk + dv; attentionQKV equals attention on the slices', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const [B, T, H, hd] = [2, 5, 2, 4];
    const C = H * hd;
    const x = randn(B * T * C, 61);
    const dout = randn(B * T * C, 62);
    const xt = Tensor.from(gpu, x, [B, T, C], { requiresGrad: true });
    const out = attention(xt, xt, xt, { heads: H, causal: true });
    const dims = { B, Tq: T, Tk: T, C, H };
    assertClose(await out.toArray(), attentionRef(x, x, x, dims, { causal: true }).out, { ...FWD, name: 'x,x,x out' });
    backward(out, Tensor.from(gpu, dout, [B, T, C]));
    const g = attentionBwdRef(x, x, x, dout, dims, { causal: true });
    report('attention dq vs ref', assertClose(await xt.grad!.toArray(), Array.from(g.dq, (v, i) => v + g.dk[i] + g.dv[i]), { ...BWD, name: 'x,x,x grad' }));
    // the fused entry reads the same kernels through strided views: same numbers as on separate tensors
    const qkv = randn(B * T * 3 * C, 63);
    const [q, k, v] = [0, 1, 2].map((p) => {
      const a = new Float32Array(B * T * C);
      for (let r = 0; r < B * T; r++) a.set(qkv.subarray(r * 3 * C + p * C, r * 3 * C + (p + 1) * C), r * C);
      return Tensor.from(gpu, a, [B, T, C]);
    });
    const fused = await attentionQKV(Tensor.from(gpu, qkv, [B, T, 3 * C]), H, { causal: true }).toArray();
    const sep = await attention(q, k, v, { heads: H, causal: true }).toArray();
    assertClose(fused, sep, { atol: 0, rtol: 0, name: 'attentionQKV vs attention on slices' });
  });
});

test('gradCheck: attention bidirectional with padding, causal cross (Tq < Tk), Tq > Tk', async () => {
  const gpu = await getGpu();
  const [B, Tq, Tk, C] = [2, 3, 4, 6];
  const inputs = (Tq: number, Tk: number, s: number) => [
    { data: randn(B * Tq * C, s), shape: [B, Tq, C] },
    { data: randn(B * Tk * C, s + 1), shape: [B, Tk, C] },
    { data: randn(B * Tk * C, s + 2), shape: [B, Tk, C] },
  ];
  const e1 = await gradCheck(gpu, 'attention padded', inputs(Tk, Tk, 70), ([q, k, v]) => attention(q, k, v, { heads: 2, keyMask: [1, 1, 0, 1, 1, 0, 0, 0] }), { maxCoords: 24 });
  const e2 = await gradCheck(gpu, 'attention causal cross', inputs(Tq, Tk, 80), ([q, k, v]) => attention(q, k, v, { heads: 3, causal: true }), { maxCoords: 24 });
  const e3 = await gradCheck(gpu, 'attention cross Tq > Tk', inputs(5, 2, 90), ([q, k, v]) => attention(q, k, v, { heads: 1, keyLengths: [2, 1] }), { maxCoords: 24 });
  report('attention gradcheck', Math.max(...e1, ...e2, ...e3));
});

test('attention refuses bad shapes, masks and options with one line naming them', async () => {
  const gpu = await getGpu();
  await gpu.scope(() => {
    const z = (...s: number[]) => Tensor.zeros(gpu, s);
    const q = z(2, 3, 8);
    const kv = z(2, 5, 8);
    throwsMsg(() => attention(z(3, 8), kv, kv, { heads: 2 }), /attention: q must be \[B, Tq, C\], got \[3, 8\]/);
    throwsMsg(() => attention(q, z(2, 5, 6), kv, { heads: 2 }), /attention: shape mismatch: k is \[2, 5, 6\], expected \[2, \*, 8\]/);
    throwsMsg(() => attention(q, kv, z(2, 4, 8), { heads: 2 }), /attention: shape mismatch: v is \[2, 4, 8\], expected \[2, 5, 8\]/);
    throwsMsg(() => attention(q, kv, kv, { heads: 3 }), /C = 8 is not divisible by heads = 3/);
    throwsMsg(() => attention(q, kv, kv, { heads: 0 }), /heads must be a positive integer, got 0/);
    throwsMsg(() => attention(q, kv, kv, { heads: 2, keyMask: [1, 1, 1] }), /attention: keyMask has 3 entries, expected B·Tk = 2·5 = 10 \(\[B, Tk\]\)/);
    throwsMsg(() => attention(q, kv, kv, { heads: 2, keyMask: new Array(10).fill(0.5) }), /keyMask\[0\] is 0.5; entries must be 0 or 1 \(1 = attend\)/);
    throwsMsg(() => attention(q, kv, kv, { heads: 2, keyLengths: [5] }), /keyLengths has 1 entries, expected B = 2/);
    throwsMsg(() => attention(q, kv, kv, { heads: 2, keyLengths: [5, 6] }), /keyLengths\[1\] is 6; must be an integer in 0 … Tk = 5/);
    throwsMsg(() => attention(q, kv, kv, { heads: 2, keyLengths: [5, 5], keyMask: new Array(10).fill(1) }), /give keyMask or keyLengths, not both/);
    throwsMsg(() => attention(z(2, 6, 8), kv, kv, { heads: 2, causal: true }), /causal attention needs Tq ≤ Tk, got Tq = 6, Tk = 5/);
    throwsMsg(() => attention(q, kv, kv, { heads: 2, scale: NaN }), /scale must be a finite number, got NaN/);
  });
});

test('attentionDecode (separate q, k, v) with a cache equals causal attention; cross-attention at Tq = 1 equals the full cross rows', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const [B, T, H, hd] = [2, 7, 3, 3];
    const C = H * hd;
    const [q, k, v] = [71, 72, 73].map((s) => randn(B * T * C, s));
    const t = (a: Float32Array, t0: number, t1: number) => {
      const out = new Float32Array(B * (t1 - t0) * C);
      for (let b = 0; b < B; b++) out.set(a.subarray((b * T + t0) * C, (b * T + t1) * C), b * (t1 - t0) * C);
      return Tensor.from(gpu, out, [B, t1 - t0, C]);
    };
    const full = attentionRef(q, k, v, { B, Tq: T, Tk: T, C, H }, { causal: true }).out;
    const cache = createKVCache(gpu, { B, maxT: T, C });
    let maxErr = 0;
    try {
      for (const [t0, t1] of [[0, 3], [3, 4], [4, 5], [5, 7]]) {
        const got = await attentionDecode(t(q, t0, t1), t(k, t0, t1), t(v, t0, t1), cache, t0, { heads: H }).toArray();
        const want: number[] = [];
        for (let b = 0; b < B; b++) want.push(...full.subarray((b * T + t0) * C, (b * T + t1) * C));
        maxErr = Math.max(maxErr, assertClose(got, want, { atol: 1e-5, rtol: 1e-5, name: `decode ${t0}…${t1 - 1}` }));
      }
      throwsMsg(() => attentionDecode(t(q, 0, 1), t(k, 0, 2), t(v, 0, 1), cache, 7, { heads: H }), /attentionDecode: shape mismatch: k is \[2, 2, 9\], expected \[2, 1, 9\]/);
    } finally {
      cache.dispose();
    }
    report('attentionDecode vs full attention', maxErr);
    // cross-attention decode: one decoder query at a time over fixed encoder k, v (Tk = 5, padded)
    const Tk = 5;
    const [ek, ev] = [74, 75].map((s) => randn(B * Tk * C, s));
    const keyMask = [1, 1, 1, 0, 0, 1, 1, 1, 1, 1];
    const crossFull = attentionRef(q, ek, ev, { B, Tq: T, Tk, C, H }, { keyMask }).out;
    const K = Tensor.from(gpu, ek, [B, Tk, C]);
    const V = Tensor.from(gpu, ev, [B, Tk, C]);
    let crossErr = 0;
    for (let i = 0; i < T; i++) {
      const got = await noGrad(() => attention(t(q, i, i + 1), K, V, { heads: H, keyMask })).toArray();
      const want: number[] = [];
      for (let b = 0; b < B; b++) want.push(...crossFull.subarray((b * T + i) * C, (b * T + i + 1) * C));
      crossErr = Math.max(crossErr, assertClose(got, want, { ...FWD, name: `cross decode step ${i}` }));
    }
    report('cross-attention Tq=1 steps vs full', crossErr);
  });
});

test('attention.wgsl products: weighted16 / weighted_t16 (4×16 blocks, hd % 16 = 0) = weighted8 / weighted_t8, bit for bit, = and +=; vs a CPU loop', async () => {
  const gpu = await getGpu();
  // B 2, H 2, hd 32, Tq 7 (a partial 4-row block), Tk 9, causal with q0 = 2; W zero outside the window
  const [B, H, hd, Tq, Tk, q0] = [2, 2, 32, 7, 9, 2];
  const C = H * hd;
  const BH = B * H;
  const W = new Float32Array(BH * Tq * Tk);
  randn(BH * Tq * Tk, 41).forEach((v, e) => {
    const i = Math.floor(e / Tk) % Tq;
    if (e % Tk < Math.min(Tk, q0 + i + 1)) W[e] = v;
  });
  for (const transposed of [false, true]) {
    const xRows = transposed ? Tq : Tk;
    const oRows = transposed ? Tk : Tq;
    const X = Float32Array.from(randn(B * xRows * C, 42 + Number(transposed)));
    const prev = Float32Array.from(randn(B * oRows * C, 43));
    const want = new Float64Array(B * oRows * C);
    for (let z = 0; z < BH; z++) {
      const [b, h] = [Math.floor(z / H), z % H];
      for (let i = 0; i < Tq; i++) for (let j = 0; j < Tk; j++) {
        const w = W[(z * Tq + i) * Tk + j];
        const [r, t] = transposed ? [j, i] : [i, j];
        for (let d = 0; d < hd; d++) want[(b * oRows + r) * C + h * hd + d] += w * X[(b * xRows + t) * C + h * hd + d];
      }
    }
    for (const acc of [0, 1]) {
      await gpu.scope(async () => {
        const outs: number[][] = [];
        for (const cols of [8, 16]) {
          const entry = `${transposed ? 'weighted_t' : 'weighted'}${cols}`;
          const xTiles = hd / cols;
          const k = gpu.kernel({ shader: attentionShader, entry, constants: { WX: xTiles, WY: 2 } });
          const o = gpu.buffer(prev);
          gpu.dispatch(k, {
            buffers: { W: gpu.buffer(W), X4: gpu.buffer(X), O: o },
            params: { BH, H, Tq, Tk, hd, q0, xRow: C, xOff: 0, xBatch: xRows * C, oRow: C, oOff: 0, oBatch: oRows * C, acc, zBase: 0 },
            workgroups: [1, Math.ceil(oRows / 4 / 2), BH],
          });
          outs.push([...(await gpu.readF32(o, B * oRows * C))]);
        }
        assert.equal(outs[1], outs[0], `${transposed ? 'weighted_t' : 'weighted'}16 = …8 bit for bit (acc ${acc})`);
        report('weighted16 vs CPU loop', assertClose(outs[1], Array.from(want, (v, e) => v + (acc ? prev[e] : 0)), { atol: 1e-5, rtol: 1e-5, name: `weighted16 transposed ${transposed} acc ${acc}` }));
      });
    }
  }
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
    const { out, probs } = attentionQKVWithProbs(x, H, { causal: true });
    report('attentionQKV fwd vs PyTorch', assertClose(await out.toArray(), t('out').data, { atol: 1e-6, rtol: 1e-5, name: 'attention.json out' }));
    assert.equal(t('attn').shape, [B, H, T, T]);
    report('attentionQKV probs vs PyTorch', assertClose(await probs.toArray(), t('attn').data, { atol: 1e-6, rtol: 1e-5, name: 'attention.json attn' }));
    const go = t('grad_out');
    backward(out, Tensor.from(gpu, go.data, go.shape));
    report('attentionQKV bwd vs PyTorch', assertClose(await x.grad!.toArray(), t('grad_qkv').data, { atol: 1e-5, rtol: 1e-4, name: 'attention.json grad_qkv' }));
    // the CPU reference agrees with PyTorch too (it is the oracle of the odd-shape tests above)
    assertClose(attentionQKVRef(qkv.data, B, T, C3 / 3, H, { causal: true }).out, t('out').data, { atol: 1e-6, rtol: 1e-5, name: 'attentionQKVRef vs PyTorch' });
    assertClose(attentionQKVBwdRef(qkv.data, go.data, B, T, C3 / 3, H, { causal: true }), t('grad_qkv').data, { atol: 1e-6, rtol: 1e-5, name: 'attentionQKVBwdRef vs PyTorch' });
  });
});

test('PyTorch fixture attention_general.json (gen_attention.py): bidirectional, causal, padded, cross, T = 1, hd 9 — out, attn, grad q/k/v', async () => {
  const gpu = await getGpu();
  const { meta, t, has } = readFixture('attention_general.json');
  const cases = String(meta.cases).split(',');
  assert.ok(cases.length >= 8, `the fixture has its cases (${cases})`);
  for (const name of cases) {
    await gpu.scope(async () => {
      const x = (key: string) => t(`${name}.${key}`);
      const [q, k, v] = [x('q'), x('k'), x('v')];
      const heads = Number(meta[`${name}.heads`]);
      const causal = Number(meta[`${name}.causal`]) === 1;
      const keyMask = has(`${name}.key_mask`) ? Array.from(x('key_mask').data) : undefined;
      const [qt, kt, vt] = [q, k, v].map((a) => Tensor.from(gpu, a.data, a.shape, { requiresGrad: true }));
      const { out, probs } = attentionWithProbs(qt, kt, vt, { heads, causal, keyMask });
      report('attention fwd vs PyTorch', assertClose(await out.toArray(), x('out').data, { atol: 1e-6, rtol: 1e-5, name: `${name} out` }));
      report('attention probs vs PyTorch', assertClose(await probs.toArray(), x('attn').data, { atol: 1e-6, rtol: 1e-5, name: `${name} attn` }));
      const go = x('grad_out');
      backward(out, Tensor.from(gpu, go.data, go.shape));
      for (const [g, ten] of [['q', qt], ['k', kt], ['v', vt]] as const) {
        report(`attention d${g} vs PyTorch`, assertClose(await ten.grad!.toArray(), x(`grad_${g}`).data, { atol: 1e-5, rtol: 1e-4, name: `${name} grad_${g}` }));
      }
    });
  }
});

test.run();
