// Matmul and Linear ops (forward dispatch and backward rule side by side) on one strided, batched,
// accumulating matmul: register-blocked on CPU adapters (shaders/matmul.wgsl), shared-memory tiled on
// GPUs (shaders/matmul_tiled.wgsl). Leaves out: broadcasting beyond "B shared over the batch", f16.
import { QUAD_SHAPES, matmulShader } from '../../shaders/matmul_gen.ts';
import tiledWgsl from '../../shaders/matmul_tiled.wgsl';
import type { Gpu, Kernel } from '../gpu/device.js';
import type { KernelDef } from '../gpu/kernel.js';
import { Tensor, makeNode, gradTarget, checkShape, shapeStr, numel, isGradEnabled } from '../autograd/tensor.js';
import { encodeColSum } from './reduce.js';
import { gelu, encodeUnaryBackwardColSum } from './unary.js';
import { encodeCopy } from './elementwise.js';

/** 'regblock': register blocks (4×8, or 32×16 with a shared A tile, per invocation; fastest on SwiftShader); 'tiled': 64×64 shared-memory tiles (GPUs). */
export type MatmulVariant = 'regblock' | 'tiled';

/** Workgroup of the register-blocked `main` entry: WX×WY invocations, each owning 4 rows × 8 columns of C. */
const WX = 8;
const WY = 8;

/** C block of one workgroup of the `big` entry in the workgroup form: BW invocations × (32 rows × 16 columns); BW = 4 below BIG_WIDE_N columns or where it idles fewer columns. (The quad form's blocks: QUAD_SHAPES.) */
const BIG_ROWS = 32;
const bigWidth = (N: number) => {
  // 4 invocations (64 columns) per workgroup when that leaves fewer idle columns in the last block (N = 64: 64 vs 128;
  // N = 192: 0 vs 64): measured 1.2–1.4× faster at 128×64·64×192 than 8
  const idle = (w: number) => Math.ceil(N / (16 * w)) * 16 * w - N;
  // (in the quad form BW is always 4: encodeMatmul)
  return N < BIG_WIDE_N || idle(4) < idle(8) ? 4 : 8;
};

/**
 * Entry of matmul.wgsl for one product: `row1` for one row of A (a decode step), `big` (32×16 per invocation with a
 * shared A tile, or 64×16 with A's rows shared by quad swaps) where its blocks are filled well enough to beat `main` (4×8 per invocation) and the product is large
 * enough to earn back its compile time, else `main`.
 */
function regblockEntry(M: number, N: number, K: number, tA: boolean, block: 'auto' | 'small' | 'big' | 'quad16'): 'main' | 'row1' | 'big' | 'quad16' {
  if (block === 'big' || block === 'quad16') return block;
  if (M === 1 && !tA) return 'row1';
  if (block === 'small') return 'main';
  return M >= BIG_MIN_M && N >= BIG_MIN_N && K >= BIG_MIN_K && M * N * K >= BIG_MIN_WORK ? 'big' : 'main';
}
const BIG_MIN_M = 32;
const BIG_MIN_N = 32;
const BIG_WIDE_N = 96;
const BIG_MIN_K = 16;
// SwiftShader compiles a `big` pipeline in ~1.7–2.4 s (`main`: 0.13–0.33 s), once per process and specialization
// (layouts, vec4 loads, BW): below this many multiply-adds per batch item the compile is not earned back
const BIG_MIN_WORK = 1 << 18;

/** The variant matmuls use on this device (unless a spec names one): its policy's (gpu.withPolicy changes it). */
export function matmulVariant(gpu: Gpu): MatmulVariant {
  return gpu.policy.matmul;
}

/**
 * One (batched) matmul on raw buffers: for b < batch, m < M, n < N
 *   C(b,m,n) (=|+=) alpha · Σ_k A(b,m,k)·B(b,k,n) + bias[n]
 * with every index in f32 elements:
 *   A(b,m,k) = a[offsetA + b·strideA + m·lda + k]  (transA: a[offsetA + b·strideA + k·lda + m], A stored (K, M))
 *   B(b,k,n) = b[offsetB + b·strideB + k·ldb + n]  (transB: b[offsetB + b·strideB + n·ldb + k], B stored (N, K))
 *   C(b,m,n) = c[offsetC + b·strideC + m·ldc + n]
 */
export interface MatmulSpec {
  a: GPUBuffer;
  b: GPUBuffer;
  /** output; must not alias a, b or bias */
  c: GPUBuffer;
  M: number;
  N: number;
  K: number;
  /** number of matrices (default 1) */
  batch?: number;
  /** A stored (K, M) instead of (M, K) */
  transA?: boolean;
  /** B stored (N, K) instead of (K, N) */
  transB?: boolean;
  /** row pitch of A's stored layout (default K, or M with transA) */
  lda?: number;
  /** row pitch of B's stored layout (default N, or K with transB) */
  ldb?: number;
  /** row pitch of C (default N) */
  ldc?: number;
  /** batch strides in elements (default: dense matrices one after another); strideB 0 shares B over the batch */
  strideA?: number;
  strideB?: number;
  strideC?: number;
  offsetA?: number;
  offsetB?: number;
  offsetC?: number;
  /** true/1: C += …; false/0 (default): C = … (every element of C is written) */
  acc?: boolean | 0 | 1;
  /** [N], added to every row */
  bias?: GPUBuffer;
  /** scale of the product (default 1) */
  alpha?: number;
  /** kernel variant (default: matmulVariant(gpu)) */
  variant?: MatmulVariant;
  /** cap on workgroups per grid dimension before splitting into several dispatches (default: the adapter limit; tests lower it) */
  maxGroupsPerDim?: number;
  /** activation applied to alpha·A·B + bias before the accumulate (both variants): GPT-2's tanh GELU */
  act?: 'gelu_tanh';
  /**
   * Block size of the register-blocked kernel (default 'auto': by shape, see regblockEntry): 'small' = 4×8 of C per
   * invocation (entry `main`, or `row1` for one row), 'big' = 32×16 per invocation with a shared A tile, 64×16 in the
   * quad form (entry `big`), 'quad16' = the quad form's 16 × 16 blocks (entry `quad16`; quad form only). For tests and
   * benchmarks.
   */
  block?: 'auto' | 'small' | 'big' | 'quad16';
  /**
   * Stride form, an alternative to transA/lda etc.: A(m,k) at offset + m·sAm + k·sAk, B(k,n) at
   * k·sBk + n·sBn; one stride of each pair must be 1. sAb/sBb/sCb and oA/oB/oC are the batch strides
   * (default 0 for A and B in this form) and offsets.
   */
  sAm?: number;
  sAk?: number;
  sBk?: number;
  sBn?: number;
  sAb?: number;
  sBb?: number;
  sCb?: number;
  oA?: number;
  oB?: number;
  oC?: number;
}

const SPEC_KEYS = new Set([
  'a', 'b', 'c', 'M', 'N', 'K', 'batch', 'transA', 'transB', 'lda', 'ldb', 'ldc', 'strideA', 'strideB', 'strideC',
  'offsetA', 'offsetB', 'offsetC', 'acc', 'bias', 'alpha', 'variant', 'maxGroupsPerDim', 'act', 'block',
  'sAm', 'sAk', 'sBk', 'sBn', 'sAb', 'sBb', 'sCb', 'oA', 'oB', 'oC',
]);

/** Rewrites the stride form (sAm/sAk/…) into transA/lda/… and rejects unknown or mixed options. */
function normalizeSpec(s: MatmulSpec): MatmulSpec {
  for (const k of Object.keys(s)) if (!SPEC_KEYS.has(k)) throw new Error(`encodeMatmul: unknown option '${k}'`);
  const given = new Set(Object.entries(s).filter(([, v]) => v !== undefined).map(([k]) => k));
  const strideForm = ['sAm', 'sAk', 'sBk', 'sBn', 'sAb', 'sBb', 'sCb', 'oA', 'oB', 'oC'].filter((k) => given.has(k));
  if (strideForm.length === 0) return s;
  const mixed = ['transA', 'transB', 'lda', 'ldb', 'strideA', 'strideB', 'strideC', 'offsetA', 'offsetB', 'offsetC'].filter((k) => given.has(k));
  if (mixed.length) throw new Error(`encodeMatmul: give either the stride form (${strideForm.join(', ')}) or ${mixed.join(', ')}, not both`);
  const pair = (what: string, row: number | undefined, col: number | undefined, rowLen: number, colLen: number): { trans: boolean; ld: number } => {
    // row: stride along the first index (m for A, k for B); col: along the second
    const r = row ?? colLen;
    const c = col ?? 1;
    if (c === 1 || colLen <= 1) return { trans: false, ld: r };
    if (r === 1 || rowLen <= 1) return { trans: true, ld: c };
    throw new Error(`encodeMatmul: ${what} strides (${r}, ${c}): one of them must be 1`);
  };
  const A = pair('A', s.sAm, s.sAk, s.M, s.K);
  const B = pair('B', s.sBk, s.sBn, s.K, s.N);
  return {
    a: s.a, b: s.b, c: s.c, M: s.M, N: s.N, K: s.K, batch: s.batch, ldc: s.ldc,
    transA: A.trans, lda: A.ld, transB: B.trans, ldb: B.ld,
    strideA: s.sAb ?? 0, strideB: s.sBb ?? 0, strideC: s.sCb, offsetA: s.oA, offsetB: s.oB, offsetC: s.oC,
    acc: s.acc, bias: s.bias, alpha: s.alpha, variant: s.variant, maxGroupsPerDim: s.maxGroupsPerDim, act: s.act, block: s.block,
  };
}

function nonNeg(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0) throw new Error(`encodeMatmul: ${name} must be a non-negative integer, got ${v}`);
  return v;
}

/** Checks that the highest element a strided operand touches lies inside its buffer. */
function checkFits(what: string, buf: GPUBuffer, off: number, stride: number, batch: number, rows: number, ld: number, cols: number): void {
  if (rows === 0 || cols === 0 || batch === 0) return;
  const last = off + (batch - 1) * stride + (rows - 1) * ld + (cols - 1);
  if ((last + 1) * 4 > buf.size) throw new Error(`encodeMatmul: ${what} reaches element ${last} but its buffer holds ${Math.floor(buf.size / 4)} floats`);
}

/**
 * Records C (=|+=) alpha·A·B (+ bias) for strided, batched A and B (see MatmulSpec): the building
 * block of the ops below and of ops elsewhere (attention, one-hot embedding). Any M, N, K ≥ 0; K = 0
 * writes bias (or 0). Splits the grid over several dispatches past the per-dimension workgroup limit.
 */
export function encodeMatmul(gpu: Gpu, spec: MatmulSpec): void {
  const s = normalizeSpec(spec);
  const M = nonNeg('M', s.M);
  const N = nonNeg('N', s.N);
  const K = nonNeg('K', s.K);
  const batch = nonNeg('batch', s.batch ?? 1);
  const tA = !!s.transA;
  const tB = !!s.transB;
  const lda = nonNeg('lda', s.lda ?? (tA ? M : K));
  const ldb = nonNeg('ldb', s.ldb ?? (tB ? K : N));
  const ldc = nonNeg('ldc', s.ldc ?? N);
  if (lda < (tA ? M : K)) throw new Error(`encodeMatmul: lda ${lda} is smaller than A's row length ${tA ? M : K}`);
  if (ldb < (tB ? K : N)) throw new Error(`encodeMatmul: ldb ${ldb} is smaller than B's row length ${tB ? K : N}`);
  if (ldc < N) throw new Error(`encodeMatmul: ldc ${ldc} is smaller than N ${N}`);
  const rowsA = tA ? K : M;
  const rowsB = tB ? N : K;
  const sA = nonNeg('strideA', s.strideA ?? rowsA * lda);
  const sB = nonNeg('strideB', s.strideB ?? rowsB * ldb);
  const sC = nonNeg('strideC', s.strideC ?? M * ldc);
  const oA = nonNeg('offsetA', s.offsetA ?? 0);
  const oB = nonNeg('offsetB', s.offsetB ?? 0);
  const oC = nonNeg('offsetC', s.offsetC ?? 0);
  if (M === 0 || N === 0 || batch === 0) return;
  if (s.c === s.a || s.c === s.b || s.c === s.bias) throw new Error('encodeMatmul: the output buffer must not alias an input');
  if (K > 0) {
    checkFits('A', s.a, oA, sA, batch, rowsA, lda, tA ? M : K);
    checkFits('B', s.b, oB, sB, batch, rowsB, ldb, tB ? K : N);
  }
  checkFits('C', s.c, oC, sC, batch, M, ldc, N);
  if (s.bias && s.bias.size < N * 4) throw new Error(`encodeMatmul: bias holds ${Math.floor(s.bias.size / 4)} floats, needs N = ${N}`);
  const variant = s.variant ?? matmulVariant(gpu);
  if (variant !== 'regblock' && variant !== 'tiled') throw new Error(`encodeMatmul: unknown variant '${variant}' (regblock or tiled)`);
  const params = {
    M, N, K, lda, ldb, ldc, sA, sB, sC, oA, oB, oC,
    mBase: 0, nBase: 0, zBase: 0, acc: s.acc ? 1 : 0, hasBias: s.bias ? 1 : 0, alpha: s.alpha ?? 1,
  };
  let k: Kernel;
  let extra: Record<string, number> = {};
  let buffers: Record<string, GPUBuffer>;
  let rowsPer: number;
  let colsPer: number;
  if (s.act !== undefined && s.act !== 'gelu_tanh') throw new Error(`encodeMatmul: unknown act '${s.act}' (gelu_tanh)`);
  if (variant === 'tiled') {
    k = gpu.kernel({ shader: tiledWgsl, entry: 'main' });
    buffers = { A: s.a, Bs: s.b, C: s.c, bias: s.bias ?? s.a };
    extra = { tA: tA ? 1 : 0, tB: tB ? 1 : 0, act: s.act ? 1 : 0 };
    rowsPer = 64;
    colsPer = 64;
  } else {
    // vec4 loads along an operand's contiguous dimension when every vec4 it reads is 16-byte aligned
    const aligned = (buf: GPUBuffer, ...xs: number[]) => buf.size % 16 === 0 && xs.every((x) => x % 4 === 0);
    const VA = aligned(s.a, tA ? M : K, lda, oA, sA);
    const VB = aligned(s.b, tB ? K : N, ldb, oB, sB);
    const block = s.block ?? 'auto';
    if (block !== 'auto' && block !== 'small' && block !== 'big' && block !== 'quad16') throw new Error(`encodeMatmul: unknown block '${block}' (auto, small, big or quad16)`);
    const share = gpu.policy.bigTile;
    if (block === 'quad16' && share !== 'subgroup') throw new Error(`encodeMatmul: block 'quad16' needs the quad form (policy bigTile 'subgroup'; this device's is '${share}')`);
    // the quad form's 16 × 16 entry does what `main` does, ~2× faster on SwiftShader and as cheap to compile
    const cheap = share === 'subgroup' ? 'quad16' : 'main';
    let entry = regblockEntry(M, N, K, tA, block);
    if (entry === 'main' && block === 'auto') entry = cheap;
    // the quad form of `big` needs a workgroup of exactly one quad (4 invocations)
    const BW = share === 'subgroup' ? 4 : bigWidth(N);
    const constants = { WX, WY, TA: tA ? 1 : 0, TB: tB ? 1 : 0, VA: VA ? 1 : 0, VB: VB ? 1 : 0, ACT: s.act ? 1 : 0 };
    const defOf = (e: typeof entry): KernelDef =>
      e === 'big' ? { shader: matmulShader(share), entry: e, constants: { ...constants, BW } } : { shader: matmulShader(e === 'quad16' ? share : 'workgroup', e === 'quad16' ? e : 'big'), entry: e, constants };
    if (entry === 'big' && block === 'auto') {
      // `big`, `quad16` and `main` add the same products in the same order (test/gpu-tiers.test.ts checks the bits):
      // the cheap one (~0.07 s to compile on SwiftShader against ~1 s) serves until `big` is ready (the device's tier
      // policy)
      const t = gpu.kernelTier([defOf('big'), defOf(cheap)]);
      k = t.kernel;
      entry = t.tier === 0 ? 'big' : cheap;
    } else k = gpu.kernel(defOf(entry));
    buffers = { A: s.a, Av: s.a, Bs: s.b, Bv: s.b, C: s.c, bias: s.bias ?? s.a };
    const quad = entry === 'quad16' || (entry === 'big' && share === 'subgroup') ? QUAD_SHAPES[entry] : null;
    rowsPer = quad ? 16 * quad.T : entry === 'row1' ? 1 : entry === 'big' ? BIG_ROWS : 4 * WY;
    colsPer = quad ? 16 * quad.J : entry === 'row1' ? 8 * WX * WY : entry === 'big' ? 16 * BW : 8 * WX;
  }
  const max = Math.min(s.maxGroupsPerDim ?? Infinity, gpu.limits.maxComputeWorkgroupsPerDimension);
  const label = `${batch > 1 ? `${batch}×` : ''}${M}×${K}${tA ? 'ᵀ' : ''}·${K}×${N}${tB ? 'ᵀ' : ''}`;
  const gx = Math.ceil(N / colsPer);
  const gy = Math.ceil(M / rowsPer);
  for (let z0 = 0; z0 < batch; z0 += max) {
    for (let y0 = 0; y0 < gy; y0 += max) {
      for (let x0 = 0; x0 < gx; x0 += max) {
        gpu.dispatch(k, {
          buffers,
          params: { ...params, ...extra, nBase: x0, mBase: y0, zBase: z0 },
          workgroups: [Math.min(max, gx - x0), Math.min(max, gy - y0), Math.min(max, batch - z0)],
          label,
        });
      }
    }
  }
}

/**
 * a: [...batch, M, K] (or [...batch, K, M] with transA); b: [K, N] shared over the batch, or
 * [...batch, K, N] with the same batch dims (or [N, K] / [...batch, N, K] with transB) → [...batch, M, N].
 */
export function matmul(a: Tensor, b: Tensor, opts: { transA?: boolean; transB?: boolean } = {}): Tensor {
  const gpu = a.gpu;
  const tA = !!opts.transA;
  const tB = !!opts.transB;
  if (a.shape.length < 2) throw new Error(`matmul: shape mismatch: a ${shapeStr(a.shape)} needs at least 2 dims (b is ${shapeStr(b.shape)})`);
  const ar = a.shape.length;
  const M = a.shape[ar - (tA ? 1 : 2)];
  const K = a.shape[ar - (tA ? 2 : 1)];
  const batchShape = a.shape.slice(0, -2);
  const batch = numel(batchShape);
  const shared = b.shape.length === 2;
  const bWant = shared ? [] : batchShape;
  checkShape('matmul', `b${tB ? 'ᵀ' : ''} for a${tA ? 'ᵀ' : ''} ${shapeStr(a.shape)}`, b.shape, [...bWant, ...(tB ? [null, K] : [K, null])]);
  const N = b.shape[b.shape.length - (tB ? 2 : 1)];
  const sB = shared ? 0 : K * N;
  // a shared B with row-major A: the batch is just more rows of one (batch·M, K) matrix
  const flat = shared && !tA;
  const out = Tensor.empty(gpu, [...batchShape, M, N], 'matmul');
  if (flat) encodeMatmul(gpu, { a: a.buffer, b: b.buffer, c: out.buffer, M: batch * M, N, K, transB: tB });
  else encodeMatmul(gpu, { a: a.buffer, b: b.buffer, c: out.buffer, M, N, K, batch, transA: tA, transB: tB, strideB: sB });
  return makeNode(out, [a, b], (o) => {
    const dC = o.grad!.buffer; // (batch, M, N)
    // backward of `out = op(A)·op(B)`: dop(A) = dC·op(B)ᵀ, dop(B) = op(A)ᵀ·dC, each written in the operand's stored layout
    const ga = gradTarget(a);
    if (ga) {
      // stored (M, K): dA = dC·op(B)ᵀ; op(B)ᵀ is (N, K): B itself when transB, else B read transposed
      if (flat) encodeMatmul(gpu, { a: dC, b: b.buffer, c: ga.t.buffer, M: batch * M, N: K, K: N, transB: !tB, acc: ga.acc });
      else if (!tA) encodeMatmul(gpu, { a: dC, b: b.buffer, c: ga.t.buffer, M, N: K, K: N, batch, transB: !tB, strideB: sB, acc: ga.acc });
      // stored (K, M): dAᵀ = op(B)·dCᵀ
      else encodeMatmul(gpu, { a: b.buffer, b: dC, c: ga.t.buffer, M: K, N: M, K: N, batch, transA: tB, strideA: sB, transB: true, acc: ga.acc });
    }
    const gb = gradTarget(b);
    if (gb) {
      if (flat) {
        // shared B sums over the batch = one product over all batch·M rows
        // stored (K, N): dB = Aᵀ·dC; stored (N, K): dBᵀ = dCᵀ·A
        if (!tB) encodeMatmul(gpu, { a: a.buffer, b: dC, c: gb.t.buffer, M: K, N, K: batch * M, transA: true, acc: gb.acc });
        else encodeMatmul(gpu, { a: dC, b: a.buffer, c: gb.t.buffer, M: N, N: K, K: batch * M, transA: true, acc: gb.acc });
      } else if (!shared) {
        if (!tB) encodeMatmul(gpu, { a: a.buffer, b: dC, c: gb.t.buffer, M: K, N, K: M, batch, transA: !tA, acc: gb.acc });
        else encodeMatmul(gpu, { a: dC, b: a.buffer, c: gb.t.buffer, M: N, N: K, K: M, batch, transA: true, transB: tA, acc: gb.acc });
      } else {
        // shared B with A stored (K, M) per batch item: one accumulating pass per item
        if (batch === 0 && !gb.acc) gpu.zero(gb.t.buffer, b.bytes);
        for (let z = 0; z < batch; z++) {
          const acc = z > 0 || !!gb.acc;
          if (!tB) encodeMatmul(gpu, { a: a.buffer, b: dC, c: gb.t.buffer, M: K, N, K: M, offsetA: z * M * K, offsetB: z * M * N, acc });
          else encodeMatmul(gpu, { a: dC, b: a.buffer, c: gb.t.buffer, M: N, N: K, K: M, transA: true, transB: true, offsetA: z * M * N, offsetB: z * M * K, acc });
        }
      }
    }
  });
}

/** Checks x [..., in] · w [in, out] (+ bias [out]) for `op`; returns the sizes and the output shape [..., out]. */
function linearDims(op: string, x: Tensor, w: Tensor, bias?: Tensor): { inF: number; outF: number; R: number; shape: number[] } {
  if (x.shape.length === 0) throw new Error(`${op}: shape mismatch: x ${shapeStr(x.shape)} needs a feature dim (weight is ${shapeStr(w.shape)})`);
  const inF = x.shape[x.shape.length - 1];
  checkShape(op, `weight for x ${shapeStr(x.shape)}`, w.shape, [inF, null]);
  const outF = w.shape[1];
  if (bias) checkShape(op, `bias for weight ${shapeStr(w.shape)}`, bias.shape, [outF]);
  return { inF, outF, R: numel(x.shape.slice(0, -1)), shape: [...x.shape.slice(0, -1), outF] };
}

/**
 * gelu_tanh(linear(x, w, bias)): one dispatch (the matmul's GELU epilogue, in both kernel variants) when no gradient
 * is recorded (inference, KV-cache decode); otherwise linear then gelu, since the backward needs the pre-activation.
 */
export function linearGelu(x: Tensor, w: Tensor, bias?: Tensor): Tensor {
  const gpu = x.gpu;
  const recording = isGradEnabled() && [x, w, bias].some((t) => t?.requiresGrad);
  if (recording && bias?.requiresGrad) return linearGeluTrain(x, w, bias);
  if (recording) return gelu(linear(x, w, bias));
  const { inF, outF, R, shape } = linearDims('linearGelu', x, w, bias);
  const out = Tensor.empty(gpu, shape, 'linear_gelu');
  encodeMatmul(gpu, { a: x.buffer, b: w.buffer, c: out.buffer, M: R, N: outF, K: inF, bias: bias?.buffer, act: 'gelu_tanh' });
  return out;
}

/**
 * gelu_tanh(x·w + bias) recording a graph, as one node: forward = the matmul (pre-activation z kept) + GELU (two
 * dispatches, as linear then gelu); backward = GELU's backward and the bias gradient in one dispatch
 * (encodeUnaryBackwardColSum), then dx and dW: one dispatch fewer than gelu(linear(…)), the same bits.
 */
function linearGeluTrain(x: Tensor, w: Tensor, bias: Tensor): Tensor {
  const gpu = x.gpu;
  const { inF, outF, R, shape } = linearDims('linearGelu', x, w, bias);
  const z = Tensor.empty(gpu, shape, 'linear');
  encodeMatmul(gpu, { a: x.buffer, b: w.buffer, c: z.buffer, M: R, N: outF, K: inF, bias: bias.buffer });
  const out = gelu(z); // z records no graph: no node of its own
  return makeNode(out, [x, w, bias], (o) => {
    // backward of `out = gelu(z)`, z = x·W + b: dz = dy·gelu'(z) and db (=|+=) Σ_rows dz in one dispatch
    const dz = gpu.pool.acquire(R * outF * 4, 'linear_gelu.dz');
    const gb = gradTarget(bias)!;
    encodeUnaryBackwardColSum(gpu, 'gelu_tanh', z.buffer, o.grad!.buffer, dz, gb.t.buffer, R, outF, gb.acc);
    linearBackward(dz, x, w, undefined, R, inF, outF);
    gpu.pool.release(dz); // later dispatches that reuse it are ordered after these
  });
}

/** x: [..., in] · w: [in, out] (+ bias [out]) → [..., out]. Weight layout is GPT-2's Conv1D [in, out]. */
export function linear(x: Tensor, w: Tensor, bias?: Tensor): Tensor {
  const gpu = x.gpu;
  const { inF, outF, R, shape } = linearDims('linear', x, w, bias);
  const out = Tensor.empty(gpu, shape, 'linear');
  encodeMatmul(gpu, { a: x.buffer, b: w.buffer, c: out.buffer, M: R, N: outF, K: inF, bias: bias?.buffer });
  return makeNode(out, bias ? [x, w, bias] : [x, w], (o) => linearBackward(o.grad!.buffer, x, w, bias, R, inF, outF));
}

/** backward of `out = x·W + b` from dy (R, out). */
function linearBackward(dy: GPUBuffer, x: Tensor, w: Tensor, bias: Tensor | undefined, R: number, inF: number, outF: number): void {
  const gpu = x.gpu;
  const gx = gradTarget(x); // dx (=|+=) dy·Wᵀ
  if (gx) encodeMatmul(gpu, { a: dy, b: w.buffer, c: gx.t.buffer, M: R, N: inF, K: outF, transB: true, acc: gx.acc });
  const gw = gradTarget(w); // dW += xᵀ·dy over all rows
  if (gw) encodeMatmul(gpu, { a: x.buffer, b: dy, c: gw.t.buffer, M: inF, N: outF, K: R, transA: true, acc: gw.acc });
  const gb = bias ? gradTarget(bias) : null; // db += Σ_rows dy
  if (gb) encodeColSum(gpu, dy, gb.t.buffer, R, outF, gb.acc);
}

/**
 * res + linear(x, w, bias) (a residual connection) as one matmul dispatch: res is copied into the output (a buffer
 * copy, no dispatch) and the matmul accumulates into it. The same numbers as add(res, linear(x, w, bias)).
 * Backward: dres = dy (a copy, or an accumulate when res already has a gradient), then linear's backward.
 */
export function linearResidual(x: Tensor, w: Tensor, bias: Tensor | undefined, res: Tensor): Tensor {
  const gpu = x.gpu;
  const { inF, outF, R, shape } = linearDims('linearResidual', x, w, bias);
  checkShape('linearResidual', `residual for x ${shapeStr(x.shape)} · weight ${shapeStr(w.shape)}`, res.shape, shape);
  const out = Tensor.empty(gpu, shape, 'linear_residual');
  gpu.copy(res.buffer, out.buffer, R * outF * 4);
  encodeMatmul(gpu, { a: x.buffer, b: w.buffer, c: out.buffer, M: R, N: outF, K: inF, bias: bias?.buffer, acc: 1 });
  return makeNode(out, bias ? [x, w, bias, res] : [x, w, res], (o) => {
    const dy = o.grad!.buffer;
    const gr = gradTarget(res); // dres (=|+=) dy
    if (gr) {
      if (gr.acc) encodeCopy(gpu, dy, gr.t.buffer, R * outF, 1);
      else gpu.copy(dy, gr.t.buffer, R * outF * 4);
    }
    linearBackward(dy, x, w, bias, R, inF, outF);
  });
}

/**
 * x: [..., C] · wᵀ (+ bias [V]) for w: [V, C] → [..., V]: the (tied) output head, and torch.nn.Linear's own layout
 * (weight [out, in]) for models loaded as Hugging Face stores them (BERT).
 */
export function linearT(x: Tensor, w: Tensor, bias?: Tensor): Tensor {
  const gpu = x.gpu;
  if (x.shape.length === 0) throw new Error(`linearT: shape mismatch: x ${shapeStr(x.shape)} needs a feature dim (weight is ${shapeStr(w.shape)})`);
  const C = x.shape[x.shape.length - 1];
  checkShape('linearT', `weight for x ${shapeStr(x.shape)}`, w.shape, [null, C]);
  const V = w.shape[0];
  if (bias) checkShape('linearT', `bias for weight ${shapeStr(w.shape)}`, bias.shape, [V]);
  const R = numel(x.shape.slice(0, -1));
  const out = Tensor.empty(gpu, [...x.shape.slice(0, -1), V], 'linearT');
  encodeMatmul(gpu, { a: x.buffer, b: w.buffer, c: out.buffer, M: R, N: V, K: C, transB: true, bias: bias?.buffer });
  return makeNode(out, bias ? [x, w, bias] : [x, w], (o) => {
    const dy = o.grad!.buffer; // (R, V)
    // backward of `out = x·Wᵀ + b`
    const gx = gradTarget(x); // dx (=|+=) dy·W
    if (gx) encodeMatmul(gpu, { a: dy, b: w.buffer, c: gx.t.buffer, M: R, N: C, K: V, acc: gx.acc });
    const gw = gradTarget(w); // dW += dyᵀ·x
    if (gw) encodeMatmul(gpu, { a: dy, b: x.buffer, c: gw.t.buffer, M: V, N: C, K: R, transA: true, acc: gw.acc });
    const gb = bias ? gradTarget(bias) : null; // db += Σ_rows dy
    if (gb) encodeColSum(gpu, dy, gb.t.buffer, R, V, gb.acc);
  });
}
