// Benchmark: our byte-level BPE encoder (GPT-2 ranks) vs js-tiktoken on the same texts, side by side (median of N
// runs, MB/s), plus decode, load and trainer times; WordPiece training and encoding on the Korean corpus vs Hugging
// Face's Node binding (tokenizers, a devDependency: skipped with a note when absent).
// Run: node --import ./src/register.mjs bench/bpe.ts [--quick].
// Leaves out: tiktoken's Rust/WASM build (not a dependency), multi-threaded encoding.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Tiktoken } from 'js-tiktoken/lite';
import gpt2Ranks from 'js-tiktoken/ranks/gpt2';
import { ByteBpe, gpt2TokenBytes, trainBpe, trainWordPiece, wordPieceToHfJson, WordPiece } from '../src/tokenizer/index.ts';
import { spawnSync } from 'node:child_process';

export interface BenchRecord {
  suite: 'bpe';
  name: string;
  median_ms: number;
  min_ms: number;
  max_ms: number;
  runs: number;
  baseline?: string;
  speedup?: number;
  extra?: Record<string, number | string>;
}

function time(runs: number, fn: () => void, warmup = 1): { median: number; min: number; max: number } {
  for (let i = 0; i < warmup; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  const median = t.length % 2 ? t[(t.length - 1) >> 1] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
  return { median, min: t[0], max: t[t.length - 1] };
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

export async function benchBpe(opts: { quick?: boolean } = {}): Promise<BenchRecord[]> {
  const quick = !!opts.quick;
  const runs = quick ? 3 : 9;
  const verdict = readFileSync(new URL('../src/data/the-verdict.txt', import.meta.url), 'utf8');
  const multi = readFileSync(new URL('../test/fixtures/multilingual.txt', import.meta.url), 'utf8');
  const out: BenchRecord[] = [];

  // load: build each encoder from the same bundled ranks
  let tk: Tiktoken | null = null;
  let ours: ByteBpe | null = null;
  const loadRuns = quick ? 1 : 3;
  const tkLoad = time(loadRuns, () => (tk = new Tiktoken(gpt2Ranks)), 0);
  const ourLoad = time(loadRuns, () => (ours = new ByteBpe(gpt2TokenBytes(), { ...gpt2Ranks.special_tokens }, 'wgpt-gpt2')), 0);
  const tkName = 'load gpt2 ranks: js-tiktoken';
  out.push({ suite: 'bpe', name: tkName, median_ms: r3(tkLoad.median), min_ms: r3(tkLoad.min), max_ms: r3(tkLoad.max), runs: loadRuns });
  out.push({ suite: 'bpe', name: 'load gpt2 ranks: wgpt BPE', median_ms: r3(ourLoad.median), min_ms: r3(ourLoad.min), max_ms: r3(ourLoad.max), runs: loadRuns, baseline: tkName, speedup: r3(tkLoad.median / ourLoad.median) });
  const T = tk! as Tiktoken;
  const O = ours! as ByteBpe;

  // one long pre-token (random letters, no spaces): tiktoken's merge loop is quadratic in it, ours uses a heap
  let seed = 1;
  const letters = Array.from({ length: quick ? 500 : 2000 }, () => 'etaoinshrdlucmfwyp'[((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) % 18]).join('');
  const texts: [string, string][] = [
    ['the-verdict.txt', verdict],
    ['multilingual.txt ×8', multi.repeat(8)],
    [quick ? 'the-verdict ×4' : 'the-verdict ×24', verdict.repeat(quick ? 4 : 24)],
    [`one ${letters.length}-letter word`, letters],
  ];
  for (const [label, text] of texts) {
    const mb = new TextEncoder().encode(text).length / 1e6;
    const ref = T.encode(text);
    const mine = O.encode(text);
    if (ref.length !== mine.length || ref.some((x, i) => x !== mine[i])) throw new Error(`bench: ids differ from js-tiktoken on ${label}`);
    const base = `encode ${label}: js-tiktoken`;
    const a = time(runs, () => T.encode(text));
    out.push({ suite: 'bpe', name: base, median_ms: r3(a.median), min_ms: r3(a.min), max_ms: r3(a.max), runs, extra: { MB: r3(mb), MB_per_s: r3(mb / (a.median / 1000)), tokens: ref.length } });
    const cold = time(runs, () => {
      O.clearCache();
      O.encode(text);
    });
    out.push({ suite: 'bpe', name: `encode ${label}: wgpt BPE (cold: empty caches)`, median_ms: r3(cold.median), min_ms: r3(cold.min), max_ms: r3(cold.max), runs, baseline: base, speedup: r3(a.median / cold.median), extra: { MB_per_s: r3(mb / (cold.median / 1000)), tokens: mine.length } });
    const warm = time(runs, () => O.encode(text));
    out.push({ suite: 'bpe', name: `encode ${label}: wgpt BPE (warm caches)`, median_ms: r3(warm.median), min_ms: r3(warm.min), max_ms: r3(warm.max), runs, baseline: base, speedup: r3(a.median / warm.median), extra: { MB_per_s: r3(mb / (warm.median / 1000)), tokens: mine.length } });
  }

  const ids = O.encode(verdict);
  const dbase = 'decode the-verdict: js-tiktoken';
  const d1 = time(runs, () => T.decode(ids));
  const d2 = time(runs, () => O.decode(ids));
  out.push({ suite: 'bpe', name: dbase, median_ms: r3(d1.median), min_ms: r3(d1.min), max_ms: r3(d1.max), runs, extra: { tokens: ids.length } });
  out.push({ suite: 'bpe', name: 'decode the-verdict: wgpt BPE', median_ms: r3(d2.median), min_ms: r3(d2.min), max_ms: r3(d2.max), runs, baseline: dbase, speedup: r3(d1.median / d2.median) });

  const vocab = quick ? 512 : 2048;
  let merges = 0;
  const tr = time(quick ? 1 : 3, () => (merges = trainBpe(verdict, { vocabSize: vocab, minFrequency: 1 }).merges), 0);
  out.push({ suite: 'bpe', name: `train BPE on the-verdict to vocab ${vocab}`, median_ms: r3(tr.median), min_ms: r3(tr.min), max_ms: r3(tr.max), runs: quick ? 1 : 3, extra: { merges } });
  out.push(...(await benchWordPiece({ quick })));
  return out;
}

/**
 * Hugging Face's WordPiece training timed in a child process: its Rust trainer draws a progress bar straight to the
 * process's stdout (file descriptor 1, as blank lines when that is not a terminal), which the Node API cannot turn
 * off; the child's stdout is discarded and its timings come back on stderr. Same runs and warm-up as time().
 */
export function hfTrainTimes(koPath: string, runs: number): { t: ReturnType<typeof time>; size: number } {
  const script = `const hf = require(${JSON.stringify(createRequire(import.meta.url).resolve('tokenizers'))});
const train = () => { const tok = new hf.Tokenizer(hf.WordPiece.empty());
  tok.setNormalizer(hf.bertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: false, lowercase: false }));
  tok.setPreTokenizer(hf.bertPreTokenizer()); tok.train([${JSON.stringify(koPath)}]); return tok.getVocabSize(); };
train(); const ms = []; let size = 0;
for (let i = 0; i < ${runs}; i++) { const t0 = performance.now(); size = train(); ms.push(performance.now() - t0); }
process.stderr.write(JSON.stringify({ ms, size }));`;
  const r = spawnSync(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench: Hugging Face WordPiece training failed: ${r.stderr.split('\n')[0]}`);
  const { ms, size } = JSON.parse(r.stderr) as { ms: number[]; size: number };
  const sorted = [...ms].sort((a, b) => a - b);
  return { t: { median: sorted[sorted.length >> 1], min: sorted[0], max: sorted[sorted.length - 1] } as ReturnType<typeof time>, size };
}

/**
 * WordPiece on the Korean corpus, wgpt vs Hugging Face tokenizers' Node binding (Rust), same run: training with
 * Hugging Face's default trainer settings (the only ones its Node API takes: vocab 30000, min_frequency 0, no
 * limit_alphabet, no specials) and encoding the whole corpus with the same tokenizer.json (wgpt's, loaded by both).
 */
export async function benchWordPiece(opts: { quick?: boolean } = {}): Promise<BenchRecord[]> {
  const out: BenchRecord[] = [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let hf: any = null;
  try {
    hf = createRequire(import.meta.url)('tokenizers');
  } catch {
    console.error('bench: the tokenizers package (Hugging Face, devDependency) is not installed: WordPiece rows without the Hugging Face baseline');
  }
  const runs = opts.quick ? 3 : 7;
  const koPath = fileURLToPath(new URL('../src/data/debian-faq-ko.txt', import.meta.url));
  const ko = readFileSync(koPath, 'utf8');
  const mb = new TextEncoder().encode(ko).length / 1e6;
  const hfDefaults = { vocabSize: 30000, minFrequency: 0, limitAlphabet: null, specialTokens: [] as string[] };
  let base: string | undefined;
  let baseMs = 0;
  if (hf) {
    const { t, size } = hfTrainTimes(koPath, runs);
    base = 'train WordPiece on debian-faq-ko (HF defaults): Hugging Face tokenizers (Node binding, Rust)';
    baseMs = t.median;
    out.push({ suite: 'bpe', name: base, median_ms: r3(t.median), min_ms: r3(t.min), max_ms: r3(t.max), runs, extra: { vocab: size } });
  }
  let wp: WordPiece | null = null;
  const w = time(runs, () => (wp = trainWordPiece(ko, hfDefaults).tokenizer));
  out.push({ suite: 'bpe', name: 'train WordPiece on debian-faq-ko (HF defaults): wgpt', median_ms: r3(w.median), min_ms: r3(w.min), max_ms: r3(w.max), runs, baseline: base, speedup: base ? r3(baseMs / w.median) : undefined, extra: { vocab: wp!.vocabSize } });

  // encode the whole corpus with the course's tokenizer (5 specials, limit_alphabet 6000)
  const course = trainWordPiece(ko, { vocabSize: 30000, limitAlphabet: 6000 }).tokenizer;
  const want = course.encode(ko);
  let eb: string | undefined;
  let ebMs = 0;
  if (hf) {
    const ht = hf.Tokenizer.fromString(wordPieceToHfJson(course));
    const got = (await ht.encode(ko, null, { addSpecialTokens: false })).getIds();
    if (got.length !== want.length || got.some((x: number, i: number) => x !== want[i])) throw new Error('bench: WordPiece ids differ from Hugging Face on debian-faq-ko');
    const ts: number[] = [];
    for (let i = 0; i < runs + 1; i++) {
      const t0 = performance.now();
      await ht.encode(ko, null, { addSpecialTokens: false });
      if (i > 0) ts.push(performance.now() - t0);
    }
    ts.sort((a, b) => a - b);
    const med = ts[ts.length >> 1];
    eb = 'encode debian-faq-ko (WordPiece): Hugging Face tokenizers (Node binding, Rust)';
    ebMs = med;
    out.push({ suite: 'bpe', name: eb, median_ms: r3(med), min_ms: r3(ts[0]), max_ms: r3(ts[ts.length - 1]), runs, extra: { MB: r3(mb), MB_per_s: r3(mb / (med / 1000)), tokens: got.length } });
  }
  const cold = time(runs, () => new WordPiece({ vocab: [...course.vocab] }).encode(ko));
  out.push({ suite: 'bpe', name: 'encode debian-faq-ko (WordPiece): wgpt (cold: new tokenizer, empty word cache)', median_ms: r3(cold.median), min_ms: r3(cold.min), max_ms: r3(cold.max), runs, baseline: eb, speedup: eb ? r3(ebMs / cold.median) : undefined, extra: { MB_per_s: r3(mb / (cold.median / 1000)), tokens: want.length } });
  const warm = time(runs, () => course.encode(ko));
  out.push({ suite: 'bpe', name: 'encode debian-faq-ko (WordPiece): wgpt (warm word cache)', median_ms: r3(warm.median), min_ms: r3(warm.min), max_ms: r3(warm.max), runs, baseline: eb, speedup: eb ? r3(ebMs / warm.median) : undefined, extra: { MB_per_s: r3(mb / (warm.median / 1000)), tokens: want.length } });
  return out;
}

export function markdownTable(records: BenchRecord[]): string {
  const lines = ['| benchmark | median ms | min ms | max ms | runs | MB/s | speedup vs the row before (js-tiktoken / Hugging Face) |', '|---|---:|---:|---:|---:|---:|---:|'];
  for (const r of records) {
    const mbs = r.extra?.MB_per_s;
    lines.push(`| ${r.name} | ${r.median_ms.toFixed(2)} | ${r.min_ms.toFixed(2)} | ${r.max_ms.toFixed(2)} | ${r.runs} | ${mbs === undefined ? '' : Number(mbs).toFixed(2)} | ${r.speedup === undefined ? '' : `${r.speedup.toFixed(1)}×`} |`);
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const recs = process.argv.includes('--wordpiece') ? await benchWordPiece({ quick: process.argv.includes('--quick') }) : await benchBpe({ quick: process.argv.includes('--quick') });
  console.log(markdownTable(recs));
  if (process.argv.includes('--json')) console.log(JSON.stringify(recs));
}
