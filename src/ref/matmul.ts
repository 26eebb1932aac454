// CPU reference for matmul / linear / linearT, forward and backward (test oracle only): plain loops,
// f64 accumulation (JS numbers), f32 results. Leaves out: any speed (no blocking, no threads).

/**
 * out (M, N) = op(a)·op(b).
 * a is (M, K), or (K, M) when transA; b is (K, N), or (N, K) when transB; all row-major.
 */
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

/**
 * Batched: out (batch, M, N) = op(a[z])·op(b[z]) for each z.
 * a is (batch, M, K) (or (batch, K, M) when transA); b is (batch, K, N) (or (batch, N, K)), or one
 * (K, N) / (N, K) matrix shared by every z when sharedB.
 */
export function bmmRef(a: ArrayLike<number>, b: ArrayLike<number>, batch: number, M: number, N: number, K: number, o: { transA?: boolean; transB?: boolean; sharedB?: boolean } = {}): Float32Array {
  const out = new Float32Array(batch * M * N);
  const A = Float32Array.from(a);
  const B = Float32Array.from(b);
  for (let z = 0; z < batch; z++) {
    const bz = o.sharedB ? B : B.subarray(z * K * N, (z + 1) * K * N);
    out.set(matmulRef(A.subarray(z * M * K, (z + 1) * M * K), bz, M, N, K, o.transA, o.transB), z * M * N);
  }
  return out;
}

/**
 * Gradients of bmmRef, each in its operand's stored layout (llm.c matmul_backward style):
 * dout is (batch, M, N); da has a's shape; db has b's shape, summed over the batch when sharedB.
 */
export function bmmBackwardRef(dout: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>, batch: number, M: number, N: number, K: number, o: { transA?: boolean; transB?: boolean; sharedB?: boolean } = {}): { da: Float32Array; db: Float32Array } {
  const da = new Float64Array(batch * M * K);
  const db = new Float64Array((o.sharedB ? 1 : batch) * K * N);
  const ai = (m: number, k: number) => (o.transA ? k * M + m : m * K + k);
  const bi = (k: number, n: number) => (o.transB ? n * K + k : k * N + n);
  for (let z = 0; z < batch; z++) {
    const aOff = z * M * K;
    const bOff = o.sharedB ? 0 : z * K * N;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        const g = dout[(z * M + m) * N + n];
        for (let k = 0; k < K; k++) {
          da[aOff + ai(m, k)] += g * b[bOff + bi(k, n)];
          db[bOff + bi(k, n)] += g * a[aOff + ai(m, k)];
        }
      }
    }
  }
  return { da: Float32Array.from(da), db: Float32Array.from(db) };
}

/** out (R, out) = x (R, in) · w (in, out) + bias (out), bias optional. */
export function linearRef(x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | null, R: number, inF: number, outF: number): Float32Array {
  const out = new Float32Array(R * outF);
  for (let r = 0; r < R; r++) {
    for (let o = 0; o < outF; o++) {
      let s = bias ? bias[o] : 0;
      for (let i = 0; i < inF; i++) s += x[r * inF + i] * w[i * outF + o];
      out[r * outF + o] = s;
    }
  }
  return out;
}

/** Gradients of linearRef: dout (R, out) → dx (R, in), dw (in, out), db (out). */
export function linearBackwardRef(dout: ArrayLike<number>, x: ArrayLike<number>, w: ArrayLike<number>, R: number, inF: number, outF: number): { dx: Float32Array; dw: Float32Array; db: Float32Array } {
  const dx = new Float32Array(R * inF);
  const dw = new Float32Array(inF * outF);
  const db = new Float32Array(outF);
  for (let r = 0; r < R; r++) {
    for (let i = 0; i < inF; i++) {
      let s = 0;
      for (let o = 0; o < outF; o++) s += dout[r * outF + o] * w[i * outF + o];
      dx[r * inF + i] = s;
    }
  }
  for (let i = 0; i < inF; i++) {
    for (let o = 0; o < outF; o++) {
      let s = 0;
      for (let r = 0; r < R; r++) s += x[r * inF + i] * dout[r * outF + o];
      dw[i * outF + o] = s;
    }
  }
  for (let o = 0; o < outF; o++) {
    let s = 0;
    for (let r = 0; r < R; r++) s += dout[r * outF + o];
    db[o] = s;
  }
  return { dx, dw, db };
}

/** out (R, V) = x (R, C) · wᵀ for w (V, C): the tied output head. */
export function linearTRef(x: ArrayLike<number>, w: ArrayLike<number>, R: number, C: number, V: number): Float32Array {
  return matmulRef(x, w, R, V, C, false, true);
}

/** Gradients of linearTRef: dout (R, V) → dx (R, C) = dout·w, dw (V, C) = doutᵀ·x. */
export function linearTBackwardRef(dout: ArrayLike<number>, x: ArrayLike<number>, w: ArrayLike<number>, R: number, C: number, V: number): { dx: Float32Array; dw: Float32Array } {
  return { dx: matmulRef(dout, w, R, C, V), dw: matmulRef(dout, x, V, C, R, true) };
}

/** Transpose x (R, C) → (C, R). */
export function transposeRef(x: ArrayLike<number>, R: number, C: number): Float32Array {
  const out = new Float32Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = x[r * C + c];
  return out;
}
