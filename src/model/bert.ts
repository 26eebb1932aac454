// BERT with the masked-LM head (Hugging Face BertForMaskedLM), built only from the shared ops: word + position +
// token-type embeddings → LayerNorm → N post-LN encoder layers (bidirectional attention with the key-padding mask)
// → MLM head tied to the word embeddings; and the `bert` Architecture of the model layer (config.json, table, MLM data).
// Leaves out: the pooler / NSP head (skipped on load), sentence-pair pretraining data, relative positions, fp16.
import type { Gpu } from '../gpu/device.js';
import { Tensor, IdBatch, noGrad } from '../autograd/tensor.js';
import { mixSeed } from './init.js';
import { type Architecture, type Model, type ForwardOptions, type ParamMap, type BatchSource, type DataSource, type DataOptions, type TrainingData, uploadParams, paramOf, exportParamMap } from './model.js';
import { type BertConfig, BERT_PRESETS, bertConfigFromHF, bertConfigToHF, bertHF, bertParamTable, validateBertConfig } from './bert-config.js';
import { embedding, positionIds } from '../ops/embedding.js';
import { reshape } from '../ops/shape.js';
import { add, dropout } from '../ops/elementwise.js';
import { activation } from '../ops/unary.js';
import { layerNorm } from '../ops/layernorm.js';
import { linearT } from '../ops/matmul.js';
import { crossEntropy } from '../ops/loss.js';
import { attention, attentionWithProbs } from '../ops/attention.js';
import { type MlmBatch, type SpecialIds, MlmLoader, buildRows, mostFrequentBaseline } from '../data/mlm.js';

export type { BertConfig } from './bert-config.js';

/** One forward's input: ids [B, T] and host arrays of B·T segment ids and 0/1 attention mask (defaults: 0 and 1). */
export interface BertInput {
  ids: IdBatch;
  tokenTypeIds?: ArrayLike<number>;
  attentionMask?: ArrayLike<number>;
}

export class Bert implements Model<BertConfig, MlmBatch, BertInput> {
  readonly arch = bert;
  readonly params: Map<string, Tensor>;
  private readonly act: (x: Tensor) => Tensor;

  constructor(
    readonly gpu: Gpu,
    readonly config: BertConfig,
    params: ParamMap,
  ) {
    validateBertConfig(config);
    this.params = uploadParams(gpu, bertParamTable(config), params);
    this.act = activation(config.hidden_act);
  }

  p(name: string): Tensor {
    return paramOf(this.params, 'BERT', name);
  }

  paramList(): Tensor[] {
    return [...this.params.values()];
  }

  exportParams(): Promise<ParamMap> {
    return exportParamMap(this.params);
  }

  /** Checks an input against the config on the host (nothing out of range reaches the GPU); returns [B, T]. */
  checkInput(x: BertInput): [number, number] {
    const c = this.config;
    if (x.ids.shape.length !== 2) throw new Error(`BERT: ids must be [B, T], got [${x.ids.shape}]`);
    const [B, T] = x.ids.shape;
    if (B === 0 || T === 0) throw new Error(`BERT: empty batch [${x.ids.shape}]`);
    if (T > c.max_position_embeddings) throw new Error(`sequence of ${T} tokens is longer than max_position_embeddings ${c.max_position_embeddings}`);
    for (let i = 0; i < x.ids.size; i++) {
      const v = x.ids.ids[i];
      if (v >= c.vocab_size) throw new Error(`token id ${v} at position ${i} is out of range [0, ${c.vocab_size}) (vocab_size)`);
    }
    if (x.tokenTypeIds) {
      if (x.tokenTypeIds.length !== B * T) throw new Error(`token type ids have ${x.tokenTypeIds.length} entries, the ids need B·T = ${B}·${T} = ${B * T}`);
      for (let i = 0; i < B * T; i++) {
        const v = x.tokenTypeIds[i];
        if (!Number.isInteger(v) || v < 0 || v >= c.type_vocab_size) throw new Error(`token type id ${v} at position ${i} is out of range [0, ${c.type_vocab_size}) (type_vocab_size ${c.type_vocab_size})`);
      }
    }
    if (x.attentionMask) {
      if (x.attentionMask.length !== B * T) throw new Error(`attention mask has ${x.attentionMask.length} entries, the ids need B·T = ${B}·${T} = ${B * T}`);
      for (let i = 0; i < B * T; i++) {
        const v = x.attentionMask[i];
        if (v !== 0 && v !== 1) throw new Error(`attention mask entry ${v} at position ${i} is not 0 or 1`);
      }
    }
    return [B, T];
  }

  private embed(x: BertInput, B: number, T: number, drop: (t: Tensor, site: number) => Tensor): Tensor {
    const c = this.config;
    let h = embedding(x.ids, this.p('bert.embeddings.word_embeddings.weight'), { paddingIdx: c.pad_token_id });
    const tt = IdBatch.from(this.gpu, x.tokenTypeIds ?? new Int32Array(B * T), [B, T], c.type_vocab_size, 'token type id');
    h = add(h, embedding(tt, this.p('bert.embeddings.token_type_embeddings.weight')));
    h = add(h, embedding(positionIds(this.gpu, T), this.p('bert.embeddings.position_embeddings.weight')));
    h = layerNorm(h, this.p('bert.embeddings.LayerNorm.weight'), this.p('bert.embeddings.LayerNorm.bias'), c.layer_norm_eps);
    return drop(h, 0);
  }

  /** Encoder layer l (post-LN): attention → dense → dropout → LN(· + x) → act(dense) → dense → dropout → LN(· + ·). */
  private layer(l: number, x: Tensor, attn: (q: Tensor, k: Tensor, v: Tensor) => Tensor, drop: (t: Tensor, site: number) => Tensor): Tensor {
    const c = this.config;
    const P = `bert.encoder.layer.${l}.`;
    const lin = (t: Tensor, n: string) => linearT(t, this.p(P + n + '.weight'), this.p(P + n + '.bias'));
    const a = attn(lin(x, 'attention.self.query'), lin(x, 'attention.self.key'), lin(x, 'attention.self.value'));
    const h = layerNorm(add(drop(lin(a, 'attention.output.dense'), 2 * l + 1), x), this.p(P + 'attention.output.LayerNorm.weight'), this.p(P + 'attention.output.LayerNorm.bias'), c.layer_norm_eps);
    const f = lin(this.act(lin(h, 'intermediate.dense')), 'output.dense');
    return layerNorm(add(drop(f, 2 * l + 2), h), this.p(P + 'output.LayerNorm.weight'), this.p(P + 'output.LayerNorm.bias'), c.layer_norm_eps);
  }

  /** Last hidden states [B, T, H] (BertModel's sequence output). */
  encode(x: BertInput, opts: ForwardOptions = {}): Tensor {
    const [B, T] = this.checkInput(x);
    return this.encodeUpTo(x, B, T, this.config.num_hidden_layers - 1, opts).h;
  }

  private encodeUpTo(x: BertInput, B: number, T: number, last: number, opts: ForwardOptions, probsOf = -1): { h: Tensor; probs: Tensor | null } {
    const c = this.config;
    const seed = opts.seed ?? 0;
    const ph = opts.train ? c.hidden_dropout_prob : 0;
    const pa = opts.train ? c.attention_probs_dropout_prob : 0;
    const drop = (t: Tensor, site: number) => (ph > 0 ? dropout(t, ph, mixSeed(seed, site)) : t);
    const keyMask = x.attentionMask;
    let h = this.embed(x, B, T, drop);
    let probs: Tensor | null = null;
    for (let l = 0; l <= last; l++) {
      const o = { heads: c.num_attention_heads, keyMask, dropout: pa, seed: mixSeed(seed, 1000 + l) };
      h = this.layer(l, h, (q, k, v) => {
        if (l !== probsOf) return attention(q, k, v, o);
        const r = attentionWithProbs(q, k, v, o);
        probs = r.probs;
        return r.out;
      }, drop);
    }
    return { h, probs };
  }

  /** The MLM head on hidden states [..., H] → [..., V]: dense → act → LayerNorm → tied decoder + cls.predictions.bias. */
  head(h: Tensor): Tensor {
    const c = this.config;
    let y = linearT(h, this.p('cls.predictions.transform.dense.weight'), this.p('cls.predictions.transform.dense.bias'));
    y = layerNorm(this.act(y), this.p('cls.predictions.transform.LayerNorm.weight'), this.p('cls.predictions.transform.LayerNorm.bias'), c.layer_norm_eps);
    return linearT(y, this.p('bert.embeddings.word_embeddings.weight'), this.p('cls.predictions.bias'));
  }

  /** MLM logits [B, T, V] (BertForMaskedLM's prediction scores). */
  forward(x: BertInput, opts: ForwardOptions = {}): Tensor {
    return this.head(this.encode(x, opts));
  }

  /** MLM logits [N, V] at N chosen flat positions (b·T + t) only: the head is the costly part when V is large. */
  logitsAt(x: BertInput, positions: ArrayLike<number>, opts: ForwardOptions = {}): Tensor {
    const [B, T] = this.checkInput(x);
    const h = this.encodeUpTo(x, B, T, this.config.num_hidden_layers - 1, opts).h;
    const rows = IdBatch.from(this.gpu, positions, [positions.length], B * T, 'position');
    return this.head(embedding(rows, reshape(h, [B * T, this.config.hidden_size])));
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
    const ids = IdBatch.from(this.gpu, b.input, [b.B, b.T], this.config.vocab_size);
    return { x: { ids, tokenTypeIds: b.tokenTypes, attentionMask: b.attentionMask }, positions, targets };
  }

  /** Mean cross-entropy over the chosen positions (labels ≠ −100), as BertForMaskedLM's loss. */
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
        const V = this.config.vocab_size;
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

  /** Attention probabilities [B, heads, T, T] of one layer (inference, host copy): bidirectional, padded keys 0. */
  async attentionMaps(x: BertInput, layer: number): Promise<Float32Array> {
    const [B, T] = this.checkInput(x);
    const c = this.config;
    if (!(Number.isInteger(layer) && layer >= 0 && layer < c.num_hidden_layers)) throw new Error(`attentionMaps: layer ${layer} is not in 0…${c.num_hidden_layers - 1}`);
    return this.gpu.scope(() => noGrad(async () => this.encodeUpTo(x, B, T, layer, {}, layer).probs!.toArray()));
  }

  dispose(): void {
    for (const t of this.params.values()) t.dispose();
    this.params.clear();
  }
}

// ---- fill-mask ----

export interface FillMaskResult {
  /** position of the [MASK] in the encoded ids */
  position: number;
  /** top-k fill-ins, most probable first */
  candidates: { id: number; token: string; prob: number }[];
}

/** Softmax top-k at each [MASK] position of one encoded sentence (ids [1, T]). */
export async function fillMask(model: Bert, ids: number[], maskId: number, topK: number, tokenOf: (id: number) => string): Promise<FillMaskResult[]> {
  const positions = ids.flatMap((id, i) => (id === maskId ? [i] : []));
  if (!positions.length) throw new Error('the text has no [MASK] token to fill');
  if (!(Number.isInteger(topK) && topK >= 1)) throw new Error(`top-k must be a positive integer, got ${topK}`);
  const V = model.config.vocab_size;
  const k = Math.min(topK, V);
  const logits = await model.gpu.scope(() =>
    noGrad(async () => model.logitsAt({ ids: IdBatch.from(model.gpu, ids, [1, ids.length], V) }, positions).toArray()),
  );
  return positions.map((position, r) => {
    const row = logits.subarray(r * V, (r + 1) * V);
    let max = -Infinity;
    for (const v of row) max = Math.max(max, v);
    let sum = 0;
    for (const v of row) sum += Math.exp(v - max);
    const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => row[b] - row[a] || a - b).slice(0, k);
    return { position, candidates: order.map((id) => ({ id, token: tokenOf(id), prob: Math.exp(row[id] - max) / sum })) };
  });
}

// ---- the architecture ----

/** [CLS], [SEP], [PAD], [MASK] ids from a tokenizer's special tokens (one line naming what is missing). */
export function bertSpecialIds(specials: Record<string, number> | undefined, where = 'the tokenizer'): SpecialIds & { unk?: number } {
  const s = specials ?? {};
  const need = ['[CLS]', '[SEP]', '[PAD]', '[MASK]'];
  const missing = need.filter((t) => s[t] === undefined);
  if (missing.length) throw new Error(`${where} has no ${missing.join(', ')} token${missing.length > 1 ? 's' : ''}; BERT needs ${need.join(' ')} (a WordPiece tokenizer.json or vocab.txt)`);
  return { cls: s['[CLS]'], sep: s['[SEP]'], pad: s['[PAD]'], mask: s['[MASK]'], unk: s['[UNK]'] };
}

/** MLM data: lines of the text (held-out split = the last lines), packed into rows, masks re-drawn per epoch. */
function prepareMlm(src: DataSource, c: BertConfig, o: DataOptions): TrainingData<MlmBatch> {
  const sp = bertSpecialIds(src.tokenizer.specialTokens, `tokenizer ${src.tokenizer.name}`);
  if (src.tokenizer.vocabSize > c.vocab_size) throw new Error(`the tokenizer has ${src.tokenizer.vocabSize} ids but the model's vocab_size is ${c.vocab_size}`);
  const T = o.context ?? Math.min(c.max_position_embeddings, 128);
  if (T > c.max_position_embeddings) throw new Error(`--context ${T} is longer than max_position_embeddings ${c.max_position_embeddings}`);
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

/** BERT (model_type "bert"): BertForMaskedLM in Hugging Face layout. */
export const bert: Architecture<BertConfig, MlmBatch> = {
  modelType: 'bert',
  name: 'bert',
  summary: 'encoder-only transformer with the masked-LM head (Hugging Face BertForMaskedLM)',
  presets: Object.fromEntries(Object.entries(BERT_PRESETS).map(([k, v]) => [k, { ...v, vocab_size: 30522 }])),
  defaultPreset: 'tiny',
  validateConfig: (c) => validateBertConfig(c),
  configFromHF: (j, where) => bertConfigFromHF(j, where),
  configToHF: bertConfigToHF,
  paramTable: bertParamTable,
  hf: bertHF,
  create: (gpu, config, params) => new Bert(gpu, config, params),
  freshConfig(o) {
    const name = o.preset ?? 'tiny';
    const preset = BERT_PRESETS[name];
    if (!preset) throw new Error(`unknown BERT preset '${name}' (presets: ${Object.keys(BERT_PRESETS).join(', ')})`);
    const c: BertConfig = { ...preset, vocab_size: o.vocabSize };
    if (o.context !== undefined) c.max_position_embeddings = o.context;
    if (o.dropout !== undefined) c.hidden_dropout_prob = c.attention_probs_dropout_prob = o.dropout;
    return validateBertConfig(c);
  },
  withOptions: (c, o) =>
    validateBertConfig(o.dropout === undefined ? c : { ...c, hidden_dropout_prob: o.dropout, attention_probs_dropout_prob: o.dropout }),
  vocabSize: (c) => c.vocab_size,
  describe: (c) =>
    `${c.num_hidden_layers} layers, hidden ${c.hidden_size}, ${c.num_attention_heads} heads, intermediate ${c.intermediate_size} (${c.hidden_act}), ${c.max_position_embeddings} positions, vocab ${c.vocab_size}`,
  data: { prepare: prepareMlm },
};
