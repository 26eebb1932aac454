// CPU reference for AdamW (torch.optim.AdamW order of operations) and clip_grad_norm_ (test oracle only).

export function adamwRef(p: Float64Array, g: ArrayLike<number>, m: Float64Array, v: Float64Array, t: number, o: { lr: number; b1: number; b2: number; eps: number; wd: number }): void {
  const bc1 = 1 - o.b1 ** t;
  const bc2 = 1 - o.b2 ** t;
  for (let i = 0; i < p.length; i++) {
    p[i] *= 1 - o.lr * o.wd;
    m[i] = o.b1 * m[i] + (1 - o.b1) * g[i];
    v[i] = o.b2 * v[i] + (1 - o.b2) * g[i] * g[i];
    p[i] -= (o.lr / bc1) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + o.eps));
  }
}

export function clipRef(grads: Float64Array[], maxNorm: number): number {
  let s = 0;
  for (const g of grads) for (const x of g) s += x * x;
  const norm = Math.sqrt(s);
  const coef = Math.min(1, maxNorm / (norm + 1e-6));
  for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= coef;
  return norm;
}
