// The course's story in numbers: reverse short token sequences built from the bundled Korean corpus with an RNN
// seq2seq, an LSTM seq2seq, an LSTM + Luong attention and a small Transformer (Marian), each trained for the same
// CPU budget, then exact-match accuracy on held-out sequences by source length (JSON, markdown table, SVG plot). The
// budget is CPU time of this process (all its threads, process.cpuUsage), not wall time: the machine is shared, and
// 240 CPU-s is 2 minutes of both cores, so each model trains in under 3 minutes on 2 cores whatever else runs.
// Run: node --import ./src/register.mjs bench/reversal.ts [--cpu-seconds 240] [--out bench/results] [--per-length 20]
//      [--only rnn|lstm|lstm-luong|marian] [--marian-lr X] [--marian-preset tiny]; --combine joins the --only runs.
//      The attention model is saved to OUT/reversal-lstm-luong/ (a wgpt-rnn-seq2seq folder: `wgpt translate --ids …`
//      reads it) with the attention map of one held-out sequence (reversal-attention.svg), the Transformer to
//      OUT/reversal-marian/. Leaves out: tuning per model (the three recurrent models share sizes and optimizer
//      settings and the Transformer the same optimizer settings with a size of its own), warmup and schedules, beam search.
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { getGpu } from '../src/gpu/device.ts';
import { backward } from '../src/autograd/tensor.ts';
import { initModel } from '../src/model/model.ts';
import { rnnSeq2seq, type Seq2SeqConfig, type Seq2SeqModel } from '../src/model/rnn-seq2seq.ts';
import { marian, type Marian, type MarianConfig } from '../src/model/marian.ts';
import { padPairs } from '../src/data/pairs.ts';
import { greedySearch } from '../src/model/seq2seq-generate.ts';
import { IdBatch, noGrad } from '../src/autograd/tensor.ts';
import type { Model } from '../src/model/model.ts';
import { AdamW, clipGradNorm } from '../src/train/adamw.ts';
import { saveCheckpoint } from '../src/hub/folder.ts';
import { attentionSvg } from '../src/train/attention-plot.ts';
import { mulberry32 } from '../src/data/index.ts';
import { textWidth } from '../src/plot/figures.ts';

const arg = (k: string, d: string) => {
  const i = process.argv.indexOf(`--${k}`);
  return i > 0 ? process.argv[i + 1] : d;
};
const CPU_SECONDS = Number(arg('cpu-seconds', '240'));
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const OUT = arg('out', fileURLToPath(new URL('./results/', import.meta.url)));
const PER_LEN = Number(arg('per-length', '20'));
const K = Number(arg('vocab', '16')); // vocabulary: the K most frequent Hangul syllables
const MIN_LEN = 4;
const MAX_LEN = 24;
const BATCH = Number(arg('batch', '32'));
const LR = Number(arg('lr', '1e-2'));
// the Transformer's AdamW rate (default: the same as the recurrent models'; 1e-2 beat 3e-3 and 6e-3 in this budget)
const MARIAN_LR = Number(arg('marian-lr', String(LR)));
const MARIAN_PRESET = arg('marian-preset', '');

// ---- the task ----
const corpus = readFileSync(fileURLToPath(new URL('../src/data/debian-faq-ko.txt', import.meta.url)), 'utf8');
const hangul = [...corpus].filter((ch) => ch >= '\uAC00' && ch <= '\uD7A3');
const freq = new Map<string, number>();
for (const ch of hangul) freq.set(ch, (freq.get(ch) ?? 0) + 1);
const vocab = [...freq].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, K).map(([ch]) => ch);
const idOf = new Map(vocab.map((ch, i) => [ch, i]));
// the corpus as a stream of its K commonest syllables (others dropped), split 90/10 into train and held-out text
const stream = hangul.filter((ch) => idOf.has(ch)).map((ch) => idOf.get(ch)!);
const cut = Math.floor(stream.length * 0.9);
const trainStream = stream.slice(0, cut);
const testStream = stream.slice(cut);
const window = (s: number[], r: () => number, n: number) => {
  const st = Math.floor(r() * (s.length - n));
  return s.slice(st, st + n);
};
const pair = (src: number[]) => ({ src, tgt: [...src].reverse() });
const testPairs: { len: number; src: number[]; tgt: number[] }[] = [];
{
  const r = mulberry32(2024);
  for (let n = MIN_LEN; n <= MAX_LEN; n++) for (let i = 0; i < PER_LEN; i++) testPairs.push({ len: n, ...pair(window(testStream, r, n)) });
}

interface Result {
  name: string;
  /** rnn | lstm | lstm-luong | marian (runs before the Transformer row recorded cell and attention instead) */
  kind?: string;
  lr?: number;
  params: number;
  steps: number;
  /** wall-clock seconds of training (the machine is shared: read cpuSeconds) */
  seconds: number;
  /** CPU seconds of training, all threads */
  cpuSeconds: number;
  finalLoss: number;
  accuracy: Record<number, number>;
  /** fraction of target positions right (greedy output compared position by position), by length */
  tokenAccuracy: Record<number, number>;
  overall: number;
  overallTokens: number;
}

/** What the loop needs of a model: its batches, and greedy outputs (generated ids after the start token) for sources of length n. */
interface Trainee {
  model: Model;
  endId: number;
  batch(rows: { src: number[]; tgt: number[] }[]): unknown;
  greedy(srcs: number[][], n: number): Promise<number[][]>;
}

const RNN_SIZES = { embedding_dim: 32, hidden_size: 64 };

function rnnTrainee(gpu: Awaited<ReturnType<typeof getGpu>>, cell: 'rnn' | 'lstm', attention: 'none' | 'luong-general'): Trainee & { model: Seq2SeqModel; cfg: Seq2SeqConfig } {
  const base = rnnSeq2seq.freshConfig({ vocabSize: K, preset: 'lstm-luong' });
  const cfg: Seq2SeqConfig = { ...base, cell, attention, ...RNN_SIZES, max_target_length: MAX_LEN + 2 };
  const model = initModel(rnnSeq2seq, gpu, cfg, 7) as Seq2SeqModel;
  return {
    model, cfg, endId: cfg.end_id,
    batch: (rows) => padPairs(rows.map((r) => ({ src: r.src, tgt: [...r.tgt, cfg.end_id] })), { padId: cfg.pad_id, startId: cfg.start_id }),
    // the course's loop: n + 1 steps (n tokens and the end token)
    greedy: async (srcs, n) => (await model.greedy(srcs.flat(), srcs.map(() => n), n, n + 1)).ids.map((r) => r.slice(1)),
  };
}

/** The Transformer row: a small Marian (post-LN encoder–decoder, sinusoidal positions), sized near the LSTM + attention model. */
export const MARIAN_SHAPE = { d_model: 32, encoder_layers: 2, decoder_layers: 2, encoder_attention_heads: 4, decoder_attention_heads: 4, encoder_ffn_dim: 64, decoder_ffn_dim: 64, dropout: 0, max_position_embeddings: MAX_LEN + 4 };

function marianTrainee(gpu: Awaited<ReturnType<typeof getGpu>>): Trainee {
  // the tokenizer's K ids, then </s> (K) and <pad> (K + 1, also the decoder start), as `wgpt train --arch marian` makes them
  // --marian-preset tiny: the preset as it is (d_model 64, ffn 256: 4× the parameters)
  const cfg: MarianConfig = { ...marian.freshConfig({ vocabSize: K, preset: 'tiny' }), ...(MARIAN_PRESET === 'tiny' ? { dropout: 0 } : MARIAN_SHAPE) };
  const model = initModel(marian, gpu, cfg, 7);
  const eos = cfg.eos_token_id;
  return {
    model, endId: eos,
    // sources and labels end with </s>; the decoder reads <pad> + labels[:-1] (marian's TSV hook does the same)
    batch: (rows) => padPairs(rows.map((r) => ({ src: [...r.src, eos], tgt: [...r.tgt, eos] })), { padId: cfg.pad_token_id, startId: cfg.decoder_start_token_id }),
    async greedy(srcs, n) {
      const B = srcs.length;
      const S = n + 1;
      const st = model.encode(IdBatch.from(gpu, srcs.flatMap((r) => [...r, eos]), [B, S], cfg.vocab_size), srcs.map(() => S));
      let pos = 0;
      try {
        // max_length n + 3: the model itself must choose n tokens and </s> (generate forces </s> only after that)
        const g = await greedySearch(
          (ids) => gpu.scope(async () => noGrad(() => model.decodeStep(st, IdBatch.from(gpu, ids.map((r) => r[pos]), [ids.length, 1], cfg.decoder_vocab_size), pos++)).toArray()),
          B,
          { decoderStartId: cfg.decoder_start_token_id, eosId: eos, padId: cfg.pad_token_id, maxLength: n + 3, badIds: [cfg.pad_token_id] },
        );
        return g.sequences.map((r) => r.slice(1));
      } finally {
        st.dispose();
      }
    },
  };
}

async function run(name: string, kind: 'rnn' | 'lstm' | 'lstm-luong' | 'marian'): Promise<Result> {
  const gpu = await getGpu();
  const t = kind === 'marian' ? marianTrainee(gpu) : rnnTrainee(gpu, kind === 'rnn' ? 'rnn' : 'lstm', kind === 'lstm-luong' ? 'luong-general' : 'none');
  const model = t.model;
  const params = model.paramList();
  const nParams = params.reduce((a, p) => a + p.size, 0);
  const lr = kind === 'marian' ? MARIAN_LR : LR;
  const opt = new AdamW(params, { lr, weightDecay: 0 });
  const r = mulberry32(1);
  const t0 = performance.now();
  const c0 = cpuNow();
  let steps = 0;
  let ema = NaN;
  while (cpuNow() - c0 < CPU_SECONDS) {
    const rows = Array.from({ length: BATCH }, () => pair(window(trainStream, r, MIN_LEN + Math.floor(r() * (MAX_LEN - MIN_LEN + 1)))));
    const b = t.batch(rows);
    const loss = await gpu.scope(async () => {
      opt.zeroGrad();
      const l = model.loss(b);
      backward(l);
      clipGradNorm(params, 1.0);
      opt.step();
      return l.item();
    });
    ema = Number.isNaN(ema) ? loss : 0.95 * ema + 0.05 * loss;
    steps++;
    if (steps % 25 === 0) process.stderr.write(`  ${name}: step ${steps}, loss ${ema.toFixed(3)}, ${(cpuNow() - c0).toFixed(0)} CPU-s, ${((performance.now() - t0) / 1000).toFixed(0)} s wall\n`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = cpuNow() - c0;
  // held-out exact match by source length (greedy; the output must stop with the end token right after n tokens)
  const accuracy: Record<number, number> = {};
  const tokenAccuracy: Record<number, number> = {};
  let hit = 0;
  let tokHit = 0;
  let tokAll = 0;
  for (let n = MIN_LEN; n <= MAX_LEN; n++) {
    const ps = testPairs.filter((p) => p.len === n);
    const outs = await t.greedy(ps.map((p) => p.src), n);
    let ok = 0;
    let tok = 0;
    ps.forEach((p, i) => {
      const out = outs[i];
      p.tgt.forEach((v, j) => (tok += out[j] === v ? 1 : 0));
      const end = out.indexOf(t.endId);
      const got = end < 0 ? out : out.slice(0, end);
      if (end >= 0 && got.length === p.tgt.length && got.every((v, j) => v === p.tgt[j])) ok++;
    });
    accuracy[n] = ok / ps.length;
    tokenAccuracy[n] = tok / (ps.length * n);
    hit += ok;
    tokHit += tok;
    tokAll += ps.length * n;
  }
  if (kind === 'lstm-luong') {
    const { cfg, model: m } = t as ReturnType<typeof rnnTrainee>;
    const dir = join(OUT, 'reversal-lstm-luong');
    mkdirSync(OUT, { recursive: true });
    saveCheckpoint(dir, cfg, await m.exportParams(), { arch: rnnSeq2seq, files: { 'vocab.txt': vocab.join('\n') + '\n' } });
    const ex = testPairs.find((p) => p.len === 12)!;
    const g = await m.greedy(ex.src, [12], 12, 13);
    const label = (id: number) => (id === cfg.end_id ? '</s>' : id < K ? vocab[id] : String(id));
    const steps = g.steps;
    writeFileSync(join(OUT, 'reversal-attention.svg'), attentionSvg(g.attention!, g.ids[0].slice(1, 1 + steps).map(label), ex.src.map(label), `${name}: attention on a held-out sequence (source → reversed)`));
  }
  if (kind === 'marian') {
    mkdirSync(OUT, { recursive: true });
    saveCheckpoint(join(OUT, 'reversal-marian'), model.config, await model.exportParams(), { arch: marian, files: { 'vocab.txt': vocab.join('\n') + '\n' } });
  }
  model.dispose();
  const res = { name, kind, lr, params: nParams, steps, seconds, cpuSeconds, finalLoss: ema, accuracy, tokenAccuracy, overall: hit / testPairs.length, overallTokens: tokHit / tokAll };
  process.stderr.write(`${name}: ${steps} steps in ${cpuSeconds.toFixed(0)} CPU-s (${seconds.toFixed(0)} s wall), loss ${ema.toFixed(3)}, exact match ${(100 * res.overall).toFixed(1)}%, tokens ${(100 * res.overallTokens).toFixed(1)}%\n`);
  return res;
}

function svg(results: Result[]): string {
  // the legend's width comes from its longest name, so no name is cut at the edge
  const R = 12 + 26 + Math.max(...results.map((r) => textWidth(r.name))) + 12;
  const L = 76, T = 40, B = 50, H = 420, W = Math.ceil(L + 550 + R);
  const x = (n: number) => L + ((n - MIN_LEN) / (MAX_LEN - MIN_LEN)) * (W - L - R);
  const y = (a: number) => T + (1 - a) * (H - T - B);
  const colors = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd'];
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, `<rect width="${W}" height="${H}" fill="white"/>`];
  out.push(`<text x="${(L + W - R) / 2}" y="22" font-size="14" text-anchor="middle">Reversal task (held-out): exact match by source length</text>`);
  out.push(`<text x="18" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 18 ${(T + H - B) / 2})">exact match (held-out sequences)</text>`);
  for (let a = 0; a <= 1.0001; a += 0.25) out.push(`<line x1="${L}" x2="${W - R}" y1="${y(a)}" y2="${y(a)}" stroke="#ddd"/><text x="${L - 8}" y="${y(a) + 4}" text-anchor="end">${Math.round(a * 100)}%</text>`);
  for (let n = MIN_LEN; n <= MAX_LEN; n += 4) out.push(`<text x="${x(n)}" y="${H - B + 18}" text-anchor="middle">${n}</text>`);
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">source length (tokens)</text>`);
  out.push(`<line x1="${L}" x2="${W - R}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/><line x1="${L}" x2="${L}" y1="${T}" y2="${y(0)}" stroke="#333"/>`);
  results.forEach((r, i) => {
    const pts = Object.entries(r.accuracy).map(([n, a]) => `${x(Number(n)).toFixed(1)},${y(a).toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${colors[i]}" stroke-width="2" points="${pts}"/>`);
    out.push(`<line x1="${W - R + 12}" x2="${W - R + 32}" y1="${T + 10 + 20 * i}" y2="${T + 10 + 20 * i}" stroke="${colors[i]}" stroke-width="2"/><text x="${W - R + 38}" y="${T + 14 + 20 * i}">${r.name}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

function table(results: Result[]): string {
  const lens = [4, 8, 12, 16, 20, 24];
  const head = `| model | params | steps (CPU-s, wall s) | final train loss | ${lens.map((n) => `len ${n}`).join(' | ')} | all (4–24) | tokens right |`;
  const sep = `|---|---:|---:|---:|${lens.map(() => '---:').join('|')}|---:|---:|`;
  // each length column averages the lengths n−1 … n+1 (n = 4: 4–5, n = 24: 23–24) to smooth the 20-sample buckets
  const band = (r: Result, n: number) => {
    const ks = [n - 1, n, n + 1].filter((k) => k >= MIN_LEN && k <= MAX_LEN);
    return ks.reduce((a, k) => a + r.accuracy[k], 0) / ks.length;
  };
  const rows = results.map((r) => `| ${r.name} | ${r.params} | ${r.steps} (${r.cpuSeconds.toFixed(0)}, ${r.seconds.toFixed(0)}) | ${r.finalLoss.toFixed(3)} | ${lens.map((n) => `${(100 * band(r, n)).toFixed(0)}%`).join(' | ')} | ${(100 * r.overall).toFixed(1)}% | ${(100 * r.overallTokens).toFixed(1)}% |`);
  return [head, sep, ...rows].join('\n');
}

// --combine: the --only runs (run side by side) → reversal.{json,svg,md}, and each run's SVG redrawn from its JSON
if (process.argv.includes('--combine')) {
  const { readFileSync: rd, existsSync: ex } = await import('node:fs');
  const parts = ['rnn', 'lstm', 'lstm-luong', 'marian'].map((k) => join(OUT, `reversal-${k}.json`)).filter((f) => ex(f));
  const loaded = parts.map((f) => JSON.parse(rd(f, 'utf8')) as { meta: unknown; results: Result[] });
  const all = loaded.flatMap((l) => l.results);
  writeFileSync(join(OUT, 'reversal.json'), JSON.stringify({ meta: loaded.map((l) => l.meta), results: all }, null, 2) + '\n');
  writeFileSync(join(OUT, 'reversal.svg'), svg(all) + '\n');
  // each run's own figure is redrawn from its JSON too (same drawing code as the combined one)
  parts.forEach((f, i) => writeFileSync(f.replace(/\.json$/, '.svg'), svg(loaded[i].results) + '\n'));
  writeFileSync(join(OUT, 'reversal.md'), table(all) + '\n');
  console.log(table(all));
  process.exit(0);
}

const results: Result[] = [];
process.stderr.write(`reversal task: vocabulary of the ${K} commonest Hangul syllables, ${trainStream.length} train / ${testStream.length} held-out stream tokens, ${testPairs.length} test pairs; ${CPU_SECONDS} CPU-s per model\n`);
const ONLY = arg('only', '');
if (!ONLY || ONLY === 'rnn') results.push(await run('RNN seq2seq', 'rnn'));
if (!ONLY || ONLY === 'lstm') results.push(await run('LSTM seq2seq', 'lstm'));
if (!ONLY || ONLY === 'lstm-luong') results.push(await run('LSTM + Luong attention', 'lstm-luong'));
if (!ONLY || ONLY === 'marian') results.push(await run('Transformer (Marian)', 'marian'));
mkdirSync(OUT, { recursive: true });
const meta = { date: new Date().toISOString(), cpuSecondsBudget: CPU_SECONDS, loadavg: (await import('node:os')).loadavg(), vocab: K, batch: BATCH, ...(ONLY === 'marian' ? { marian: MARIAN_SHAPE, lr: MARIAN_LR } : { ...RNN_SIZES, lr: LR }), clip: 1, perLength: PER_LEN, trainTokens: trainStream.length, testTokens: testStream.length };
const tag = ONLY ? `-${ONLY}` : '';
writeFileSync(join(OUT, `reversal${tag}.json`), JSON.stringify({ meta, results }, null, 2) + '\n');
writeFileSync(join(OUT, `reversal${tag}.svg`), svg(results) + '\n');
writeFileSync(join(OUT, `reversal${tag}.md`), table(results) + '\n');
console.log(table(results));
process.exit(0);
