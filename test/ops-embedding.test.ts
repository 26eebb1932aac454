// Embedding gather / deterministic scatter backward, the one-hot kernel and the course's gather == one-hot·W
// point, learned and sinusoidal positions: vs CPU references, finite differences and PyTorch fixtures.
// Elementwise ops (add, gelu, dropout, scale) are in ops-elementwise.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { getGpu } from '../src/gpu/device.ts';
import { Tensor, IdBatch, backward } from '../src/autograd/tensor.ts';
import { add, scale } from '../src/ops/elementwise.ts';
import { diffCounters } from '../src/gpu/device.ts';
import { embedding, embeddingWithPositions, oneHot, onehotEmbedding, sinusoidalPositions, positionIds, groupIds } from '../src/ops/embedding.ts';
import { gatherRef, gatherAddRef, scatterRef, onehotRef, sinusoidRef } from '../src/ref/embedding.ts';
import { assertClose, randn, rng, FIXTURES, fixture, report, throwsMsg } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';

type F = { tensors: Record<string, { shape: number[]; data: number[] }> };
const need = (name: string) => {
  if (!existsSync(FIXTURES + name)) throw new Error(`test/fixtures/${name} is missing: run test/fixtures/gen.py`);
  return fixture<F>(name).tensors;
};
const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

test('groupIds: sorted unique ids, CSR offsets, positions in ascending order per id', () => {
  const { csr, U } = groupIds(Int32Array.from([4, 1, 4, 0, 1, 4]));
  assert.is(U, 3);
  assert.equal([...csr], [0, 1, 4, /* offsets */ 0, 1, 3, 6, /* positions */ 3, 1, 4, 0, 2, 5]);
  assert.equal([...groupIds(new Int32Array(0)).csr], [0]);
  // the padding id's positions are left out
  const g = groupIds(Int32Array.from([4, 1, 4, 0, 1, 4]), 4);
  assert.is(g.U, 2);
  assert.equal([...g.csr], [0, 1, /* offsets */ 0, 1, 3, /* positions */ 3, 1, 4]);
});

test('embedding paddingIdx: the row is gathered but gets no gradient (also negative), vs reference and nn.Embedding(padding_idx)', async () => {
  const gpu = await getGpu();
  for (const [V, C, pad, shape] of [[7, 3, 2, [17]], [65, 33, 64, [2, 33]], [5, 4, -1, [3, 5]], [3, 1, 0, [1]]] as [number, number, number, number[]][]) {
    await gpu.scope(async () => {
      const R = numel(shape);
      const r = rng(V + C + 1);
      const p = pad < 0 ? pad + V : pad;
      const ids = Array.from({ length: R }, (_, i) => (i % 3 === 0 ? p : Math.floor(r() * V)));
      const W = randn(V * C, 8);
      const dy = randn(R * C, 9);
      const w = Tensor.param(gpu, W, [V, C], 'w');
      const y = embedding(IdBatch.from(gpu, ids, shape, V), w, { paddingIdx: pad });
      const tag = `V${V} C${C} pad ${pad}`;
      assertClose(await y.toArray(), gatherRef(ids, W, C), { atol: 0, rtol: 0, name: `gather ${tag}` });
      backward(y, Tensor.from(gpu, dy, [...shape, C]));
      const g = await w.grad!.toArray();
      report('embedding padding scatter vs ref', assertClose(g, scatterRef(ids, dy, V, C, p), { atol: 1e-5, rtol: 1e-6, name: `scatter ${tag}` }));
      assert.ok(g.slice(p * C, (p + 1) * C).every((v) => v === 0), `row ${p} gets no gradient (${tag})`);
      w.dispose();
    });
  }
  await gpu.scope(async () => {
    const f = need('embedding_padding.json');
    const ids = f.ids.data;
    for (const [pfx, pad] of [['', 3], ['neg_', -2]] as const) {
      const w = Tensor.param(gpu, f[`${pfx}weight`].data, f[`${pfx}weight`].shape, 'w');
      const y = embedding(IdBatch.from(gpu, ids, f.ids.shape, 11), w, { paddingIdx: pad });
      report('embedding padding fwd (torch)', assertClose(await y.toArray(), f[`${pfx}out`].data, { atol: 0, rtol: 0, name: `${pfx}padding out` }));
      backward(y, Tensor.from(gpu, f[`${pfx}grad_out`].data, f[`${pfx}grad_out`].shape));
      report('embedding padding grad (torch)', assertClose(await w.grad!.toArray(), f[`${pfx}grad_weight`].data, { atol: 1e-6, rtol: 1e-6, name: `${pfx}padding grad` }));
      w.dispose();
    }
    const w = Tensor.zeros(gpu, [4, 2]);
    const b = IdBatch.from(gpu, [0, 1], [2], 4);
    throwsMsg(() => embedding(b, w, { paddingIdx: 4 }), /^embedding: paddingIdx 4 is out of range \[-4, 4\)$/);
    throwsMsg(() => embedding(b, w, { paddingIdx: -5 }), /^embedding: paddingIdx -5 is out of range \[-4, 4\)$/);
    throwsMsg(() => embedding(b, w, { paddingIdx: 1.5 }), /paddingIdx 1.5 is out of range/);
    // no ids: an empty result, no gradient
    const wp = Tensor.param(gpu, new Float32Array(8).fill(1), [4, 2], 'wp');
    const ye = embedding(IdBatch.from(gpu, [], [2, 0], 4), wp, { paddingIdx: 0 });
    assert.equal(ye.shape, [2, 0, 2]);
    backward(ye, Tensor.from(gpu, [], [2, 0, 2]));
    assert.equal([...(await wp.grad!.toArray())], new Array(8).fill(0));
    wp.dispose();
  });
});

test('embedding gather and deterministic scatter backward vs CPU reference (repeated ids, odd sizes)', async () => {
  const gpu = await getGpu();
  // [V, C, ids shape]: sizes 1, 3, 17, 33, 65 (none a multiple of the 64-wide workgroup), and a
  // 2-id vocabulary over 1000 positions (one invocation sums ~500 rows)
  const cases: [number, number, number[]][] = [[1, 1, [1]], [7, 3, [17]], [65, 33, [2, 33]], [3, 65, [5, 13]], [2, 17, [1000]]];
  for (const [V, C, shape] of cases) {
    await gpu.scope(async () => {
      const R = numel(shape);
      const r = rng(V * 31 + C);
      const ids = Array.from({ length: R }, () => Math.floor(r() * V));
      const W = randn(V * C, 3);
      const dy = randn(R * C, 4);
      const runOnce = async () => {
        const w = Tensor.param(gpu, W, [V, C], 'w');
        const y = embedding(IdBatch.from(gpu, ids, shape, V), w);
        assert.equal(y.shape, [...shape, C]);
        const out = await y.toArray();
        backward(y, Tensor.from(gpu, dy, [...shape, C]));
        const g = await w.grad!.toArray();
        w.dispose();
        return { out, g };
      };
      const a = await runOnce();
      const b = await runOnce();
      const tag = `V${V} C${C} [${shape}]`;
      assertClose(a.out, gatherRef(ids, W, C), { atol: 0, rtol: 0, name: `gather ${tag}` });
      report('embedding scatter vs ref', assertClose(a.g, scatterRef(ids, dy, V, C), { atol: 1e-5, rtol: 1e-6, name: `scatter ${tag}` }));
      assert.equal(new Uint32Array(a.g.buffer), new Uint32Array(b.g.buffer), `scatter-add is bit-identical across runs (${tag})`);
    });
  }
});

test('embedding backward accumulates (+=) into weight.grad; bad ids and shapes are refused', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const [V, C] = [5, 3];
    const W = randn(V * C, 5);
    const w = Tensor.param(gpu, W, [V, C], 'w');
    const ids1 = [4, 0, 4];
    const ids2 = [1, 4];
    const dy1 = randn(3 * C, 6);
    const dy2 = randn(2 * C, 7);
    backward(embedding(IdBatch.from(gpu, ids1, [3], V), w), Tensor.from(gpu, dy1, [3, C]));
    backward(embedding(IdBatch.from(gpu, ids2, [2], V), w), Tensor.from(gpu, dy2, [2, C]));
    const want = scatterRef([...ids1, ...ids2], [...dy1, ...dy2], V, C);
    assertClose(await w.grad!.toArray(), want, { atol: 1e-6, rtol: 1e-6, name: 'two backward passes sum' });
    const w3 = Tensor.from(gpu, new Float32Array(6), [3, 2]);
    assert.throws(() => embedding(new IdBatch(gpu, Int32Array.from([0, 3]), [2], w3.buffer), w3), /embedding: id 3 at position 1 is out of range \[0, 3\)/);
    assert.throws(() => embedding(new IdBatch(gpu, Int32Array.from([0, -1]), [2], w3.buffer), w3), /embedding: id -1 at position 1 is out of range \[0, 3\)/);
    assert.throws(() => embedding(IdBatch.from(gpu, [0], [1], 3), Tensor.from(gpu, new Float32Array(6), [6])), /embedding/);
  });
});

test('one-hot kernel vs reference (odd sizes)', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    for (const [V, R] of [[1, 1], [17, 3], [65, 33], [3, 65]] as const) {
      const r = rng(V + 7 * R);
      const ids = Array.from({ length: R }, () => Math.floor(r() * V));
      const oh = oneHot(IdBatch.from(gpu, ids, [R], V), V);
      assert.equal(oh.shape, [R, V]);
      assertClose(await oh.toArray(), onehotRef(ids, V), { atol: 0, rtol: 0, name: `onehot V${V} R${R}` });
    }
  });
});

test("the course's point: gather == one-hot · W forward, and their weight gradients agree", async () => {
  const gpu = await getGpu();
  for (const [V, C, shape] of [[13, 5, [2, 4]], [65, 17, [33]], [6, 3, [4]]] as [number, number, number[]][]) {
    await gpu.scope(async () => {
      const R = numel(shape);
      const r = rng(V * C);
      const ids = Array.from({ length: R }, (_, i) => (i < 3 ? 2 : Math.floor(r() * V))); // id 2 repeats
      const W = randn(V * C, 9);
      const dy = randn(R * C, 10);
      const w1 = Tensor.from(gpu, W, [V, C], { requiresGrad: true });
      const w2 = Tensor.from(gpu, W, [V, C], { requiresGrad: true });
      const y1 = embedding(IdBatch.from(gpu, ids, shape, V), w1);
      const y2 = onehotEmbedding(IdBatch.from(gpu, ids, shape, V), w2);
      assert.equal(y2.shape, [...shape, C]);
      const tag = `V${V} C${C} [${shape}]`;
      report('one-hot·W vs gather fwd', assertClose(await y2.toArray(), await y1.toArray(), { atol: 1e-6, rtol: 0, name: `one-hot·W vs gather ${tag}` }));
      backward(y1, Tensor.from(gpu, dy, [...shape, C]));
      backward(y2, Tensor.from(gpu, dy, [...shape, C]));
      report('one-hot·W vs gather dW', assertClose(await w2.grad!.toArray(), await w1.grad!.toArray(), { atol: 1e-6, rtol: 1e-6, name: `weight grads ${tag}` }));
    });
  }
});

test('positions: learned = embedding over arange(pos0…); sinusoidal table vs reference', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    for (const [T, C, p0] of [[7, 6, 0], [33, 17, 5], [1, 1, 0], [65, 64, 0], [3, 2, 1000]] as const) {
      const pe = sinusoidalPositions(gpu, T, C, p0);
      assert.equal(pe.shape, [T, C]);
      assert.not.ok(pe.requiresGrad, 'the sinusoidal table is not trained');
      report('sinusoid vs ref', assertClose(await pe.toArray(), sinusoidRef(T, C, p0), { atol: 2e-5, rtol: 1e-5, name: `sinusoid T=${T} C=${C} pos0=${p0}` }));
    }
    const pid = positionIds(gpu, 4, 3);
    assert.equal([...pid.ids], [3, 4, 5, 6]);
    assert.equal(pid.shape, [4]);
    const W = randn(9 * 2, 8);
    const y = embedding(pid, Tensor.from(gpu, W, [9, 2]));
    assertClose(await y.toArray(), W.slice(6, 14), { atol: 0, rtol: 0, name: 'learned positions = rows pos0…pos0+T−1' });
  });
});

test('embeddingWithPositions (one dispatch forward, one backward; vec4 entries when C % 4 = 0) = scale + gather + gather of positions + add, forward and both gradients bit for bit; vs reference; bad positions', async () => {
  const gpu = await getGpu();
  // [V, C, B, T, table rows, pos0, scale, paddingIdx]
  const cases: [number, number, number, number, number, number, number, number | undefined][] = [
    [7, 3, 1, 5, 5, 0, 1, undefined],
    [65, 33, 2, 17, 40, 3, 1, undefined],
    [11, 65, 3, 1, 9, 8, 8, 2],
    [5, 17, 4, 13, 13, 0, Math.sqrt(17), 0],
    // C a multiple of 4: the vec4 entries (gather_add4, scatter2_4)
    [65, 64, 2, 17, 40, 3, 1, undefined],
    [11, 8, 3, 5, 9, 2, 8, 2],
  ];
  for (const [V, C, B, T, NP, pos0, s, pad] of cases) {
    await gpu.scope(async () => {
      const r = rng(V * 7 + C);
      const ids = Array.from({ length: B * T }, () => Math.floor(r() * V));
      const W = randn(V * C, 31);
      const P = randn(NP * C, 32);
      const dy = randn(B * T * C, 33);
      const tag = `V${V} C${C} B${B} T${T} pos0=${pos0} scale ${s} pad ${pad}`;
      const run = async (fused: boolean) => {
        const w = Tensor.param(gpu, W, [V, C], 'w');
        const p = Tensor.param(gpu, P, [NP, C], 'p');
        const idb = IdBatch.from(gpu, ids, [B, T], V);
        const c0 = { ...gpu.counters };
        let y: Tensor;
        if (fused) y = embeddingWithPositions(idb, w, p, { pos0, scale: s, paddingIdx: pad });
        else {
          let x = embedding(idb, w, { paddingIdx: pad });
          if (s !== 1) x = scale(x, s);
          y = add(x, embedding(positionIds(gpu, T, pos0), p));
        }
        const fwd = diffCounters(gpu.counters, c0).dispatches;
        assert.equal(y.shape, [B, T, C]);
        const out = await y.toArray();
        const dyT = Tensor.from(gpu, dy, [B, T, C]);
        const c1 = { ...gpu.counters };
        backward(y, dyT);
        const bwd = diffCounters(gpu.counters, c1).dispatches;
        const res = { out, fwd, bwd, gw: await w.grad!.toArray(), gp: await p.grad!.toArray() };
        w.dispose();
        p.dispose();
        return res;
      };
      const f = await run(true);
      const u = await run(false);
      assert.is(f.fwd, 1, 'one forward dispatch');
      assert.is(f.bwd, 1, 'one backward dispatch: both tables scattered together (scatter2)');
      assert.ok(u.fwd >= 3);
      for (const k of ['out', 'gw', 'gp'] as const) assert.equal(new Uint32Array(f[k].buffer), new Uint32Array(u[k].buffer), `${k} bit for bit vs the unfused ops (${tag})`);
      const e1 = assertClose(f.out, gatherAddRef(ids, W, P, C, T, pos0, s), { atol: 0, rtol: 0, name: `gather_add ${tag}` });
      const dyS = dy.map((v) => Math.fround(v * Math.fround(s)));
      const e2 = assertClose(f.gw, scatterRef(ids, dyS, V, C, pad), { atol: 1e-5, rtol: 1e-5, name: `token grad ${tag}` });
      const e3 = assertClose(f.gp, scatterRef(Array.from({ length: B * T }, (_, i) => pos0 + (i % T)), dy, NP, C), { atol: 1e-5, rtol: 1e-5, name: `position grad ${tag}` });
      report('embeddingWithPositions vs ref', Math.max(e1, e2, e3));
      console.log(`  embeddingWithPositions ${tag}: = unfused bit for bit; vs ref out ${e1.toExponential(2)}, dW ${e2.toExponential(2)}, dP ${e3.toExponential(2)}`);
    });
  }
  await gpu.scope(async () => {
    const w = Tensor.from(gpu, randn(12, 1), [4, 3]);
    const p = Tensor.from(gpu, randn(15, 2), [5, 3]);
    const idb = IdBatch.from(gpu, [0, 1, 2, 3], [2, 2], 4);
    throwsMsg(() => embeddingWithPositions(idb, w, p, { pos0: 4 }), /^embeddingWithPositions: positions 4…5 are outside the table's 5 rows$/);
    throwsMsg(() => embeddingWithPositions(idb, w, Tensor.from(gpu, randn(10, 3), [5, 2])), /^embeddingWithPositions: .*positions/);
  });
});

test('finite differences: embedding (repeated ids), through a 2-D id batch', async () => {
  const gpu = await getGpu();
  const ids = IdBatch.from(gpu, [1, 0, 1, 3, 1, 2], [2, 3], 4);
  const errs = await gradCheck(gpu, 'embedding', [{ data: randn(12, 1), shape: [4, 3] }], ([w]) => embedding(ids, w));
  report('embedding gradcheck', Math.max(...errs));
  ids.dispose();
});

test('PyTorch fixtures: nn.Embedding (and the course seed 123 numbers), learned positions, sinusoidal table', async () => {
  const gpu = await getGpu();
  const e = need('embedding.json');
  await gpu.scope(async () => {
    const V = e.weight.shape[0];
    const w = Tensor.from(gpu, e.weight.data, e.weight.shape, { requiresGrad: true });
    const y = embedding(IdBatch.from(gpu, e.ids.data, e.ids.shape, V), w);
    report('embedding fwd (torch)', assertClose(await y.toArray(), e.out.data, { atol: 0, rtol: 0, name: 'embedding out' }));
    backward(y, Tensor.from(gpu, e.grad_out.data, e.grad_out.shape));
    report('embedding grad (torch)', assertClose(await w.grad!.toArray(), e.grad_weight.data, { atol: 1e-6, rtol: 1e-6, name: 'embedding grad_weight' }));
    const w2 = Tensor.from(gpu, e.weight.data, e.weight.shape, { requiresGrad: true });
    const y2 = onehotEmbedding(IdBatch.from(gpu, e.ids.data, e.ids.shape, V), w2);
    report('one-hot·W fwd (torch)', assertClose(await y2.toArray(), e.out.data, { atol: 1e-6, rtol: 0, name: 'one-hot·W out' }));
    backward(y2, Tensor.from(gpu, e.grad_out.data, e.grad_out.shape));
    report('one-hot·W grad (torch)', assertClose(await w2.grad!.toArray(), e.grad_weight.data, { atol: 1e-5, rtol: 1e-5, name: 'one-hot·W grad_weight' }));
    const cw = Tensor.from(gpu, e.course_weight.data, e.course_weight.shape);
    const co = await embedding(IdBatch.from(gpu, [2, 3, 5, 1], [4], 6), cw).toArray();
    assertClose(co, e.course_out.data, { atol: 0, rtol: 0, name: 'course embedding' });
    // the course prints (torch.manual_seed(123); nn.Embedding(6, 3))(tensor([2, 3, 5, 1])) to 4 decimals
    const printed = [1.2753, -0.201, -0.1606, -0.4015, 0.9666, -1.1481, -2.8400, -0.7849, -1.4096, 0.9178, 1.5810, 1.3010];
    assertClose(co, printed, { atol: 5e-5, rtol: 0, name: 'course printed numbers' });
  });
  const p = need('positions.json');
  await gpu.scope(async () => {
    const [T, C] = p.sinusoidal.shape;
    report('sinusoidal (torch)', assertClose(await sinusoidalPositions(gpu, T, C).toArray(), p.sinusoidal.data, { atol: 1e-6, rtol: 1e-6, name: 'sinusoidal' }));
    const [Tl] = p.learned_out.shape;
    const wpe = Tensor.from(gpu, p.learned_weight.data, p.learned_weight.shape);
    report('learned positions (torch)', assertClose(await embedding(positionIds(gpu, Tl), wpe).toArray(), p.learned_out.data, { atol: 0, rtol: 0, name: 'learned positions' }));
  });
});

test.run();
