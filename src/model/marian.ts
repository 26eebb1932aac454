// Marian (Hugging Face MarianMTModel): post-LayerNorm Transformer encoder–decoder, token embeddings × √d_model plus
// computed sinusoidal positions (sin in the first half of the channels, cos in the second), q scaled by head_dim^−0.5,
// cross-attention over the encoder output with the source padding mask, lm_head tied to the decoder's embeddings plus
// final_logits_bias. Training loss, teacher-forced logits and cached decoding for generation, all from src/ops.
// Leaves out: layerdrop, pre-LayerNorm variants.
import type { Gpu } from '../gpu/device.js';
import { Tensor, IdBatch, noGrad } from '../autograd/tensor.js';
import { embedding, embeddingWithPositions } from '../ops/embedding.js';
import { dropout } from '../ops/elementwise.js';
import { activation } from '../ops/unary.js';
import { linearT } from '../ops/matmul.js';
import { crossEntropy } from '../ops/loss.js';
import { attention, attentionWithProbs, attentionDecode, createKVCache, type KVCache } from '../ops/attention.js';
import { reshape } from '../ops/shape.js';
import { mixSeed } from './init.js';
import { MarianTokenizer } from '../tokenizer/marian.js';
import { type Architecture, type Model, type ForwardOptions, type ParamMap, type EncoderDecoderLM, type DecoderState, type DataSource, type DataOptions, type TrainingData, trainableParams, checkArchOptions } from './model.js';
import { pairData, type Seq2SeqBatch } from '../data/pairs.js';
import { rowGather } from './reorder.js';
import { type MarianConfig, type MarianLayers, MARIAN_PRESETS, validateMarianConfig, marianConfigFromHF, marianConfigToHF, marianParamTable, marianHF, marianLayers } from './marian-config.js';
import { type AttendWith, LayerModel } from './layers.js';

export type { MarianConfig } from './marian-config.js';
export type { Seq2SeqBatch } from '../data/pairs.js';

export interface MarianInput {
  src: IdBatch;
  /** [B·S] 0/1 */
  srcMask: ArrayLike<number>;
  decoderInput: IdBatch;
}

/** The frozen position table, as MarianSinusoidalPositionalEmbedding computes it (float64, stored as float32). */
export function marianSinusoids(nPos: number, d: number): Float32Array {
  const out = new Float32Array(nPos * d);
  const half = d / 2;
  for (let pos = 0; pos < nPos; pos++) {
    for (let i = 0; i < half; i++) {
      const angle = pos / Math.pow(10000, (2 * i) / d);
      out[pos * d + i] = Math.sin(angle);
      out[pos * d + half + i] = Math.cos(angle);
    }
  }
  return out;
}

interface State extends DecoderState {
  B: number;
  S: number;
  srcMask: number[];
  /** per decoder layer: encoder keys and values [B, S, d] */
  crossK: Tensor[];
  crossV: Tensor[];
  /** per decoder layer; created at the first step for B rows */
  caches: KVCache[] | null;
  /** with `wantCross`, each step keeps the last layer's cross-attention probabilities [B, H, Tn, S] here */
  wantCross: boolean;
  lastCross: Tensor | null;
}

export class Marian extends LayerModel<MarianConfig, MarianLayers> implements Model<MarianConfig, Seq2SeqBatch, MarianInput>, EncoderDecoderLM {
  readonly arch = marian;
  readonly capabilities = { encoderDecoder: true } as const;
  private readonly positions: Tensor;
  /** final_logits_bias [1, V] seen as [V] (the head's bias) */
  private readonly logitsBias: Tensor;
  private readonly act: (x: Tensor) => Tensor;

  constructor(gpu: Gpu, config: MarianConfig, params: ParamMap) {
    validateMarianConfig(config);
    super(gpu, config, 'Marian', marianLayers, params);
    this.positions = Tensor.from(gpu, marianSinusoids(config.max_position_embeddings, config.d_model), [config.max_position_embeddings, config.d_model], { isParam: true, name: 'marian.positions' });
    this.logitsBias = reshape(this.layers.finalLogitsBias.t, [config.decoder_vocab_size]);
    this.act = activation(config.activation_function);
  }

  get sourceVocabSize(): number {
    return this.config.vocab_size;
  }
  get targetVocabSize(): number {
    return this.config.decoder_vocab_size;
  }
  get decoderStartId(): number {
    return this.config.decoder_start_token_id;
  }
  get eosId(): number {
    return this.config.eos_token_id;
  }
  get padId(): number {
    return this.config.pad_token_id;
  }
  get maxTargetLength(): number {
    return this.config.max_position_embeddings;
  }
  get maxSourceLength(): number {
    return this.config.max_position_embeddings;
  }
  /** generate bans pad (Marian's bad_words_ids / adjust_logits_during_generation) and forces EOS at max_length − 1 */
  get bannedIds(): number[] {
    return [this.config.pad_token_id];
  }
  readonly forcedEosAtMax = true;
  readonly sourceEndsWithEos = true;

  /** the trainable parameters (final_logits_bias is a buffer) */
  paramList(): Tensor[] {
    return trainableParams(this.ps.rows, this.params);
  }

  private emb(side: 'encoder' | 'decoder'): Tensor {
    const L = this.layers;
    return (L.shared ?? (side === 'encoder' ? L.encEmbed : L.decEmbed))!.weight.t;
  }

  /** tokens × √d (when scale_embedding) + positions pos0 … pos0+T−1. ids [B, T] → [B, T, d]. */
  private embed(side: 'encoder' | 'decoder', ids: IdBatch, pos0: number): Tensor {
    const c = this.config;
    const T = ids.shape[1];
    if (pos0 + T > c.max_position_embeddings) throw new Error(`a ${side === 'encoder' ? 'source' : 'target'} of ${pos0 + T} tokens is longer than the model's max_position_embeddings ${c.max_position_embeddings}`);
    // one dispatch: token rows × √d (when scale_embedding) + the position rows
    return embeddingWithPositions(ids, this.emb(side), this.positions, { pos0, paddingIdx: c.pad_token_id, scale: c.scale_embedding ? Math.sqrt(c.d_model) : 1 });
  }

  private dropper(opts: ForwardOptions) {
    const c = this.config;
    const train = !!opts.train;
    const seed = opts.seed ?? 0;
    return {
      p: (x: number) => (train ? x : 0),
      seed: (site: number) => mixSeed(seed, site),
      drop: (t: Tensor, site: number, p = c.dropout) => (train && p > 0 ? dropout(t, p, mixSeed(seed, site)) : t),
    };
  }

  /** Encoder output [B, S, d] for sources [B, S] with their padding mask [B·S]. */
  encodeHidden(src: IdBatch, srcMask: ArrayLike<number>, opts: ForwardOptions = {}): Tensor {
    const c = this.config;
    const d = this.dropper(opts);
    const scale = (c.d_model / c.encoder_attention_heads) ** -0.5;
    let x = d.drop(this.embed('encoder', src, 0), 0);
    this.layers.encoder.forEach((layer, l) => {
      const attend = (q: Tensor, k: Tensor, v: Tensor) => attention(q, k, v, { heads: c.encoder_attention_heads, keyMask: srcMask, scale, dropout: d.p(c.attention_dropout), seed: d.seed(100 + l) });
      x = layer.forward(x, attend, this.act, d.drop, [200 + l, 400 + l], opts, (t) => d.drop(t, 300 + l, c.activation_dropout));
    });
    return x;
  }

  /**
   * The decoder layers over x [B, T, d] (its embedded targets): the one decoder loop teacher forcing and decode steps
   * share; they differ only in the attention closures they give (`selfAttend(l)`, `crossAttend(l)`) and dropout.
   */
  private decodeLayers(x: Tensor, selfAttend: (l: number) => AttendWith, crossAttend: (l: number) => AttendWith, d: ReturnType<Marian['dropper']>, opts?: ForwardOptions): Tensor {
    const c = this.config;
    this.layers.decoder.forEach((layer, l) => {
      const sites = [600 + l, 800 + l, 1000 + l];
      x = layer.forward(x, selfAttend(l), crossAttend(l), this.act, (t, b) => d.drop(t, sites[b]), opts, (t) => d.drop(t, 900 + l, c.activation_dropout));
    });
    return x;
  }

  /** Teacher-forced decoder logits [B, T, V] for decoder inputs [B, T] over the encoder output. */
  decodeHidden(dec: IdBatch, enc: Tensor, srcMask: ArrayLike<number>, opts: ForwardOptions = {}): Tensor {
    const c = this.config;
    const d = this.dropper(opts);
    const heads = c.decoder_attention_heads;
    const scale = (c.d_model / heads) ** -0.5;
    const x = d.drop(this.embed('decoder', dec, 0), 1);
    const self = (l: number): AttendWith => (a, t) => attention(a.q.forward(t, opts), a.k.forward(t, opts), a.v.forward(t, opts), { heads, causal: true, scale, dropout: d.p(c.attention_dropout), seed: d.seed(500 + l) });
    const cross = (l: number): AttendWith => (a, t) => attention(a.q.forward(t, opts), a.k.forward(enc, opts), a.v.forward(enc, opts), { heads, keyMask: srcMask, scale, dropout: d.p(c.attention_dropout), seed: d.seed(700 + l) });
    return this.head(this.decodeLayers(x, self, cross, d, opts));
  }

  private head(x: Tensor): Tensor {
    return linearT(x, this.emb('decoder'), this.logitsBias);
  }

  private checkInput(src: IdBatch, srcMask: ArrayLike<number>): [number, number] {
    if (src.shape.length !== 2) throw new Error(`Marian: source ids must be [B, S], got [${src.shape}]`);
    const [B, S] = src.shape;
    if (srcMask.length !== B * S) throw new Error(`Marian: the source mask has ${srcMask.length} entries, the sources [${B}, ${S}] need ${B * S}`);
    return [B, S];
  }

  /** Teacher-forced logits [B, T, V]. */
  forward(input: MarianInput, opts: ForwardOptions = {}): Tensor {
    this.checkInput(input.src, input.srcMask);
    const enc = this.encodeHidden(input.src, input.srcMask, opts);
    return this.decodeHidden(input.decoderInput, enc, input.srcMask, opts);
  }

  /** Mean cross-entropy of the labels (−100 ignored) under teacher forcing. */
  loss(b: Seq2SeqBatch, opts: ForwardOptions = {}): Tensor {
    const gpu = this.gpu;
    const c = this.config;
    const src = IdBatch.from(gpu, b.src, [b.B, b.S], c.vocab_size, 'source id');
    const dec = IdBatch.from(gpu, b.decoderInput, [b.B, b.T], c.decoder_vocab_size, 'decoder input id');
    const logits = this.forward({ src, srcMask: b.srcMask, decoderInput: dec }, opts);
    return crossEntropy(logits, b.labels, -100, opts.labelSmoothing ?? 0);
  }

  // ---- generation: the encoder once per source, cross keys/values once, a KV cache for self-attention ----

  /** Runs the encoder on sources [B, S] (row b's first lengths[b] tokens, the rest padding). No graph. */
  encode(src: IdBatch, lengths: number[], o: { attention?: boolean } = {}): State {
    const [B, S] = src.shape;
    if (lengths.length !== B) throw new Error(`Marian.encode: ${lengths.length} lengths for ${B} sources`);
    const srcMask: number[] = [];
    for (let b = 0; b < B; b++) {
      if (!(Number.isInteger(lengths[b]) && lengths[b] >= 1 && lengths[b] <= S)) throw new Error(`Marian.encode: source ${b} has length ${lengths[b]}, not in 1…${S}`);
      for (let s = 0; s < S; s++) srcMask.push(s < lengths[b] ? 1 : 0);
    }
    return noGrad(() => {
      const enc = this.encodeHidden(src, srcMask);
      const crossK: Tensor[] = [];
      const crossV: Tensor[] = [];
      for (const layer of this.layers.decoder) {
        crossK.push(this.keep(layer.cross.k.forward(enc)));
        crossV.push(this.keep(layer.cross.v.forward(enc)));
      }
      const st = this.state(B, S, srcMask, crossK, crossV);
      st.wantCross = !!o.attention;
      return st;
    });
  }

  private keep(t: Tensor): Tensor {
    this.gpu.pool.keep(t.buffer);
    return t;
  }

  private state(B: number, S: number, srcMask: number[], crossK: Tensor[], crossV: Tensor[]): State {
    const st: State = {
      B, S, srcMask, crossK, crossV,
      caches: null,
      lastCross: null,
      wantCross: false,
      dispose() {
        for (const t of [...st.crossK, ...st.crossV]) t.dispose();
        for (const c of st.caches ?? []) c.dispose();
        st.lastCross?.dispose();
        st.lastCross = null;
        st.crossK = [];
        st.crossV = [];
        st.caches = null;
      },
    };
    return st;
  }

  /** Logits [B, Tn, V] for target ids [B, Tn] at positions pos …, appending to the self-attention caches. No graph. */
  decodeStep(stateIn: DecoderState, ids: IdBatch, pos: number): Tensor {
    const st = stateIn as State;
    const c = this.config;
    const [B, Tn] = ids.shape;
    if (B !== st.B) throw new Error(`Marian.decodeStep: ${B} rows of target ids for a state of ${st.B} sources`);
    return noGrad(() => {
      st.caches ??= Array.from({ length: c.decoder_layers }, () => createKVCache(this.gpu, { B, maxT: c.max_position_embeddings, C: c.d_model }));
      const heads = c.decoder_attention_heads;
      const scale = (c.d_model / heads) ** -0.5;
      const self = (l: number): AttendWith => (a, t) => attentionDecode(a.q.forward(t), a.k.forward(t), a.v.forward(t), st.caches![l], pos, { heads, scale });
      const cross = (l: number): AttendWith => (a, t) => {
        const qc = a.q.forward(t);
        const o = { heads, keyMask: st.srcMask, scale };
        if (!(st.wantCross && l === c.decoder_layers - 1)) return attention(qc, st.crossK[l], st.crossV[l], o);
        const r = attentionWithProbs(qc, st.crossK[l], st.crossV[l], o);
        st.lastCross?.dispose();
        st.lastCross = this.keep(r.probs);
        return r.out;
      };
      const x = this.decodeLayers(this.embed('decoder', ids, pos), self, cross, this.dropper({}));
      return this.head(x);
    });
  }

  /** Logits [B, T, V] over whole prefixes [B, T] from position 0, a throwaway self-attention cache (no reuse). No graph. */
  decodeNoCache(stateIn: DecoderState, ids: IdBatch): Tensor {
    const st = stateIn as State;
    const saved = st.caches;
    const c = this.config;
    st.caches = Array.from({ length: c.decoder_layers }, () => createKVCache(this.gpu, { B: st.B, maxT: ids.shape[1], C: c.d_model }));
    try {
      return this.decodeStep(st, ids, 0);
    } finally {
      for (const c of st.caches ?? []) c.dispose();
      st.caches = saved;
    }
  }

  /** With encode(…, {attention: true}): the last decode call's cross-attention of the last decoder layer [B, H, Tn, S]. */
  lastAttention(stateIn: DecoderState): { probs: Tensor; heads: number; which: string } | null {
    const st = stateIn as State;
    if (!st.lastCross) return null;
    return { probs: st.lastCross, heads: this.config.decoder_attention_heads, which: `cross-attention of decoder layer ${this.config.decoder_layers}, mean of ${this.config.decoder_attention_heads} heads` };
  }

  /** Makes row r of the state continue old row from[r] (beam search; also expands B sources to B·beams rows). */
  reorder(stateIn: DecoderState, from: readonly number[]): void {
    const st = stateIn as State;
    const gpu = this.gpu;
    const R = from.length;
    const rows = rowGather(gpu, from, st.B, 'Marian');
    noGrad(() => {
      const gather = (buf: GPUBuffer, width: number): Tensor => rows.rows(buf, width);
      const d = this.config.d_model;
      const swap = (ts: Tensor[]) =>
        ts.map((t) => {
          const g = this.keep(gather(t.buffer, st.S * d));
          t.dispose();
          return reshape(g, [R, st.S, d]);
        });
      st.crossK = swap(st.crossK);
      st.crossV = swap(st.crossV);
      if (st.caches) {
        const old = st.caches;
        st.caches = old.map((c) => {
          const n = createKVCache(gpu, { B: R, maxT: c.maxT, C: c.C });
          for (const [src, dst] of [[c.k, n.k], [c.v, n.v]] as const) {
            const g = gather(src, c.maxT * c.C);
            gpu.copy(g.buffer, dst, R * c.maxT * c.C * 4);
            g.dispose();
          }
          n.length = c.length;
          return n;
        });
        for (const c of old) c.dispose();
      }
    });
    rows.dispose();
    st.srcMask = from.flatMap((f) => st.srcMask.slice(f * st.S, (f + 1) * st.S));
    st.B = R;
  }

  dispose(): void {
    super.dispose();
    this.positions.dispose();
  }
}

// ---- training data: a TSV of source<TAB>target pairs (src/data/pairs.ts) ----

/** Source ids + </s>, target ids (the target side's SentencePiece) + </s>; decoder input = labels shifted right. */
function prepareTsv(src: DataSource, c: MarianConfig, o: DataOptions): TrainingData<Seq2SeqBatch> {
  const tok = src.tokenizer;
  const eos = c.eos_token_id;
  const withEos = (ids: number[]) => (ids.length > 0 && ids[ids.length - 1] === eos ? ids : [...ids, eos]);
  const toIds = (p: { line: number; src: string; tgt: string }) => {
    const si = withEos(tok.encode(p.src));
    // targets through the target side's SentencePiece model (MarianTokenizer's text_target), same vocabulary
    const ti = withEos(tok instanceof MarianTokenizer ? tok.encode(p.tgt, { target: true }) : tok.encode(p.tgt));
    for (const [ids, V, what] of [[si, c.vocab_size, 'source'], [ti, c.decoder_vocab_size, 'target']] as const) {
      for (const id of ids) if (id >= V) throw new Error(`${src.path}:${p.line}: ${what} token id ${id} is ≥ the model's vocabulary ${V}`);
      if (ids.length > c.max_position_embeddings) throw new Error(`${src.path}:${p.line}: the ${what} has ${ids.length} tokens, more than max_position_embeddings ${c.max_position_embeddings}`);
    }
    return { src: si, tgt: ti };
  };
  return pairData(src.text(), src.path, toIds, { padId: c.pad_token_id, startId: c.decoder_start_token_id }, o);
}

export const marian: Architecture<MarianConfig, Seq2SeqBatch, Marian> = {
  modelType: 'marian',
  name: 'marian',
  loraTargets: ['q_proj', 'v_proj'],
  summary: 'Transformer encoder–decoder for translation (Hugging Face MarianMTModel layout, opus-mt)',
  presets: MARIAN_PRESETS as Record<string, MarianConfig>,
  defaultPreset: 'tiny',
  validateConfig: (c) => validateMarianConfig(c),
  configFromHF: (j, where) => marianConfigFromHF(j, where),
  configToHF: marianConfigToHF,
  paramTable: marianParamTable,
  hf: marianHF,
  create: (gpu, config, params) => new Marian(gpu, config, params),
  freshConfig(o) {
    checkArchOptions(marian, o.archOptions ?? {}); // none: the presets give the shape
    const name = o.preset ?? 'tiny';
    const preset = MARIAN_PRESETS[name];
    if (!preset) throw new Error(`unknown preset '${name}' (presets: ${Object.keys(MARIAN_PRESETS).join(', ')})`);
    // a tokenizer with </s> and <pad> (a Marian folder's vocab.json) keeps its ids, as Hugging Face's configs do;
    // one without them gets two new ids after its vocabulary
    const sp = o.specialTokens ?? {};
    const own = (t: string) => (Number.isInteger(sp[t]) && sp[t] >= 0 && sp[t] < o.vocabSize ? sp[t] : undefined);
    const eos = own('</s>');
    const pad = own('<pad>');
    const V = eos !== undefined && pad !== undefined ? o.vocabSize : o.vocabSize + 2;
    const [eosId, padId] = eos !== undefined && pad !== undefined ? [eos, pad] : [V - 2, V - 1];
    const c: MarianConfig = { ...preset, vocab_size: V, decoder_vocab_size: V, eos_token_id: eosId, pad_token_id: padId, decoder_start_token_id: padId };
    if (o.context !== undefined) c.max_position_embeddings = o.context;
    if (o.dropout !== undefined) c.dropout = o.dropout;
    return validateMarianConfig(c);
  },
  withOptions: (c, o) => validateMarianConfig({ ...c, dropout: o.dropout ?? c.dropout }),
  vocabSize: (c) => c.vocab_size,
  describe: (c) => `${c.encoder_layers}+${c.decoder_layers} layers, d_model ${c.d_model}, ${c.encoder_attention_heads} heads, ffn ${c.encoder_ffn_dim}, vocab ${c.vocab_size}`,
  labelSmoothing: true,
  data: { prepare: prepareTsv },
};
