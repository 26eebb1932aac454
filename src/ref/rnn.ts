// CPU reference for the stacked (bidirectional) RNN-tanh / LSTM / GRU, forward and BPTT backward, with
// per-sequence lengths (test oracle only): plain loops in f64, time-major layout, each cell's equations written
// out. Leaves out: batch_first (the tests transpose), dropout.

export interface RnnRefConfig {
  cell: 'rnn' | 'lstm' | 'gru';
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
}

/** x (L, N, H_in); weights by PyTorch name; h0/c0 (numLayers·D, N, H); lengths (N) in [1, L]. */
export interface RnnRefInputs {
  x: ArrayLike<number>;
  L: number;
  N: number;
  weights: Record<string, ArrayLike<number>>;
  h0?: ArrayLike<number>;
  c0?: ArrayLike<number>;
  lengths?: ArrayLike<number>;
}

interface Tape {
  // per layer, per direction, per time t, per n: state before, activations (G), input row
  hPrev: Float64Array[][]; // [k][d] (L, N, H)
  cPrev: Float64Array[][];
  acts: Float64Array[][]; // (L, N, G)
  /** GRU: W_hn·h + b_hn at each time, (L, N, H) */
  hn: Float64Array[][];
  inputs: Float64Array[]; // [k] (L, N, inF)
}

const GATES = { rnn: 1, lstm: 4, gru: 3 } as const;

const sig = (z: number) => 1 / (1 + Math.exp(-z));

/** Forward. Returns output (L, N, D·H), hn/cn (numLayers·D, N, H) and the tape for rnnBwdRef. */
export function rnnRef(cfg: RnnRefConfig, inp: RnnRefInputs): { output: Float64Array; hn: Float64Array; cn: Float64Array; tape: Tape } {
  const { L, N } = inp;
  const H = cfg.hiddenSize;
  const D = cfg.bidirectional ? 2 : 1;
  const lstm = cfg.cell === 'lstm';
  const gru = cfg.cell === 'gru';
  const G = GATES[cfg.cell] * H;
  const len = Array.from({ length: N }, (_, n) => (inp.lengths ? inp.lengths[n] : L));
  const hn = new Float64Array(cfg.numLayers * D * N * H);
  const cn = new Float64Array(cfg.numLayers * D * N * H);
  const tape: Tape = { hPrev: [], cPrev: [], acts: [], hn: [], inputs: [] };
  let x = Float64Array.from(inp.x);
  let inF = cfg.inputSize;
  for (let k = 0; k < cfg.numLayers; k++) {
    tape.inputs.push(x);
    const out = new Float64Array(L * N * D * H);
    tape.hPrev.push([]);
    tape.cPrev.push([]);
    tape.acts.push([]);
    tape.hn.push([]);
    for (let d = 0; d < D; d++) {
      const sfx = `l${k}${d ? '_reverse' : ''}`;
      const Wi = inp.weights[`weight_ih_${sfx}`];
      const Wh = inp.weights[`weight_hh_${sfx}`];
      const bi = inp.weights[`bias_ih_${sfx}`];
      const bh = inp.weights[`bias_hh_${sfx}`];
      const hP = new Float64Array(L * N * H);
      const cP = new Float64Array(L * N * H);
      const A = new Float64Array(L * N * G);
      const HN = new Float64Array(L * N * H);
      const so = (k * D + d) * N * H;
      for (let n = 0; n < N; n++) {
        let h = Float64Array.from({ length: H }, (_, j) => (inp.h0 ? inp.h0[so + n * H + j] : 0));
        let c = Float64Array.from({ length: H }, (_, j) => (inp.c0 ? inp.c0[so + n * H + j] : 0));
        for (let s = 0; s < L; s++) {
          const t = d === 0 ? s : L - 1 - s;
          hP.set(h, (t * N + n) * H);
          cP.set(c, (t * N + n) * H);
          if (t >= len[n]) continue; // padded: state unchanged, output stays 0
          // ax = W_ih x + b_ih, ah = W_hh h + b_hh; a = ax + ah (the GRU's n block uses them apart)
          const ax = new Float64Array(G);
          const ah = new Float64Array(G);
          const a = new Float64Array(G);
          for (let g = 0; g < G; g++) {
            let zx = bi[g];
            for (let i = 0; i < inF; i++) zx += x[(t * N + n) * inF + i] * Wi[g * inF + i];
            let zh = bh[g];
            for (let i = 0; i < H; i++) zh += h[i] * Wh[g * H + i];
            ax[g] = zx;
            ah[g] = zh;
            a[g] = zx + zh;
          }
          const hN = new Float64Array(H);
          const cN = new Float64Array(H);
          for (let j = 0; j < H; j++) {
            if (lstm) {
              const ig = sig(a[j]), fg = sig(a[H + j]), gg = Math.tanh(a[2 * H + j]), og = sig(a[3 * H + j]);
              cN[j] = fg * c[j] + ig * gg;
              hN[j] = og * Math.tanh(cN[j]);
              A[(t * N + n) * G + j] = ig;
              A[(t * N + n) * G + H + j] = fg;
              A[(t * N + n) * G + 2 * H + j] = gg;
              A[(t * N + n) * G + 3 * H + j] = og;
            } else if (gru) {
              // r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r·h_n), h' = (1 − z)·n + z·h
              const rg = sig(a[j]), zg = sig(a[H + j]);
              const ng = Math.tanh(ax[2 * H + j] + rg * ah[2 * H + j]);
              hN[j] = (1 - zg) * ng + zg * h[j];
              A[(t * N + n) * G + j] = rg;
              A[(t * N + n) * G + H + j] = zg;
              A[(t * N + n) * G + 2 * H + j] = ng;
              HN[(t * N + n) * H + j] = ah[2 * H + j];
            } else {
              hN[j] = Math.tanh(a[j]);
              A[(t * N + n) * G + j] = hN[j];
            }
          }
          h = hN;
          c = cN;
          for (let j = 0; j < H; j++) out[(t * N + n) * D * H + d * H + j] = h[j];
        }
        hn.set(h, so + n * H);
        if (lstm) cn.set(c, so + n * H);
      }
      tape.hPrev[k].push(hP);
      tape.cPrev[k].push(cP);
      tape.acts[k].push(A);
      tape.hn[k].push(HN);
    }
    x = out;
    inF = D * H;
  }
  return { output: x, hn, cn, tape };
}

/**
 * BPTT. dout (L, N, D·H), dhn/dcn (numLayers·D, N, H) → dx (L, N, H_in), dh0, dc0 and a gradient per
 * parameter name.
 */
export function rnnBwdRef(
  cfg: RnnRefConfig,
  inp: RnnRefInputs,
  tape: Tape,
  dout: ArrayLike<number>,
  dhn: ArrayLike<number>,
  dcn?: ArrayLike<number>,
): { dx: Float64Array; dh0: Float64Array; dc0: Float64Array; dw: Record<string, Float64Array> } {
  const { L, N } = inp;
  const H = cfg.hiddenSize;
  const D = cfg.bidirectional ? 2 : 1;
  const lstm = cfg.cell === 'lstm';
  const gru = cfg.cell === 'gru';
  const G = GATES[cfg.cell] * H;
  const len = Array.from({ length: N }, (_, n) => (inp.lengths ? inp.lengths[n] : L));
  const dh0 = new Float64Array(cfg.numLayers * D * N * H);
  const dc0 = new Float64Array(cfg.numLayers * D * N * H);
  const dw: Record<string, Float64Array> = {};
  let dy = Float64Array.from(dout);
  let dx = new Float64Array(0);
  for (let k = cfg.numLayers - 1; k >= 0; k--) {
    const inF = k === 0 ? cfg.inputSize : D * H;
    const x = tape.inputs[k];
    dx = new Float64Array(L * N * inF);
    for (let d = 0; d < D; d++) {
      const sfx = `l${k}${d ? '_reverse' : ''}`;
      const Wi = inp.weights[`weight_ih_${sfx}`];
      const Wh = inp.weights[`weight_hh_${sfx}`];
      const dWi = new Float64Array(G * inF);
      const dWh = new Float64Array(G * H);
      const db = new Float64Array(G);
      const dbh = new Float64Array(G);
      const A = tape.acts[k][d];
      const HN = tape.hn[k][d];
      const hP = tape.hPrev[k][d];
      const cP = tape.cPrev[k][d];
      const so = (k * D + d) * N * H;
      for (let n = 0; n < N; n++) {
        // gradients of the state after the current step (going backwards in processing order)
        const dh = Float64Array.from({ length: H }, (_, j) => dhn[so + n * H + j]);
        const dc = Float64Array.from({ length: H }, (_, j) => (dcn ? dcn[so + n * H + j] : 0));
        for (let s = L - 1; s >= 0; s--) {
          const t = d === 0 ? s : L - 1 - s;
          if (t >= len[n]) continue; // state passed through unchanged: gradients too
          const r = t * N + n;
          // da: gradient of the pre-activations on the hidden side (W_hh h + b_hh), dax on the input side; they
          // differ only in the GRU's n block (r scales W_hn h + b_hn); dhz: the GRU's direct path through z⊙h
          const da = new Float64Array(G);
          const dax = new Float64Array(G);
          const dhz = new Float64Array(H);
          for (let j = 0; j < H; j++) {
            const g = dh[j] + dy[r * D * H + d * H + j];
            if (lstm) {
              const ig = A[r * G + j], fg = A[r * G + H + j], gg = A[r * G + 2 * H + j], og = A[r * G + 3 * H + j];
              const c = fg * cP[r * H + j] + ig * gg;
              const tc = Math.tanh(c);
              const dcc = dc[j] + g * og * (1 - tc * tc);
              da[j] = dcc * gg * ig * (1 - ig);
              da[H + j] = dcc * cP[r * H + j] * fg * (1 - fg);
              da[2 * H + j] = dcc * ig * (1 - gg * gg);
              da[3 * H + j] = g * tc * og * (1 - og);
              dc[j] = dcc * fg;
            } else if (gru) {
              const rg = A[r * G + j], zg = A[r * G + H + j], ng = A[r * G + 2 * H + j];
              const dn = g * (1 - zg) * (1 - ng * ng); // through tanh: d(x_n + r·h_n)
              da[j] = dn * HN[r * H + j] * rg * (1 - rg);
              da[H + j] = g * (hP[r * H + j] - ng) * zg * (1 - zg);
              da[2 * H + j] = dn * rg;
              dax[2 * H + j] = dn;
              dhz[j] = g * zg;
            } else {
              const h = A[r * G + j];
              da[j] = g * (1 - h * h);
            }
          }
          if (!gru) dax.set(da);
          else for (let q = 0; q < 2 * H; q++) dax[q] = da[q];
          for (let j = 0; j < H; j++) {
            let s2 = dhz[j];
            for (let g = 0; g < G; g++) s2 += da[g] * Wh[g * H + j];
            dh[j] = s2;
          }
          for (let g = 0; g < G; g++) {
            db[g] += dax[g];
            dbh[g] += da[g];
            for (let i = 0; i < inF; i++) {
              dWi[g * inF + i] += dax[g] * x[r * inF + i];
              dx[r * inF + i] += dax[g] * Wi[g * inF + i];
            }
            for (let i = 0; i < H; i++) dWh[g * H + i] += da[g] * hP[r * H + i];
          }
        }
        dh0.set(dh, so + n * H);
        dc0.set(dc, so + n * H);
      }
      dw[`weight_ih_${sfx}`] = dWi;
      dw[`weight_hh_${sfx}`] = dWh;
      dw[`bias_ih_${sfx}`] = db;
      dw[`bias_hh_${sfx}`] = dbh;
    }
    dy = dx;
  }
  return { dx, dh0, dc0, dw };
}
