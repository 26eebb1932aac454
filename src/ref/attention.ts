// CPU reference for multi-head attention (general q/k/v with causal window, key mask, scale and dropout;
// and the fused-qkv form), forward and backward (test oracle only): plain loops in the course's order,
// f64 accumulation. Leaves out: KV-cache decode (it is tested against the GPU's full-sequence attention).
import { softmaxRef, softmaxBwdRef } from './softmax.js';
import { keepRef } from './random.js';

export interface AttnRefDims {
  B: number;
  Tq: number;
  Tk: number;
  C: number;
  H: number;
}

export interface AttnRefOptions {
  /** query i sees keys j ≤ Tk − Tq + i */
  causal?: boolean;
  /** [B·Tk] 0/1, 1 = attend */
  keyMask?: ArrayLike<number>;
  /** default 1/√hd */
  scale?: number;
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
 * Multi-head attention, the course's way. q is (B, Tq, C), k and v (B, Tk, C); head h uses channels
 * h·hd … of each. scores = q·kᵀ·scale, masked (causal, keyMask) to −inf, softmax (an all-masked row is 0),
 * dropout, ·v. Returns out (B, Tq, C) and att (B, H, Tq, Tk) before dropout.
 */
export function attentionRef(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, dm: AttnRefDims, o: AttnRefOptions = {}): { out: Float64Array; att: Float64Array } {
  const { B, Tq, Tk, C, H } = dm;
  const hd = C / H;
  const scale = o.scale ?? 1 / Math.sqrt(hd);
  const out = new Float64Array(B * Tq * C);
  const att = new Float64Array(B * H * Tq * Tk);
  const scores = new Float64Array(Tq * Tk);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < Tq; i++) for (let j = 0; j < Tk; j++) {
        let s = 0;
        for (let d = 0; d < hd; d++) s += q[(b * Tq + i) * C + h * hd + d] * k[(b * Tk + j) * C + h * hd + d];
        const masked = (o.causal && j > Tk - Tq + i) || (o.keyMask && o.keyMask[b * Tk + j] === 0);
        scores[i * Tk + j] = masked ? -Infinity : s * scale;
      }
      const p = softmaxRef(scores, Tq, Tk);
      const base = (b * H + h) * Tq * Tk;
      att.set(p, base);
      for (let i = 0; i < Tq; i++) for (let d = 0; d < hd; d++) {
        let s = 0;
        for (let j = 0; j < Tk; j++) s += p[i * Tk + j] * dropMul(base + i * Tk + j, o) * v[(b * Tk + j) * C + h * hd + d];
        out[(b * Tq + i) * C + h * hd + d] = s;
      }
    }
  }
  return { out, att };
}

/** Backward of attentionRef: dout is (B, Tq, C); returns dq (B, Tq, C), dk and dv (B, Tk, C). */
export function attentionBwdRef(
  q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, dout: ArrayLike<number>, dm: AttnRefDims, o: AttnRefOptions = {},
): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
  const { B, Tq, Tk, C, H } = dm;
  const hd = C / H;
  const scale = o.scale ?? 1 / Math.sqrt(hd);
  const { att } = attentionRef(q, k, v, dm, o);
  const dq = new Float64Array(B * Tq * C);
  const dk = new Float64Array(B * Tk * C);
  const dv = new Float64Array(B * Tk * C);
  const dP = new Float64Array(Tq * Tk);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const base = (b * H + h) * Tq * Tk;
      const qi = (i: number, d: number) => (b * Tq + i) * C + h * hd + d;
      const kj = (j: number, d: number) => (b * Tk + j) * C + h * hd + d;
      // out = Pd·v with Pd = P·mul: dPd = dout·vᵀ, dv = Pdᵀ·dout; dP = dPd·mul
      for (let i = 0; i < Tq; i++) for (let j = 0; j < Tk; j++) {
        const mul = dropMul(base + i * Tk + j, o);
        let s = 0;
        for (let d = 0; d < hd; d++) s += dout[qi(i, d)] * v[kj(j, d)];
        dP[i * Tk + j] = s * mul;
        for (let d = 0; d < hd; d++) dv[kj(j, d)] += att[base + i * Tk + j] * mul * dout[qi(i, d)];
      }
      // P = softmax(S): dS = P·(dP − Σ dP·P); S = q·kᵀ·scale (masked entries have P = 0)
      const dS = softmaxBwdRef(att.subarray(base, base + Tq * Tk), dP, Tq, Tk);
      for (let i = 0; i < Tq; i++) for (let j = 0; j < Tk; j++) {
        const g = dS[i * Tk + j] * scale;
        if (g === 0) continue;
        for (let d = 0; d < hd; d++) {
          dq[qi(i, d)] += g * k[kj(j, d)];
          dk[kj(j, d)] += g * q[qi(i, d)];
        }
      }
    }
  }
  return { dq, dk, dv };
}

/** Splits qkv (B, T, 3C) into q, k, v (B, T, C) each. */
export function splitQKVRef(qkv: ArrayLike<number>, B: number, T: number, C: number): [Float64Array, Float64Array, Float64Array] {
  const parts = [0, 1, 2].map(() => new Float64Array(B * T * C)) as [Float64Array, Float64Array, Float64Array];
  for (let r = 0; r < B * T; r++) for (let p = 0; p < 3; p++) for (let c = 0; c < C; c++) parts[p][r * C + c] = qkv[r * 3 * C + p * C + c];
  return parts;
}

/** attentionRef on the q, k, v slices of qkv (B, T, 3C) (GPT's fused form). */
export function attentionQKVRef(qkv: ArrayLike<number>, B: number, T: number, C: number, H: number, o: AttnRefOptions = {}): { out: Float64Array; att: Float64Array } {
  const [q, k, v] = splitQKVRef(qkv, B, T, C);
  return attentionRef(q, k, v, { B, Tq: T, Tk: T, C, H }, o);
}

/** Backward of attentionQKVRef: dout is (B, T, C); returns dqkv (B, T, 3C). */
export function attentionQKVBwdRef(qkv: ArrayLike<number>, dout: ArrayLike<number>, B: number, T: number, C: number, H: number, o: AttnRefOptions = {}): Float64Array {
  const [q, k, v] = splitQKVRef(qkv, B, T, C);
  const g = attentionBwdRef(q, k, v, dout, { B, Tq: T, Tk: T, C, H }, o);
  const dqkv = new Float64Array(B * T * 3 * C);
  [g.dq, g.dk, g.dv].forEach((part, p) => {
    for (let r = 0; r < B * T; r++) for (let c = 0; c < C; c++) dqkv[r * 3 * C + p * C + c] = part[r * C + c];
  });
  return dqkv;
}
