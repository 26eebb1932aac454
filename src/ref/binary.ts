// CPU references for the binary ops (add, sub, mul with leading-dim broadcasting): plain loops over the
// flat output index with operand index i % size, f64 sums for the broadcast gradients; test oracles only.
// Leaves out: any speed, general NumPy broadcasting (the ops have none).

export type BinaryRefName = 'add' | 'sub' | 'mul';
const F: Record<BinaryRefName, (x: number, y: number) => number> = { add: (x, y) => x + y, sub: (x, y) => x - y, mul: (x, y) => x * y };

/** a (na), b (nb) → out (n = max(na, nb)): out[i] = a[i % na] OP b[i % nb] (one size divides the other). */
export function binaryRef(name: BinaryRefName, a: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  const n = Math.max(a.length, b.length);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = F[name](a[i % a.length], b[i % b.length]);
  return out;
}

/** Backward: dy (n) → { da (na), db (nb) }, each summed over the rows its operand was repeated on. */
export function binaryBwdRef(name: BinaryRefName, a: ArrayLike<number>, b: ArrayLike<number>, dy: ArrayLike<number>): { da: Float32Array; db: Float32Array } {
  const da = new Float64Array(a.length);
  const db = new Float64Array(b.length);
  for (let i = 0; i < dy.length; i++) {
    const [ia, ib] = [i % a.length, i % b.length];
    da[ia] += name === 'mul' ? dy[i] * b[ib] : dy[i];
    db[ib] += name === 'mul' ? dy[i] * a[ia] : name === 'sub' ? -dy[i] : dy[i];
  }
  return { da: Float32Array.from(da), db: Float32Array.from(db) };
}

/** a (n) + b (nb) broadcast over a's leading dims (nb divides n): out[i] = a[i] + b[i % nb]. */
export function addRef(a: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  return binaryRef('add', a, b);
}

/** Backward of add for b: db (nb) = Σ over the n/nb broadcast rows of dy (n); f64 sums. */
export function addBwdBRef(dy: ArrayLike<number>, nb: number): Float32Array {
  const out = new Float64Array(nb);
  for (let i = 0; i < dy.length; i++) out[i % nb] += dy[i];
  return Float32Array.from(out);
}
