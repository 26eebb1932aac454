// CPU reference for softmax, the causal mask and causal multi-head attention, forward and backward
// (test oracle only): plain loops in the course's order, f64 accumulation. Leaves out: KV-cache decode
// (it is tested against the GPU's full-sequence attention).

/** Row softmax. x is (rows, n); a row that is all −inf gives zeros (the GPU's documented choice). */
export function softmaxRef(x: ArrayLike<number>, rows: number, n: number): Float64Array {
  const y = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let j = 0; j < n; j++) m = Math.max(m, x[r * n + j]);
    if (m === -Infinity) continue; // zeros
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.exp(x[r * n + j] - m);
    for (let j = 0; j < n; j++) y[r * n + j] = Math.exp(x[r * n + j] - m) / s;
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

/** PCG hash on u32 (same as shaders/softmax.wgsl). */
export function pcgRef(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** The attention-dropout keep test for flat index idx of att [B, H, T, T]: kept iff hash ≥ thr. */
export function keepRef(idx: number, seed: number, thr: number): boolean {
  const h = pcgRef((pcgRef((idx + pcgRef(seed >>> 0)) >>> 0) ^ (seed >>> 0)) >>> 0);
  return h >= thr;
}

export interface AttnRefOptions {
  dropout?: number;
  seed?: number;
  /** keep threshold for dropout (the GPU's dropThreshold(p)) */
  thr?: number;
}

function dropMul(idx: number, o: AttnRefOptions): number {
  const p = o.dropout ?? 0;
  if (p === 0) return 1;
  return keepRef(idx, o.seed ?? 0, o.thr ?? Math.min(0xffffffff, Math.round(p * 2 ** 32))) ? 1 / (1 - p) : 0;
}

/**
 * Causal multi-head attention, the course's way. qkv is (B, T, 3C) = [q | k | v]; head h uses
 * channels h·hd … of each. Returns out (B, T, C) and att (B, H, T, T) before dropout.
 */
export function attentionRef(qkv: ArrayLike<number>, B: number, T: number, C: number, H: number, o: AttnRefOptions = {}): { out: Float64Array; att: Float64Array } {
  const hd = C / H;
  const out = new Float64Array(B * T * C);
  const att = new Float64Array(B * H * T * T);
  const q = (b: number, t: number, h: number, d: number) => qkv[(b * T + t) * 3 * C + h * hd + d];
  const k = (b: number, t: number, h: number, d: number) => qkv[(b * T + t) * 3 * C + C + h * hd + d];
  const v = (b: number, t: number, h: number, d: number) => qkv[(b * T + t) * 3 * C + 2 * C + h * hd + d];
  const scores = new Float64Array(T * T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      // scores = q·kᵀ, masked_fill(triu, −inf), / √hd
      for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) {
        let s = 0;
        for (let d = 0; d < hd; d++) s += q(b, i, h, d) * k(b, j, h, d);
        scores[i * T + j] = (j > i ? -Infinity : s) / Math.sqrt(hd);
      }
      const p = softmaxRef(scores, T, T);
      const base = (b * H + h) * T * T;
      att.set(p, base);
      for (let i = 0; i < T; i++) for (let d = 0; d < hd; d++) {
        let s = 0;
        for (let j = 0; j < T; j++) s += p[i * T + j] * dropMul(base + i * T + j, o) * v(b, j, h, d);
        out[(b * T + i) * C + h * hd + d] = s;
      }
    }
  }
  return { out, att };
}

/** Backward of attentionRef: dout is (B, T, C); returns dqkv (B, T, 3C). */
export function attentionBwdRef(qkv: ArrayLike<number>, dout: ArrayLike<number>, B: number, T: number, C: number, H: number, o: AttnRefOptions = {}): Float64Array {
  const hd = C / H;
  const { att } = attentionRef(qkv, B, T, C, H, o);
  const dqkv = new Float64Array(B * T * 3 * C);
  const at = (b: number, t: number, part: number, h: number, d: number) => (b * T + t) * 3 * C + part * C + h * hd + d;
  const dP = new Float64Array(T * T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const base = (b * H + h) * T * T;
      // out = Pd·v with Pd = P·mul: dPd = dout·vᵀ, dv = Pdᵀ·dout; dP = dPd·mul
      for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) {
        const mul = dropMul(base + i * T + j, o);
        let s = 0;
        for (let d = 0; d < hd; d++) s += dout[(b * T + i) * C + h * hd + d] * qkv[at(b, j, 2, h, d)];
        dP[i * T + j] = s * mul;
        for (let d = 0; d < hd; d++) dqkv[at(b, j, 2, h, d)] += att[base + i * T + j] * mul * dout[(b * T + i) * C + h * hd + d];
      }
      // P = softmax(S): dS = P·(dP − Σ dP·P); S = q·kᵀ/√hd (masked entries have P = 0)
      const dS = softmaxBwdRef(att.subarray(base, base + T * T), dP, T, T);
      for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) {
        const g = dS[i * T + j] / Math.sqrt(hd);
        if (g === 0) continue;
        for (let d = 0; d < hd; d++) {
          dqkv[at(b, i, 0, h, d)] += g * qkv[at(b, j, 1, h, d)];
          dqkv[at(b, j, 1, h, d)] += g * qkv[at(b, i, 0, h, d)];
        }
      }
    }
  }
  return dqkv;
}
