// Embedding ops: gather forward and a deterministic scatter-add backward (ids grouped on the host, no
// float atomics), token + position rows in one dispatch, the course's one-hot × matmul equivalent (tests and bench only), position ids and the
// sinusoidal table; padding_idx (no gradient for that row). Leaves out: max_norm, scale_grad_by_freq.
import embWgsl from '../../shaders/embedding.wgsl';
import type { Gpu } from '../gpu/device.js';
import { Tensor, IdBatch, makeNode, gradTarget, checkShape, noGrad } from '../autograd/tensor.js';
import { matmul } from './matmul.js';
import { reshape } from './shape.js';

/**
 * Host-side grouping of positions by id: [uniq (U) | offsets (U+1) | positions (R')], ids ascending.
 * Positions holding `skip` (the padding id) are left out, so that row gets no gradient.
 */
export function groupIds(ids: Int32Array, skip?: number): { csr: Int32Array; U: number } {
  const order: number[] = [];
  for (let i = 0; i < ids.length; i++) if (ids[i] !== skip) order.push(i);
  order.sort((x, y) => ids[x] - ids[y] || x - y);
  const R = order.length;
  const uniq: number[] = [];
  const offsets: number[] = [];
  for (let k = 0; k < R; k++) {
    if (k === 0 || ids[order[k]] !== ids[order[k - 1]]) {
      uniq.push(ids[order[k]]);
      offsets.push(k);
    }
  }
  offsets.push(R);
  const U = uniq.length;
  const csr = new Int32Array(2 * U + 1 + R);
  csr.set(uniq, 0);
  csr.set(offsets, U);
  csr.set(order, 2 * U + 1);
  return { csr, U };
}

/** Records Wgrad (V, C) += coef·scatter of dy (R, C) by ids (skipping id `skip`): one invocation per (unique id, channel). */
export function encodeScatter(gpu: Gpu, ids: Int32Array, dy: GPUBuffer, wgrad: GPUBuffer, V: number, C: number, skip?: number, coef = 1): void {
  const { csr, U } = groupIds(ids, skip);
  const csrBuf = gpu.buffer(csr, 'embedding.csr');
  const k = gpu.kernel({ shader: embWgsl, entry: 'scatter' });
  gpu.dispatch(k, { buffers: { csr: csrBuf, dy, Wgrad: wgrad }, params: { U, C, V, R: ids.length, coef }, workgroups: gpu.grid(U * C, 64) });
  gpu.pool.release(csrBuf); // later dispatches that reuse it are ordered after this one
}

/** Every id in [0, V) (one line naming the first that is not) and paddingIdx in [−V, V), returned in [0, V). */
function checkLookup(ids: IdBatch, V: number, paddingIdx: number | undefined): number | undefined {
  let pad = paddingIdx;
  if (pad !== undefined) {
    if (!Number.isInteger(pad) || pad < -V || pad >= V) throw new Error(`embedding: paddingIdx ${pad} is out of range [${-V}, ${V})`);
    if (pad < 0) pad += V;
  }
  for (let i = 0; i < ids.size; i++) {
    const v = ids.ids[i];
    if (v < 0 || v >= V) throw new Error(`embedding: id ${v} at position ${i} is out of range [0, ${V})`);
  }
  return pad;
}

/**
 * ids [...shape] → weight rows [...shape, C]. Backward: += into weight.grad, same bits every run.
 * paddingIdx (PyTorch's padding_idx, in [−V, V)): that row is looked up as usual but gets no gradient.
 */
export function embedding(ids: IdBatch, weight: Tensor, opts: { paddingIdx?: number } = {}): Tensor {
  const gpu = weight.gpu;
  checkShape('embedding', 'weight', weight.shape, [null, null]);
  const [V, C] = weight.shape;
  const pad = checkLookup(ids, V, opts.paddingIdx);
  const R = ids.size;
  const out = Tensor.empty(gpu, [...ids.shape, C], 'embedding');
  const k = gpu.kernel({ shader: embWgsl, entry: 'gather' });
  gpu.dispatch(k, { buffers: { ids: ids.buffer, W: weight.buffer, out: out.buffer }, params: { R, C, V }, workgroups: gpu.grid(R * C, 64) });
  return makeNode(out, [weight], (o) => {
    // backward of `out[r] = W[ids[r]]`: W.grad[ids[r]] += dy[r]
    const g = gradTarget(weight, { zeroed: true }); // the scatter only adds
    if (g) encodeScatter(gpu, ids.ids, o.grad!.buffer, g.t.buffer, V, C, pad);
  });
}

/**
 * Token rows (× scale) plus position rows in one dispatch: ids [..., T] → [..., T, C] with
 * out[..., t, :] = weight[id]·scale + positions[pos0 + t], the same numbers as add(scale(embedding(ids, weight)),
 * embedding(positionIds(pos0…), positions)) (GPT's learned positions; Marian's scaled tokens + sinusoid table).
 * Backward: weight.grad += scale·scatter(dy) (paddingIdx gets none), positions.grad (when it is trained) += the
 * scatter of dy over rows by position, rows in order (the batch sum of the unfused add, then its scatter); both in
 * one dispatch (scatter2) when both tables are trained.
 */
export function embeddingWithPositions(ids: IdBatch, weight: Tensor, positions: Tensor, opts: { pos0?: number; paddingIdx?: number; scale?: number } = {}): Tensor {
  const gpu = weight.gpu;
  checkShape('embeddingWithPositions', 'weight', weight.shape, [null, null]);
  const [V, C] = weight.shape;
  checkShape('embeddingWithPositions', 'positions', positions.shape, [null, C]);
  const NP = positions.shape[0];
  if (ids.shape.length === 0) throw new Error('embeddingWithPositions: ids need a position dim');
  const T = ids.shape[ids.shape.length - 1];
  const pos0 = opts.pos0 ?? 0;
  const scale = opts.scale ?? 1;
  if (!Number.isInteger(pos0) || pos0 < 0 || pos0 + T > NP) throw new Error(`embeddingWithPositions: positions ${pos0}…${pos0 + T - 1} are outside the table's ${NP} rows`);
  const pad = checkLookup(ids, V, opts.paddingIdx);
  const R = ids.size;
  const out = Tensor.empty(gpu, [...ids.shape, C], 'embedding');
  // C a multiple of 4: four channels per invocation (gather_add4, scatter2_4: the same bits)
  const v4 = C % 4 === 0;
  if (R > 0) {
    const k = gpu.kernel({ shader: embWgsl, entry: v4 ? 'gather_add4' : 'gather_add' });
    const buffers: Record<string, GPUBuffer> = v4 ? { ids: ids.buffer, W4: weight.buffer, P4: positions.buffer, out4: out.buffer } : { ids: ids.buffer, W: weight.buffer, P: positions.buffer, out: out.buffer };
    gpu.dispatch(k, { buffers, params: { R, C, V, T, pos0, NP, scale }, workgroups: gpu.grid(v4 ? (R * C) / 4 : R * C, 64) });
  }
  return makeNode(out, [weight, positions], (o) => {
    // backward of `out[r] = W[ids[r]]·scale + P[pos0 + r mod T]`
    const g = gradTarget(weight, { zeroed: true }); // the scatters only add
    const gp = gradTarget(positions, { zeroed: true });
    const posIds = () => Int32Array.from({ length: R }, (_, r) => pos0 + (r % T));
    if (g && gp) {
      // both tables in one dispatch: position ids offset by V in one grouping (each sum as the two scatters make it)
      const both = new Int32Array(2 * R);
      both.set(ids.ids);
      both.set(posIds().map((p) => V + p), R);
      const { csr, U } = groupIds(both, pad);
      for (let k = 2 * U + 1; k < csr.length; k++) if (csr[k] >= R) csr[k] -= R; // entries R… are rows 0… of dy
      const csrBuf = gpu.buffer(csr, 'embedding.csr');
      const k = gpu.kernel({ shader: embWgsl, entry: v4 ? 'scatter2_4' : 'scatter2' });
      const buffers: Record<string, GPUBuffer> = v4 ? { csr: csrBuf, dy4: o.grad!.buffer, Wgrad4: g.t.buffer, Pgrad4: gp.t.buffer } : { csr: csrBuf, dy: o.grad!.buffer, Wgrad: g.t.buffer, Pgrad: gp.t.buffer };
      gpu.dispatch(k, { buffers, params: { U, C, V, V2: NP, R, coef: scale }, workgroups: gpu.grid(v4 ? (U * C) / 4 : U * C, 64) });
      gpu.pool.release(csrBuf);
    } else if (g) encodeScatter(gpu, ids.ids, o.grad!.buffer, g.t.buffer, V, C, pad, scale);
    else if (gp) encodeScatter(gpu, posIds(), o.grad!.buffer, gp.t.buffer, NP, C);
  });
}

/** The one-hot matrix (R, V) of ids, built by a kernel (no grad). */
export function oneHot(ids: IdBatch, V: number): Tensor {
  const gpu = ids.gpu;
  const R = ids.size;
  const oh = Tensor.empty(gpu, [R, V], 'onehot');
  const k = gpu.kernel({ shader: embWgsl, entry: 'onehot' });
  gpu.dispatch(k, { buffers: { ids: ids.buffer, oh: oh.buffer }, params: { R, V }, workgroups: gpu.grid(R * V, 64) });
  return oh;
}

/** The course's equivalence: onehot(ids) (R, V) · W (V, C) → [...ids.shape, C]. Tests and bench only. */
export function onehotEmbedding(ids: IdBatch, weight: Tensor): Tensor {
  const [V, C] = weight.shape;
  const y = matmul(oneHot(ids, V), weight);
  if (ids.shape.length === 1) return y;
  return reshape(y, [...ids.shape, C]);
}

/** Position ids pos0 … pos0+T−1 as an IdBatch [T]. */
export function positionIds(gpu: Gpu, T: number, pos0 = 0): IdBatch {
  return IdBatch.from(gpu, Array.from({ length: T }, (_, i) => pos0 + i), [T], pos0 + T, 'position');
}

/** The course's fixed sin/cos table for positions pos0 … pos0+T−1 → [T, C] (not trained). */
export function sinusoidalPositions(gpu: Gpu, T: number, C: number, pos0 = 0): Tensor {
  return noGrad(() => {
    const pe = Tensor.empty(gpu, [T, C], 'sinusoid');
    const k = gpu.kernel({ shader: embWgsl, entry: 'sinusoid' });
    gpu.dispatch(k, { buffers: { pe: pe.buffer }, params: { T, C, pos0 }, workgroups: gpu.grid(T * C, 64) });
    return pe;
  });
}
