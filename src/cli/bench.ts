// `wgpt bench` / `npm run bench`: runs the bench suites side by side on one adapter, prints markdown
// tables (with the adapter named and a targets table) and optionally writes JSON records atomically.
import { type Command, UsageError, num } from './command.js';
import { getGpu } from '../gpu/device.js';
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
    const i = gpu.info;
    const adapter = `${i.description || i.device} (${i.vendor}, ${i.architecture}; ${i.isCpu ? 'CPU adapter' : 'GPU'}; platform ${i.platform})`;
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
      if (s === 'bpe') records.push(...((await benchBpe({ quick: o.quick })) as unknown as Record_[]));
    }
    const secs = (performance.now() - t0) / 1000;
    for (const r of records) r.adapter = adapter;
    // blocks (heading, tables, targets) separated by exactly one blank line
    const blocks = [`### wgpt bench${o.quick ? ' --quick' : ''} — adapter: ${adapter}; ${secs.toFixed(0)} s`];
    if (profiled) blocks.push(profiled.trim());
    else blocks.push(markdown(records.map((r) => ({ ...r, adapter: undefined }) as Record_)), targets(records));
    console.log(blocks.filter((b) => b.trim()).join('\n\n'));
    if (v.json) {
      writeFileAtomic(v.json as string, JSON.stringify(records, null, 2) + '\n');
      console.log(`wrote ${records.length} records to ${v.json}`);
    }
  },
};
export default cmd;
