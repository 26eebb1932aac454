// layerNormLinear: LayerNorm fused into the linear that consumes it, one dispatch, for KV-cache decode (few rows):
// GPT's ln_1 → qkv, ln_2 → fc (+ GELU), ln_f → head. Leaves out: gradients (inference only; training keeps the
// separate ops), K > 2048 (workgroup memory, within WebGPU's default 16 KiB; layerNormLinearFits says when it applies).
import lnMmWgsl from '../../shaders/matmul_ln.wgsl';
import { Tensor, checkShape, numel, shapeStr, isGradEnabled } from '../autograd/tensor.js';

/** Most features the fused kernel normalises (its workgroup array). */
export const LN_LINEAR_MAX_K = 2048;

/** Workgroups per row (each covers every LN_LINEAR_GROUPS-th 512-column block). */
export const LN_LINEAR_GROUPS = 8;

/**
 * Widest output the GPT fuses its final LayerNorm into (the head). Measured on SwiftShader (small preset, main's build
 * vs this one, alternating tokens): with a fused 50,257-column head decoding ran at 0.92× main's speed (28 of 80
 * pairs faster), without it 1.02× (43 of 80); a 1,413-column head fused: 1.04× (105 of 200).
 */
export const LN_LINEAR_MAX_HEAD = 4096;

/** Whether layerNormLinear takes rows of K features (and rows ≤ maxRows, where it beats LayerNorm + matmul). */
export function layerNormLinearFits(x: Tensor, maxRows = 4): boolean {
  const K = x.shape[x.shape.length - 1];
  return x.shape.length > 0 && K >= 1 && K <= LN_LINEAR_MAX_K && numel(x.shape.slice(0, -1)) <= maxRows;
}

export interface LayerNormLinearOptions {
  /** LayerNorm eps (default 1e-5) */
  eps?: number;
  /** w is stored [out, in] (the tied output head, linearT); default [in, out] (linear) */
  transposed?: boolean;
  /** GPT-2's tanh GELU on the result (linearGelu) */
  act?: 'gelu_tanh';
}

/**
 * linear(layerNorm(x, lnWeight, lnBias, eps), w, bias) (or linearT with `transposed`, gelu_tanh of it with `act`)
 * for x [..., K] → [..., N], in one dispatch and without a graph: the same LayerNorm arithmetic, the product summed
 * in one order per column (not the register-blocked kernel's), so equal to the separate ops to float rounding.
 */
export function layerNormLinear(x: Tensor, lnWeight: Tensor, lnBias: Tensor, w: Tensor, bias?: Tensor, o: LayerNormLinearOptions = {}): Tensor {
  const gpu = x.gpu;
  if (isGradEnabled() && [x, lnWeight, lnBias, w, bias].some((t) => t?.requiresGrad)) throw new Error('layerNormLinear: inference only (no gradient); use layerNorm then linear when training');
  if (x.shape.length === 0) throw new Error(`layerNormLinear: x is a scalar; it needs a feature dim (weight is ${shapeStr(w.shape)})`);
  const K = x.shape[x.shape.length - 1];
  if (K > LN_LINEAR_MAX_K) throw new Error(`layerNormLinear: ${K} features; the fused kernel normalises at most ${LN_LINEAR_MAX_K}`);
  checkShape('layerNormLinear', 'LayerNorm weight', lnWeight.shape, [K]);
  checkShape('layerNormLinear', 'LayerNorm bias', lnBias.shape, [K]);
  checkShape('layerNormLinear', `weight for x ${shapeStr(x.shape)}`, w.shape, o.transposed ? [null, K] : [K, null]);
  const N = w.shape[o.transposed ? 0 : 1];
  if (bias) checkShape('layerNormLinear', `bias for weight ${shapeStr(w.shape)}`, bias.shape, [N]);
  const eps = o.eps ?? 1e-5;
  if (!(eps > 0)) throw new Error(`layerNormLinear: eps must be > 0, got ${eps}`);
  const R = numel(x.shape.slice(0, -1));
  const out = Tensor.empty(gpu, [...x.shape.slice(0, -1), N], 'layernorm_linear');
  if (R === 0 || N === 0) return out;
  if (R > gpu.limits.maxComputeWorkgroupsPerDimension) throw new Error(`layerNormLinear: ${R} rows exceed the ${gpu.limits.maxComputeWorkgroupsPerDimension} workgroups of one grid dimension`);
  const TB = !!o.transposed;
  const VB = (TB ? K : N) % 4 === 0;
  const k = gpu.kernel({ shader: lnMmWgsl, constants: { KMAX4: Math.max(16, 2 ** Math.ceil(Math.log2(Math.ceil(K / 4)))), TB: TB ? 1 : 0, VB: VB ? 1 : 0, ACT: o.act === 'gelu_tanh' ? 1 : 0 } });
  // at most LN_LINEAR_GROUPS workgroups per row, each looping over 512-column blocks: the row is normalised once per
  // workgroup, behind two barriers (costly on SwiftShader)
  const groups = Math.min(Math.ceil(N / 512), LN_LINEAR_GROUPS);
  gpu.dispatch(k, {
    buffers: { x: x.buffer, lnw: lnWeight.buffer, lnb: lnBias.buffer, Bs: w.buffer, Bv: w.buffer, bias: (bias ?? w).buffer, C: out.buffer },
    params: { R, N, K, eps, hasBias: bias ? 1 : 0, stride: groups * 512 },
    workgroups: [groups, R],
  });
  return out;
}
