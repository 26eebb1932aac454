// RoBERTa and DistilBERT (masked-LM and classification) and BERT's and GPT-2's classification heads against the independent
// PyTorch references of test/fixtures/gen_roberta_distilbert.py: Hugging Face folders loaded through the checkpoint
// loader, logits on padded batches, the loss and every parameter's gradient, five AdamW steps (≤ 1e-4).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { getGpu } from '../src/gpu/device.ts';
import { IdBatch, noGrad, backward } from '../src/autograd/tensor.ts';
import { loadCheckpoint } from '../src/model/checkpoint.ts';
import { isSequenceClassifier, isRowLogits, isHiddenStates, type Model } from '../src/model/model.ts';
import { MaskedLM } from '../src/model/encoder.ts';
import { paddedPositionIds } from '../src/model/encoder.ts';
import { AdamW } from '../src/train/adamw.ts';
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
    const x = IdBatch.from(m.gpu, ids, [B, T], 1 << 20);
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

test.run();
