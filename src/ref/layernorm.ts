// CPU reference for LayerNorm (test oracle only): x (R, C), w (C), b (C); f64 accumulation.

export function layerNormRef(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>, R: number, C: number, eps = 1e-5) {
  const y = new Float32Array(R * C);
  const mean = new Float64Array(R);
  const rstd = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += x[r * C + c];
    const m = s / C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[r * C + c] - m) ** 2;
    const rs = 1 / Math.sqrt(v / C + eps);
    for (let c = 0; c < C; c++) y[r * C + c] = (x[r * C + c] - m) * rs * w[c] + b[c];
    mean[r] = m;
    rstd[r] = rs;
  }
  return { y, mean, rstd };
}

/** Gradients of Σ y·dy with respect to x, w, b. */
export function layerNormBwdRef(x: ArrayLike<number>, w: ArrayLike<number>, dy: ArrayLike<number>, R: number, C: number, eps = 1e-5) {
  const { mean, rstd } = layerNormRef(x, w, new Float32Array(C), R, C, eps);
  const dx = new Float32Array(R * C);
  const dw = new Float64Array(C);
  const db = new Float64Array(C);
  for (let r = 0; r < R; r++) {
    let s1 = 0;
    let s2 = 0;
    for (let c = 0; c < C; c++) {
      const xh = (x[r * C + c] - mean[r]) * rstd[r];
      const dh = dy[r * C + c] * w[c];
      s1 += dh;
      s2 += dh * xh;
      dw[c] += dy[r * C + c] * xh;
      db[c] += dy[r * C + c];
    }
    for (let c = 0; c < C; c++) {
      const xh = (x[r * C + c] - mean[r]) * rstd[r];
      dx[r * C + c] = rstd[r] * (dy[r * C + c] * w[c] - s1 / C - (xh * s2) / C);
    }
  }
  return { dx, dw: Float32Array.from(dw), db: Float32Array.from(db) };
}
