// Marian (MarianMTModel) against the PyTorch reference in test/fixtures/gen_marian.py (written after Hugging Face's
// modeling_marian.py and generate): a Hugging Face-layout folder loads as it is; encoder output, teacher-forced
// logits, loss and every gradient on a padded batch; five AdamW steps; greedy and beam search, cached and uncached.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { getGpu } from '../src/gpu/device.ts';
import { IdBatch, backward, noGrad } from '../src/autograd/tensor.ts';
import { loadCheckpoint } from '../src/hub/folder.ts';
import { skippedLine } from '../src/model/model.ts';
import { Marian, marian, type Seq2SeqBatch } from '../src/model/marian.ts';
import { marianConfigFromHF } from '../src/model/marian-config.ts';
import { greedySearch, beamSearch, type Seq2SeqStep } from '../src/model/seq2seq-generate.ts';
import { AdamW } from '../src/train/adamw.ts';
import { parseSafetensors } from '../src/io/safetensors.ts';
import { assertClose, FIXTURES, report, throwsMsg } from './helpers.ts';

const gpu = await getGpu();
const dir = `${FIXTURES}marian_small`;
const ref = parseSafetensors(readFileSync(`${dir}/ref.safetensors`)).tensors;
const refJson = JSON.parse(readFileSync(`${dir}/ref.json`, 'utf8'));
const R = (k: string) => ref.get(k)!;
const ints = (k: string) => Array.from(R(k).data, (x) => Math.round(x));

function load(path = dir) {
  const ck = loadCheckpoint(path);
  assert.is(ck.arch.modelType, 'marian');
  return { m: ck.arch.create(gpu, ck.config, ck.params) as Marian, ck };
}

function fixtureBatch(c: Marian['config']): Seq2SeqBatch {
  const [B, S] = R('src').shape;
  const T = R('labels').shape[1];
  const srcMask = Uint8Array.from(ints('src_mask'));
  const srcLens = Array.from({ length: B }, (_, b) => srcMask.subarray(b * S, (b + 1) * S).reduce((a, x) => a + x, 0));
  return { B, S, T, src: Int32Array.from(ints('src')), srcLens, srcMask, decoderInput: Int32Array.from(ints('decoder_input_ids')), labels: Int32Array.from(ints('labels')) };
}

test('a Hugging Face Marian folder loads as it is: position tables and tied copies skipped and named', () => {
  const { m, ck } = load();
  const line = skippedLine(ck.skipped);
  assert.match(line, /sinusoidal positions \(computed, never loaded\): model\.decoder\.embed_positions\.weight, model\.encoder\.embed_positions\.weight/);
  assert.match(line, /output head tied to the embeddings: lm_head\.weight/);
  assert.match(line, /tied to model\.shared\.weight: model\.decoder\.embed_tokens\.weight, model\.encoder\.embed_tokens\.weight/);
  assert.is(m.paramList().length, m.params.size - 1, 'final_logits_bias is a buffer, not trained');
  m.dispose();
});

test('encoder output, logits, loss and every gradient match PyTorch on a padded batch', async () => {
  const { m } = load();
  const b = fixtureBatch(m.config);
  await gpu.scope(async () => {
    const src = IdBatch.from(gpu, b.src, [b.B, b.S], m.config.vocab_size);
    const enc = noGrad(() => m.encodeHidden(src, b.srcMask));
    report('marian encoder out', assertClose(await enc.toArray(), R('encoder_out').data, { atol: 1e-4, rtol: 1e-4, name: 'encoder out' }));
    const loss = m.loss(b);
    const dec = IdBatch.from(gpu, b.decoderInput, [b.B, b.T], m.config.decoder_vocab_size);
    const logits = noGrad(() => m.forward({ src, srcMask: b.srcMask, decoderInput: dec }));
    report('marian logits', assertClose(await logits.toArray(), R('logits').data, { atol: 1e-4, rtol: 1e-4, name: 'logits' }));
    report('marian loss', assertClose([await loss.item()], R('loss').data, { atol: 1e-5, rtol: 1e-5, name: 'loss' }));
    backward(loss);
    let worst = 0;
    for (const [name, t] of m.params) {
      if (name === 'final_logits_bias') {
        assert.is(t.grad, null, 'the buffer gets no gradient');
        continue;
      }
      worst = Math.max(worst, assertClose(await t.grad!.toArray(), R('grad.' + name).data, { atol: 1e-4, rtol: 1e-4, name: 'grad ' + name }));
    }
    report('marian grads (all params)', worst);
  });
  m.dispose();
});

test('five AdamW steps follow torch.optim.AdamW', async () => {
  const { m } = load();
  const b = fixtureBatch(m.config);
  const a = refJson.adamw;
  const opt = new AdamW(m.paramList(), { lr: a.lr, betas: a.betas, eps: a.eps, weightDecay: a.weight_decay });
  const losses: number[] = [];
  for (let s = 0; s < 5; s++) {
    losses.push(
      await gpu.scope(async () => {
        opt.zeroGrad();
        const l = m.loss(b);
        backward(l);
        opt.step();
        return l.item();
      }),
    );
  }
  report('marian 5 AdamW losses (rel)', assertClose(losses, refJson.losses, { atol: 0, rtol: 1e-4, name: 'losses' }));
  await gpu.scope(async () => {
    const logits = noGrad(() => m.forward({ src: IdBatch.from(gpu, b.src, [b.B, b.S], 301), srcMask: b.srcMask, decoderInput: IdBatch.from(gpu, b.decoderInput, [b.B, b.T], 301) }));
    report('marian logits after 5 steps', assertClose(await logits.toArray(), R('logits_after').data, { atol: 2e-4, rtol: 1e-3, name: 'logits after' }));
  });
  opt.dispose?.();
  m.dispose();
});

/** Step functions over the model: with the encoder state + KV cache, or recomputing every prefix. */
function steps(m: Marian, src: number[], B: number, S: number, lengths: number[]) {
  const srcIds = IdBatch.from(gpu, src, [B, S], m.config.vocab_size);
  const mask = lengths.flatMap((L) => Array.from({ length: S }, (_, s) => (s < L ? 1 : 0)));
  const st = m.encode(srcIds, lengths);
  let pos = 0;
  let rowsNow = B;
  const cached: Seq2SeqStep = async (ids, reorder) => {
    if (reorder) m.reorder(st, reorder);
    else if (ids.length !== rowsNow) m.reorder(st, Array.from({ length: ids.length }, (_, r) => Math.floor((r * B) / ids.length)));
    rowsNow = ids.length;
    const last = ids.map((r) => r[pos]);
    return gpu.scope(async () => {
      const logits = m.decodeStep(st, IdBatch.from(gpu, last, [ids.length, 1], m.config.decoder_vocab_size), pos++);
      return logits.toArray();
    });
  };
  const uncached: Seq2SeqStep = async (ids) =>
    gpu.scope(async () =>
      noGrad(async () => {
        const rows = ids.length;
        const per = rows / B;
        const T = ids[0].length;
        const srcR = Array.from({ length: rows }, (_, r) => src.slice(Math.floor(r / per) * S, (Math.floor(r / per) + 1) * S)).flat();
        const maskR = Array.from({ length: rows }, (_, r) => mask.slice(Math.floor(r / per) * S, (Math.floor(r / per) + 1) * S)).flat();
        const logits = m.forward({ src: IdBatch.from(gpu, srcR, [rows, S], 301), srcMask: maskR, decoderInput: IdBatch.from(gpu, ids.flat(), [rows, T], 301) });
        const all = await logits.toArray();
        const V = m.config.decoder_vocab_size;
        const out = new Float32Array(rows * V);
        for (let r = 0; r < rows; r++) out.set(all.subarray((r * T + T - 1) * V, (r * T + T) * V), r * V);
        return out;
      }),
    );
  return { cached, uncached, dispose: () => st.dispose() };
}

test('greedy and beam search give the reference outputs, cached and uncached', async () => {
  const { m } = load();
  const c = m.config;
  const [B, S] = R('src').shape;
  const src = ints('src');
  const lengths = Array.from({ length: B }, (_, b) => ints('src_mask').slice(b * S, (b + 1) * S).reduce((a, x) => a + x, 0));
  const base = { decoderStartId: c.decoder_start_token_id, eosId: c.eos_token_id, padId: c.pad_token_id, maxLength: refJson.max_length, badIds: [c.pad_token_id] };
  const want = refJson.generated;
  for (const mode of ['cached', 'uncached'] as const) {
    const s = steps(m, src, B, S, lengths);
    const g = await greedySearch(s[mode], B, base);
    s.dispose();
    assert.equal(g.sequences, want.greedy, `greedy ${mode}`);
    for (const [name, cfg] of Object.entries(refJson.beams) as [string, { num_beams: number; length_penalty: number; early_stopping: boolean; scores: number[] }][]) {
      const s2 = steps(m, src, B, S, lengths);
      const r = await beamSearch(s2[mode], B, { ...base, numBeams: cfg.num_beams, lengthPenalty: cfg.length_penalty, earlyStopping: cfg.early_stopping });
      s2.dispose();
      assert.equal(r.sequences, want[name], `${name} ${mode}`);
      report(`marian ${name} scores`, assertClose(r.scores!, cfg.scores, { atol: 1e-4, rtol: 1e-4, name: `${name} scores` }));
    }
  }
  m.dispose();
});

test('separate encoder/decoder embeddings (share_encoder_decoder_embeddings false), gelu: logits match', async () => {
  const udir = `${FIXTURES}marian_unshared`;
  const uref = parseSafetensors(readFileSync(`${udir}/ref.safetensors`)).tensors;
  const { m } = load(udir);
  assert.is(m.config.decoder_vocab_size, 257);
  const [B, S] = uref.get('src')!.shape;
  const T = uref.get('decoder_input_ids')!.shape[1];
  const I = (k: string) => Array.from(uref.get(k)!.data, (x) => Math.round(x));
  await gpu.scope(async () => {
    const logits = noGrad(() => m.forward({ src: IdBatch.from(gpu, I('src'), [B, S], 301), srcMask: I('src_mask'), decoderInput: IdBatch.from(gpu, I('decoder_input_ids'), [B, T], 257) }));
    report('marian unshared logits', assertClose(await logits.toArray(), uref.get('logits')!.data, { atol: 1e-4, rtol: 1e-4, name: 'unshared logits' }));
  });
  m.dispose();
});

test('a fresh config keeps a tokenizer\'s </s> and <pad> (a Marian vocab.json); other tokenizers get two new ids', () => {
  const own = marian.freshConfig({ preset: 'tiny', vocabSize: 301, specialTokens: { '</s>': 0, '<unk>': 1, '<pad>': 300 } });
  assert.equal([own.vocab_size, own.decoder_vocab_size, own.eos_token_id, own.pad_token_id, own.decoder_start_token_id], [301, 301, 0, 300, 300]);
  const added = marian.freshConfig({ preset: 'tiny', vocabSize: 301, specialTokens: { '[PAD]': 0, '[SEP]': 3 } });
  assert.equal([added.vocab_size, added.decoder_vocab_size, added.eos_token_id, added.pad_token_id, added.decoder_start_token_id], [303, 303, 301, 302, 302]);
  const outside = marian.freshConfig({ preset: 'tiny', vocabSize: 10, specialTokens: { '</s>': 0, '<pad>': 10 } }); // an id past the vocabulary is not used
  assert.equal([outside.vocab_size, outside.eos_token_id, outside.pad_token_id], [12, 10, 11]);
});

test('bad input: config/tensor mismatch, a source beyond max_position_embeddings, num_beams < 1, bad TSV', async () => {
  const cfg = JSON.parse(readFileSync(`${dir}/config.json`, 'utf8'));
  throwsMsg(() => marianConfigFromHF({ ...cfg, d_model: 41 }, 'config.json'), /^config\.json: d_model 41 must be even/);
  throwsMsg(() => marianConfigFromHF({ ...cfg, normalize_before: true }, 'config.json'), /normalize_before true \(pre-LayerNorm Marian\) is not supported/);
  throwsMsg(() => marianConfigFromHF({ ...cfg, pad_token_id: 400 }, 'config.json'), /pad_token_id 400 is not an id of the decoder's vocabulary/);
  const { m } = load();
  await gpu.scope(async () => {
    const long = Array.from({ length: 65 }, () => 5);
    throwsMsg(() => m.encode(IdBatch.from(gpu, long, [1, 65], 301), [65]), /a source of 65 tokens is longer than the model's max_position_embeddings 64/);
  });
  let msg = '';
  await beamSearch(async () => new Float32Array(301), 1, { decoderStartId: 300, eosId: 0, padId: 300, maxLength: 5, numBeams: 0 }).catch((e) => (msg = e.message));
  assert.is(msg, 'generate: num_beams must be an integer ≥ 1, got 0');
  m.dispose();
});

test.run();
