// Bench harness: GPU timing (timestamp queries when the adapter has them, checked against the wall
// clock; else submit → onSubmittedWorkDone), warm-ups, median and min–max of N runs, records in one
// JSON shape, and the markdown table. Leaves out: statistics beyond median/min/max.
import type { Gpu } from '../src/gpu/device.ts';

export interface Record_ {
  suite: string;
  /** what was measured, sizes included (e.g. `V=50257 B=8 T=4 C=256 forward`) */
  name: string;
  median_ms: number;
  min_ms: number;
  max_ms: number;
  runs: number;
  /** how time was taken: 'timestamp-query' | 'wall' */
  timer?: string;
  /** what this was compared against, and the baseline's median ÷ ours */
  baseline?: string;
  speedup?: number;
  [k: string]: unknown;
}

export interface Timing {
  median: number;
  min: number;
  max: number;
  runs: number;
  timer: string;
}

export function stats(xs: number[]): { median: number; min: number; max: number } {
  const t = [...xs].sort((a, b) => a - b);
  const median = t.length % 2 ? t[(t.length - 1) >> 1] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
  return { median, min: t[0], max: t[t.length - 1] };
}

/**
 * Times `record` (which only records dispatches) `runs` times after `warmup` runs. Uses timestamp
 * queries when available and sane (within [0.05, 1.5]× of the wall clock), else the wall clock.
 */
export async function timeGpu(gpu: Gpu, record: () => void, o: { runs: number; warmup?: number }): Promise<Timing> {
  for (let i = 0; i < (o.warmup ?? 1); i++) {
    record();
    await gpu.sync();
  }
  const wall: number[] = [];
  const ts: number[] = [];
  let tsOk = gpu.features.has('timestamp-query');
  for (let i = 0; i < o.runs; i++) {
    await gpu.sync();
    const t0 = performance.now();
    let g: number | null = null;
    if (tsOk) g = await gpu.timeGpu(record);
    else record();
    await gpu.sync();
    const w = performance.now() - t0;
    wall.push(w);
    if (g === null || !(g > 0.05 * w && g < 1.5 * w)) tsOk = false;
    else ts.push(g);
  }
  const use = tsOk && ts.length === wall.length ? ts : wall;
  return { ...stats(use), runs: o.runs, timer: use === ts ? 'timestamp-query' : 'wall' };
}

/** Times an async host-driven piece of work (train step, generation) on the wall clock. */
export async function timeWall(fn: () => Promise<unknown>, o: { runs: number; warmup?: number }): Promise<Timing> {
  for (let i = 0; i < (o.warmup ?? 1); i++) await fn();
  const wall: number[] = [];
  for (let i = 0; i < o.runs; i++) {
    const t0 = performance.now();
    await fn();
    wall.push(performance.now() - t0);
  }
  return { ...stats(wall), runs: o.runs, timer: 'wall' };
}

export function rec(suite: string, name: string, t: Timing, extra: Record<string, unknown> = {}): Record_ {
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return { suite, name, median_ms: r3(t.median), min_ms: r3(t.min), max_ms: r3(t.max), runs: t.runs, timer: t.timer, ...extra };
}

const fmt = (v: unknown): string => {
  if (typeof v === 'number') {
    // a case that was not run or has no timing of its own (a ratio row, a failed peer) shows a dash, not NaN
    if (!Number.isFinite(v)) return '—';
    if (Math.abs(v) >= 100) return v.toFixed(0);
    if (Math.abs(v) >= 1) return v.toFixed(2);
    return v.toPrecision(2);
  }
  return v === undefined ? '' : String(v);
};

export function bytesStr(b: number): string {
  if (b >= 1 << 30) return `${(b / (1 << 30)).toFixed(2)} GiB`;
  if (b >= 1 << 20) return `${(b / (1 << 20)).toFixed(1)} MiB`;
  if (b >= 1 << 10) return `${(b / (1 << 10)).toFixed(1)} KiB`;
  return `${b} B`;
}

/** The median (min–max) cell: just the median when there is no spread (one run, a ratio row), a dash when not timed. */
function timeCell(r: Record_): string {
  if (!Number.isFinite(r.median_ms)) return '—';
  if (!Number.isFinite(r.min_ms) || !Number.isFinite(r.max_ms) || r.runs <= 1) return fmt(r.median_ms);
  return `${fmt(r.median_ms)} (${fmt(r.min_ms)}–${fmt(r.max_ms)})`;
}

/** One markdown table per suite: name, median (min–max), then the suite's own columns. */
export function markdown(records: Record_[]): string {
  const out: string[] = [];
  const suites = [...new Set(records.map((r) => r.suite))];
  const fixed = new Set(['suite', 'name', 'median_ms', 'min_ms', 'max_ms', 'runs', 'timer', 'note']);
  for (const s of suites) {
    const rs = records.filter((r) => r.suite === s);
    const cols = [...new Set(rs.flatMap((r) => Object.keys(r).filter((k) => !fixed.has(k) && r[k] !== undefined && typeof r[k] !== 'object')))];
    out.push(`#### ${s}`, '', `| name | median ms (min–max) | ${cols.join(' | ')} |`, `|---|---:|${cols.map(() => '---:').join('|')}|`);
    for (const r of rs) {
      out.push(`| ${r.name}${r.note ? ` (${r.note})` : ''} | ${timeCell(r)} | ${cols.map((c) => (c === 'speedup' && typeof r[c] === 'number' && Number.isFinite(r[c]) ? `${fmt(r[c])}×` : fmt(r[c]))).join(' | ')} |`);
    }
    out.push('');
  }
  // tables separated by one blank line, none at the end (the caller joins blocks with one)
  return out.join('\n').trimEnd();
}
