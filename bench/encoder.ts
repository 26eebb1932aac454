// The `encoder` bench suite: BERT forward (no grad, MLM head on every position) tokens/s at T = 128 with 0% and 50%
// padding (key-padding mask), and one MLM training step. Leaves out: unpadding (padded positions are computed too,
// so 50% padding halves the real tokens per second; both figures are reported).
import type { Gpu } from '../src/gpu/device.ts';
import { IdBatch, noGrad } from '../src/autograd/tensor.ts';
import { Bert } from '../src/model/bert.ts';
import { BERT_PRESETS, bertParamTable } from '../src/model/bert-config.ts';
import { initParams, tableCount } from '../src/model/model.ts';
import { AdamW } from '../src/train/adamw.ts';
import { backward } from '../src/autograd/tensor.ts';
import { mixSeed } from '../src/model/init.ts';
import { maskRow, randomPool } from '../src/data/mlm.ts';
import { type Record_, timeWall, rec } from './harness.ts';
import type { SuiteOptions } from './suites.ts';

export async function benchEncoder(gpu: Gpu, o: SuiteOptions): Promise<Record_[]> {
  const out: Record_[] = [];
  const T = 128;
  const V = 8000;
  const cases: [string, number][] = o.quick ? [['small', 8]] : [['small', 8], ['base', 1]];
  gpu.pool.trim();
  for (const [preset, B] of cases) {
    const cfg = { ...BERT_PRESETS[preset], vocab_size: V, max_position_embeddings: Math.max(T, BERT_PRESETS[preset].max_position_embeddings), hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 };
    const model = new Bert(gpu, cfg, initParams(bertParamTable(cfg), 1));
    const ids = Int32Array.from({ length: B * T }, (_, i) => 5 + ((i * 7919) % (V - 5)));
    const runs = o.runs ?? (o.quick ? 2 : 3);
    const size = `${preset} (${(tableCount(bertParamTable(cfg)) / 1e6).toFixed(1)}M params, V=${V}) B=${B} T=${T}`;
    for (const padShare of [0, 0.5]) {
      const real = Math.round(T * (1 - padShare));
      const mask = Int32Array.from({ length: B * T }, (_, i) => (i % T < real ? 1 : 0));
      const fwd = () =>
        gpu.scope(() =>
          noGrad(async () => {
            const x = model.forward({ ids: IdBatch.from(gpu, ids, [B, T], V), attentionMask: mask });
            await x.toArray();
          }),
        );
      const t = await timeWall(fwd, { runs, warmup: 1 });
      out.push(rec('encoder', `${size} forward, ${padShare * 100}% padding`, t, { positions_per_s: (B * T) / (t.median / 1e3), real_tokens_per_s: (B * real) / (t.median / 1e3) }));
      o.log?.(`encoder ${preset} ${padShare * 100}% padding: ${((B * real) / (t.median / 1e3)).toFixed(0)} real tokens/s`);
    }
    if (preset === 'small') {
      const opt = new AdamW(model.paramList(), { lr: 1e-4, weightDecay: 0.01 });
      const mo = { specialIds: [0, 1, 2, 3, 4], vocabSize: V, maskId: 4 };
      const pool = randomPool(mo);
      const input = new Int32Array(B * T);
      const labels = new Int32Array(B * T);
      for (let r = 0; r < B; r++) {
        const m = maskRow(ids.subarray(r * T, (r + 1) * T), r, mo, pool);
        input.set(m.input, r * T);
        labels.set(m.labels, r * T);
      }
      const batch = { B, T, input, labels, ids, attentionMask: new Int32Array(B * T).fill(1), tokenTypes: new Int32Array(B * T) };
      let step = 0;
      const trainStep = () =>
        gpu.scope(async () => {
          opt.zeroGrad();
          const l = model.loss(batch, { train: true, seed: mixSeed(1, step++) });
          backward(l);
          opt.step();
          return l.item();
        });
      const t = await timeWall(trainStep, { runs, warmup: 1 });
      out.push(rec('encoder', `${size} MLM train step (15% masked)`, t, { positions_per_s: (B * T) / (t.median / 1e3) }));
      opt.dispose();
    }
    model.dispose();
    gpu.pool.trim();
  }
  return out;
}
