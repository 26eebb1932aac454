// CPU reference for cross-entropy (test oracle only): logits (N, V), targets (N) with an ignore index, label smoothing eps.

export function crossEntropyRef(logits: ArrayLike<number>, targets: ArrayLike<number>, N: number, V: number, ignore = -100, eps = 0) {
  let total = 0;
  let count = 0;
  const grad = new Float32Array(N * V);
  const lse = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let mx = -Infinity;
    for (let v = 0; v < V; v++) mx = Math.max(mx, logits[n * V + v]);
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(logits[n * V + v] - mx);
    lse[n] = mx + Math.log(s);
    if (targets[n] !== ignore) {
      // −Σ_v q_v log p_v with q = (1 − eps)·onehot(t) + eps/V
      let mean = 0;
      for (let v = 0; v < V; v++) mean += logits[n * V + v] / V;
      total += lse[n] - (1 - eps) * logits[n * V + targets[n]] - eps * mean;
      count++;
    }
  }
  for (let n = 0; n < N; n++) {
    if (targets[n] === ignore) continue;
    for (let v = 0; v < V; v++) grad[n * V + v] = (Math.exp(logits[n * V + v] - lse[n]) - (1 - eps) * (v === targets[n] ? 1 : 0) - eps / V) / count;
  }
  return { loss: count ? total / count : NaN, grad };
}
