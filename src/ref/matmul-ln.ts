// CPU reference for layerNormLinear (shaders/matmul_ln.wgsl): LayerNorm's reference, then the linear's (or the
// transposed head's), then GPT-2's tanh GELU; f64 sums, test oracle only. Leaves out: gradients (the op has none).
import { layerNormRef } from './layernorm.js';
import { linearRef, linearTRef } from './matmul.js';
import { unaryRef } from './unary.js';

/** x (R, K), LayerNorm lnw/lnb (K), w (K, N) or transposed (N, K), bias (N) or null → (R, N). */
export function layerNormLinearRef(
  x: ArrayLike<number>, lnw: ArrayLike<number>, lnb: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | null,
  R: number, K: number, N: number, o: { eps?: number; transposed?: boolean; act?: 'gelu_tanh' } = {},
): Float32Array {
  const { y } = layerNormRef(x, lnw, lnb, R, K, o.eps ?? 1e-5);
  let out = o.transposed ? linearTRef(y, w, R, K, N) : linearRef(y, w, bias, R, K, N);
  if (o.transposed && bias) out = out.map((v, i) => v + bias[i % N]);
  return o.act === 'gelu_tanh' ? unaryRef('gelu_tanh', out) : out;
}
