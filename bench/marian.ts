// The `marian` bench suite: translation tokens/s of a random Marian model (translateIds: the encoder once, then one
// decoder call per token) with and without the KV cache, greedy and 4 beams. Full bench: opus-mt's shape (d_model
// 512, 6+6 layers, vocab 65001); --quick: the tiny preset. Leaves out: batching several sources, real weights
// (a random model rarely picks </s>, so every run generates exactly its token budget; the count is checked).
import type { Gpu } from '../src/gpu/device.ts';
import { Marian } from '../src/model/marian.ts';
import { MARIAN_PRESETS, OPUS_MT, marianParamTable, type MarianConfig } from '../src/model/marian-config.ts';
import { initParams, tableCount } from '../src/model/model.ts';
import { translateIds, generatedTokens } from '../src/model/seq2seq-translate.ts';
import { type Record_, timeWall, rec } from './harness.ts';
import type { SuiteOptions } from './suites.ts';

export async function benchMarian(gpu: Gpu, o: SuiteOptions): Promise<Record_[]> {
  const out: Record_[] = [];
  const cfg: MarianConfig = o.quick
    ? { ...MARIAN_PRESETS.tiny, vocab_size: 1001, decoder_vocab_size: 1001, pad_token_id: 1000, decoder_start_token_id: 1000, eos_token_id: 0, dropout: 0 }
    : { ...OPUS_MT, dropout: 0 };
  const [srcLen, newTokens] = o.quick ? [16, 16] : [16, 32];
  gpu.pool.trim();
  const model = new Marian(gpu, cfg, initParams(marianParamTable(cfg), 1));
  const size = `${o.quick ? 'tiny' : 'opus-mt shape'} (d_model ${cfg.d_model}, ${cfg.encoder_layers}+${cfg.decoder_layers} layers, V=${cfg.vocab_size}, ${(tableCount(marianParamTable(cfg)) / 1e6).toFixed(1)}M params)`;
  const src = Array.from({ length: srcLen - 1 }, (_, i) => 1 + ((i * 7919) % (cfg.vocab_size - 2))).concat([cfg.eos_token_id]);
  const times: Record<string, number> = {};
  try {
    // warm-up: compile every pipeline of each path once
    for (const numBeams of [1, 4]) for (const useCache of [true, false]) await translateIds(model, [src], { maxLength: 3, numBeams, useCache });
    for (const numBeams of [1, 4]) {
      for (const useCache of [true, false]) {
        let generated = 0;
        const t = await timeWall(async () => {
          const r = await translateIds(model, [src], { maxLength: newTokens + 1, numBeams, useCache });
          generated = generatedTokens(r.sequences[0], cfg.eos_token_id).length;
        }, { runs: o.runs ?? 1, warmup: 0 });
        const key = `${numBeams}/${useCache}`;
        times[key] = t.median;
        const what = numBeams === 1 ? 'greedy' : `${numBeams} beams`;
        out.push(rec('marian', `${size} source ${srcLen}, ${newTokens} new tokens, ${what}, ${useCache ? 'KV cache' : 'no cache'}`, t, {
          tokens_per_s: generated / (t.median / 1e3),
          decoder_rows_per_s: (generated * numBeams) / (t.median / 1e3),
          note: generated !== newTokens ? `stopped at </s> after ${generated} tokens` : undefined,
        }));
        o.log?.(`marian ${what} ${useCache ? 'cache' : 'no cache'}: ${(generated / (t.median / 1e3)).toFixed(1)} tokens/s`);
      }
      const what = numBeams === 1 ? 'greedy' : `${numBeams} beams`;
      out.push({ suite: 'marian', name: `${what}: KV cache speedup`, median_ms: Math.round(times[`${numBeams}/true`] * 1000) / 1000, min_ms: NaN, max_ms: NaN, runs: o.runs ?? 1, baseline: 'no cache', speedup: times[`${numBeams}/false`] / times[`${numBeams}/true`] });
    }
  } finally {
    model.dispose();
    gpu.pool.trim();
  }
  return out;
}
