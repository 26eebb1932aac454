// The layer library (src/model/layers.ts): tables declared by the layers, and the LinearAdapter seam — an adapter
// whose delta is x·D must give exactly the model whose weight is W + D (merged), in training (gradients), in a plain
// forward and in fused decode steps, while modules it does not target keep their fused paths.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu } from '../src/gpu/device.ts';
import { IdBatch, Tensor, noGrad, backward } from '../src/autograd/tensor.ts';
import { GPT } from '../src/model/gpt.ts';
import { PRESETS, type GPTConfig } from '../src/model/config.ts';
import { initParams, type LinearAdapter, type ParamMap } from '../src/model/model.ts';
import { gptParamTable } from '../src/model/params.ts';
import { linear } from '../src/ops/matmul.ts';
import { Params, Linear, LayerModel, tableOf } from '../src/model/layers.ts';
import { loadCheckpoint } from '../src/hub/folder.ts';
import { isSequenceClassifier } from '../src/model/model.ts';
import { join } from 'node:path';
import { init } from '../src/model/model.ts';
import { assertClose, randn, throwsMsg, FIXTURES } from './helpers.ts';

const CFG: GPTConfig = { ...PRESETS.tiny, vocab_size: 23, context_length: 8, d_model: 8, n_heads: 2, n_layers: 2, qkv_bias: true, tie_embeddings: true };

test('a layer declares its rows once: Linear in both layouts, duplicate names refused', () => {
  const rows = tableOf('t', (ps) => {
    new Linear(ps.scope('a.'), 'conv', 3, 5, { layout: 'conv1d', init: init.normal(0.02) });
    new Linear(ps, 'lin', 3, 5, { layout: 'torch', bias: false, init: init.normal(0.02) });
  });
  assert.equal(rows.map((r) => [r.name, r.shape]), [['a.conv.weight', [3, 5]], ['a.conv.bias', [5]], ['lin.weight', [5, 3]]]);
  const ps = new Params('t');
  new Linear(ps, 'x', 2, 2, { layout: 'torch', init: init.zeros() });
  throwsMsg(() => new Linear(ps, 'x', 2, 2, { layout: 'torch', init: init.zeros() }), /parameter 'x\.weight' is declared twice/);
  assert.equal([...ps.linearModules], ['x']);
});

/** Adapter adding x·D[module] (D [in, out]) to the modules it holds; records which modules it was asked about. */
function additive(gpu: Awaited<ReturnType<typeof getGpu>>, deltas: Map<string, { shape: number[]; data: Float32Array }>): LinearAdapter & { asked: Set<string> } {
  const ts = new Map([...deltas].map(([m, d]) => [m, Tensor.from(gpu, d.data, d.shape)]));
  const asked = new Set<string>();
  return {
    modules: new Set(deltas.keys()),
    asked,
    delta(module: string, x: Tensor) {
      asked.add(module);
      const d = ts.get(module);
      return d ? linear(x, d) : null;
    },
  };
}

function merged(base: ParamMap, deltas: Map<string, { shape: number[]; data: Float32Array }>): ParamMap {
  const out: ParamMap = new Map();
  for (const [n, p] of base) {
    const d = deltas.get(n.replace(/\.weight$/, ''));
    out.set(n, { shape: p.shape, data: d && n.endsWith('.weight') ? p.data.map((v, i) => v + d.data[i]) : p.data.slice() });
  }
  return out;
}

test('GPT + adapter = GPT with merged weights: logits, loss gradients, fused decode steps', async () => {
  const gpu = await getGpu();
  const base = initParams(gptParamTable(CFG), 5);
  const C = CFG.d_model;
  // c_attn (fed by a fused LayerNorm in decode steps) and mlp.c_proj (a fused residual) of block 1, c_fc of block 0
  const deltas = new Map([
    ['h.1.attn.c_attn', { shape: [C, 3 * C], data: randn(C * 3 * C, 11).map((v) => v * 0.05) }],
    ['h.1.mlp.c_proj', { shape: [4 * C, C], data: randn(4 * C * C, 12).map((v) => v * 0.05) }],
    ['h.0.mlp.c_fc', { shape: [C, 4 * C], data: randn(C * 4 * C, 13).map((v) => v * 0.05) }],
  ]);
  const a = GPT.fromParams(gpu, CFG, base);
  const m = GPT.fromParams(gpu, CFG, merged(base, deltas));
  const ad = additive(gpu, deltas);
  a.adapter = ad;
  const ids = [1, 4, 7, 2, 9, 3, 0, 5, 8, 6];
  const B = 2, T = 5;
  try {
    // plain forward (inference: linearGelu / linearResidual on the other modules)
    const [la, lm] = await gpu.scope(() => noGrad(async () => [await a.forward(IdBatch.from(gpu, ids, [B, T], CFG.vocab_size)).toArray(), await m.forward(IdBatch.from(gpu, ids, [B, T], CFG.vocab_size)).toArray()]));
    assertClose(la, lm, { atol: 1e-5, rtol: 1e-5, name: 'logits' });
    assert.ok(ad.asked.has('h.0.attn.c_attn') && ad.asked.has('h.1.attn.c_attn'), 'the plain path asks the adapter');
    // a training step's gradients on the base weights equal the merged model's
    const y = ids.slice(1).concat([0]);
    const grads = async (g: GPT) => {
      for (const p of g.paramList()) p.zeroGrad();
      gpu.scope(() => backward(g.loss({ x: Int32Array.from(ids), y: Int32Array.from(y), B, T })));
      return Promise.all(['h.1.attn.c_attn.weight', 'h.0.mlp.c_fc.bias', 'wte.weight'].map(async (n) => (await g.params.get(n)!.grad!.toArray()) as Float32Array));
    };
    const ga = await grads(a);
    const gm = await grads(m);
    ga.forEach((g, i) => {
      assert.ok(g.some((v) => Math.abs(v) > 1e-6), `gradient ${i} is not all zero`);
      assertClose(g, gm[i], { atol: 1e-6, rtol: 1e-4, name: `grad ${i}` });
    });
    // decode steps with the fused LayerNorm matmuls (the adapted modules fall back to the plain ops)
    const step = async (g: GPT) =>
      gpu.scope(() =>
        noGrad(async () => {
          const caches = g.createCaches(1, 8);
          const out: number[] = [];
          for (let t = 0; t < 4; t++) out.push(...(await g.forwardCached(IdBatch.from(gpu, [ids[t]], [1, 1], CFG.vocab_size), caches, t).toArray()));
          caches.forEach((c) => c.dispose());
          return out;
        }),
      );
    assertClose(await step(a), await step(m), { atol: 1e-5, rtol: 1e-5, name: 'decode steps' });
    // an adapter naming a module the model lacks is refused in one line
    throwsMsg(() => (a.adapter = { modules: new Set(['h.9.attn.c_attn']), delta: () => null }), /targets 'h\.9\.attn\.c_attn', which is not a linear module/);
    a.adapter = undefined;
    const plain = await gpu.scope(() => noGrad(async () => a.forward(IdBatch.from(gpu, ids, [B, T], CFG.vocab_size)).toArray()));
    const baseM = GPT.fromParams(gpu, CFG, base);
    const want = await gpu.scope(() => noGrad(async () => baseM.forward(IdBatch.from(gpu, ids, [B, T], CFG.vocab_size)).toArray()));
    baseM.dispose();
    assert.equal(Array.from(plain), Array.from(want), 'adapter removed: the base model again');
  } finally {
    a.dispose();
    m.dispose();
  }
});

test('encoder (nn.Linear layout) + adapter = merged weights: RoBERTa classifier logits and gradients', async () => {
  const gpu = await getGpu();
  const ck = loadCheckpoint(join(FIXTURES, 'roberta_cls'));
  const H = ck.config.hidden_size;
  const modules = ['roberta.encoder.layer.0.attention.self.query', 'roberta.encoder.layer.1.output.dense', 'classifier.out_proj'];
  // delta x·D with D [in, out]; the merged nn.Linear weight [out, in] gets Dᵀ
  const deltas = new Map(modules.map((m, i) => {
    const w = ck.params.get(m + '.weight')!;
    const [out, inF] = w.shape;
    return [m, { shape: [inF, out], data: randn(inF * out, 20 + i).map((v) => v * 0.05) }];
  }));
  const merged: ParamMap = new Map();
  for (const [n, p] of ck.params) {
    const d = deltas.get(n.replace(/\.weight$/, ''));
    if (!d || !n.endsWith('.weight')) merged.set(n, { shape: p.shape, data: p.data.slice() });
    else {
      const [out, inF] = p.shape;
      merged.set(n, { shape: p.shape, data: p.data.map((v, k) => v + d.data[(k % inF) * out + Math.floor(k / inF)]) });
    }
  }
  const a = ck.arch.create(gpu, ck.config, ck.params);
  const m = ck.arch.create(gpu, ck.config, merged);
  try {
    if (!(a instanceof LayerModel) || !isSequenceClassifier(a) || !isSequenceClassifier(m)) throw new Error('a classifier on the layers');
    a.adapter = additive(gpu, deltas);
    assert.ok(a.linearModules().includes('classifier.dense') && H > 0);
    const ids = IdBatch.from(gpu, [0, 5, 6, 7, 2, 0, 8, 9, 2, 1], [2, 5], 41);
    const mask = [1, 1, 1, 1, 1, 1, 1, 1, 1, 0];
    const [la, lm] = await gpu.scope(() => noGrad(async () => [await a.classify(ids, mask).toArray(), await m.classify(ids, mask).toArray()]));
    assertClose(la, lm, { atol: 1e-5, rtol: 1e-5, name: 'classifier logits' });
    const grad = async (g: typeof a | typeof m) => {
      for (const p of g.paramList()) p.zeroGrad();
      gpu.scope(() => backward(g.loss({ ids: Int32Array.from(ids.ids), attentionMask: Uint8Array.from(mask), labels: Int32Array.from([1, 0]), B: 2, T: 5 } as never)));
      return g.params.get('roberta.embeddings.word_embeddings.weight')!.grad!.toArray();
    };
    const ga = await grad(a);
    assert.ok(ga.some((v) => Math.abs(v) > 1e-6));
    assertClose(ga, await grad(m), { atol: 1e-6, rtol: 1e-4, name: 'word-embedding gradient' });
  } finally {
    a.dispose();
    m.dispose();
  }
});

test.run();
