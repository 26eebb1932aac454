// LayerNorm, cross-entropy and AdamW (+ grad-norm clipping) vs CPU references, finite differences and PyTorch fixtures.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { getGpu, diffCounters } from '../src/gpu/device.ts';
import { Tensor, backward } from '../src/autograd/tensor.ts';
import { layerNorm, encodeLayerNormBackward } from '../src/ops/layernorm.ts';
import lnWgsl from '../shaders/layernorm.wgsl';
import ceWgsl from '../shaders/cross_entropy.wgsl';
import { crossEntropy } from '../src/ops/loss.ts';
import { AdamW, clipGradNorm, gradNorm } from '../src/train/adamw.ts';
import { layerNormRef, layerNormBwdRef } from '../src/ref/layernorm.ts';
import { crossEntropyRef } from '../src/ref/loss.ts';
import { adamwRef, clipRef } from '../src/ref/adamw.ts';
import { assertClose, randn, rng, FIXTURES, fixture, report } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';

type F = { tensors: Record<string, { shape: number[]; data: number[] }>; meta?: Record<string, unknown> };
const need = (name: string) => {
  if (!existsSync(FIXTURES + name)) throw new Error(`test/fixtures/${name} is missing: run test/fixtures/gen.py`);
  return fixture<F>(name);
};

test('layerNorm forward/backward vs CPU reference on odd shapes; param grads accumulate', async () => {
  const gpu = await getGpu();
  for (const [R, C] of [[1, 1], [1, 3], [5, 17], [33, 65], [3, 1000]] as const) {
    await gpu.scope(async () => {
      const x = randn(R * C, R + C, -3, 3);
      const w = randn(C, 2, 0.5, 1.5);
      const b = randn(C, 3);
      const dy = randn(R * C, 4);
      const xt = Tensor.from(gpu, x, [R, C], { requiresGrad: true });
      const wt = Tensor.param(gpu, w, [C], 'w');
      const bt = Tensor.param(gpu, b, [C], 'b');
      const y = layerNorm(xt, wt, bt);
      assertClose(await y.toArray(), layerNormRef(x, w, b, R, C).y, { atol: 1e-5, rtol: 1e-5, name: `ln fwd ${R}x${C}` });
      backward(y, Tensor.from(gpu, dy, [R, C]));
      const ref = layerNormBwdRef(x, w, dy, R, C);
      assertClose(await xt.grad!.toArray(), ref.dx, { atol: 1e-4, rtol: 1e-4, name: `ln dx ${R}x${C}` });
      assertClose(await wt.grad!.toArray(), ref.dw, { atol: 1e-5, rtol: 1e-5, name: `ln dw ${R}x${C}` });
      assertClose(await bt.grad!.toArray(), ref.db, { atol: 1e-5, rtol: 1e-5, name: `ln db ${R}x${C}` });
      wt.dispose();
      bt.dispose();
    });
  }
});

test("layerNorm takes any eps: BERT's 1e-12 vs reference and F.layer_norm(eps=1e-12)", async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    // a row with variance ~1e-6: eps 1e-12 and the default 1e-5 give clearly different outputs
    const [R, C] = [5, 17];
    const x = randn(R * C, 61, -1e-3, 1e-3);
    const w = randn(C, 62, 0.5, 1.5);
    const b = randn(C, 63);
    const y12 = await layerNorm(Tensor.from(gpu, x, [R, C]), Tensor.from(gpu, w, [C]), Tensor.from(gpu, b, [C]), 1e-12).toArray();
    report('layernorm eps 1e-12 vs ref', assertClose(y12, layerNormRef(x, w, b, R, C, 1e-12).y, { atol: 1e-5, rtol: 1e-5, name: 'ln eps 1e-12' }));
    const y5 = await layerNorm(Tensor.from(gpu, x, [R, C]), Tensor.from(gpu, w, [C]), Tensor.from(gpu, b, [C])).toArray();
    assert.ok(y5.some((v, i) => Math.abs(v - y12[i]) > 0.1), 'eps changes the result for a small-variance row');
    const f = need('layernorm_eps.json');
    assert.is(f.meta!.eps, 1e-12);
    const t = f.tensors;
    const xt = Tensor.from(gpu, t.x.data, t.x.shape, { requiresGrad: true });
    const wt = Tensor.param(gpu, t.weight.data, t.weight.shape, 'w');
    const bt = Tensor.param(gpu, t.bias.data, t.bias.shape, 'b');
    const y = layerNorm(xt, wt, bt, 1e-12);
    report('layernorm eps 1e-12 fwd (torch)', assertClose(await y.toArray(), t.out.data, { atol: 1e-5, rtol: 1e-5, name: 'ln eps 1e-12 out' }));
    backward(y, Tensor.from(gpu, t.grad_out.data, t.grad_out.shape));
    report('layernorm eps 1e-12 grads (torch)', Math.max(
      assertClose(await xt.grad!.toArray(), t.grad_x.data, { atol: 1e-4, rtol: 1e-4, name: 'ln eps 1e-12 grad_x' }),
      assertClose(await wt.grad!.toArray(), t.grad_weight.data, { atol: 1e-4, rtol: 1e-4, name: 'ln eps 1e-12 grad_w' }),
      assertClose(await bt.grad!.toArray(), t.grad_bias.data, { atol: 1e-4, rtol: 1e-4, name: 'ln eps 1e-12 grad_b' }),
    ));
    wt.dispose();
    bt.dispose();
  });
});

test('layerNorm backward in one dispatch (backward) = backward_x + backward_wb, bit for bit, with dx = and +=; the vec4 entries (C % 4 = 0) = the scalar ones, bit for bit; vs CPU reference', async () => {
  const gpu = await getGpu();
  for (const [R, C] of [[1, 3], [5, 17], [70, 65], [3, 4], [70, 64]] as const) {
    await gpu.scope(async () => {
      const x = randn(R * C, 7 + R, -3, 3);
      const w = randn(C, 8, 0.5, 1.5);
      const dy = randn(R * C, 9);
      const dx0 = randn(R * C, 10);
      const xt = Tensor.from(gpu, x, [R, C], { requiresGrad: true });
      const wt = Tensor.param(gpu, w, [C], 'w');
      const bt = Tensor.param(gpu, randn(C, 11), [C], 'b');
      // the forward's saved statistics, from the forward entry itself
      const mean = gpu.buffer(Float32Array.from({ length: R }, () => 0));
      const rstd = gpu.buffer(Float32Array.from({ length: R }, () => 0));
      const y = gpu.buffer(R * C * 4);
      gpu.dispatch(gpu.kernel({ shader: lnWgsl, entry: 'forward' }), { buffers: { x: xt.buffer, w: wt.buffer, b: bt.buffer, y, mean, rstd }, params: { R, C, eps: 1e-5, acc: 0 }, workgroups: gpu.grid(R, 64) });
      const v4 = C % 4 === 0;
      if (v4) {
        // forward4 (what layerNorm runs here) writes the scalar forward's bits: y, mean, rstd
        const [y4, mean4, rstd4] = [gpu.buffer(R * C * 4), gpu.buffer(R * 4), gpu.buffer(R * 4)];
        gpu.dispatch(gpu.kernel({ shader: lnWgsl, entry: 'forward4' }), { buffers: { x4: xt.buffer, w4: wt.buffer, b4: bt.buffer, y4, mean: mean4, rstd: rstd4 }, params: { R, C, eps: 1e-5, acc: 0 }, workgroups: gpu.grid(R, 64) });
        for (const [a, b, n, what] of [[y, y4, R * C, 'y'], [mean, mean4, R, 'mean'], [rstd, rstd4, R, 'rstd']] as const) {
          assert.equal([...(await gpu.readF32(b, n))], [...(await gpu.readF32(a, n))], `forward4 ${what} ${R}x${C}: the scalar entry's bits`);
        }
        const lib = await layerNorm(xt, wt, bt).toArray();
        assert.equal([...lib], [...(await gpu.readF32(y, R * C))], `layerNorm ${R}x${C} (vec4 entries) = the scalar forward, bit for bit`);
      }
      const ref = layerNormBwdRef(x, w, dy, R, C);
      const dyb = gpu.buffer(Float32Array.from(dy));
      for (const acc of [0, 1]) {
        const outs: Float32Array[][] = [];
        // the one-dispatch and the two-dispatch forms, vec4 (C % 4 = 0) and scalar entries
        for (const [separate, scalar] of v4 ? ([[false, false], [true, false], [false, true], [true, true]] as const) : ([[false, false], [true, false]] as const)) {
          const dx = gpu.buffer(Float32Array.from(dx0));
          const dw = gpu.buffer(Float32Array.from({ length: C }, (_, i) => i * 0.25));
          const db = gpu.buffer(Float32Array.from({ length: C }, (_, i) => -i * 0.5));
          const c0 = { ...gpu.counters };
          encodeLayerNormBackward(gpu, { x: xt.buffer, w: wt.buffer, dy: dyb, dx, dw, db, mean, rstd }, { R, C, eps: 1e-5, acc }, separate, scalar);
          assert.is(diffCounters(gpu.counters, c0).dispatches, separate ? 2 : 1);
          outs.push([await gpu.readF32(dx, R * C), await gpu.readF32(dw, C), await gpu.readF32(db, C)]);
        }
        const [fused, ...others] = outs;
        for (const sep of others) for (let k = 0; k < 3; k++) assert.equal([...fused[k]], [...sep[k]], `${['dx', 'dw', 'db'][k]} ${R}x${C} acc ${acc}: same bits`);
        const want = [ref.dx.map((v, i) => v + (acc ? dx0[i] : 0)), ref.dw.map((v, i) => v + i * 0.25), ref.db.map((v, i) => v - i * 0.5)];
        const errs = [0, 1, 2].map((k) => assertClose(fused[k], want[k], { atol: 1e-4, rtol: 1e-4, name: `ln fused ${['dx', 'dw', 'db'][k]} ${R}x${C} acc ${acc}` }));
        report(`ln fused backward ${R}x${C} acc ${acc} vs ref (dx, dw, db)`, Math.max(...errs));
        console.log(`  ln fused backward ${R}x${C} acc ${acc}: max |err| vs ref ${Math.max(...errs).toExponential(2)}, = two-dispatch form bit for bit`);
      }
      wt.dispose();
      bt.dispose();
    });
  }
});

test('layerNorm: zero rows give an empty result and zero param grads; a scalar x is refused', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const x = Tensor.from(gpu, [], [0, 4], { requiresGrad: true });
    const w = Tensor.param(gpu, [1, 1, 1, 1], [4], 'w');
    const b = Tensor.param(gpu, [0, 0, 0, 0], [4], 'b');
    const y = layerNorm(x, w, b);
    assert.equal(y.shape, [0, 4]);
    backward(y, Tensor.from(gpu, [], [0, 4]));
    assert.equal([...(await w.grad!.toArray())], [0, 0, 0, 0]);
    assert.throws(() => layerNorm(Tensor.from(gpu, [1], []), w, b), /layerNorm: x is a scalar/);
    w.dispose();
    b.dispose();
  });
});

test('crossEntropy forward/backward vs CPU reference, ignore index, bad targets', async () => {
  const gpu = await getGpu();
  for (const [N, V] of [[1, 1], [7, 13], [33, 1000]] as const) {
    await gpu.scope(async () => {
      const logits = randn(N * V, N + V, -5, 5);
      const r = rng(N);
      const t = Array.from({ length: N }, (_, i) => (i === 1 ? -100 : Math.floor(r() * V)));
      const lt = Tensor.from(gpu, logits, [N, V], { requiresGrad: true });
      const loss = crossEntropy(lt, t);
      const ref = crossEntropyRef(logits, t, N, V);
      assertClose([await loss.item()], [ref.loss], { atol: 1e-5, rtol: 1e-5, name: `ce loss ${N}x${V}` });
      backward(loss);
      assertClose(await lt.grad!.toArray(), ref.grad, { atol: 1e-6, rtol: 1e-4, name: `ce grad ${N}x${V}` });
    });
  }
  await gpu.scope(async () => {
    const lt = Tensor.from(gpu, new Float32Array(6), [2, 3]);
    assert.throws(() => crossEntropy(lt, [0, 3]), /target 3 at position 1 is out of range \[0, 3\)/);
    assert.ok(Number.isNaN(await crossEntropy(lt, [-100, -100]).item()), 'all ignored → NaN (PyTorch)');
  });
});

test('crossEntropy backward: the vec4 entry (backward4, 4Q elements per invocation, Q = 4 and 16) and the per-row entry agree with the reference — rows straddling vec4s, an ignored row, smoothing, accumulation, the padding of the last vec4; crossEntropy picks backward4 for pool buffers', async () => {
  const gpu = await getGpu();
  // N·V = 333 and 603: rows start mid-vec4, and the last vec4 holds padding elements; V = 67 ≥ 64 also runs Q = 16
  for (const [N, V] of [[9, 37], [9, 67]] as const) {
  const logits = randn(N * V, 71, -4, 4);
  const t = Array.from({ length: N }, (_, i) => (i === 4 ? -100 : (i * 11) % V));
  for (const eps of [0, 0.1]) {
    const ref = crossEntropyRef(logits, t, N, V, -100, eps);
    const count = t.filter((x) => x !== -100).length;
    await gpu.scope(async () => {
      const whole = Math.ceil((N * V) / 4) * 4;
      const lb = gpu.buffer(Float32Array.from({ length: whole }, (_, i) => (i < N * V ? logits[i] : 1e30)));
      const tg = gpu.buffer(Int32Array.from(t));
      const lse = gpu.buffer(Float32Array.from({ length: N }, (_, n) => {
        let m = -Infinity;
        for (let v = 0; v < V; v++) m = Math.max(m, logits[n * V + v]);
        let s = 0;
        for (let v = 0; v < V; v++) s += Math.exp(logits[n * V + v] - m);
        return m + Math.log(s);
      }));
      const dloss = gpu.buffer(new Float32Array([1]));
      const params = { N, V, ignore: -100, invCount: 1 / count, eps };
      for (const acc of [0, 1]) {
        const old = Float32Array.from({ length: whole }, (_, i) => 0.25 * (i % 5));
        const outs: Float32Array[] = [];
        for (const [entry, Q] of [['backward', 0], ['backward4', 4], ...(V >= 64 ? [['backward4', 16] as const] : [])] as const) {
          const d = gpu.buffer(old);
          const k = gpu.kernel({ shader: ceWgsl, entry, ...(Q ? { constants: { Q } } : {}) });
          if (entry === 'backward') gpu.dispatch(k, { buffers: { logits: lb, targets: tg, slse: lse, dloss, dlogits: d }, params: { ...params, acc }, workgroups: gpu.grid(N * Math.ceil(V / 256), 1) });
          else gpu.dispatch(k, { buffers: { logitsv: lb, targets: tg, slse: lse, dloss, dlogitsv: d }, params: { ...params, acc }, workgroups: gpu.grid(Math.ceil((N * V) / (4 * Q)), 64) });
          const got = await gpu.readF32(d, whole);
          outs.push(got);
          const want = Array.from({ length: N * V }, (_, i) => ref.grad[i] + (acc ? old[i] : 0));
          assertClose(got.subarray(0, N * V), want, { atol: 1e-6, rtol: 1e-4, name: `${entry} eps ${eps} acc ${acc}` });
          if (entry === 'backward4') for (let i = N * V; i < whole; i++) assert.is(got[i], acc ? old[i] : 0, 'padding past N·V: 0 (+ the old value)');
          else for (let i = N * V; i < whole; i++) assert.is(got[i], old[i], 'the per-row entry leaves the padding alone');
        }
        report('cross_entropy backward4 vs backward', assertClose(outs[1].subarray(0, N * V), outs[0].subarray(0, N * V), { atol: 1e-7, rtol: 1e-6, name: 'backward4 vs backward' }));
        for (const o of outs.slice(2)) assert.equal([...o], [...outs[1]], 'backward4 with Q = 16 = with Q = 4, bit for bit');
      }
    });
  }
  await gpu.scope(async () => {
    const lt = Tensor.from(gpu, logits, [N, V], { requiresGrad: true });
    gpu.beginProfile();
    backward(crossEntropy(lt, t));
    const p = await gpu.endProfile();
    assert.ok(p.entries.some((e) => /cross_entropy\.wgsl:backward4/.test(e.kernel)), p.entries.map((e) => e.kernel).join(', '));
    assertClose(await lt.grad!.toArray(), crossEntropyRef(logits, t, N, V).grad, { atol: 1e-6, rtol: 1e-4, name: `crossEntropy ${N}x${V} grad` });
  });
  }
});

test('crossEntropy rows4 (V a multiple of 4, vec4 loads) = rows, bit for bit: lse and row losses, with smoothing and an ignored row', async () => {
  const gpu = await getGpu();
  for (const [N, V] of [[5, 4], [7, 1416]] as const) {
    for (const eps of [0, 0.1]) {
      await gpu.scope(async () => {
        const logits = randn(N * V, 91 + V, -6, 6);
        const t = Array.from({ length: N }, (_, i) => (i === 2 ? -100 : (i * 13 + 3) % V));
        const lb = gpu.buffer(Float32Array.from(logits));
        const tg = gpu.buffer(Int32Array.from(t));
        const params = { N, V, ignore: -100, invCount: 1, acc: 0, eps };
        const outs: Float32Array[][] = [];
        for (const entry of ['rows', 'rows4']) {
          const [lse, rowloss] = [gpu.buffer(N * 4), gpu.buffer(N * 4)];
          gpu.dispatch(gpu.kernel({ shader: ceWgsl, entry }), { buffers: { [entry === 'rows' ? 'logits' : 'logitsv']: lb, targets: tg, lse, rowloss }, params, workgroups: gpu.grid(N, 64) });
          outs.push([await gpu.readF32(lse, N), await gpu.readF32(rowloss, N)]);
        }
        assert.equal([...outs[1][0]], [...outs[0][0]], `lse ${N}x${V} eps ${eps}: rows4 = rows`);
        assert.equal([...outs[1][1]], [...outs[0][1]], `row losses ${N}x${V} eps ${eps}: rows4 = rows`);
        const ref = crossEntropyRef(logits, t, N, V, -100, eps);
        const count = t.filter((x) => x !== -100).length;
        assertClose([outs[1][1].reduce((a, b) => a + b, 0) / count], [ref.loss], { atol: 1e-5, rtol: 1e-5, name: `rows4 ${N}x${V} mean vs ref` });
      });
    }
  }
});

test('crossEntropy with label smoothing: CPU reference at odd sizes, PyTorch F.cross_entropy(label_smoothing), finite differences, bad ε', async () => {
  const gpu = await getGpu();
  for (const [N, V, eps] of [[1, 1, 0.1], [7, 13, 0.2], [33, 1000, 0.05]] as const) {
    await gpu.scope(async () => {
      const logits = randn(N * V, 7 * N + V, -5, 5);
      const r = rng(N + 1);
      const t = Array.from({ length: N }, (_, i) => (i === 1 ? -100 : Math.floor(r() * V)));
      const lt = Tensor.from(gpu, logits, [N, V], { requiresGrad: true });
      const loss = crossEntropy(lt, t, -100, eps);
      const ref = crossEntropyRef(logits, t, N, V, -100, eps);
      const e1 = assertClose([await loss.item()], [ref.loss], { atol: 1e-5, rtol: 1e-5, name: `ce smoothed loss ${N}x${V}` });
      backward(loss);
      const e2 = assertClose(await lt.grad!.toArray(), ref.grad, { atol: 1e-6, rtol: 1e-4, name: `ce smoothed grad ${N}x${V}` });
      report(`cross_entropy smoothing ${N}x${V} (ref)`, Math.max(e1, e2));
    });
  }
  const ce = need('cross_entropy_smoothing.json').tensors;
  await gpu.scope(async () => {
    for (const c of ['a', 'b']) {
      const L = ce[`${c}_logits`];
      const x = Tensor.from(gpu, L.data, L.shape, { requiresGrad: true });
      const loss = crossEntropy(x, ce[`${c}_targets`].data, -100, ce[`${c}_eps`].data[0]);
      report('cross_entropy smoothing loss (torch)', assertClose([await loss.item()], ce[`${c}_loss`].data, { atol: 1e-5, rtol: 1e-5, name: `ce smoothing loss ${c}` }));
      backward(loss);
      report('cross_entropy smoothing grad (torch)', assertClose(await x.grad!.toArray(), ce[`${c}_grad`].data, { atol: 1e-6, rtol: 1e-4, name: `ce smoothing grad ${c}` }));
    }
  });
  await gradCheck(gpu, 'crossEntropy smoothing', [{ data: randn(12, 5, -2, 2), shape: [3, 4] }], ([l]) => crossEntropy(l, [1, -100, 3], -100, 0.3));
  await gpu.scope(async () => {
    const lt = Tensor.from(gpu, new Float32Array(6), [2, 3]);
    assert.throws(() => crossEntropy(lt, [0, 1], -100, 1), /crossEntropy: label smoothing must be in \[0, 1\), got 1/);
  });
});

test('AdamW steps and clip_grad_norm_ vs CPU reference', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const shapes = [[5, 3], [7], [1]];
    const ps = shapes.map((s, i) => Tensor.param(gpu, randn(s.reduce((a, b) => a * b), 10 + i), s, `p${i}`));
    const refP = ps.map((_, i) => Float64Array.from(randn(ps[i].size, 10 + i)));
    const refM = ps.map((p) => new Float64Array(p.size));
    const refV = ps.map((p) => new Float64Array(p.size));
    const opt = new AdamW(ps, { lr: 1e-2, weightDecay: 0.1 });
    for (let t = 1; t <= 4; t++) {
      const gs = ps.map((p, i) => randn(p.size, 100 * t + i, -2, 2));
      ps.forEach((p, i) => gpu.upload(p.grad!.buffer, gs[i]));
      opt.step();
      ps.forEach((_, i) => adamwRef(refP[i], gs[i], refM[i], refV[i], t, { lr: 1e-2, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.1 }));
    }
    for (let i = 0; i < ps.length; i++) assertClose(await ps[i].toArray(), refP[i], { atol: 1e-6, rtol: 1e-5, name: `adamw p${i}` });
    const gs = ps.map((p, i) => randn(p.size, 50 + i, -3, 3));
    ps.forEach((p, i) => gpu.upload(p.grad!.buffer, gs[i]));
    const g64 = gs.map((g) => Float64Array.from(g));
    const n = clipGradNorm(ps, 1.0);
    const refNorm = clipRef(g64, 1.0);
    assertClose([await n.item()], [refNorm], { atol: 1e-5, rtol: 1e-5, name: 'grad norm' });
    for (let i = 0; i < ps.length; i++) assertClose(await ps[i].grad!.toArray(), g64[i], { atol: 1e-6, rtol: 1e-5, name: `clipped grad ${i}` });
    assertClose([await gradNorm(ps).item()], [1], { atol: 1e-5, rtol: 1e-5, name: 'norm after clipping' });
    ps.forEach((p) => p.dispose());
    opt.dispose();
  });
});

test('finite differences: layerNorm (x, w, b), crossEntropy', async () => {
  const gpu = await getGpu();
  await gradCheck(gpu, 'layerNorm', [{ data: randn(15, 1, -2, 2), shape: [3, 5] }, { data: randn(5, 2, 0.5, 1.5), shape: [5] }, { data: randn(5, 3), shape: [5] }], ([x, w, b]) => layerNorm(x, w, b), { eps: 1e-2, atol: 5e-3 });
  await gradCheck(gpu, 'crossEntropy', [{ data: randn(12, 4, -2, 2), shape: [3, 4] }], ([l]) => crossEntropy(l, [1, -100, 3]));
});

test('PyTorch fixtures: nn.LayerNorm, F.cross_entropy, torch.optim.AdamW + clip_grad_norm_', async () => {
  const gpu = await getGpu();
  const ln = need('layernorm.json').tensors;
  await gpu.scope(async () => {
    for (const sfx of ['', '2']) {
      const k = (n: string) => ln[n + sfx] ?? ln[n];
      if (!ln['x' + sfx]) continue;
      const x = Tensor.from(gpu, k('x').data, k('x').shape, { requiresGrad: true });
      const w = Tensor.param(gpu, k('weight').data, k('weight').shape, 'w');
      const b = Tensor.param(gpu, k('bias').data, k('bias').shape, 'b');
      const y = layerNorm(x, w, b);
      report('layernorm fwd (torch)', assertClose(await y.toArray(), k('out').data, { atol: 1e-5, rtol: 1e-5, name: 'ln out' + sfx }));
      backward(y, Tensor.from(gpu, k('grad_out').data, k('grad_out').shape));
      report('layernorm grads (torch)', Math.max(
        assertClose(await x.grad!.toArray(), k('grad_x').data, { atol: 1e-4, rtol: 1e-4, name: 'ln grad_x' + sfx }),
        assertClose(await w.grad!.toArray(), k('grad_weight').data, { atol: 1e-4, rtol: 1e-4, name: 'ln grad_w' + sfx }),
        assertClose(await b.grad!.toArray(), k('grad_bias').data, { atol: 1e-4, rtol: 1e-4, name: 'ln grad_b' + sfx }),
      ));
      w.dispose();
      b.dispose();
    }
  });
  const ce = need('cross_entropy.json').tensors;
  await gpu.scope(async () => {
    for (const c of ['a', 'b']) {
      const L = ce[`${c}_logits`];
      const x = Tensor.from(gpu, L.data, L.shape, { requiresGrad: true });
      const loss = crossEntropy(x, ce[`${c}_targets`].data);
      report('cross_entropy loss (torch)', assertClose([await loss.item()], ce[`${c}_loss`].data, { atol: 1e-5, rtol: 1e-5, name: `ce loss ${c}` }));
      backward(loss);
      report('cross_entropy grad (torch)', assertClose(await x.grad!.toArray(), ce[`${c}_grad`].data, { atol: 1e-6, rtol: 1e-4, name: `ce grad ${c}` }));
    }
  });
  const ad = need('adamw.json').tensors;
  await gpu.scope(async () => {
    const p = Tensor.param(gpu, ad.p.data, ad.p.shape, 'p');
    const opt = new AdamW([p], { lr: 1e-2, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.1 });
    for (let t = 1; t <= 3; t++) {
      gpu.upload(p.grad!.buffer, Float32Array.from(ad[`g${t}`].data));
      opt.step();
      report('adamw (torch)', assertClose(await p.toArray(), ad[`p${t}`].data, { atol: 1e-6, rtol: 1e-5, name: `adamw step ${t}` }));
    }
    const g1 = Tensor.param(gpu, new Float32Array(ad.clip_g1.data.length), ad.clip_g1.shape, 'g1');
    const g2 = Tensor.param(gpu, new Float32Array(ad.clip_g2.data.length), ad.clip_g2.shape, 'g2');
    gpu.upload(g1.grad!.buffer, Float32Array.from(ad.clip_g1.data));
    gpu.upload(g2.grad!.buffer, Float32Array.from(ad.clip_g2.data));
    const n = clipGradNorm([g1, g2], 1.0);
    report('clip_grad_norm (torch)', assertClose([await n.item()], ad.clip_norm.data, { atol: 1e-5, rtol: 1e-5, name: 'clip norm' }));
    assertClose(await g1.grad!.toArray(), ad.clip_g1_after.data, { atol: 1e-6, rtol: 1e-5, name: 'clipped g1' });
    assertClose(await g2.grad!.toArray(), ad.clip_g2_after.data, { atol: 1e-6, rtol: 1e-5, name: 'clipped g2' });
    [p, g1, g2].forEach((t) => t.dispose());
    opt.dispose();
  });
});

test.run();
