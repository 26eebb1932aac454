// The GPT of the course: token embedding + positions → N pre-LayerNorm blocks (causal MHA, residual;
// C→4C→C GELU MLP, residual) → final LayerNorm → output head (tied or not). Every step is an op from
// src/ops (WGSL kernels + backward closures); the `gpt2` Architecture below describes it to the model layer.
// Leaves out: mixed precision, gradient checkpointing.
import type { Gpu } from '../gpu/device.js';
import { Tensor, IdBatch, noGrad } from '../autograd/tensor.js';
import { type GPTConfig, PRESETS, validateConfig, gptConfigFromHF, gptConfigToHF } from './config.js';
import { mixSeed } from './init.js';
import {
  type Architecture, type CausalLM, type RowLogits, type SequenceClassifier, type ForwardOptions, type Model, type ParamMap, type ParamSpec, type BatchSource, type DataSource, type DataOptions, type TrainingData,
  init, initParams,
} from './model.js';
import { type Drop, type Param, Params, Embedding, LayerNorm, Linear, PreLNBlock, LayerModel, tableOf } from './layers.js';
import { type ClassificationBatch, wantsClassifier, numLabelsOf, labelsOf, pickRows, checkMask, classificationLoss, classifierKeys } from './heads.js';
import { torchGPTParams } from './torch-init.js';
import { layerNormLinear, layerNormLinearFits, LN_LINEAR_MAX_HEAD } from '../ops/matmul-ln.js';
import { embeddingWithPositions, positionIds, sinusoidalPositions } from '../ops/embedding.js';
import { add, dropout, gelu } from '../ops/elementwise.js';
import { linearT } from '../ops/matmul.js';
import { crossEntropy } from '../ops/loss.js';
import { attentionQKV, attentionQKVWithProbs, attentionDecodeQKV, createKVCache, type KVCache } from '../ops/attention.js';
import { BatchLoader, splitTrainVal } from '../data/index.js';


export type { ForwardOptions } from './model.js';

/** A next-token training batch: x and y [B, T] row-major (y = x shifted by one). */
export interface LMBatch {
  x: Int32Array;
  y: Int32Array;
  B: number;
  T: number;
}

/** GPT's layers: token (+ learned position) embedding, N pre-LN blocks, final LayerNorm, untied head if any. */
export interface GPTLayers {
  wte: Embedding;
  wpe: Embedding | null;
  blocks: PreLNBlock[];
  lnF: LayerNorm;
  lmHead: Param | null;
  /** GPT2ForSequenceClassification's `score` [num_labels, C], no bias */
  score: Linear | null;
}

/**
 * The layers in GPT-2's naming and table order (the seeded init's order: changing it changes every seeded model).
 * GPT-2 init: weights normal(0, 0.02), biases 0, LayerNorm weight 1 / bias 0. Linear weights are [in, out] (Conv1D).
 */
export function gptLayers(ps: Params, c: GPTConfig): GPTLayers {
  const C = c.d_model;
  const w = init.normal(0.02);
  const wte = new Embedding(ps, 'wte', c.vocab_size, C, { init: w });
  const wpe = c.positions === 'learned' ? new Embedding(ps, 'wpe', c.context_length, C, { init: w }) : null;
  const blocks: PreLNBlock[] = [];
  for (let i = 0; i < c.n_layers; i++) blocks.push(new PreLNBlock(ps.scope(`h.${i}.`), C, { eps: c.layernorm_eps, qkvBias: c.qkv_bias, init: w }));
  const lnF = new LayerNorm(ps, 'ln_f', C, c.layernorm_eps);
  const cls = wantsClassifier(c);
  const lmHead = c.tie_embeddings || cls ? null : ps.param('lm_head.weight', [c.vocab_size, C], w);
  const score = cls ? new Linear(ps, 'score', C, numLabelsOf(c), { layout: 'torch', bias: false, init: w }) : null;
  return { wte, wpe, blocks, lnF, lmHead, score };
}

/** What the GPT-2 language model and classifier share: input checks, embeddings, the blocks. */
abstract class GPTBase extends LayerModel<GPTConfig, GPTLayers> {
  get contextLength(): number {
    return this.config.context_length;
  }

  get vocabSize(): number {
    return this.config.vocab_size;
  }

  protected checkIds(ids: IdBatch): [number, number] {
    if (ids.shape.length !== 2) throw new Error(`GPT.forward: ids must be [B, T], got [${ids.shape}]`);
    const [B, T] = ids.shape;
    if (T > this.config.context_length) throw new Error(`sequence of ${T} tokens is longer than the model's context_length ${this.config.context_length}`);
    if (T === 0 || B === 0) throw new Error(`GPT.forward: empty batch [${ids.shape}]`);
    return [B, T];
  }

  /** Token + position embeddings for positions pos0 … pos0+T−1. */
  /** `drop` null: no dropout (inference, or p = 0), which lets the residual adds fuse into their matmuls */
  protected embed(ids: IdBatch, T: number, pos0: number, drop: Drop | null): Tensor {
    const c = this.config;
    const L = this.layers;
    let x: Tensor;
    // learned: token and position rows gathered and added in one dispatch
    if (L.wpe) x = embeddingWithPositions(ids, L.wte.weight.t, L.wpe.weight.t, { pos0 });
    else {
      // the fixed table for exactly these positions: one small dispatch, nothing cached
      x = add(L.wte.forward(ids), sinusoidalPositions(this.gpu, T, c.d_model, pos0));
    }
    return drop ? drop(x, 0) : x;
  }

  /** `fuseLn`: a decode step (no graph, few rows): each LayerNorm runs inside the matmul it feeds (layerNormLinear) */
  protected block(i: number, x: Tensor, attn: (qkv: Tensor) => Tensor, drop: Drop | null, fuseLn = false, opts?: ForwardOptions): Tensor {
    return this.layers.blocks[i].forward(x, attn, gelu, drop, [2 * i + 1, 2 * i + 2], fuseLn, opts);
  }

  /** Embeddings and every block over the whole sequence, no cache [B, T, C] (training dropout per opts). */
  protected blocks(ids: IdBatch, opts: ForwardOptions = {}): Tensor {
    const [, T] = this.checkIds(ids);
    const c = this.config;
    const p = opts.train ? c.dropout : 0;
    const seed = opts.seed ?? 0;
    const drop: Drop | null = p > 0 ? (x, site) => dropout(x, p, mixSeed(seed, site)) : null;
    let x = this.embed(ids, T, 0, drop);
    for (let i = 0; i < c.n_layers; i++) {
      const attSeed = mixSeed(seed, 1000 + i);
      x = this.block(i, x, (qkv) => attentionQKV(qkv, c.n_heads, { causal: true, dropout: p, seed: attSeed }), drop, false, opts);
    }
    return x;
  }

  /** The last block's output through ln_f [B, T, C] (training dropout per opts). */
  protected hiddenStates(ids: IdBatch, opts: ForwardOptions = {}): Tensor {
    return this.layers.lnF.forward(this.blocks(ids, opts));
  }
}

export class GPT extends GPTBase implements Model<GPTConfig, LMBatch, IdBatch>, CausalLM, RowLogits {
  readonly arch = gpt2;
  readonly capabilities = { causalLM: true, rowLogits: true } as const;

  private constructor(gpu: Gpu, config: GPTConfig, params: ParamMap) {
    if (wantsClassifier(config)) throw new Error(`config: architectures ${JSON.stringify(config.architectures)} asks for GPT2ForSequenceClassification; this is the language model`);
    super(gpu, config, 'GPT', gptLayers, params);
  }

  /** Fresh model, seeded. init 'gpt2': the parameter table's GPT-2 init (weights normal(0, 0.02), biases 0,
   * LayerNorm 1/0). init 'torch': what the course's PyTorch GPTModel holds after torch.manual_seed(seed)
   * (src/model/torch-init.ts). */
  static init(gpu: Gpu, config: GPTConfig, seed = 123, init: 'gpt2' | 'torch' = 'gpt2'): GPT {
    validateConfig(config);
    return new GPT(gpu, config, gptInitParams(config, seed, init === 'torch' ? 'torch' : 'wgpt'));
  }

  /** Model from named host arrays (a loaded checkpoint); shapes are checked against the config. */
  static fromParams(gpu: Gpu, config: GPTConfig, tensors: ParamMap): GPT {
    validateConfig(config);
    return new GPT(gpu, config, tensors);
  }

  private head(x: Tensor, fuseLn = false): Tensor {
    const c = this.config;
    const L = this.layers;
    const w = L.lmHead ? L.lmHead.t : L.wte.weight.t;
    if (fuseLn) return layerNormLinear(x, L.lnF.weight.t, L.lnF.bias.t, w, undefined, { eps: c.layernorm_eps, transposed: true });
    return linearT(L.lnF.forward(x), w);
  }

  /** Block i alone on x [B, T, C] (training mode off): the unit the PyTorch block fixture checks. */
  blockForward(i: number, x: Tensor): Tensor {
    if (!(i >= 0 && i < this.config.n_layers)) throw new Error(`blockForward: block ${i} is not in 0…${this.config.n_layers - 1}`);
    return this.block(i, x, (qkv) => attentionQKV(qkv, this.config.n_heads, { causal: true }), null);
  }

  /** Logits [B, T, V] for ids [B, T]. */
  forward(ids: IdBatch, opts: ForwardOptions = {}): Tensor {
    return this.head(this.blocks(ids, opts));
  }

  /** Logits [B, T, V] (CausalLM). */
  logits(ids: IdBatch): Tensor {
    return this.forward(ids);
  }

  readonly rowInputs = [] as const;
  readonly rowLogitsKind = 'next-token scores';
  /** Logits [B, T, V] of whole rows (RowLogits: `wgpt logits`). */
  rowLogits(ids: IdBatch): Tensor {
    return this.forward(ids);
  }

  /** Mean next-token cross-entropy over the batch's B·T positions. */
  loss(b: LMBatch, opts: ForwardOptions = {}): Tensor {
    const ids = IdBatch.from(this.gpu, b.x, [b.B, b.T], this.config.vocab_size);
    return crossEntropy(this.forward(ids, opts), b.y);
  }

  /**
   * What the course draws: token embeddings, position embeddings and their sum for ids [1, T]
   * (each [T, C], host copies). No graph is recorded.
   */
  async embeddingViews(ids: IdBatch): Promise<{ token: Float32Array; position: Float32Array; sum: Float32Array }> {
    const [, T] = this.checkIds(ids);
    return this.gpu.scope(() =>
      noGrad(async () => {
        const L = this.layers;
        const tok = L.wte.forward(ids);
        const pos = L.wpe ? L.wpe.forward(positionIds(this.gpu, T)) : sinusoidalPositions(this.gpu, T, this.config.d_model);
        const sum = add(tok, pos);
        return { token: await tok.toArray(), position: await pos.toArray(), sum: await sum.toArray() };
      }),
    );
  }

  /** Attention probabilities [B, H, T, T] of one layer for ids [B, T] (inference, host copy). */
  async attentionMaps(ids: IdBatch, layer: number): Promise<Float32Array> {
    const [, T] = this.checkIds(ids);
    const c = this.config;
    if (!(layer >= 0 && layer < c.n_layers)) throw new Error(`attentionMaps: layer ${layer} is not in 0…${c.n_layers - 1}`);
    return this.gpu.scope(() =>
      noGrad(async () => {
        let x = this.embed(ids, T, 0, null);
        let probs: Tensor | null = null;
        for (let i = 0; i <= layer; i++) {
          x = this.block(i, x, (qkv) => {
            if (i < layer) return attentionQKV(qkv, c.n_heads, { causal: true });
            const r = attentionQKVWithProbs(qkv, c.n_heads, { causal: true });
            probs = r.probs;
            return r.out;
          }, null);
        }
        return probs!.toArray();
      }),
    );
  }

  /** KV caches for generation (one per layer), persistent until disposed. */
  createCaches(B: number, maxT = this.config.context_length): KVCache[] {
    const caches: KVCache[] = [];
    for (let i = 0; i < this.config.n_layers; i++) caches.push(createKVCache(this.gpu, { B, maxT, C: this.config.d_model }));
    return caches;
  }

  /**
   * Inference with a KV cache: ids [B, Tn] are positions pos … pos+Tn−1; appends their keys/values
   * to the caches and returns logits [B, Tn, V]. No graph is recorded. A step of at most 4 rows (B·Tn) runs each
   * LayerNorm inside the matmul it feeds (layerNormLinear: 2·n_layers dispatches fewer, + 1 for ln_f when the head is
   * at most LN_LINEAR_MAX_HEAD wide) unless fuseLayerNorm is false.
   */
  forwardCached(ids: IdBatch, caches: KVCache[], pos: number, opts: { fuseLayerNorm?: boolean } = {}): Tensor {
    return noGrad(() => {
      const [, Tn] = this.checkIds(ids);
      const c = this.config;
      if (pos + Tn > c.context_length) throw new Error(`position ${pos + Tn} exceeds the model's context_length ${c.context_length}`);
      let x = this.embed(ids, Tn, pos, null);
      // a decode step (a few rows): the LayerNorms run inside their matmuls (off: fuseLayerNorm false); a prompt
      // takes the separate ops
      const fuseLn = opts.fuseLayerNorm !== false && layerNormLinearFits(x);
      for (let i = 0; i < c.n_layers; i++) {
        x = this.block(i, x, (qkv) => attentionDecodeQKV(qkv, caches[i], pos, c.n_heads), null, fuseLn);
      }
      // the head only while narrow: a fused 50,257-column head decoded at 0.92× main's speed on SwiftShader (matmul-ln.ts)
      return this.head(x, fuseLn && c.vocab_size <= LN_LINEAR_MAX_HEAD);
    });
  }
}

/**
 * GPT2ForSequenceClassification: `score` (no bias) on ln_f's output at each row's last token before its first
 * pad_token_id (the row's last token when it has none; HF's rule). Rows are right-padded (positions count from 0).
 */
export class GPTClassifier extends GPTBase implements Model<GPTConfig, ClassificationBatch, IdBatch>, SequenceClassifier {
  readonly arch = gpt2ForSequenceClassification;
  readonly capabilities = { sequenceClassifier: true } as const;
  readonly numLabels: number;
  readonly labels: readonly string[];

  constructor(gpu: Gpu, config: GPTConfig, params: ParamMap) {
    validateConfig(config);
    if (!wantsClassifier(config)) throw new Error('config: GPT2ForSequenceClassification needs architectures ["GPT2ForSequenceClassification"]');
    super(gpu, config, 'GPT2ForSequenceClassification', gptLayers, params);
    this.numLabels = numLabelsOf(config);
    this.labels = labelsOf(config);
  }

  /** Each row's scored position: one before the first pad_token_id, modulo T (HF's rule). */
  scoredPositions(ids: IdBatch): number[] {
    const [B, T] = ids.shape;
    const pad = this.config.pad_token_id;
    if (pad === undefined) {
      if (B > 1) throw new Error('GPT2ForSequenceClassification: config.json has no pad_token_id, so only one row at a time can be classified');
      return [T - 1];
    }
    return Array.from({ length: B }, (_, b) => {
      let first = 0;
      while (first < T && ids.ids[b * T + first] !== pad) first++;
      return (((first === T ? 0 : first) - 1) % T + T) % T;
    });
  }

  classify(ids: IdBatch, attentionMask: ArrayLike<number>, opts: ForwardOptions = {}): Tensor {
    const [B, T] = this.checkIds(ids);
    const m = checkMask(attentionMask, B, T, 'GPT2ForSequenceClassification');
    for (let b = 0; b < B; b++) for (let t = 1; t < T; t++) if (m[b * T + t] && !m[b * T + t - 1]) throw new Error(`GPT2ForSequenceClassification: row ${b} is not right-padded (attention mask 0 before a 1); positions count from 0`);
    const rows = this.scoredPositions(ids).map((t, b) => b * T + t);
    return this.layers.score!.forward(pickRows(this.hiddenStates(ids, opts), rows), opts);
  }

  forward(ids: IdBatch, opts: ForwardOptions = {}): Tensor {
    const [B, T] = this.checkIds(ids);
    return this.classify(ids, new Uint8Array(B * T).fill(1), opts);
  }

  loss(b: ClassificationBatch, opts: ForwardOptions = {}): Tensor {
    const ids = IdBatch.from(this.gpu, b.ids, [b.B, b.T], this.config.vocab_size);
    return classificationLoss(this.classify(ids, b.attentionMask, opts), b.labels, this.config.problem_type);
  }
}

// ---- the GPT as an architecture of the model layer ----

/** The GPT's parameter table in Hugging Face GPT-2 naming, from its layers (params.ts re-exports it). */
export function gptParamTable(c: GPTConfig): ParamSpec[] {
  return tableOf('GPT', (ps) => gptLayers(ps, c));
}

/** Fresh GPT parameters: the table's GPT-2 init, or (rng 'torch') the course's PyTorch GPTModel after torch.manual_seed(seed). */
function gptInitParams(config: GPTConfig, seed: number, rng: 'wgpt' | 'torch'): ParamMap {
  const table = gptParamTable(config);
  if (rng !== 'torch') return initParams(table, seed);
  const t = torchGPTParams(config, seed);
  return new Map(table.map((p) => [p.name, { shape: [...p.shape], data: t.get(p.name)! }]));
}

const MASK_BUFFER = /^h\.\d+\.attn\.(bias|masked_bias)$/;

/** GPT training data: sliding windows (max_length T, stride) over the token ids, next-token targets. */
function prepareWindows(src: DataSource, c: GPTConfig, o: DataOptions): TrainingData<LMBatch> {
  const ids = src.ids();
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] >= c.vocab_size) throw new Error(`token id ${ids[i]} at position ${i} of ${src.path} is ≥ the model's vocab_size ${c.vocab_size}`);
  }
  const T = o.context ?? c.context_length;
  if (T > c.context_length) throw new Error(`--context ${T} is longer than the model's context_length ${c.context_length}`);
  const stride = o.stride ?? T;
  const { train: trainIds, val: valIds } = splitTrainVal(ids, o.valFraction);
  const loader = new BatchLoader(trainIds, { maxLength: T, stride, batchSize: o.batch, shuffle: o.shuffle, seed: o.seed, dropLast: true });
  if (loader.numBatches === 0) throw new Error(`the training split (${trainIds.length} tokens) gives no full batch of ${o.batch} windows of ${T}+1 tokens; lower --batch or --context`);
  const valLoader = o.valFraction > 0 && valIds.length > T ? new BatchLoader(valIds, { maxLength: T, stride: T, batchSize: 1, shuffle: false, seed: 0, dropLast: false }) : null;
  const notes: string[] = [];
  if (o.valFraction > 0 && !valLoader) notes.push(`wgpt: the validation split (${valIds.length} tokens) is shorter than one window of ${T + 1}; no validation loss`);
  const source = (l: BatchLoader): BatchSource<LMBatch> => ({
    numBatches: l.numBatches,
    batch: (i, epoch) => {
      const b = l.batch(i, epoch);
      return { x: b.x, y: b.y, B: b.B, T: b.T };
    },
    tokens: (b) => b.B * b.T,
  });
  return {
    train: source(loader),
    val: valLoader ? source(valLoader) : null,
    summary: `${ids.length} tokens (${trainIds.length} train, ${valIds.length} val), ${loader.numBatches} batches of ${o.batch}×${T} per epoch`,
    notes,
  };
}

/** GPT-2 (model_type "gpt2"): wgpt's GPT in Hugging Face GPT-2 layout. */
export const gpt2: Architecture<GPTConfig, LMBatch, GPT> = {
  modelType: 'gpt2',
  name: 'gpt2',
  hfArchitectures: ['GPT2LMHeadModel'],
  loraTargets: ['c_attn'],
  summary: 'decoder-only transformer language model (GPT-2 layout; the course\'s GPT)',
  presets: PRESETS,
  defaultPreset: 'small',
  validateConfig,
  configFromHF: (j, where) => gptConfigFromHF(j, where),
  configToHF: gptConfigToHF,
  paramTable: gptParamTable,
  hf: {
    prefixes: ['transformer.'],
    skip(name, c) {
      if (MASK_BUFFER.test(name)) return 'attention-mask buffers';
      if (name === 'lm_head.weight' && c.tie_embeddings) return 'output head tied to wte.weight'; // HF ties it on load, as here
      if (name === 'score.weight') return 'classification head (GPT2LMHeadModel has none)';
      return null;
    },
    unexpectedHint(name) {
      if (name === 'lm_head.weight') return 'an untied output head, but the config says tie_word_embeddings true';
      if (name === 'wpe.weight') return 'learned positions, but the config says wgpt.positions "sinusoidal"';
      if (name.endsWith('attn.c_attn.bias')) return 'a q/k/v bias, but the config says wgpt.qkv_bias false';
      return '';
    },
    transposedHint: 'GPT-2 stores linear weights Conv1D-style as [in, out]',
  },
  initParams: gptInitParams,
  create: (gpu, config, params) => GPT.fromParams(gpu, config, params),
  freshConfig(o) {
    const name = o.preset ?? 'small';
    const preset = PRESETS[name];
    if (!preset) throw new Error(`unknown preset '${name}' (presets: ${Object.keys(PRESETS).join(', ')})`);
    const c: GPTConfig = { ...preset, vocab_size: o.vocabSize };
    if (o.context !== undefined) c.context_length = o.context;
    if (o.dropout !== undefined) c.dropout = o.dropout;
    return validateConfig(c);
  },
  withOptions: (c, o) => validateConfig({ ...c, dropout: o.dropout ?? c.dropout }),
  vocabSize: (c) => c.vocab_size,
  describe: (c) => `${c.n_layers} layers, d_model ${c.d_model}, ${c.n_heads} heads, context ${c.context_length}, vocab ${c.vocab_size}`,
  data: { prepare: prepareWindows },
};

/** GPT2ForSequenceClassification (model_type "gpt2", architectures ["GPT2ForSequenceClassification"]). */
export const gpt2ForSequenceClassification: Architecture<GPTConfig, ClassificationBatch, GPTClassifier> = {
  ...gpt2,
  name: 'GPT2ForSequenceClassification',
  hfArchitectures: ['GPT2ForSequenceClassification'],
  loraTargets: ['c_attn'],
  summary: 'GPT2ForSequenceClassification: the GPT-2 decoder with a score head at the last non-pad token',
  validateConfig(c) {
    validateConfig(c);
    if (!wantsClassifier(c)) throw new Error('config: GPT2ForSequenceClassification needs architectures ["GPT2ForSequenceClassification"]');
    return c;
  },
  initParams: undefined,
  hf: {
    ...gpt2.hf,
    skip(name) {
      if (MASK_BUFFER.test(name)) return 'attention-mask buffers';
      if (name === 'lm_head.weight') return 'LM head (GPT2ForSequenceClassification has none)';
      return null;
    },
  },
  create: (gpu, config, params) => new GPTClassifier(gpu, config, params),
  freshConfig: (o) => gpt2ForSequenceClassification.validateConfig({ ...gpt2.freshConfig(o), ...classifierKeys('GPT2ForSequenceClassification', 2), pad_token_id: o.specialTokens?.['<|endoftext|>'] ?? 0 }),
  data: {
    prepare() {
      throw new Error('GPT2ForSequenceClassification trains on labelled rows (the classification task), not on a text file\'s windows');
    },
  },
};
