// CPU reference for the row reductions of src/ops/reduce.ts: plain loops with f64 sums, test oracles only.
// Leaves out: any speed.

/** coef·Σ over rows of x (R, N) (each x[i] times w[i % w.length] when w is given) → (N). */
export function colSumRef(x: ArrayLike<number>, R: number, N: number, coef = 1, w?: ArrayLike<number>): Float32Array {
  const out = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let r = 0; r < R; r++) {
      const i = r * N + n;
      s += x[i] * (w ? w[i % w.length] : 1);
    }
    out[n] = coef * s;
  }
  return out;
}
