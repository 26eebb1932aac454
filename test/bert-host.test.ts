// Host-side BERT pieces (no GPU): config.json parsing, the Hugging Face name ↔ parameter-table mapping on the
// gen_bert.py folders, MLM row building, batching with attention masks and the 15% / 80-10-10 masking.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { FIXTURES, throwsMsg } from './helpers.ts';
import { parseSafetensors } from '../src/io/safetensors.ts';
import { type BertConfig, bertConfigFromHF, bertConfigToHF, bertParamTable, bertHF } from '../src/model/bert-config.ts';
import { paramsFromHF, skippedLine, initParams } from '../src/model/model.ts';
import { buildRows, maskRow, MlmLoader, mostFrequentBaseline, randomPool, rowMaskSeed } from '../src/data/mlm.ts';

const readFolder = (name: string) => {
  const cfg = bertConfigFromHF(JSON.parse(readFileSync(`${FIXTURES}${name}/config.json`, 'utf8')));
  const st = parseSafetensors(new Uint8Array(readFileSync(`${FIXTURES}${name}/model.safetensors`)));
  return { cfg, tensors: st.tensors };
};

test('config.json of bert-base-cased keys parses and round-trips', () => {
  const { cfg } = readFolder('bert_tiny');
  assert.equal([cfg.vocab_size, cfg.hidden_size, cfg.num_attention_heads, cfg.num_hidden_layers, cfg.intermediate_size, cfg.type_vocab_size], [333, 36, 4, 2, 50, 2]);
  assert.is(cfg.hidden_act, 'gelu');
  assert.is(cfg.layer_norm_eps, 1e-12);
  assert.equal(bertConfigFromHF(bertConfigToHF(cfg)), cfg);
  const base = JSON.parse(readFileSync(`${FIXTURES}bert_tiny/config.json`, 'utf8'));
  throwsMsg(() => bertConfigFromHF({ ...base, hidden_act: 'gelu_fast' }), /hidden_act "gelu_fast" is not supported/);
  throwsMsg(() => bertConfigFromHF({ ...base, position_embedding_type: 'relative_key' }), /position_embedding_type "relative_key"/);
  throwsMsg(() => bertConfigFromHF({ ...base, hidden_size: 37 }), /hidden_size 37 is not divisible by num_attention_heads 4/);
  throwsMsg(() => bertConfigFromHF({ ...base, model_type: 'gpt2' }), /model_type is "gpt2", not "bert"/);
  throwsMsg(() => bertConfigFromHF({ ...base, vocab_size: undefined }), /missing "vocab_size"/);
});

const load = (tensors: Map<string, any>, cfg: BertConfig) => paramsFromHF(tensors, bertParamTable(cfg), bertHF, cfg, 'model.safetensors');

test('HF names: modern, legacy gamma/beta and no-prefix folders map to the same table; extras are skipped and named', () => {
  const a = readFolder('bert_tiny');
  const ra = load(a.tensors, a.cfg);
  const table = bertParamTable(a.cfg);
  assert.equal([...ra.params.keys()], table.map((s) => s.name));
  // Hugging Face layouts kept as they are: Linear weights [out, in]
  assert.equal(ra.params.get('bert.encoder.layer.0.intermediate.dense.weight')!.shape, [50, 36]);
  const line = skippedLine(ra.skipped);
  assert.ok(!line.includes('\n'));
  for (const n of ['bert.pooler.dense.weight', 'bert.pooler.dense.bias', 'cls.seq_relationship.weight', 'cls.seq_relationship.bias', 'bert.embeddings.position_ids']) assert.ok(line.includes(n), `${n} named in: ${line}`);
  assert.is(ra.skipped.length, 5);
  console.log(`  ${line}`);
  for (const v of ['bert_tiny_legacy', 'bert_tiny_noprefix']) {
    const b = readFolder(v);
    const rb = load(b.tensors, b.cfg);
    for (const [n, p] of ra.params) assert.equal(Array.from(rb.params.get(n)!.data), Array.from(p.data), `${v}: ${n}`);
  }
  const leg = load(readFolder('bert_tiny_legacy').tensors, a.cfg);
  assert.equal(leg.skipped.map((s) => s.name), ['cls.predictions.decoder.bias']);
  const withDecoder = new Map(a.tensors);
  withDecoder.set('cls.predictions.decoder.weight', a.tensors.get('bert.embeddings.word_embeddings.weight')!);
  assert.ok(load(withDecoder, a.cfg).skipped.some((s) => s.name === 'cls.predictions.decoder.weight' && /tied/.test(s.reason)));
  // a fresh table's init: the [PAD] row of the word embedding is zero, LayerNorms 1/0
  const fresh = initParams(table, 5);
  assert.ok(fresh.get('bert.embeddings.word_embeddings.weight')!.data.subarray(0, 36).every((x) => x === 0));
  assert.ok(fresh.get('bert.embeddings.word_embeddings.weight')!.data.subarray(36, 72).some((x) => x !== 0));
  assert.ok(fresh.get('cls.predictions.transform.LayerNorm.weight')!.data.every((x) => x === 1));
});

test('HF names: missing, duplicated, mis-shaped tensors are one-line errors', () => {
  const a = readFolder('bert_tiny');
  const m = new Map(a.tensors);
  m.delete('bert.encoder.layer.1.output.dense.bias');
  throwsMsg(() => load(m, a.cfg), /missing tensor 'bert\.encoder\.layer\.1\.output\.dense\.bias'/);
  const dup = new Map(a.tensors);
  dup.set('bert.embeddings.LayerNorm.gamma', a.tensors.get('bert.embeddings.LayerNorm.weight')!);
  throwsMsg(() => load(dup, a.cfg), /tensor 'bert\.embeddings\.LayerNorm\.weight' appears twice/);
  throwsMsg(() => load(a.tensors, { ...a.cfg, intermediate_size: 51 }), /tensor 'bert\.encoder\.layer\.0\.intermediate\.dense\.weight' has shape \[50, 36\], expected \[51, 36\] from the config/);
  throwsMsg(() => load(a.tensors, { ...a.cfg, vocab_size: 334 }), /word_embeddings\.weight' has shape \[333, 36\], expected \[334, 36\]/);
  throwsMsg(() => load(a.tensors, { ...a.cfg, num_hidden_layers: 1 }), /unexpected tensor 'bert\.encoder\.layer\.1\..*a layer beyond num_hidden_layers/);
});

const SP = { cls: 101, sep: 102, pad: 0, mask: 103 };

test('rows: packed lines share a row up to T, long lines are split, line mode is one line per row', () => {
  const lines = [[1, 2, 3], [4, 5], [], [6, 7, 8, 9, 10, 11, 12, 13, 14], [15]];
  const packed = buildRows(lines, SP, { maxLength: 8, mode: 'pack' });
  assert.equal(packed.map((r) => Array.from(r)), [
    [101, 1, 2, 3, 102, 4, 5, 102],
    [101, 6, 7, 8, 9, 10, 11, 102],
    [101, 12, 13, 14, 102, 15, 102],
  ]);
  const byLine = buildRows(lines, SP, { maxLength: 8, mode: 'line' });
  assert.equal(byLine.map((r) => Array.from(r)), [[101, 1, 2, 3, 102], [101, 4, 5, 102], [101, 6, 7, 8, 9, 10, 11, 102], [101, 12, 13, 14, 102], [101, 15, 102]]);
  for (const r of [...packed, ...byLine]) assert.ok(r.length <= 8);
  throwsMsg(() => buildRows(lines, SP, { maxLength: 2, mode: 'pack' }), /max_length must be an integer >= 3/);
});

const MO = { specialIds: [0, 100, 101, 102, 103], vocabSize: 333, maskId: 103 };

test('masking: 15% chosen, 80% [MASK] / 10% random / 10% unchanged, specials never chosen, labels −100 elsewhere', () => {
  const pool = randomPool(MO);
  let eligible = 0, chosen = 0, masked = 0, random = 0, kept = 0;
  for (let r = 0; r < 4000; r++) {
    const row = [101, ...Array.from({ length: 30 }, (_, i) => 104 + ((r * 31 + i * 7) % 229)), 102, 102];
    const { input, labels } = maskRow(row, rowMaskSeed(7, 0, r), MO, pool);
    row.forEach((id, t) => {
      if (MO.specialIds.includes(id)) {
        assert.is(labels[t], -100);
        assert.is(input[t], id);
        return;
      }
      eligible++;
      if (labels[t] === -100) return assert.is(input[t], id);
      chosen++;
      assert.is(labels[t], id);
      if (input[t] === 103) masked++;
      else if (input[t] === id) kept++;
      else {
        random++;
        assert.ok(!MO.specialIds.includes(input[t]), 'random replacement is never a special token');
      }
    });
  }
  const share = chosen / eligible;
  console.log(`  masking over ${eligible} tokens: chosen ${(100 * share).toFixed(2)}%, of them [MASK] ${(100 * masked / chosen).toFixed(2)}% random ${(100 * random / chosen).toFixed(2)}% kept ${(100 * kept / chosen).toFixed(2)}%`);
  assert.ok(Math.abs(share - 0.15) < 0.005, `chosen share ${share}`);
  // a random replacement can hit the original id (1 in 228): counted as kept
  assert.ok(Math.abs(masked / chosen - 0.8) < 0.01);
  assert.ok(Math.abs(random / chosen - 0.1) < 0.01);
  assert.ok(Math.abs(kept / chosen - 0.1) < 0.01);
});

test('masking: every row with a token has a chosen one; same (seed, epoch, row) → same mask; epochs differ', () => {
  for (let r = 0; r < 200; r++) {
    const { labels } = maskRow([101, 200, 102], rowMaskSeed(1, 0, r), MO);
    assert.is(labels[1], 200);
  }
  assert.equal(Array.from(maskRow([101, 102], 5, MO).labels), [-100, -100]);
  const row = Array.from({ length: 40 }, (_, i) => 110 + i);
  const a = maskRow(row, rowMaskSeed(3, 2, 9), MO);
  const b = maskRow(row, rowMaskSeed(3, 2, 9), MO);
  const c = maskRow(row, rowMaskSeed(3, 3, 9), MO);
  assert.equal(Array.from(a.input), Array.from(b.input));
  assert.equal(Array.from(a.labels), Array.from(b.labels));
  assert.not.equal(Array.from(a.labels), Array.from(c.labels));
  throwsMsg(() => maskRow(row, 1, { ...MO, prob: 0 }), /mask probability must be in \(0, 1\]/);
});

test('loader: padded batches with attention masks; a row keeps its mask whatever batch it lands in (resume)', () => {
  const lines = Array.from({ length: 37 }, (_, i) => Array.from({ length: 1 + ((i * 5) % 13) }, (_, j) => 104 + ((i + j * 3) % 200)));
  const rows = buildRows(lines, SP, { maxLength: 12, mode: 'line' });
  const L = new MlmLoader(rows, { ...MO, batchSize: 5, seed: 11, pad: 0 });
  assert.is(L.numBatches, Math.ceil(rows.length / 5));
  const seen = new Map<string, string>();
  for (let i = 0; i < L.numBatches; i++) {
    const b = L.batch(i, 1);
    for (let r = 0; r < b.B; r++) {
      const am = Array.from(b.attentionMask.subarray(r * b.T, (r + 1) * b.T));
      const n = am.reduce((x, y) => x + y, 0);
      assert.equal(am, [...Array(n).fill(1), ...Array(b.T - n).fill(0)]);
      for (let t = n; t < b.T; t++) {
        assert.is(b.input[r * b.T + t], 0);
        assert.is(b.labels[r * b.T + t], -100);
      }
      const ids = Array.from(b.ids.subarray(r * b.T, r * b.T + n)).join(',');
      seen.set(ids, Array.from(b.labels.subarray(r * b.T, r * b.T + n)).join(','));
    }
    assert.equal(Array.from(b.tokenTypes), Array(b.B * b.T).fill(0));
    assert.is(b.T, Math.max(...Array.from({ length: b.B }, (_, r) => b.attentionMask.subarray(r * b.T, (r + 1) * b.T).reduce((x, y) => x + y, 0))));
  }
  assert.is(seen.size, new Set(rows.map((r) => Array.from(r).join(','))).size);
  // batch i of epoch e is a pure function: a fresh loader (a resumed run) gives the same batch
  const L2 = new MlmLoader(rows, { ...MO, batchSize: 5, seed: 11, pad: 0 });
  assert.equal(L2.batch(3, 1), L.batch(3, 1));
  // and the mask of a row follows the row, not its place: unshuffled loader, same row, same labels
  const L3 = new MlmLoader(rows, { ...MO, batchSize: 7, seed: 11, pad: 0, shuffle: false });
  for (const b of L3.epoch(1)) {
    for (let r = 0; r < b.B; r++) {
      const n = b.attentionMask.subarray(r * b.T, (r + 1) * b.T).reduce((x, y) => x + y, 0);
      assert.is(Array.from(b.labels.subarray(r * b.T, r * b.T + n)).join(','), seen.get(Array.from(b.ids.subarray(r * b.T, r * b.T + n)).join(',')));
    }
  }
  const fixed = new MlmLoader(rows, { ...MO, batchSize: 5, seed: 11, pad: 0, padTo: 'max', maxLength: 12 });
  assert.is(fixed.batch(0).T, 12);
});

test('most-frequent-token baseline', () => {
  const rows = [Int32Array.from([101, 7, 7, 8, 102]), Int32Array.from([101, 7, 9, 102])];
  const b = { B: 1, T: 4, input: new Int32Array(4), attentionMask: new Int32Array(4), tokenTypes: new Int32Array(4), ids: new Int32Array(4), labels: Int32Array.from([-100, 7, 8, 7]) };
  assert.equal(mostFrequentBaseline(rows, [b], MO.specialIds), { token: 7, accuracy: 2 / 3, n: 3 });
});


test('BERT data hook: lines → packed rows, held-out split with fixed masks and the most-frequent baseline; train masks re-drawn per epoch', async () => {
  const { bert } = await import('../src/model/bert.ts');
  const words = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...Array.from({ length: 40 }, (_, i) => `w${i}`)];
  const id = new Map(words.map((w, i) => [w, i]));
  const tokenizer = {
    name: 'toy', vocabSize: words.length, specialTokens: { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3, '[MASK]': 4 },
    encode: (t: string) => t.split(/\s+/).filter(Boolean).map((w) => id.get(w) ?? 1),
    decode: (ids: ArrayLike<number>) => Array.from(ids, (i) => words[i]).join(' '),
  };
  const lines = Array.from({ length: 50 }, (_, i) => Array.from({ length: 3 + (i % 7) }, (_, j) => `w${(i * 3 + j * j) % 40}`).join(' '));
  const src = { path: 'toy.txt', tokenizer, ids: () => new Int32Array(0), text: () => lines.join('\n') + '\n\n' };
  const cfg = bert.freshConfig({ preset: 'tiny', vocabSize: words.length });
  const d = bert.data.prepare(src as any, cfg, { batch: 4, context: 16, shuffle: true, seed: 3, valFraction: 0.2 });
  assert.match(d.summary, /^50 lines → \d+ train rows/);
  assert.ok(d.notes.some((n) => /most-frequent-token baseline \(always "w\d+"\) accuracy \d+\.\d%/.test(n)), d.notes.join(' | '));
  const b0 = d.train.batch(0, 0);
  assert.ok(b0.T <= 16);
  for (let r = 0; r < b0.B; r++) assert.is(b0.ids[r * b0.T], 2, 'rows start with [CLS]');
  for (let i = 0; i < b0.labels.length; i++) if (b0.labels[i] !== -100) assert.ok(b0.ids[i] > 4, 'only real tokens are chosen');
  assert.not.equal(Array.from(d.train.batch(0, 1).labels), Array.from(b0.labels));
  assert.equal(d.val!.batch(0, 0), d.val!.batch(0, 5), 'held-out masks do not change between evaluations');
  assert.is(d.train.tokens(b0), b0.attentionMask.reduce((a, v) => a + v, 0));
  throwsMsg(() => bert.data.prepare({ ...src, tokenizer: { ...tokenizer, specialTokens: { '[PAD]': 0 } } } as any, cfg, { batch: 4, shuffle: true, seed: 3, valFraction: 0.2 }), /has no \[CLS\], \[SEP\], \[MASK\] tokens; BERT needs/);
});

test.run();
