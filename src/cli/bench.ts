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

const SUITES = ['gather', 'matmul', 'kernels', 'train', 'generate', 'bpe', 'lstm', 'encoder', 'marian'] as const;

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
  const kv = find('generate', /speedup/);
  rows.push(['KV cache ≥ 5× no cache at 256 new tokens', kv ? `${(kv.speedup as number).toFixed(1)}×${kv.note ? ` (${kv.note})` : ''}` : 'not run', kv ? (kv.speedup as number) >= 5 : null]);
  rows.push(['GPU: matmul vs fp32 peak; book-124m vs PyTorch eager', 'not run: no GPU on this machine', null]);
  return ['#### targets', '', '| target | measured | met |', '|---|---|---|', ...rows.map(([t, m, ok]) => `| ${t} | ${m} | ${ok === null ? '—' : ok ? 'yes' : 'no'} |`), ''].join('\n');
}

const cmd: Command = {
  summary: 'benchmarks: gather vs one-hot, matmul vs tfjs-webgpu, kernels vs copy, train step, generation, BPE, LSTM vs PyTorch, BERT encoder',
  usage: `wgpt bench [${SUITES.join('|')} …] [--quick] [--runs N] [--json FILE]`,
  options: { quick: { type: 'boolean' }, json: { type: 'string' }, runs: { type: 'string' } },
  help: {
    quick: ['', 'smaller sizes (under 3 minutes on 2 CPU cores)'],
    runs: ['N', 'timed runs per case', 'per suite'],
    json: ['FILE', 'write the records as JSON'],
  },
  positionals: true,
  async run(v, pos) {
    for (const p of pos) if (!(SUITES as readonly string[]).includes(p)) throw new UsageError(`unknown suite '${p}' (suites: ${SUITES.join(', ')})`);
    const which = pos.length ? pos : [...SUITES];
    const o = { quick: !!v.quick, runs: v.runs !== undefined ? num(v, 'runs', undefined, { int: true, min: 1 }) : undefined, log: (l: string) => process.stderr.write(`  ${l}\n`) };
    const gpu = await getGpu();
    const i = gpu.info;
    const adapter = `${i.description || i.device} (${i.vendor}, ${i.architecture}; ${i.isCpu ? 'CPU adapter' : 'GPU'}; platform ${i.platform})`;
    const t0 = performance.now();
    const records: Record_[] = [];
    for (const s of which) {
      process.stderr.write(`wgpt bench: ${s}${o.quick ? ' (quick)' : ''}…\n`);
      if (s === 'gather') records.push(...(await benchGather(gpu, o)));
      if (s === 'matmul') records.push(...(await benchMatmul(gpu, o)));
      if (s === 'kernels') records.push(...(await benchKernels(gpu, o)));
      if (s === 'train') records.push(...(await benchTrain(gpu, o)));
      if (s === 'generate') records.push(...(await benchGenerate(gpu, o)));
      if (s === 'lstm') records.push(...(await benchLstm(gpu, o)));
      if (s === 'encoder') records.push(...(await benchEncoder(gpu, o)));
      if (s === 'marian') records.push(...(await benchMarian(gpu, o)));
      if (s === 'bpe') records.push(...((await benchBpe({ quick: o.quick })) as unknown as Record_[]));
    }
    const secs = (performance.now() - t0) / 1000;
    for (const r of records) r.adapter = adapter;
    console.log(`### wgpt bench${o.quick ? ' --quick' : ''} — adapter: ${adapter}; ${secs.toFixed(0)} s\n`);
    console.log(markdown(records.map((r) => ({ ...r, adapter: undefined }) as Record_)));
    console.log(targets(records));
    if (v.json) {
      writeFileAtomic(v.json as string, JSON.stringify(records, null, 2) + '\n');
      console.log(`wrote ${records.length} records to ${v.json}`);
    }
  },
};
export default cmd;
