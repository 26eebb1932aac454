// The course's RNNSeq2Seq / AttentionSeq2Seq with RNN, LSTM and GRU cells (test/fixtures/gen_rnn_seq2seq.py): a PyTorch state_dict saved with
// the course's names loads as it is and gives PyTorch's teacher-forced logits, loss, every gradient, greedy ids,
// per-step logits and attention weights, beam-search ids and scores (Hugging Face's rules, and the course's: the
// models' default, test/fixtures/course_beam.py); TSV parsing and bad-input errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, mkdtempSync, rmSync, cpSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getGpu } from '../src/gpu/device.ts';
import { backward, Tensor } from '../src/autograd/tensor.ts';
import { loadCheckpoint } from '../src/hub/folder.ts';
import { parseSafetensors } from '../src/io/safetensors.ts';
import { Seq2SeqModel, rnnSeq2seq } from '../src/model/rnn-seq2seq.ts';
import { parseTsvPairs, padPairs, pairBatches, IGNORE_LABEL } from '../src/data/pairs.ts';
import { initModel, initParams } from '../src/model/model.ts';
import { translateIds } from '../src/model/seq2seq-translate.ts';
import { assertClose, FIXTURES, report, throwsMsg } from './helpers.ts';

const ref = (dir: string) => parseSafetensors(new Uint8Array(readFileSync(join(dir, 'ref.safetensors')))).tensors;

for (const name of ['attn_lstm', 'attn_lstm_2l', 'lstm', 'rnn', 'attn_gru', 'gru']) {
  test(`course ${name}: state_dict loads; logits, loss, all gradients ≤ 1e-4; greedy and beam-search ids identical, per-step logits and attention ≤ 1e-4`, async () => {
    const gpu = await getGpu();
    const dir = join(FIXTURES, `seq2seq_${name}`);
    const R = ref(dir);
    const get = (k: string) => {
      const t = R.get(k);
      if (!t) throw new Error(`ref.safetensors has no ${k}`);
      return t;
    };
    const ck = loadCheckpoint(dir);
    assert.is(ck.arch.modelType, 'wgpt-rnn-seq2seq');
    const model = ck.arch.create(gpu, ck.config, ck.params) as Seq2SeqModel;
    try {
      const src = get('src');
      const [B, S] = src.shape;
      const T = get('tgt_in').shape[1];
      const srcLens = Array.from(get('lengths').data as ArrayLike<number>);
      // the fixture's labels are padded with PAD (the course's ignore_index); the batch type's with IGNORE_LABEL
      const labels = Int32Array.from(get('labels').data as ArrayLike<number>, (v) => (v === ck.config.pad_id ? IGNORE_LABEL : v));
      await gpu.scope(async () => {
        const decoderInput = Int32Array.from(get('tgt_in').data as ArrayLike<number>);
        const srcMask = Uint8Array.from({ length: B * S }, (_, i) => (i % S < srcLens[Math.floor(i / S)] ? 1 : 0));
        const batch = { B, S, T, src: Int32Array.from(src.data as ArrayLike<number>), srcLens, srcMask, decoderInput, labels };
        const { logits } = model.forwardWithAttention({ ...batch, tgtIn: decoderInput });
        report(`seq2seq ${name} logits`, assertClose(await logits.toArray(), get('logits').data as Float32Array, { atol: 1e-4, rtol: 1e-4, name: `${name} logits` }));
        const loss = model.loss(batch);
        report(`seq2seq ${name} loss`, assertClose(await loss.toArray(), get('loss').data as Float32Array, { atol: 1e-4, rtol: 1e-4, name: `${name} loss` }));
        backward(loss);
        for (const [k, p] of model.params) {
          report(`seq2seq ${name} grads`, assertClose(await p.grad!.toArray(), get(`grad.${k}`).data as Float32Array, { atol: 1e-4, rtol: 1e-4, name: `${name} grad ${k}` }));
        }
      });
      const g = await model.greedy(src.data as ArrayLike<number>, srcLens, S, 10);
      const want = get('greedy_ids');
      const wantIds = Array.from({ length: B }, (_, b) => Array.from(Int32Array.from(want.data as ArrayLike<number>).subarray(b * want.shape[1], (b + 1) * want.shape[1])));
      assert.equal(g.ids, wantIds, `${name}: greedy ids`);
      // per-step logits: PyTorch stores (B, steps, V), wgpt (steps, B, V)
      const wl = get('greedy_logits');
      const V = wl.shape[2];
      const re = new Float32Array(g.stepLogits.length);
      for (let s = 0; s < g.steps; s++) for (let b = 0; b < B; b++) re.set((wl.data as Float32Array).subarray((b * g.steps + s) * V, (b * g.steps + s + 1) * V), (s * B + b) * V);
      report(`seq2seq ${name} greedy step logits`, assertClose(g.stepLogits, re, { atol: 1e-4, rtol: 1e-4, name: `${name} greedy logits` }));
      if (R.has('greedy_attention')) {
        const wa = get('greedy_attention');
        const ra = new Float32Array(g.attention!.length);
        for (let s = 0; s < g.steps; s++) for (let b = 0; b < B; b++) ra.set((wa.data as Float32Array).subarray((b * g.steps + s) * S, (b * g.steps + s + 1) * S), (s * B + b) * S);
        report(`seq2seq ${name} attention weights`, assertClose(g.attention!, ra, { atol: 1e-5, rtol: 1e-4, name: `${name} attention` }));
        // padded source positions get exactly zero weight
        for (let s = 0; s < g.steps; s++) for (let b = 0; b < B; b++) for (let j = srcLens[b]; j < S; j++) assert.is(g.attention![(s * B + b) * S + j], 0);
      } else assert.is(g.attention, null);
      // beam search (reorder gathers encoder states, lengths, h and c by row): PyTorch's ids and scores, under Hugging
      // Face's rules (asked for) and the course's (the model's default)
      const srcRows = Array.from({ length: B }, (_, b) => Array.from(src.data as ArrayLike<number>).slice(b * S, b * S + srcLens[b]));
      const fixtureIds = (key: string) => {
        const w = get(key);
        return Array.from({ length: B }, (_, b) => Array.from(w.data as ArrayLike<number>).slice(b * w.shape[1], (b + 1) * w.shape[1]));
      };
      for (const [bn, numBeams, lengthPenalty, earlyStopping] of [['beam3', 3, 1, false], ['beam2_lp06_early', 2, 0.6, true]] as const) {
        for (const rule of ['hf', 'course'] as const) {
          const key = rule === 'hf' ? bn : `course_${bn}`;
          const r = await translateIds(model, srcRows, { maxLength: 11, numBeams, lengthPenalty, earlyStopping, beamRule: rule === 'hf' ? 'hf' : undefined });
          assert.equal(r.sequences, fixtureIds(`${key}_ids`), `${name} ${key} ids`);
          report(`seq2seq ${name} ${key} scores`, assertClose(r.scores!, get(`${key}_scores`).data as Float32Array, { atol: 1e-5, rtol: 1e-5, name: `${name} ${key} scores` }));
        }
      }
      // the course's beam search with one beam is its greedy loop (rows padded after their end token)
      assert.equal((await translateIds(model, srcRows, { maxLength: 11 })).sequences, fixtureIds('course_beam1_ids'), `${name}: greedy = course beam of 1`);
    } finally {
      model.dispose();
    }
  });
}

test('a folder whose weights do not fit its config: one line naming the tensor', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-s2s-'));
  try {
    const d = join(tmp, 'm');
    cpSync(join(FIXTURES, 'seq2seq_rnn'), d, { recursive: true });
    const cfg = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
    writeFileSync(join(d, 'config.json'), JSON.stringify({ ...cfg, cell: 'lstm' }));
    throwsMsg(() => loadCheckpoint(d), /missing tensor 'encoder\.lstm\.weight_ih_l0'/);
    writeFileSync(join(d, 'config.json'), JSON.stringify({ ...cfg, attention: 'luong-general' }));
    throwsMsg(() => loadCheckpoint(d), /missing tensor 'decoder\.attn\.W_a\.weight'/);
    writeFileSync(join(d, 'config.json'), JSON.stringify({ ...cfg, cell: 'elman' }));
    throwsMsg(() => loadCheckpoint(d), /cell "elman" is not supported \(wgpt reads "rnn", "lstm", "gru"\)/);
    writeFileSync(join(d, 'config.json'), JSON.stringify({ ...cfg, cell: 'gru' }));
    throwsMsg(() => loadCheckpoint(d), /missing tensor 'encoder\.gru\.weight_ih_l0'/);
    cpSync(join(FIXTURES, 'seq2seq_attn_lstm'), d, { recursive: true });
    writeFileSync(join(d, 'config.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(FIXTURES, 'seq2seq_attn_lstm', 'config.json'), 'utf8')), attention: 'none' }));
    throwsMsg(() => loadCheckpoint(d), /unexpected tensor 'decoder\.W_c\.(weight|bias)'.*Luong attention weights, but config\.json says attention "none"/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('TSV pairs (src/data/pairs.ts, shared with marian): parsing, batches (start/end/pad, labels), bad lines named', async () => {
  const p = parseTsvPairs('a b\tc\n\nd\te f\n', 'pairs.tsv');
  assert.equal(p.map((x) => [x.line, x.src, x.tgt]), [[1, 'a b', 'c'], [3, 'd', 'e f']]);
  throwsMsg(() => parseTsvPairs('a\tb\nno tab here\n', 'pairs.tsv'), /^pairs\.tsv:2: no tab: each line must be source<TAB>target$/);
  throwsMsg(() => parseTsvPairs('a\tb\nc\t  \n', 'pairs.tsv'), /^pairs\.tsv:2: empty target$/);
  throwsMsg(() => parseTsvPairs('\tb\n', 'pairs.tsv'), /^pairs\.tsv:1: empty source$/);
  throwsMsg(() => parseTsvPairs('a\tb\tc\n', 'pairs.tsv'), /^pairs\.tsv:1: more than one tab/);
  throwsMsg(() => parseTsvPairs('\n \n', 'pairs.tsv'), /^pairs\.tsv: no source<TAB>target pairs$/);
  assert.equal(parseTsvPairs('a\tb\r\nc\td\r\n', 'w').map((x) => x.tgt), ['b', 'd'], 'CRLF lines');
  // pad 0, start 1, end 2: targets carry their end token; the decoder reads [start] + target[:-1]
  const b = padPairs([{ src: [5, 6, 7], tgt: [8, 9, 2] }, { src: [4], tgt: [3, 3, 3, 2] }], { padId: 0, startId: 1 });
  assert.equal([b.B, b.S, b.T], [2, 3, 4]);
  assert.equal(Array.from(b.src), [5, 6, 7, 4, 0, 0]);
  assert.equal(b.srcLens, [3, 1]);
  assert.equal(Array.from(b.srcMask), [1, 1, 1, 1, 0, 0]);
  assert.equal(Array.from(b.decoderInput), [1, 8, 9, 0, 1, 3, 3, 3]);
  assert.equal(Array.from(b.labels), [8, 9, 2, -100, 3, 3, 3, 2]);
  // one seeded shuffle: a permutation per epoch, the same for the same (seed, epoch), drop_last
  const pairs = Array.from({ length: 10 }, (_, i) => ({ src: [i + 3], tgt: [i + 3, 2] }));
  const pb = pairBatches(pairs, { padId: 0, startId: 1 }, 3, true, 7);
  assert.is(pb.numBatches, 3);
  const seen = (e: number) => Array.from({ length: 3 }, (_, i) => Array.from(pb.batch(i, e).src)).flat();
  assert.equal(new Set(seen(0)).size, 9);
  assert.equal(seen(0), seen(0));
  assert.not.equal(seen(0), seen(1));
  assert.equal(Array.from({ length: 3 }, (_, i) => Array.from(pairBatches(pairs, { padId: 0, startId: 1 }, 3, false, 7).batch(i, 0).src)).flat(), [3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.is(pb.tokens(pb.batch(0, 0)), 3 + 6, 'source + target tokens');
});

test('the data hook: TSV → tokenized pairs → padded batches, validation split, errors naming file:line', async () => {
  // a character tokenizer over a–z (ids 0–25)
  const tok = { name: 'chars', vocabSize: 26, encode: (t: string) => [...t.replace(/[^a-z]/g, '')].map((c) => c.charCodeAt(0) - 97), decode: (ids: ArrayLike<number>) => String.fromCharCode(...Array.from(ids, (i) => i + 97)) };
  const cfg = rnnSeq2seq.freshConfig({ vocabSize: 26, preset: 'tiny' });
  const src = (text: string) => ({ path: 'pairs.tsv', tokenizer: tok, ids: () => new Int32Array(0), text: () => text });
  const lines = Array.from({ length: 10 }, (_, i) => `${'abcdefghij'.slice(0, i + 1)}\t${'abcdefghij'.slice(0, i + 1).split('').reverse().join('')}`).join('\n');
  const d = rnnSeq2seq.data.prepare(src(lines), cfg, { batch: 4, shuffle: true, seed: 3, valFraction: 0.2 });
  assert.is(d.train.numBatches, 2);
  assert.is(d.val, null, 'two held-out pairs are fewer than one batch of 4');
  assert.match(d.notes[0], /no validation loss: 2 held-out pairs are fewer than one batch of 4/);
  const b = d.train.batch(1, 0);
  assert.equal(b.B, 4);
  for (let r = 0; r < 4; r++) {
    const n = b.srcLens[r];
    const srcRow = Array.from(b.src.subarray(r * b.S, r * b.S + n));
    const lab = Array.from(b.labels.subarray(r * b.T, r * b.T + n + 1));
    assert.equal(lab, [...srcRow].reverse().concat([cfg.end_id]), 'labels: the reversed source, then end');
    assert.is(b.decoderInput[r * b.T], cfg.start_id);
  }
  assert.equal(d.train.batch(1, 0), b, 'batch(i, epoch) is deterministic');
  throwsMsg(() => rnnSeq2seq.data.prepare(src('ab\tba\ncd\t12\n'), cfg, { batch: 1, shuffle: false, seed: 0, valFraction: 0 }), /^pairs\.tsv:2: the target encodes to no tokens$/);
  throwsMsg(() => rnnSeq2seq.data.prepare(src('ab\tba\ncd dc\n'), cfg, { batch: 1, shuffle: false, seed: 0, valFraction: 0 }), /^pairs\.tsv:2: no tab/);
  const small = { ...cfg, vocab_size: 5, pad_id: 0, start_id: 1, end_id: 2 };
  throwsMsg(() => rnnSeq2seq.data.prepare(src('ab\tbz\n'), small, { batch: 1, shuffle: false, seed: 0, valFraction: 0 }), /^pairs\.tsv:1: token id 25 is outside the model's vocabulary \(5\)$/);
});

test('bad input to the model: ids out of range, lengths, oversize targets', async () => {
  const gpu = await getGpu();
  const cfg = rnnSeq2seq.freshConfig({ vocabSize: 10, preset: 'tiny' });
  assert.equal([cfg.vocab_size, cfg.pad_id, cfg.start_id, cfg.end_id], [13, 10, 11, 12]);
  const m = initModel(rnnSeq2seq, gpu, { ...cfg, max_target_length: 5 }, 1) as Seq2SeqModel;
  try {
    await gpu.scope(async () => {
      throwsMsg(() => m.forward({ B: 1, S: 2, T: 1, src: [3, 13], srcLens: [2], tgtIn: [11] }), /source id 13 at position 1 is out of range \[0, 13\)/);
      throwsMsg(() => m.forward({ B: 1, S: 2, T: 1, src: [3, 4], srcLens: [2], tgtIn: [-1] }), /decoder id -1 at position 0 is out of range/);
      throwsMsg(() => m.forward({ B: 1, S: 2, T: 1, src: [3, 4], srcLens: [3], tgtIn: [11] }), /source 0 has length 3, outside \[1, 2\]/);
      throwsMsg(() => m.forward({ B: 1, S: 2, T: 6, src: [3, 4], srcLens: [2], tgtIn: [11, 1, 1, 1, 1, 1] }), /decoder input of 6 tokens exceeds max_target_length 5/);
    });
  } finally {
    m.dispose();
  }
  throwsMsg(() => rnnSeq2seq.configFromHF({ cell: 'lstm', vocab_size: 5, embedding_dim: 2, hidden_size: 3, start_id: 1, end_id: 9, pad_id: 0 }, 'config.json'), /config\.json: .*end_id 9 is outside the vocabulary \[0, 5\)/);
  // the schema (src/model/schema.ts): one line naming the key; defaults for absent optional keys; a round trip
  const j = { cell: 'gru', vocab_size: 5, embedding_dim: 2, hidden_size: 3, start_id: 1, end_id: 2, pad_id: 0 };
  throwsMsg(() => rnnSeq2seq.configFromHF({ ...j, hidden_size: undefined }, 'config.json'), /^config\.json: missing "hidden_size"$/);
  throwsMsg(() => rnnSeq2seq.configFromHF({ ...j, num_layers: 0 }, 'config.json'), /^config\.json: num_layers must be a positive integer, got 0$/);
  throwsMsg(() => rnnSeq2seq.configFromHF({ ...j, attention: 'bahdanau' }, 'config.json'), /^config\.json: attention "bahdanau" is not supported/);
  throwsMsg(() => rnnSeq2seq.configFromHF({ ...j, bidirectional: true }, 'config.json'), /^config\.json: bidirectional encoders are not supported/);
  throwsMsg(() => rnnSeq2seq.validateConfig({ ...rnnSeq2seq.configFromHF(j, 'config.json'), pad_id: -1 }), /^wgpt-rnn-seq2seq: pad_id must be an integer ≥ 0, got -1$/);
  const c = rnnSeq2seq.configFromHF(j, 'config.json');
  assert.equal(c, { ...j, cell: 'gru', num_layers: 1, bidirectional: false, attention: 'none', max_target_length: 64 });
  const hf = rnnSeq2seq.configToHF(c);
  assert.is(hf.model_type, 'wgpt-rnn-seq2seq');
  assert.equal(rnnSeq2seq.configFromHF(hf, 'config.json'), c);
});


test('the model on src/model/layers.ts: linear modules, the adapter hook, exportParams, dispose', async () => {
  const gpu = await getGpu();
  const cfg = rnnSeq2seq.freshConfig({ vocabSize: 10, preset: 'tiny' });
  const host = initParams(rnnSeq2seq.paramTable(cfg), 3, 'torch');
  const m = rnnSeq2seq.create(gpu, cfg, host);
  try {
    assert.equal(m.linearModules(), ['decoder.attn.W_a', 'decoder.W_c', 'decoder.fully_connected_layer']);
    throwsMsg(() => { m.adapter = { modules: new Set(['encoder.lstm']), delta: () => null }; }, /^wgpt-rnn-seq2seq: the adapter targets 'encoder\.lstm', which is not a linear module of this model/);
    const out = await m.exportParams();
    assert.equal([...out.keys()], [...host.keys()]);
    for (const [k, v] of host) assert.equal(Array.from(out.get(k)!.data), Array.from(v.data), k);
    const x = { B: 1, S: 2, T: 2, src: [3, 4], srcLens: [2], tgtIn: [11, 5] };
    const V = cfg.vocab_size;
    await gpu.scope(async () => {
      const base = await m.forward(x).toArray();
      // a delta of 0.5 on the output layer shifts every logit by 0.5: the Linear consults the adapter
      m.adapter = { modules: new Set(['decoder.fully_connected_layer']), delta: (mod, h) => (mod === 'decoder.fully_connected_layer' ? Tensor.from(gpu, new Float32Array(2 * V).fill(0.5), [...h.shape.slice(0, -1), V]) : null) };
      const shifted = await m.forward(x).toArray();
      m.adapter = undefined;
      assertClose(shifted, base.map((v) => v + 0.5), { atol: 1e-6, rtol: 1e-6, name: 'logits + adapter delta' });
    });
  } finally {
    m.dispose();
  }
  assert.is(m.params.size, 0);
});

test.run();
