// BERT learns (the training path end to end, no oracle needed): a micro BERT overfits 10 Korean lines. With the same
// masks every step, train accuracy on the masked positions goes to ~100%; with masks re-drawn every step, accuracy on
// masks it has never seen climbs far above the most-frequent-token baseline (wrong label alignment, a missing gradient
// or dropout left on in evaluation would stop either). Leaves out: generalisation to other text (the demo shows that).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getGpu } from '../src/gpu/device.ts';
import { bert, type Bert } from '../src/model/bert.ts';
import { BERT_PRESETS } from '../src/model/bert-config.ts';
import { initModel } from '../src/model/model.ts';
import { Trainer } from '../src/train/trainer.ts';
import { MlmLoader, buildRows, mostFrequentBaseline, type MlmBatch } from '../src/data/mlm.ts';
import { trainWordPiece } from '../src/tokenizer/wordpiece-train.ts';

const KO = fileURLToPath(new URL('../src/data/debian-faq-ko.txt', import.meta.url));

async function setup(seed: number) {
  const gpu = await getGpu();
  const lines = readFileSync(KO, 'utf8').split('\n').filter((l) => l.trim()).slice(20, 30);
  const wp = trainWordPiece(lines.join('\n'), { vocabSize: 300 }).tokenizer;
  const s = wp.specialTokens;
  const sp = { cls: s['[CLS]'], sep: s['[SEP]'], pad: s['[PAD]'], mask: s['[MASK]'] };
  const T = 16;
  const rows = buildRows(lines.map((l) => wp.encode(l)), sp, { maxLength: T, mode: 'pack' });
  const specialIds = Object.values(s);
  const loader = new MlmLoader(rows, { specialIds, vocabSize: wp.vocabSize, maskId: sp.mask, pad: sp.pad, batchSize: rows.length, seed, shuffle: false });
  const model = initModel(bert, gpu, { ...BERT_PRESETS.micro, vocab_size: wp.vocabSize, max_position_embeddings: T }, seed) as Bert;
  const trainer = new Trainer(model, { lr: 1e-2, weightDecay: 0, seed });
  const accuracy = async (b: MlmBatch) => {
    const r = await model.evaluateBatch(b);
    return r.correct / r.n;
  };
  return { rows, loader, model, trainer, accuracy, specialIds, V: wp.vocabSize };
}

test('fixed masks: a micro BERT memorises 10 lines (train accuracy → ~100%)', async () => {
  const { rows, loader, model, trainer, accuracy, specialIds, V } = await setup(3);
  try {
    const b = loader.batch(0, 0);
    const base = mostFrequentBaseline(rows, [b], specialIds);
    const before = await accuracy(b);
    let loss = NaN;
    for (let s = 0; s < 40; s++) loss = await trainer.step(b, s);
    const after = await accuracy(b);
    console.log(`  ${rows.length} rows, V ${V}, ${base.n} masked: accuracy ${(100 * before).toFixed(1)}% → ${(100 * after).toFixed(1)}% after 40 steps (loss ${loss.toFixed(3)}), most-frequent baseline ${(100 * base.accuracy).toFixed(1)}%`);
    assert.ok(after >= 0.95, `train accuracy on fixed masks ${after}`);
    assert.ok(before < 0.2, `untrained accuracy ${before}`);
  } finally {
    trainer.optimizer.dispose();
    model.dispose();
  }
});

test('masks re-drawn every step: accuracy on never-seen masks of the same lines climbs far above the baseline', async () => {
  const { rows, loader, model, trainer, accuracy, specialIds } = await setup(4);
  try {
    const unseen = [1000, 1001].map((e) => loader.batch(0, e));
    const base = mostFrequentBaseline(rows, unseen, specialIds);
    const acc = async () => ((await accuracy(unseen[0])) + (await accuracy(unseen[1]))) / 2;
    const before = await acc();
    for (let s = 0; s < 90; s++) await trainer.step(loader.batch(0, s), s);
    const after = await acc();
    console.log(`  unseen masks (${base.n} positions): accuracy ${(100 * before).toFixed(1)}% → ${(100 * after).toFixed(1)}% after 90 steps, most-frequent baseline ${(100 * base.accuracy).toFixed(1)}%`);
    assert.ok(after >= Math.max(0.2, 3 * base.accuracy), `accuracy on unseen masks ${after} vs baseline ${base.accuracy}`);
  } finally {
    trainer.optimizer.dispose();
    model.dispose();
  }
});

test.run();
