// RNN (tanh), LSTM and GRU layers vs PyTorch fixtures (gen_rnn.py), the CPU reference (forward + BPTT),
// variable-length batches vs each sequence alone, finite differences, dispatches per step, the cell table, bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { getGpu, type Gpu } from '../src/gpu/device.ts';
import { Tensor, backward } from '../src/autograd/tensor.ts';
import { rnn, gru, rnnParamShapes, initRnnWeights, setRnnScalarKernels, RNN_CELLS, type RnnConfig, type RnnWeights } from '../src/ops/rnn.ts';
import { rnnRef, rnnBwdRef } from '../src/ref/rnn.ts';
import { assertClose, randn, rng, FIXTURES, fixture, report, throwsMsg } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';
import { mulSum } from './rnn-loss.ts';

type Enc = { shape: number[]; b64: string };
type Case = { cell: 'rnn' | 'lstm' | 'gru'; layers: number; bidirectional: boolean; layout: 'batched' | 'unbatched' | 'batch_first'; lengths: number[] | null; params: string[]; t: Record<string, Enc> };
type Fix = { torch: string; sizes: { input: number; hidden: number; L: number; N: number }; cases: Record<string, Case> };

const dec = (e: Enc) => {
  const b = Buffer.from(e.b64, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

function loadFix(): Fix {
  if (!existsSync(FIXTURES + 'rnn.json')) throw new Error('test/fixtures/rnn.json is missing: run /usr/bin/python3 test/fixtures/gen_rnn.py');
  return fixture<Fix>('rnn.json');
}

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

test('fixture gradients through one root (output, h_n, c_n all used)', async () => {
  const gpu = await getGpu();
  const fx = loadFix();
  for (const [name, c] of Object.entries(fx.cases)) {
    await gpu.scope(async () => {
      const cfg: RnnConfig = { cell: c.cell, inputSize: fx.sizes.input, hiddenSize: fx.sizes.hidden, numLayers: c.layers, bidirectional: c.bidirectional, batchFirst: c.layout === 'batch_first' };
      const T = (k: string, grad = false) => Tensor.from(gpu, dec(c.t[k]), c.t[k].shape, { requiresGrad: grad });
      const w: RnnWeights = {};
      for (const p of c.params) w[p] = Tensor.param(gpu, dec(c.t['p.' + p]), c.t['p.' + p].shape, p);
      const x = T('x', true);
      const h0 = c.t.h0 ? T('h0', true) : undefined;
      const c0 = c.t.c0 ? T('c0', true) : undefined;
      assert.equal(rnnParamShapes(cfg).map((p) => p.name), c.params, `${name}: parameter names and order`);
      const r = rnn(x, w, cfg, { h0, c0, lengths: c.lengths ?? undefined });
      assert.equal(r.output.shape, c.t.output.shape, `${name}: output shape`);
      assert.equal(r.hn.shape, c.t.hn.shape, `${name}: h_n shape`);
      const fw = (what: string, got: Float32Array, want: Enc) => report(`rnn fixture ${c.cell} ${what}`, assertClose(got, dec(want), { atol: 1e-5, rtol: 1e-5, name: `${name} ${what}` }));
      fw('output', await r.output.toArray(), c.t.output);
      fw('h_n', await r.hn.toArray(), c.t.hn);
      if (r.cn) {
        assert.equal(r.cn.shape, c.t.cn.shape, `${name}: c_n shape`);
        fw('c_n', await r.cn.toArray(), c.t.cn);
      }
      // one root: Σ out·g_out + Σ h_n·g_hn (+ Σ c_n·g_cn), the fixture's loss
      const loss = mulSum([r.output, r.hn, ...(r.cn ? [r.cn] : [])], [dec(c.t.g_out), dec(c.t.g_hn), ...(r.cn ? [dec(c.t.g_cn)] : [])]);
      backward(loss);
      const chk = (what: string, got: Float32Array, want: Enc) => report(`rnn fixture ${c.cell} grad ${what.startsWith('weight') || what.startsWith('bias') ? 'params' : what}`, assertClose(got, dec(want), { atol: 1e-4, rtol: 1e-4, name: `${name} grad ${what}` }));
      chk('x', await x.grad!.toArray(), c.t.grad_x);
      if (h0) chk('h0', await h0.grad!.toArray(), c.t.grad_h0);
      if (c0) chk('c0', await c0.grad!.toArray(), c.t.grad_c0);
      for (const p of c.params) chk(p, await w[p].grad!.toArray(), c.t['grad.' + p]);
      for (const p of c.params) w[p].dispose();
    });
  }
});

/** Runs GPU + CPU reference on one config (time-major) and compares forward and all gradients. */
async function vsRef(gpu: Gpu, cfg: RnnConfig, L: number, N: number, seed: number, lengths?: number[]) {
  await gpu.scope(async () => {
    const D = cfg.bidirectional ? 2 : 1;
    const H = cfg.hiddenSize;
    const NL = cfg.numLayers ?? 1;
    const r0 = rng(seed);
    const w = initRnnWeights(gpu, cfg, r0);
    const wh: Record<string, Float32Array> = {};
    for (const k of Object.keys(w)) wh[k] = await w[k].toArray();
    const xs = randn(L * N * cfg.inputSize, seed + 1);
    const h0s = randn(NL * D * N * H, seed + 2);
    const c0s = randn(NL * D * N * H, seed + 3);
    const x = Tensor.from(gpu, xs, [L, N, cfg.inputSize], { requiresGrad: true });
    const h0 = Tensor.from(gpu, h0s, [NL * D, N, H], { requiresGrad: true });
    const c0 = cfg.cell === 'lstm' ? Tensor.from(gpu, c0s, [NL * D, N, H], { requiresGrad: true }) : undefined;
    const r = rnn(x, w, cfg, { h0, c0, lengths });
    const inp = { x: xs, L, N, weights: wh, h0: h0s, c0: c0 ? c0s : undefined, lengths };
    const ref = rnnRef({ cell: cfg.cell, inputSize: cfg.inputSize, hiddenSize: H, numLayers: NL, bidirectional: !!cfg.bidirectional }, inp);
    const tag = `${cfg.cell} ${NL}l${D === 2 ? ' bi' : ''} L${L} N${N}${lengths ? ' packed' : ''}`;
    report(`rnn ref ${cfg.cell} output`, assertClose(await r.output.toArray(), ref.output, { atol: 1e-5, rtol: 1e-5, name: `${tag} output` }));
    report(`rnn ref ${cfg.cell} h_n`, assertClose(await r.hn.toArray(), ref.hn, { atol: 1e-5, rtol: 1e-5, name: `${tag} h_n` }));
    if (r.cn) report(`rnn ref ${cfg.cell} c_n`, assertClose(await r.cn.toArray(), ref.cn, { atol: 1e-5, rtol: 1e-5, name: `${tag} c_n` }));
    const gO = randn(r.output.size, seed + 4);
    const gH = randn(r.hn.size, seed + 5);
    const gC = randn(r.hn.size, seed + 6);
    backward(mulSum([r.output, r.hn, ...(r.cn ? [r.cn] : [])], [gO, gH, ...(r.cn ? [gC] : [])]));
    const bw = rnnBwdRef({ cell: cfg.cell, inputSize: cfg.inputSize, hiddenSize: H, numLayers: NL, bidirectional: !!cfg.bidirectional }, inp, ref.tape, gO, gH, r.cn ? gC : undefined);
    const tol = { atol: 1e-4, rtol: 1e-4 };
    report(`rnn ref ${cfg.cell} grad x`, assertClose(await x.grad!.toArray(), bw.dx, { ...tol, name: `${tag} dx` }));
    report(`rnn ref ${cfg.cell} grad h0`, assertClose(await h0.grad!.toArray(), bw.dh0, { ...tol, name: `${tag} dh0` }));
    if (c0) report(`rnn ref ${cfg.cell} grad c0`, assertClose(await c0.grad!.toArray(), bw.dc0, { ...tol, name: `${tag} dc0` }));
    for (const k of Object.keys(w)) report(`rnn ref ${cfg.cell} grad params`, assertClose(await w[k].grad!.toArray(), bw.dw[k], { ...tol, name: `${tag} d${k}` }));
    for (const k of Object.keys(w)) w[k].dispose();
  });
}

test('GPU vs CPU reference (forward + BPTT) at other odd sizes, with and without lengths', async () => {
  const gpu = await getGpu();
  await vsRef(gpu, { cell: 'lstm', inputSize: 5, hiddenSize: 6, numLayers: 2, bidirectional: true }, 5, 2, 11);
  await vsRef(gpu, { cell: 'rnn', inputSize: 3, hiddenSize: 9, numLayers: 3, bidirectional: false }, 7, 4, 12, [7, 1, 3, 6]);
  await vsRef(gpu, { cell: 'lstm', inputSize: 4, hiddenSize: 70, numLayers: 1, bidirectional: true }, 3, 5, 13, [2, 3, 1, 3, 2]);
  await vsRef(gpu, { cell: 'lstm', inputSize: 2, hiddenSize: 3, numLayers: 1 }, 1, 1, 14);
  await vsRef(gpu, { cell: 'gru', inputSize: 5, hiddenSize: 6, numLayers: 2, bidirectional: true }, 5, 3, 17, [5, 2, 4]);
  await vsRef(gpu, { cell: 'gru', inputSize: 3, hiddenSize: 9, numLayers: 1 }, 7, 2, 18);
  await vsRef(gpu, { cell: 'gru', inputSize: 2, hiddenSize: 3, numLayers: 1 }, 1, 1, 19);
});

test('4-units-per-invocation step kernels (H % 4 = 0) vs CPU reference, and the same shapes on the one-unit kernels', async () => {
  const gpu = await getGpu();
  for (const scalar of [false, true]) {
    const prev = setRnnScalarKernels(scalar);
    try {
      await vsRef(gpu, { cell: 'lstm', inputSize: 5, hiddenSize: 8, numLayers: 2, bidirectional: true }, 6, 3, 15, [6, 2, 5]);
      await vsRef(gpu, { cell: 'rnn', inputSize: 3, hiddenSize: 12, numLayers: 2, bidirectional: true }, 5, 2, 16, [3, 5]);
      await vsRef(gpu, { cell: 'gru', inputSize: 4, hiddenSize: 8, numLayers: 2, bidirectional: true }, 5, 3, 17, [5, 1, 3]);
    } finally {
      setRnnScalarKernels(prev);
    }
  }
});

test('a variable-length batch equals each sequence run alone (outputs, states, every gradient)', async () => {
  const gpu = await getGpu();
  const cfg: RnnConfig = { cell: 'lstm', inputSize: 5, hiddenSize: 7, numLayers: 2, bidirectional: true, batchFirst: true };
  const L = 6;
  const lengths = [6, 2, 4];
  const N = lengths.length;
  const D = 2;
  const H = 7;
  const xs = randn(N * L * 5, 21);
  const h0s = randn(2 * D * N * H, 22);
  const c0s = randn(2 * D * N * H, 23);
  const gO = randn(N * L * D * H, 24);
  const gH = randn(2 * D * N * H, 25);
  // the batched run
  const batched = await gpu.scope(async () => {
    const w = initRnnWeights(gpu, cfg, rng(20));
    const x = Tensor.from(gpu, xs, [N, L, 5], { requiresGrad: true });
    const h0 = Tensor.from(gpu, h0s, [2 * D, N, H], { requiresGrad: true });
    const c0 = Tensor.from(gpu, c0s, [2 * D, N, H], { requiresGrad: true });
    const r = rnn(x, w, cfg, { h0, c0, lengths });
    backward(mulSum([r.output, r.hn], [gO, gH]));
    const res = {
      out: await r.output.toArray(), hn: await r.hn.toArray(), cn: await r.cn!.toArray(),
      dx: await x.grad!.toArray(), dh0: await h0.grad!.toArray(), dc0: await c0.grad!.toArray(),
      dw: Object.fromEntries(await Promise.all(Object.keys(w).map(async (k) => [k, await w[k].grad!.toArray()] as const))),
    };
    for (const k of Object.keys(w)) w[k].dispose();
    return res;
  });
  const dwSum: Record<string, Float64Array> = {};
  for (let n = 0; n < N; n++) {
    const len = lengths[n];
    await gpu.scope(async () => {
      const w = initRnnWeights(gpu, cfg, rng(20));
      const pick = (src: Float32Array, rows: number, width: number, from: (i: number) => number) => {
        const o = new Float32Array(rows * width);
        for (let i = 0; i < rows; i++) o.set(src.subarray(from(i), from(i) + width), i * width);
        return o;
      };
      const x = Tensor.from(gpu, pick(xs, len, 5, (t) => (n * L + t) * 5), [len, 5], { requiresGrad: true });
      const st = (src: Float32Array) => pick(src, 2 * D, H, (k) => (k * N + n) * H);
      const h0 = Tensor.from(gpu, st(h0s), [2 * D, H], { requiresGrad: true });
      const c0 = Tensor.from(gpu, st(c0s), [2 * D, H], { requiresGrad: true });
      const r = rnn(x, w, { ...cfg, batchFirst: false }, { h0, c0 });
      backward(mulSum([r.output, r.hn], [pick(gO, len, D * H, (t) => (n * L + t) * D * H), st(gH)]));
      const o = await r.output.toArray();
      const want = pick(batched.out, len, D * H, (t) => (n * L + t) * D * H);
      const tol = { atol: 1e-5, rtol: 1e-5 };
      report('rnn packed vs alone output', assertClose(want, o, { ...tol, name: `seq ${n} output` }));
      const padded = batched.out.subarray((n * L + len) * D * H, (n + 1) * L * D * H);
      assert.ok(padded.every((v) => v === 0), `seq ${n}: padded outputs are 0`);
      report('rnn packed vs alone h_n', assertClose(st(batched.hn), await r.hn.toArray(), { ...tol, name: `seq ${n} h_n` }));
      report('rnn packed vs alone h_n', assertClose(st(batched.cn), await r.cn!.toArray(), { ...tol, name: `seq ${n} c_n` }));
      const gt = { atol: 1e-5, rtol: 1e-4 };
      report('rnn packed vs alone grads', assertClose(pick(batched.dx, len, 5, (t) => (n * L + t) * 5), await x.grad!.toArray(), { ...gt, name: `seq ${n} dx` }));
      const dxPad = batched.dx.subarray((n * L + len) * 5, (n + 1) * L * 5);
      assert.ok(dxPad.every((v) => v === 0), `seq ${n}: padded inputs get no gradient`);
      report('rnn packed vs alone grads', assertClose(st(batched.dh0), await h0.grad!.toArray(), { ...gt, name: `seq ${n} dh0` }));
      report('rnn packed vs alone grads', assertClose(st(batched.dc0), await c0.grad!.toArray(), { ...gt, name: `seq ${n} dc0` }));
      for (const k of Object.keys(w)) {
        const g = await w[k].grad!.toArray();
        dwSum[k] ??= new Float64Array(g.length);
        g.forEach((v, i) => (dwSum[k][i] += v));
        w[k].dispose();
      }
    });
  }
  // parameter gradients of the batch = the sum over the sequences run alone
  for (const k of Object.keys(dwSum)) report('rnn packed vs alone grads', assertClose(batched.dw[k], dwSum[k], { atol: 1e-4, rtol: 1e-4, name: `Σ d${k}` }));
});

const CHECKED = new Set(['weight_ih_l0', 'weight_hh_l0_reverse', 'bias_ih_l1', 'bias_hh_l1_reverse', 'weight_hh_l1']);

test('finite differences: LSTM, GRU and RNN (bidirectional, 2 layers, lengths) w.r.t. x, h0, c0 and weights', async () => {
  const gpu = await getGpu();
  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    const cfg: RnnConfig = { cell, inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true };
    const shapes = rnnParamShapes(cfg);
    const L = 4, N = 2, D = 2;
    const inputs = [
      { data: randn(L * N * 3, 31), shape: [L, N, 3] },
      { data: randn(2 * D * N * 4, 32), shape: [2 * D, N, 4] },
      ...(cell === 'lstm' ? [{ data: randn(2 * D * N * 4, 33), shape: [2 * D, N, 4] }] : []),
      // every parameter takes part; a few (one of each kind, both layers and directions) are checked
      ...shapes.map((s, i) => ({ data: randn(prod(s.shape), 40 + i, -0.5, 0.5), shape: s.shape, grad: CHECKED.has(s.name) })),
    ];
    const np = cell === 'lstm' ? 3 : 2;
    const errs = await gradCheck(gpu, `${cell} fd`, inputs, (xs) => {
      const w: RnnWeights = {};
      shapes.forEach((s, i) => (w[s.name] = xs[np + i]));
      const r = rnn(xs[0], w, cfg, { h0: xs[1], c0: cell === 'lstm' ? xs[2] : undefined, lengths: [4, 3] });
      return mulSum([r.output, r.hn, ...(r.cn ? [r.cn] : [])], [new Float32Array(r.output.size).fill(1), randn(r.hn.size, 5), ...(r.cn ? [randn(r.hn.size, 6)] : [])]);
    }, { maxCoords: 5 });
    report(`rnn finite differences ${cell}`, Math.max(...errs));
  }
});

test('dispatches per time step: 1 forward and 1 backward per layer (both directions together)', async () => {
  const gpu = await getGpu();
  const count = async (L: number, NL: number) =>
    gpu.scope(async () => {
      const cfg: RnnConfig = { cell: 'lstm', inputSize: 4, hiddenSize: 5, numLayers: NL, bidirectional: true };
      const w = initRnnWeights(gpu, cfg, rng(1));
      const x = Tensor.from(gpu, randn(L * 2 * 4, 2), [L, 2, 4], { requiresGrad: true });
      const d0 = gpu.dispatchCount;
      const r = rnn(x, w, cfg);
      const fwd = gpu.dispatchCount - d0;
      const loss = mulSum([r.output], [randn(r.output.size, 3)]);
      const d1 = gpu.dispatchCount;
      backward(loss);
      const bwd = gpu.dispatchCount - d1;
      await gpu.sync();
      for (const k of Object.keys(w)) w[k].dispose();
      return { fwd, bwd };
    });
  const a = await count(5, 2);
  const b = await count(12, 2);
  assert.equal(b.fwd - a.fwd, 7 * 2, `forward: ${a.fwd} dispatches at L=5, ${b.fwd} at L=12 (2 layers)`);
  assert.equal(b.bwd - a.bwd, 7 * 2, `backward: ${a.bwd} dispatches at L=5, ${b.bwd} at L=12 (2 layers)`);
  console.log(`  LSTM 2 layers bidirectional, L=12: ${b.fwd} forward dispatches, ${b.bwd} backward (loss included): 1 + 1 per step and layer`);
});

test('bad input: one line naming the problem', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const cfg: RnnConfig = { cell: 'lstm', inputSize: 3, hiddenSize: 4 };
    const w = initRnnWeights(gpu, cfg, rng(1));
    const x = Tensor.from(gpu, randn(2 * 3 * 3, 1), [2, 3, 3]);
    throwsMsg(() => rnn(Tensor.from(gpu, randn(8, 1), [2, 2, 2]), w, cfg), /input \[2, 2, 2\] has 2 features, expected 3/);
    throwsMsg(() => rnn(Tensor.from(gpu, randn(6, 1), [6]), w, cfg), /input must be \(L, H_in\) or \(L, N, H_in\), got \[6\]/);
    throwsMsg(() => rnn(x, w, cfg, { lengths: [2, 0, 1] }), /lengths\[1\] = 0 is outside \[1, 2\]/);
    throwsMsg(() => rnn(x, w, cfg, { lengths: [2, 1] }), /2 lengths for a batch of 3/);
    throwsMsg(() => rnn(x, w, cfg, { h0: Tensor.from(gpu, randn(8, 1), [1, 2, 4]) }), /h0 is \[1, 2, 4\], expected \[1, 3, 4\]/);
    const { weight_hh_l0: _, ...missing } = w;
    throwsMsg(() => rnn(x, missing, cfg), /missing parameter weight_hh_l0 \[16, 4\]/);
    throwsMsg(() => rnn(x, { ...w, bias_ih_l0: Tensor.from(gpu, randn(4, 1), [4]) }, cfg), /parameter bias_ih_l0 is \[4\], expected \[16\]/);
    throwsMsg(() => rnn(x, w, { ...cfg, cell: 'elman' as 'rnn' }), /unknown cell 'elman' \(rnn, lstm, gru\)/);
    throwsMsg(() => rnn(x, w, { ...cfg, cell: 'toString' as 'rnn' }), /unknown cell 'toString'/);
    throwsMsg(() => rnn(x, initRnnWeights(gpu, { ...cfg, cell: 'rnn' }, rng(1)), { ...cfg, cell: 'rnn' }, { c0: x }), /c0 is for the LSTM cell only/);
    const wg = initRnnWeights(gpu, { ...cfg, cell: 'gru' }, rng(1));
    throwsMsg(() => rnn(x, wg, { ...cfg, cell: 'gru' }, { c0: x }), /c0 is for the LSTM cell only/);
    throwsMsg(() => rnn(x, w, { ...cfg, cell: 'gru' }), /parameter weight_ih_l0 is \[16, 3\], expected \[12, 3\]/);
    for (const k of Object.keys(wg)) wg[k].dispose();
    for (const k of Object.keys(w)) w[k].dispose();
  });
});

test('the cell table drives shapes, names and outputs: GRU rows r, z, n; one h state', async () => {
  const gpu = await getGpu();
  assert.equal(Object.keys(RNN_CELLS), ['rnn', 'lstm', 'gru']);
  for (const [cell, k] of Object.entries(RNN_CELLS)) {
    const shapes = rnnParamShapes({ cell: cell as RnnConfig['cell'], inputSize: 3, hiddenSize: 5 });
    assert.equal(shapes.map((p) => p.shape), [[k.gates.length * 5, 3], [k.gates.length * 5, 5], [k.gates.length * 5], [k.gates.length * 5]], cell);
  }
  await gpu.scope(async () => {
    const cfg = { inputSize: 3, hiddenSize: 5 };
    const w = initRnnWeights(gpu, { ...cfg, cell: 'gru' }, rng(4));
    const r = gru(Tensor.from(gpu, randn(4 * 2 * 3, 1), [4, 2, 3]), w, cfg);
    assert.equal([r.output.shape, r.hn.shape, r.cn], [[4, 2, 5], [1, 2, 5], undefined]);
    for (const k of Object.keys(w)) w[k].dispose();
  });
});

test.run();
