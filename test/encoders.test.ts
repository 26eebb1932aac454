// RoBERTa and DistilBERT (masked-LM and classification) and BERT's and GPT-2's classification heads against the independent
// PyTorch references of test/fixtures/gen_roberta_distilbert.py: Hugging Face folders loaded through the checkpoint
// loader, logits on padded batches, the loss and every parameter's gradient, five AdamW steps (≤ 1e-4).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { runCli } from './cli-inproc.ts';
import { getGpu } from '../src/gpu/device.ts';
import { IdBatch, noGrad, backward } from '../src/autograd/tensor.ts';
import { loadCheckpoint } from '../src/hub/folder.ts';
import { isSequenceClassifier, isRowLogits, isHiddenStates, type Model } from '../src/model/model.ts';
import { MaskedLM } from '../src/model/encoder.ts';
import { paddedPositionIds } from '../src/model/encoder.ts';
import { AdamW } from '../src/train/adamw.ts';
import { newClassifier } from '../src/model/heads.ts';
import { classifierOf } from '../src/model/architectures.ts';
import { distilbert, distilbertForSequenceClassification } from '../src/model/distilbert.ts';
import { FIXTURES, readFixture, assertClose, fileReport } from './helpers.ts';

const report = fileReport(test.after);

/** The fixture's batch and a loss closure over it for this model (MLM at labelled positions, or classification). */
function setup(name: string, m: Model) {
  const R = readFixture(`${name}/ref.json`);
  const [B, T] = R.t('ids').shape;
  const ids = Array.from(R.t('ids').data);
  const mask = Uint8Array.from(R.t('mask').data);
  const labels = Int32Array.from(R.t('labels').data);
  const lossOf = () =>
    name.endsWith('_mlm')
      ? m.loss({ input: Int32Array.from(ids), labels, attentionMask: mask, tokenTypes: new Int32Array(B * T), B, T } as never)
      : m.loss({ ids: Int32Array.from(ids), attentionMask: mask, labels, B, T } as never);
  const logits = () => {
    const x = IdBatch.from(m.gpu, ids, [B, T], m.arch.vocabSize(m.config));
    if (isSequenceClassifier(m)) return m.classify(x, mask);
    if (isRowLogits(m)) return m.rowLogits(x, { attentionMask: mask });
    throw new Error('neither classifier nor row logits');
  };
  return { R, B, T, lossOf, logits };
}

for (const name of ['roberta_mlm', 'roberta_cls', 'distilbert_mlm', 'distilbert_cls', 'bert_cls', 'gpt2_cls']) {
  test(`${name}: logits (padded batch), loss, every gradient, five AdamW steps match PyTorch`, async () => {
    const gpu = await getGpu();
    const ck = loadCheckpoint(join(FIXTURES, name));
    const m = ck.arch.create(gpu, ck.config, ck.params) as Model;
    try {
      assert.is(isHiddenStates(m), !name.startsWith('gpt2'), 'encoders give hidden states');
      assert.is(isSequenceClassifier(m), name.endsWith('_cls'));
      const { R, lossOf, logits } = setup(name, m);
      const got = await gpu.scope(() => noGrad(async () => logits().toArray()));
      report(`${name} logits`, assertClose(got, R.t('logits').data, { atol: 1e-4, rtol: 1e-4, name: 'logits' }));
      let worst = 0;
      await gpu.scope(async () => {
        const loss = lossOf();
        backward(loss);
        assertClose([await loss.item()], R.t('loss').data, { atol: 1e-5, rtol: 1e-5, name: 'loss' });
        for (const [pname, p] of m.params) {
          const hf = R.has(`grad:${pname}`) ? `grad:${pname}` : null;
          assert.ok(hf, `the reference has a gradient for ${pname}`);
          worst = Math.max(worst, assertClose(await p.grad!.toArray(), R.t(hf!).data, { atol: 1e-4, rtol: 1e-4, name: `grad ${pname}` }));
        }
      });
      report(`${name} grads (every parameter)`, worst);
      for (const p of m.paramList()) p.zeroGrad();
      const opt = new AdamW(m.paramList(), { lr: 1e-3, weightDecay: 0.01 });
      const losses: number[] = [];
      for (let s = 0; s < 5; s++) {
        losses.push(
          await gpu.scope(async () => {
            opt.zeroGrad();
            const l = lossOf();
            backward(l);
            opt.step();
            return l.item();
          }),
        );
      }
      report(`${name} 5 AdamW-step losses`, assertClose(losses, R.t('adamw_losses').data, { atol: 1e-5, rtol: 1e-4, name: 'AdamW losses' }));
      const after = await gpu.scope(() => noGrad(async () => logits().toArray()));
      report(`${name} logits after 5 steps`, assertClose(after, R.t('logits_after').data, { atol: 1e-4, rtol: 1e-4, name: 'logits after' }));
    } finally {
      m.dispose();
    }
  });
}

test('RoBERTa position ids: padding_idx + 1 onwards over non-pad tokens, pad tokens at padding_idx', () => {
  assert.equal(Array.from(paddedPositionIds([5, 6, 7, 1, 1, 0, 9, 1, 8, 1], 2, 5, 1)), [2, 3, 4, 1, 1, 2, 3, 1, 4, 1]);
});

test('head variants: config.json architectures picks the head; loading drops the other head with a reason', async () => {
  const ck = loadCheckpoint(join(FIXTURES, 'roberta_mlm'));
  assert.is(ck.arch.name, 'roberta');
  const cls = loadCheckpoint(join(FIXTURES, 'distilbert_cls'));
  assert.is(cls.arch.name, 'DistilBertForSequenceClassification');
  assert.equal(cls.arch.configToHF(cls.config).architectures, ['DistilBertForSequenceClassification']);
  assert.equal(cls.arch.configToHF(cls.config).id2label, { 0: 'NEGATIVE', 1: 'POSITIVE' });
  const gpu = await getGpu();
  const m = ck.arch.create(gpu, ck.config, ck.params);
  try {
    assert.ok(m instanceof MaskedLM);
    assert.not.ok(isSequenceClassifier(m));
  } finally {
    m.dispose();
  }
});

test('newClassifier: a fresh classifier, and one from a masked-LM checkpoint (encoder copied, head initialised, MLM head dropped and named)', async () => {
  const fresh = newClassifier({ arch: distilbertForSequenceClassification, config: distilbert.freshConfig({ preset: 'tiny', vocabSize: 40 }), numLabels: 3, labels: ['neg', 'neu', 'pos'], seed: 1 });
  assert.equal(fresh.config.architectures, ['DistilBertForSequenceClassification']);
  assert.equal(fresh.config.id2label, { 0: 'neg', 1: 'neu', 2: 'pos' });
  assert.equal([...fresh.params.keys()], distilbertForSequenceClassification.paramTable(fresh.config).map((r) => r.name));
  assert.is(fresh.initialised.length, fresh.params.size);
  const ck = loadCheckpoint(join(FIXTURES, 'roberta_mlm'));
  const arch = classifierOf(ck.arch)!;
  assert.is(arch.name, 'RobertaForSequenceClassification');
  const r = newClassifier({ arch, config: ck.config, numLabels: 2, seed: 3, from: ck.params, fromClass: 'RobertaForMaskedLM' });
  assert.equal(r.initialised, ['classifier.dense.weight', 'classifier.dense.bias', 'classifier.out_proj.weight', 'classifier.out_proj.bias']);
  assert.equal(r.dropped.map((d) => d.name).sort(), ['lm_head.bias', 'lm_head.dense.bias', 'lm_head.dense.weight', 'lm_head.layer_norm.bias', 'lm_head.layer_norm.weight']);
  assert.match(r.summary, /dropped 5 tensors .*RobertaForMaskedLM head \(RobertaForSequenceClassification has none\)/);
  const name = 'roberta.encoder.layer.1.output.dense.weight';
  assert.equal(Array.from(r.params.get(name)!.data), Array.from(ck.params.get(name)!.data));
  const gpu = await getGpu();
  const m = arch.create(gpu, r.config, r.params);
  try {
    if (!isSequenceClassifier(m)) throw new Error('not a classifier');
    const l = await gpu.scope(() => noGrad(async () => m.classify(IdBatch.from(gpu, [0, 5, 6, 2], [1, 4], 41), [1, 1, 1, 1]).toArray()));
    assert.is(l.length, 2);
  } finally {
    m.dispose();
  }
});

test('wgpt logits on classifier folders writes (B, num_labels) equal to PyTorch; an id out of range is refused', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-cls-logits-'));
  try {
    for (const name of ['gpt2_cls', 'distilbert_cls']) {
      const R = readFixture(`${name}/ref.json`);
      const [B, T] = R.t('ids').shape;
      const ids = Array.from(R.t('ids').data);
      const mask = Array.from(R.t('mask').data);
      const rows = (a: number[]) => Array.from({ length: B }, (_, b) => a.slice(b * T, (b + 1) * T).join(',')).join(';');
      const out = join(tmp, `${name}.bin`);
      const r = await runCli(['logits', '--model', join(FIXTURES, name), '--ids', rows(ids), '--attention-mask', rows(mask), '--out', out]);
      assert.is(r.code, 0, r.err);
      assert.match(r.out, /logits \[3, 2\] float32 little-endian \(classification scores of NEGATIVE, POSITIVE/);
      const b = readFileSync(out);
      assertClose(new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4), R.t('logits').data, { atol: 1e-4, rtol: 1e-4, name: `${name} logits file` });
    }
    const bad = await runCli(['logits', '--model', join(FIXTURES, 'gpt2_cls'), '--ids', '1,2,41', '--out', join(tmp, 'x.bin')]);
    assert.is(bad.code, 1);
    assert.match(bad.err, /token id 41 at position 2 is out of range \[0, 41\)/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
