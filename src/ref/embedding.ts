// CPU references for the embedding kernels (gather, gather + positions, scatter-add, one-hot, sinusoidal table): plain
// loops, test oracles only (scatter skips padding_idx). Leaves out: any speed, max_norm (the op has none).

/** ids (R) into W (V, C) → out (R, C): out[r, :] = W[ids[r], :]. */
export function gatherRef(ids: ArrayLike<number>, W: ArrayLike<number>, C: number): Float32Array {
  const out = new Float32Array(ids.length * C);
  for (let r = 0; r < ids.length; r++) for (let c = 0; c < C; c++) out[r * C + c] = W[ids[r] * C + c];
  return out;
}

/** Token + position rows: out (R, C) = W[ids[r], :]·scale + P[pos0 + r mod T, :] (f32 products and sums, as the kernel). */
export function gatherAddRef(ids: ArrayLike<number>, W: ArrayLike<number>, P: ArrayLike<number>, C: number, T: number, pos0 = 0, scale = 1): Float32Array {
  const out = new Float32Array(ids.length * C);
  const s32 = Math.fround(scale); // the kernel's uniform is f32
  for (let r = 0; r < ids.length; r++) {
    const pos = pos0 + (r % T);
    for (let c = 0; c < C; c++) out[r * C + c] = Math.fround(Math.fround(W[ids[r] * C + c] * s32) + P[pos * C + c]);
  }
  return out;
}

/** Backward of gather: dW (V, C) = Σ_r onehot(ids[r])ᵀ dy[r, :] with ids (R), dy (R, C); f64 sums.
 *  Positions with id `skip` (padding_idx) add nothing. */
export function scatterRef(ids: ArrayLike<number>, dy: ArrayLike<number>, V: number, C: number, skip?: number): Float32Array {
  const out = new Float64Array(V * C);
  for (let r = 0; r < ids.length; r++) if (ids[r] !== skip) for (let c = 0; c < C; c++) out[ids[r] * C + c] += dy[r * C + c];
  return Float32Array.from(out);
}

/** ids (R) → one-hot (R, V): oh[r, v] = 1 if v == ids[r] else 0. */
export function onehotRef(ids: ArrayLike<number>, V: number): Float32Array {
  const out = new Float32Array(ids.length * V);
  for (let r = 0; r < ids.length; r++) for (let v = 0; v < V; v++) out[r * V + v] = v === ids[r] ? 1 : 0;
  return out;
}

/** The course's sin/cos table (T, C) for positions pos0 … pos0+T−1, in f64:
 *  pe[t, 2i] = sin(t / 10000^(2i/C)), pe[t, 2i+1] = cos(t / 10000^(2i/C)). */
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
