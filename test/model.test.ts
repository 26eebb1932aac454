// End-to-end model tests: a PyTorch-made HF-layout GPT-2 checkpoint (test/fixtures/gpt_small) gives
// PyTorch's logits, first gradients and 5 AdamW-step losses; save → load is exact; generation with
// the KV cache equals generation without it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getGpu } from '../src/gpu/device.ts';
import { IdBatch, noGrad, backward } from '../src/autograd/tensor.ts';
import { GPT } from '../src/model/gpt.ts';
import { PRESETS } from '../src/model/config.ts';
import { loadCheckpoint, saveCheckpoint } from '../src/hub/folder.ts';
import { parseSafetensors } from '../src/io/safetensors.ts';
import { crossEntropy } from '../src/ops/loss.ts';
import { Trainer } from '../src/train/trainer.ts';
import { generate } from '../src/model/generate.ts';
import { assertClose, FIXTURES, fixture, report } from './helpers.ts';
import { Tensor } from '../src/autograd/tensor.ts';
import { paramShapes } from '../src/model/params.ts';

const dir = join(FIXTURES, 'gpt_small');
const ref = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'ref.safetensors')))).tensors;
const R = (k: string) => {
  const t = ref.get(k);
  if (!t) throw new Error(`ref.safetensors has no ${k}`);
  return t;
};
const ids = R('ids');
const targets = R('targets');
const [B, T] = ids.shape;

test('HF-layout checkpoint (transformer. prefix, attn.bias buffers) loads; logits match PyTorch', async () => {
  const gpu = await getGpu();
  const ck = loadCheckpoint(dir);
  assert.is(ck.config.n_heads, 3);
  assert.is(ck.config.d_model, 48);
  assert.ok(ck.config.tie_embeddings);
  const model = GPT.fromParams(gpu, ck.config, ck.params);
  try {
    const logits = await gpu.scope(() => noGrad(() => model.forward(IdBatch.from(gpu, ids.ints!, [B, T], ck.config.vocab_size)).toArray()));
    report('gpt_small logits', assertClose(logits, R('logits').data, { atol: 1e-4, rtol: 1e-4, name: 'logits' }));
  } finally {
    model.dispose();
  }
});

test('first backward: loss and gradients match PyTorch', async () => {
  const gpu = await getGpu();
  const ck = loadCheckpoint(dir);
  const model = GPT.fromParams(gpu, ck.config, ck.params);
  try {
    await gpu.scope(async () => {
      const logits = model.forward(IdBatch.from(gpu, ids.ints!, [B, T], ck.config.vocab_size));
      const loss = crossEntropy(logits, targets.ints!);
      backward(loss);
      assertClose([await loss.item()], R('loss').data, { atol: 1e-5, rtol: 1e-5, name: 'loss' });
      for (const name of ['wte.weight', 'h.0.attn.c_attn.weight', 'ln_f.weight']) {
        const g = await model.p(name).grad!.toArray();
        report(`gpt_small grad ${name}`, assertClose(g, R(`grad.${name}`).data, { atol: 1e-4, rtol: 1e-4, name: `grad ${name}` }));
      }
    });
  } finally {
    model.dispose();
  }
});

test('5 AdamW steps: losses and final logits match PyTorch', async () => {
  const gpu = await getGpu();
  const ck = loadCheckpoint(dir);
  const model = GPT.fromParams(gpu, ck.config, ck.params);
  try {
    const trainer = new Trainer(model, { lr: 1e-3, weightDecay: 0.1, seed: 0 });
    const losses: number[] = [];
    for (let s = 0; s < 5; s++) losses.push(await trainer.step({ x: Int32Array.from(ids.ints!), y: Int32Array.from(targets.ints!), B, T }, s));
    report('gpt_small 5-step losses', assertClose(losses, R('losses').data, { atol: 1e-4, rtol: 1e-4, name: 'losses' }));
    const logits = await gpu.scope(() => noGrad(() => model.forward(IdBatch.from(gpu, ids.ints!, [B, T], ck.config.vocab_size)).toArray()));
    report('gpt_small logits after 5 steps', assertClose(logits, R('logits_after').data, { atol: 2e-4, rtol: 2e-4, name: 'logits after 5 steps' }));
  } finally {
    model.dispose();
  }
});

test('save → load gives identical logits (and an untied, sinusoidal model round-trips too)', async () => {
  const gpu = await getGpu();
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-ck-'));
  try {
    for (const cfg of [
      { ...PRESETS.tiny, vocab_size: 97, context_length: 16 },
      { ...PRESETS.tiny, vocab_size: 97, context_length: 16, positions: 'sinusoidal' as const, qkv_bias: true, tie_embeddings: true },
    ]) {
      const m = GPT.init(gpu, cfg, 7);
      const x = Array.from({ length: 2 * 9 }, (_, i) => (i * 31) % 97);
      const run = (model: GPT) => gpu.scope(() => noGrad(() => model.forward(IdBatch.from(gpu, x, [2, 9], 97)).toArray()));
      const before = await run(m);
      saveCheckpoint(join(tmp, 'ck'), cfg, await m.exportParams());
      m.dispose();
      const ck = loadCheckpoint(join(tmp, 'ck'));
      assert.equal(ck.config, cfg);
      const m2 = GPT.fromParams(gpu, ck.config, ck.params);
      const after = await run(m2);
      m2.dispose();
      assertClose(after, before, { atol: 0, rtol: 0, name: 'logits after reload' });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('generation: KV cache == no cache (greedy), context length enforced', async () => {
  const gpu = await getGpu();
  const cfg = { ...PRESETS.tiny, vocab_size: 61, context_length: 12 };
  const m = GPT.init(gpu, cfg, 3);
  try {
    const prompt = [5, 9, 13];
    const a: number[] = [];
    const b: number[] = [];
    for await (const id of generate(m, prompt, { maxNewTokens: 14, temperature: 0, useCache: true })) a.push(id);
    for await (const id of generate(m, prompt, { maxNewTokens: 14, temperature: 0, useCache: false })) b.push(id);
    assert.equal(a, b, 'cached and uncached greedy generations agree (past the context window too)');
    assert.is(a.length, 14);
    assert.throws(() => m.forward(IdBatch.from(gpu, new Array(13).fill(1), [1, 13], 61)), /13 tokens is longer than the model's context_length 12/);
    assert.throws(() => IdBatch.from(gpu, [1, 61], [1, 2], 61), /token id 61 at position 1 is out of range \[0, 61\)/);
  } finally {
    m.dispose();
  }
});

test('KV-cache decode with the LayerNorms inside their matmuls (layerNormLinear) = the unfused decode bit for bit; 5 dispatches fewer per token', async () => {
  const gpu = await getGpu();
  const V = 1413;
  const m = GPT.init(gpu, { ...PRESETS.small, vocab_size: V }, 7);
  const [c1, c2] = [m.createCaches(1), m.createCaches(1)];
  try {
    const prompt = [5, 9, 13, 200, 1400, 3, 77, 8];
    let worst = 0;
    await gpu.scope(async () => {
      const run = (caches: typeof c1, ids: number[], pos: number, fuseLayerNorm: boolean) => {
        const d0 = gpu.dispatchCount;
        const logits = noGrad(() => m.forwardCached(IdBatch.from(gpu, ids, [1, ids.length], V), caches, pos, { fuseLayerNorm }));
        return { logits, dispatches: gpu.dispatchCount - d0 };
      };
      // the prompt (8 rows) takes the separate ops either way
      const p1 = run(c1, prompt, 0, true);
      const p2 = run(c2, prompt, 0, false);
      assert.is(p1.dispatches, p2.dispatches, 'a prompt of 8 rows is not fused');
      assert.equal([...(await p1.logits.toArray())], [...(await p2.logits.toArray())]);
      for (let t = 0; t < 5; t++) {
        const id = [(t * 331 + 17) % V];
        const f = run(c1, id, prompt.length + t, true);
        const u = run(c2, id, prompt.length + t, false);
        assert.is(f.dispatches, u.dispatches - (2 * PRESETS.small.n_layers + 1), `token ${t}: ${f.dispatches} dispatches fused, ${u.dispatches} unfused`);
        const [a, b] = [await f.logits.toArray(), await u.logits.toArray()];
        assert.equal(new Uint32Array(a.buffer), new Uint32Array(b.buffer), `decode logits, token ${t}: the same bits`);
        worst = Math.max(worst, assertClose(a, b, { atol: 0, rtol: 0, name: `decode logits, token ${t}` }));
        if (t === 4) console.log(`  decode: ${f.dispatches} dispatches per token fused, ${u.dispatches} unfused; logits max |diff| ${worst.toExponential(2)}`);
      }
    });
    report('gpt small decode fused LN vs unfused logits', worst);
  } finally {
    for (const c of [...c1, ...c2]) c.dispose();
    m.dispose();
  }
});

test('one pre-LN GPT-2 block: output, input gradient and every parameter gradient match PyTorch', async () => {
  const gpu = await getGpu();
  type F = { meta: { n_heads: number; eps: number; params: string[] }; tensors: Record<string, { shape: number[]; data: number[] }> };
  const f = fixture<F>('gpt_block.json');
  const t = f.tensors;
  const C = t.x.shape[2];
  const cfg = { ...PRESETS.tiny, vocab_size: 4, context_length: t.x.shape[1], d_model: C, n_heads: f.meta.n_heads, n_layers: 1, qkv_bias: true, layernorm_eps: f.meta.eps };
  const params = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, shape] of paramShapes(cfg)) {
    const src = name.startsWith('h.0.') ? t[name.slice(4)] : undefined;
    params.set(name, { shape, data: src ? Float32Array.from(src.data) : new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(name.includes('ln_f.weight') ? 1 : 0.01) });
  }
  const model = GPT.fromParams(gpu, cfg, params);
  try {
    await gpu.scope(async () => {
      const x = Tensor.from(gpu, t.x.data, t.x.shape, { requiresGrad: true });
      const y = model.blockForward(0, x);
      report('gpt block fwd (torch)', assertClose(await y.toArray(), t.out.data, { atol: 1e-5, rtol: 1e-5, name: 'block out' }));
      backward(y, Tensor.from(gpu, t.grad_out.data, t.grad_out.shape));
      let worst = assertClose(await x.grad!.toArray(), t.grad_x.data, { atol: 1e-4, rtol: 1e-4, name: 'block grad_x' });
      for (const p of f.meta.params) {
        worst = Math.max(worst, assertClose(await model.p('h.0.' + p).grad!.toArray(), t['grad.' + p].data, { atol: 1e-4, rtol: 1e-4, name: `block grad ${p}` }));
      }
      report('gpt block grads (torch)', worst);
    });
  } finally {
    model.dispose();
  }
});

test.run();
