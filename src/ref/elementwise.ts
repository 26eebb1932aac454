// CPU references for embedding, positions and elementwise kernels (test oracles only): plain loops.

/** ids (R) into W (V, C) → out (R, C). */
export function gatherRef(ids: ArrayLike<number>, W: ArrayLike<number>, C: number): Float32Array {
  const out = new Float32Array(ids.length * C);
  for (let r = 0; r < ids.length; r++) for (let c = 0; c < C; c++) out[r * C + c] = W[ids[r] * C + c];
  return out;
}

/** dW (V, C) = Σ_r onehot(ids[r]) dy[r] with dy (R, C). */
export function scatterRef(ids: ArrayLike<number>, dy: ArrayLike<number>, V: number, C: number): Float32Array {
  const out = new Float64Array(V * C);
  for (let r = 0; r < ids.length; r++) for (let c = 0; c < C; c++) out[ids[r] * C + c] += dy[r * C + c];
  return Float32Array.from(out);
}

/** The course's sin/cos table (T, C). */
export function sinusoidRef(T: number, C: number, pos0 = 0): Float32Array {
  const out = new Float32Array(T * C);
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < C; c++) {
      const angle = (t + pos0) / Math.pow(10000, (c - (c % 2)) / C);
      out[t * C + c] = c % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return out;
}

const K = Math.sqrt(2 / Math.PI);
export function geluRef(x: ArrayLike<number>): Float32Array {
  return Float32Array.from(x, (v) => 0.5 * v * (1 + Math.tanh(K * (v + 0.044715 * v ** 3))));
}
export function geluBwdRef(x: ArrayLike<number>, dy: ArrayLike<number>): Float32Array {
  return Float32Array.from(x, (v, i) => {
    const t = Math.tanh(K * (v + 0.044715 * v ** 3));
    return dy[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * K * (1 + 3 * 0.044715 * v * v));
  });
}

/** a (n) + b broadcast (nb divides n). */
export function addRef(a: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  return Float32Array.from(a, (v, i) => v + b[i % b.length]);
}
