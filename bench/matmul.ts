// Benchmark of the matmul kernels (register-blocked and shared-memory tiled) at square and GPT-shaped
// sizes: GFLOP/s from the median of runs, each run = gpu.sync() around N dispatches after a warm-up.
// Run: node --import ./src/register.mjs bench/matmul.ts [--quick] [--json] [--sizes 256,512x512x64,...]
//      [--variants regblock,tiled] [--layouts nn,nt,tn] [--runs N]. Leaves out: comparisons with other libraries.
import { pathToFileURL } from 'node:url';
import type { Gpu } from '../src/gpu/device.ts';
import { encodeMatmul, matmulVariant, type MatmulVariant } from '../src/ops/matmul.ts';

export interface MatmulBenchRecord {
  suite: 'matmul';
  /** `M=.. N=.. K=.. <variant>` (plus the layout when it is not nn) */
  name: string;
  median_ms: number;
  min_ms: number;
  max_ms: number;
  runs: number;
  gflops: number;
  extra?: Record<string, number | string | boolean>;
}

/** nn: C = A·B; nt: A·Bᵀ (linear's dx, the tied head); tn: Aᵀ·B (weight gradients); tt: Aᵀ·Bᵀ. */
export type Layout = 'nn' | 'nt' | 'tn' | 'tt';

export interface MatmulBenchOptions {
  quick?: boolean;
  sizes?: [number, number, number][];
  variants?: MatmulVariant[];
  layouts?: Layout[];
  /** timed runs per case (default 5, quick 3) */
  runs?: number;
  /** aim for at least this many ms of GPU work per run (default 300, quick 100) */
  targetMs?: number;
  log?: (line: string) => void;
}

function stats(xs: number[]): { median: number; min: number; max: number } {
  const t = [...xs].sort((a, b) => a - b);
  const median = t.length % 2 ? t[(t.length - 1) >> 1] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
  return { median, min: t[0], max: t[t.length - 1] };
}

function fill(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296 - 0.5;
  }
  return out;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** CPU time (user + system, all threads) of this process in ms; 0 where there is no process (browser). */
function cpuMs(): number {
  const p = (globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }).process;
  if (!p?.cpuUsage) return 0;
  const u = p.cpuUsage();
  return (u.user + u.system) / 1e3;
}

/**
 * Times C = op(A)·op(B) for each size × variant × layout. Defaults: 256³, 512³, 1024³ (quick: 256³,
 * 512³) on every variant, layout nn. The shared-memory variant at 1024³ takes ~10 s per dispatch on
 * SwiftShader, so quick mode skips it there.
 */
export async function benchMatmul(gpu: Gpu, opts: MatmulBenchOptions = {}): Promise<MatmulBenchRecord[]> {
  const quick = !!opts.quick;
  const sizes = opts.sizes ?? (quick ? [[256, 256, 256], [512, 512, 512]] : [[256, 256, 256], [512, 512, 512], [1024, 1024, 1024]]);
  const variants = opts.variants ?? (['regblock', 'tiled'] as MatmulVariant[]);
  const layouts = opts.layouts ?? (['nn'] as Layout[]);
  const runs = opts.runs ?? (quick ? 3 : 5);
  const targetMs = opts.targetMs ?? (quick ? 100 : 300);
  const out: MatmulBenchRecord[] = [];
  for (const [M, N, K] of sizes) {
    for (const variant of variants) {
      for (const layout of layouts) {
        const transA = layout[0] === 't';
        const transB = layout[1] === 't';
        const flops = 2 * M * N * K;
        const rec = await gpu.scope(async () => {
          const a = gpu.buffer(fill(M * K, 1));
          const b = gpu.buffer(fill(K * N, 2));
          const c = gpu.buffer(M * N * 4);
          const once = () => encodeMatmul(gpu, { a, b, c, M, N, K, transA, transB, variant });
          // warm-up: compiles the pipeline and tells how many dispatches fill targetMs
          once();
          await gpu.sync();
          let t0 = performance.now();
          once();
          await gpu.sync();
          const one = performance.now() - t0;
          const reps = Math.max(1, Math.min(1000, Math.round(targetMs / Math.max(one, 1e-3))));
          const times: number[] = [];
          const cpu0 = cpuMs();
          for (let r = 0; r < runs; r++) {
            t0 = performance.now();
            for (let i = 0; i < reps; i++) once();
            await gpu.sync();
            times.push((performance.now() - t0) / reps);
          }
          const cpu = cpuMs() - cpu0;
          const s = stats(times);
          const name = `M=${M} N=${N} K=${K} ${variant}${layout === 'nn' ? '' : ` ${layout}`}`;
          const r: MatmulBenchRecord = {
            suite: 'matmul', name, median_ms: r3(s.median), min_ms: r3(s.min), max_ms: r3(s.max), runs,
            gflops: r3(flops / (s.median / 1e3) / 1e9),
            extra: { dispatches_per_run: reps, layout, auto_variant: matmulVariant(gpu) === variant },
          };
          // on a CPU adapter the work runs on this process's threads: GFLOP per CPU-second (all
          // threads) does not depend on what else the machine runs, unlike the wall clock
          if (cpu > 0) r.extra!.gflops_per_cpu_s = r3((flops * reps * runs) / (cpu / 1e3) / 1e9);
          return r;
        });
        opts.log?.(`${rec.name}: ${rec.gflops.toFixed(2)} GFLOP/s (median ${rec.median_ms} ms)`);
        out.push(rec);
      }
    }
  }
  return out;
}

export function markdownTable(records: MatmulBenchRecord[]): string {
  const lines = ['| case | median ms | min ms | max ms | runs × dispatches | GFLOP/s | GFLOP per CPU-s |', '|---|---:|---:|---:|---:|---:|---:|'];
  for (const r of records) {
    const c = r.extra?.gflops_per_cpu_s;
    lines.push(`| ${r.name} | ${r.median_ms.toFixed(2)} | ${r.min_ms.toFixed(2)} | ${r.max_ms.toFixed(2)} | ${r.runs} × ${r.extra?.dispatches_per_run ?? 1} | ${r.gflops.toFixed(2)} | ${typeof c === 'number' ? c.toFixed(2) : ''} |`);
  }
  return lines.join('\n');
}

function parseSizes(arg: string): [number, number, number][] {
  return arg.split(',').map((t) => {
    const p = t.split('x').map(Number);
    const s = (p.length === 1 ? [p[0], p[0], p[0]] : p) as [number, number, number];
    if (s.length !== 3 || s.some((x) => !Number.isInteger(x) || x < 1)) throw new Error(`--sizes: '${t}' is not N or MxNxK`);
    return s;
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { getGpu } = await import('../src/gpu/device.ts');
  const argv = process.argv.slice(2);
  const val = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const gpu = await getGpu();
  // steady state: the best tier of every kernel from the first run; --big-tile workgroup|subgroup picks big's form
  gpu.setPolicy({ tiers: 'best', ...(val('--big-tile') ? { bigTile: val('--big-tile') as 'workgroup' | 'subgroup' } : {}) });
  const sizesArg = val('--sizes');
  const variantsArg = val('--variants');
  const layoutsArg = val('--layouts');
  const bad = [...(variantsArg?.split(',') ?? []).filter((v) => v !== 'regblock' && v !== 'tiled'), ...(layoutsArg?.split(',') ?? []).filter((l) => !['nn', 'nt', 'tn', 'tt'].includes(l))];
  const runsArg = val('--runs');
  if (runsArg !== undefined && !(Number.isInteger(Number(runsArg)) && Number(runsArg) >= 1)) throw new Error(`bench/matmul.ts: --runs needs a positive integer, got '${runsArg}'`);
  if (bad.length) throw new Error(`bench/matmul.ts: unknown variant or layout '${bad[0]}' (variants: regblock, tiled; layouts: nn, nt, tn, tt)`);
  const recs = await benchMatmul(gpu, {
    quick: argv.includes('--quick'),
    sizes: sizesArg ? parseSizes(sizesArg) : undefined,
    variants: variantsArg ? (variantsArg.split(',') as MatmulVariant[]) : undefined,
    layouts: layoutsArg ? (layoutsArg.split(',') as Layout[]) : undefined,
    runs: val('--runs') !== undefined ? Number(val('--runs')) : undefined,
    log: (l) => process.stderr.write(`  ${l}\n`),
  });
  const i = gpu.info;
  // WGPT_UNSAFE_FAST=1 makes src/gpu start Dawn without robustness (bounds clamping); label the table with it
  const robust = process.env.WGPT_UNSAFE_FAST === '1' ? 'off (WGPT_UNSAFE_FAST=1)' : 'on';
  console.log(`adapter: ${i.description || i.device} (${i.isCpu ? 'CPU adapter' : 'GPU'}); robustness ${robust}\n`);
  console.log(markdownTable(recs));
  if (argv.includes('--json')) console.log(JSON.stringify(recs));
}
