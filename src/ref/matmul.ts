// CPU reference for matmul / linear (test oracle only): plain loops, f64 accumulation.

/** a (M, K) row-major, b (K, N) → (M, N). transA: a stored (K, M); transB: b stored (N, K). */
export function matmulRef(a: ArrayLike<number>, b: ArrayLike<number>, M: number, N: number, K: number, transA = false, transB = false): Float32Array {
  const out = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (transA ? a[k * M + m] : a[m * K + k]) * (transB ? b[n * K + k] : b[k * N + n]);
      out[m * N + n] = s;
    }
  }
  return out;
}

/** Transpose (R, C) → (C, R). */
export function transposeRef(x: ArrayLike<number>, R: number, C: number): Float32Array {
  const out = new Float32Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = x[r * C + c];
  return out;
}

/** Σ over rows of x (R, N) → (N). */
export function colSumRef(x: ArrayLike<number>, R: number, N: number): Float32Array {
  const out = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let r = 0; r < R; r++) s += x[r * N + n];
    out[n] = s;
  }
  return out;
}
