// Unary activations (tanh, sigmoid, SiLU, ReLU, GELU erf, GELU tanh) from one WGSL template
// (shaders/unary.wgsl, an override constant picks the function), forward and backward side by side,
// and `activation(name)` for Hugging Face config names. Leaves out: in-place variants, parameterised
// activations (leaky ReLU slope, ELU alpha).
import unaryWgsl from '../../shaders/unary.wgsl';
import type { Gpu } from '../gpu/device.js';
import { Tensor, makeNode, gradTarget } from '../autograd/tensor.js';

/** The activations of shaders/unary.wgsl, by their ACT override value. */
const ACT = { tanh: 0, sigmoid: 1, silu: 2, relu: 3, gelu_erf: 4, gelu_tanh: 5 } as const;
export type UnaryName = keyof typeof ACT;

/** out = f(x) elementwise, f one of the template's activations. Backward: dx (=|+=) dy·f'(x). */
export function unary(x: Tensor, name: UnaryName): Tensor {
  const act = ACT[name];
  if (act === undefined) throw new Error(`unary: unknown function '${name}' (known: ${Object.keys(ACT).join(', ')})`);
  const gpu = x.gpu;
  const constants = { ACT: act };
  const out = Tensor.empty(gpu, [...x.shape], name);
  const n = x.size;
  const v4 = n % 4 === 0;
  const wg = v4 ? gpu.grid(Math.ceil(n / 4 / UNARY_PER), 64) : gpu.grid(n, 64);
  const k4 = (entry: string) => gpu.kernel({ shader: unaryWgsl, entry: v4 ? `${entry}4` : entry, constants: v4 ? { ...constants, PER: UNARY_PER } : constants });
  gpu.dispatch(k4('forward'), { buffers: v4 ? { x4: x.buffer, out4: out.buffer } : { x: x.buffer, out: out.buffer }, params: { n, acc: 0 }, workgroups: wg });
  return makeNode(out, [x], (o) => {
    // backward of `out = f(x)`: dx = dy·f'(x)
    const t = gradTarget(x);
    if (!t) return;
    const buffers: Record<string, GPUBuffer> = v4 ? { x4: x.buffer, dy4: o.grad!.buffer, out4: t.t.buffer } : { x: x.buffer, dy: o.grad!.buffer, out: t.t.buffer };
    gpu.dispatch(k4('backward'), { buffers, params: { n, acc: t.acc }, workgroups: wg });
  });
}

/**
 * vec4s per invocation of the vec4 entries forward4 and backward4 (their override PER): SwiftShader pays per
 * invocation (docs/perf.md, issue #26).
 */
const UNARY_PER = 8;

/**
 * Records dx = dy·f'(x) for x, dy (R, N) (dx written =) and db (=|+= by bacc) = the column sums of dx, in one dispatch:
 * the backward of f(linear(…)) up to the linear's own matmuls (the same bits as unary's backward, then colsum).
 */
export function encodeUnaryBackwardColSum(gpu: Gpu, name: UnaryName, x: GPUBuffer, dy: GPUBuffer, dx: GPUBuffer, db: GPUBuffer, R: number, N: number, bacc: 0 | 1): void {
  if (N % 4 === 0) {
    // four adjacent columns per invocation through vec4 views: the same sums, a quarter of the load instructions
    const k = gpu.kernel({ shader: unaryWgsl, entry: 'backward_colsum4', constants: { ACT: ACT[name] } });
    gpu.dispatch(k, { buffers: { x4: x, dy4: dy, out4: dx, db4: db }, params: { R, N, bacc }, workgroups: gpu.grid(N / 4, 64) });
    return;
  }
  const k = gpu.kernel({ shader: unaryWgsl, entry: 'backward_colsum', constants: { ACT: ACT[name] } });
  gpu.dispatch(k, { buffers: { x, dy, out: dx, db }, params: { R, N, bacc }, workgroups: gpu.grid(N, 64) });
}

/** tanh(x). */
export const tanh = (x: Tensor): Tensor => unary(x, 'tanh');
/** σ(x) = 1/(1 + e^−x). */
export const sigmoid = (x: Tensor): Tensor => unary(x, 'sigmoid');
/** SiLU (swish): x·σ(x). */
export const silu = (x: Tensor): Tensor => unary(x, 'silu');
/** max(x, 0); the gradient at 0 is 0 (PyTorch's). */
export const relu = (x: Tensor): Tensor => unary(x, 'relu');
/** Exact GELU, x·Φ(x) = 0.5·x·(1 + erf(x/√2)): BERT's and Hugging Face's "gelu", torch's F.gelu. */
export const geluErf = (x: Tensor): Tensor => unary(x, 'gelu_erf');
/** GELU, tanh approximation (GPT-2 / the course; torch's F.gelu(approximate="tanh")). */
export const gelu = (x: Tensor): Tensor => unary(x, 'gelu_tanh');

/** Hugging Face `hidden_act` / `activation_function` names → the op. */
const HF_ACTIVATIONS: Record<string, (x: Tensor) => Tensor> = {
  gelu: geluErf,
  gelu_python: geluErf,
  gelu_new: gelu,
  gelu_pytorch_tanh: gelu,
  gelu_fast: gelu, // 0.5x(1 + tanh(√(2/π)·x(1 + 0.044715x²))): the same function as gelu_new
  relu,
  silu,
  swish: silu,
  tanh,
  sigmoid,
};

/** The op for a Hugging Face activation name ("gelu" is the exact erf GELU, "gelu_new" the tanh one). */
export function activation(name: string): (x: Tensor) => Tensor {
  const f = Object.prototype.hasOwnProperty.call(HF_ACTIVATIONS, name) ? HF_ACTIVATIONS[name] : undefined;
  if (!f) throw new Error(`activation: unknown activation '${name}' (known: ${Object.keys(HF_ACTIVATIONS).join(', ')})`);
  return f;
}
