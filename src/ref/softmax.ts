// CPU reference for softmax (optionally masked / causal) and the causal mask, forward and backward (test
// oracle only): plain loops, f64 accumulation. Leaves out: dropout (ref/attention.ts applies it).

/**
 * Row softmax. x is (rows, n). `used(r, j)` says which entries take part (default all); unused entries,
 * and every entry of a row with nothing finite left, get 0 (the GPU's documented choice).
 */
export function softmaxRef(x: ArrayLike<number>, rows: number, n: number, used: (r: number, j: number) => boolean = () => true): Float64Array {
  const y = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let j = 0; j < n; j++) if (used(r, j)) m = Math.max(m, x[r * n + j]);
    if (m === -Infinity) continue; // zeros
    let s = 0;
    for (let j = 0; j < n; j++) if (used(r, j)) s += Math.exp(x[r * n + j] - m);
    for (let j = 0; j < n; j++) if (used(r, j)) y[r * n + j] = Math.exp(x[r * n + j] - m) / s;
  }
  return y;
}

/** Softmax backward. y, dy are (rows, n): dx = y·(dy − Σ_j dy·y). */
export function softmaxBwdRef(y: ArrayLike<number>, dy: ArrayLike<number>, rows: number, n: number): Float64Array {
  const dx = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += dy[r * n + j] * y[r * n + j];
    for (let j = 0; j < n; j++) dx[r * n + j] = y[r * n + j] * (dy[r * n + j] - s);
  }
  return dx;
}

/**
 * The `used` predicate of softmax(x, {mask, causal}) for x (rows, n): mask (M, n) row r / (rows/M),
 * causal rows of a [.., Tq, n] block use j ≤ n − Tq + r % Tq.
 */
export function softmaxUsedRef(rows: number, n: number, o: { mask?: ArrayLike<number>; causalTq?: number }): (r: number, j: number) => boolean {
  const group = o.mask ? rows / (o.mask.length / n) : 1;
  return (r, j) => (!o.mask || o.mask[Math.floor(r / group) * n + j] !== 0) && (o.causalTq === undefined || j <= n - o.causalTq + (r % o.causalTq));
}

/** masked_fill(triu(ones(T, T), 1), −inf). x is (lead, T, T). */
export function causalMaskRef(x: ArrayLike<number>, lead: number, T: number): Float64Array {
  const y = new Float64Array(lead * T * T);
  for (let l = 0; l < lead; l++) {
    for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) {
      const e = (l * T + i) * T + j;
      y[e] = j > i ? -Infinity : x[e];
    }
  }
  return y;
}

/** Causal mask backward. dy is (lead, T, T): dx = dy where j ≤ i, else 0. */
export function causalMaskBwdRef(dy: ArrayLike<number>, lead: number, T: number): Float64Array {
  const dx = new Float64Array(lead * T * T);
  for (let l = 0; l < lead; l++) {
    for (let i = 0; i < T; i++) for (let j = 0; j <= i; j++) dx[(l * T + i) * T + j] = dy[(l * T + i) * T + j];
  }
  return dx;
}
