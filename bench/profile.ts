// `wgpt bench train --profile`: where one GPT training step's and one KV-cache generated token's time goes —
// GPU ms per op family (gpu.beginProfile: timestamp queries, one pass per dispatch), host time, and the counts
// of dispatches, submits and readbacks (gpu.counters, from an unprofiled run), and the peak pool memory of one
// training step at T = 256. Leaves out: memory traffic per op.
import type { Gpu, GpuCounters, ProfileEntry, ProfileResult } from '../src/gpu/device.ts';
import { diffCounters } from '../src/gpu/device.ts';
import { GPT } from '../src/model/gpt.ts';
import { PRESETS } from '../src/model/config.ts';
import { Trainer } from '../src/train/trainer.ts';
import { generate } from '../src/model/generate.ts';
import { type Record_, stats } from './harness.ts';

export interface ProfileOptions {
  preset: string;
  vocab?: number;
  /** unprofiled and profiled runs each (default 3) */
  runs?: number;
  log?: (line: string) => void;
}

export interface Profiled {
  what: string;
  /** wall ms of the unprofiled runs (median), host ms = wall − waits (median per run), and the counters (waitMs, submitMs: medians) */
  wallMs: number;
  hostMs: number;
  counts: GpuCounters;
  profile: ProfileResult;
  /** wall ms of the profiled run (each dispatch its own pass: slower than wallMs) */
  profiledWallMs: number;
  /** runs of each kind; times are medians over them */
  runs: number;
}

const median = (xs: number[]) => stats(xs).median;

/**
 * Runs `fn` `runs` times unprofiled (counts from the first, median wall) and `runs` times profiled (per kernel the
 * median GPU ms over the runs: a shared machine's descheduling inflates single runs). `fn` must be repeatable.
 */
export async function profileOnce(gpu: Gpu, what: string, fn: () => Promise<unknown>, runs = 3): Promise<Profiled> {
  const walls: number[] = [];
  const waits: number[] = [];
  const submitMs: number[] = [];
  let counts: GpuCounters | null = null;
  for (let r = 0; r < runs; r++) {
    await gpu.sync();
    const c0 = { ...gpu.counters };
    const t0 = performance.now();
    await fn();
    await gpu.sync();
    walls.push(performance.now() - t0);
    const c = diffCounters(gpu.counters, c0);
    waits.push(c.waitMs);
    submitMs.push(c.submitMs);
    c.syncs--; // the closing sync above is the harness's, not the work's
    if (!counts) counts = c;
    else if (c.dispatches !== counts.dispatches || c.submits !== counts.submits) throw new Error(`${what}: dispatch/submit counts differ between runs`);
  }
  const profiles: ProfileResult[] = [];
  const pwalls: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t1 = performance.now();
    gpu.beginProfile();
    await fn();
    profiles.push(await gpu.endProfile());
    pwalls.push(performance.now() - t1);
  }
  const byKernel = new Map<string, ProfileEntry & { all: number[] }>();
  for (const p of profiles) for (const e of p.entries) {
    const k = byKernel.get(e.kernel);
    if (k) k.all.push(e.gpuMs);
    else byKernel.set(e.kernel, { ...e, all: [e.gpuMs] });
  }
  const entries = [...byKernel.values()].map(({ all, ...e }) => ({ ...e, gpuMs: median(all) })).sort((a, b) => b.gpuMs - a.gpuMs);
  const profile: ProfileResult = { method: profiles[0].method, entries, encodeMs: median(profiles.map((p) => p.encodeMs)) };
  const hostMs = median(walls.map((w, i) => w - waits[i]));
  return { what, wallMs: median(walls), hostMs, counts: { ...counts!, waitMs: median(waits), submitMs: median(submitMs) }, profile, profiledWallMs: median(pwalls), runs };
}

/** Peak pool memory of one training step (forward, backward, AdamW) at B×T, and what the pool held before it. */
export interface PeakPool {
  what: string;
  B: number;
  T: number;
  /** pool bytes allocated when the step starts (parameters, their grads, AdamW state; free lists trimmed) */
  heldBytes: number;
  /** high-water mark of pool bytes during the step */
  peakBytes: number;
}

/**
 * One training step of `preset` (context raised to T if shorter, dropout off) at B×T after a warm-up step:
 * the pool's free lists are trimmed and its peak reset first, so the peak is what this step needs.
 */
export async function peakPoolStep(gpu: Gpu, preset: string, vocab: number | undefined, B = 4, T = 256): Promise<PeakPool> {
  const base = PRESETS[preset];
  if (!base) throw new Error(`--preset: unknown preset '${preset}' (presets: ${Object.keys(PRESETS).join(', ')})`);
  const cfg = { ...base, context_length: Math.max(T, base.context_length), dropout: 0, vocab_size: vocab ?? base.vocab_size };
  const model = GPT.init(gpu, cfg, 1);
  try {
    const trainer = new Trainer(model, { lr: 1e-4, weightDecay: 0.1, seed: 1 });
    const V = cfg.vocab_size;
    const x = Int32Array.from({ length: B * T }, (_, i) => (i * 7919) % V);
    const y = Int32Array.from({ length: B * T }, (_, i) => (i * 7919 + 1) % V);
    await trainer.step({ x, y, B, T }, 0); // AdamW state, pipelines
    await gpu.sync();
    gpu.pool.trim();
    gpu.pool.resetPeak();
    const heldBytes = gpu.pool.stats().allocatedBytes;
    await trainer.step({ x, y, B, T }, 1);
    await gpu.sync();
    const peakBytes = gpu.pool.stats().peakBytes;
    trainer.optimizer.dispose();
    return { what: `${preset} train step B=${B} T=${T} V=${V}`, B, T, heldBytes, peakBytes };
  } finally {
    model.dispose();
    gpu.pool.trim();
  }
}

const BATCH: Record<string, [number, number]> = { tiny: [4, 32], small: [4, 64], 'book-124m': [2, 256], gpt2: [1, 256] };

/** One training step and one KV-cache token of `preset`, profiled. */
export async function profileGpt(gpu: Gpu, o: ProfileOptions): Promise<Profiled[]> {
  const base = PRESETS[o.preset];
  if (!base) throw new Error(`--preset: unknown preset '${o.preset}' (presets: ${Object.keys(PRESETS).join(', ')})`);
  const [B, T] = BATCH[o.preset] ?? [4, Math.min(64, base.context_length)];
  const cfg = { ...base, context_length: T, dropout: 0, vocab_size: o.vocab ?? base.vocab_size };
  const model = GPT.init(gpu, cfg, 1);
  const out: Profiled[] = [];
  try {
    const trainer = new Trainer(model, { lr: 1e-4, weightDecay: 0.1, seed: 1 });
    const V = cfg.vocab_size;
    const x = Int32Array.from({ length: B * T }, (_, i) => (i * 7919) % V);
    const y = Int32Array.from({ length: B * T }, (_, i) => (i * 7919 + 1) % V);
    let step = 0;
    const run = () => trainer.step({ x, y, B, T }, step++);
    await run(); // warm-up: pipeline compiles, pool fill
    await run();
    out.push(await profileOnce(gpu, `${o.preset} train step B=${B} T=${T} V=${V}`, run, o.runs));
    o.log?.(`profiled a ${o.preset} train step`);
    trainer.optimizer.dispose();

    // one generated token through the KV cache, a few tokens into the sequence
    const it = generate(model, [1, 2, 3, 4], { maxNewTokens: 1 << 20, temperature: 0, useCache: true })[Symbol.asyncIterator]();
    for (let i = 0; i < 4; i++) await it.next(); // prefill + warm-up of the one-position path
    out.push(await profileOnce(gpu, `${o.preset} generated token (KV cache, from position 8) V=${V}`, () => it.next(), Math.max(5, o.runs ?? 5)));
    await it.return(undefined);
  } finally {
    model.dispose();
    gpu.pool.trim();
  }
  return out;
}

const f1 = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

/** Markdown: one summary table (counts, host/GPU time) and one per-family table per profiled piece of work. */
export function profileMarkdown(ps: Profiled[], peak?: PeakPool): string {
  const lines: string[] = [];
  if (peak) {
    const mb = (b: number) => (b / 2 ** 20).toFixed(1);
    lines.push('#### profile: peak pool memory of one training step (forward, backward, AdamW; pool size classes are powers of two)', '');
    lines.push('| work | peak pool MB | held before the step MB (parameters, grads, AdamW state) | step’s own MB (peak − held) |', '|---|---:|---:|---:|');
    lines.push(`| ${peak.what} | ${mb(peak.peakBytes)} | ${mb(peak.heldBytes)} | ${mb(peak.peakBytes - peak.heldBytes)} |`, '');
  }
  lines.push(`#### profile: counts and time per piece of work (counts from one unprofiled run; ms: median of ${ps[0]?.runs ?? 0} runs)`, '');
  lines.push('| work | wall ms | host ms (wall − waits) | waiting on GPU ms | in queue.submit ms | dispatches | compute passes | submits | readbacks (mapAsync) | uploads (writeBuffer) | uniform writes | copies + clears |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const p of ps) {
    const c = p.counts;
    lines.push(`| ${p.what} | ${f1(p.wallMs)} | ${f1(p.hostMs)} | ${f1(c.waitMs)} | ${f1(c.submitMs)} | ${c.dispatches} | ${c.passes} | ${c.submits} | ${c.readbacks} (${c.readbackBytes} B) | ${c.uploads} | ${c.uniformWrites} | ${c.copies} + ${c.clears} |`);
  }
  lines.push('');
  for (const p of ps) {
    const fam = new Map<string, { dispatches: number; gpuMs: number; kernels: Set<string> }>();
    for (const e of p.profile.entries) {
      let f = fam.get(e.family);
      if (!f) fam.set(e.family, (f = { dispatches: 0, gpuMs: 0, kernels: new Set() }));
      f.dispatches += e.dispatches;
      f.gpuMs += e.gpuMs;
      f.kernels.add(/:(\w+)(?: |$)/.exec(e.kernel)?.[1] ?? e.kernel);
    }
    const total = [...fam.values()].reduce((s, f) => s + f.gpuMs, 0);
    lines.push(`#### profile: ${p.what} — GPU time per op family (${p.profile.method}, one pass per dispatch, per kernel the median of ${p.runs} runs; profiled wall ${f1(p.profiledWallMs)} ms, host encode ${f1(p.profile.encodeMs)} ms)`, '');
    lines.push('| op family (shader) | dispatches | GPU ms | share | entry points |', '|---|---:|---:|---:|---|');
    for (const [name, f] of [...fam.entries()].sort((a, b) => b[1].gpuMs - a[1].gpuMs)) {
      lines.push(`| ${name} | ${f.dispatches} | ${f1(f.gpuMs)} | ${((100 * f.gpuMs) / (total || 1)).toFixed(1)}% | ${[...f.kernels].join(', ')} |`);
    }
    lines.push(`| **total** | ${p.profile.entries.reduce((s, e) => s + e.dispatches, 0)} | ${f1(total)} | 100% | |`, '');
    lines.push(`Slowest kernels (matmuls labelled M×K·K×N, ᵀ = stored transposed):`, '', '| kernel | dispatches | GPU ms | share |', '|---|---:|---:|---:|');
    for (const e of p.profile.entries.slice(0, 8)) lines.push(`| ${e.kernel.replace(/^shaders\//, '').replace(/ \+ src\/ops\/[^:]*/, '')} | ${e.dispatches} | ${f1(e.gpuMs)} | ${((100 * e.gpuMs) / (total || 1)).toFixed(1)}% |`);
    lines.push('');
  }
  return lines.join('\n');
}

/** JSON records (suite 'profile') for --json. */
export function profileRecords(ps: Profiled[], peak?: PeakPool): Record_[] {
  const out: Record_[] = [];
  if (peak) out.push({ suite: 'profile', name: `${peak.what}: peak pool`, median_ms: 0, min_ms: 0, max_ms: 0, runs: 1, timer: 'none', peak_pool_bytes: peak.peakBytes, held_pool_bytes: peak.heldBytes });
  for (const p of ps) {
    out.push({ suite: 'profile', name: p.what, median_ms: p.wallMs, min_ms: p.wallMs, max_ms: p.wallMs, runs: p.runs, timer: 'wall', ...p.counts, host_ms: p.hostMs, method: p.profile.method, encode_ms: p.profile.encodeMs });
    for (const e of p.profile.entries) out.push({ suite: 'profile', name: `${p.what}: ${e.kernel}`, median_ms: e.gpuMs, min_ms: e.gpuMs, max_ms: e.gpuMs, runs: p.runs, timer: p.profile.method, family: e.family, dispatches: e.dispatches });
  }
  return out;
}
