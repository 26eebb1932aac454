// CPU references for the shape ops (slice, concat, transpose of two axes) on flat row-major arrays with
// explicit shapes: plain index loops, test oracles only. Leaves out: speed; reshape (the identity on data).

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** x (shape) → x[..., start:end, ...] along axis. */
export function sliceRef(x: ArrayLike<number>, shape: number[], axis: number, start: number, end: number): Float32Array {
  const [outer, D, inner] = [prod(shape.slice(0, axis)), shape[axis], prod(shape.slice(axis + 1))];
  const L = end - start;
  const out = new Float32Array(outer * L * inner);
  for (let o = 0; o < outer; o++) for (let l = 0; l < L; l++) for (let i = 0; i < inner; i++) out[(o * L + l) * inner + i] = x[(o * D + start + l) * inner + i];
  return out;
}

/** Backward of slice: dy (slice shape) → dx (shape): dy inside [start, end) along axis, 0 elsewhere. */
export function sliceBwdRef(dy: ArrayLike<number>, shape: number[], axis: number, start: number, end: number): Float32Array {
  const [outer, D, inner] = [prod(shape.slice(0, axis)), shape[axis], prod(shape.slice(axis + 1))];
  const L = end - start;
  const out = new Float32Array(outer * D * inner);
  for (let o = 0; o < outer; o++) for (let l = 0; l < L; l++) for (let i = 0; i < inner; i++) out[(o * D + start + l) * inner + i] = dy[(o * L + l) * inner + i];
  return out;
}

/** xs (shapes equal except along axis) → their concatenation along axis. */
export function concatRef(xs: ArrayLike<number>[], shapes: number[][], axis: number): Float32Array {
  const outer = prod(shapes[0].slice(0, axis));
  const inner = prod(shapes[0].slice(axis + 1));
  const D = shapes.reduce((s, sh) => s + sh[axis], 0);
  const out = new Float32Array(outer * D * inner);
  let start = 0;
  xs.forEach((x, k) => {
    const L = shapes[k][axis];
    for (let o = 0; o < outer; o++) for (let l = 0; l < L; l++) for (let i = 0; i < inner; i++) out[(o * D + start + l) * inner + i] = x[(o * L + l) * inner + i];
    start += L;
  });
  return out;
}

/** x (shape) → x with dims d0 and d1 exchanged (any rank), by full multi-index arithmetic. */
export function transposeRef(x: ArrayLike<number>, shape: number[], d0: number, d1: number): Float32Array {
  const r = shape.length;
  const outShape = [...shape];
  [outShape[d0], outShape[d1]] = [shape[d1], shape[d0]];
  const out = new Float32Array(prod(shape));
  const idx = new Array<number>(r).fill(0);
  for (let k = 0; k < out.length; k++) {
    // idx = multi-index of x's flat k
    let q = k;
    for (let a = r - 1; a >= 0; a--) {
      idx[a] = q % shape[a];
      q = Math.floor(q / shape[a]);
    }
    const oi = [...idx];
    [oi[d0], oi[d1]] = [idx[d1], idx[d0]];
    let f = 0;
    for (let a = 0; a < r; a++) f = f * outShape[a] + oi[a];
    out[f] = x[k];
  }
  return out;
}
