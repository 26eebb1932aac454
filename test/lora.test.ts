// LoRA against PyTorch (test/fixtures/gen_finetune.py, PEFT's math written out): the delta on a Linear and on a
// Conv1D (forward, grads of A, B and x, rsLoRA, 5 AdamW steps, merged weights); a PEFT adapter folder for
// gpt_small loads as PEFT wrote it (logits, merged logits, grads of A and B, 5 AdamW steps with the base frozen);
// the folder we write reads back with PEFT's key names; fresh adapters start as the base model.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getGpu } from '../src/gpu/device.ts';
import { Tensor, IdBatch, backward, noGrad } from '../src/autograd/tensor.ts';
import { linear, linearT } from '../src/ops/matmul.ts';
import { add } from '../src/ops/binary.ts';
import { reshape } from '../src/ops/shape.ts';
import { crossEntropy } from '../src/ops/loss.ts';
import { AdamW } from '../src/train/adamw.ts';
import { Trainer } from '../src/train/trainer.ts';
import { LoRA, mergeLora, readPeft, initLoraWeights, matchTargets, loraModules, type LoraConfig } from '../src/model/lora.ts';
import { loadAdapter, readAdapterFolder, writeAdapterFolder } from '../src/model/lora-folder.ts';
import { loadCheckpoint } from '../src/hub/folder.ts';
import { GPT } from '../src/model/gpt.ts';
import { parseSafetensors } from '../src/io/safetensors.ts';
import { readFixture, assertClose as closeTo, throwsMsg, FIXTURES } from './helpers.ts';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number, name: string) => closeTo(a, b, { atol, rtol, name });
const f32 = (d: ArrayLike<number>) => Float32Array.from(d);

test('LoRA delta on a Linear and a Conv1D: forward, grads of A, B and x, rsLoRA, 5 AdamW steps, merged weight', async () => {
  const gpu = await getGpu();
  const f = readFixture('finetune_lora.json');
  const [r, alpha, IN, OUT] = [Number(f.meta.r), Number(f.meta.alpha), Number(f.meta.in), Number(f.meta.out)];
  for (const kind of ['linear', 'conv1d'] as const) {
    for (const rs of [false, true]) {
      const tag = `${kind}${rs ? '_rslora' : ''}.`;
      const cfg: LoraConfig = { r, alpha, dropout: 0, targets: ['m'], rslora: rs, fanInFanOut: kind === 'conv1d', baseModel: null, taskType: null };
      const shapes = new Map([['m', { inF: IN, outF: OUT }]]);
      const weights = new Map([['m', { A: f32(f.t(kind + '.A').data), B: f32(f.t(kind + '.B').data) }]]);
      const lora = new LoRA(gpu, cfg, shapes, weights, '', { trainable: true });
      const W = Tensor.from(gpu, f32(f.t(kind + '.W').data), f.t(kind + '.W').shape);
      const b = Tensor.from(gpu, f32(f.t(kind + '.b').data), [OUT]);
      const base = (x: Tensor) => (kind === 'linear' ? linearT(x, W, b) : linear(x, W, b));
      await gpu.scope(async () => {
        const x = Tensor.from(gpu, f32(f.t(kind + '.x').data), [2, 3, IN], { requiresGrad: true });
        const y = add(base(x), lora.delta('m', x)!);
        close(await y.toArray(), f.t(tag + 'out').data, 1e-5, 1e-5, tag + 'out');
        backward(y, Tensor.from(gpu, f32(f.t(tag + 'grad_out').data), [2, 3, OUT]));
        const [pA, pB] = lora.params();
        close(await pA.t.grad!.toArray(), f.t(tag + 'grad_A').data, 1e-5, 1e-5, tag + 'grad_A');
        close(await pB.t.grad!.toArray(), f.t(tag + 'grad_B').data, 1e-5, 1e-5, tag + 'grad_B');
        close(await x.grad!.toArray(), f.t(tag + 'grad_x').data, 1e-5, 1e-5, tag + 'grad_x');
      });
      const ps = lora.params().map((p) => p.t);
      const opt = new AdamW(ps, { lr: Number(f.meta.lr), weightDecay: Number(f.meta.wd) });
      const x = Tensor.from(gpu, f32(f.t(kind + '.x').data), [2, 3, IN]);
      const tg = Int32Array.from(f.t(kind + '.targets').data);
      const losses: number[] = [];
      for (let s = 0; s < 5; s++) {
        losses.push(await gpu.scope(async () => {
          opt.zeroGrad();
          const l = crossEntropy(reshape(add(base(x), lora.delta('m', x)!), [6, OUT]), tg);
          backward(l);
          opt.step();
          return l.item();
        }));
      }
      close(losses, f.t(tag + 'losses').data, 1e-5, 1e-5, tag + 'losses');
      close(await ps[0].toArray(), f.t(tag + 'A_after').data, 2e-5, 1e-4, tag + 'A_after');
      close(await ps[1].toArray(), f.t(tag + 'B_after').data, 2e-5, 1e-4, tag + 'B_after');
      const merged = mergeLora(new Map([['m.weight', { shape: f.t(kind + '.W').shape, data: f32(f.t(kind + '.W').data) }]]), cfg, shapes, weights);
      close(merged.get('m.weight')!.data, f.t(tag + 'merged').data, 1e-6, 1e-5, tag + 'merged');
      opt.dispose();
      lora.dispose();
      for (const t of [W, b, x]) t.dispose();
    }
  }
});

test('target matching as PEFT (name is or ends with .target); fresh adapter: A ~ U(±1/√in), B = 0, so step 0 is the base', async () => {
  const mods = ['h.0.attn.c_attn', 'h.0.attn.c_proj', 'h.0.mlp.c_fc', 'h.0.mlp.c_proj'];
  assert.equal(matchTargets(mods, ['c_attn', 'c_proj']), ['h.0.attn.c_attn', 'h.0.attn.c_proj', 'h.0.mlp.c_proj']);
  assert.equal(matchTargets(mods, ['mlp.c_proj']), ['h.0.mlp.c_proj']);
  assert.equal(matchTargets(mods, ['h.0.mlp.c_fc']), ['h.0.mlp.c_fc']);
  throwsMsg(() => matchTargets(mods, ['attn']), /LoRA target 'attn' matches no linear module .*c_attn/);
  throwsMsg(() => matchTargets(mods, ['proj']), /target 'proj' matches no/);
  const w = initLoraWeights(new Map([['m', { inF: 48, outF: 144 }]]), 8, 3).get('m')!;
  const bound = 1 / Math.sqrt(48);
  assert.ok(w.A.every((v) => Math.abs(v) <= bound) && Math.max(...w.A.map(Math.abs)) > 0.9 * bound);
  assert.ok(w.B.every((v) => v === 0));
});

const REF = parseSafetensors(new Uint8Array(readFileSync(join(FIXTURES, 'peft_gpt_small_ref.safetensors')))).tensors;
const ref = (k: string) => REF.get(k)!;

test('a PEFT adapter folder for gpt_small loads as written: logits, merged logits, grads of A and B, 5 AdamW steps', async () => {
  const gpu = await getGpu();
  const ck = loadCheckpoint(join(FIXTURES, 'gpt_small'));
  const ids = Int32Array.from(ref('ids').data);
  const [B, T] = ref('ids').shape;
  const logitsOf = (m: GPT) => gpu.scope(() => noGrad(() => m.forward(IdBatch.from(gpu, ids, [B, T], 1000)).toArray()));
  // frozen base + adapter for inference
  const m = GPT.fromParams(gpu, ck.config, new Map([...ck.params].map(([k, v]) => [k, { ...v, frozen: true }])));
  close(await logitsOf(m), ref('base_logits').data, 1e-4, 1e-4, 'base logits');
  const lora = loadAdapter(gpu, m, join(FIXTURES, 'peft_gpt_small'));
  assert.is(lora.modules.size, 6);
  assert.is(lora.config.fanInFanOut, true);
  close(await logitsOf(m), ref('logits').data, 1e-4, 1e-4, 'adapted logits');
  // merged into the weights: a plain model with the same logits
  const { config, weights, shapes } = readAdapterFolder(join(FIXTURES, 'peft_gpt_small'), m.arch);
  const merged = mergeLora(ck.params, config, shapes, weights);
  for (const mod of ['h.0.attn.c_attn', 'h.1.mlp.c_proj']) close(merged.get(mod + '.weight')!.data, ref('merged.' + mod).data, 1e-6, 1e-5, 'merged ' + mod);
  const mm = GPT.fromParams(gpu, ck.config, merged);
  close(await logitsOf(mm), ref('merged_logits').data, 1e-4, 1e-4, 'merged logits');
  mm.dispose();
  m.adapter = undefined;
  lora.dispose();
  // trainable adapter on the frozen base: grads of A and B, then 5 AdamW steps through the Trainer
  const train = new LoRA(gpu, { ...config, dropout: 0 }, shapes, weights, 'transformer.', { trainable: true });
  m.adapter = train;
  for (const t of m.params.values()) assert.is(t.grad, null, 'base tensors have no gradient buffers');
  await gpu.scope(async () => {
    const l = m.loss({ x: ids, y: Int32Array.from(ref('targets').data), B, T });
    close([await l.item()], ref('loss').data, 1e-5, 1e-5, 'loss');
    backward(l);
    const p = new Map(train.params().map((e) => [e.name, e.t]));
    for (const mod of ['h.0.attn.c_attn', 'h.1.mlp.c_proj']) {
      close(await p.get(`base_model.model.transformer.${mod}.lora_A.weight`)!.grad!.toArray(), ref(`grad.${mod}.lora_A`).data, 1e-6, 1e-3, `grad A ${mod}`);
      close(await p.get(`base_model.model.transformer.${mod}.lora_B.weight`)!.grad!.toArray(), ref(`grad.${mod}.lora_B`).data, 1e-6, 1e-3, `grad B ${mod}`);
    }
  });
  const tr = new Trainer(m, { lr: 1e-2, weightDecay: 0.01, seed: 0, extraParams: train.params() });
  assert.is(tr.trainable.length, 12, 'only A and B are optimized');
  const losses: number[] = [];
  for (let s = 0; s < 5; s++) losses.push(await tr.step({ x: ids, y: Int32Array.from(ref('targets').data), B, T }, s));
  close(losses, ref('losses').data, 2e-5, 2e-5, 'losses');
  const A = train.params().find((e) => e.name.endsWith('h.1.attn.c_attn.lora_A.weight'))!.t;
  close(await A.toArray(), ref('A_after.h.1.attn.c_attn').data, 5e-5, 1e-3, 'A after 5 steps');
  // written as PEFT: the two files, PEFT's keys and shapes, read back the same
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-lora-'));
  try {
    writeAdapterFolder(join(tmp, 'ad'), await train.files());
    assert.equal(readdirSync(join(tmp, 'ad')).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
    const j = JSON.parse(readFileSync(join(tmp, 'ad', 'adapter_config.json'), 'utf8'));
    assert.equal([j.peft_type, j.r, j.lora_alpha, j.fan_in_fan_out, j.bias, j.use_rslora], ['LORA', 4, 8, true, 'none', false]);
    const keys = [...parseSafetensors(new Uint8Array(readFileSync(join(tmp, 'ad', 'adapter_model.safetensors')))).tensors].map(([k, t]) => `${k} [${t.shape}]`);
    assert.ok(keys.includes('base_model.model.transformer.h.0.attn.c_attn.lora_A.weight [4,48]') && keys.includes('base_model.model.transformer.h.0.attn.c_attn.lora_B.weight [144,4]'), keys.join(' '));
    const back = readAdapterFolder(join(tmp, 'ad'), m.arch);
    close(back.weights.get('h.1.attn.c_attn')!.A, await A.toArray(), 0, 0, 'round trip');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  tr.optimizer.dispose();
  m.adapter = undefined;
  train.dispose();
  m.dispose();
});

test('--base-dtype f16: the frozen linear weights as packed f16 give PyTorch\'s .half() logits, loss and grads; half the bytes', async () => {
  const gpu = await getGpu();
  const ck = loadCheckpoint(join(FIXTURES, 'gpt_small'));
  const ids = Int32Array.from(ref('ids').data);
  const [B, T] = ref('ids').shape;
  const m = GPT.fromParams(gpu, ck.config, new Map([...ck.params].map(([k, v]) => [k, { ...v, frozen: true }])));
  const { config, weights, shapes } = readAdapterFolder(join(FIXTURES, 'peft_gpt_small'), m.arch);
  const lora = new LoRA(gpu, { ...config, dropout: 0 }, shapes, weights, 'transformer.', { trainable: true });
  m.adapter = lora;
  const r = await m.storeFrozenLinearsF16();
  assert.is(r.weights, 8, '2 blocks × c_attn, attn.c_proj, c_fc, mlp.c_proj');
  assert.is(r.f16Bytes * 2, r.f32Bytes);
  const logits = await gpu.scope(() => noGrad(() => m.forward(IdBatch.from(gpu, ids, [B, T], 1000)).toArray()));
  close(logits, ref('logits_f16base').data, 1e-4, 1e-4, 'f16-base logits');
  await gpu.scope(async () => {
    const l = m.loss({ x: ids, y: Int32Array.from(ref('targets').data), B, T });
    close([await l.item()], ref('loss_f16base').data, 1e-5, 1e-5, 'f16-base loss');
    backward(l);
    const A = lora.params().find((e) => e.name.endsWith('h.0.attn.c_attn.lora_A.weight'))!.t;
    close(await A.grad!.toArray(), ref('grad_f16base.h.0.attn.c_attn.lora_A').data, 1e-6, 1e-3, 'f16-base grad A');
  });
  // exported: the f16 values of the converted weights, f32 as they were for the rest
  const ex = await m.exportParams();
  close(ex.get('h.0.attn.c_attn.weight')!.data, Array.from(ck.params.get('h.0.attn.c_attn.weight')!.data, (v) => Math.fround(v)).map((v) => v), 1e-3, 1e-3, 'exported f16 weight ≈ f32');
  assert.equal(ex.get('ln_f.weight')!.data, ck.params.get('ln_f.weight')!.data);
  lora.dispose();
  m.dispose();
});

test('bad adapters are one line: wrong peft_type, missing B, wrong rank, a module the model lacks, wrong layout', async () => {
  const gpu = await getGpu();
  const cfgText = readFileSync(join(FIXTURES, 'peft_gpt_small', 'adapter_config.json'), 'utf8');
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'peft_gpt_small', 'adapter_model.safetensors')));
  throwsMsg(() => readPeft(cfgText.replace('"LORA"', '"IA3"'), bytes, [], 'ad'), /peft_type is "IA3"; only LORA/);
  throwsMsg(() => readPeft(cfgText.replace('"r": 4', '"r": 8'), bytes, [], 'ad'), /r = 8 needs \[8, in\]/);
  const { shapes, weights, config } = readPeft(cfgText, bytes, ['transformer.'], 'ad');
  const files = (await import('../src/model/lora.ts')).peftFiles(config, new Map([...shapes].slice(0, 1)), weights, 'transformer.');
  const parsed = parseSafetensors(files['adapter_model.safetensors'] as Uint8Array);
  assert.is(parsed.tensors.size, 2);
  const ck = loadCheckpoint(join(FIXTURES, 'gpt_small'));
  const m = GPT.fromParams(gpu, ck.config, ck.params);
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-lora-bad-'));
  try {
    writeAdapterFolder(join(tmp, 'a'), { 'adapter_config.json': cfgText.replace('"fan_in_fan_out": true', '"fan_in_fan_out": false'), 'adapter_model.safetensors': bytes });
    throwsMsg(() => loadAdapter(gpu, m, join(tmp, 'a')), /fan_in_fan_out is false, but gpt2's linear weights are \[in, out\]/);
    const s2 = loraModules(['h.0.attn.c_attn'], (n) => m.params.get(n)?.shape, true);
    const other = (await import('../src/model/lora.ts')).peftFiles({ ...config, targets: ['c_fc'] }, new Map([['h.5.mlp.c_fc', s2.get('h.0.attn.c_attn')!]]), new Map([['h.5.mlp.c_fc', weights.get('h.0.attn.c_attn')!]]), 'transformer.');
    writeAdapterFolder(join(tmp, 'b'), other);
    throwsMsg(() => loadAdapter(gpu, m, join(tmp, 'b')), /module 'h\.5\.mlp\.c_fc' is not a linear module/);
    throwsMsg(() => loadAdapter(gpu, m, join(tmp, 'none')), /adapter folder .* does not exist/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    m.dispose();
  }
});

test.run();
