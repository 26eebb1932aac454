// The BERT-family encoder on the layers, described by a spec (names, dims, flavours) so BERT, RoBERTa and DistilBERT
// are each a config and a few lines: embeddings (word + positions [+ token types] → LayerNorm) → N post-LN encoder
// layers (bidirectional attention with the key-padding mask) → a head: masked-LM (dense → act → LayerNorm → decoder
// tied to the word embeddings + bias) or sequence classification (on the first token). Leaves out: decoders,
// relative positions, heads other than these two.
import type { Gpu } from '../gpu/device.js';
import { Tensor, IdBatch, noGrad } from '../autograd/tensor.js';
import { mixSeed } from './init.js';
import { type Architecture, type Model, type ForwardOptions, type ParamMap, type RowLogits, type RowInputs, type SequenceClassifier, type HiddenStates, type Init, init } from './model.js';
import { type Params, type PostLNNames, Embedding, LayerNorm, Linear, PostLNEncoderLayer, LayerModel, tableOf } from './layers.js';
import { type ClassificationBatch, type ProblemType, pickRows, classificationLoss, checkMask } from './heads.js';
import { embedding, positionIds } from '../ops/embedding.js';
import { reshape } from '../ops/shape.js';
import { add, dropout } from '../ops/elementwise.js';
import { activation } from '../ops/unary.js';
import { linearT } from '../ops/matmul.js';
import { crossEntropy } from '../ops/loss.js';
import { attention, attentionWithProbs } from '../ops/attention.js';
import { type MlmBatch, type SpecialIds, MlmLoader, buildRows, mostFrequentBaseline } from '../data/mlm.js';
import type { BatchSource, DataSource, DataOptions, TrainingData, FreshOptions, HFMapping } from './model.js';
import { type HeadKeys, wantsClassifier, classifierKeys } from './heads.js';

/** One forward's input: ids [B, T] and host arrays of B·T segment ids and 0/1 attention mask (defaults: 0 and 1). */
export interface BertInput {
  ids: IdBatch;
  tokenTypeIds?: ArrayLike<number>;
  attentionMask?: ArrayLike<number>;
}

/** The masked-LM head's names: dense → act → norm → (decoder tied to the word embeddings) + bias. */
export interface MlmHeadSpec {
  kind: 'mlm';
  dense: string;
  norm: string;
  bias: string;
  /** activation of the dense layer (an ops/unary name: gelu, gelu_new, relu, silu) */
  act: string;
}

/** The classification head on the first token: [dense → act →] dropout → out (names as Hugging Face's). */
export interface ClsHeadSpec {
  kind: 'cls';
  /** BERT: bert.pooler.dense (tanh), RoBERTa: classifier.dense (tanh), DistilBERT: pre_classifier (relu) */
  dense: string;
  denseAct: 'tanh' | 'relu';
  /** BERT: classifier, RoBERTa: classifier.out_proj, DistilBERT: classifier */
  out: string;
  /** RoBERTa's head drops out before its dense layer too */
  dropBeforeDense: boolean;
  /** dropout probability of the head */
  p: number;
  numLabels: number;
  labels: readonly string[];
  problemType?: ProblemType;
}

/** Everything the encoder needs to know about one architecture's config and names. */
export interface EncoderSpec {
  /** for messages: 'BERT' */
  owner: string;
  /** 'bert.', 'roberta.', 'distilbert.' */
  prefix: string;
  /** under the prefix: 'encoder.layer.' (BERT, RoBERTa) or 'transformer.layer.' (DistilBERT) */
  layerPath: string;
  layerNames: PostLNNames;
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  inner: number;
  /** activation of the feed-forward layers (ops/unary name) */
  act: string;
  hiddenDrop: number;
  attnDrop: number;
  /** dropout on the attention output before its residual (BERT, RoBERTa: yes; DistilBERT: no) */
  dropAttnOutput: boolean;
  maxPos: number;
  /** rows of the token-type table; 0 = none (DistilBERT) */
  typeVocab: number;
  eps: number;
  pad: number;
  initRange: number;
  /** std of the word embeddings' init when it differs (wgpt's micro BERT) */
  wordInitRange?: number;
  /** 'absolute': 0…T−1; 'padded': RoBERTa's, counted from pad + 1 over non-pad tokens (pad tokens get pad) */
  positions: 'absolute' | 'padded';
  /** the tokenizer's names of [CLS] [SEP] [PAD] [MASK] [UNK] (RoBERTa: <s> </s> <pad> <mask> <unk>) */
  tokens: SpecialTokenNames;
  head: MlmHeadSpec | ClsHeadSpec;
}

export interface EncoderLayers {
  word: Embedding;
  position: Embedding;
  tokenType: Embedding | null;
  norm: LayerNorm;
  layers: PostLNEncoderLayer[];
  mlm: { dense: Linear; norm: LayerNorm; bias: ReturnType<Params['param']> } | null;
  cls: { dense: Linear; out: Linear } | null;
}

/** The layers in the table order (Hugging Face's construction order, the seeded init's order). */
export function encoderLayers(ps: Params, s: EncoderSpec): EncoderLayers {
  const w: Init = init.normal(s.initRange);
  const e = ps.scope(s.prefix + 'embeddings.');
  const H = s.hidden;
  const word = new Embedding(e, 'word_embeddings', s.vocab, H, { init: s.wordInitRange !== undefined ? init.normal(s.wordInitRange) : w, paddingRow: s.pad });
  const position = new Embedding(e, 'position_embeddings', s.maxPos, H, { init: w, paddingRow: s.positions === 'padded' ? s.pad : undefined });
  const tokenType = s.typeVocab > 0 ? new Embedding(e, 'token_type_embeddings', s.typeVocab, H, { init: w }) : null;
  const norm = new LayerNorm(e, 'LayerNorm', H, s.eps);
  const layers: PostLNEncoderLayer[] = [];
  for (let l = 0; l < s.layers; l++) layers.push(new PostLNEncoderLayer(ps.scope(`${s.prefix}${s.layerPath}${l}.`), s.layerNames, H, s.inner, { eps: s.eps, init: w }));
  const h = s.head;
  const mlm = h.kind === 'mlm' ? { dense: new Linear(ps, h.dense, H, H, { layout: 'torch', init: w }), norm: new LayerNorm(ps, h.norm, H, s.eps), bias: ps.param(h.bias, [s.vocab], init.zeros()) } : null;
  const cls = h.kind === 'cls' ? { dense: new Linear(ps, h.dense, H, H, { layout: 'torch', init: w }), out: new Linear(ps, h.out, H, h.numLabels, { layout: 'torch', init: w }) } : null;
  return { word, position, tokenType, norm, layers, mlm, cls };
}

/** RoBERTa's position ids for ids [B, T]: pad + (count of non-pad tokens up to and including t); pad tokens get pad. */
export function paddedPositionIds(ids: ArrayLike<number>, B: number, T: number, pad: number): Int32Array {
  const out = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      if (ids[i] === pad) out[i] = pad;
      else out[i] = pad + ++n;
    }
  }
  return out;
}

/** What every encoder model shares: input checks, embeddings, the layers, hidden states, attention maps. */
export abstract class EncoderModel<C> extends LayerModel<C, EncoderLayers> {
  protected readonly act: (x: Tensor) => Tensor;

  protected constructor(
    gpu: Gpu,
    config: C,
    readonly spec: EncoderSpec,
    params: ParamMap,
  ) {
    super(gpu, config, spec.owner, (ps) => encoderLayers(ps, spec), params);
    this.act = activation(spec.act);
  }

  get hiddenSize(): number {
    return this.spec.hidden;
  }

  get vocabSize(): number {
    return this.spec.vocab;
  }

  /** longest row the model takes (RoBERTa: max_position_embeddings − padding_idx − 1) */
  get maxTokens(): number {
    const s = this.spec;
    return s.positions === 'padded' ? s.maxPos - s.pad - 1 : s.maxPos;
  }

  /** the tokenizer's names of its special tokens */
  get tokens(): SpecialTokenNames {
    return this.spec.tokens;
  }

  /** Checks an input against the config on the host (nothing out of range reaches the GPU); returns [B, T]. */
  checkInput(x: BertInput): [number, number] {
    const s = this.spec;
    const who = s.owner;
    if (x.ids.shape.length !== 2) throw new Error(`${who}: ids must be [B, T], got [${x.ids.shape}]`);
    const [B, T] = x.ids.shape;
    if (B === 0 || T === 0) throw new Error(`${who}: empty batch [${x.ids.shape}]`);
    const maxT = this.maxTokens;
    if (T > maxT) throw new Error(`sequence of ${T} tokens is longer than ${s.positions === 'padded' ? `the ${maxT} positions of ` : ''}max_position_embeddings ${s.maxPos}`);
    for (let i = 0; i < x.ids.size; i++) {
      const v = x.ids.ids[i];
      if (v >= s.vocab) throw new Error(`token id ${v} at position ${i} is out of range [0, ${s.vocab}) (vocab_size)`);
    }
    if (x.tokenTypeIds) {
      if (!s.typeVocab) throw new Error(`${who} has no token types (token type ids given)`);
      if (x.tokenTypeIds.length !== B * T) throw new Error(`token type ids have ${x.tokenTypeIds.length} entries, the ids need B·T = ${B}·${T} = ${B * T}`);
      for (let i = 0; i < B * T; i++) {
        const v = x.tokenTypeIds[i];
        if (!Number.isInteger(v) || v < 0 || v >= s.typeVocab) throw new Error(`token type id ${v} at position ${i} is out of range [0, ${s.typeVocab}) (type_vocab_size ${s.typeVocab})`);
      }
    }
    if (x.attentionMask) checkMask(x.attentionMask, B, T, who);
    return [B, T];
  }

  private embed(x: BertInput, B: number, T: number, drop: (t: Tensor, site: number) => Tensor): Tensor {
    const s = this.spec;
    const L = this.layers;
    let h = L.word.forward(x.ids);
    if (L.tokenType) h = add(h, L.tokenType.forward(IdBatch.from(this.gpu, x.tokenTypeIds ?? new Int32Array(B * T), [B, T], s.typeVocab, 'token type id')));
    const pos = s.positions === 'padded' ? IdBatch.from(this.gpu, paddedPositionIds(x.ids.ids, B, T, s.pad), [B, T], s.maxPos, 'position') : positionIds(this.gpu, T);
    h = add(h, L.position.forward(pos));
    return drop(L.norm.forward(h), 0);
  }

  /** Last hidden states [B, T, H] (the base model's sequence output). */
  encode(x: BertInput, opts: ForwardOptions = {}): Tensor {
    const [B, T] = this.checkInput(x);
    return this.encodeUpTo(x, B, T, this.spec.layers - 1, opts).h;
  }

  /** HiddenStates: the last layer [B, T, H] for ids [B, T] and a 0/1 mask. */
  hidden(ids: IdBatch, attentionMask: ArrayLike<number>, opts: ForwardOptions = {}): Tensor {
    return this.encode({ ids, attentionMask }, opts);
  }

  protected encodeUpTo(x: BertInput, B: number, T: number, last: number, opts: ForwardOptions, probsOf = -1): { h: Tensor; probs: Tensor | null } {
    const s = this.spec;
    const seed = opts.seed ?? 0;
    const ph = opts.train ? s.hiddenDrop : 0;
    const pa = opts.train ? s.attnDrop : 0;
    const drop = (t: Tensor, site: number) => (ph > 0 && site >= 0 ? dropout(t, ph, mixSeed(seed, site)) : t);
    const keyMask = x.attentionMask;
    let h = this.embed(x, B, T, drop);
    let probs: Tensor | null = null;
    for (let l = 0; l <= last; l++) {
      const o = { heads: s.heads, keyMask, dropout: pa, seed: mixSeed(seed, 1000 + l) };
      h = this.layers.layers[l].forward(h, (q, k, v) => {
        if (l !== probsOf) return attention(q, k, v, o);
        const r = attentionWithProbs(q, k, v, o);
        probs = r.probs;
        return r.out;
      }, this.act, drop, [s.dropAttnOutput ? 2 * l + 1 : -1, 2 * l + 2], opts);
    }
    return { h, probs };
  }

  /** Attention probabilities [B, heads, T, T] of one layer (inference, host copy): bidirectional, padded keys 0. */
  async attentionMaps(x: BertInput, layer: number): Promise<Float32Array> {
    const [B, T] = this.checkInput(x);
    const s = this.spec;
    if (!(Number.isInteger(layer) && layer >= 0 && layer < s.layers)) throw new Error(`attentionMaps: layer ${layer} is not in 0…${s.layers - 1}`);
    return this.gpu.scope(() => noGrad(async () => this.encodeUpTo(x, B, T, layer, {}, layer).probs!.toArray()));
  }
}

/** An encoder with the masked-LM head (BertForMaskedLM, RobertaForMaskedLM, DistilBertForMaskedLM). */
export class MaskedLM<C> extends EncoderModel<C> implements Model<C, MlmBatch, BertInput>, RowLogits, HiddenStates {
  readonly capabilities = { rowLogits: true, hiddenStates: true } as const;
  readonly rowLogitsKind = 'masked-LM scores';
  readonly rowInputs: readonly (keyof RowInputs)[];

  constructor(
    readonly arch: Architecture<C, MlmBatch>,
    gpu: Gpu,
    config: C,
    spec: EncoderSpec,
    params: ParamMap,
  ) {
    if (spec.head.kind !== 'mlm') throw new Error(`${spec.owner}: the masked-LM model needs the masked-LM head`);
    super(gpu, config, spec, params);
    this.rowInputs = spec.typeVocab ? ['attentionMask', 'tokenTypeIds'] : ['attentionMask'];
  }

  /** The MLM head on hidden states [..., H] → [..., V]: dense → act → LayerNorm → tied decoder + bias. */
  head(h: Tensor, opts?: ForwardOptions): Tensor {
    const m = this.layers.mlm!;
    const headAct = activation((this.spec.head as MlmHeadSpec).act);
    const y = m.norm.forward(headAct(m.dense.forward(h, opts)));
    return linearT(y, this.layers.word.weight.t, m.bias.t);
  }

  /** MLM logits [B, T, V]. */
  forward(x: BertInput, opts: ForwardOptions = {}): Tensor {
    return this.head(this.encode(x, opts), opts);
  }

  /** RowLogits: MLM logits [B, T, V] of whole rows (`wgpt logits`). */
  rowLogits(ids: IdBatch, extra: RowInputs = {}): Tensor {
    return this.forward({ ids, attentionMask: extra.attentionMask, tokenTypeIds: extra.tokenTypeIds });
  }

  /** MLM logits [N, V] at N chosen flat positions (b·T + t) only: the head is the costly part when V is large. */
  logitsAt(x: BertInput, positions: ArrayLike<number>, opts: ForwardOptions = {}): Tensor {
    const [B, T] = this.checkInput(x);
    const h = this.encodeUpTo(x, B, T, this.spec.layers - 1, opts).h;
    const rows = IdBatch.from(this.gpu, positions, [positions.length], B * T, 'position');
    return this.head(embedding(rows, reshape(h, [B * T, this.spec.hidden])), opts);
  }

  private batchInput(b: MlmBatch): { x: BertInput; positions: number[]; targets: number[] } {
    const positions: number[] = [];
    const targets: number[] = [];
    for (let i = 0; i < b.labels.length; i++) {
      if (b.labels[i] === -100) continue;
      positions.push(i);
      targets.push(b.labels[i]);
    }
    if (!positions.length) throw new Error('MLM batch has no chosen position (every label is -100)');
    const ids = IdBatch.from(this.gpu, b.input, [b.B, b.T], this.spec.vocab);
    return { x: { ids, tokenTypeIds: this.spec.typeVocab ? b.tokenTypes : undefined, attentionMask: b.attentionMask }, positions, targets };
  }

  /** Mean cross-entropy over the chosen positions (labels ≠ −100), as …ForMaskedLM's loss. */
  loss(b: MlmBatch, opts: ForwardOptions = {}): Tensor {
    const { x, positions, targets } = this.batchInput(b);
    return crossEntropy(this.logitsAt(x, positions, opts), targets);
  }

  /** MLM loss and accuracy of a batch (no dropout, no graph): summed over its chosen positions. */
  async evaluateBatch(b: MlmBatch): Promise<{ lossSum: number; correct: number; n: number }> {
    return this.gpu.scope(() =>
      noGrad(async () => {
        const { x, positions, targets } = this.batchInput(b);
        const logits = this.logitsAt(x, positions);
        const loss = crossEntropy(logits, targets);
        const V = this.spec.vocab;
        const l = await logits.toArray();
        let correct = 0;
        for (let r = 0; r < targets.length; r++) {
          let best = 0;
          for (let v = 1; v < V; v++) if (l[r * V + v] > l[r * V + best]) best = v;
          if (best === targets[r]) correct++;
        }
        return { lossSum: (await loss.item()) * targets.length, correct, n: targets.length };
      }),
    );
  }
}

/** An encoder with a sequence-classification head on its first token (…ForSequenceClassification). */
export class EncoderClassifier<C> extends EncoderModel<C> implements Model<C, ClassificationBatch, BertInput>, SequenceClassifier, HiddenStates {
  readonly capabilities = { sequenceClassifier: true, hiddenStates: true } as const;
  readonly numLabels: number;
  readonly labels: readonly string[];

  constructor(
    readonly arch: Architecture<C, ClassificationBatch>,
    gpu: Gpu,
    config: C,
    spec: EncoderSpec,
    params: ParamMap,
  ) {
    if (spec.head.kind !== 'cls') throw new Error(`${spec.owner}: the classifier needs the classification head`);
    super(gpu, config, spec, params);
    this.numLabels = spec.head.numLabels;
    this.labels = spec.head.labels;
  }

  /** Logits [B, numLabels] from the first token's hidden state (HF's pooler / classification head). */
  classify(ids: IdBatch, attentionMask: ArrayLike<number>, opts: ForwardOptions = {}): Tensor {
    return this.forward({ ids, attentionMask }, opts);
  }

  forward(x: BertInput, opts: ForwardOptions = {}): Tensor {
    const [B, T] = this.checkInput(x);
    const h = this.encodeUpTo(x, B, T, this.spec.layers - 1, opts).h;
    const hs = this.spec.head as ClsHeadSpec;
    const p = opts.train ? hs.p : 0;
    const seed = opts.seed ?? 0;
    const drop = (t: Tensor, site: number) => (p > 0 ? dropout(t, p, mixSeed(seed, 5000 + site)) : t);
    const { dense, out } = this.layers.cls!;
    let y = pickRows(h, Array.from({ length: B }, (_, b) => b * T));
    if (hs.dropBeforeDense) y = drop(y, 0);
    y = activation(hs.denseAct)(dense.forward(y, opts));
    return out.forward(drop(y, 1), opts);
  }

  /** Mean cross-entropy of the logits against one label per row (problem_type single_label_classification). */
  loss(b: ClassificationBatch, opts: ForwardOptions = {}): Tensor {
    const ids = IdBatch.from(this.gpu, b.ids, [b.B, b.T], this.spec.vocab);
    return classificationLoss(this.forward({ ids, attentionMask: b.attentionMask }, opts), b.labels, (this.spec.head as ClsHeadSpec).problemType);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The architectures of an encoder family (masked-LM and classifier), and its masked-LM training data

/** The tokenizer's names of the four tokens masked-LM rows need. */
export interface SpecialTokenNames {
  cls: string;
  sep: string;
  pad: string;
  mask: string;
  unk: string;
}

export const BERT_TOKENS: SpecialTokenNames = { cls: '[CLS]', sep: '[SEP]', pad: '[PAD]', mask: '[MASK]', unk: '[UNK]' };
export const ROBERTA_TOKENS: SpecialTokenNames = { cls: '<s>', sep: '</s>', pad: '<pad>', mask: '<mask>', unk: '<unk>' };

/** The ids of `names` among a tokenizer's special tokens (one line naming what is missing). */
export function specialIdsOf(names: SpecialTokenNames, specials: Record<string, number> | undefined, where: string, owner: string): SpecialIds & { unk?: number } {
  const s = specials ?? {};
  const need = [names.cls, names.sep, names.pad, names.mask];
  const missing = need.filter((t) => s[t] === undefined);
  if (missing.length) throw new Error(`${where} has no ${missing.join(', ')} token${missing.length > 1 ? 's' : ''}; ${owner} needs ${need.join(' ')}${names === BERT_TOKENS ? ' (a WordPiece tokenizer.json or vocab.txt)' : ''}`);
  return { cls: s[names.cls], sep: s[names.sep], pad: s[names.pad], mask: s[names.mask], unk: s[names.unk] };
}

/** MLM data: lines of the text (held-out split = the last lines), packed into rows, masks re-drawn per epoch. */
function prepareMlm(src: DataSource, c: { vocab_size: number; max_position_embeddings: number }, o: DataOptions, tokens: SpecialTokenNames, owner: string, maxT: number): TrainingData<MlmBatch> {
  const sp = specialIdsOf(tokens, src.tokenizer.specialTokens, `tokenizer ${src.tokenizer.name}`, owner);
  if (src.tokenizer.vocabSize > c.vocab_size) throw new Error(`the tokenizer has ${src.tokenizer.vocabSize} ids but the model's vocab_size is ${c.vocab_size}`);
  const T = o.context ?? Math.min(maxT, 128);
  if (T > maxT) throw new Error(`--context ${T} is longer than the ${maxT} positions of max_position_embeddings ${c.max_position_embeddings}`);
  const lines = src.text().split(/\r?\n/).filter((l) => l.trim().length > 0);
  if (!lines.length) throw new Error(`${src.path} has no non-empty line to train on`);
  const nVal = o.valFraction > 0 ? Math.max(1, Math.floor(lines.length * o.valFraction)) : 0;
  const enc = (ls: string[]) => ls.map((l) => src.tokenizer.encode(l));
  const trainRows = buildRows(enc(lines.slice(0, lines.length - nVal)), sp, { maxLength: T, mode: 'pack' });
  const valRows = nVal ? buildRows(enc(lines.slice(lines.length - nVal)), sp, { maxLength: T, mode: 'pack' }) : [];
  if (!trainRows.length) throw new Error('the training split has no tokens');
  const specialIds = Object.values(src.tokenizer.specialTokens ?? {});
  const mo = { specialIds, vocabSize: c.vocab_size, maskId: sp.mask, pad: sp.pad };
  const train = new MlmLoader(trainRows, { ...mo, batchSize: o.batch, seed: o.seed, shuffle: o.shuffle });
  // the held-out masks are fixed (epoch 0 of their own seed) so every evaluation scores the same positions
  const val = valRows.length ? new MlmLoader(valRows, { ...mo, batchSize: o.batch, seed: mixSeed(o.seed, 0x7a1), shuffle: false }) : null;
  const source = (l: MlmLoader, fixedEpoch: boolean): BatchSource<MlmBatch> => ({
    numBatches: l.numBatches,
    batch: (i, epoch) => l.batch(i, fixedEpoch ? 0 : epoch),
    tokens: (b) => b.attentionMask.reduce((a, v) => a + v, 0),
  });
  const toks = (rows: Int32Array[]) => rows.reduce((a, r) => a + r.length, 0);
  const notes: string[] = [];
  if (o.valFraction > 0 && !val) notes.push('wgpt: no held-out lines; no validation loss');
  if (val) {
    const base = mostFrequentBaseline(trainRows, val.epoch(0), specialIds);
    const shown = (id: number) => {
      try {
        return JSON.stringify(src.tokenizer.decode([id]));
      } catch {
        return String(id); // an id the tokenizer cannot decode alone: keep the number
      }
    };
    // the best any constant guess can do on these masks (it needs the held-out answers: a ceiling, not a baseline)
    const counts = new Map<number, number>();
    for (const b of val.epoch(0)) for (const l of b.labels) if (l !== -100) counts.set(l, (counts.get(l) ?? 0) + 1);
    let top = base.token;
    for (const [id, c] of counts) if (c > (counts.get(top) ?? 0)) top = id;
    const oracle = top === base.token ? '' : `; the best constant guess on these masks (always ${shown(top)}) scores ${(100 * (counts.get(top) ?? 0) / base.n).toFixed(1)}%`;
    notes.push(`wgpt: held-out MLM: ${base.n} masked positions; most-frequent-token baseline (always ${shown(base.token)}) accuracy ${(100 * base.accuracy).toFixed(1)}%${oracle}`);
  }
  return {
    train: source(train, false),
    val: val ? source(val, true) : null,
    summary: `${lines.length} lines → ${trainRows.length} train rows (${toks(trainRows)} tokens), ${valRows.length} held-out rows (${toks(valRows)} tokens), rows of ≤ ${T} tokens, ${train.numBatches} batches of ${o.batch} per epoch, 15% of tokens masked (80/10/10), re-drawn every epoch`,
    notes,
  };
}


/** What an encoder family declares once; encoderArchitectures derives its two Architecture entries. */
export interface EncoderFamily<C extends HeadKeys & { vocab_size: number; max_position_embeddings: number }> {
  modelType: string;
  name: string;
  /** PEFT's default LoRA targets for the model_type */
  loraTargets: readonly string[];
  mlmClass: string;
  clsClass: string;
  summary: string;
  presets: Record<string, C>;
  defaultPreset: string;
  tokens: SpecialTokenNames;
  validate(c: C): C;
  fromHF(j: Record<string, unknown>, where: string): C;
  toHF(c: C): Record<string, unknown>;
  spec(c: C): EncoderSpec;
  hf: HFMapping<C>;
  fresh(o: FreshOptions): C;
  withDropout(c: C, p: number): C;
  describe(c: C): string;
}

/** The family's masked-LM and sequence-classification architectures (same model_type, told apart by `architectures`). */
export function encoderArchitectures<C extends HeadKeys & { vocab_size: number; max_position_embeddings: number }>(
  f: EncoderFamily<C>,
): { mlm: Architecture<C, MlmBatch, MaskedLM<C>>; cls: Architecture<C, ClassificationBatch, EncoderClassifier<C>> } {
  const table = (c: C) => tableOf(f.spec(c).owner, (ps) => encoderLayers(ps, f.spec(c)));
  const maxT = (c: C) => {
    const s = f.spec(c);
    return s.positions === 'padded' ? s.maxPos - s.pad - 1 : s.maxPos;
  };
  const common = {
    modelType: f.modelType,
    loraTargets: f.loraTargets,
    presets: f.presets,
    defaultPreset: f.defaultPreset,
    configFromHF: f.fromHF,
    configToHF: f.toHF,
    paramTable: table,
    hf: f.hf,
    withOptions: (c: C, o: { dropout?: number }) => (o.dropout === undefined ? f.validate(c) : f.withDropout(c, o.dropout)),
    vocabSize: (c: C) => c.vocab_size,
    describe: f.describe,
  };
  const mlm: Architecture<C, MlmBatch, MaskedLM<C>> = {
    ...common,
    name: f.name,
    hfArchitectures: [f.mlmClass],
    summary: f.summary,
    validateConfig(c) {
      f.validate(c);
      if (wantsClassifier(c)) throw new Error(`config: architectures ${JSON.stringify(c.architectures)} is a classifier, not ${f.mlmClass}`);
      return c;
    },
    create: (gpu, config, params) => new MaskedLM(mlm, gpu, mlm.validateConfig(config), f.spec(config), params),
    freshConfig: (o) => f.fresh(o),
    data: { prepare: (src, c, o) => prepareMlm(src, c, o, f.tokens, f.spec(c).owner, maxT(c)) },
  };
  const cls: Architecture<C, ClassificationBatch, EncoderClassifier<C>> = {
    ...common,
    name: f.clsClass,
    hfArchitectures: [f.clsClass],
    summary: `${f.clsClass}: the ${f.name} encoder with the sequence-classification head (logits via classify)`,
    validateConfig(c) {
      f.validate(c);
      if (!wantsClassifier(c)) throw new Error(`config: ${f.clsClass} needs architectures ["${f.clsClass}"]`);
      return c;
    },
    create: (gpu, config, params) => new EncoderClassifier(cls, gpu, cls.validateConfig(config), f.spec(config), params),
    freshConfig: (o) => cls.validateConfig({ ...f.fresh(o), ...classifierKeys(f.clsClass, 2) }),
    data: {
      prepare() {
        throw new Error(`${f.clsClass} trains on labelled rows (the classification task), not on a text file's masked-LM rows`);
      },
    },
  };
  return { mlm, cls };
}
