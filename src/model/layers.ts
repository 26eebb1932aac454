// The layer library every transformer here is built from: each layer DECLARES its parameters (rows of the parameter
// table: name, shape, init) when it is constructed and FETCHES the same tensors in its forward, so a tensor name is
// written once, and the table (init, checkpoints, the Hugging Face mapping, the optimizer's order) comes from the
// same code path as the forward. Also: the model boilerplate (LayerModel: p, paramList, exportParams, dispose,
// uploadParams, the LinearAdapter seam). Browser-safe. Leaves out: the architectures themselves, data, files.
//
// How to use: a model's layers are built by one function `(ps: Params, config) => layers`. `paramTable(c)` runs it on
// a fresh Params and returns `ps.rows`; the model runs it again in its constructor (LayerModel), uploads the
// checkpoint's arrays against those rows and binds them, after which every layer's forward reads its own tensors.
// Construction order = table order = the seeded init's RNG order: declare layers in the order PyTorch builds them.
import type { Gpu } from '../gpu/device.js';
import { Tensor, IdBatch } from '../autograd/tensor.js';
import { type Init, type ParamSpec, type ParamMap, type LinearAdapter, type ForwardOptions, init, uploadParams, exportParamMap } from './model.js';
import { add } from '../ops/binary.js';
import { embedding } from '../ops/embedding.js';
import { layerNorm } from '../ops/layernorm.js';
import { linear, linearT, linearGelu, linearResidual } from '../ops/matmul.js';
import { layerNormLinear } from '../ops/matmul-ln.js';
import { F16Weight, linearF16 } from '../ops/matmul-f16.js';
import { f16BitsToNumber } from '../io/safetensors.js';

// ---------------------------------------------------------------------------------------------------------------
// Declaring and binding

/** One declared tensor: its table name, and (once the model is built) its GPU tensor. */
export class Param {
  constructor(
    private readonly ps: Params,
    readonly name: string,
    readonly shape: readonly number[],
  ) {}
  /** the bound tensor (a model's forward); a layer used before its model bound it is a bug, named */
  get t(): Tensor {
    return this.ps.tensor(this.name);
  }
}

/**
 * The parameter table under construction and, once bound, the model's tensors by name. Layers add rows through
 * `param` (in construction order); `scope('h.0.')` gives a view that prefixes names. The LinearAdapter a model
 * carries lives here so every Linear of the model sees the same one.
 */
export class Params {
  readonly rows: ParamSpec[] = [];
  /** module names of every Linear declared (the names a LinearAdapter may target) */
  readonly linearModules = new Set<string>();
  /** weight layout of each Linear, by weight name (what storing it in f16 needs) */
  readonly linearLayouts = new Map<string, 'conv1d' | 'torch'>();
  /** frozen Linear weights kept as packed f16 (LayerModel.storeFrozenLinearsF16), by weight name */
  readonly f16 = new Map<string, F16Weight>();
  private tensors: Map<string, Tensor> | null = null;
  adapter: LinearAdapter | undefined;

  constructor(readonly owner: string) {}

  param(name: string, shape: readonly number[], i: Init, extra: Pick<ParamSpec, 'paddingRow' | 'frozen'> = {}): Param {
    if (this.rows.some((r) => r.name === name)) throw new Error(`${this.owner}: parameter '${name}' is declared twice`);
    this.rows.push({ name, shape: [...shape], init: i, ...extra });
    return new Param(this, name, shape);
  }

  /** a view whose names start with `prefix` */
  scope(prefix: string): Scope {
    return new Scope(this, prefix);
  }

  bind(tensors: Map<string, Tensor>): void {
    this.tensors = tensors;
  }

  tensor(name: string): Tensor {
    if (!this.tensors) throw new Error(`${this.owner}: parameter ${name} used before the model was built`);
    const t = this.tensors.get(name);
    if (!t) throw new Error(`${this.owner}: no parameter ${name}`);
    return t;
  }
}

/** Params seen through a name prefix (`bert.encoder.layer.3.`). */
export class Scope {
  constructor(
    readonly ps: Params,
    readonly prefix: string,
  ) {}
  param(name: string, shape: readonly number[], i: Init, extra: Pick<ParamSpec, 'paddingRow' | 'frozen'> = {}): Param {
    return this.ps.param(this.prefix + name, shape, i, extra);
  }
  scope(prefix: string): Scope {
    return new Scope(this.ps, this.prefix + prefix);
  }
  /** the full name of `name` under this scope */
  name(name: string): string {
    return this.prefix + name;
  }
}

export type Where = Params | Scope;
const scopeOf = (w: Where): Scope => (w instanceof Scope ? w : w.scope(''));

/** The rows `build` declares (an architecture's paramTable). */
export function tableOf(owner: string, build: (ps: Params) => unknown): ParamSpec[] {
  const ps = new Params(owner);
  build(ps);
  return ps.rows;
}

// ---------------------------------------------------------------------------------------------------------------
// Layers

export interface LinearOptions {
  /** default true */
  bias?: boolean;
  /** 'conv1d': weight [in, out] (GPT-2's Conv1D, wgpt's GPT); 'torch': nn.Linear's [out, in] */
  layout: 'conv1d' | 'torch';
  /** weight init */
  init: Init;
  /** bias init (default zeros; nn.Linear's own reset_parameters draws U(±1/√in), as the RNN seq2seq keeps) */
  biasInit?: Init;
}

/**
 * y = x·W + b (Conv1D) or x·Wᵀ + b (nn.Linear) over the last dim, plus the model's LinearAdapter delta for this
 * module when it has one. The fused forms (gelu, residual, layer-normed) run one dispatch when the module has no
 * adapter and fall back to the plain ops when it has (the delta needs the plain input).
 */
export class Linear {
  readonly weight: Param;
  readonly bias: Param | undefined;
  /** Hugging Face module name (the weight's table name without `.weight`): what a LinearAdapter targets */
  readonly module: string;
  readonly layout: 'conv1d' | 'torch';

  constructor(
    where: Where,
    name: string,
    readonly inF: number,
    readonly outF: number,
    o: LinearOptions,
  ) {
    const s = scopeOf(where);
    this.layout = o.layout;
    this.module = s.name(name);
    s.ps.linearModules.add(this.module);
    this.ps = s.ps;
    this.weight = s.param(name + '.weight', o.layout === 'conv1d' ? [inF, outF] : [outF, inF], o.init);
    s.ps.linearLayouts.set(this.weight.name, o.layout);
    this.bias = o.bias === false ? undefined : s.param(name + '.bias', [outF], o.biasInit ?? init.zeros());
  }
  private readonly ps: Params;

  /** whether the model's adapter targets this module (then no fused path is taken) */
  get adapted(): boolean {
    return !!this.ps.adapter?.modules.has(this.module) || this.ps.f16.has(this.weight.name);
  }

  private base(x: Tensor): Tensor {
    const h = this.ps.f16.get(this.weight.name);
    if (h) return linearF16(x, h, this.bias?.t);
    return this.layout === 'conv1d' ? linear(x, this.weight.t, this.bias?.t) : linearT(x, this.weight.t, this.bias?.t);
  }

  /** base + delta when the adapter returns one */
  private withDelta(x: Tensor, y: Tensor, opts?: ForwardOptions): Tensor {
    const d = this.ps.adapter?.delta(this.module, x, opts) ?? null;
    return d ? add(y, d) : y;
  }

  forward(x: Tensor, opts?: ForwardOptions): Tensor {
    return this.withDelta(x, this.base(x), opts);
  }

  /** gelu_tanh(forward(x)): one fused dispatch at inference, one graph node in training (Conv1D layout) */
  gelu(x: Tensor, act: (t: Tensor) => Tensor, opts?: ForwardOptions): Tensor {
    if (this.layout === 'conv1d' && !this.adapted) return linearGelu(x, this.weight.t, this.bias?.t);
    return act(this.forward(x, opts));
  }

  /** res + forward(x): the matmul accumulates into a copy of res (one dispatch; Conv1D layout) */
  residual(x: Tensor, res: Tensor, opts?: ForwardOptions): Tensor {
    if (this.layout === 'conv1d' && !this.adapted) return linearResidual(x, this.weight.t, this.bias?.t, res);
    return add(res, this.forward(x, opts));
  }

  /** forward(ln(x)) (gelu_tanh of it with `act`): with `fuse`, the LayerNorm runs inside the matmul (decode steps) */
  normed(x: Tensor, ln: LayerNorm, o: { fuse: boolean; act?: 'gelu_tanh'; actFn?: (t: Tensor) => Tensor; opts?: ForwardOptions }): Tensor {
    if (o.fuse && !this.adapted) {
      return layerNormLinear(x, ln.weight.t, ln.bias.t, this.weight.t, this.bias?.t, { eps: ln.eps, act: o.act, transposed: this.layout === 'torch' });
    }
    const h = ln.forward(x);
    return o.act ? this.gelu(h, o.actFn!, o.opts) : this.forward(h, o.opts);
  }
}

/** LayerNorm over the last dim (weight 1, bias 0 at init). */
export class LayerNorm {
  readonly weight: Param;
  readonly bias: Param;
  constructor(
    where: Where,
    name: string,
    readonly dim: number,
    readonly eps: number,
  ) {
    const s = scopeOf(where);
    this.weight = s.param(name + '.weight', [dim], init.ones());
    this.bias = s.param(name + '.bias', [dim], init.zeros());
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight.t, this.bias.t, this.eps);
  }
}

/** A lookup table [rows, dim] (nn.Embedding; `paddingRow`: that row starts at zero and gets no gradient from lookups). */
export class Embedding {
  readonly weight: Param;
  readonly paddingRow: number | undefined;
  constructor(where: Where, name: string, readonly rows: number, readonly dim: number, o: { init: Init; paddingRow?: number }) {
    const s = scopeOf(where);
    this.paddingRow = o.paddingRow;
    this.weight = s.param(name + '.weight', [rows, dim], o.init, o.paddingRow !== undefined ? { paddingRow: o.paddingRow } : {});
  }
  forward(ids: IdBatch): Tensor {
    return embedding(ids, this.weight.t, this.paddingRow !== undefined ? { paddingIdx: this.paddingRow } : {});
  }
}

/** dropout at a numbered site (null: none, which lets residual adds fuse into their matmuls) */
export type Drop = (x: Tensor, site: number) => Tensor;

// ---------------------------------------------------------------------------------------------------------------
// Attention and feed-forward

/** The attention itself, given by the caller: causal, key-masked, cached, with or without probabilities. */
export type PackedAttend = (qkv: Tensor) => Tensor;
export type Attend = (q: Tensor, k: Tensor, v: Tensor) => Tensor;

/** Multi-head self-attention with one fused q/k/v projection (GPT-2's c_attn [C, 3C]) and an output projection. */
export class PackedSelfAttention {
  readonly qkv: Linear;
  readonly out: Linear;
  constructor(where: Where, names: { qkv: string; out: string }, C: number, o: { qkvBias: boolean; init: Init }) {
    this.qkv = new Linear(where, names.qkv, C, 3 * C, { layout: 'conv1d', bias: o.qkvBias, init: o.init });
    this.out = new Linear(where, names.out, C, C, { layout: 'conv1d', init: o.init });
  }
}

/** Names of a split q/k/v attention's four projections (BERT: attention.self.query …; DistilBERT: attention.q_lin …). */
export interface SplitAttentionNames {
  q: string;
  k: string;
  v: string;
  out: string;
}

/**
 * Multi-head attention with separate q, k, v and output projections (nn.Linear layout). `forward` takes the
 * attention as a closure, so one layer serves training, masks, caches and probability capture. `order`: the
 * declaration order (Hugging Face's BART/Marian attention builds k, v, q).
 */
export class SplitAttention {
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly out: Linear;
  constructor(where: Where, names: SplitAttentionNames, C: number, o: { init: Init; order?: readonly ('q' | 'k' | 'v')[]; kvDim?: number }) {
    const made: Partial<Record<'q' | 'k' | 'v', Linear>> = {};
    for (const which of o.order ?? (['q', 'k', 'v'] as const)) {
      made[which] = new Linear(where, names[which], which === 'q' ? C : (o.kvDim ?? C), C, { layout: 'torch', init: o.init });
    }
    this.q = made.q!;
    this.k = made.k!;
    this.v = made.v!;
    this.out = new Linear(where, names.out, C, C, { layout: 'torch', init: o.init });
  }
  /** self-attention on x [B, T, C] */
  forward(x: Tensor, attend: Attend, opts?: ForwardOptions): Tensor {
    return this.out.forward(attend(this.q.forward(x, opts), this.k.forward(x, opts), this.v.forward(x, opts)), opts);
  }
}

/** Position-wise feed-forward: in → act → out (nn.Linear layout). */
export class FeedForward {
  readonly fc: Linear;
  readonly proj: Linear;
  constructor(where: Where, names: { fc: string; proj: string }, C: number, inner: number, o: { init: Init; layout?: 'conv1d' | 'torch' }) {
    const layout = o.layout ?? 'torch';
    this.fc = new Linear(where, names.fc, C, inner, { layout, init: o.init });
    this.proj = new Linear(where, names.proj, inner, C, { layout, init: o.init });
  }
  /** `mid`: applied after the activation (Marian's activation dropout) */
  forward(x: Tensor, act: (t: Tensor) => Tensor, opts?: ForwardOptions, mid?: (t: Tensor) => Tensor): Tensor {
    const h = act(this.fc.forward(x, opts));
    return this.proj.forward(mid ? mid(h) : h, opts);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Blocks

/**
 * GPT-2's pre-LN block: x + proj(attn(c_attn(ln_1(x)))), then x + mlp.c_proj(gelu(mlp.c_fc(ln_2(x)))). Without
 * dropout each residual add is its projection's matmul accumulating into x (linearResidual); at inference the GELU is
 * the c_fc matmul's epilogue (linearGelu); with `fuseLn` (a decode step) each LayerNorm runs inside the matmul it
 * feeds (layerNormLinear). A module a LinearAdapter targets takes the plain ops instead.
 */
export class PreLNBlock {
  readonly ln1: LayerNorm;
  readonly attn: PackedSelfAttention;
  readonly ln2: LayerNorm;
  readonly mlp: FeedForward;
  constructor(where: Where, C: number, o: { eps: number; qkvBias: boolean; init: Init }) {
    this.ln1 = new LayerNorm(where, 'ln_1', C, o.eps);
    this.attn = new PackedSelfAttention(where, { qkv: 'attn.c_attn', out: 'attn.c_proj' }, C, o);
    this.ln2 = new LayerNorm(where, 'ln_2', C, o.eps);
    this.mlp = new FeedForward(where, { fc: 'mlp.c_fc', proj: 'mlp.c_proj' }, C, 4 * C, { init: o.init, layout: 'conv1d' });
  }

  /** `drop` null: no dropout (residual adds fused); `sites`: the two dropout sites of this block */
  forward(x: Tensor, attend: PackedAttend, gelu: (t: Tensor) => Tensor, drop: Drop | null, sites: [number, number], fuseLn = false, opts?: ForwardOptions): Tensor {
    const a = attend(this.attn.qkv.normed(x, this.ln1, { fuse: fuseLn, opts }));
    x = drop ? add(x, drop(this.attn.out.forward(a, opts), sites[0])) : this.attn.out.residual(a, x, opts);
    const h = this.mlp.fc.normed(x, this.ln2, { fuse: fuseLn, act: 'gelu_tanh', actFn: gelu, opts });
    return drop ? add(x, drop(this.mlp.proj.forward(h, opts), sites[1])) : this.mlp.proj.residual(h, x, opts);
  }
}

/** Names of a post-LN encoder layer's parts (BERT's, DistilBERT's, Marian's spellings). */
export interface PostLNNames {
  attn: SplitAttentionNames;
  attnNorm: string;
  fc: string;
  proj: string;
  outNorm: string;
}

export const BERT_LAYER_NAMES: PostLNNames = {
  attn: { q: 'attention.self.query', k: 'attention.self.key', v: 'attention.self.value', out: 'attention.output.dense' },
  attnNorm: 'attention.output.LayerNorm',
  fc: 'intermediate.dense',
  proj: 'output.dense',
  outNorm: 'output.LayerNorm',
};

/**
 * The post-LN encoder layer of BERT, RoBERTa, DistilBERT (and Marian's encoder): h = LN(x + drop(attn(x))),
 * out = LN(h + drop(ffn(h))). Attention comes as a closure (key mask, dropout, probabilities).
 */
export class PostLNEncoderLayer {
  readonly attn: SplitAttention;
  readonly attnNorm: LayerNorm;
  readonly ffn: FeedForward;
  readonly outNorm: LayerNorm;
  constructor(where: Where, names: PostLNNames, C: number, inner: number, o: { eps: number; init: Init; attnOrder?: readonly ('q' | 'k' | 'v')[] }) {
    this.attn = new SplitAttention(where, names.attn, C, { init: o.init, order: o.attnOrder });
    this.attnNorm = new LayerNorm(where, names.attnNorm, C, o.eps);
    this.ffn = new FeedForward(where, { fc: names.fc, proj: names.proj }, C, inner, { init: o.init });
    this.outNorm = new LayerNorm(where, names.outNorm, C, o.eps);
  }
  /** `sites`: dropout sites of the attention branch and the feed-forward branch; `mid`: after the activation */
  forward(x: Tensor, attend: Attend, act: (t: Tensor) => Tensor, drop: (t: Tensor, site: number) => Tensor, sites: [number, number], opts?: ForwardOptions, mid?: (t: Tensor) => Tensor): Tensor {
    const h = this.attnNorm.forward(add(drop(this.attn.forward(x, attend, opts), sites[0]), x));
    return this.outNorm.forward(add(drop(this.ffn.forward(h, act, opts, mid), sites[1]), h));
  }
}

/**
 * Attention given to a decoder layer as a closure over its own projections: returns the attention output before
 * out_proj for queries from x (self-attention with or without a KV cache, cross-attention on encoder states or on
 * cached encoder keys/values, with or without probabilities).
 */
export type AttendWith = (attn: SplitAttention, x: Tensor) => Tensor;

/** Names of a post-LN decoder layer (Marian/BART: self_attn, self_attn_layer_norm, encoder_attn, …, fc1, fc2, final_layer_norm). */
export interface DecoderLayerNames {
  self: SplitAttentionNames;
  selfNorm: string;
  cross: SplitAttentionNames;
  crossNorm: string;
  fc: string;
  proj: string;
  outNorm: string;
}

/**
 * The post-LN decoder layer (Marian/BART), written once for teacher forcing and cached decode steps:
 * x = LN(x + drop(self)), x = LN(x + drop(cross)), x = LN(x + drop(fc2(mid(act(fc1(x)))))).
 */
export class PostLNDecoderLayer {
  readonly self: SplitAttention;
  readonly selfNorm: LayerNorm;
  readonly cross: SplitAttention;
  readonly crossNorm: LayerNorm;
  readonly ffn: FeedForward;
  readonly outNorm: LayerNorm;
  constructor(where: Where, names: DecoderLayerNames, C: number, inner: number, o: { eps: number; init: Init }) {
    this.self = new SplitAttention(where, names.self, C, { init: o.init });
    this.selfNorm = new LayerNorm(where, names.selfNorm, C, o.eps);
    this.cross = new SplitAttention(where, names.cross, C, { init: o.init });
    this.crossNorm = new LayerNorm(where, names.crossNorm, C, o.eps);
    this.ffn = new FeedForward(where, { fc: names.fc, proj: names.proj }, C, inner, { init: o.init });
    this.outNorm = new LayerNorm(where, names.outNorm, C, o.eps);
  }
  /** `drop(t, i)`: dropout of branch i (0 self, 1 cross, 2 feed-forward); `mid` after the activation */
  forward(x: Tensor, selfAttend: AttendWith, crossAttend: AttendWith, act: (t: Tensor) => Tensor, drop: (t: Tensor, branch: number) => Tensor, opts?: ForwardOptions, mid?: (t: Tensor) => Tensor): Tensor {
    x = this.selfNorm.forward(add(x, drop(this.self.out.forward(selfAttend(this.self, x), opts), 0)));
    x = this.crossNorm.forward(add(x, drop(this.cross.out.forward(crossAttend(this.cross, x), opts), 1)));
    return this.outNorm.forward(add(x, drop(this.ffn.forward(x, act, opts, mid), 2)));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The model boilerplate

/**
 * What every model built from layers has: its tensors uploaded from host arrays checked against the table the layers
 * declared, `p(name)`, `paramList()`, `exportParams()`, `dispose()`, and the optional LinearAdapter (settable; each
 * module it names must be a Linear of the model). `L` is the model's layer tree.
 */
export abstract class LayerModel<C, L> {
  readonly params: Map<string, Tensor>;
  readonly layers: L;
  protected readonly ps: Params;

  protected constructor(
    readonly gpu: Gpu,
    readonly config: C,
    owner: string,
    build: (ps: Params, c: C) => L,
    params: ParamMap,
  ) {
    this.ps = new Params(owner);
    this.layers = build(this.ps, config);
    this.params = uploadParams(gpu, this.ps.rows, params);
    this.ps.bind(this.params);
  }

  /** the adapter every Linear consults (LoRA); undefined: none */
  get adapter(): LinearAdapter | undefined {
    return this.ps.adapter;
  }
  set adapter(a: LinearAdapter | undefined) {
    if (a) {
      for (const m of a.modules) {
        if (!this.ps.linearModules.has(m)) throw new Error(`${this.ps.owner}: the adapter targets '${m}', which is not a linear module of this model (e.g. ${[...this.ps.linearModules].slice(0, 3).join(', ')})`);
      }
    }
    this.ps.adapter = a;
  }

  /** module names of the model's linear layers (what an adapter may target), in table order */
  linearModules(): string[] {
    return [...this.ps.linearModules];
  }

  p(name: string): Tensor {
    return this.ps.tensor(name);
  }

  /** Parameters in table order (the optimizer's order). */
  paramList(): Tensor[] {
    return [...this.params.values()];
  }

  /** Host copies of all parameters (for checkpoints); f16-stored weights as their f16 values. */
  async exportParams(): Promise<ParamMap> {
    if (!this.ps.f16.size) return exportParamMap(this.params);
    const out: ParamMap = new Map();
    for (const [name, t] of this.params) {
      const h = this.ps.f16.get(name);
      if (!h) out.set(name, { shape: [...t.shape], data: await t.toArray() });
      else {
        const words = new Uint32Array((await this.gpu.readF32(h.buffer, Math.ceil(t.size / 2))).buffer);
        out.set(name, { shape: [...t.shape], data: Float32Array.from({ length: t.size }, (_, i) => f16BitsToNumber((words[i >> 1] >>> (i & 1 ? 16 : 0)) & 0xffff)) });
      }
    }
    return out;
  }

  /**
   * `--base-dtype f16`: every FROZEN Linear weight moves to packed f16 pairs (half the bytes), read by the f16 matmul;
   * its f32 buffer is released (trim the pool to give the memory back). Trainable weights stay f32. Returns the
   * weights converted and the bytes before and after.
   */
  async storeFrozenLinearsF16(): Promise<{ weights: number; f32Bytes: number; f16Bytes: number }> {
    let [n, before, after] = [0, 0, 0];
    for (const [name, layout] of this.ps.linearLayouts) {
      const t = this.params.get(name);
      if (!t || t.requiresGrad || this.ps.f16.has(name)) continue;
      const w = F16Weight.from(this.gpu, await t.toArray(), t.shape, layout, `${name}.f16`);
      this.ps.f16.set(name, w);
      t.dispose();
      [n, before, after] = [n + 1, before + t.bytes, after + w.bytes];
    }
    return { weights: n, f32Bytes: before, f16Bytes: after };
  }

  dispose(): void {
    for (const t of this.params.values()) t.dispose();
    this.params.clear();
    for (const w of this.ps.f16.values()) w.dispose();
    this.ps.f16.clear();
  }
}
