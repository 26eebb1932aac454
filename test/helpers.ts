// Test helpers: allclose on absolute differences (|a − ref| ≤ atol + rtol·|ref|) that reports the
// first mismatches by index, a seeded RNG for inputs, and fixture loading.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
