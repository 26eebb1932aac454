// CPU reference for the packed-f16 matmul (test oracle only): f32 → f16 bits (round to nearest even, IEEE half:
// subnormals, ±inf past 65504), f16 bits → number, and the product through the plain-loop matmul on the unpacked weight.
import { matmulRef } from './matmul.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 half bits of the f32 value x, rounded to nearest even. */
export function f32ToF16BitsRef(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const man = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man ? 0x200 : 0); // inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    const m = man | 0x800000; // subnormal: shift the implicit 1 in
    const shift = 14 - e;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (man >>> 13);
  const rem = man & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++; // may carry into the exponent: still correct (up to inf)
  return sign | h;
}

export function f16BitsToNumberRef(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** w rounded to f16 and back. */
export function roundF16Ref(w: ArrayLike<number>): Float32Array {
  return Float32Array.from(w, (v) => f16BitsToNumberRef(f32ToF16BitsRef(v)));
}

/** out (M, N) = a (M, K) · op(W rounded to f16) (+ bias): W is (K, N), or (N, K) when transB. */
export function matmulF16Ref(a: ArrayLike<number>, w: ArrayLike<number>, M: number, N: number, K: number, transB: boolean, bias?: ArrayLike<number>): Float32Array {
  const out = matmulRef(a, roundF16Ref(w), M, N, K, false, transB);
  if (bias) for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) out[m * N + n] += bias[n];
  return out;
}
