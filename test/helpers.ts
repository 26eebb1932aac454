// Test helpers: allclose on absolute differences (|a − ref| ≤ atol + rtol·|ref|) that reports the
// first mismatches by index, a seeded RNG for inputs, and fixture loading.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';

export { compareClose, assertClose, rng, randn, type CloseResult } from './close.ts';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** Reads a JSON fixture made by test/fixtures/gen.py. */
export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(FIXTURES + name, 'utf8')) as T;
}

/** Records max errors per op; printed at the end of the run for the closing notes. */
export const errorReport: Record<string, number> = {};
export function report(name: string, maxAbs: number): void {
  errorReport[name] = Math.max(errorReport[name] ?? 0, maxAbs);
}

/** A report() for one test file that also prints that file's max errors when its tests end (pass test.after). */
export function fileReport(after: (fn: () => void) => void): (name: string, maxAbs: number) => void {
  const names = new Set<string>();
  after(() => {
    for (const k of names) console.log(`  max |err| ${k}: ${errorReport[k].toExponential(2)}`);
  });
  return (name, maxAbs) => {
    names.add(name);
    report(name, maxAbs);
  };
}

// One summary line per compared quantity at the end of the run (the figures quoted in the README and notes).
let summaryHooked = false;
if (!summaryHooked) {
  summaryHooked = true;
  process.on('exit', () => {
    const keys = Object.keys(errorReport).sort();
    if (!keys.length) return;
    process.stdout.write(`\nmax |diff| against references (CPU loops / PyTorch fixtures):\n${keys.map((k) => `  ${k.padEnd(44)} ${errorReport[k].toExponential(2)}`).join('\n')}\n`);
  });
}

import * as uvuAssert from 'uvu/assert';

/** Asserts fn throws an Error whose message is one line and matches re. */
export function throwsMsg(fn: () => unknown, re: RegExp): void {
  try {
    fn();
  } catch (e) {
    uvuAssert.ok(e instanceof Error, `threw a non-Error: ${e}`);
    uvuAssert.ok(!(e as Error).message.includes('\n'), `multi-line error: ${(e as Error).message}`);
    uvuAssert.match((e as Error).message, re);
    return;
  }
  uvuAssert.unreachable(`expected an error matching ${re}`);
}

/** A safetensors file from a header (object or raw text) and data bytes; `len` overrides the u64 length field. */
export function makeSafetensors(header: unknown, data: Uint8Array = new Uint8Array(0), len?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, len ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

interface FixtureFile {
  meta: Record<string, number | string>;
  tensors: Record<string, { shape: number[]; data: (number | string | null)[] }>;
}

/**
 * Reads a gen.py / gen_<topic>.py fixture. Python's json.dump writes ±inf as bare `-Infinity`/`Infinity` (not JSON),
 * so those tokens are quoted before JSON.parse and turned back into numbers here.
 */
export function readFixture(name: string): { meta: FixtureFile['meta']; t: (key: string) => { shape: number[]; data: Float64Array }; has: (key: string) => boolean } {
  const text = readFileSync(FIXTURES + name, 'utf8').replace(/(?<=[[,:]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g, '"$1"');
  const f = JSON.parse(text) as FixtureFile;
  const num = (v: number | string | null): number => {
    if (typeof v === 'number') return v;
    if (v === '-inf' || v === '-Infinity') return -Infinity;
    if (v === 'inf' || v === 'Infinity') return Infinity;
    if (v === 'NaN' || v === 'nan') return NaN;
    throw new Error(`${name}: unexpected value ${JSON.stringify(v)}`);
  };
  return {
    meta: f.meta,
    has: (key) => key in f.tensors,
    t: (key) => {
      const e = f.tensors[key];
      if (!e) throw new Error(`${name}: no tensor '${key}' (has ${Object.keys(f.tensors).join(', ')})`);
      return { shape: e.shape, data: Float64Array.from(e.data, num) };
    },
  };
}

/** The wgpt bin, run from sources (src/cli/wgpt.js). */
export const WGPT_BIN = fileURLToPath(new URL('../src/cli/wgpt.js', import.meta.url));

export interface WgptRun {
  code: number;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Runs `wgpt ARGS` in a child process (WGPT_QUIET=1); onOut sees stdout so far and can signal the child. */
export function runWgpt(args: string[], o: { cwd?: string; env?: Record<string, string>; onOut?: (out: string, kill: (s: NodeJS.Signals) => void) => void } = {}): Promise<WgptRun> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [WGPT_BIN, ...args], { cwd: o.cwd, env: { ...process.env, WGPT_QUIET: '1', ...o.env } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => {
      out += d;
      o.onOut?.(out, (s) => p.kill(s));
    });
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code, signal) => resolve({ code: code ?? -1, signal, out, err }));
  });
}
