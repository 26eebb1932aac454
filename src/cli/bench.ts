// `wgpt bench` / `npm run bench`: runs the bench suites side by side on one adapter, prints markdown
// tables (with the adapter named and a targets table) and optionally writes JSON records atomically.
import { type Command, UsageError, num } from './command.js';
import { readFileSync } from 'node:fs';
import { getGpu, type Gpu } from '../gpu/device.js';
import { writeFileAtomic } from '../io/atomic.js';
import { type Record_, markdown } from '../../bench/harness.js';
import { benchGather, benchMatmul, benchKernels, benchTrain, benchGenerate, benchLstm } from '../../bench/suites.js';
import { benchBpe } from '../../bench/bpe.js';
import { benchEncoder } from '../../bench/encoder.js';
import { benchMarian } from '../../bench/marian.js';
import { benchPeer } from '../../bench/peer.js';
import { profileGpt, profileMarkdown, profileRecords, peakPoolStep } from '../../bench/profile.js';

const SUITES = ['gather', 'matmul', 'kernels', 'train', 'generate', 'bpe', 'lstm', 'encoder', 'marian', 'peer-train'] as const;

function targets(rs: Record_[]): string {
  const find = (s: string, re: RegExp) => rs.find((r) => r.suite === s && re.test(r.name));
  const rows: [string, string, boolean | null][] = [];
  const g = (dir: string) => find('gather', new RegExp(`^V=50257 B=8 T=4 C=256 ${dir}: speedup`));
  for (const dir of ['forward', 'backward']) {
    const r = g(dir);
    rows.push([`gather ≥ 100× one-hot at V=50257 (${dir})`, r ? `${(r.speedup as number).toFixed(0)}×` : 'not run', r ? (r.speedup as number) >= 100 : null]);
  }
  const roof = rs.find((r) => r.suite === 'kernels' && /^copy/.test(r.name));
  const gat = find('gather', /^V=50257 B=2 T=256 C=768 forward: gather$/);
  if (roof && gat) {
    const f = (gat.gbps as number) / (roof.gbps as number);
    rows.push(['gather bandwidth ≥ 50% of copy', `${(100 * f).toFixed(0)}% (${(gat.gbps as number).toFixed(2)} vs ${(roof.gbps as number).toFixed(2)} GB/s, 512 rows of 768)`, f >= 0.5]);
  } else rows.push(['gather bandwidth ≥ 50% of copy', 'needs the gather and kernels suites', null]);
  for (const n of [512, 1024]) {
    const r = find('matmul', new RegExp(`^M=${n} N=${n} K=${n} speedup`));
    rows.push([`matmul ≥ 3× tfjs-webgpu at ${n}³`, r ? `${(r.speedup as number).toFixed(2)}×` : 'not run', r ? (r.speedup as number) >= 3 : null]);
  }
  for (const n of [512, 1024]) {
    const r = find('matmul', new RegExp(`^M=${n} N=${n} K=${n} speedup`));
    rows.push([`matmul ≥ 5× tfjs-webgpu at ${n}³ (issue #19)`, r ? `${(r.speedup as number).toFixed(2)}× (pairs ${r.speedup_range})` : 'not run', r ? (r.speedup as number) >= 5 : null]);
  }
  for (const r of rs.filter((x) => x.suite === 'peer' && /tfjs-webgpu$/.test(x.name) && typeof x.wgpt_speedup === 'number')) {
    const sp = (typeof r.wgpt_speedup_paired === 'number' ? r.wgpt_speedup_paired : r.wgpt_speedup) as number;
    rows.push([`train tokens/s ≥ 3× tfjs-webgpu, same model (${r.name.split(',')[0]})`, `${sp.toFixed(2)}×`, sp >= 3]);
  }
  const kv = find('generate', /speedup/);
  rows.push(['KV cache ≥ 5× no cache at 256 new tokens', kv ? `${(kv.speedup as number).toFixed(1)}×${kv.note ? ` (${kv.note})` : ''}` : 'not run', kv ? (kv.speedup as number) >= 5 : null]);
  rows.push(['GPU: matmul vs fp32 peak; book-124m vs PyTorch eager', 'not run: no GPU on this machine', null]);
  return ['#### targets', '', '| target | measured | met |', '|---|---|---|', ...rows.map(([t, m, ok]) => `| ${t} | ${m} | ${ok === null ? '—' : ok ? 'yes' : 'no'} |`)].join('\n');
}

/**
 * The adapter's fp32 peak where it can be known: WGPT_PEAK_GFLOPS (a GPU's datasheet figure), or on a CPU adapter
 * (SwiftShader) cores × 4 SIMD lanes × 2 flops (a multiply and an add per lane and cycle: Subzero emits SSE, no FMA) ×
 * the clock /proc/cpuinfo reports: an upper bound of what its generated code can reach.
 */
function peakGflops(gpu: Gpu): { gflops: number; how: string } | null {
  const env = Number(process.env.WGPT_PEAK_GFLOPS);
  if (env > 0) return { gflops: env, how: 'WGPT_PEAK_GFLOPS' };
  if (!gpu.info.isCpu) return null;
  try {
    const mhz = [...readFileSync('/proc/cpuinfo', 'utf8').matchAll(/^cpu MHz\s*:\s*([\d.]+)/gm)].map((m) => Number(m[1]));
    if (!mhz.length) return null;
    const ghz = mhz.reduce((a, b) => a + b, 0) / mhz.length / 1000;
    return { gflops: mhz.length * 4 * 2 * ghz, how: `${mhz.length} cores × 4 lanes × 2 flops × ${ghz.toFixed(2)} GHz: SwiftShader's SSE code without FMA` };
  } catch {
    return null;
  }
}

const cmd: Command = {
  summary: 'benchmarks: gather vs one-hot, matmul vs tfjs-webgpu, kernels vs copy, train step (and --profile), generation, BPE, LSTM vs PyTorch, BERT encoder, Marian, the same GPT trained by tfjs-webgpu and PyTorch (peer-train)',
  usage: `wgpt bench [${SUITES.join('|')} …] [--quick] [--runs N] [--json FILE] | wgpt bench train --profile [--preset tiny|small] [--vocab N]`,
  options: { quick: { type: 'boolean' }, json: { type: 'string' }, runs: { type: 'string' }, profile: { type: 'boolean' }, preset: { type: 'string' }, vocab: { type: 'string' } },
  help: {
    quick: ['', 'smaller sizes (under 3 minutes on 2 CPU cores)'],
    runs: ['N', 'timed runs per case (peer-train: optimizer steps per engine)', 'per suite'],
    json: ['FILE', 'write the records as JSON'],
    profile: ['', 'with the train suite: profile one training step and one KV-cache token (GPU ms per op family, host ms, dispatch/submit/readback counts) and the peak pool memory of a training step at B=4, T=256'],
    preset: ['NAME', 'GPT preset to profile', 'small'],
    vocab: ['N', 'vocabulary size of the profiled model', "the preset's (50257)"],
  },
  positionals: true,
  async run(v, pos) {
    for (const p of pos) if (!(SUITES as readonly string[]).includes(p)) throw new UsageError(`unknown suite '${p}' (suites: ${SUITES.join(', ')})`);
    const which = pos.length ? pos : [...SUITES];
    if (!v.profile && (v.preset !== undefined || v.vocab !== undefined)) throw new UsageError('--preset and --vocab go with --profile');
    if (v.profile && (which.length !== 1 || which[0] !== 'train')) throw new UsageError('--profile profiles the train suite: wgpt bench train --profile');
    const o = { quick: !!v.quick, runs: v.runs !== undefined ? num(v, 'runs', undefined, { int: true, min: 1 }) : undefined, log: (l: string) => process.stderr.write(`  ${l}\n`) };
    const gpu = await getGpu();
    // steady state: every kernel at its best tier from the start (compile time is reported on its own line below)
    gpu.setPolicy({ tiers: 'best' });
    const i = gpu.info;
    const adapter = `${i.description || i.device} (${i.vendor}, ${i.architecture}; ${i.isCpu ? 'CPU adapter' : 'GPU'}; platform ${i.platform})`;
    const peak = peakGflops(gpu);
    const t0 = performance.now();
    const records: Record_[] = [];
    let profiled = '';
    for (const s of which) {
      process.stderr.write(`wgpt bench: ${s}${o.quick ? ' (quick)' : ''}…\n`);
      if (s === 'gather') records.push(...(await benchGather(gpu, o)));
      if (s === 'matmul') records.push(...(await benchMatmul(gpu, o)));
      if (s === 'kernels') records.push(...(await benchKernels(gpu, o)));
      if (s === 'train' && v.profile) {
        const preset = (v.preset as string | undefined) ?? 'small';
        const vocab = v.vocab !== undefined ? num(v, 'vocab', undefined, { int: true, min: 2 }) : undefined;
        const ps = await profileGpt(gpu, { preset, vocab, runs: o.runs, log: o.log });
        const peak = await peakPoolStep(gpu, preset, vocab);
        profiled = profileMarkdown(ps, peak);
        records.push(...profileRecords(ps, peak));
      } else if (s === 'train') records.push(...(await benchTrain(gpu, o)));
      if (s === 'generate') records.push(...(await benchGenerate(gpu, o)));
      if (s === 'lstm') records.push(...(await benchLstm(gpu, o)));
      if (s === 'peer-train') records.push(...(await benchPeer(gpu, { ...o, steps: o.runs })));
      if (s === 'encoder') records.push(...(await benchEncoder(gpu, o)));
      if (s === 'marian') records.push(...(await benchMarian(gpu, o)));
      if (s === 'bpe') for (const r of await benchBpe({ quick: o.quick })) records.push({ ...r });
    }
    const secs = (performance.now() - t0) / 1000;
    for (const r of records) {
      r.adapter = adapter;
      if (peak && typeof r.gflops === 'number') r.peak_fraction = Math.round((r.gflops / peak.gflops) * 1e4) / 1e4;
    }
    const c = gpu.counters;
    const compileLine = `compile: ${c.pipelines} pipelines created in ${(c.compileMs / 1000).toFixed(1)} s on the host${c.asyncPipelines ? `, ${c.asyncPipelines} in the background (${(c.asyncCompileMs / 1000).toFixed(1)} s)` : ''}; the timings below exclude it (each case warms up first)`;
    const peakLine = `peak: ${peak ? `${peak.gflops.toFixed(1)} GFLOP/s (${peak.how}); matmul rows give their fraction of it` : 'unknown for this adapter (set WGPT_PEAK_GFLOPS to have matmul rows give their fraction of it)'}`;
    // blocks (heading, compile and peak lines, tables, targets) separated by exactly one blank line
    const blocks = [`### wgpt bench${o.quick ? ' --quick' : ''} — adapter: ${adapter}; ${secs.toFixed(0)} s`, compileLine, peakLine];
    if (profiled) blocks.push(profiled.trim());
    else blocks.push(markdown(records.map((r) => ({ ...r, adapter: undefined }) as Record_)), targets(records));
    console.log(blocks.filter((x) => x.trim()).join('\n\n'));
    if (v.json) {
      // the first record describes the run: the adapter, its limits and features, the kernel policy, compile time, peak
      const limits: Record<string, number> = {};
      for (const k in gpu.limits) {
        const v = gpu.limits[k as keyof GPUSupportedLimits];
        if (typeof v === 'number') limits[k] = v;
      }
      const head: Record_ = {
        suite: 'run', name: 'adapter, limits, compile', median_ms: 0, min_ms: 0, max_ms: 0, runs: 0,
        adapter, adapter_info: { ...gpu.info }, limits, features: [...gpu.features].sort(), policy: gpu.policy,
        compile: { pipelines: c.pipelines, ms: Math.round(c.compileMs), async_pipelines: c.asyncPipelines, async_ms: Math.round(c.asyncCompileMs) },
        peak_gflops: peak?.gflops ?? null, peak_how: peak?.how ?? null, seconds: Math.round(secs),
      };
      writeFileAtomic(v.json as string, JSON.stringify([head, ...records], null, 2) + '\n');
      console.log(`wrote ${records.length} records to ${v.json}`);
    }
  },
};
export default cmd;
