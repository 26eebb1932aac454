// Checkpoint folders: save → load identity, HF GPT-2 naming (transformer. prefix, mask buffers, tied lm_head),
// shape/name errors, training state, and crash safety of the atomic folder write (hand-made crash states and a
// real kill -9 of a writer process). No GPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configFromHF, configToHF, expectedParamShapes, loadCheckpoint, saveCheckpoint, type ParamMap } from '../src/hub/folder.ts';
import { hasTrainingState, loadTrainingState, saveTrainingState, trainingStateFiles, type TrainingState } from '../src/train/state.ts';
import { writeFileAtomic, writeFolderAtomic } from '../src/io/atomic.ts';
import { serializeSafetensors, type TensorToWrite } from '../src/io/safetensors.ts';
import { type GPTConfig, PRESETS } from '../src/model/config.ts';
import { randn, FIXTURES } from './helpers.ts';

const ROOT = mkdtempSync(join(tmpdir(), 'wgpt-ckpt-'));
let counter = 0;
const fresh = (name = 'ck') => join(ROOT, `${name}-${counter++}`);

const CFG: GPTConfig = {
  vocab_size: 13, context_length: 6, d_model: 8, n_heads: 2, n_layers: 2, dropout: 0.1,
  qkv_bias: true, tie_embeddings: true, positions: 'learned', layernorm_eps: 1e-5,
};

function makeParams(c: GPTConfig, seed = 1): ParamMap {
  const m: ParamMap = new Map();
  let s = seed;
  for (const [name, shape] of expectedParamShapes(c)) m.set(name, { shape, data: randn(shape.reduce((a, b) => a * b, 1), s++) });
  return m;
}

function sameParams(a: ParamMap, b: ParamMap): void {
  assert.equal([...a.keys()], [...b.keys()]);
  for (const [k, p] of a) {
    const q = b.get(k)!;
    assert.equal(q.shape, p.shape, k);
    assert.equal(new Uint8Array(q.data.buffer, q.data.byteOffset, q.data.byteLength), new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength), k);
  }
}

function throwsLine(f: () => unknown, re: RegExp): string {
  try {
    f();
  } catch (e) {
    const msg = (e as Error).message;
    assert.ok(!msg.includes('\n'), `multi-line error: ${msg}`);
    assert.match(msg, re);
    return msg;
  }
  assert.unreachable(`no error, expected ${re}`);
  return '';
}

/** A folder as Hugging Face writes it: HF config keys only, arbitrary tensor names/shapes. */
function writeHF(dir: string, hfConfig: Record<string, unknown>, tensors: TensorToWrite[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(hfConfig));
  writeFileSync(join(dir, 'model.safetensors'), serializeSafetensors(tensors, { format: 'pt' }));
}

const HF_CFG = { model_type: 'gpt2', vocab_size: 13, n_positions: 6, n_ctx: 6, n_embd: 8, n_layer: 2, n_head: 2, layer_norm_epsilon: 1e-5, activation_function: 'gelu_new', n_inner: null };

function hfTensors(c: GPTConfig, opts: { prefix?: string; mask?: boolean; lmHead?: boolean } = {}): TensorToWrite[] {
  const out: TensorToWrite[] = [];
  for (const [name, p] of makeParams(c)) out.push({ name: (opts.prefix ?? '') + name, shape: p.shape, data: p.data });
  if (opts.mask) {
    for (let i = 0; i < c.n_layers; i++) {
      const T = c.context_length;
      out.push({ name: `${opts.prefix ?? ''}h.${i}.attn.bias`, shape: [1, 1, T, T], data: new Float32Array(T * T).fill(1) });
      out.push({ name: `${opts.prefix ?? ''}h.${i}.attn.masked_bias`, shape: [], data: new Float32Array([-1e4]) });
    }
  }
  if (opts.lmHead) out.push({ name: 'lm_head.weight', shape: [c.vocab_size, c.d_model], data: makeParams(c).get('wte.weight')!.data });
  return out;
}

test('expectedParamShapes: GPT-2 names, Conv1D [in, out] shapes, optional tensors follow the config', () => {
  const C = 8, V = 13;
  const s = expectedParamShapes(CFG);
  assert.equal(s.get('wte.weight'), [V, C]);
  assert.equal(s.get('wpe.weight'), [6, C]);
  assert.equal(s.get('h.1.attn.c_attn.weight'), [C, 3 * C]);
  assert.equal(s.get('h.1.attn.c_attn.bias'), [3 * C]);
  assert.equal(s.get('h.0.attn.c_proj.weight'), [C, C]);
  assert.equal(s.get('h.0.mlp.c_fc.weight'), [C, 4 * C]);
  assert.equal(s.get('h.0.mlp.c_proj.weight'), [4 * C, C]);
  assert.equal(s.get('ln_f.bias'), [C]);
  assert.is(s.size, 2 + 2 * 12 + 2);
  assert.not.ok(s.has('lm_head.weight'));
  const other = expectedParamShapes({ ...CFG, tie_embeddings: false, qkv_bias: false, positions: 'sinusoidal' });
  assert.equal(other.get('lm_head.weight'), [V, C]);
  assert.not.ok(other.has('wpe.weight'));
  assert.not.ok(other.has('h.0.attn.c_attn.bias'));
});

test('config.json round trip for every preset and variant; HF keys present', () => {
  const variants: GPTConfig[] = [...Object.values(PRESETS), { ...CFG, positions: 'sinusoidal', qkv_bias: false, tie_embeddings: false, dropout: 0.25, layernorm_eps: 1e-6 }];
  for (const c of variants) assert.equal(configFromHF(JSON.parse(JSON.stringify(configToHF(c)))), c);
  const hf = configToHF(PRESETS['book-124m']);
  for (const [k, v] of Object.entries({ model_type: 'gpt2', vocab_size: 50257, n_positions: 256, n_ctx: 256, n_embd: 768, n_layer: 12, n_head: 12, layer_norm_epsilon: 1e-5, activation_function: 'gelu_new', tie_word_embeddings: false, resid_pdrop: 0.1, embd_pdrop: 0.1, attn_pdrop: 0.1 })) {
    assert.equal(hf[k], v, k);
  }
  assert.equal(hf.architectures, ['GPT2LMHeadModel']);
  assert.equal((hf.wgpt as Record<string, unknown>).qkv_bias, false);
  // HF GPT-2's own config.json (no tie key, no wgpt section) → HF defaults
  assert.equal(configFromHF({ ...HF_CFG, resid_pdrop: 0.1 }), { ...CFG });
});

test('save → load gives identical names, shapes and bit-identical values; re-save gives identical bytes', () => {
  for (const c of [CFG, { ...CFG, tie_embeddings: false, qkv_bias: false, positions: 'sinusoidal' as const }]) {
    const dir = fresh();
    const params = makeParams(c, 7);
    params.get('ln_f.bias')!.data.set([NaN, -0, Infinity], 0);
    saveCheckpoint(dir, c, params);
    assert.equal(readdirSync(dir).sort(), ['config.json', 'model.safetensors']);
    const got = loadCheckpoint(dir);
    assert.equal(got.config, c);
    sameParams(params, got.params);
    const dir2 = fresh();
    saveCheckpoint(dir2, got.config, got.params);
    assert.equal(readFileSync(join(dir2, 'model.safetensors')), readFileSync(join(dir, 'model.safetensors')));
    assert.equal(readFileSync(join(dir2, 'config.json'), 'utf8'), readFileSync(join(dir, 'config.json'), 'utf8'));
  }
});

test('saving over an existing checkpoint replaces it; no temp or .old left behind', () => {
  const dir = fresh();
  saveCheckpoint(dir, CFG, makeParams(CFG, 1), { files: { 'notes.txt': 'first' } });
  const p2 = makeParams(CFG, 2);
  saveCheckpoint(dir, CFG, p2);
  sameParams(p2, loadCheckpoint(dir).params);
  assert.not.ok(existsSync(join(dir, 'notes.txt')), 'folder replaced whole');
  assert.equal(readdirSync(ROOT).filter((n) => n.startsWith(dir.split('/').pop()! + '.')), []);
});

test('HF layout: transformer. prefix, attn.bias / attn.masked_bias buffers and a tied lm_head are handled', () => {
  const dir = fresh('hf');
  writeHF(dir, HF_CFG, hfTensors(CFG, { prefix: 'transformer.', mask: true, lmHead: true }));
  const { config, params } = loadCheckpoint(dir);
  assert.equal(config, CFG);
  sameParams(makeParams(CFG), params);
  // the same without the prefix (the layout of the gpt2 repository's model.safetensors)
  const dir2 = fresh('hf');
  writeHF(dir2, HF_CFG, hfTensors(CFG, { mask: true }));
  sameParams(makeParams(CFG), loadCheckpoint(dir2).params);
});

test('untied head: lm_head.weight is loaded; missing it is an error', () => {
  const c = { ...CFG, tie_embeddings: false };
  const dir = fresh('hf');
  const head = randn(13 * 8, 99);
  writeHF(dir, { ...HF_CFG, tie_word_embeddings: false }, [...hfTensors(c, { prefix: 'transformer.' }).filter((t) => t.name !== 'transformer.lm_head.weight'), { name: 'lm_head.weight', shape: [13, 8], data: head }]);
  const got = loadCheckpoint(dir);
  assert.equal(got.params.get('lm_head.weight')!.data, head);
  const dir2 = fresh('hf');
  writeHF(dir2, { ...HF_CFG, tie_word_embeddings: false }, hfTensors(CFG));
  throwsLine(() => loadCheckpoint(dir2), /missing tensor 'lm_head.weight' \(expected shape \[13, 8\] from the config\)/);
});

test('F16 and BF16 checkpoints load upcast to f32', () => {
  const dir = fresh('half');
  const tensors = hfTensors(CFG);
  const f16 = new Uint16Array(13 * 8).fill(0x3c00); // 1.0
  // rewrite wte.weight as F16 and ln_f.weight as BF16 by building the file by hand
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const parts: Uint8Array[] = [];
  let off = 0;
  for (const t of tensors) {
    let raw: Uint8Array;
    let dtype = 'F32';
    if (t.name === 'wte.weight') ((raw = new Uint8Array(f16.buffer)), (dtype = 'F16'));
    else if (t.name === 'ln_f.weight') ((raw = new Uint8Array(new Uint16Array(8).fill(0xc000).buffer)), (dtype = 'BF16')); // -2.0
    else raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[t.name] = { dtype, shape: t.shape, data_offsets: [off, off + raw.length] };
    parts.push(raw);
    off += raw.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const file = new Uint8Array(8 + json.length + off);
  new DataView(file.buffer).setBigUint64(0, BigInt(json.length), true);
  file.set(json, 8);
  let p = 8 + json.length;
  for (const r of parts) ((file.set(r, p)), (p += r.length));
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(HF_CFG));
  writeFileSync(join(dir, 'model.safetensors'), file);
  const got = loadCheckpoint(dir).params;
  assert.ok(got.get('wte.weight')!.data.every((x) => x === 1));
  assert.ok(got.get('ln_f.weight')!.data.every((x) => x === -2));
});

test('name and shape errors name the tensor, its shape and the expected one', () => {
  const base = hfTensors(CFG, { prefix: 'transformer.' });
  const cases: [string, TensorToWrite[], RegExp, Record<string, unknown>?][] = [
    ['missing tensor', base.filter((t) => t.name !== 'transformer.h.1.ln_2.bias'), /missing tensor 'h.1.ln_2.bias' \(expected shape \[8\]/],
    ['transposed c_attn', base.map((t) => (t.name === 'transformer.h.0.attn.c_attn.weight' ? { ...t, shape: [24, 8] } : t)), /tensor 'transformer.h.0.attn.c_attn.weight' has shape \[24, 8\], expected \[8, 24\] from the config \(transposed: GPT-2 stores linear weights Conv1D-style as \[in, out\]\)/],
    ['wrong vocab', base.map((t) => (t.name === 'transformer.wte.weight' ? { ...t, shape: [8, 13] } : t)), /tensor 'transformer.wte.weight' has shape \[8, 13\], expected \[13, 8\]/],
    ['unexpected tensor', [...base, { name: 'transformer.h.2.ln_1.weight', shape: [8], data: new Float32Array(8) }], /unexpected tensor 'transformer.h.2.ln_1.weight' with shape \[8\]/],
    ['q/k/v bias in a qkv_bias:false config', base, /unexpected tensor 'transformer.h.0.attn.c_attn.bias' with shape \[24\] \(a q\/k\/v bias, but the config says wgpt.qkv_bias false\)/, { ...HF_CFG, wgpt: { qkv_bias: false } }],
    ['lm_head when tie false is required (shape)', [...base, { name: 'lm_head.weight', shape: [8, 13], data: new Float32Array(104) }], /tensor 'lm_head.weight' has shape \[8, 13\], expected \[13, 8\]/, { ...HF_CFG, tie_word_embeddings: false }],
    ['wpe with sinusoidal positions', base, /unexpected tensor 'transformer.wpe.weight' with shape \[6, 8\] \(learned positions/, { ...HF_CFG, wgpt: { positions: 'sinusoidal' } }],
    ['same tensor with and without prefix', [...base, { name: 'wte.weight', shape: [13, 8], data: new Float32Array(104) }], /tensor 'wte.weight' appears twice \('transformer.wte.weight' and 'wte.weight'\)/],
    ['integer parameter', base.map((t) => (t.name === 'transformer.ln_f.bias' ? { ...t, data: new Int32Array(8) } : t)), /tensor 'transformer.ln_f.bias' has dtype I32; parameters must be F32, F16 or BF16/],
  ];
  for (const [what, tensors, re, cfg] of cases) {
    const dir = fresh('bad');
    writeHF(dir, cfg ?? HF_CFG, tensors);
    const msg = throwsLine(() => loadCheckpoint(dir), re);
    assert.ok(msg.includes(join(dir, 'model.safetensors')), `${what}: message names the file`);
  }
});

test('folder, file and config.json errors are one line', () => {
  const good = fresh('good');
  saveCheckpoint(good, CFG, makeParams(CFG));
  throwsLine(() => loadCheckpoint(join(ROOT, 'nope')), /checkpoint folder .*nope does not exist/);
  const file = join(ROOT, 'plainfile');
  writeFileSync(file, 'x');
  throwsLine(() => loadCheckpoint(file), /checkpoint .*plainfile is not a folder/);
  const noCfg = fresh();
  cpSync(good, noCfg, { recursive: true });
  rmSync(join(noCfg, 'config.json'));
  throwsLine(() => loadCheckpoint(noCfg), /has no config.json/);
  const noModel = fresh();
  cpSync(good, noModel, { recursive: true });
  rmSync(join(noModel, 'model.safetensors'));
  throwsLine(() => loadCheckpoint(noModel), /has no weight file wgpt reads; wgpt reads model.safetensors, model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json$/);
  writeFileSync(join(noModel, 'tf_model.h5'), 'x');
  throwsLine(() => loadCheckpoint(noModel), /has no weight file wgpt reads \(it has tf_model.h5: TensorFlow\/Flax\/ONNX\/GGUF weights are not read\)/);
  writeFileSync(join(noModel, 'pytorch_model.bin'), 'x');
  throwsLine(() => loadCheckpoint(noModel), /pytorch_model.bin: unknown pickle opcode 0x78 at byte 0$/);
  writeFileSync(join(noModel, 'model.safetensors.index.json'), '{}');
  throwsLine(() => loadCheckpoint(noModel), /model.safetensors.index.json: no "weight_map" object$/);
  const unreadable = fresh();
  cpSync(good, unreadable, { recursive: true });
  rmSync(join(unreadable, 'model.safetensors'));
  mkdirSync(join(unreadable, 'model.safetensors'));
  throwsLine(() => loadCheckpoint(unreadable), /cannot read model file .*model.safetensors: EISDIR/);
  const truncated = fresh();
  cpSync(good, truncated, { recursive: true });
  writeFileSync(join(truncated, 'model.safetensors'), readFileSync(join(good, 'model.safetensors')).subarray(0, 200));
  throwsLine(() => loadCheckpoint(truncated), /model.safetensors: safetensors: (header length \d+ is larger|tensor .* run past the end)/);

  const cfgCases: [string, RegExp][] = [
    ['{"vocab_size": 13,', /config.json is not valid JSON/],
    ['[1]', /config.json: must be a JSON object/],
    [JSON.stringify({ ...HF_CFG, model_type: 'llama' }), /model_type is "llama"; wgpt reads model_type .*"gpt2"/],
    [JSON.stringify({ ...HF_CFG, n_embd: '8' }), /n_embd must be a positive integer, got "8"/],
    [JSON.stringify({ ...HF_CFG, n_layer: undefined }), /missing "n_layer"/],
    [JSON.stringify({ ...HF_CFG, n_positions: undefined, n_ctx: undefined }), /missing "n_positions"/],
    [JSON.stringify({ ...HF_CFG, n_head: 3 }), /d_model 8 is not divisible by n_heads 3/],
    [JSON.stringify({ ...HF_CFG, activation_function: 'relu' }), /activation_function "relu" is not supported/],
    [JSON.stringify({ ...HF_CFG, n_inner: 64 }), /n_inner 64 is not supported/],
    [JSON.stringify({ ...HF_CFG, tie_word_embeddings: 'yes' }), /tie_word_embeddings must be true or false/],
    [JSON.stringify({ ...HF_CFG, wgpt: { positions: 'rotary' } }), /wgpt.positions must be "learned" or "sinusoidal"/],
    [JSON.stringify({ ...HF_CFG, scale_attn_by_inverse_layer_idx: true }), /scale_attn_by_inverse_layer_idx true is not supported/],
  ];
  for (const [text, re] of cfgCases) {
    const d = fresh('cfg');
    cpSync(good, d, { recursive: true });
    writeFileSync(join(d, 'config.json'), text);
    const msg = throwsLine(() => loadCheckpoint(d), re);
    assert.ok(msg.includes('config.json'), msg);
  }
});

test('saveCheckpoint refuses params that do not match the config, writing nothing', () => {
  const dir = fresh();
  const p = makeParams(CFG);
  p.delete('h.0.ln_1.bias');
  throwsLine(() => saveCheckpoint(dir, CFG, p), /missing parameter 'h.0.ln_1.bias' \(expected shape \[8\]\)/);
  const q = makeParams(CFG);
  q.set('lm_head.weight', { shape: [13, 8], data: new Float32Array(104) });
  throwsLine(() => saveCheckpoint(dir, CFG, q), /unexpected parameter 'lm_head.weight'/);
  const r = makeParams(CFG);
  r.get('wte.weight')!.data = new Float32Array(5);
  throwsLine(() => saveCheckpoint(dir, CFG, r), /'wte.weight' needs a Float32Array of 104 values, got 5/);
  throwsLine(() => saveCheckpoint(dir, { ...CFG, n_heads: 3 }, makeParams(CFG)), /not divisible/);
  assert.not.ok(existsSync(dir));
});

function makeState(c: GPTConfig, step: number): TrainingState {
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  let s = 1000 + step;
  for (const [name, shape] of expectedParamShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    m.set(name, randn(n, s++));
    v.set(name, randn(n, s++, 0, 1));
  }
  return {
    step, epoch: 2, batchIndex: 5, rngSeed: 123, optimizer: { step, m, v },
    buffers: new Map<string, Float32Array | Int32Array>([['order', new Int32Array([3, 1, 2, 0])]]),
    lr: 4e-4, lossHistory: [10.9, 9.8], dataFile: 'the-verdict.txt',
  };
}

function sameState(a: TrainingState, b: TrainingState): void {
  for (const k of ['step', 'epoch', 'batchIndex', 'rngSeed', 'lr', 'lossHistory', 'dataFile']) assert.equal(b[k], a[k], k);
  assert.is(b.optimizer.step, a.optimizer.step);
  assert.equal([...b.optimizer.m.keys()], [...a.optimizer.m.keys()]);
  for (const [k, x] of a.optimizer.m) assert.equal(b.optimizer.m.get(k), x, k);
  for (const [k, x] of a.optimizer.v) assert.equal(b.optimizer.v.get(k), x, k);
  assert.equal(b.buffers, a.buffers);
  assert.ok(b.buffers!.get('order') instanceof Int32Array);
}

test('training state: saved with the checkpoint in one atomic write, loaded identical', () => {
  const dir = fresh();
  const state = makeState(CFG, 17);
  saveCheckpoint(dir, CFG, makeParams(CFG), { files: trainingStateFiles(state) });
  assert.equal(readdirSync(dir).sort(), ['config.json', 'model.safetensors', 'training_state.json', 'training_state.safetensors']);
  assert.ok(hasTrainingState(dir));
  sameState(state, loadTrainingState(dir));
  // separately, over an existing checkpoint
  const s2 = makeState(CFG, 18);
  saveTrainingState(dir, s2);
  sameState(s2, loadTrainingState(dir));
});

test('training state errors: absent, half-written, mismatched with the config', () => {
  const dir = fresh();
  saveCheckpoint(dir, CFG, makeParams(CFG));
  assert.not.ok(hasTrainingState(dir));
  throwsLine(() => loadTrainingState(dir), /has no training state \(training_state.json\); it cannot be resumed/);
  saveTrainingState(dir, makeState(CFG, 1));
  const first = readFileSync(join(dir, 'training_state.json'));
  saveTrainingState(dir, makeState(CFG, 2));
  writeFileSync(join(dir, 'training_state.json'), first); // a crash between the two files of saveTrainingState
  throwsLine(() => loadTrainingState(dir), /come from different writes/);
  rmSync(join(dir, 'training_state.safetensors'));
  throwsLine(() => loadTrainingState(dir), /has training_state.json but no training_state.safetensors/);
  const other = fresh();
  saveCheckpoint(other, { ...CFG, d_model: 4 }, makeParams({ ...CFG, d_model: 4 }));
  saveTrainingState(dir, makeState(CFG, 3));
  cpSync(join(dir, 'training_state.json'), join(other, 'training_state.json'));
  cpSync(join(dir, 'training_state.safetensors'), join(other, 'training_state.safetensors'));
  throwsLine(() => loadTrainingState(other), /optimizer state for 'wte.weight' has 104 values, the parameter has 52/);
  throwsLine(() => saveTrainingState(dir, { ...makeState(CFG, 1), step: -1 }), /step must be an integer >= 0, got -1/);
  throwsLine(() => saveTrainingState(dir, { ...makeState(CFG, 1), order: new Int32Array(3) }), /field 'order' is not a plain JSON value/);
  throwsLine(() => saveTrainingState(dir, { ...makeState(CFG, 1), lr: NaN }), /field 'lr' is not a plain JSON value/);
});

test('atomic file write: replaces content, leaves no temp file, one-line error for a missing folder', () => {
  const dir = fresh('f');
  mkdirSync(dir);
  const p = join(dir, 'a.json');
  writeFileAtomic(p, 'one');
  writeFileAtomic(p, new Uint8Array([116, 119, 111]));
  assert.is(readFileSync(p, 'utf8'), 'two');
  assert.equal(readdirSync(dir), ['a.json']);
  throwsLine(() => writeFileAtomic(join(dir, 'missing', 'b.json'), 'x'), /cannot write .*b.json: ENOENT/);
  throwsLine(() => writeFolderAtomic(join(dir, 'x'), { '../evil': 'x' }), /must be a plain name/);
});

test('crash states: stray temp folder, .old without target, target plus .old — the last complete checkpoint loads', () => {
  const dir = fresh('crash');
  const p1 = makeParams(CFG, 1);
  const p2 = makeParams(CFG, 2);
  saveCheckpoint(dir, CFG, p1);
  // (a) killed while writing the temp folder: a partial temp folder of a dead process is beside the target
  const stray = `${dir}.tmp-999999999-abc`;
  mkdirSync(stray);
  writeFileSync(join(stray, 'model.safetensors'), 'partial');
  sameParams(p1, loadCheckpoint(dir).params);
  // (b) killed between the two renames: only <dir>.old exists
  renameSync(dir, `${dir}.old`);
  assert.not.ok(existsSync(dir));
  const rec = loadCheckpoint(dir);
  sameParams(p1, rec.params);
  assert.is(rec.dir, `${dir}.old`);
  sameParams(p1, loadCheckpoint(dir + '/').params);
  // the next save puts .old back, installs the new one, clears the stale temp, leaves nothing behind
  saveCheckpoint(dir, CFG, p2);
  sameParams(p2, loadCheckpoint(dir).params);
  assert.not.ok(existsSync(`${dir}.old`));
  assert.not.ok(existsSync(stray));
  // (c) killed while removing .old: target complete, a partial .old remains
  mkdirSync(`${dir}.old`);
  writeFileSync(join(`${dir}.old`, 'config.json'), '{');
  sameParams(p2, loadCheckpoint(dir).params);
  saveCheckpoint(dir, CFG, p1);
  sameParams(p1, loadCheckpoint(dir).params);
  assert.not.ok(existsSync(`${dir}.old`));
});

test('kill -9 of a process saving checkpoints in a loop always leaves the last complete checkpoint loadable', async () => {
  const dir = fresh('kill');
  const register = fileURLToPath(new URL('../src/register.mjs', import.meta.url));
  const ckpt = fileURLToPath(new URL('../src/hub/folder.ts', import.meta.url));
  const stateTs = fileURLToPath(new URL('../src/train/state.ts', import.meta.url));
  // child: save checkpoint i (every value = i, training state step i), report "saved i", repeat
  const code = `
    import { saveCheckpoint, expectedParamShapes } from ${JSON.stringify(ckpt)};
    import { trainingStateFiles } from ${JSON.stringify(stateTs)};
    const c = ${JSON.stringify({ ...CFG, vocab_size: 512, d_model: 32, context_length: 16 })};
    for (let i = 1; ; i++) {
      const params = new Map(), m = new Map(), v = new Map();
      for (const [name, shape] of expectedParamShapes(c)) {
        const n = shape.reduce((a, b) => a * b, 1);
        params.set(name, { shape, data: new Float32Array(n).fill(i) });
        m.set(name, new Float32Array(n).fill(i)); v.set(name, new Float32Array(n).fill(-i));
      }
      saveCheckpoint(${JSON.stringify(dir)}, c, params, { files: trainingStateFiles({ step: i, epoch: 0, batchIndex: i, rngSeed: 1, optimizer: { step: i, m, v } }) });
      process.stdout.write('saved ' + i + '\\n');
    }`;
  const rounds = [0, 3, 7, 15, 30, 60, 100, 150];
  let lastSeen = 0;
  for (const extraMs of rounds) {
    const child = spawn(process.execPath, ['--import', register, '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<void>((res) => child.on('exit', () => res()));
    // wait for at least one complete save of this run, then kill at a varying moment
    const t0 = Date.now();
    while (!/saved \d+/.test(out)) {
      if (child.exitCode !== null || Date.now() - t0 > 30000) throw new Error(`writer did not start: ${err.split('\n')[0]}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, extraMs));
    child.kill('SIGKILL');
    await exited;
    const saved = [...out.matchAll(/saved (\d+)/g)].map((m) => Number(m[1]));
    const last = saved[saved.length - 1];
    const { params } = loadCheckpoint(dir);
    const st = loadTrainingState(dir);
    const i = params.get('wte.weight')!.data[0];
    // the loaded checkpoint is the last reported one or the one being written when killed, and internally consistent
    assert.ok(i >= last, `loaded checkpoint ${i}, older than the last reported save ${last}`);
    for (const [name, p] of params) assert.ok(p.data.every((x) => x === i), `${name} mixes checkpoints`);
    assert.is(st.step, i);
    assert.ok(st.optimizer.v.get('ln_f.bias')!.every((x) => x === -i));
    lastSeen += saved.length;
    console.log(`  kill round: ${saved.length} saves, loaded ${i}, leftovers ${readdirSync(ROOT).filter((n) => n.startsWith(dir.split("/").pop()!)).join(" ")}`);
  }
  assert.ok(lastSeen >= rounds.length);
});

test('HF-layout fixture test/fixtures/gpt_small loads when present', () => {
  const dir = join(FIXTURES, 'gpt_small');
  if (!existsSync(join(dir, 'model.safetensors'))) {
    console.log('  (test/fixtures/gpt_small not present: skipped)');
    return;
  }
  const { config, params } = loadCheckpoint(dir);
  const shapes = expectedParamShapes(config);
  assert.equal([...params.keys()], [...shapes.keys()]);
  for (const [name, p] of params) {
    assert.equal(p.shape, shapes.get(name));
    assert.ok(p.data.every(Number.isFinite), `${name} has non-finite values`);
  }
});

test.after(() => rmSync(ROOT, { recursive: true, force: true }));

test.run();
