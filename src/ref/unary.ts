// CPU references for the unary activations (tanh, sigmoid, SiLU, ReLU, GELU erf, GELU tanh), forward
// and backward, in f64 with an f64 erfc (series + continued fraction): test oracles only. Leaves out: speed.
/** The activations these references cover (the same names as ops/unary's UnaryName; the oracle imports nothing it checks). */
export type UnaryName = 'tanh' | 'sigmoid' | 'silu' | 'relu' | 'gelu_erf' | 'gelu_tanh';

/** erfc(z) in f64: Taylor series of erf for |z| < 2, Laplace's continued fraction beyond (|rel err| ~1e-15). */
export function erfcRef(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z <= -2) return 2 - erfcRef(-z);
  if (z < 2) {
    // erf(z) = 2/√π Σ (−1)ⁿ z^(2n+1) / (n!(2n+1))
    let term = z;
    let sum = z;
    for (let n = 1; n < 60; n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (z > 27) return 0; // below f64's range
  // erfc(z) = exp(−z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + …)))), evaluated from the tail
  let f = z;
  for (let k = 80; k >= 1; k--) f = z + k / 2 / f;
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
}

const K = Math.sqrt(2 / Math.PI);
const phi = (v: number) => Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
const sig = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));

/** f and f' per activation, f64. */
export const UNARY_REF: Record<UnaryName, { f: (v: number) => number; df: (v: number) => number }> = {
  tanh: { f: Math.tanh, df: (v) => 1 - Math.tanh(v) ** 2 },
  sigmoid: { f: sig, df: (v) => sig(v) * (1 - sig(v)) },
  silu: { f: (v) => v * sig(v), df: (v) => sig(v) * (1 + v * (1 - sig(v))) },
  relu: { f: (v) => Math.max(v, 0), df: (v) => (v > 0 ? 1 : 0) },
  gelu_erf: { f: (v) => 0.5 * v * erfcRef(-v / Math.SQRT2), df: (v) => 0.5 * erfcRef(-v / Math.SQRT2) + (Math.abs(v) > 40 ? 0 : v * phi(v)) },
  gelu_tanh: {
    f: (v) => 0.5 * v * (1 + Math.tanh(K * (v + 0.044715 * v ** 3))),
    df: (v) => {
      if (Math.abs(v) > 1e6) return v > 0 ? 1 : 0; // v³ overflows f64 near 1e103; the step to f64 precision
      const t = Math.tanh(K * (v + 0.044715 * v ** 3));
      return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * K * (1 + 3 * 0.044715 * v * v);
    },
  },
};

/** x (n) → f(x) (n). */
export function unaryRef(name: UnaryName, x: ArrayLike<number>): Float32Array {
  const { f } = UNARY_REF[name];
  return Float32Array.from(x, (v) => f(v));
}

/** x (n), dy (n) → dx (n) = dy·f'(x). */
export function unaryBwdRef(name: UnaryName, x: ArrayLike<number>, dy: ArrayLike<number>): Float32Array {
  const { df } = UNARY_REF[name];
  return Float32Array.from(x, (v, i) => dy[i] * df(v));
}

/** GPT-2's GELU (tanh): x (n) → 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) (n), in f64. */
export const geluRef = (x: ArrayLike<number>): Float32Array => unaryRef('gelu_tanh', x);
/** x (n), dy (n) → dx (n) = dy·gelu'(x), in f64. */
export const geluBwdRef = (x: ArrayLike<number>, dy: ArrayLike<number>): Float32Array => unaryBwdRef('gelu_tanh', x, dy);
