// The course's story in numbers: reverse short token sequences built from the bundled Korean corpus with an RNN
// seq2seq, an LSTM seq2seq and an LSTM + Luong attention, each trained for the same wall-clock budget, then
// exact-match accuracy on held-out sequences by source length (JSON, markdown table, SVG plot).
// Run: node --import ./src/register.mjs bench/reversal.ts [--seconds 170] [--out bench/results] [--per-length 20]
// Leaves out: tuning per model (all three share sizes and optimizer settings), beam search.
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { getGpu } from '../src/gpu/device.ts';
import { backward } from '../src/autograd/tensor.ts';
import { initModel } from '../src/model/model.ts';
import { rnnSeq2seq, makeBatch, type Seq2SeqConfig, type Seq2SeqModel } from '../src/model/rnn-seq2seq.ts';
import { AdamW, clipGradNorm } from '../src/train/adamw.ts';
import { mulberry32 } from '../src/data/index.ts';

const arg = (k: string, d: string) => {
  const i = process.argv.indexOf(`--${k}`);
  return i > 0 ? process.argv[i + 1] : d;
};
const SECONDS = Number(arg('seconds', '170'));
const OUT = arg('out', fileURLToPath(new URL('./results/', import.meta.url)));
const PER_LEN = Number(arg('per-length', '20'));
const K = Number(arg('vocab', '16')); // vocabulary: the K most frequent Hangul syllables
const MIN_LEN = 4;
const MAX_LEN = 24;
const BATCH = Number(arg('batch', '32'));
const LR = Number(arg('lr', '1e-2'));

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
  cell: string;
  attention: string;
  params: number;
  steps: number;
  seconds: number;
  finalLoss: number;
  accuracy: Record<number, number>;
  /** fraction of target positions right (greedy output compared position by position), by length */
  tokenAccuracy: Record<number, number>;
  overall: number;
  overallTokens: number;
}

async function run(name: string, cell: 'rnn' | 'lstm', attention: 'none' | 'luong-general'): Promise<Result> {
  const gpu = await getGpu();
  const base = rnnSeq2seq.freshConfig({ vocabSize: K, preset: 'lstm-luong' });
  const cfg: Seq2SeqConfig = { ...base, cell, attention, embedding_dim: 32, hidden_size: 64, max_target_length: MAX_LEN + 2 };
  const model = initModel(rnnSeq2seq, gpu, cfg, 7) as Seq2SeqModel;
  const params = model.paramList();
  const nParams = params.reduce((a, p) => a + p.size, 0);
  const opt = new AdamW(params, { lr: LR, weightDecay: 0 });
  const r = mulberry32(1);
  const t0 = performance.now();
  let steps = 0;
  let ema = NaN;
  while ((performance.now() - t0) / 1000 < SECONDS) {
    const rows = Array.from({ length: BATCH }, () => pair(window(trainStream, r, MIN_LEN + Math.floor(r() * (MAX_LEN - MIN_LEN + 1)))));
    const b = makeBatch(rows, cfg);
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
    if (steps % 25 === 0) process.stderr.write(`  ${name}: step ${steps}, loss ${ema.toFixed(3)}, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  }
  const seconds = (performance.now() - t0) / 1000;
  // held-out exact match by source length (greedy, the course's loop)
  const accuracy: Record<number, number> = {};
  const tokenAccuracy: Record<number, number> = {};
  let hit = 0;
  let tokHit = 0;
  let tokAll = 0;
  for (let n = MIN_LEN; n <= MAX_LEN; n++) {
    const ps = testPairs.filter((p) => p.len === n);
    const g = await model.greedy(ps.flatMap((p) => p.src), ps.map(() => n), n, n + 1);
    let ok = 0;
    let tok = 0;
    ps.forEach((p, i) => {
      const out = g.ids[i].slice(1);
      p.tgt.forEach((v, j) => (tok += out[j] === v ? 1 : 0));
      const end = out.indexOf(cfg.end_id);
      const got = end < 0 ? out : out.slice(0, end);
      if (end >= 0 && got.length === p.tgt.length && got.every((v, j) => v === p.tgt[j])) ok++;
    });
    accuracy[n] = ok / ps.length;
    tokenAccuracy[n] = tok / (ps.length * n);
    hit += ok;
    tokHit += tok;
    tokAll += ps.length * n;
  }
  model.dispose();
  const res = { name, cell, attention, params: nParams, steps, seconds, finalLoss: ema, accuracy, tokenAccuracy, overall: hit / testPairs.length, overallTokens: tokHit / tokAll };
  process.stderr.write(`${name}: ${steps} steps in ${seconds.toFixed(0)} s, loss ${ema.toFixed(3)}, exact match ${(100 * res.overall).toFixed(1)}%, tokens ${(100 * res.overallTokens).toFixed(1)}%\n`);
  return res;
}

function svg(results: Result[]): string {
  const W = 720, H = 420, L = 60, R = 170, T = 40, B = 50;
  const x = (n: number) => L + ((n - MIN_LEN) / (MAX_LEN - MIN_LEN)) * (W - L - R);
  const y = (a: number) => T + (1 - a) * (H - T - B);
  const colors = ['#d62728', '#1f77b4', '#2ca02c'];
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, `<rect width="${W}" height="${H}" fill="white"/>`];
  out.push(`<text x="${W / 2 - 60}" y="22" font-size="14" text-anchor="middle">Reversal task (held-out): exact match by source length</text>`);
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
  const head = `| model | params | steps in budget | final train loss | ${lens.map((n) => `len ${n}`).join(' | ')} | all (4–24) | tokens right |`;
  const sep = `|---|---:|---:|---:|${lens.map(() => '---:').join('|')}|---:|---:|`;
  // each length column averages the lengths n−1 … n+1 (n = 4: 4–5, n = 24: 23–24) to smooth the 20-sample buckets
  const band = (r: Result, n: number) => {
    const ks = [n - 1, n, n + 1].filter((k) => k >= MIN_LEN && k <= MAX_LEN);
    return ks.reduce((a, k) => a + r.accuracy[k], 0) / ks.length;
  };
  const rows = results.map((r) => `| ${r.name} | ${r.params} | ${r.steps} (${r.seconds.toFixed(0)} s) | ${r.finalLoss.toFixed(3)} | ${lens.map((n) => `${(100 * band(r, n)).toFixed(0)}%`).join(' | ')} | ${(100 * r.overall).toFixed(1)}% | ${(100 * r.overallTokens).toFixed(1)}% |`);
  return [head, sep, ...rows].join('\n');
}

const results: Result[] = [];
process.stderr.write(`reversal task: vocabulary of the ${K} commonest Hangul syllables, ${trainStream.length} train / ${testStream.length} held-out stream tokens, ${testPairs.length} test pairs; ${SECONDS} s per model\n`);
results.push(await run('RNN seq2seq', 'rnn', 'none'));
results.push(await run('LSTM seq2seq', 'lstm', 'none'));
results.push(await run('LSTM + Luong attention', 'lstm', 'luong-general'));
mkdirSync(OUT, { recursive: true });
const meta = { date: new Date().toISOString(), seconds: SECONDS, vocab: K, batch: BATCH, embedding_dim: 32, hidden_size: 64, lr: LR, clip: 1, perLength: PER_LEN, trainTokens: trainStream.length, testTokens: testStream.length };
writeFileSync(join(OUT, 'reversal.json'), JSON.stringify({ meta, results }, null, 2) + '\n');
writeFileSync(join(OUT, 'reversal.svg'), svg(results) + '\n');
writeFileSync(join(OUT, 'reversal.md'), table(results) + '\n');
console.log(table(results));
process.exit(0);
