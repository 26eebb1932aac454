// BERT against the PyTorch BertForMaskedLM of test/fixtures/gen_bert.py: logits of a padded batch at every real
// position, every parameter's gradient of a fixed-mask MLM loss, five AdamW steps, other hidden_acts, padding
// invariance, legacy / no-prefix folders, fill-mask probabilities, save → load, and the one-line input errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, mkdtempSync, rmSync, cpSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getGpu } from '../src/gpu/device.ts';
import { IdBatch, noGrad, backward } from '../src/autograd/tensor.ts';
import { Bert, bert, fillMask } from '../src/model/bert.ts';
import type { BertConfig } from '../src/model/bert-config.ts';
import { loadCheckpoint, saveCheckpoint } from '../src/hub/folder.ts';
import { parseSafetensors } from '../src/io/safetensors.ts';
import { AdamW } from '../src/train/adamw.ts';
import type { MlmBatch } from '../src/data/mlm.ts';
import { assertClose, FIXTURES, report, throwsMsg } from './helpers.ts';

const dir = join(FIXTURES, 'bert_tiny');
const ref = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'ref.safetensors')))).tensors;
const R = (k: string) => {
  const t = ref.get(k);
  if (!t) throw new Error(`ref.safetensors has no ${k}`);
  return t;
};
const input = R('input_ids').ints!;
const tt = R('token_type_ids').ints!;
const am = R('attention_mask').ints!;
const labels = R('labels').ints!;
const [B, T] = R('input_ids').shape;
const V = 333;

const load = async (folder = dir, patch?: Partial<BertConfig>) => {
  const gpu = await getGpu();
  const ck = loadCheckpoint(folder);
  assert.is(ck.arch, bert);
  return new Bert(gpu, { ...(ck.config as BertConfig), ...patch }, ck.params);
};

const logitsOf = (m: Bert, ids: ArrayLike<number>, shape: [number, number], tokenTypeIds?: ArrayLike<number>, attentionMask?: ArrayLike<number>) =>
  m.gpu.scope(() => noGrad(() => m.forward({ ids: IdBatch.from(m.gpu, ids, shape, m.config.vocab_size), tokenTypeIds, attentionMask }).toArray()));

/** rows of (B·T, V) where the mask is 1 */
const realRows = (x: ArrayLike<number>, mask: ArrayLike<number>, Vn = V) => {
  const out: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) for (let v = 0; v < Vn; v++) out.push(x[i * Vn + v]);
  return out;
};

const batch = (): MlmBatch => ({ B, T, input: Int32Array.from(input), tokenTypes: Int32Array.from(tt), attentionMask: Int32Array.from(am), labels: Int32Array.from(labels), ids: Int32Array.from(R('clean_ids').ints!) });

test('HF folder loads (pooler/NSP/position_ids skipped); logits match PyTorch at every non-padded position', async () => {
  const ck = loadCheckpoint(dir);
  assert.equal(ck.skipped.map((s) => s.name).sort(), ['bert.embeddings.position_ids', 'bert.pooler.dense.bias', 'bert.pooler.dense.weight', 'cls.seq_relationship.bias', 'cls.seq_relationship.weight']);
  const m = await load();
  try {
    const got = await logitsOf(m, input, [B, T], tt, am);
    report('bert logits (padded batch, real positions)', assertClose(realRows(got, am), realRows(R('logits').data, am), { atol: 1e-4, rtol: 0, name: 'logits' }));
  } finally {
    m.dispose();
  }
});

test('MLM loss and the gradient of every parameter match PyTorch', async () => {
  const m = await load();
  try {
    await m.gpu.scope(async () => {
      const loss = m.loss(batch());
      backward(loss);
      report('bert MLM loss', assertClose([await loss.item()], R('loss').data, { atol: 1e-5, rtol: 1e-5, name: 'loss' }));
      let worst = 0;
      for (const [name, p] of m.params) {
        const g = await p.grad!.toArray();
        worst = Math.max(worst, assertClose(g, R(`grad.${name}`).data, { atol: 1e-4, rtol: 0, name: `grad ${name}` }));
      }
      report('bert grads (every parameter)', worst);
    });
  } finally {
    m.dispose();
  }
});

test('five AdamW steps (lr 1e-3, wd 0.01): losses, logits at the chosen positions and parameters match torch.optim.AdamW', async () => {
  const m = await load();
  try {
    const opt = new AdamW(m.paramList(), { lr: 1e-3, weightDecay: 0.01 });
    const losses: number[] = [];
    for (let s = 0; s < 5; s++) {
      losses.push(
        await m.gpu.scope(async () => {
          opt.zeroGrad();
          const l = m.loss(batch());
          backward(l);
          opt.step();
          return l.item();
        }),
      );
    }
    report('bert 5 AdamW-step losses (rel)', assertClose(losses, R('adamw_losses').data, { atol: 0, rtol: 1e-4, name: 'losses' }));
    const pos = Array.from(labels).flatMap((l, i) => (l !== -100 ? [i] : []));
    const after = await m.gpu.scope(() => noGrad(() => m.logitsAt({ ids: IdBatch.from(m.gpu, input, [B, T], V), tokenTypeIds: tt, attentionMask: am }, pos).toArray()));
    report('bert logits after 5 steps', assertClose(after, R('logits_after').data, { atol: 1e-4, rtol: 1e-4, name: 'logits after' }));
    for (const k of [...ref.keys()].filter((k) => k.startsWith('after.'))) {
      const name = k.slice('after.'.length);
      report('bert params after 5 steps', assertClose(await m.p(name).toArray(), R(k).data, { atol: 1e-5, rtol: 1e-4, name }));
    }
  } finally {
    m.dispose();
  }
});

test('hidden_act gelu_new and silu (same weights) match PyTorch', async () => {
  for (const act of ['gelu_new', 'silu'] as const) {
    const m = await load(dir, { hidden_act: act });
    try {
      const got = await logitsOf(m, input.subarray(0, T), [1, T], tt.subarray(0, T), am.subarray(0, T));
      report(`bert logits hidden_act ${act}`, assertClose(got, R(`logits_${act}`).data, { atol: 1e-4, rtol: 0, name: act }));
    } finally {
      m.dispose();
    }
  }
});

test('padding invariance: a sentence alone = the same sentence padded in the batch; an all-padding row is finite', async () => {
  const m = await load();
  try {
    const n = 4; // row 2 has 4 real tokens
    const alone = await logitsOf(m, input.subarray(2 * T, 2 * T + n), [1, n], tt.subarray(2 * T, 2 * T + n));
    const inBatch = await logitsOf(m, input, [B, T], tt, am);
    report('bert padding invariance', assertClose(inBatch.subarray(2 * T * V, (2 * T + n) * V), alone, { atol: 1e-5, rtol: 0, name: 'alone vs padded' }));
    const ids2 = new Int32Array(2 * T);
    ids2.set(input.subarray(0, T));
    const mask2 = new Int32Array(2 * T);
    mask2.set(am.subarray(0, T));
    const two = await logitsOf(m, ids2, [2, T], undefined, mask2);
    assert.ok(two.every(Number.isFinite), 'all-padding row gives finite logits');
    assertClose(two.subarray(0, T * V), await logitsOf(m, input.subarray(0, T), [1, T], undefined, am.subarray(0, T)), { atol: 1e-5, rtol: 0, name: 'row beside an all-padding row' });
  } finally {
    m.dispose();
  }
});

test('legacy gamma/beta and no-prefix folders load to identical logits', async () => {
  const base = await load();
  try {
    const want = await logitsOf(base, input, [B, T], tt, am);
    for (const v of ['bert_tiny_legacy', 'bert_tiny_noprefix']) {
      const m = await load(join(FIXTURES, v));
      try {
        assert.equal(Array.from(await logitsOf(m, input, [B, T], tt, am)), Array.from(want), v);
      } finally {
        m.dispose();
      }
    }
  } finally {
    base.dispose();
  }
});

test('fill-mask: top-k probabilities at one and at two [MASK]s match PyTorch', async () => {
  const m = await load();
  try {
    for (const name of ['fill1', 'fill2']) {
      const ids = Array.from(R(`${name}_ids`).ints!);
      const probs = R(`${name}_probs`).data;
      const res = await fillMask(m, ids, 103, 5, (id) => `#${id}`);
      assert.is(res.length, ids.filter((x) => x === 103).length);
      res.forEach((r, k) => {
        const row = probs.subarray(k * V, (k + 1) * V);
        const order = Array.from(row.keys()).sort((a, b) => row[b] - row[a]).slice(0, 5);
        assert.equal(r.candidates.map((c) => c.id), order, `${name} mask ${k} top-5 ids`);
        report('bert fill-mask probabilities', assertClose(r.candidates.map((c) => c.prob), order.map((i) => row[i]), { atol: 1e-5, rtol: 1e-4, name: `${name} probs` }));
      });
    }
    let msg = '';
    await fillMask(m, [101, 5, 102], 103, 5, String).catch((e) => (msg = e.message));
    assert.match(msg, /no \[MASK\] token/);
  } finally {
    m.dispose();
  }
});

test('save → load: wgpt writes Hugging Face names and layouts; the folder loads back to the same logits', async () => {
  const m = await load();
  const out = mkdtempSync(join(tmpdir(), 'wgpt-bert-'));
  try {
    saveCheckpoint(join(out, 'ck'), m.config, await m.exportParams(), { arch: bert });
    const st = parseSafetensors(new Uint8Array(readFileSync(join(out, 'ck', 'model.safetensors')))).tensors;
    const orig = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors')))).tensors;
    for (const [name, t] of st) {
      const o = orig.get(name);
      assert.ok(o, `${name} is a Hugging Face name`);
      assert.equal(t.shape, o!.shape, name);
    }
    const cfg = JSON.parse(readFileSync(join(out, 'ck', 'config.json'), 'utf8'));
    assert.is(cfg.model_type, 'bert');
    assert.equal(cfg.architectures, ['BertForMaskedLM']);
    const back = await load(join(out, 'ck'));
    try {
      assert.equal(Array.from(await logitsOf(back, input, [B, T], tt, am)), Array.from(await logitsOf(m, input, [B, T], tt, am)));
    } finally {
      back.dispose();
    }
  } finally {
    m.dispose();
    rmSync(out, { recursive: true, force: true });
  }
});

test('bad input: token type ≥ type_vocab_size, attention mask of the wrong length or not 0/1, config/tensor mismatch', async () => {
  const m = await load();
  try {
    const ids = IdBatch.from(m.gpu, input, [B, T], V);
    const bad = Int32Array.from(tt);
    bad[5] = 2;
    throwsMsg(() => m.forward({ ids, tokenTypeIds: bad }), /token type id 2 at position 5 is out of range \[0, 2\) \(type_vocab_size 2\)/);
    throwsMsg(() => m.forward({ ids, attentionMask: am.subarray(1) }), /attention mask has 32 entries, the ids need B·T = 3·11 = 33/);
    const am2 = Int32Array.from(am);
    am2[3] = 2;
    throwsMsg(() => m.forward({ ids, attentionMask: am2 }), /attention mask entry 2 at position 3 is not 0 or 1/);
    throwsMsg(() => m.forward({ ids: IdBatch.from(m.gpu, new Int32Array(41), [1, 41], V) }), /sequence of 41 tokens is longer than max_position_embeddings 40/);
    ids.dispose();
  } finally {
    m.dispose();
  }
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-bert-'));
  try {
    cpSync(dir, join(tmp, 'x'), { recursive: true });
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(tmp, 'x', 'config.json'), JSON.stringify({ ...cfg, intermediate_size: 64 }));
    throwsMsg(() => loadCheckpoint(join(tmp, 'x')), /intermediate\.dense\.weight' has shape \[50, 36\], expected \[64, 36\] from the config/);
    writeFileSync(join(tmp, 'x', 'config.json'), JSON.stringify({ ...cfg, hidden_act: 'quick_gelu' }));
    throwsMsg(() => loadCheckpoint(join(tmp, 'x')), /hidden_act "quick_gelu" is not supported/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
