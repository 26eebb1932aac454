// The GPT of the course: token embedding + positions → N pre-LayerNorm blocks (causal MHA, residual;
// C→4C→C GELU MLP, residual) → final LayerNorm → output head (tied or not). Every step is an op from
// src/ops (WGSL kernels + backward closures). Leaves out: mixed precision, gradient checkpointing.
import type { Gpu } from '../gpu/device.js';
import { Tensor, IdBatch, noGrad } from '../autograd/tensor.js';
import { type GPTConfig, validateConfig } from './config.js';
import { paramShapes } from './params.js';
import { makeRng, normal, mixSeed } from './init.js';
import { embedding, positionIds, sinusoidalPositions } from '../ops/embedding.js';
import { add, gelu, dropout } from '../ops/elementwise.js';
import { layerNorm } from '../ops/layernorm.js';
import { linear, linearT } from '../ops/matmul.js';
import { attentionQKV, attentionQKVWithProbs, attentionDecodeQKV, createKVCache, type KVCache } from '../ops/attention.js';

export interface ForwardOptions {
  /** training mode: dropout active (when config.dropout > 0) */
  train?: boolean;
  /** seed for this forward's dropout masks (mix of run seed and step) */
  seed?: number;
}

export class GPT {
  readonly params = new Map<string, Tensor>();

  private constructor(
    readonly gpu: Gpu,
    readonly config: GPTConfig,
  ) {}

  /** Fresh model: GPT-2-style init (weights normal(0, 0.02), biases 0, LayerNorm 1/0), seeded. */
  static init(gpu: Gpu, config: GPTConfig, seed = 123): GPT {
    validateConfig(config);
    const m = new GPT(gpu, config);
    const rand = makeRng(seed);
    for (const [name, shape] of paramShapes(config)) {
      const n = shape.reduce((a, b) => a * b, 1);
      let data: Float32Array;
      if (/ln_\w+\.weight$/.test(name)) data = new Float32Array(n).fill(1);
      else if (name.endsWith('.bias')) data = new Float32Array(n);
      else data = normal(n, 0.02, rand);
      m.params.set(name, Tensor.param(gpu, data, shape, name));
    }
    return m;
  }

  /** Model from named host arrays (a loaded checkpoint); shapes are checked against the config. */
  static fromParams(gpu: Gpu, config: GPTConfig, tensors: Map<string, { shape: number[]; data: Float32Array }>): GPT {
    validateConfig(config);
    const m = new GPT(gpu, config);
    for (const [name, shape] of paramShapes(config)) {
      const t = tensors.get(name);
      if (!t) throw new Error(`checkpoint is missing tensor ${name} ${JSON.stringify(shape)}`);
      if (t.shape.join(',') !== shape.join(',')) throw new Error(`tensor ${name} has shape [${t.shape}], the config needs [${shape}]`);
      m.params.set(name, Tensor.param(gpu, t.data, shape, name));
    }
    return m;
  }

  p(name: string): Tensor {
    const t = this.params.get(name);
    if (!t) throw new Error(`GPT: no parameter ${name}`);
    return t;
  }

  /** Parameters in a fixed order (the optimizer's order). */
  paramList(): Tensor[] {
    return [...this.params.values()];
  }

  /** Host copies of all parameters (for checkpoints). */
  async exportParams(): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, t] of this.params) out.set(name, { shape: [...t.shape], data: await t.toArray() });
    return out;
  }

  private checkIds(ids: IdBatch): [number, number] {
    if (ids.shape.length !== 2) throw new Error(`GPT.forward: ids must be [B, T], got [${ids.shape}]`);
    const [B, T] = ids.shape;
    if (T > this.config.context_length) throw new Error(`sequence of ${T} tokens is longer than the model's context_length ${this.config.context_length}`);
    if (T === 0 || B === 0) throw new Error(`GPT.forward: empty batch [${ids.shape}]`);
    return [B, T];
  }

  /** Token + position embeddings for positions pos0 … pos0+T−1. */
  private embed(ids: IdBatch, T: number, pos0: number, drop: (x: Tensor, site: number) => Tensor): Tensor {
    const c = this.config;
    let x = embedding(ids, this.p('wte.weight'));
    if (c.positions === 'learned') {
      const pid = positionIds(this.gpu, T, pos0);
      x = add(x, embedding(pid, this.p('wpe.weight')));
    } else {
      // the fixed table for exactly these positions: one small dispatch, nothing cached
      x = add(x, sinusoidalPositions(this.gpu, T, c.d_model, pos0));
    }
    return drop(x, 0);
  }

  private block(i: number, x: Tensor, attn: (qkv: Tensor) => Tensor, drop: (x: Tensor, site: number) => Tensor): Tensor {
    const c = this.config;
    const p = `h.${i}.`;
    const bias = (n: string) => this.params.get(p + n);
    let h = layerNorm(x, this.p(p + 'ln_1.weight'), this.p(p + 'ln_1.bias'), c.layernorm_eps);
    const qkv = linear(h, this.p(p + 'attn.c_attn.weight'), bias('attn.c_attn.bias'));
    let a = attn(qkv);
    a = linear(a, this.p(p + 'attn.c_proj.weight'), this.p(p + 'attn.c_proj.bias'));
    x = add(x, drop(a, 2 * i + 1));
    h = layerNorm(x, this.p(p + 'ln_2.weight'), this.p(p + 'ln_2.bias'), c.layernorm_eps);
    h = linear(h, this.p(p + 'mlp.c_fc.weight'), this.p(p + 'mlp.c_fc.bias'));
    h = gelu(h);
    h = linear(h, this.p(p + 'mlp.c_proj.weight'), this.p(p + 'mlp.c_proj.bias'));
    return add(x, drop(h, 2 * i + 2));
  }

  private head(x: Tensor): Tensor {
    const c = this.config;
    const y = layerNorm(x, this.p('ln_f.weight'), this.p('ln_f.bias'), c.layernorm_eps);
    return linearT(y, c.tie_embeddings ? this.p('wte.weight') : this.p('lm_head.weight'));
  }

  /** Block i alone on x [B, T, C] (training mode off): the unit the PyTorch block fixture checks. */
  blockForward(i: number, x: Tensor): Tensor {
    if (!(i >= 0 && i < this.config.n_layers)) throw new Error(`blockForward: block ${i} is not in 0…${this.config.n_layers - 1}`);
    return this.block(i, x, (qkv) => attentionQKV(qkv, this.config.n_heads, { causal: true }), (t) => t);
  }

  /** Logits [B, T, V] for ids [B, T]. */
  forward(ids: IdBatch, opts: ForwardOptions = {}): Tensor {
    const [, T] = this.checkIds(ids);
    const c = this.config;
    const p = opts.train ? c.dropout : 0;
    const seed = opts.seed ?? 0;
    const drop = (x: Tensor, site: number) => (p > 0 ? dropout(x, p, mixSeed(seed, site)) : x);
    let x = this.embed(ids, T, 0, drop);
    for (let i = 0; i < c.n_layers; i++) {
      const attSeed = mixSeed(seed, 1000 + i);
      x = this.block(i, x, (qkv) => attentionQKV(qkv, c.n_heads, { causal: true, dropout: p, seed: attSeed }), drop);
    }
    return this.head(x);
  }

  /**
   * What the course draws: token embeddings, position embeddings and their sum for ids [1, T]
   * (each [T, C], host copies). No graph is recorded.
   */
  async embeddingViews(ids: IdBatch): Promise<{ token: Float32Array; position: Float32Array; sum: Float32Array }> {
    const [, T] = this.checkIds(ids);
    return this.gpu.scope(() =>
      noGrad(async () => {
        const tok = embedding(ids, this.p('wte.weight'));
        const pos =
          this.config.positions === 'learned'
            ? embedding(positionIds(this.gpu, T), this.p('wpe.weight'))
            : sinusoidalPositions(this.gpu, T, this.config.d_model);
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
        let x = this.embed(ids, T, 0, (t) => t);
        let probs: Tensor | null = null;
        for (let i = 0; i <= layer; i++) {
          x = this.block(i, x, (qkv) => {
            if (i < layer) return attentionQKV(qkv, c.n_heads, { causal: true });
            const r = attentionQKVWithProbs(qkv, c.n_heads, { causal: true });
            probs = r.probs;
            return r.out;
          }, (t) => t);
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
   * to the caches and returns logits [B, Tn, V]. No graph is recorded.
   */
  forwardCached(ids: IdBatch, caches: KVCache[], pos: number): Tensor {
    return noGrad(() => {
      const [, Tn] = this.checkIds(ids);
      const c = this.config;
      if (pos + Tn > c.context_length) throw new Error(`position ${pos + Tn} exceeds the model's context_length ${c.context_length}`);
      const drop = (x: Tensor) => x;
      let x = this.embed(ids, Tn, pos, drop);
      for (let i = 0; i < c.n_layers; i++) {
        x = this.block(i, x, (qkv) => attentionDecodeQKV(qkv, caches[i], pos, c.n_heads), drop);
      }
      return this.head(x);
    });
  }

  dispose(): void {
    for (const t of this.params.values()) t.dispose();
    this.params.clear();
  }
}
