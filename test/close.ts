// Browser-safe test helpers: allclose on absolute differences (|a − ref| ≤ atol + rtol·|ref|) reporting the
// first mismatches by index, and a seeded RNG for inputs. Used by the Node tests and inside the browser page.
import { mulberry32 } from '../src/data/index.ts';

export interface CloseResult {
  ok: boolean;
  maxAbs: number;
  /** index of the worst element */
  worst: number;
  mismatches: number;
  message: string;
}

export function compareClose(actual: ArrayLike<number>, ref: ArrayLike<number>, atol = 1e-5, rtol = 1e-5): CloseResult {
  if (actual.length !== ref.length) {
    return { ok: false, maxAbs: Infinity, worst: -1, mismatches: Math.max(actual.length, ref.length), message: `length ${actual.length} != reference length ${ref.length}` };
  }
  let maxAbs = 0;
  let worst = -1;
  const bad: string[] = [];
  let mismatches = 0;
  for (let i = 0; i < ref.length; i++) {
    const a = actual[i];
    const r = ref[i];
    let d: number;
    let pass: boolean;
    if (Number.isNaN(r)) {
      d = Number.isNaN(a) ? 0 : Infinity;
      pass = Number.isNaN(a);
    } else if (!Number.isFinite(r)) {
      d = a === r ? 0 : Infinity;
      pass = a === r;
    } else {
      d = Math.abs(a - r);
      pass = d <= atol + rtol * Math.abs(r); // NaN in `a` fails here
      if (Number.isNaN(d)) d = Infinity;
    }
    if (d > maxAbs || worst < 0) {
      if (d >= maxAbs) {
        maxAbs = d;
        worst = i;
      }
    }
    if (!pass) {
      mismatches++;
      if (bad.length < 5) bad.push(`[${i}] got ${a} want ${r} (|diff| ${d.toExponential(2)})`);
    }
  }
  const ok = mismatches === 0;
  const message = ok
    ? `max |diff| ${maxAbs.toExponential(2)}`
    : `${mismatches}/${ref.length} elements differ by more than atol ${atol} + rtol ${rtol}·|ref|; first: ${bad.join('; ')}; max |diff| ${maxAbs.toExponential(2)} at [${worst}]`;
  return { ok, maxAbs, worst, mismatches, message };
}

/** Throws with the first mismatching indices when |actual − ref| > atol + rtol·|ref| anywhere. */
export function assertClose(actual: ArrayLike<number>, ref: ArrayLike<number>, opts: { atol?: number; rtol?: number; name?: string } = {}): number {
  const r = compareClose(actual, ref, opts.atol ?? 1e-5, opts.rtol ?? 1e-5);
  if (!r.ok) throw new Error(`${opts.name ?? 'allclose'}: ${r.message}`);
  return r.maxAbs;
}

/** Seeded PRNG for test inputs: the data loader's mulberry32. */
export const rng = mulberry32;

/** Float32Array of n values uniform in [lo, hi), seeded. */
export function randn(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}
