// Multi-head scaled-dot-product attention: general q/k/v (bidirectional, causal, key-padding mask,
// cross-attention with Tq ≠ Tk), the fused-qkv GPT entry as a no-copy caller of it, and KV-cache decode;
// each forward dispatch with its backward rule beside it. Without probabilities requested it runs the fused
// (flash) kernels (no [B,H,Tq,Tk] buffer in forward; in backward one only for short sequences, policy flash.dsBytes;
// decode in one dispatch); *WithProbs keeps the unfused kernels.
// Leaves out: arbitrary [Tq, Tk] masks (only causal + key padding), and graphs for decode (inference only).
import type { Gpu } from '../gpu/device.js';
import { Tensor, makeNode, gradTarget, checkShape, shapeStr } from '../autograd/tensor.js';
import { type RowSpec, encodeSoftmaxFwd, encodeSoftmaxBwd, hostMask } from './softmax.js';
import { dropThreshold } from './random.js';
import { attentionShader as attnWgsl, flashShader, type FlashVariant } from '../../shaders/attention_gen.ts';

const WG = 64;

// ---- attention kernels (shaders/attention.wgsl + the entries shaders/attention_gen.ts generates) ---------------------------------------------------

/** Head h's channels of position t in batch b: buf[b·batch + t·row + off + h·hd + d]. */
interface RowSource {
  buf: GPUBuffer;
  row: number;
  off: number;
  batch: number;
}

/** A contiguous [B, T, width] tensor's channels off … off+C−1 as a row source. */
function rows(buf: GPUBuffer, T: number, width: number, off = 0): RowSource {
  return { buf, row: width, off, batch: T * width };
}

interface AttnDims {
  B: number;
  H: number;
  hd: number;
  /** queries per (batch, head); query i sits at position q0 + i and sees keys j ≤ q0 + i (q0 ≥ Tk: all keys) */
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

/**
 * Dispatches `entry` over (xTiles × yTiles) blocks per (batch, head), splitting the BH range over
 * dispatches of at most the per-dimension workgroup limit (zBase says where each starts).
 */
function dispatchBlocks(gpu: Gpu, entry: string, BH: number, xTiles: number, yTiles: number, buffers: Record<string, GPUBuffer>, params: Record<string, number>): void {
  const { WX, WY } = wgShape(xTiles, yTiles);
  const k = gpu.kernel({ shader: attnWgsl, entry, constants: { WX, WY } });
  const max = gpu.limits.maxComputeWorkgroupsPerDimension;
  const gx = Math.ceil(xTiles / WX);
  const gy = Math.ceil(yTiles / WY);
  if (gx > max || gy > max) throw new Error(`attention ${entry}: ${Math.max(gx, gy)} workgroups in one dimension exceeds the adapter limit ${max}`);
  for (let zBase = 0; zBase < BH; zBase += max) {
    gpu.dispatch(k, { buffers, params: { ...params, zBase }, workgroups: [gx, gy, Math.min(max, BH - zBase)] });
  }
}

/** The vec4 (*8) kernels need hd and every stride/offset of the row sources to be multiples of 4. */
function vec4able(hd: number, ...src: RowSource[]): boolean {
  return hd % 4 === 0 && src.every((s) => s.row % 4 === 0 && s.off % 4 === 0 && s.batch % 4 === 0);
}

/** S[z,i,j] = scale·Σ_d a(b,i,d)·b(b,j,d) for j inside the causal window (other entries are left unwritten). */
function encodeScores(gpu: Gpu, m: AttnDims, a: RowSource, b: RowSource, S: GPUBuffer, scale: number): void {
  const BH = m.B * m.H;
  if (BH === 0 || m.Tq === 0 || m.Tk === 0) return;
  const v4 = vec4able(m.hd, a, b);
  dispatchBlocks(gpu, v4 ? 'scores8' : 'scores', BH, Math.ceil(m.Tk / (v4 ? 8 : 4)), Math.ceil(m.Tq / 4), v4 ? { A4: a.buf, B4: b.buf, S } : { A: a.buf, Bm: b.buf, S }, {
    BH, H: m.H, Tq: m.Tq, Tk: m.Tk, hd: m.hd, q0: m.q0,
    aRow: a.row, aOff: a.off, aBatch: a.batch,
    bRow: b.row, bOff: b.off, bBatch: b.batch,
    scale,
  });
}

/**
 * transposed = false: o(b,i,d) (=|+=) Σ_j W[z,i,j]·x(b,j,d)  (weights × values; i over Tq)
 * transposed = true:  o(b,j,d) (=|+=) Σ_i W[z,i,j]·x(b,i,d)  (weightsᵀ × rows; j over Tk)
 * W must be zero outside the causal window.
 */
function encodeWeighted(gpu: Gpu, m: AttnDims, W: GPUBuffer, x: RowSource, o: RowSource, acc: 0 | 1, transposed: boolean): void {
  const BH = m.B * m.H;
  const outRows = transposed ? m.Tk : m.Tq;
  if (BH === 0 || outRows === 0 || m.hd === 0) return;
  const v4 = vec4able(m.hd, x);
  // hd a multiple of 16: 4×16 blocks (each weight loaded once per 16 columns; the same bits as 4×8)
  const cols = v4 ? (m.hd % 16 === 0 ? 16 : 8) : 4;
  const entry = (transposed ? 'weighted_t' : 'weighted') + (v4 ? String(cols) : '');
  dispatchBlocks(gpu, entry, BH, Math.ceil(m.hd / cols), Math.ceil(outRows / 4), v4 ? { W, X4: x.buf, O: o.buf } : { W, X: x.buf, O: o.buf }, {
    BH, H: m.H, Tq: m.Tq, Tk: m.Tk, hd: m.hd, q0: m.q0,
    xRow: x.row, xOff: x.off, xBatch: x.batch,
    oRow: o.row, oOff: o.off, oBatch: o.batch,
    acc,
  });
}

// ---- flash kernels (shaders/flash_attention.wgsl + the entries shaders/attention_gen.ts generates per head size) --

/** Head sizes the fused kernels are generated for (a row of hd channels is unrolled into hd/4 vec4 registers). */
export const FLASH_MAX_HD = 256;
/**
 * Rows per invocation for head size hd under cap (the device policy's flash.RQ or .RK) and its register budget (the
 * vec4 registers one row block holds per operand, budget / ⌈hd/4⌉): more rows reuse each loaded key/query row more,
 * but SwiftShader's compile time grows faster than linearly with the unrolled block (hd 64: ~1.5 s per kernel at 2
 * rows, ~20 s at 8). Defaults chosen by measurement on SwiftShader (docs/perf.md, issue #19).
 */
function rowsPer(gpu: Gpu, hd: number, kind: 'RQ' | 'RK'): number {
  const t = gpu.policy.flash;
  return Math.max(1, Math.min(t[kind], Math.floor(t.budget / Math.ceil(hd / 4))));
}

/** Everything a flash dispatch reads besides its buffers: rows sources by role, dims, dropout, output modes. */
interface FlashArgs {
  q: RowSource;
  k: RowSource;
  v: RowSource;
  /** forward output / backward's saved output */
  o?: RowSource;
  /** dO */
  g?: RowSource;
  /** the KV cache rows (decode) */
  c?: RowSource;
  dq?: { o: RowSource; acc: 0 | 1 } | null;
  dk?: { o: RowSource; acc: 0 | 1 } | null;
  dv?: { o: RowSource; acc: 0 | 1 } | null;
}

function flashParams(pl: Plan, nBlk: number, split: number, a: FlashArgs): Record<string, number> {
  const { m, p } = pl;
  const f = (x: string, s?: RowSource) => ({ [`${x}Row`]: s?.row ?? 0, [`${x}Off`]: s?.off ?? 0, [`${x}Batch`]: s?.batch ?? 0 });
  return {
    BH: m.B * m.H, H: m.H, Tq: m.Tq, Tk: m.Tk, q0: m.q0, nBlk, split,
    ...f('q', a.q), ...f('k', a.k), ...f('v', a.v), ...f('o', a.o), ...f('g', a.g), ...f('c', a.c),
    ...f('dq', a.dq?.o), accQ: a.dq?.acc ?? 0, ...f('dk', a.dk?.o), accK: a.dk?.acc ?? 0, ...f('dv', a.dv?.o), accV: a.dv?.acc ?? 0,
    seed: pl.seed, thr: p > 0 ? dropThreshold(p) : 0, keepScale: p > 0 ? 1 / (1 - p) : 1, scale: pl.scale,
  };
}

/** Records one flash dispatch over BH · ceil(nRows / R) invocations; read sources bind as X or X4 (vec4 loads). */
function encodeFlash(gpu: Gpu, pl: Plan, v: FlashVariant, nRows: number, split: number, a: FlashArgs, reads: Record<string, RowSource>, writes: Record<string, GPUBuffer>, mask?: GPUBuffer): void {
  const BH = pl.m.B * pl.m.H;
  if (BH * nRows === 0) return;
  const entry = v.kind === 'fwd' ? 'flash_fwd' : v.kind === 'decode' ? 'flash_decode' : v.kind === 'dq' ? (v.dq ? 'flash_dq' : 'flash_d') : `flash_dkv${v.dk ? '_k' : ''}${v.dv ? '_v' : ''}${v.shared ? '_shared' : ''}${v.ds ? '_ds' : ''}`;
  // decode (B·H invocations per token) gets small workgroups: SwiftShader pays for idle invocations (measured: a decode
  // dispatch, B·H = 4, averaged over 200: ~0.34 ms at 32, ~0.24 ms at 8); one size per kind, so a prompt's prefill and
  // the tokens after it share one pipeline (each size compiles apart: ~0.4–1 s on SwiftShader)
  const WG = v.kind === 'decode' ? gpu.policy.flash.decodeWG : gpu.policy.flash.WG;
  // every row's sums run in the same order whatever the rows per invocation (test/ops-attention-flash.test.ts checks
  // the bits): one row per invocation (compiled ~4× faster on SwiftShader) serves until v.R rows are ready
  const tiers = [v.R, ...(v.R > 1 ? [1] : [])].map((R) => ({ shader: flashShader({ ...v, R }), entry, constants: { WG } }));
  const t = gpu.kernelTier(tiers);
  const k = t.kernel;
  const R = t.tier === 0 ? v.R : 1;
  const nBlk = Math.ceil(nRows / R);
  const buffers: Record<string, GPUBuffer> = { ...writes };
  for (const [name, s] of Object.entries(reads)) buffers[v.v4 ? `${name}4` : name] = s.buf;
  // unmasked: `keep` must still be bound where the entry declares it; the keys (read-only, never read as a mask: masked = 0)
  if (k.layout.bindings.some((b) => b.name === 'keep')) buffers.keep = mask ?? a.k.buf;
  const params = { ...flashParams(pl, nBlk, split, a), masked: mask ? 1 : 0, drop: pl.p > 0 && v.kind !== 'decode' ? 1 : 0 };
  gpu.dispatch(k, { buffers, params, workgroups: gpu.grid(BH * nBlk, k.workgroupSize[0]) });
}

/** The fused path serves every option of the general op; only head sizes past FLASH_MAX_HD (and hd = 0) keep the unfused kernels. */
function flashOk(hd: number): boolean {
  return hd >= 1 && hd <= FLASH_MAX_HD;
}

/**
 * Whether a flash_dkv…_ds dispatch fits the adapter's storage buffers per stage: Q, K, V, G, LSE, Dl, GK, GV, keep (bound
 * even unmasked) and DS — 10 (SwiftShader allows 12; the WebGPU default is 8: then the flash_dq path serves).
 */
function dsFits(gpu: Gpu): boolean {
  return gpu.limits.maxStorageBuffersPerShaderStage >= 10;
}

/**
 * attend without the [B, H, Tq, Tk] buffers: the flash forward writes out and the per-row log-sum-exp; backward
 * recomputes the probabilities (flash_dq: D and dq; flash_dkv: dk and dv), or for short sequences (B·H·Tq·Tk·4 bytes
 * ≤ policy.flash.dsBytes) flash_d (D), flash_dkv…_ds (dk, dv and a [B, H, Tq, Tk] buffer of scale·ds, released at the
 * end of backward) and dq = DS·K as one product. Sinks are called in the order the grads are written (dq, dk, dv; in
 * the short form dk, dv, dq), so an `=` sink always comes before a `+=` into the same buffer.
 */
function attendFlash(gpu: Gpu, pl: Plan, q: RowSource, k: RowSource, v: RowSource, parents: Tensor[], sinks: { dq: GradSink; dk: GradSink; dv: GradSink }, label: string): Tensor {
  const { m, C } = pl;
  const { B, H, Tq, Tk, hd } = m;
  const out = Tensor.empty(gpu, [B, Tq, C], label);
  const o = rows(out.buffer, Tq, C);
  const lse = gpu.pool.acquire(B * H * Tq * 4, 'attention.lse');
  const mask = pl.mask ? gpu.buffer(pl.mask, `${label}.keyMask`) : undefined; // one small upload per call
  const v4 = vec4able(hd, q, k, v);
  encodeFlash(gpu, pl, { kind: 'fwd', hd, v4, R: rowsPer(gpu, hd, 'RQ') }, Tq, 0, { q, k, v, o }, { Q: q, K: k, V: v }, { O: out.buffer, LSE: lse }, mask);
  let saved = true;
  const releaseSaved = () => {
    if (!saved) return;
    saved = false;
    if (gpu.pool.isLive(lse)) gpu.pool.release(lse);
    if (mask && gpu.pool.isLive(mask)) gpu.pool.release(mask);
  };
  const node = makeNode(out, parents, (outT) => {
    if (!saved) throw new Error(`${label} backward: the saved log-sum-exp was already released (backward ran twice?)`);
    if (outT.disposed) throw new Error(`${label} backward: the attention output was disposed before backward (its backward reads it)`);
    const g = rows(outT.grad!.buffer, Tq, C);
    const bv4 = v4 && vec4able(hd, g, o);
    const D = gpu.pool.acquire(B * H * Tq * 4, 'attention.D');
    const RQ = rowsPer(gpu, hd, 'RQ');
    const RK = rowsPer(gpu, hd, 'RK');
    // short sequences (B·H·Tq·Tk·4 bytes ≤ policy.flash.dsBytes, and a binding to spare): flash_d (D only), then
    // flash_dkv also stores scale·ds per (query, key) pair, and dq = DS·K is one product (attention.wgsl `weighted`)
    // instead of flash_dq recomputing p and ds (issue #26: ~1/3 of the backward's arithmetic at T ≤ 64 on SwiftShader).
    // Sinks in the order the grads are written: dk, dv, then dq.
    const dsBytes = B * H * Tq * Tk * 4;
    if (dsBytes <= gpu.policy.flash.dsBytes && dsFits(gpu)) {
      const dk = sinks.dk();
      const dv = sinks.dv();
      if (dk || dv) {
        encodeFlash(gpu, pl, { kind: 'dq', hd, v4: bv4, R: RQ, dq: false }, Tq, 0, { q, k, v, o, g, dq: null }, { G: g, Ob: o }, { Dl: D }, mask);
        const DS = gpu.pool.acquire(dsBytes, 'attention.ds');
        const shared = !!dk && !!dv && dk.o.buf === dv.o.buf;
        const writes: Record<string, GPUBuffer> = { LSE: lse, Dl: D, DS };
        if (dk) writes.GK = dk.o.buf;
        if (dv && !shared) writes.GV = dv.o.buf;
        encodeFlash(gpu, pl, { kind: 'dkv', hd, v4: bv4, R: RK, dk: !!dk, dv: !!dv, shared, ds: true }, Tk, 0, { q, k, v, g, dk, dv }, { Q: q, K: k, V: v, G: g }, writes, mask);
        const dq = sinks.dq();
        if (dq) encodeWeighted(gpu, pl.m, DS, k, dq.o, dq.acc, false);
        gpu.pool.release(DS);
        gpu.pool.release(D);
        releaseSaved();
        return;
      }
    }
    // D = rowsum(dO∘O) (and dq = scale·Σ_j p·(dp − D)·k_j) — backward of out = softmax(scale·q·kᵀ)·v
    const dq = sinks.dq();
    encodeFlash(gpu, pl, { kind: 'dq', hd, v4: bv4, R: RQ, dq: !!dq }, Tq, 0, { q, k, v, o, g, dq }, dq ? { Q: q, K: k, V: v, G: g, Ob: o } : { G: g, Ob: o }, dq ? { LSE: lse, Dl: D, GQ: dq.o.buf } : { Dl: D }, mask);
    const dk = sinks.dk();
    const dv = sinks.dv();
    if (dk || dv) {
      // dk_j = scale·Σ_i ds·q_i, dv_j = Σ_i p·drop·dO_i over the queries that see key j
      const shared = !!dk && !!dv && dk.o.buf === dv.o.buf;
      const writes: Record<string, GPUBuffer> = { LSE: lse, Dl: D };
      if (dk) writes.GK = dk.o.buf;
      if (dv && !shared) writes.GV = dv.o.buf;
      encodeFlash(gpu, pl, { kind: 'dkv', hd, v4: bv4, R: RK, dk: !!dk, dv: !!dv, shared }, Tk, 0, { q, k, v, g, dk, dv }, { Q: q, K: k, V: v, G: g }, writes, mask);
    }
    gpu.pool.release(D);
    releaseSaved();
  });
  if (!node.backwardFn) releaseSaved(); // no graph (noGrad, or no input needs grad): nothing to keep
  return node;
}

// ---- the op ---------------------------------------------------------------------------------------

export interface AttentionOptions {
  /** number of heads; C must be divisible by it (head size hd = C / heads) */
  heads: number;
  /** query i sits at key position Tk − Tq + i and sees keys j ≤ Tk − Tq + i (needs Tq ≤ Tk); default false */
  causal?: boolean;
  /** host 0/1 [B·Tk] key-padding mask, 1 = attend; padded keys get exactly zero weight */
  keyMask?: ArrayLike<number>;
  /** host [B] valid key counts: keys j < keyLengths[b] are attended (an alternative to keyMask) */
  keyLengths?: ArrayLike<number>;
  /** score scale; default 1/√hd */
  scale?: number;
  /** dropout probability on the attention weights, in [0, 1); default 0 (off) */
  dropout?: number;
  /** dropout seed (u32): identical seeds give identical masks; default 0 */
  seed?: number;
}

/** Validated options: the dims, the scale, dropout, and the key mask as host u32 (or none). */
interface Plan {
  m: AttnDims;
  C: number;
  scale: number;
  p: number;
  seed: number;
  mask: Uint32Array | null;
}

function checkHeads(op: string, C: number, heads: number): number {
  if (!Number.isInteger(heads) || heads < 1) throw new Error(`${op}: heads must be a positive integer, got ${heads}`);
  if (C % heads !== 0) throw new Error(`${op}: C = ${C} is not divisible by heads = ${heads}`);
  return C / heads;
}

/** Checks everything but the tensors' shapes (B, Tq, Tk, C come from the caller) and builds the plan. */
function plan(op: string, B: number, Tq: number, Tk: number, C: number, o: AttentionOptions, q0Causal: number): Plan {
  if (!o || typeof o !== 'object') throw new Error(`${op}: options { heads, … } are required`);
  const hd = checkHeads(op, C, o.heads);
  if (o.causal && q0Causal < 0) throw new Error(`${op}: causal attention needs Tq ≤ Tk, got Tq = ${Tq}, Tk = ${Tk}`);
  const p = o.dropout ?? 0;
  if (!(p >= 0 && p < 1)) throw new Error(`${op}: dropout must be in [0, 1), got ${p}`);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed)) throw new Error(`${op}: seed must be an integer, got ${seed}`);
  const scale = o.scale ?? 1 / Math.sqrt(hd);
  if (!Number.isFinite(scale)) throw new Error(`${op}: scale must be a finite number, got ${scale}`);
  let mask: Uint32Array | null = null;
  if (o.keyMask && o.keyLengths) throw new Error(`${op}: give keyMask or keyLengths, not both`);
  if (o.keyMask) mask = hostMask(op, 'keyMask', o.keyMask, B * Tk, `B·Tk = ${B}·${Tk} = ${B * Tk} ([B, Tk])`, 'attend');
  else if (o.keyLengths) {
    if (o.keyLengths.length !== B) throw new Error(`${op}: keyLengths has ${o.keyLengths.length} entries, expected B = ${B}`);
    mask = new Uint32Array(B * Tk);
    for (let b = 0; b < B; b++) {
      const L = o.keyLengths[b];
      if (!Number.isInteger(L) || L < 0 || L > Tk) throw new Error(`${op}: keyLengths[${b}] is ${L}; must be an integer in 0 … Tk = ${Tk}`);
      mask.fill(1, b * Tk, b * Tk + L);
    }
  }
  return { m: { B, H: o.heads, hd, Tq, Tk, q0: o.causal ? q0Causal : Tk }, C, scale, p, seed: seed >>> 0, mask };
}

/** Where backward writes one of dq, dk, dv (a row source into that tensor's grad) and whether it adds. */
type GradSink = () => { o: RowSource; acc: 0 | 1 } | null;

/**
 * The shared core: forward over row sources q, k, v into out [B, Tq, C], recording a node whose parents
 * are `parents` and whose backward writes through the sinks (called lazily, in the order dv, dq, dk).
 */
function attend(
  gpu: Gpu, pl: Plan, q: RowSource, k: RowSource, v: RowSource, parents: Tensor[],
  sinks: { dq: GradSink; dk: GradSink; dv: GradSink }, keepProbs: boolean, label: string,
): { out: Tensor; probs?: Tensor } {
  if (!keepProbs && flashOk(pl.m.hd)) return { out: attendFlash(gpu, pl, q, k, v, parents, sinks, label) };
  const { m, C, scale, p } = pl;
  const { B, H, Tq, Tk } = m;
  const nAtt = B * H * Tq * Tk;
  const spec: RowSpec = { rows: B * H * Tq, n: Tk, Tq: Math.max(1, Tq), q0: m.q0, group: H * Math.max(1, Tq) };

  // forward: S = scale·q·kᵀ (causal window only) → P = softmax over the used keys → out = P·v (or dropped P·v)
  const S = gpu.pool.acquire(nAtt * 4, 'attention.scores');
  encodeScores(gpu, m, q, k, S, scale);
  const P = gpu.pool.acquire(nAtt * 4, 'attention.probs');
  const Pd = p > 0 ? gpu.pool.acquire(nAtt * 4, 'attention.dropped') : null;
  const mask = pl.mask ? gpu.buffer(pl.mask, `${label}.keyMask`) : undefined; // one small upload per call
  encodeSoftmaxFwd(gpu, { ...spec, mask }, S, P, Pd ? { yd: Pd, seed: pl.seed, thr: dropThreshold(p), keepScale: 1 / (1 - p) } : undefined);
  if (mask) gpu.pool.release(mask);
  gpu.pool.release(S);
  const out = Tensor.empty(gpu, [B, Tq, C], label);
  encodeWeighted(gpu, m, Pd ?? P, v, rows(out.buffer, Tq, C), 0, false);

  const probs = keepProbs ? new Tensor(gpu, [B, H, Tq, Tk], P, { op: `${label}.probs` }) : undefined;
  let saved = true;
  const releaseSaved = () => {
    if (!saved) return;
    saved = false;
    if (!keepProbs && gpu.pool.isLive(P)) gpu.pool.release(P);
    if (Pd && gpu.pool.isLive(Pd)) gpu.pool.release(Pd);
  };
  const node = makeNode(out, parents, (outT) => {
    if (!saved) throw new Error(`${label} backward: the saved probabilities were already released (backward ran twice?)`);
    if (probs?.disposed) throw new Error(`${label} backward: probs was disposed before backward`);
    const dout = rows(outT.grad!.buffer, Tq, C);
    const dv = sinks.dv();
    // backward of out = Pd·v: dv = Pdᵀ·dout
    if (dv) encodeWeighted(gpu, m, Pd ?? P, dout, dv.o, dv.acc, true);
    const dq = sinks.dq();
    const dk = sinks.dk();
    if (dq || dk) {
      // G = dout·vᵀ (grad of the (dropped) weights); backward of P = softmax(S) (and Pd = P·keep/(1−p))
      // with S's scale folded in: dS (zero at masked and padded keys, since P is zero there)
      const G = gpu.pool.acquire(nAtt * 4, 'attention.dweights');
      encodeScores(gpu, m, dout, v, G, 1);
      const dS = gpu.pool.acquire(nAtt * 4, 'attention.dscores');
      encodeSoftmaxBwd(gpu, spec, P, G, dS, 0, scale, Pd ?? undefined);
      gpu.pool.release(G);
      // backward of S = scale·q·kᵀ: dq = dS·k, dk = dSᵀ·q
      if (dq) encodeWeighted(gpu, m, dS, k, dq.o, dq.acc, false);
      if (dk) encodeWeighted(gpu, m, dS, q, dk.o, dk.acc, true);
      gpu.pool.release(dS);
    }
    releaseSaved();
  });
  if (!node.backwardFn) releaseSaved(); // no graph (noGrad, or no input needs grad): nothing to keep
  return { out: node, probs };
}

/** A sink into t.grad (allocated and written = on first use, else +=), seen as rows of [B, T, C]. */
function sinkOf(t: Tensor, T: number, C: number): GradSink {
  return () => {
    const g = gradTarget(t);
    return g ? { o: rows(g.t.buffer, T, C), acc: g.acc } : null;
  };
}

function attentionImpl(q: Tensor, k: Tensor, v: Tensor, o: AttentionOptions, keepProbs: boolean, op: string): { out: Tensor; probs?: Tensor } {
  if (q.shape.length !== 3) throw new Error(`${op}: q must be [B, Tq, C], got ${shapeStr(q.shape)}`);
  const [B, Tq, C] = q.shape;
  if (k.shape.length !== 3) throw new Error(`${op}: k must be [B, Tk, C] = [${B}, Tk, ${C}], got ${shapeStr(k.shape)}`);
  checkShape(op, 'k', k.shape, [B, null, C]);
  const Tk = k.shape[1];
  checkShape(op, 'v', v.shape, [B, Tk, C]);
  const pl = plan(op, B, Tq, Tk, C, o, Tk - Tq);
  const sinks = { dq: sinkOf(q, Tq, C), dk: sinkOf(k, Tk, C), dv: sinkOf(v, Tk, C) };
  return attend(q.gpu, pl, rows(q.buffer, Tq, C), rows(k.buffer, Tk, C), rows(v.buffer, Tk, C), [q, k, v], sinks, keepProbs, op);
}

/**
 * Multi-head scaled-dot-product attention. q [B, Tq, C], k and v [B, Tk, C] → [B, Tq, C]; head h uses
 * channels h·hd … (h+1)·hd−1 (hd = C / heads): out = softmax(scale·q·kᵀ + masks)·v per head, heads merged
 * back. Bidirectional by default; `causal` lets query i see keys j ≤ Tk − Tq + i; keyMask / keyLengths
 * give padded keys exactly zero weight, and a query whose keys are all masked gets zeros (forward and
 * backward, no NaN). Optional seeded dropout on the weights (scaled by 1/(1−p)). Backward: dq, dk, dv
 * (written =, or += into an existing grad; q, k, v may be the same tensor).
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, o: AttentionOptions): Tensor {
  return attentionImpl(q, k, v, o, false, 'attention').out;
}

/**
 * Like `attention`, and also the softmax probabilities [B, H, Tq, Tk] (before dropout) as a graph-less
 * tensor for plots. Backward reads that buffer: dispose `probs` only after backward has run.
 */
export function attentionWithProbs(q: Tensor, k: Tensor, v: Tensor, o: AttentionOptions): { out: Tensor; probs: Tensor } {
  return attentionImpl(q, k, v, o, true, 'attention') as { out: Tensor; probs: Tensor };
}

// ---- fused qkv (GPT) ------------------------------------------------------------------------------

function attentionQKVImpl(qkv: Tensor, heads: number, o: Omit<AttentionOptions, 'heads'>, keepProbs: boolean): { out: Tensor; probs?: Tensor } {
  const op = 'attentionQKV';
  if (qkv.shape.length !== 3) throw new Error(`${op}: qkv must be [B, T, 3C], got ${shapeStr(qkv.shape)}`);
  const [B, T, C3] = qkv.shape;
  if (C3 % 3 !== 0) throw new Error(`${op}: the last dim of qkv must be 3·C (q, k, v), got ${C3}`);
  const C = C3 / 3;
  const pl = plan(op, B, T, T, C, { ...o, heads }, 0);
  // q, k, v are strided views of qkv (no copies); so are their grads, in one [B, T, 3C] grad
  let g: ReturnType<typeof gradTarget> | undefined;
  const slice = (off: number): GradSink => () => {
    if (g === undefined) g = gradTarget(qkv);
    return g ? { o: rows(g.t.buffer, T, C3, off), acc: g.acc } : null;
  };
  const src = (off: number) => rows(qkv.buffer, T, C3, off);
  return attend(qkv.gpu, pl, src(0), src(C), src(2 * C), [qkv], { dq: slice(0), dk: slice(C), dv: slice(2 * C) }, keepProbs, op);
}

/**
 * `attention` on the q, k, v slices of one fused qkv [B, T, 3C] (GPT's c_attn output), read in place:
 * attentionQKV(qkv, heads, o) = attention(qkv[..., :C], qkv[..., C:2C], qkv[..., 2C:], { heads, ...o }).
 * Backward gives dqkv [B, T, 3C].
 */
export function attentionQKV(qkv: Tensor, heads: number, o: Omit<AttentionOptions, 'heads'> = {}): Tensor {
  return attentionQKVImpl(qkv, heads, o, false).out;
}

/** attentionQKV that also returns the probabilities [B, H, T, T] (see attentionWithProbs). */
export function attentionQKVWithProbs(qkv: Tensor, heads: number, o: Omit<AttentionOptions, 'heads'> = {}): { out: Tensor; probs: Tensor } {
  return attentionQKVImpl(qkv, heads, o, true) as { out: Tensor; probs: Tensor };
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

export interface DecodeOptions {
  heads: number;
  /** host 0/1 [B·(pos + Tn)] mask over the cache rows 0 … pos+Tn−1, 1 = attend (e.g. left padding) */
  keyMask?: ArrayLike<number>;
  /** score scale; default 1/√hd */
  scale?: number;
}

/** Shared decode: writes rows pos … pos+Tn−1 of the cache from kNew/vNew, then causal attention of q over the cache. */
function decode(op: string, gpu: Gpu, q: RowSource, kNew: RowSource, vNew: RowSource, B: number, Tn: number, C: number, cache: KVCache, pos: number, o: DecodeOptions): Tensor {
  if (cache.disposed) throw new Error(`${op}: the KV cache was disposed`);
  if (!Number.isInteger(pos) || pos < 0) throw new Error(`${op}: pos must be a non-negative integer, got ${pos}`);
  if (pos + Tn > cache.maxT) throw new Error(`${op}: pos ${pos} + ${Tn} new positions = ${pos + Tn} exceeds the KV cache's maxT ${cache.maxT}`);
  if (pos > cache.length) throw new Error(`${op}: pos ${pos} leaves a gap: the cache holds only rows 0 … ${cache.length - 1}`);
  const Tk = pos + Tn;
  const pl = plan(op, B, Tn, Tk, C, { heads: o.heads, causal: true, keyMask: o.keyMask, scale: o.scale }, pos);
  if (Tn === 0) return Tensor.empty(gpu, [B, 0, C], op);
  if (flashOk(pl.m.hd)) {
    // one dispatch: attend over cache rows 0 … pos−1 and the new rows, and write the new rows into the cache
    const out = Tensor.empty(gpu, [B, Tn, C], op);
    const c = rows(cache.k, cache.maxT, C);
    const mask = pl.mask ? gpu.buffer(pl.mask, `${op}.keyMask`) : undefined;
    const v4 = vec4able(pl.m.hd, q, kNew, vNew, c);
    const kc: Record<string, GPUBuffer> = v4 ? { KC4: cache.k, VC4: cache.v } : { KC: cache.k, VC: cache.v };
    encodeFlash(gpu, pl, { kind: 'decode', hd: pl.m.hd, v4, R: Tn === 1 ? 1 : rowsPer(gpu, pl.m.hd, 'RQ') }, Tn, pos, { q, k: kNew, v: vNew, o: rows(out.buffer, Tn, C), c }, { Q: q, K: kNew, V: vNew }, { O: out.buffer, ...kc }, mask);
    if (mask) gpu.pool.release(mask);
    cache.length = Tk;
    return out;
  }
  const n = B * Tn * C;
  const kw = gpu.kernel({ shader: attnWgsl, entry: 'kv_write', constants: { WG } });
  gpu.dispatch(kw, {
    buffers: { ks: kNew.buf, vs: vNew.buf, kc: cache.k, vc: cache.v },
    params: { n, Tn, C, maxT: cache.maxT, pos, kRow: kNew.row, kOff: kNew.off, kBatch: kNew.batch, vRow: vNew.row, vOff: vNew.off, vBatch: vNew.batch },
    workgroups: gpu.grid(n, WG),
  });
  cache.length = Tk;
  // no parents: decode records no graph
  return attend(gpu, pl, q, rows(cache.k, cache.maxT, C), rows(cache.v, cache.maxT, C), [], { dq: none, dk: none, dv: none }, false, op).out;
}

const none: GradSink = () => null;

/**
 * Self-attention for generation (no graph): q, k, v [B, Tn, C] hold positions pos … pos+Tn−1. Writes
 * their k, v rows into the cache, then each new query attends causally to cache rows 0 … its own
 * position. Returns [B, Tn, C], equal to the last Tn rows of causal `attention` on the whole sequence.
 * (Cross-attention needs no cache: call `attention` with the encoder's k, v, any Tq including 1.)
 */
export function attentionDecode(q: Tensor, k: Tensor, v: Tensor, cache: KVCache, pos: number, o: DecodeOptions): Tensor {
  const op = 'attentionDecode';
  checkShape(op, 'q', q.shape, [cache.B, null, cache.C]);
  const Tn = q.shape[1];
  checkShape(op, 'k', k.shape, [cache.B, Tn, cache.C]);
  checkShape(op, 'v', v.shape, [cache.B, Tn, cache.C]);
  const C = cache.C;
  return decode(op, q.gpu, rows(q.buffer, Tn, C), rows(k.buffer, Tn, C), rows(v.buffer, Tn, C), cache.B, Tn, C, cache, pos, o);
}

/** attentionDecode on a fused qkv [B, Tn, 3C] (GPT), its slices read in place. */
export function attentionDecodeQKV(qkv: Tensor, cache: KVCache, pos: number, heads: number): Tensor {
  const op = 'attentionDecodeQKV';
  checkShape(op, 'qkv', qkv.shape, [cache.B, null, 3 * cache.C]);
  const [B, Tn, C3] = qkv.shape;
  const C = cache.C;
  return decode(op, qkv.gpu, rows(qkv.buffer, Tn, C3), rows(qkv.buffer, Tn, C3, C), rows(qkv.buffer, Tn, C3, 2 * C), B, Tn, C, cache, pos, { heads });
}
