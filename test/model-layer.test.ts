// The model layer: parameter-table init (GPT's bit-identical to the name-regex init it replaced; uniform, custom,
// padding rows), the HF mapping derived from a table (prefixes, legacy aliases, skipped tensors named in one line),
// the architecture registry (unknown model_type names the registered ones), and GPT as a Model. GPU only at the end.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  init, initParams, paramsFromHF, skippedLine, tableShapes, checkParamMap, isCausalLM, isEncoderDecoderLM, initModel,
  type HFMapping, type ParamSpec, type ParamMap,
} from '../src/model/model.ts';
import { ARCHITECTURES, architectureOf, architectureByName } from '../src/model/architectures.ts';
import { gpt2, GPT } from '../src/model/gpt.ts';
import { gptParamTable, paramShapes } from '../src/model/params.ts';
import { makeRng, normal } from '../src/model/init.ts';
import { PRESETS, type GPTConfig } from '../src/model/config.ts';
import { loadCheckpoint, saveCheckpoint, readConfig } from '../src/hub/folder.ts';
import { serializeSafetensors } from '../src/io/safetensors.ts';
import { getGpu } from '../src/gpu/device.ts';
import { throwsMsg, randn } from './helpers.ts';
import { AdamW } from '../src/train/adamw.ts';
import { uploadParams, trainableParams } from '../src/model/model.ts';

const CFG: GPTConfig = { ...PRESETS.tiny, vocab_size: 29, context_length: 7, d_model: 8, n_heads: 2, n_layers: 2, qkv_bias: true };

/** The init GPT.init used before the parameter table (name regex over paramShapes order): the oracle. */
function regexInit(c: GPTConfig, seed: number): Map<string, Float32Array> {
  const rand = makeRng(seed);
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of paramShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    if (/ln_\w+\.weight$/.test(name)) data = new Float32Array(n).fill(1);
    else if (name.endsWith('.bias')) data = new Float32Array(n);
    else data = normal(n, 0.02, rand);
    out.set(name, data);
  }
  return out;
}

test('GPT table init is bit-identical to the regex init, for every config variant and seed', () => {
  const variants: GPTConfig[] = [CFG, { ...CFG, qkv_bias: false, tie_embeddings: false, positions: 'sinusoidal' }, { ...CFG, d_model: 6, n_heads: 3, vocab_size: 31 }];
  for (const c of variants) {
    for (const seed of [0, 7, 123]) {
      const want = regexInit(c, seed);
      const got = initParams(gptParamTable(c), seed);
      assert.equal([...got.keys()], [...want.keys()]);
      for (const [name, w] of want) assert.equal(new Uint32Array(got.get(name)!.data.buffer), new Uint32Array(w.buffer), `${name} seed ${seed}`);
    }
  }
});

test('table init: uniform(bound), zeros, ones, custom, padding row; draws in table order', () => {
  const table: ParamSpec[] = [
    { name: 'emb.weight', shape: [5, 3], init: init.normal(1), paddingRow: 2 },
    { name: 'rnn.weight_ih', shape: [4, 3], init: init.uniform(0.5) },
    { name: 'ln.weight', shape: [3], init: init.ones() },
    { name: 'ln.bias', shape: [3], init: init.zeros() },
    { name: 'eye', shape: [2, 2], init: init.custom((n, shape, rand) => Float32Array.from({ length: n }, (_, i) => (i % (shape[1] + 1) === 0 ? 1 : 0) + 0 * rand())) },
  ];
  const p = initParams(table, 5);
  const rand = makeRng(5);
  const emb = normal(15, 1, rand);
  emb.fill(0, 6, 9);
  assert.equal(p.get('emb.weight')!.data, emb);
  const u = Float32Array.from({ length: 12 }, () => (rand() * 2 - 1) * 0.5);
  assert.equal(p.get('rnn.weight_ih')!.data, u);
  assert.ok(u.every((x) => Math.abs(x) <= 0.5) && u.some((x) => x < 0) && u.some((x) => x > 0));
  assert.equal([...p.get('ln.weight')!.data], [1, 1, 1]);
  assert.equal([...p.get('ln.bias')!.data], [0, 0, 0]);
  assert.equal([...p.get('eye')!.data], [1, 0, 0, 1]);
  assert.equal(p.get('emb.weight')!.shape, [5, 3]);
  throwsMsg(() => initParams([{ name: 'x', shape: [3], init: init.custom(() => new Float32Array(2)) }], 1), /init of 'x' returned 2 values, the shape \[3\] needs 3/);
  throwsMsg(() => initParams([{ name: 'e', shape: [3, 2], init: init.zeros(), paddingRow: 3 }], 1), /parameter 'e': padding row 3 is not in 0…2/);
  throwsMsg(() => tableShapes([...table, table[0]]), /'emb.weight' is declared twice/);
});

// A toy BERT-like table and mapping: what an encoder architecture declares.
interface ToyCfg { tiePooler: boolean }
const TOY: ParamSpec[] = [
  { name: 'embeddings.word_embeddings.weight', shape: [6, 4], init: init.normal(0.02), paddingRow: 0 },
  { name: 'embeddings.LayerNorm.weight', shape: [4], init: init.ones() },
  { name: 'embeddings.LayerNorm.bias', shape: [4], init: init.zeros() },
  { name: 'encoder.layer.0.attention.self.query.weight', shape: [4, 4], init: init.normal(0.02) },
];
const TOY_HF: HFMapping<ToyCfg> = {
  prefixes: ['bert.'],
  aliases: [[/LayerNorm\.gamma$/, 'LayerNorm.weight'], [/LayerNorm\.beta$/, 'LayerNorm.bias']],
  skip: (name) => (name.startsWith('pooler.') ? 'pooler (not used by the MLM head)' : name.endsWith('position_ids') ? 'position-id buffers' : null),
  unexpectedHint: (name) => (name.startsWith('cls.') ? 'a head this config does not have' : ''),
  transposedHint: 'nn.Linear stores [out, in]',
};
const f32 = (shape: number[], seed: number) => ({ dtype: 'F32', shape, data: randn(shape.reduce((a, b) => a * b, 1), seed) });

test('HF mapping from a table: prefix, gamma/beta aliases, skipped tensors in one line, one-line errors', () => {
  const file = new Map([
    ['bert.embeddings.word_embeddings.weight', f32([6, 4], 1)],
    ['bert.embeddings.LayerNorm.gamma', f32([4], 2)],
    ['bert.embeddings.LayerNorm.beta', f32([4], 3)],
    ['bert.encoder.layer.0.attention.self.query.weight', f32([4, 4], 4)],
    ['bert.pooler.dense.weight', f32([4, 4], 5)],
    ['bert.pooler.dense.bias', f32([4], 6)],
    ['bert.embeddings.position_ids', f32([1, 7], 7)],
  ]);
  const { params, skipped } = paramsFromHF(file, TOY, TOY_HF, { tiePooler: false }, 'm.safetensors');
  assert.equal([...params.keys()], TOY.map((p) => p.name));
  assert.equal(params.get('embeddings.LayerNorm.weight')!.data, file.get('bert.embeddings.LayerNorm.gamma')!.data);
  assert.equal(skipped.map((s) => s.name), ['bert.pooler.dense.weight', 'bert.pooler.dense.bias', 'bert.embeddings.position_ids']);
  const line = skippedLine(skipped);
  assert.not.ok(line.includes('\n'));
  assert.is(line, 'skipped 3 tensors of the model file (pooler (not used by the MLM head): bert.pooler.dense.weight, bert.pooler.dense.bias; position-id buffers: bert.embeddings.position_ids)');
  assert.is(skippedLine([]), '');
  const bad = (edit: (m: Map<string, ReturnType<typeof f32>>) => void, re: RegExp) => {
    const m = new Map(file);
    edit(m);
    throwsMsg(() => paramsFromHF(m, TOY, TOY_HF, { tiePooler: false }, 'm.safetensors'), re);
  };
  bad((m) => m.set('bert.encoder.layer.0.attention.self.query.weight', f32([4, 5], 1)), /m.safetensors: tensor 'bert.encoder.layer.0.attention.self.query.weight' has shape \[4, 5\], expected \[4, 4\] from the config$/);
  bad((m) => m.set('bert.embeddings.word_embeddings.weight', f32([4, 6], 1)), /has shape \[4, 6\], expected \[6, 4\] from the config \(transposed: nn.Linear stores \[out, in\]\)/);
  bad((m) => m.set('embeddings.LayerNorm.weight', f32([4], 1)), /tensor 'embeddings.LayerNorm.weight' appears twice \('bert.embeddings.LayerNorm.gamma' and 'embeddings.LayerNorm.weight'\)/);
  bad((m) => m.set('cls.predictions.bias', f32([6], 1)), /unexpected tensor 'cls.predictions.bias' with shape \[6\] \(a head this config does not have\)/);
  bad((m) => m.delete('bert.embeddings.LayerNorm.beta'), /missing tensor 'embeddings.LayerNorm.bias' \(expected shape \[4\] from the config\)/);
  const ok: ParamMap = new Map(TOY.map((p) => [p.name, { shape: p.shape, data: new Float32Array(p.shape.reduce((a, b) => a * b, 1)) }]));
  checkParamMap(TOY, ok, 'save');
  ok.set('extra', { shape: [1], data: new Float32Array(1) });
  throwsMsg(() => checkParamMap(TOY, ok, 'save'), /save: unexpected parameter 'extra' for this config/);
});

test('registry: model_type picks the architecture; an unknown one is one line naming the registered types', () => {
  assert.is(architectureOf({ model_type: 'gpt2' }, 'c.json'), gpt2);
  assert.is(architectureOf({}, 'c.json'), gpt2, 'configs without model_type are GPT-2 (what older wgpt wrote)');
  assert.is(architectureByName('gpt2'), gpt2);
  throwsMsg(() => architectureByName('lstm'), /unknown architecture 'lstm' \(architectures: gpt2/);
  throwsMsg(() => architectureOf({ model_type: 'llama' }, 'c.json'), new RegExp(`^c.json: model_type is "llama"; wgpt reads model_type ${[...new Set(ARCHITECTURES.map((a) => `"${a.modelType}"`))].join('.*')}$`));
  for (const a of ARCHITECTURES) {
    // every registered architecture's fresh configs (each preset, a 50-id vocabulary) round-trip through config.json with its own model_type
    for (const preset of Object.keys(a.presets)) {
      const c = a.freshConfig({ preset, vocabSize: 50 });
      const hf = JSON.parse(JSON.stringify(a.configToHF(c)));
      assert.is(hf.model_type, a.modelType);
      const back = readConfig(hf, 'c.json');
      assert.is(back.arch, a);
      assert.equal(back.config, c);
    }
    assert.ok(a.presets[a.defaultPreset], `${a.name}: default preset exists`);
  }
  const root = mkdtempSync(join(tmpdir(), 'wgpt-ml-'));
  try {
    const dir = join(root, 'bert-ish');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 't5', d_model: 8 }));
    writeFileSync(join(dir, 'model.safetensors'), serializeSafetensors([], {}));
    throwsMsg(() => loadCheckpoint(dir), /config.json: model_type is "t5"; wgpt reads model_type .*"gpt2"/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('GPT through the Model interface: table order, loss = cross-entropy of forward, capabilities, checkpoint arch', async () => {
  const gpu = await getGpu();
  const m = initModel(gpt2, gpu, CFG, 11);
  const root = mkdtempSync(join(tmpdir(), 'wgpt-ml-'));
  try {
    assert.ok(m instanceof GPT);
    assert.equal([...m.params.keys()], gptParamTable(CFG).map((p) => p.name));
    assert.equal(m.paramList().map((t) => t.name), gptParamTable(CFG).map((p) => p.name));
    assert.ok(isCausalLM(m));
    assert.not.ok(isEncoderDecoderLM(m));
    const want = regexInit(CFG, 11);
    const got = await m.exportParams();
    for (const [name, w] of want) assert.equal(got.get(name)!.data, w, name);
    saveCheckpoint(join(root, 'ck'), CFG, got, { arch: gpt2 });
    const ck = loadCheckpoint(join(root, 'ck'));
    assert.is(ck.arch, gpt2);
    assert.equal(ck.config, CFG);
    assert.equal(ck.skipped, []);
    // loss(batch) is the mean next-token cross-entropy of forward: ln(V) at a near-uniform init
    const x = Int32Array.from({ length: 2 * 5 }, (_, i) => (i * 7) % 29);
    const y = Int32Array.from({ length: 2 * 5 }, (_, i) => (i * 3 + 1) % 29);
    const l = await gpu.scope(() => m.loss({ x, y, B: 2, T: 5 }).item());
    assert.ok(Math.abs(l - Math.log(29)) < 0.05, `loss ${l} near ln 29 = ${Math.log(29)}`);
    console.log(`  GPT loss at init ${l.toFixed(5)} (ln V = ${Math.log(29).toFixed(5)})`);
  } finally {
    m.dispose();
    rmSync(root, { recursive: true, force: true });
  }
});

test('optimizer state is named by the model\'s parameter names; frozen buffers are skipped (resume of a model with a buffer)', async () => {
  const gpu = await getGpu();
  const table: ParamSpec[] = [
    { name: 'a.weight', shape: [3, 2], init: init.normal(1) },
    { name: 'pos.table', shape: [4], init: init.zeros(), frozen: true },
    { name: 'b.bias', shape: [2], init: init.ones() },
  ];
  const params = uploadParams(gpu, table, initParams(table, 3));
  const opt = new AdamW(trainableParams(table, params), { lr: 0.1 });
  const opt2 = new AdamW(trainableParams(table, params), { lr: 0.1 });
  try {
    assert.not.ok(params.get('pos.table')!.requiresGrad, 'a frozen entry gets no gradient');
    for (const t of opt.params) gpu.upload(t.grad!.buffer, new Float32Array(t.size).fill(0.5));
    opt.step();
    const st = await opt.exportState({ params });
    assert.equal([...st.m.keys()], ['a.weight', 'b.bias']);
    opt2.loadState(st, { params });
    assert.is(opt2.stepCount, 1);
    const back = await opt2.exportState({ params });
    for (const [k, m] of st.m) assert.equal(back.m.get(k), m, k);
  } finally {
    opt.dispose();
    opt2.dispose();
    for (const t of params.values()) t.dispose();
  }
});

test.run();
