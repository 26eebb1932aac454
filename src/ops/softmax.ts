// Softmax over the last dim (optionally masked and/or causal) and the course's causal mask, each forward
// dispatch with its backward rule beside it; also the row-softmax encoders attention.ts builds on.
// Leaves out: log-softmax (fused into ops/loss.ts's cross-entropy) and GPU-side masks (masks are host 0/1).
import softmaxWgsl from '../../shaders/softmax.wgsl';
import maskWgsl from '../../shaders/causal_mask.wgsl';
import type { Gpu } from '../gpu/device.js';
import { Tensor, makeNode, gradTarget, shapeStr } from '../autograd/tensor.js';

const WG = 64;

/**
 * Rows of a softmax: row r has n columns and uses j < min(n, q0 + r % Tq + 1) (the causal window;
 * q0 ≥ n: all of them) and, with `mask`, the columns where mask[(r / group)·n + j] ≠ 0.
 */
export interface RowSpec {
  rows: number;
  n: number;
  Tq: number;
  q0: number;
  /** consecutive rows sharing one mask row; rows / group mask rows of n entries */
  group: number;
  /** u32 0/1 buffer of (rows / group)·n entries, or none */
  mask?: GPUBuffer;
}

/** All columns of every row, no mask. */
export function plainRows(rows: number, n: number): RowSpec {
  return { rows, n, Tq: 1, q0: n, group: 1 };
}

const noMask = new WeakMap<Gpu, GPUBuffer>();
/** A 4-byte buffer bound as `keep` when there is no mask (never read then: masked = 0). */
function dummyMask(gpu: Gpu): GPUBuffer {
  let b = noMask.get(gpu);
  if (!b || !gpu.pool.isLive(b)) {
    b = gpu.buffer(new Uint32Array([1]), 'softmax.nomask');
    gpu.pool.keep(b);
    noMask.set(gpu, b);
  }
  return b;
}

/**
 * Uploads a host 0/1 mask as u32 (one small upload per call). Checks its length and values; the caller
 * releases the buffer (it is only read by the forward dispatch).
 */
export function uploadMask(gpu: Gpu, op: string, what: string, mask: ArrayLike<number>, want: number, shapeDesc: string): GPUBuffer {
  if (mask.length !== want) throw new Error(`${op}: ${what} has ${mask.length} entries, expected ${want} (${shapeDesc})`);
  const u = new Uint32Array(want);
  for (let i = 0; i < want; i++) {
    const m = mask[i];
    if (m !== 0 && m !== 1) throw new Error(`${op}: ${what}[${i}] is ${m}; entries must be 0 (masked) or 1 (kept)`);
    u[i] = m;
  }
  return gpu.buffer(u, `${op}.mask`);
}

/** y = softmax(x) per row; with `drop`, also yd = y·keep/(1−p) (keep from the seeded hash). */
export function encodeSoftmaxFwd(gpu: Gpu, s: RowSpec, x: GPUBuffer, y: GPUBuffer, drop?: { yd: GPUBuffer; seed: number; thr: number; keepScale: number }): void {
  if (s.rows === 0 || s.n === 0) return;
  const params = {
    rows: s.rows, n: s.n, Tq: s.Tq, q0: s.q0, group: s.group, masked: s.mask ? 1 : 0,
    seed: drop?.seed ?? 0, thr: drop?.thr ?? 0, keepScale: drop?.keepScale ?? 1,
  };
  const keep = s.mask ?? dummyMask(gpu);
  const k = gpu.kernel({ shader: softmaxWgsl, entry: drop ? 'softmax_fwd_drop' : 'softmax_fwd', constants: { WG } });
  gpu.dispatch(k, { buffers: drop ? { x, y, yd: drop.yd, keep } : { x, y, keep }, params, workgroups: gpu.grid(s.rows, WG) });
}

/** dx (=|+=) scale·y·(dy − Σ dy·y), or with yd: scale·(yd·dy − y·Σ yd·dy). Needs no mask (y = 0 there). */
export function encodeSoftmaxBwd(gpu: Gpu, s: RowSpec, y: GPUBuffer, dy: GPUBuffer, dx: GPUBuffer, acc: 0 | 1, scale: number, yd?: GPUBuffer): void {
  if (s.rows === 0 || s.n === 0) return;
  const params = { rows: s.rows, n: s.n, Tq: s.Tq, q0: s.q0, scale, acc };
  const k = gpu.kernel({ shader: softmaxWgsl, entry: yd ? 'softmax_bwd_drop' : 'softmax_bwd', constants: { WG } });
  gpu.dispatch(k, { buffers: yd ? { ys: y, yds: yd, dy, dx } : { ys: y, dy, dx }, params, workgroups: gpu.grid(s.rows, WG) });
}

export interface SoftmaxOptions {
  /**
   * host 0/1 mask, 1 = use the entry: M·N entries for x [..., N] (a [M, N] mask), where M divides the
   * number of rows R and each mask row serves R/M consecutive rows (so [B, N] masks x [B, H, T, N] per
   * batch, like Hugging Face's [B, 1, 1, N] attention mask; [R, N] masks every row on its own)
   */
  mask?: ArrayLike<number>;
  /** x is [..., Tq, N] with Tq ≤ N: row i uses columns j ≤ N − Tq + i (square: the lower triangle) */
  causal?: boolean;
}

/**
 * Softmax over the last dim of x [..., N], numerically stable (max-shifted). Masked entries, entries past
 * the causal window and −inf entries get probability 0; a row with nothing left gives all zeros (PyTorch
 * gives NaN there). Backward: dx = y·(dy − Σ dy·y) (0 at masked entries).
 */
export function softmax(x: Tensor, o: SoftmaxOptions = {}): Tensor {
  const r = x.shape.length;
  if (r < 1) throw new Error(`softmax: needs at least one dim, got ${shapeStr(x.shape)}`);
  const gpu = x.gpu;
  const n = x.shape[r - 1];
  const rows = n === 0 ? 0 : x.size / n;
  const spec = plainRows(rows, n);
  if (o.causal) {
    const Tq = r >= 2 ? x.shape[r - 2] : 0;
    if (r < 2 || Tq > n) throw new Error(`softmax: causal needs x [..., Tq, N] with Tq ≤ N, got ${shapeStr(x.shape)}`);
    Object.assign(spec, { Tq: Math.max(1, Tq), q0: n - Tq });
  }
  const y = Tensor.empty(gpu, x.shape.slice(), 'softmax');
  if (o.mask) {
    const len = o.mask.length;
    const M = n === 0 ? 0 : len / n;
    if (n === 0 || !Number.isInteger(M) || M < 1 || rows % M !== 0) {
      throw new Error(`softmax: mask has ${len} entries; for x ${shapeStr(x.shape)} it must be M·${n} with M dividing ${rows} rows`);
    }
    spec.group = rows / M;
    spec.mask = uploadMask(gpu, 'softmax', 'mask', o.mask, len, `[${M}, ${n}]`);
    encodeSoftmaxFwd(gpu, spec, x.buffer, y.buffer);
    gpu.pool.release(spec.mask);
    spec.mask = undefined;
  } else encodeSoftmaxFwd(gpu, spec, x.buffer, y.buffer);
  return makeNode(y, [x], (out) => {
    const g = gradTarget(x);
    // backward of y = softmax(x) (the forward line above): dx = y·(dy − Σ dy·y)
    if (g) encodeSoftmaxBwd(gpu, spec, out.buffer, out.grad!.buffer, g.t.buffer, g.acc, 1);
  });
}

// ---- causal mask (shaders/causal_mask.wgsl) -------------------------------------------------------

/**
 * The course's `scores.masked_fill(triu(ones(T, T), diagonal=1).bool(), -inf)` on scores [..., T, T]:
 * entries above the diagonal (key j > query i) become −inf; backward passes dy where j ≤ i, 0 above.
 */
export function causalMask(scores: Tensor): Tensor {
  const r = scores.shape.length;
  if (r < 2 || scores.shape[r - 1] !== scores.shape[r - 2]) {
    throw new Error(`causalMask: scores must be [..., T, T], got ${shapeStr(scores.shape)}`);
  }
  const gpu = scores.gpu;
  const T = scores.shape[r - 1];
  const n = scores.size;
  const y = Tensor.empty(gpu, scores.shape.slice(), 'causalMask');
  if (n > 0) {
    const k = gpu.kernel({ shader: maskWgsl, entry: 'mask_fwd', constants: { WG } });
    gpu.dispatch(k, { buffers: { x: scores.buffer, y: y.buffer }, params: { n, T }, workgroups: gpu.grid(n, WG) });
  }
  return makeNode(y, [scores], (out) => {
    const g = gradTarget(scores);
    if (!g || n === 0) return;
    // backward of y = select(x, −inf, j > i) (mask_fwd): dx = dy where j ≤ i, 0 where masked
    const k = gpu.kernel({ shader: maskWgsl, entry: 'mask_bwd', constants: { WG } });
    gpu.dispatch(k, { buffers: { dy: out.grad!.buffer, dx: g.t.buffer }, params: { n, T, acc: g.acc }, workgroups: gpu.grid(n, WG) });
  });
}
