// Softmax, the causal mask and fused causal multi-head attention (training forward + backward, and
// KV-cache decode), each forward dispatch with its backward rule beside it. Leaves out: padding masks,
// cross-attention, a flash (single-pass) kernel; attentionDecode records no graph (inference only).
import softmaxWgsl from '../../shaders/softmax.wgsl';
import maskWgsl from '../../shaders/causal_mask.wgsl';
import attnWgsl from '../../shaders/attention.wgsl';
import type { Gpu } from '../gpu/device.js';
import { Tensor, makeNode, gradTarget, checkShape, shapeStr } from '../autograd/tensor.js';

const WG = 64;

// ---- softmax rows (shaders/softmax.wgsl) ----------------------------------------------------------

interface RowSpec {
  rows: number;
  n: number;
  /** causal rows: row r keeps columns j ≤ q0 + r % Tq */
  causal?: { Tq: number; q0: number };
}

function causalParams(s: RowSpec) {
  return { rows: s.rows, n: s.n, Tq: s.causal?.Tq ?? 1, q0: s.causal?.q0 ?? 0, causal: s.causal ? 1 : 0 };
}

/** y = softmax(x) per row; with `drop`, also yd = y·keep/(1−p) (keep from the seeded hash). */
function encodeSoftmaxFwd(gpu: Gpu, s: RowSpec, x: GPUBuffer, y: GPUBuffer, drop?: { yd: GPUBuffer; seed: number; thr: number; keepScale: number }): void {
  if (s.rows === 0) return;
  const workgroups = gpu.grid(s.rows, WG);
  if (!drop) {
    const k = gpu.kernel({ shader: softmaxWgsl, entry: 'softmax_fwd', constants: { WG } });
    gpu.dispatch(k, { buffers: { x, y }, params: causalParams(s), workgroups });
  } else {
    const k = gpu.kernel({ shader: softmaxWgsl, entry: 'softmax_fwd_drop', constants: { WG } });
    gpu.dispatch(k, {
      buffers: { x, y, yd: drop.yd },
      params: { ...causalParams(s), seed: drop.seed, thr: drop.thr, keepScale: drop.keepScale },
      workgroups,
    });
  }
}

/** dx (=|+=) scale·y·(dy − Σ dy·y), or with yd: scale·(yd·dy − y·Σ yd·dy). */
function encodeSoftmaxBwd(gpu: Gpu, s: RowSpec, y: GPUBuffer, dy: GPUBuffer, dx: GPUBuffer, acc: 0 | 1, scale: number, yd?: GPUBuffer): void {
  if (s.rows === 0) return;
  const workgroups = gpu.grid(s.rows, WG);
  const params = { ...causalParams(s), scale, acc };
  if (!yd) {
    const k = gpu.kernel({ shader: softmaxWgsl, entry: 'softmax_bwd', constants: { WG } });
    gpu.dispatch(k, { buffers: { ys: y, dy, dx }, params, workgroups });
  } else {
    const k = gpu.kernel({ shader: softmaxWgsl, entry: 'softmax_bwd_drop', constants: { WG } });
    gpu.dispatch(k, { buffers: { ys: y, yds: yd, dy, dx }, params, workgroups });
  }
}

/**
 * Softmax over the last dim of x [..., N], numerically stable (max-shifted). −inf entries get
 * probability 0; a row that is entirely −inf gives all zeros (PyTorch gives NaN there).
 */
export function softmax(x: Tensor): Tensor {
  if (x.shape.length < 1) throw new Error(`softmax: needs at least one dim, got ${shapeStr(x.shape)}`);
  const gpu = x.gpu;
  const n = x.shape[x.shape.length - 1];
  const rows = n === 0 ? 0 : x.size / n;
  const y = Tensor.empty(gpu, x.shape.slice(), 'softmax');
  encodeSoftmaxFwd(gpu, { rows, n }, x.buffer, y.buffer);
  return makeNode(y, [x], (out) => {
    const g = gradTarget(x);
    // backward of y = softmax(x) (the forward line above): dx = y·(dy − Σ dy·y)
    if (g) encodeSoftmaxBwd(gpu, { rows, n }, out.buffer, out.grad!.buffer, g.t.buffer, g.acc, 1);
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

// ---- attention kernels (shaders/attention.wgsl) ---------------------------------------------------

/** Head h's channels of position t in batch b: buf[b·batch + t·row + off + h·hd + d]. */
interface RowSource {
  buf: GPUBuffer;
  row: number;
  off: number;
  batch: number;
}

interface AttnDims {
  B: number;
  H: number;
  hd: number;
  /** queries per (batch, head) and their first position */
  Tq: number;
  q0: number;
  /** keys per (batch, head) */
  Tk: number;
}

function pow2ceil(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Workgroup shape for a (xTiles × yTiles) grid of 4×4 blocks: 64 invocations, no idle lanes on small dims. */
function wgShape(xTiles: number, yTiles: number): { WX: number; WY: number } {
  const WX = Math.min(64, pow2ceil(xTiles));
  const WY = Math.max(1, Math.min(pow2ceil(yTiles), Math.floor(64 / WX)));
  return { WX, WY };
}

/** Splits the (batch × head) range over dispatches of at most the per-dimension workgroup limit. */
function forZ(gpu: Gpu, BH: number, f: (zBase: number, nz: number) => void): void {
  const max = gpu.limits.maxComputeWorkgroupsPerDimension;
  for (let z0 = 0; z0 < BH; z0 += max) f(z0, Math.min(max, BH - z0));
}

function tileGrid(gpu: Gpu, what: string, xTiles: number, yTiles: number, nz: number, WX: number, WY: number): [number, number, number] {
  const gx = Math.ceil(xTiles / WX);
  const gy = Math.ceil(yTiles / WY);
  const max = gpu.limits.maxComputeWorkgroupsPerDimension;
  if (gx > max || gy > max) throw new Error(`attention ${what}: ${Math.max(gx, gy)} workgroups in one dimension exceeds the adapter limit ${max}`);
  return [gx, gy, nz];
}

/** The vec4 (*8) kernels need hd and every stride/offset of the row sources to be multiples of 4. */
function vec4able(hd: number, ...src: RowSource[]): boolean {
  return hd % 4 === 0 && src.every((s) => s.row % 4 === 0 && s.off % 4 === 0 && s.batch % 4 === 0);
}

/** S[z,i,j] = scale·Σ_d a(b,i,d)·b(b,j,d) for j ≤ q0+i (masked entries are left unwritten). */
function encodeScores(gpu: Gpu, m: AttnDims, a: RowSource, b: RowSource, S: GPUBuffer, scale: number): void {
  const BH = m.B * m.H;
  if (BH === 0 || m.Tq === 0 || m.Tk === 0) return;
  const v4 = vec4able(m.hd, a, b);
  const xT = Math.ceil(m.Tk / (v4 ? 8 : 4));
  const yT = Math.ceil(m.Tq / 4);
  const { WX, WY } = wgShape(xT, yT);
  const k = gpu.kernel({ shader: attnWgsl, entry: v4 ? 'scores8' : 'scores', constants: { WX, WY } });
  const buffers: Record<string, GPUBuffer> = v4 ? { A4: a.buf, B4: b.buf, S } : { A: a.buf, Bm: b.buf, S };
  forZ(gpu, BH, (zBase, nz) =>
    gpu.dispatch(k, {
      buffers,
      params: {
        BH, H: m.H, Tq: m.Tq, Tk: m.Tk, hd: m.hd, q0: m.q0, zBase,
        aRow: a.row, aOff: a.off, aBatch: a.batch,
        bRow: b.row, bOff: b.off, bBatch: b.batch,
        scale,
      },
      workgroups: tileGrid(gpu, 'scores', xT, yT, nz, WX, WY),
    }),
  );
}

/**
 * transposed = false: o(b,i,d) (=|+=) Σ_j W[z,i,j]·x(b,j,d)  (weights × values; i over Tq)
 * transposed = true:  o(b,j,d) (=|+=) Σ_i W[z,i,j]·x(b,i,d)  (weightsᵀ × rows; j over Tk)
 * W must be zero above the causal limit.
 */
function encodeWeighted(gpu: Gpu, m: AttnDims, W: GPUBuffer, x: RowSource, o: RowSource, acc: 0 | 1, transposed: boolean): void {
  const BH = m.B * m.H;
  const outRows = transposed ? m.Tk : m.Tq;
  if (BH === 0 || outRows === 0 || m.hd === 0) return;
  const v4 = vec4able(m.hd, x);
  const xT = Math.ceil(m.hd / (v4 ? 8 : 4));
  const yT = Math.ceil(outRows / 4);
  const { WX, WY } = wgShape(xT, yT);
  const entry = (transposed ? 'weighted_t' : 'weighted') + (v4 ? '8' : '');
  const k = gpu.kernel({ shader: attnWgsl, entry, constants: { WX, WY } });
  const buffers: Record<string, GPUBuffer> = v4 ? { W, X4: x.buf, O: o.buf } : { W, X: x.buf, O: o.buf };
  forZ(gpu, BH, (zBase, nz) =>
    gpu.dispatch(k, {
      buffers,
      params: {
        BH, H: m.H, Tq: m.Tq, Tk: m.Tk, hd: m.hd, q0: m.q0, zBase,
        xRow: x.row, xOff: x.off, xBatch: x.batch,
        oRow: o.row, oOff: o.off, oBatch: o.batch,
        acc,
      },
      workgroups: tileGrid(gpu, entry, xT, yT, nz, WX, WY),
    }),
  );
}

export interface AttentionOptions {
  /** dropout probability on the attention weights, in [0, 1); default 0 (off) */
  dropout?: number;
  /** dropout seed (u32): identical seeds give identical masks; default 0 */
  seed?: number;
}

/** Dropout keep threshold on a u32 hash: an element is kept iff hash ≥ round(p·2³²). */
export function dropThreshold(p: number): number {
  return Math.min(0xffffffff, Math.round(p * 2 ** 32));
}

function checkHeads(op: string, C3: number, nHeads: number): { C: number; hd: number } {
  if (C3 % 3 !== 0) throw new Error(`${op}: the last dim of qkv must be 3·C (q, k, v), got ${C3}`);
  const C = C3 / 3;
  if (!Number.isInteger(nHeads) || nHeads < 1) throw new Error(`${op}: nHeads must be a positive integer, got ${nHeads}`);
  if (C % nHeads !== 0) throw new Error(`${op}: C = ${C} is not divisible by nHeads = ${nHeads}`);
  return { C, hd: C / nHeads };
}

/**
 * Like `attention`, and also returns the softmax probabilities [B, H, T, T] (before dropout) as a
 * graph-less tensor. Backward reads that buffer: dispose `probs` only after backward has run.
 */
export function attentionWithProbs(qkv: Tensor, nHeads: number, opts: AttentionOptions = {}): { out: Tensor; probs: Tensor } {
  return attentionImpl(qkv, nHeads, opts, true) as { out: Tensor; probs: Tensor };
}

/**
 * Fused causal scaled-dot-product multi-head attention (the course's / GPT-2's):
 * qkv [B, T, 3C] holds q, k, v as three C-wide slices; head h uses channels h·hd … (h+1)·hd−1 of each
 * (hd = C / nHeads). att = softmax(mask(q·kᵀ) / √hd), optional seeded dropout on att (scaled by
 * 1/(1−p)), out = att·v with heads merged back: [B, T, C]. Backward gives dqkv [B, T, 3C].
 */
export function attention(qkv: Tensor, nHeads: number, opts: AttentionOptions = {}): Tensor {
  return attentionImpl(qkv, nHeads, opts, false).out;
}

function attentionImpl(qkv: Tensor, nHeads: number, opts: AttentionOptions, keepProbs: boolean): { out: Tensor; probs?: Tensor } {
  if (qkv.shape.length !== 3) throw new Error(`attention: qkv must be [B, T, 3C], got ${shapeStr(qkv.shape)}`);
  const [B, T, C3] = qkv.shape;
  const { C, hd } = checkHeads('attention', C3, nHeads);
  const p = opts.dropout ?? 0;
  if (!(p >= 0 && p < 1)) throw new Error(`attention: dropout must be in [0, 1), got ${p}`);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed)) throw new Error(`attention: seed must be an integer, got ${seed}`);
  const gpu = qkv.gpu;
  const H = nHeads;
  const m: AttnDims = { B, H, hd, Tq: T, Tk: T, q0: 0 };
  const nAtt = B * H * T * T;
  const scale = 1 / Math.sqrt(hd);
  const q: RowSource = { buf: qkv.buffer, row: 3 * C, off: 0, batch: T * 3 * C };
  const k: RowSource = { ...q, off: C };
  const v: RowSource = { ...q, off: 2 * C };
  const rows: RowSpec = { rows: B * H * T, n: T, causal: { Tq: T, q0: 0 } };

  // forward: S = q·kᵀ/√hd (causal part only) → P = softmax (zeros above the diagonal) → out = P·v
  const S = gpu.pool.acquire(nAtt * 4, 'attention.scores');
  encodeScores(gpu, m, q, k, S, scale);
  const P = gpu.pool.acquire(nAtt * 4, 'attention.probs');
  const Pd = p > 0 ? gpu.pool.acquire(nAtt * 4, 'attention.dropped') : null;
  encodeSoftmaxFwd(gpu, rows, S, P, Pd ? { yd: Pd, seed: seed >>> 0, thr: dropThreshold(p), keepScale: 1 / (1 - p) } : undefined);
  gpu.pool.release(S);
  const out = Tensor.empty(gpu, [B, T, C], 'attention');
  const o: RowSource = { buf: out.buffer, row: C, off: 0, batch: T * C };
  encodeWeighted(gpu, m, Pd ?? P, v, o, 0, false);

  const probs = keepProbs ? new Tensor(gpu, [B, H, T, T], P, { op: 'attention.probs' }) : undefined;
  let saved = true;
  const releaseSaved = () => {
    if (!saved) return;
    saved = false;
    if (!keepProbs && gpu.pool.isLive(P)) gpu.pool.release(P);
    if (Pd && gpu.pool.isLive(Pd)) gpu.pool.release(Pd);
  };
  const node = makeNode(out, [qkv], (outT) => {
    if (!saved) throw new Error('attention backward: the saved probabilities were already released (backward ran twice?)');
    if (probs?.disposed) throw new Error('attention backward: probs was disposed before backward');
    const g = gradTarget(qkv);
    if (g) {
      const dout: RowSource = { buf: outT.grad!.buffer, row: C, off: 0, batch: T * C };
      const dq: RowSource = { buf: g.t.buffer, row: 3 * C, off: 0, batch: T * 3 * C };
      const dk: RowSource = { ...dq, off: C };
      const dv: RowSource = { ...dq, off: 2 * C };
      // backward of out = Pd·v: G = dout·vᵀ (grad of the (dropped) weights), dv = Pdᵀ·dout
      const G = gpu.pool.acquire(nAtt * 4, 'attention.dweights');
      encodeScores(gpu, m, dout, v, G, 1);
      encodeWeighted(gpu, m, Pd ?? P, dout, dv, g.acc, true);
      // backward of P = softmax(S) (and Pd = P·keep/(1−p)), with S's 1/√hd folded in: dS
      const dS = gpu.pool.acquire(nAtt * 4, 'attention.dscores');
      encodeSoftmaxBwd(gpu, rows, P, G, dS, 0, scale, Pd ?? undefined);
      gpu.pool.release(G);
      // backward of S = q·kᵀ/√hd: dq = dS·k, dk = dSᵀ·q
      encodeWeighted(gpu, m, dS, k, dq, g.acc, false);
      encodeWeighted(gpu, m, dS, q, dk, g.acc, true);
      gpu.pool.release(dS);
    }
    releaseSaved();
  });
  if (!node.backwardFn) releaseSaved(); // no graph (noGrad, or qkv needs no grad): nothing to keep
  return { out: node, probs };
}

// ---- KV cache decode ------------------------------------------------------------------------------

/** Persistent keys and values of one attention layer for generation: k, v are [B, maxT, C]. */
export interface KVCache {
  readonly gpu: Gpu;
  readonly B: number;
  readonly maxT: number;
  readonly C: number;
  readonly k: GPUBuffer;
  readonly v: GPUBuffer;
  /** rows 0 … length−1 hold valid keys/values (set by attentionDecode) */
  length: number;
  readonly disposed: boolean;
  /** returns both buffers to the pool */
  dispose(): void;
}

/** Allocates a KV cache (k, v [B, maxT, C], kept across arenas until dispose()). */
export function createKVCache(gpu: Gpu, dims: { B: number; maxT: number; C: number }): KVCache {
  const { B, maxT, C } = dims;
  for (const [name, val] of [['B', B], ['maxT', maxT], ['C', C]] as const) {
    if (!Number.isInteger(val) || val < 1) throw new Error(`createKVCache: ${name} must be a positive integer, got ${val}`);
  }
  const bytes = B * maxT * C * 4;
  const k = gpu.pool.acquire(bytes, 'kvcache.k');
  const v = gpu.pool.acquire(bytes, 'kvcache.v');
  gpu.pool.keep(k);
  gpu.pool.keep(v);
  let disposed = false;
  return {
    gpu, B, maxT, C, k, v,
    length: 0,
    get disposed() {
      return disposed;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      if (gpu.pool.isLive(k)) gpu.pool.release(k);
      if (gpu.pool.isLive(v)) gpu.pool.release(v);
    },
  };
}

/**
 * Attention for generation (no graph): qkv [B, Tn, 3C] holds positions pos … pos+Tn−1. Writes their
 * k, v rows into the cache, then each new query attends to cache rows 0 … its own position.
 * Returns [B, Tn, C], equal to the last Tn rows of `attention` on the whole sequence.
 */
export function attentionDecode(qkv: Tensor, cache: KVCache, pos: number, nHeads: number): Tensor {
  if (cache.disposed) throw new Error('attentionDecode: the KV cache was disposed');
  checkShape('attentionDecode', 'qkv', qkv.shape, [cache.B, null, 3 * cache.C]);
  const [B, Tn] = qkv.shape;
  const { C, hd } = checkHeads('attentionDecode', qkv.shape[2], nHeads);
  if (!Number.isInteger(pos) || pos < 0) throw new Error(`attentionDecode: pos must be a non-negative integer, got ${pos}`);
  if (pos + Tn > cache.maxT) {
    throw new Error(`attentionDecode: pos ${pos} + ${Tn} new positions = ${pos + Tn} exceeds the KV cache's maxT ${cache.maxT}`);
  }
  if (pos > cache.length) throw new Error(`attentionDecode: pos ${pos} leaves a gap: the cache holds only rows 0 … ${cache.length - 1}`);
  const gpu = qkv.gpu;
  const H = nHeads;
  const Tk = pos + Tn;
  const out = Tensor.empty(gpu, [B, Tn, C], 'attentionDecode');
  if (Tn === 0) return out;
  const n = B * Tn * C;
  const kw = gpu.kernel({ shader: attnWgsl, entry: 'kv_write', constants: { WG } });
  gpu.dispatch(kw, { buffers: { qkv: qkv.buffer, kc: cache.k, vc: cache.v }, params: { n, Tn, C, maxT: cache.maxT, pos }, workgroups: gpu.grid(n, WG) });
  cache.length = Tk;

  const m: AttnDims = { B, H, hd, Tq: Tn, Tk, q0: pos };
  const nAtt = B * H * Tn * Tk;
  const q: RowSource = { buf: qkv.buffer, row: 3 * C, off: 0, batch: Tn * 3 * C };
  const k: RowSource = { buf: cache.k, row: C, off: 0, batch: cache.maxT * C };
  const v: RowSource = { ...k, buf: cache.v };
  const S = gpu.pool.acquire(nAtt * 4, 'attention.scores');
  encodeScores(gpu, m, q, k, S, 1 / Math.sqrt(hd));
  const P = gpu.pool.acquire(nAtt * 4, 'attention.probs');
  encodeSoftmaxFwd(gpu, { rows: B * H * Tn, n: Tk, causal: { Tq: Tn, q0: pos } }, S, P);
  gpu.pool.release(S);
  encodeWeighted(gpu, m, P, v, { buf: out.buffer, row: C, off: 0, batch: Tn * C }, 0, false);
  gpu.pool.release(P);
  return out;
}
