// Linear layers whose (frozen) weight is stored as packed f16 pairs: y = x·W (+ b) with W read through
// unpack2x16float (shaders/matmul_f16.wgsl), half the weight bytes of f32. The weight takes no gradient (it is
// frozen by construction: there is no f16 optimizer); dx and the bias gradient flow as in `linear`.
// Leaves out: f16 activations, f16 arithmetic (the shader-f16 feature), gradients for the packed weight.
import f16Wgsl from '../../shaders/matmul_f16.wgsl';
import type { Gpu } from '../gpu/device.js';
import { Tensor, makeNode, gradTarget, numel, shapeStr, checkShape } from '../autograd/tensor.js';
import { encodeColSum } from './reduce.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half bits of an f32 value, round to nearest even (subnormals kept, ±inf past 65504). */
export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const man = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man ? 0x200 : 0);
  const e = exp - 112;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = man | 0x800000;
    const shift = 14 - e;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    let h = m >>> shift;
    if (rem > halfway || (rem === halfway && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (man >>> 13);
  const rem = man & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

/** Packs f32 values as f16 pairs: element i in word i >> 1, low half when i is even (an odd count ends in a zero half). */
export function packF16(data: ArrayLike<number>): Uint32Array {
  const out = new Uint32Array(Math.ceil(data.length / 2));
  for (let i = 0; i < data.length; i++) out[i >> 1] |= f32ToF16Bits(data[i]) << (i & 1 ? 16 : 0);
  return out;
}

/**
 * A frozen weight in packed f16. `layout` 'conv1d': [in, out] (GPT-2's Conv1D); 'torch': [out, in] (nn.Linear).
 * Its buffer holds ⌈n/2⌉ u32 words (persistent, released by dispose).
 */
export class F16Weight {
  readonly bytes: number;
  private constructor(
    readonly gpu: Gpu,
    readonly shape: readonly [number, number],
    readonly layout: 'conv1d' | 'torch',
    readonly buffer: GPUBuffer,
  ) {
    this.bytes = Math.ceil(numel(shape) / 2) * 4;
  }
  static from(gpu: Gpu, data: Float32Array, shape: readonly number[], layout: 'conv1d' | 'torch', name = 'weight.f16'): F16Weight {
    if (shape.length !== 2 || data.length !== shape[0] * shape[1]) throw new Error(`F16Weight: ${data.length} values do not fill a 2-D shape ${shapeStr(shape)}`);
    const packed = packF16(data);
    const buf = gpu.pool.acquire(packed.byteLength, name);
    gpu.pool.keep(buf);
    gpu.upload(buf, packed);
    return new F16Weight(gpu, [shape[0], shape[1]], layout, buf);
  }
  get inF(): number {
    return this.layout === 'conv1d' ? this.shape[0] : this.shape[1];
  }
  get outF(): number {
    return this.layout === 'conv1d' ? this.shape[1] : this.shape[0];
  }
  dispose(): void {
    if (this.gpu.pool.isLive(this.buffer)) this.gpu.pool.release(this.buffer);
  }
}

function encode(gpu: Gpu, a: GPUBuffer, w: GPUBuffer, c: GPUBuffer, M: number, N: number, K: number, transB: boolean, acc: 0 | 1, bias?: GPUBuffer): void {
  const k = gpu.kernel({ shader: f16Wgsl, entry: 'matmul_f16' });
  // no bias: `a` is bound in its place too and the entry never reads it (hasBias 0)
  gpu.dispatch(k, { buffers: { a, w, bias: bias ?? a, c }, params: { M, N, K, transB: transB ? 1 : 0, acc, hasBias: bias ? 1 : 0 }, workgroups: [Math.ceil(N / 16), Math.ceil(M / 16)] });
}

/** x [..., in] · W (+ bias [out]) → [..., out] with W packed f16; backward: dx (=|+=) dy·Wᵀ, dbias += Σ dy. */
export function linearF16(x: Tensor, w: F16Weight, bias?: Tensor): Tensor {
  const gpu = x.gpu;
  const { inF, outF } = w;
  checkShape('linearF16', `x for the f16 weight ${shapeStr(w.shape)} (${w.layout})`, x.shape, [...x.shape.slice(0, -1).map(() => null), inF]);
  if (bias) checkShape('linearF16', 'bias', bias.shape, [outF]);
  const R = numel(x.shape.slice(0, -1));
  const out = Tensor.empty(gpu, [...x.shape.slice(0, -1), outF], 'linear_f16');
  const transB = w.layout === 'torch';
  encode(gpu, x.buffer, w.buffer, out.buffer, R, outF, inF, transB, 0, bias?.buffer);
  return makeNode(out, bias ? [x, bias] : [x], (o) => {
    const dy = o.grad!.buffer; // (R, out)
    const gx = gradTarget(x); // backward of `out = x·W + b`: dx = dy·Wᵀ (K and N swapped, the layout flipped)
    if (gx) encode(gpu, dy, w.buffer, gx.t.buffer, R, inF, outF, !transB, gx.acc);
    const gb = bias ? gradTarget(bias) : null; // db += Σ_rows dy
    if (gb) encodeColSum(gpu, dy, gb.t.buffer, R, outF, gb.acc);
  });
}
