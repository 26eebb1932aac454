// Matmul and Linear ops: forward dispatch and backward rule side by side, on one strided, batched
// WGSL kernel (shaders/matmul.wgsl) that can accumulate, so parameter grads need no extra kernels.
// Leaves out: a shared-memory tiled variant for GPUs (see README "Known limits").
import matmulWgsl from '../../shaders/matmul.wgsl';
import type { Gpu } from '../gpu/device.js';
import { Tensor, makeNode, gradTarget, checkShape, shapeStr } from '../autograd/tensor.js';

const WX = 8;
const WY = 8;

export interface MatmulSpec {
  a: GPUBuffer;
  b: GPUBuffer;
  c: GPUBuffer;
  M: number;
  N: number;
  K: number;
  batch?: number;
  /** element strides of A: row (m), column (k), batch; base offset oA */
  sAm: number;
  sAk: number;
  sAb?: number;
  oA?: number;
  /** element strides of B: row (k), column (n), batch (0 = shared across the batch); base offset oB */
  sBk: number;
  sBn: number;
  sBb?: number;
  oB?: number;
  /** C is dense (M, N) per batch; batch stride defaults to M·N; base offset oC */
  sCb?: number;
  oC?: number;
  /** 1: C += …; 0: C = … */
  acc?: 0 | 1;
  bias?: GPUBuffer;
  alpha?: number;
}

/**
 * Records C (=|+=) alpha·A·B (+ bias) for strided A and B: the building block of the ops below and
 * of ops elsewhere (one-hot embedding). Splits the batch over several dispatches past the z limit.
 */
export function encodeMatmul(gpu: Gpu, s: MatmulSpec): void {
  const batch = s.batch ?? 1;
  if (s.M === 0 || s.N === 0 || batch === 0) return;
  const k = gpu.kernel({ shader: matmulWgsl, entry: 'main', constants: { WX, WY } });
  const gx = Math.ceil(s.N / (4 * WX));
  const gy = Math.ceil(s.M / (4 * WY));
  const max = gpu.limits.maxComputeWorkgroupsPerDimension;
  if (gx > max || gy > max) throw new Error(`matmul ${s.M}×${s.K}·${s.K}×${s.N}: ${Math.max(gx, gy)} workgroups in one dimension exceeds the adapter limit ${max}`);
  for (let z0 = 0; z0 < batch; z0 += max) {
    const nz = Math.min(max, batch - z0);
    gpu.dispatch(k, {
      buffers: { A: s.a, Bm: s.b, C: s.c, bias: s.bias ?? s.a },
      params: {
        M: s.M, N: s.N, K: s.K, zBase: z0,
        sAm: s.sAm, sAk: s.sAk, sAb: s.sAb ?? 0,
        sBk: s.sBk, sBn: s.sBn, sBb: s.sBb ?? 0,
        sCb: s.sCb ?? s.M * s.N, acc: s.acc ?? 0, hasBias: s.bias ? 1 : 0, alpha: s.alpha ?? 1,
        oA: s.oA ?? 0, oB: s.oB ?? 0, oC: s.oC ?? 0,
      },
      workgroups: [gx, gy, nz],
    });
  }
}

/** out[n] (=|+=) Σ_r x[r, n] for x (R, N): the bias gradient, rows summed in order (deterministic). */
export function encodeColSum(gpu: Gpu, x: GPUBuffer, out: GPUBuffer, R: number, N: number, acc: 0 | 1): void {
  const k = gpu.kernel({ shader: matmulWgsl, entry: 'colsum' });
  gpu.dispatch(k, { buffers: { X: x, out }, params: { R, N, acc }, workgroups: gpu.grid(N, 64) });
}

/**
 * a: [...batch, M, K] (or [..., K, M] with transA); b: [K, N] shared over the batch, or
 * [...batch, K, N] (or [N, K] / [..., N, K] with transB) → [...batch, M, N].
 */
export function matmul(a: Tensor, b: Tensor, opts: { transA?: boolean; transB?: boolean } = {}): Tensor {
  const gpu = a.gpu;
  if (a.shape.length < 2 || b.shape.length < 2) throw new Error(`matmul: needs 2-D or batched operands, got ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  const tA = !!opts.transA;
  const tB = !!opts.transB;
  const ar = a.shape.length;
  const br = b.shape.length;
  const M = tA ? a.shape[ar - 1] : a.shape[ar - 2];
  const K = tA ? a.shape[ar - 2] : a.shape[ar - 1];
  const Kb = tB ? b.shape[br - 1] : b.shape[br - 2];
  const N = tB ? b.shape[br - 2] : b.shape[br - 1];
  const batchShape = a.shape.slice(0, -2);
  const batch = batchShape.reduce((x, y) => x * y, 1);
  const shared = br === 2;
  if (Kb !== K || (!shared && b.shape.slice(0, -2).join(',') !== batchShape.join(','))) {
    throw new Error(`matmul: shape mismatch: a ${shapeStr(a.shape)}${tA ? 'ᵀ' : ''} and b ${shapeStr(b.shape)}${tB ? 'ᵀ' : ''} cannot be multiplied`);
  }
  // element strides of the stored layouts: A is (M, K) or (K, M); B is (K, N) or (N, K)
  const sa = tA ? { m: 1, k: M } : { m: K, k: 1 };
  const sb = tB ? { k: 1, n: K } : { k: N, n: 1 };
  const sBb = shared ? 0 : K * N;
  const out = Tensor.empty(gpu, [...batchShape, M, N], 'matmul');
  encodeMatmul(gpu, { a: a.buffer, b: b.buffer, c: out.buffer, M, N, K, batch, sAm: sa.m, sAk: sa.k, sAb: M * K, sBk: sb.k, sBn: sb.n, sBb });
  return makeNode(out, [a, b], (o) => {
    const dC = o.grad!.buffer; // (batch, M, N)
    // backward of `out = A·B`: dA = dC·Bᵀ, dB = Aᵀ·dC, each written in the operand's stored layout
    const ga = gradTarget(a);
    if (ga) {
      if (!tA) encodeMatmul(gpu, { a: dC, b: b.buffer, c: ga.t.buffer, M, N: K, K: N, batch, sAm: N, sAk: 1, sAb: M * N, sBk: sb.n, sBn: sb.k, sBb, acc: ga.acc });
      // stored (K, M): dAᵀ = B·dCᵀ
      else encodeMatmul(gpu, { a: b.buffer, b: dC, c: ga.t.buffer, M: K, N: M, K: N, batch, sAm: sb.k, sAk: sb.n, sAb: sBb, sBk: 1, sBn: N, sBb: M * N, acc: ga.acc });
    }
    const gb = gradTarget(b);
    if (gb) {
      // a shared B sums its gradient over the batch: one accumulating pass per batch item
      const passes = shared ? batch : 1;
      const bt = shared ? 1 : batch;
      for (let z = 0; z < passes; z++) {
        const acc: 0 | 1 = z > 0 ? 1 : gb.acc;
        const oA = shared ? z * M * K : 0;
        const oD = shared ? z * M * N : 0;
        // stored (K, N): dB = Aᵀ·dC
        if (!tB) encodeMatmul(gpu, { a: a.buffer, b: dC, c: gb.t.buffer, M: K, N, K: M, batch: bt, sAm: sa.k, sAk: sa.m, sAb: M * K, oA, sBk: N, sBn: 1, sBb: M * N, oB: oD, acc });
        // stored (N, K): dBᵀ = dCᵀ·A
        else encodeMatmul(gpu, { a: dC, b: a.buffer, c: gb.t.buffer, M: N, N: K, K: M, batch: bt, sAm: 1, sAk: N, sAb: M * N, oA: oD, sBk: sa.m, sBn: sa.k, sBb: M * K, oB: oA, acc });
      }
    }
  });
}

/** x: [..., in] · w: [in, out] (+ bias [out]) → [..., out]. Weight layout is GPT-2's Conv1D [in, out]. */
export function linear(x: Tensor, w: Tensor, bias?: Tensor): Tensor {
  const gpu = x.gpu;
  const inF = x.shape[x.shape.length - 1];
  checkShape('linear', 'weight', w.shape, [inF, null]);
  const outF = w.shape[1];
  if (bias) checkShape('linear', 'bias', bias.shape, [outF]);
  const R = x.size / inF;
  const out = Tensor.empty(gpu, [...x.shape.slice(0, -1), outF], 'linear');
  encodeMatmul(gpu, { a: x.buffer, b: w.buffer, c: out.buffer, M: R, N: outF, K: inF, sAm: inF, sAk: 1, sBk: outF, sBn: 1, bias: bias?.buffer });
  return makeNode(out, bias ? [x, w, bias] : [x, w], (o) => {
    const dy = o.grad!.buffer; // (R, out)
    // backward of `out = x·W + b`
    const gx = gradTarget(x); // dx = dy·Wᵀ
    if (gx) encodeMatmul(gpu, { a: dy, b: w.buffer, c: gx.t.buffer, M: R, N: inF, K: outF, sAm: outF, sAk: 1, sBk: 1, sBn: outF, acc: gx.acc });
    const gw = gradTarget(w); // dW += xᵀ·dy
    if (gw) encodeMatmul(gpu, { a: x.buffer, b: dy, c: gw.t.buffer, M: inF, N: outF, K: R, sAm: 1, sAk: inF, sBk: outF, sBn: 1, acc: gw.acc });
    const gb = bias ? gradTarget(bias) : null; // db += Σ_rows dy
    if (gb) encodeColSum(gpu, dy, gb.t.buffer, R, outF, gb.acc);
  });
}

/** x: [..., C] · wᵀ for w: [V, C] → [..., V]: the (tied) output head. */
export function linearT(x: Tensor, w: Tensor): Tensor {
  const gpu = x.gpu;
  const C = x.shape[x.shape.length - 1];
  checkShape('linearT', 'weight', w.shape, [null, C]);
  const V = w.shape[0];
  const R = x.size / C;
  const out = Tensor.empty(gpu, [...x.shape.slice(0, -1), V], 'linearT');
  encodeMatmul(gpu, { a: x.buffer, b: w.buffer, c: out.buffer, M: R, N: V, K: C, sAm: C, sAk: 1, sBk: 1, sBn: C });
  return makeNode(out, [x, w], (o) => {
    const dy = o.grad!.buffer; // (R, V)
    // backward of `out = x·Wᵀ`
    const gx = gradTarget(x); // dx = dy·W
    if (gx) encodeMatmul(gpu, { a: dy, b: w.buffer, c: gx.t.buffer, M: R, N: C, K: V, sAm: V, sAk: 1, sBk: C, sBn: 1, acc: gx.acc });
    const gw = gradTarget(w); // dW += dyᵀ·x
    if (gw) encodeMatmul(gpu, { a: dy, b: x.buffer, c: gw.t.buffer, M: V, N: C, K: R, sAm: 1, sAk: V, sBk: C, sBn: 1, acc: gw.acc });
  });
}
