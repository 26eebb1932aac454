// The course's RNN/LSTM/GRU encoder–decoder (model_type `wgpt-rnn-seq2seq`): RNNSeq2Seq (the decoder starts from the
// encoder's final state) and AttentionSeq2Seq (+ Luong "general" attention over every encoder state), with the
// course's parameter names so a PyTorch state_dict loads as it is; teacher-forced loss, the course's greedy loop,
// the EncoderDecoderLM steps (reorder: beam search runs in seq2seq-generate.ts), and the TSV data hook. Built from
// src/model/layers.ts (Embedding, Linear, the cells' tensors declared on Params, LayerModel's boilerplate: so W_a,
// W_c and fully_connected_layer are linear modules a LinearAdapter may target) and src/ops (rnn, the general
// attention op, concat, tanh). Leaves out: bidirectional encoders (the decoder would need a bridge), dropout.
import type { Gpu } from '../gpu/device.js';
import { Tensor, IdBatch, noGrad } from '../autograd/tensor.js';
import { rnn, rnnParamShapes, RNN_CELLS, type RnnCell, type RnnConfig } from '../ops/rnn.js';
import { attentionWithProbs } from '../ops/attention.js';
import { tanh } from '../ops/unary.js';
import { concat, reshape } from '../ops/shape.js';
import { crossEntropy } from '../ops/loss.js';
import { rowGather } from './reorder.js';
import { pairData, IGNORE_LABEL, type Seq2SeqBatch } from '../data/pairs.js';
import { type Schema, checkConfig, configFromSchema, configToSchema } from './schema.js';
import { type Param, type Params, Embedding, Linear, LayerModel, tableOf } from './layers.js';
import {
  init, checkParamMap, checkArchOptions,
  type ArchOption,
  type Architecture, type Model, type ParamMap, type ParamSpec, type ForwardOptions, type EncoderDecoderLM, type DecoderState,
  type DataSource, type DataOptions, type TrainingData,
} from './model.js';

export const SEQ2SEQ_MODEL_TYPE = 'wgpt-rnn-seq2seq';

export interface Seq2SeqConfig {
  /** recurrent cell of encoder and decoder, a row of RNN_CELLS: 'rnn' (tanh), 'lstm' or 'gru' */
  cell: RnnCell;
  /** one vocabulary for source and target (both embeddings and the output layer) */
  vocab_size: number;
  /** width of the word embeddings */
  embedding_dim: number;
  /** H of the encoder and decoder cells */
  hidden_size: number;
  /** stacked layers of each cell (default 1) */
  num_layers: number;
  /** false only (a bidirectional encoder needs a bridge to the decoder: not built) */
  bidirectional: boolean;
  /** 'none': RNNSeq2Seq; 'luong-general': AttentionSeq2Seq */
  attention: 'none' | 'luong-general';
  /** the decoder's first input */
  start_id: number;
  /** ends a translation */
  end_id: number;
  /** padding (ignored by the loss; row zero in both embeddings) */
  pad_id: number;
  /** longest decoder input the model accepts (greedy decoding's default cap) */
  max_target_length: number;
}

const presetOf = (cell: RnnCell, attention: Seq2SeqConfig['attention'], embedding_dim: number, hidden_size: number): Seq2SeqConfig => ({
  // a placeholder vocabulary (pad, start, end): a fresh model gets the tokenizer's ids + these three
  cell, attention, embedding_dim, hidden_size, vocab_size: 3, num_layers: 1, bidirectional: false, pad_id: 0, start_id: 1, end_id: 2, max_target_length: 64,
});

/** Fresh-model presets (`wgpt train --arch rnn-seq2seq --preset NAME`): the course's three models, and a tiny one for tests. */
export const SEQ2SEQ_PRESETS: Record<string, Seq2SeqConfig> = {
  /** AttentionSeq2Seq: LSTM encoder + LSTM decoder with Luong attention */
  'lstm-luong': presetOf('lstm', 'luong-general', 64, 128),
  /** RNNSeq2Seq with LSTM cells */
  lstm: presetOf('lstm', 'none', 64, 128),
  /** RNNSeq2Seq with Elman (tanh) cells */
  rnn: presetOf('rnn', 'none', 64, 128),
  /** Elman (tanh) cells with Luong attention */
  'rnn-luong': presetOf('rnn', 'luong-general', 64, 128),
  /** RNNSeq2Seq with GRU cells */
  gru: presetOf('gru', 'none', 64, 128),
  /** GRU cells with Luong attention */
  'gru-luong': presetOf('gru', 'luong-general', 64, 128),
  tiny: presetOf('lstm', 'luong-general', 16, 32),
};

/** `wgpt train --arch rnn-seq2seq` flags of a fresh model (each replaces the preset's field). */
const SEQ2SEQ_OPTIONS: ArchOption[] = [
  { name: 'cell', kind: 'choice', choices: Object.keys(RNN_CELLS), help: [Object.keys(RNN_CELLS).join('|'), 'recurrent cell of encoder and decoder (Elman tanh RNN, LSTM or GRU)', 'from --preset; lstm-luong: lstm'] },
  { name: 'attention', kind: 'choice', choices: ['none', 'luong', 'luong-general'], help: ['none|luong', "'luong': the decoder attends over every encoder state (Luong general, AttentionSeq2Seq); 'none': RNNSeq2Seq", 'from --preset; lstm-luong: luong'] },
  { name: 'embedding-dim', kind: 'int', help: ['E', 'width of the word embeddings', 'from --preset; 64'] },
  { name: 'hidden-size', kind: 'int', help: ['H', 'hidden size of encoder and decoder cells', 'from --preset; 128'] },
  { name: 'num-layers', kind: 'int', help: ['L', 'stacked layers of each cell', 'from --preset; 1'] },
];

/** Seq2SeqConfig's keys as data (config.json uses the same names; absent optional keys take these defaults). */
export const SEQ2SEQ_SCHEMA: Schema<Seq2SeqConfig> = {
  cell: { type: 'enum', values: Object.keys(RNN_CELLS) },
  vocab_size: { type: 'int', min: 1 },
  embedding_dim: { type: 'int', min: 1 },
  hidden_size: { type: 'int', min: 1 },
  num_layers: { type: 'int', min: 1, default: 1 },
  bidirectional: { type: 'bool', default: false },
  attention: { type: 'enum', values: ['none', 'luong-general'], default: 'none' },
  start_id: { type: 'int', min: 0 },
  end_id: { type: 'int', min: 0 },
  pad_id: { type: 'int', min: 0 },
  max_target_length: { type: 'int', min: 1, default: 64 },
};

/** Checks a config against the schema, then the rules across keys; throws one line naming the key. */
function validate(c: Seq2SeqConfig, where: string = SEQ2SEQ_MODEL_TYPE): Seq2SeqConfig {
  checkConfig(SEQ2SEQ_SCHEMA, c, where);
  for (const k of ['start_id', 'end_id', 'pad_id'] as const) {
    if (c[k] >= c.vocab_size) throw new Error(`${where}: ${k} ${c[k]} is outside the vocabulary [0, ${c.vocab_size})`);
  }
  if (c.bidirectional) throw new Error(`${where}: bidirectional encoders are not supported (the decoder's state would need a bridge)`);
  return c;
}

const fromHF = (j: Record<string, unknown>, where: string): Seq2SeqConfig => validate(configFromSchema(SEQ2SEQ_SCHEMA, j, where), where);

const toHF = (c: Seq2SeqConfig): Record<string, unknown> => ({ model_type: SEQ2SEQ_MODEL_TYPE, ...configToSchema(SEQ2SEQ_SCHEMA, c) });

const rnnCfg = (c: Seq2SeqConfig): RnnConfig => ({ cell: c.cell, inputSize: c.embedding_dim, hiddenSize: c.hidden_size, numLayers: c.num_layers, batchFirst: true });

/** The layers of one side: word embeddings and the recurrent cell's tensors (rnnParamShapes' names, PyTorch's order). */
interface SideLayers {
  embed: Embedding;
  cell: Record<string, Param>;
}

/** Seq2SeqModel's layers in the table's order: encoder, decoder, Luong attention (W_a, W_c), output layer. */
export interface Seq2SeqLayers {
  encoder: SideLayers;
  decoder: SideLayers;
  attn: { W_a: Linear; W_c: Linear } | null;
  out: Linear;
}

/**
 * Declares the course's tensors in PyTorch's order (the seeded init draws in this order): PyTorch's init, N(0,1)
 * embeddings (pad row zero), U(±1/√fan) cells and linears (biases too).
 */
export function seq2seqLayers(ps: Params, c: Seq2SeqConfig): Seq2SeqLayers {
  const H = c.hidden_size;
  const side = (name: 'encoder' | 'decoder'): SideLayers => {
    const s = ps.scope(`${name}.`);
    const embed = new Embedding(s, 'word_embeddings', c.vocab_size, c.embedding_dim, { init: init.normal(1), paddingRow: c.pad_id });
    const cell: Record<string, Param> = {};
    for (const p of rnnParamShapes(rnnCfg(c))) cell[p.name] = s.param(`${c.cell}.${p.name}`, p.shape, init.uniform(1 / Math.sqrt(H)));
    return { embed, cell };
  };
  const lin = (name: string, inF: number, outF: number) => new Linear(ps, name, inF, outF, { layout: 'torch', init: init.uniform(1 / Math.sqrt(inF)), biasInit: init.uniform(1 / Math.sqrt(inF)) });
  const encoder = side('encoder');
  const decoder = side('decoder');
  const attn = c.attention === 'luong-general' ? { W_a: lin('decoder.attn.W_a', H, H), W_c: lin('decoder.W_c', 2 * H, H) } : null;
  return { encoder, decoder, attn, out: lin('decoder.fully_connected_layer', H, c.vocab_size) };
}

/** The parameter table in the course's names (what seq2seqLayers declares). */
export function seq2seqParamTable(c: Seq2SeqConfig): ParamSpec[] {
  return tableOf(SEQ2SEQ_MODEL_TYPE, (ps) => seq2seqLayers(ps, c));
}

export type { Seq2SeqBatch } from '../data/pairs.js';
/** the one TSV parser (src/data/pairs.ts), re-exported where it used to live */
export { parseTsvPairs } from '../data/pairs.js';

/** forward()'s input: sources (B, S) with lengths and teacher-forced decoder inputs (B, T). */
export interface Seq2SeqInput {
  B: number;
  S: number;
  T: number;
  src: ArrayLike<number>;
  srcLens: number[];
  tgtIn: ArrayLike<number>;
}

interface State extends DecoderState {
  B: number;
  S: number;
  encOut: Tensor;
  /** each source's length: attention sees positions [0, length) */
  lengths: number[];
  h: Tensor;
  c?: Tensor;
  /** decodeStep's h/c are kept out of the caller's scope (disposed by the next step or dispose()) */
  ownsState: boolean;
  /** after reorder: encOut is a kept copy owned by the state (released by the next reorder or dispose()) */
  ownsEnc: boolean;
  /** with encode(…, {attention: true}): the last decodeStep's attention weights (B, 1, Tn, S), kept likewise */
  wantAttn: boolean;
  attn: Tensor | null;
}

export interface GreedyResult {
  /** one row per source, beginning with the start token (the course's loop: every row runs until all ended or maxLen) */
  ids: number[][];
  /** logits of every step (steps, B, V) */
  stepLogits: Float32Array;
  /** attention weights of every step (steps, B, S), attention models only */
  attention: Float32Array | null;
  steps: number;
}

/** The config checked and the checkpoint's arrays checked against the table (before anything is uploaded). */
function checked(c: Seq2SeqConfig, params: ParamMap): Seq2SeqConfig {
  checkParamMap(seq2seqParamTable(validate(c)), params, SEQ2SEQ_MODEL_TYPE);
  return c;
}

export class Seq2SeqModel extends LayerModel<Seq2SeqConfig, Seq2SeqLayers> implements Model<Seq2SeqConfig, Seq2SeqBatch, Seq2SeqInput>, EncoderDecoderLM {
  readonly arch = rnnSeq2seq;
  readonly capabilities = { encoderDecoder: true } as const;

  constructor(gpu: Gpu, config: Seq2SeqConfig, params: ParamMap) {
    super(gpu, checked(config, params), SEQ2SEQ_MODEL_TYPE, seq2seqLayers, params);
  }

  get sourceVocabSize() { return this.config.vocab_size; }
  get targetVocabSize() { return this.config.vocab_size; }
  get decoderStartId() { return this.config.start_id; }
  get eosId() { return this.config.end_id; }
  get maxTargetLength() { return this.config.max_target_length; }
  get padId() { return this.config.pad_id; }
  /** the course's beam search: a beam that emits end_id is finished; the search stops when every beam has (seq2seq-generate.ts) */
  readonly beamRule = 'course' as const;

  private cellWeights(side: SideLayers): Record<string, Tensor> {
    const w: Record<string, Tensor> = {};
    for (const [name, p] of Object.entries(side.cell)) w[name] = p.t;
    return w;
  }

  private ids(ids: ArrayLike<number>, shape: number[], what: string): IdBatch {
    return IdBatch.from(this.gpu, ids, shape, this.config.vocab_size, what);
  }

  /** Encoder: embeddings of the padded sources (B, S) → states (B, S, H) and the final state of each sequence. */
  encode(src: IdBatch, lengths: number[], o: { attention?: boolean } = {}): State {
    const [B, S] = src.shape;
    if (lengths.length !== B) throw new Error(`encode: ${lengths.length} lengths for ${B} sources`);
    const enc = this.layers.encoder;
    const r = rnn(enc.embed.forward(src), this.cellWeights(enc), rnnCfg(this.config), { lengths });
    const st: State = {
      B, S, encOut: r.output, lengths: [...lengths], h: r.hn, c: r.cn, ownsState: false, ownsEnc: false, wantAttn: !!o.attention, attn: null,
      dispose() {
        if (st.ownsState) for (const t of [st.h, st.c]) t?.dispose();
        if (st.ownsEnc) st.encOut.dispose();
        st.attn?.dispose();
        st.attn = null;
      },
    };
    return st;
  }

  /**
   * Decoder over target ids (B, T) from `st` (teacher forcing, or one greedy step with T = 1): logits (B, T, V), the
   * attention weights (B, T, S) when the model has attention, and the state after the last step.
   */
  decode(st: State, tgt: IdBatch): { logits: Tensor; attn: Tensor | null; h: Tensor; c?: Tensor } {
    const c = this.config;
    const [B, T] = tgt.shape;
    const L = this.layers;
    const r = rnn(L.decoder.embed.forward(tgt), this.cellWeights(L.decoder), rnnCfg(c), { h0: st.h, c0: st.c });
    let top = r.output; // (B, T, H)
    let attn: Tensor | null = null;
    if (L.attn) {
      // q = W_a h_t + b_a; e_s = h_s·q (one head, no scaling); a = softmax over the real source positions
      // (padded ones get exactly 0); c = Σ_s a_s h_s: the general attention op with keys = values = h_s
      const q = L.attn.W_a.forward(top);
      const { out: ctx, probs } = attentionWithProbs(q, st.encOut, st.encOut, { heads: 1, scale: 1, keyLengths: st.lengths });
      attn = probs; // (B, 1, T, S): heads = 1
      // h̃ = tanh(W_c [h_t; c] + b_c), h_t first
      top = tanh(L.attn.W_c.forward(concat([top, ctx], -1)));
    }
    const logits = L.out.forward(top);
    return { logits, attn, h: r.hn, c: r.cn };
  }

  private checkInput(x: Seq2SeqInput): void {
    const { B, S, T } = x;
    if (x.src.length !== B * S) throw new Error(`${SEQ2SEQ_MODEL_TYPE}: ${x.src.length} source ids for a (${B}, ${S}) batch`);
    if (x.tgtIn.length !== B * T) throw new Error(`${SEQ2SEQ_MODEL_TYPE}: ${x.tgtIn.length} decoder ids for a (${B}, ${T}) batch`);
    if (T > this.config.max_target_length) throw new Error(`${SEQ2SEQ_MODEL_TYPE}: decoder input of ${T} tokens exceeds max_target_length ${this.config.max_target_length}`);
    x.srcLens.forEach((l, b) => {
      if (!Number.isInteger(l) || l < 1 || l > S) throw new Error(`${SEQ2SEQ_MODEL_TYPE}: source ${b} has length ${l}, outside [1, ${S}]`);
    });
  }

  /** Teacher-forced logits (B, T, V): logits[b, t] come after reading tgtIn[b, t]. */
  forward(x: Seq2SeqInput, _o?: ForwardOptions): Tensor {
    return this.forwardWithAttention(x).logits;
  }

  forwardWithAttention(x: Seq2SeqInput): { logits: Tensor; attn: Tensor | null } {
    this.checkInput(x);
    const st = this.encode(this.ids(x.src, [x.B, x.S], 'source id'), x.srcLens);
    const d = this.decode(st, this.ids(x.tgtIn, [x.B, x.T], 'decoder id'));
    return { logits: d.logits, attn: d.attn };
  }

  /** Mean cross-entropy over the real labels (padding is IGNORE_LABEL). */
  loss(b: Seq2SeqBatch, o?: ForwardOptions): Tensor {
    const logits = this.forward({ B: b.B, S: b.S, T: b.T, src: b.src, srcLens: b.srcLens, tgtIn: b.decoderInput }, o);
    return crossEntropy(logits, b.labels, IGNORE_LABEL, o?.labelSmoothing ?? 0);
  }

  /** EncoderDecoderLM: next-token logits [B, Tn, V] for ids [B, Tn], advancing the state (no graph). */
  decodeStep(state: DecoderState, ids: IdBatch, _pos: number): Tensor {
    const st = state as State;
    return noGrad(() => {
      const d = this.decode(st, ids);
      // the new state outlives the caller's per-step scope: kept here, released when replaced
      for (const t of [d.h, d.c]) if (t) this.gpu.pool.keep(t.buffer);
      if (st.ownsState) for (const t of [st.h, st.c]) t?.dispose();
      st.h = d.h;
      st.c = d.c;
      st.ownsState = true;
      st.attn?.dispose();
      st.attn = null;
      if (st.wantAttn && d.attn) {
        this.gpu.pool.keep(d.attn.buffer);
        st.attn = d.attn;
      }
      return d.logits;
    });
  }

  /**
   * Beam search: row r of the state continues old row from[r] (also expands B sources to B·beams rows): the encoder
   * states, their lengths and every layer's h (and c) are gathered by row.
   */
  reorder(state: DecoderState, from: readonly number[]): void {
    const st = state as State;
    const gpu = this.gpu;
    const R = from.length;
    const gather = rowGather(gpu, from, st.B, SEQ2SEQ_MODEL_TYPE);
    const H = this.config.hidden_size;
    noGrad(() => {
      const rows = (t: Tensor, groups: number, width: number): Tensor => {
        const g = gather.rows(t.buffer, width, groups);
        gpu.pool.keep(g.buffer);
        return g;
      };
      const layers = st.h.shape[0];
      const enc = reshape(rows(st.encOut, 1, st.S * H), [R, st.S, H]);
      const h = reshape(rows(st.h, layers, H), [layers, R, H]);
      const c = st.c ? reshape(rows(st.c, layers, H), [layers, R, H]) : undefined;
      if (st.ownsEnc) st.encOut.dispose();
      if (st.ownsState) for (const t of [st.h, st.c]) t?.dispose();
      st.encOut = enc;
      st.h = h;
      st.c = c;
      st.ownsEnc = true;
      st.ownsState = true;
    });
    gather.dispose();
    st.lengths = from.map((f) => st.lengths[f]);
    st.attn?.dispose();
    st.attn = null;
    st.B = R;
  }

  /** With encode(…, {attention: true}): the last decodeStep's Luong attention weights (B, 1, Tn, S). */
  lastAttention(state: DecoderState): { probs: Tensor; heads: number; which: string } | null {
    const st = state as State;
    return st.attn ? { probs: st.attn, heads: 1, which: 'Luong attention' } : null;
  }

  /** The course's greedy loop for a batch: start token, argmax, stop when every row produced the end token or after maxLen tokens. */
  async greedy(src: ArrayLike<number>, srcLens: number[], S: number, maxLen = this.config.max_target_length): Promise<GreedyResult> {
    const B = srcLens.length;
    const V = this.config.vocab_size;
    return this.gpu.scope(() =>
      noGrad(async () => {
        this.checkInput({ B, S, T: 1, src, srcLens, tgtIn: new Int32Array(B) });
        const st = this.encode(this.ids(src, [B, S], 'source id'), srcLens);
        const ids = Array.from({ length: B }, () => [this.config.start_id]);
        const done = new Array<boolean>(B).fill(false);
        const logitsAll: Float32Array[] = [];
        const attnAll: Float32Array[] = [];
        for (let step = 0; step < maxLen; step++) {
          const d = this.decode(st, this.ids(ids.map((r) => r[r.length - 1]), [B, 1], 'decoder id'));
          st.h = d.h;
          st.c = d.c;
          const lg = await d.logits.toArray();
          logitsAll.push(lg);
          if (d.attn) attnAll.push(await d.attn.toArray());
          for (let b = 0; b < B; b++) {
            let best = 0;
            for (let v = 1; v < V; v++) if (lg[b * V + v] > lg[b * V + best]) best = v;
            ids[b].push(best);
            if (best === this.config.end_id) done[b] = true;
          }
          if (done.every(Boolean)) break;
        }
        const steps = logitsAll.length;
        const stepLogits = new Float32Array(steps * B * V);
        logitsAll.forEach((l, i) => stepLogits.set(l, i * B * V));
        let attention: Float32Array | null = null;
        if (attnAll.length) {
          attention = new Float32Array(steps * B * S);
          attnAll.forEach((a, i) => attention!.set(a, i * B * S));
        }
        return { ids, stepLogits, attention, steps };
      }),
    );
  }

}

// ---- data: TSV pairs (src/data/pairs.ts) ------------------------------------------------------------------------

/** Sources as they are; targets + the end token as labels, [start] + target as the decoder input. */
function prepareTsv(ds: DataSource, c: Seq2SeqConfig, o: DataOptions): TrainingData<Seq2SeqBatch> {
  const toIds = (p: { line: number; src: string; tgt: string }) => {
    const src = ds.tokenizer.encode(p.src);
    const tgt = ds.tokenizer.encode(p.tgt);
    if (!src.length) throw new Error(`${ds.path}:${p.line}: the source encodes to no tokens`);
    if (!tgt.length) throw new Error(`${ds.path}:${p.line}: the target encodes to no tokens`);
    if (tgt.length + 1 > c.max_target_length) throw new Error(`${ds.path}:${p.line}: target of ${tgt.length} tokens exceeds max_target_length ${c.max_target_length} − 1`);
    for (const v of [...src, ...tgt]) if (v >= c.vocab_size) throw new Error(`${ds.path}:${p.line}: token id ${v} is outside the model's vocabulary (${c.vocab_size})`);
    return { src, tgt: [...tgt, c.end_id] };
  };
  return pairData(ds.text(), ds.path, toIds, { padId: c.pad_id, startId: c.start_id }, o);
}

export const rnnSeq2seq: Architecture<Seq2SeqConfig, Seq2SeqBatch, Seq2SeqModel> = {
  modelType: SEQ2SEQ_MODEL_TYPE,
  name: 'rnn-seq2seq',
  summary: "the course's RNN/LSTM encoder–decoder, optionally with Luong attention (trained on source<TAB>target pairs)",
  presets: SEQ2SEQ_PRESETS,
  defaultPreset: 'lstm-luong',
  validateConfig: validate,
  configFromHF: fromHF,
  configToHF: toHF,
  paramTable: seq2seqParamTable,
  hf: {
    prefixes: [],
    unexpectedHint(name, c) {
      const m = new RegExp(`^(encoder|decoder)\\.(${Object.keys(RNN_CELLS).join('|')})\\.`).exec(name);
      if (m && m[2] !== c.cell) return `weights of an ${m[2].toUpperCase()} cell, but config.json says cell "${c.cell}"`;
      if (name.startsWith('decoder.attn.') || name.startsWith('decoder.W_c.')) return 'Luong attention weights, but config.json says attention "none"';
      if (/_reverse$/.test(name)) return 'a bidirectional cell, which wgpt-rnn-seq2seq does not build';
      return '';
    },
  },
  create: (gpu, config, params) => new Seq2SeqModel(gpu, config, params),
  options: SEQ2SEQ_OPTIONS,
  freshConfig(o) {
    // the tokenizer's ids, then pad, start and end appended; --context caps the decoder input; the options
    // (--cell, --attention, sizes) replace the preset's fields
    const base = SEQ2SEQ_PRESETS[o.preset ?? 'lstm-luong'];
    if (!base) throw new Error(`unknown preset '${o.preset}' (presets: ${Object.keys(SEQ2SEQ_PRESETS).join(', ')})`);
    const a = checkArchOptions(rnnSeq2seq, o.archOptions ?? {});
    const V = o.vocabSize;
    const c: Seq2SeqConfig = { ...base, vocab_size: V + 3, pad_id: V, start_id: V + 1, end_id: V + 2, max_target_length: o.context ?? base.max_target_length };
    if (a.cell !== undefined) c.cell = a.cell as RnnCell;
    if (a.attention !== undefined) c.attention = a.attention === 'none' ? 'none' : 'luong-general';
    if (a['embedding-dim'] !== undefined) c.embedding_dim = a['embedding-dim'] as number;
    if (a['hidden-size'] !== undefined) c.hidden_size = a['hidden-size'] as number;
    if (a['num-layers'] !== undefined) c.num_layers = a['num-layers'] as number;
    return validate(c);
  },
  withOptions: (c) => c,
  vocabSize: (c) => c.vocab_size,
  describe: (c) => `${c.cell.toUpperCase()} encoder–decoder${c.attention === 'luong-general' ? ' + Luong attention' : ''}, ${c.num_layers} layer${c.num_layers > 1 ? 's' : ''}, embedding ${c.embedding_dim}, hidden ${c.hidden_size}, vocab ${c.vocab_size}`,
  labelSmoothing: true,
  data: { prepare: prepareTsv },
};
