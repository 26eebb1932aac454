// Fine-tuning tasks: labelled rows from TSV/CSV/JSONL, the label space, macro-F1, the book's Alpaca prompt with the
// prompt masked out of the loss; `--task classify` end to end on a slice of the bundled NSMC sample (fresh and from
// an MLM checkpoint of ours), `wgpt classify` on the folder, `wgpt embed` = sentence-transformers' mean pooling.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getGpu } from '../src/gpu/device.ts';
import { IdBatch, noGrad } from '../src/autograd/tensor.ts';
import { parseLabelled, labelSpace, macroF1, formatPrompt, instructionIds, parseInstructions } from '../src/train/tasks.ts';
import { runTraining, type RunOptions } from '../src/train/run.ts';
import { loadCheckpoint } from '../src/hub/folder.ts';
import { loadModelDir } from '../src/hub/node.ts';
import { meanPooled } from '../src/cli/embed.ts';
import { trainWordPiece } from '../src/tokenizer/wordpiece-train.ts';
import { wordPieceToHfJson } from '../src/tokenizer/hf-json.ts';
import { loadTokenizer } from '../src/tokenizer/index.ts';
import { throwsMsg, assertClose } from './helpers.ts';
import { parseSafetensors } from '../src/io/safetensors.ts';
import type { HiddenStates, Model } from '../src/model/model.ts';
import { runCli } from './cli-inproc.ts';

const NSMC = fileURLToPath(new URL('../src/data/nsmc/', import.meta.url));
const quiet = { say: () => {}, progress: false };

test('labelled rows: NSMC TSV, CSV with quotes, JSONL with ids or names; one-line errors', () => {
  const tsv = parseLabelled(readFileSync(join(NSMC, 'test.tsv'), 'utf8'), 'test.tsv', true);
  assert.is(tsv.length, 1000);
  assert.equal(tsv[0], { text: '사랑입니다..ㅜㅜ♥', label: '1' });
  const csv = parseLabelled('label,text\npos,"good, really ""good""\nsecond line"\nneg,bad\n', 'x.csv', true);
  assert.equal(csv, [{ text: 'good, really "good"\nsecond line', label: 'pos' }, { text: 'bad', label: 'neg' }]);
  const jl = parseLabelled('{"sentence": "a", "label": 1}\n\n{"text": "b", "label": "x"}\n', 'x.jsonl', true);
  assert.equal(jl, [{ text: 'a', label: '1' }, { text: 'b', label: 'x' }]);
  throwsMsg(() => parseLabelled('text\tlab\na\t1\n', 'f.tsv', true), /f\.tsv: the header row .* names no "label" column/);
  throwsMsg(() => parseLabelled('text\tlabel\na\t1\tx\n', 'f.tsv', true), /f\.tsv:2 has 3 tab-separated fields, the header has 2/);
  throwsMsg(() => parseLabelled('{"text": "a"}\n', 'f.jsonl', true), /f\.jsonl:1 has no "label"/);
  assert.equal(parseLabelled('text\nonly\n', 'f.tsv', false), [{ text: 'only', label: '' }]);
});

test('label space: integer labels are ids (LABEL_i), names sorted; a classifier\'s own labels; macro-F1', () => {
  const ints = labelSpace([{ text: '', label: '1' }, { text: '', label: '0' }]);
  assert.equal(ints.labels, ['LABEL_0', 'LABEL_1']);
  assert.is(ints.index('1'), 1);
  const names = labelSpace(['pos', 'neg', 'neutral'].map((label) => ({ text: '', label })));
  assert.equal(names.labels, ['neg', 'neutral', 'pos']);
  assert.is(names.index('pos'), 2);
  const known = labelSpace([{ text: '', label: 'positive' }], ['negative', 'positive']);
  assert.is(known.index('positive'), 1);
  throwsMsg(() => known.index('meh', 'row 3'), /row 3 has label 'meh', which is not one of the model's 2 labels \(negative, positive\)/);
  throwsMsg(() => labelSpace([{ text: '', label: 'a' }]), /at least 2 labels/);
  // scikit-learn f1_score(average='macro') of this case: (2/3 + 4/5 + 1) / 3
  assert.ok(Math.abs(macroF1([0, 0, 1, 1, 2], [0, 1, 1, 1, 2], 3) - (2 / 3 + 4 / 5 + 1) / 3) < 1e-12);
  assert.is(macroF1([0, 0], [1, 1], 2), 0);
});

test('Alpaca entries: the book\'s prompt (Input only when non-empty); prompt tokens are −100 in the targets', () => {
  assert.is(formatPrompt({ instruction: 'Say hi.', input: '' }), 'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nSay hi.\n\n### Response:\n');
  assert.match(formatPrompt({ instruction: 'Translate.', input: 'Hallo' }), /### Instruction:\nTranslate\.\n\n### Input:\nHallo\n\n### Response:\n$/);
  const tok = loadTokenizer('gpt2');
  const row = { instruction: 'Name a colour.', input: '', output: 'Blue.' };
  const { x, y } = instructionIds(tok, row, 200);
  const prompt = tok.encode(formatPrompt(row));
  const all = [...prompt, ...tok.encode('Blue.'), tok.eotId!];
  assert.equal(x, all.slice(0, -1));
  assert.equal(y, all.slice(1).map((id, i) => (i < prompt.length - 1 ? -100 : id)));
  assert.equal(parseInstructions('[{"instruction": "a", "output": "b"}]', 'f.json'), [{ instruction: 'a', input: '', output: 'b' }]);
  throwsMsg(() => parseInstructions('{"instruction": "a"}\n', 'f.jsonl'), /f\.jsonl: entry 1 has no "output" string/);
});

test('--task classify on NSMC rows (fresh BERT and from our MLM checkpoint); wgpt classify and embed on the folders', async () => {
  const gpu = await getGpu();
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-cls-'));
  try {
    const lines = readFileSync(join(NSMC, 'train.tsv'), 'utf8').trim().split('\n');
    const data = join(tmp, 'train.tsv');
    writeFileSync(data, lines.slice(0, 201).join('\n') + '\n');
    const text = join(tmp, 'text.txt');
    writeFileSync(text, lines.slice(1, 201).map((l) => l.split('\t')[1]).join('\n') + '\n');
    const tokenizer = join(tmp, 'tokenizer.json');
    writeFileSync(tokenizer, wordPieceToHfJson(trainWordPiece(readFileSync(text, 'utf8'), { vocabSize: 800 }).tokenizer));
    const base: RunOptions = { data, tokenizer, task: 'classify', arch: 'bert', preset: 'tiny', context: 24, batch: 8, steps: 6, lr: 2e-3, weightDecay: 0.01, seed: 3, shuffle: true, valFraction: 0.2, evalEvery: 3, evalBatches: 0, saveEvery: 0, out: join(tmp, 'fresh') };
    const said: string[] = [];
    const r = await runTraining(gpu, base, undefined, { ...quiet, say: (l) => said.push(l) });
    r.model.dispose();
    assert.ok(said.some((l) => /majority-class baseline accuracy \d/.test(l)), said.join('\n'));
    assert.ok(said.some((l) => /held-out accuracy [\d.]+%, macro-F1 0\.\d{3}/.test(l)), said.join('\n'));
    const cfg = JSON.parse(readFileSync(join(tmp, 'fresh', 'config.json'), 'utf8'));
    assert.equal([cfg.architectures, cfg.num_labels, cfg.id2label], [['BertForSequenceClassification'], 2, { 0: 'LABEL_0', 1: 'LABEL_1' }]);
    assert.ok(r.val.length === 2 && r.val.every((v) => v.accuracy !== undefined));
    // from a masked-LM checkpoint of ours: encoder rows copied, the head initialised, the MLM head dropped
    const mlm = await runTraining(gpu, { ...base, task: 'lm', data: text, out: join(tmp, 'mlm'), evalEvery: 0 }, undefined, quiet);
    mlm.model.dispose();
    const said2: string[] = [];
    const r2 = await runTraining(gpu, { ...base, arch: undefined, preset: undefined, model: join(tmp, 'mlm'), out: join(tmp, 'from-mlm') }, undefined, { ...quiet, say: (l) => said2.push(l) });
    r2.model.dispose();
    assert.ok(said2.some((l) => /BertForSequenceClassification from the pretrained weights: initialised .*classifier\.weight.*; dropped/.test(l)), said2.join('\n'));
    // LoRA on the BERT checkpoint (PEFT's default targets query, value): PEFT's keys for a BERT, fan_in_fan_out false
    const lo = await runTraining(gpu, { ...base, task: 'lm', data: text, arch: undefined, preset: undefined, model: join(tmp, 'mlm'), out: join(tmp, 'bert-lora'), evalEvery: 0, steps: 2, lora: { r: 2, alpha: 4, dropout: 0, targets: ['query', 'value'], rslora: false } }, undefined, quiet);
    lo.model.dispose();
    lo.adapter!.dispose();
    const acfg = JSON.parse(readFileSync(join(tmp, 'bert-lora', 'adapter_config.json'), 'utf8'));
    assert.equal([acfg.fan_in_fan_out, acfg.target_modules], [false, ['query', 'value']]);
    const keys = [...parseSafetensors(new Uint8Array(readFileSync(join(tmp, 'bert-lora', 'adapter_model.safetensors')))).tensors.keys()];
    assert.ok(keys.includes('base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight') && keys.length === 2 * 2 * 2, keys.join(' '));
    const fm = await runCli(['fill-mask', '--model', join(tmp, 'mlm'), '--adapter', join(tmp, 'bert-lora'), '--text', '최고의 [MASK]']);
    assert.is(fm.code, 0, fm.err);
    // wgpt classify on a labelled file, and as JSON
    const c = await runCli(['classify', '--model', join(tmp, 'from-mlm'), '--file', join(NSMC, 'test.tsv'), '--batch', '64']);
    assert.is(c.code, 0, c.err);
    const out = c.out.trim().split('\n');
    assert.is(out.length, 1001);
    assert.ok(out.slice(0, -1).every((l) => /^LABEL_[01]\t0\.\d{4}$|^LABEL_[01]\t1\.0000$/.test(l)), out.slice(0, 3).join('|'));
    assert.match(out[1000], /^accuracy \d+\.\d\d% \(\d+\/1000\), macro-F1 0\.\d{4}$/);
    const j = await runCli(['classify', '--model', join(tmp, 'from-mlm'), '--text', '최고의 영화', '--json']);
    const o = JSON.parse(j.out.trim());
    assert.ok(o.label in o.scores && Math.abs(o.scores.LABEL_0 + o.scores.LABEL_1 - 1) < 1e-5 && o.score === o.scores[o.label], j.out);
    // embed: mean pooling over the mask as sentence-transformers (checked against the hidden states), normalized
    const e = await runCli(['embed', '--model', join(tmp, 'mlm'), '--text', '최고의 영화', '--normalize']);
    assert.is(e.code, 0, e.err);
    const vec = JSON.parse(e.out.trim()) as number[];
    assert.is(vec.length, 64);
    assert.ok(Math.abs(Math.hypot(...vec) - 1) < 1e-5);
    const { model, tokenizer: tok } = loadModelDir(gpu, join(tmp, 'mlm'));
    const hm = model as Model & HiddenStates;
    const s = tok.specialTokens!;
    const ids = Int32Array.from([s['[CLS]'], ...tok.encode('최고의 영화'), s['[SEP]'], s['[PAD]'], s['[PAD]']]);
    const mask = Uint8Array.from(ids, (_, i) => (i < ids.length - 2 ? 1 : 0));
    const pooled = await meanPooled(hm, ids, mask, 1, ids.length, hm.arch.vocabSize(hm.config), false);
    const h = await gpu.scope(() => noGrad(() => hm.hidden(IdBatch.from(gpu, ids, [1, ids.length], hm.arch.vocabSize(hm.config)), mask).toArray()));
    const want = new Float32Array(64);
    for (let t = 0; t < ids.length - 2; t++) for (let k = 0; k < 64; k++) want[k] += h[t * 64 + k] / (ids.length - 2);
    assertClose(pooled, want, { atol: 1e-5, rtol: 1e-5, name: 'mean pooling' });
    const norm = Math.hypot(...want);
    assertClose(vec, Array.from(want, (v) => v / norm), { atol: 1e-5, rtol: 1e-4, name: 'normalized (CLI, padded batch of one)' });
    model.dispose();
    void loadCheckpoint;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('--task classify with a fresh GPT-2: GPT2ForSequenceClassification, rows padded with pad_token_id = end-of-text', async () => {
  const gpu = await getGpu();
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-gptcls-'));
  try {
    const lines = readFileSync(join(NSMC, 'train.tsv'), 'utf8').trim().split('\n');
    const data = join(tmp, 'train.tsv');
    writeFileSync(data, lines.slice(0, 81).join('\n') + '\n');
    const r = await runTraining(gpu, { data, tokenizer: 'simple-v2', task: 'classify', arch: 'gpt2', preset: 'tiny', context: 24, batch: 8, steps: 4, lr: 2e-3, weightDecay: 0.01, seed: 3, shuffle: true, valFraction: 0.2, evalEvery: 0, evalBatches: 0, saveEvery: 0, out: join(tmp, 'g') }, undefined, quiet);
    assert.ok(r.train.every((p) => Number.isFinite(p.loss)) && r.val[0].accuracy !== undefined);
    r.model.dispose();
    const cfg = JSON.parse(readFileSync(join(tmp, 'g', 'config.json'), 'utf8'));
    assert.equal(cfg.architectures, ['GPT2ForSequenceClassification']);
    assert.is(cfg.pad_token_id, r.tokenizer!.eotId);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
