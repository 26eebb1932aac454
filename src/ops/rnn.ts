// Recurrent layers with PyTorch's semantics (nn.RNN with tanh, nn.LSTM, nn.GRU): multi-layer, bidirectional,
// optional h0/c0, unbatched / batched / batch_first input, per-sequence lengths (packed-sequence
// semantics). Per layer: the input projection of every time step is one matmul per direction, then one
// fused cell dispatch per time step forward and one backward (shaders/rnn.wgsl), both directions in the
// same dispatch. The cells are rows of one table (RNN_CELLS): nothing below names a cell.
// Leaves out: dropout between layers, proj_size, the ReLU RNN, f16.
import rnnWgsl from '../../shaders/rnn.wgsl';
import type { Gpu } from '../gpu/device.js';
import { Tensor, makeNode, gradTarget, shapeStr, isGradEnabled } from '../autograd/tensor.js';
import { encodeMatmul } from './matmul.js';

/** One recurrent cell kind: what the shapes, names, kernels and outputs of rnn() follow. */
export interface CellKind {
  /** the PyTorch module it matches */
  readonly torch: string;
  /** gate row blocks of W_ih / W_hh / the biases, in PyTorch's order: G = gates.length·H rows */
  readonly gates: readonly string[];
  /** the carried states: h (h_n, h0), and c (c_n, c0) for the LSTM */
  readonly states: readonly ('h' | 'c')[];
  /** the override CELL of shaders/rnn.wgsl */
  readonly kernel: number;
  /** H-wide rows kept per time step for backward beside the activations: h before (+ the LSTM's c before, or the
   * GRU's W_hn·h + b_hn, which r scales) */
  readonly saved: 1 | 2;
  /** input-side and hidden-side gate gradients differ (the GRU's n: ∂/∂(W_in x) = dn', ∂/∂(W_hn h) = dn'⊙r), so
   * backward keeps a second gradient buffer for W_ih, b_ih and x */
  readonly splitGrad: boolean;
}

/** The recurrent cells: adding one is a row here + its branch in shaders/rnn.wgsl and src/ref/rnn.ts. */
export const RNN_CELLS = {
  /** Elman RNN, h' = tanh(W_ih x + b_ih + W_hh h + b_hh) */
  rnn: { torch: 'nn.RNN', gates: ['h'], states: ['h'], kernel: 0, saved: 1, splitGrad: false },
  /** c' = f⊙c + i⊙g, h' = o⊙tanh(c') */
  lstm: { torch: 'nn.LSTM', gates: ['i', 'f', 'g', 'o'], states: ['h', 'c'], kernel: 1, saved: 2, splitGrad: false },
  /** n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)), h' = (1 − z)⊙n + z⊙h */
  gru: { torch: 'nn.GRU', gates: ['r', 'z', 'n'], states: ['h'], kernel: 2, saved: 2, splitGrad: true },
} as const satisfies Record<string, CellKind>;

export type RnnCell = keyof typeof RNN_CELLS;

/** The table row of a cell name; one line naming the known cells otherwise. */
export function cellKind(cell: string, where = 'rnn'): CellKind {
  if (!Object.hasOwn(RNN_CELLS, cell)) throw new Error(`${where}: unknown cell '${cell}' (${Object.keys(RNN_CELLS).join(', ')})`);
  return RNN_CELLS[cell as RnnCell];
}

export interface RnnConfig {
  /** a row of RNN_CELLS: 'rnn' (Elman, tanh; nn.RNN), 'lstm' (nn.LSTM) or 'gru' (nn.GRU) */
  cell: RnnCell;
  /** features of the input x (H_in) */
  inputSize: number;
  /** H: features of h (and c) */
  hiddenSize: number;
  /** stacked layers (default 1); layer k > 0 reads layer k−1's output */
  numLayers?: number;
  /** default false; true: a reverse direction per layer, outputs concatenated [forward, reverse] */
  bidirectional?: boolean;
  /** default false: batched input is (L, N, H_in); true: (N, L, H_in). Ignored for unbatched (L, H_in) input. */
  batchFirst?: boolean;
}

/** Parameters by PyTorch's names: weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} (+ _reverse). */
export type RnnWeights = Record<string, Tensor>;

export interface RnnOutputs {
  /** (L, N, D·H), (N, L, D·H) with batchFirst, or (L, D·H) unbatched: the last layer's h at every time (0 at padded times) */
  output: Tensor;
  /** (numLayers·D, N, H) or (numLayers·D, H) unbatched, indexed layer·D + direction: the state after each sequence's last valid step */
  hn: Tensor;
  /** LSTM only: c_n, shaped like hn */
  cn?: Tensor;
}

function gateRows(cfg: RnnConfig): number {
  return cellKind(cfg.cell).gates.length * cfg.hiddenSize;
}

/** PyTorch's parameter names and shapes in registration order (l0, l0_reverse, l1, …). */
export function rnnParamShapes(cfg: RnnConfig): { name: string; shape: number[] }[] {
  checkConfig(cfg);
  const H = cfg.hiddenSize;
  const G = gateRows(cfg);
  const D = cfg.bidirectional ? 2 : 1;
  const out: { name: string; shape: number[] }[] = [];
  for (let k = 0; k < (cfg.numLayers ?? 1); k++) {
    const inF = k === 0 ? cfg.inputSize : D * H;
    for (let d = 0; d < D; d++) {
      const sfx = `l${k}${d ? '_reverse' : ''}`;
      out.push({ name: `weight_ih_${sfx}`, shape: [G, inF] });
      out.push({ name: `weight_hh_${sfx}`, shape: [G, H] });
      out.push({ name: `bias_ih_${sfx}`, shape: [G] });
      out.push({ name: `bias_hh_${sfx}`, shape: [G] });
    }
  }
  return out;
}

/**
 * Fresh parameters, PyTorch's init: every tensor ~ U(−1/√H, 1/√H) drawn from `rand` (a [0, 1) generator,
 * e.g. the data loader's seeded mulberry32). `prefix` is prepended to each name (e.g. 'encoder.lstm.').
 */
export function initRnnWeights(gpu: Gpu, cfg: RnnConfig, rand: () => number, prefix = ''): RnnWeights {
  const k = 1 / Math.sqrt(cfg.hiddenSize);
  const w: RnnWeights = {};
  for (const { name, shape } of rnnParamShapes(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = -k + 2 * k * rand();
    w[name] = Tensor.param(gpu, data, shape, prefix + name);
  }
  return w;
}

function checkConfig(cfg: RnnConfig): void {
  cellKind(cfg.cell);
  for (const [k, v] of [['inputSize', cfg.inputSize], ['hiddenSize', cfg.hiddenSize], ['numLayers', cfg.numLayers ?? 1]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`rnn: ${k} must be a positive integer, got ${v}`);
  }
}

function run(gpu: Gpu, entry: string, cell: CellKind, buffers: Record<string, GPUBuffer>, params: Record<string, number>, n: number): void {
  const k = gpu.kernel({ shader: rnnWgsl, entry, constants: { CELL: cell.kernel } });
  gpu.dispatch(k, { buffers, params, workgroups: gpu.grid(n, 64) });
}

let forceScalar = false;
/** Tests: run the one-unit-per-invocation step kernels even when H % 4 = 0. Returns the previous setting. */
export function setRnnScalarKernels(on: boolean): boolean {
  const prev = forceScalar;
  forceScalar = on;
  return prev;
}

/** Dispatches per time step of one layer: forward, backward (both directions share them). */
export const RNN_DISPATCHES_PER_STEP = { forward: 1, backward: 1 } as const;

/**
 * Runs the stacked (bidirectional) RNN/LSTM over x. x: (L, H_in) unbatched, (L, N, H_in), or (N, L, H_in)
 * with batchFirst. h0/c0 (optional, default zeros): (numLayers·D, N, H) or (numLayers·D, H) unbatched.
 * lengths (optional): N integers in [1, L]; sequence n only uses times [0, lengths[n]) — later times
 * leave the state unchanged, output 0 and get no gradient, as with pack_padded_sequence.
 * Backward gives gradients for x, h0, c0 and every parameter (BPTT: one dispatch per time step and layer).
 */
export function rnn(x: Tensor, weights: RnnWeights, cfg: RnnConfig, opts: { h0?: Tensor; c0?: Tensor; lengths?: ArrayLike<number> } = {}): RnnOutputs {
  checkConfig(cfg);
  const gpu = x.gpu;
  const kind = cellKind(cfg.cell);
  const hasC = kind.states.includes('c');
  const H = cfg.hiddenSize;
  const G = gateRows(cfg);
  const D = cfg.bidirectional ? 2 : 1;
  const NL = cfg.numLayers ?? 1;
  const what = `${cfg.cell}(input ${cfg.inputSize}, hidden ${H}${NL > 1 ? `, ${NL} layers` : ''}${D === 2 ? ', bidirectional' : ''})`;
  const unbatched = x.shape.length === 2;
  if (!unbatched && x.shape.length !== 3) throw new Error(`${what}: input must be (L, H_in) or (L, N, H_in), got ${shapeStr(x.shape)}`);
  if (x.shape[x.shape.length - 1] !== cfg.inputSize) throw new Error(`${what}: input ${shapeStr(x.shape)} has ${x.shape[x.shape.length - 1]} features, expected ${cfg.inputSize}`);
  const bf = !unbatched && !!cfg.batchFirst;
  const L = unbatched ? x.shape[0] : bf ? x.shape[1] : x.shape[0];
  const N = unbatched ? 1 : bf ? x.shape[0] : x.shape[1];
  if (L === 0 || N === 0) throw new Error(`${what}: empty input ${shapeStr(x.shape)}`);
  const R = L * N;
  const sT = bf ? 1 : N;
  const sN = bf ? L : 1;
  const stateShape = unbatched ? [NL * D, H] : [NL * D, N, H];
  for (const [nm, t] of [['h0', opts.h0], ['c0', opts.c0]] as const) {
    if (!t) continue;
    if (nm === 'c0' && !hasC) throw new Error(`${what}: c0 is for the LSTM cell only`);
    if (t.shape.join(',') !== stateShape.join(',')) throw new Error(`${what}: ${nm} is ${shapeStr(t.shape)}, expected ${shapeStr(stateShape)}`);
  }
  // parameters, by name, checked against PyTorch's shapes
  const P: Tensor[] = [];
  for (const { name, shape } of rnnParamShapes(cfg)) {
    const t = weights[name];
    if (!t) throw new Error(`${what}: missing parameter ${name} ${shapeStr(shape)}`);
    if (t.shape.join(',') !== shape.join(',')) throw new Error(`${what}: parameter ${name} is ${shapeStr(t.shape)}, expected ${shapeStr(shape)}`);
    P.push(t);
  }
  const par = (k: number, d: number, j: number) => P[(k * D + d) * 4 + j]; // j: 0 W_ih, 1 W_hh, 2 b_ih, 3 b_hh
  const lens = new Uint32Array(N).fill(L);
  if (opts.lengths) {
    if (opts.lengths.length !== N) throw new Error(`${what}: ${opts.lengths.length} lengths for a batch of ${N}`);
    for (let n = 0; n < N; n++) {
      const v = opts.lengths[n];
      if (!Number.isInteger(v) || v < 1 || v > L) throw new Error(`${what}: lengths[${n}] = ${v} is outside [1, ${L}]`);
      lens[n] = v;
    }
  }
  const lensBuf = gpu.buffer(lens, 'rnn.lengths');
  const dummy = gpu.buffer(16, 'rnn.dummy');
  const outShape = [...x.shape.slice(0, -1), D * H];
  const output = Tensor.empty(gpu, outShape, `${cfg.cell}.output`);
  const hn = Tensor.empty(gpu, stateShape, `${cfg.cell}.h_n`);
  const cn = hasC ? Tensor.empty(gpu, stateShape, `${cfg.cell}.c_n`) : null;
  const base = { L, N, H, D, sT, sN, G, hasH0: opts.h0 ? 1 : 0, hasC0: opts.c0 ? 1 : 0, acc: 0 };
  const DNH = D * N * H;
  // H % 4 = 0: the step kernels take 4 neighbouring units per invocation with vec4 weight loads
  const vec4 = H % 4 === 0 && !forceScalar;

  // ---- forward, layer by layer ----
  const saved: { input: GPUBuffer; inF: number; xg: GPUBuffer; st: GPUBuffer }[] = [];
  let input = x.buffer;
  for (let k = 0; k < NL; k++) {
    const inF = k === 0 ? cfg.inputSize : D * H;
    const xg = gpu.pool.acquire(D * R * G * 4, 'rnn.gates');
    // all time steps' input projections: one matmul per direction, xg[d] = X·W_ihᵀ + b_ih
    for (let d = 0; d < D; d++) {
      encodeMatmul(gpu, { a: input, b: par(k, d, 0).buffer, c: xg, M: R, N: G, K: inF, transB: true, bias: par(k, d, 2).buffer, offsetC: d * R * G });
    }
    // W_hhᵀ of both directions (D, H, G) for the forward steps; b_hh of both directions (D, G)
    const wt = gpu.pool.acquire(D * G * H * 4, 'rnn.whhT');
    for (let d = 0; d < D; d++) {
      const kt = gpu.kernel({ shader: rnnWgsl, entry: 'pack_t' });
      gpu.dispatch(kt, { buffers: { wsrc: par(k, d, 1).buffer, wtp: wt }, params: { G, H, oT: d * H * G }, workgroups: gpu.grid(G * H, 64) });
    }
    let bhh = par(k, 0, 3).buffer;
    if (D === 2) {
      bhh = gpu.pool.acquire(2 * G * 4, 'rnn.bhh');
      for (let d = 0; d < 2; d++) gpu.copy(par(k, d, 3).buffer, bhh, G * 4, 0, d * G * 4);
    }
    const st = gpu.pool.acquire(kind.saved * D * R * H * 4, 'rnn.state');
    const out = k === NL - 1 ? output.buffer : gpu.pool.acquire(R * D * H * 4, `rnn.layer${k}`);
    const p = { ...base, s: 0, oHn: k * DNH, oH0: k * DNH };
    run(gpu, 'state_init', kind, { st, h0: opts.h0?.buffer ?? dummy, c0: opts.c0?.buffer ?? dummy }, p, DNH);
    const bufs = { xg, bhh, st, out, hn: hn.buffer, cn: cn?.buffer ?? dummy, lens: lensBuf };
    for (let s = 0; s < L; s++) {
      if (vec4) run(gpu, 'step_fwd4', kind, { ...bufs, wt4: wt }, { ...p, s }, DNH / 4);
      else run(gpu, 'step_fwd', kind, { ...bufs, wt }, { ...p, s }, DNH);
    }
    // recorded work keeps its order: the pool may hand these out to later dispatches at once
    gpu.pool.release(wt);
    if (D === 2) gpu.pool.release(bhh);
    saved.push({ input, inF, xg, st });
    input = out;
  }

  const parents = [x, ...(opts.h0 ? [opts.h0] : []), ...(opts.c0 ? [opts.c0] : []), ...P];
  const needGrad = isGradEnabled() && parents.some((t) => t.requiresGrad);
  if (!needGrad) {
    // inference: nothing to keep for backward
    for (const s of saved) {
      gpu.pool.release(s.xg);
      gpu.pool.release(s.st);
      if (s.input !== x.buffer) gpu.pool.release(s.input);
    }
    gpu.pool.release(lensBuf);
    gpu.pool.release(dummy);
    return cn ? { output, hn, cn } : { output, hn };
  }

  // ---- autograd: a hidden core node owns the backward; output / h_n / c_n hand it their gradients ----
  const core = Tensor.empty(gpu, [1], `${cfg.cell}.core`);
  const grads: { out?: Tensor; hn?: Tensor; cn?: Tensor } = {};
  makeNode(core, parents, () => {
    const gOut = grads.out ?? Tensor.zeros(gpu, outShape);
    const carry = gpu.pool.acquire(2 * DNH * 4, 'rnn.carry');
    const gh = opts.h0 ? gradTarget(opts.h0) : null;
    const gc = opts.c0 ? gradTarget(opts.c0) : null;
    let gAbove = gOut.buffer; // gradient of this layer's output (R, D·H)
    for (let k = NL - 1; k >= 0; k--) {
      const { input: inBuf, inF, xg, st } = saved[k];
      // W_hh of both directions side by side (D, G, H) for the backward steps
      let whh = par(k, 0, 1).buffer;
      if (D === 2) {
        whh = gpu.pool.acquire(2 * G * H * 4, 'rnn.whh');
        for (let d = 0; d < 2; d++) gpu.copy(par(k, d, 1).buffer, whh, G * H * 4, 0, d * G * H * 4);
      }
      if (grads.hn) gpu.copy(grads.hn.buffer, carry, DNH * 4, k * DNH * 4, 0);
      else gpu.zero(carry, DNH * 4, 0);
      if (grads.cn) gpu.copy(grads.cn.buffer, carry, DNH * 4, k * DNH * 4, DNH * 4);
      else gpu.zero(carry, DNH * 4, DNH * 4);
      const dg = gpu.pool.acquire(D * R * G * 4, 'rnn.dgates');
      // the input side's gate gradients: dg itself unless the cell's sides differ (GRU)
      const dgx = kind.splitGrad ? gpu.pool.acquire(D * R * G * 4, 'rnn.dgates_ih') : dg;
      const p = { ...base, s: 0, oHn: k * DNH, oH0: k * DNH };
      const bufs = { acts: xg, dg, dgx: kind.splitGrad ? dgx : dummy, sts: st, carry, gout: gAbove, lens: lensBuf };
      // BPTT: one dispatch per time step, last step first
      for (let s = L - 1; s >= 0; s--) {
        if (vec4) run(gpu, 'step_bwd4', kind, { ...bufs, whh4: whh }, { ...p, s }, DNH / 4);
        else run(gpu, 'step_bwd', kind, { ...bufs, whh }, { ...p, s }, DNH);
      }
      if (gh || gc) {
        const q = { ...p, hasH0: gh ? 1 : 0, hasC0: gc ? 1 : 0, acc: (gh ?? gc)!.acc };
        if (gh && gc && gh.acc !== gc.acc) throw new Error('rnn: h0 and c0 gradients disagree on accumulation');
        run(gpu, 'state_grad', kind, { gh0: gh?.t.buffer ?? dummy, whh, dg, carry, gc0: gc?.t.buffer ?? dummy, lens: lensBuf }, q, DNH);
      }
      // parameter gradients over all time steps at once: dW_ih += dgxᵀ·X, dW_hh += dgᵀ·h_prev, db_ih += Σ_rows dgx,
      // db_hh += Σ_rows dg
      for (let d = 0; d < D; d++) {
        const gWi = gradTarget(par(k, d, 0));
        if (gWi) encodeMatmul(gpu, { a: dgx, offsetA: d * R * G, transA: true, b: inBuf, c: gWi.t.buffer, M: G, N: inF, K: R, acc: gWi.acc });
        const gWh = gradTarget(par(k, d, 1));
        if (gWh) encodeMatmul(gpu, { a: dg, offsetA: d * R * G, transA: true, b: st, offsetB: d * R * H, c: gWh.t.buffer, M: G, N: H, K: R, acc: gWh.acc });
        const gbi = gradTarget(par(k, d, 2));
        const gbh = gradTarget(par(k, d, 3));
        if (gbi || gbh) {
          const k2 = gpu.kernel({ shader: rnnWgsl, entry: 'bias_grad' });
          gpu.dispatch(k2, {
            buffers: { dgs: dgx, dgs2: dg, gba: gbi?.t.buffer ?? gpu.buffer(G * 4), gbb: gbh?.t.buffer ?? gpu.buffer(G * 4) },
            params: { R, G, oIn: d * R * G, accA: gbi?.acc ?? 0, accB: gbh?.acc ?? 0 },
            workgroups: gpu.grid(G, 64),
          });
        }
      }
      // gradient of this layer's input: Σ_d dg_d·W_ih_d
      const gx = k === 0 ? gradTarget(x) : null;
      let below: GPUBuffer | null = null;
      if (k > 0) below = gpu.pool.acquire(R * inF * 4, 'rnn.dlayer');
      const target = k > 0 ? below : gx?.t.buffer ?? null;
      if (target) {
        for (let d = 0; d < D; d++) {
          const acc = d > 0 || (k === 0 && !!gx!.acc);
          encodeMatmul(gpu, { a: dgx, offsetA: d * R * G, b: par(k, d, 0).buffer, c: target, M: R, N: inF, K: G, acc });
        }
      }
      gpu.pool.release(dg);
      if (dgx !== dg) gpu.pool.release(dgx);
      if (D === 2) gpu.pool.release(whh);
      if (gAbove !== gOut.buffer) gpu.pool.release(gAbove);
      if (below) gAbove = below;
    }
    gpu.pool.release(carry);
    for (const t of [grads.out, grads.hn, grads.cn]) t?.dispose();
    if (!grads.out) gOut.dispose();
  });
  // each visible output hands its gradient to the core (ownership moves: backward() must not free it)
  const hand = (t: Tensor, key: 'out' | 'hn' | 'cn') =>
    makeNode(t, [core], (o) => {
      grads[key] = o.grad!;
      o.grad = null;
      gradTarget(core, { zeroed: true }); // gives the core a grad, so backward() runs its rule
    });
  hand(output, 'out');
  hand(hn, 'hn');
  if (cn) hand(cn, 'cn');
  return cn ? { output, hn, cn } : { output, hn };
}

/** nn.GRU: rnn() with cell 'gru'. */
export function gru(x: Tensor, weights: RnnWeights, cfg: Omit<RnnConfig, 'cell'>, opts: { h0?: Tensor; lengths?: ArrayLike<number> } = {}): RnnOutputs {
  return rnn(x, weights, { ...cfg, cell: 'gru' }, opts);
}

/** nn.LSTM: rnn() with cell 'lstm'. */
export function lstm(x: Tensor, weights: RnnWeights, cfg: Omit<RnnConfig, 'cell'>, opts: { h0?: Tensor; c0?: Tensor; lengths?: ArrayLike<number> } = {}): Required<RnnOutputs> {
  return rnn(x, weights, { ...cfg, cell: 'lstm' }, opts) as Required<RnnOutputs>;
}
