// The model layer every architecture implements: the `Model` interface (config, named parameters, forward, the
// loss of its objective), the `Architecture` descriptor (config.json, parameter table, Hugging Face mapping, data
// hook), optional decoding capabilities, and everything derived from a parameter table (init, shape checks,
// checkpoint names, HF tensor mapping). Browser-safe. Leaves out: files (checkpoint.ts), the list of
// architectures (architectures.ts), any architecture's layers.
import type { Gpu } from '../gpu/device.js';
import { Tensor, IdBatch } from '../autograd/tensor.js';
import type { KVCache } from '../ops/attention.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { makeRng, normal } from './init.js';
import { TorchGenerator } from './torch-init.js';

// ---------------------------------------------------------------------------------------------------------------
// Parameter table: each architecture declares its parameters ONCE (name, shape, init). Init, loading, checkpoint
// names and the Hugging Face mapping are all derived from it.

/** How a parameter starts. `custom` gets the element count, the shape and the run's RNG (in table order). */
export type Init =
  | { kind: 'normal'; std: number }
  | { kind: 'uniform'; bound: number }
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'custom'; fn: (n: number, shape: readonly number[], rand: () => number) => Float32Array };

export const init = {
  /** normal(0, std) (Box–Muller over pairs of draws; GPT-2's weights: std 0.02) */
  normal: (std: number): Init => ({ kind: 'normal', std }),
  /** uniform(−bound, bound), one draw per element (PyTorch's RNN/Linear default: bound 1/sqrt(fan)) */
  uniform: (bound: number): Init => ({ kind: 'uniform', bound }),
  zeros: (): Init => ({ kind: 'zeros' }),
  ones: (): Init => ({ kind: 'ones' }),
  custom: (fn: (n: number, shape: readonly number[], rand: () => number) => Float32Array): Init => ({ kind: 'custom', fn }),
};

export interface ParamSpec {
  /** checkpoint name (= the Hugging Face name after the mapping's prefix is stripped) */
  name: string;
  shape: number[];
  init: Init;
  /** embedding padding_idx: this row is zero after init (the op keeps its gradient at zero) */
  paddingRow?: number;
  /** a buffer, not a parameter (Hugging Face's register_buffer, e.g. Marian's final_logits_bias): loaded and saved
   * with the others, never trained (no gradient, not in the optimizer's list) */
  frozen?: boolean;
}

/**
 * Named host arrays: what checkpoints store and models are built from. `frozen` (set by fine-tuning's --freeze /
 * --train-only / LoRA, src/train/freeze.ts): uploadParams gives that tensor no gradient buffer, so the optimizer
 * never sees it (no moments either).
 */
export type ParamMap = Map<string, { shape: number[]; data: Float32Array; frozen?: boolean }>;

const numelOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/** name → shape, in table order. */
export function tableShapes(table: readonly ParamSpec[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const p of table) {
    if (m.has(p.name)) throw new Error(`parameter table: '${p.name}' is declared twice`);
    m.set(p.name, [...p.shape]);
  }
  return m;
}

export function tableCount(table: readonly ParamSpec[]): number {
  let n = 0;
  for (const p of table) n += numelOf(p.shape);
  return n;
}

/** Fresh values for every parameter of the table, drawn in table order from one seeded RNG. rng 'torch': the
 * draws of torch.manual_seed(seed) + normal_/uniform_ (src/model/torch-init.ts), so a table declared in
 * PyTorch's construction order and layouts (e.g. nn.LSTM's) starts exactly as the PyTorch module does. */
export function initParams(table: readonly ParamSpec[], seed: number, rng: 'wgpt' | 'torch' = 'wgpt'): ParamMap {
  const torch = rng === 'torch' ? new TorchGenerator(seed) : null;
  const rand = torch ? () => torch.random() / 4294967296 : makeRng(seed);
  const out: ParamMap = new Map();
  for (const p of table) {
    const n = numelOf(p.shape);
    let data: Float32Array;
    const i = p.init;
    switch (i.kind) {
      case 'normal':
        data = torch ? torch.normal_(new Float32Array(n), 0, i.std) : normal(n, i.std, rand);
        break;
      case 'uniform':
        data = new Float32Array(n);
        if (torch) torch.uniform_(data, -i.bound, i.bound);
        else for (let k = 0; k < n; k++) data[k] = (rand() * 2 - 1) * i.bound;
        break;
      case 'zeros':
        data = new Float32Array(n);
        break;
      case 'ones':
        data = new Float32Array(n).fill(1);
        break;
      case 'custom':
        data = i.fn(n, p.shape, rand);
        if (!(data instanceof Float32Array) || data.length !== n) throw new Error(`init of '${p.name}' returned ${data?.length} values, the shape ${fmt(p.shape)} needs ${n}`);
        break;
    }
    if (p.paddingRow !== undefined) {
      const row = n / p.shape[0];
      if (!(Number.isInteger(p.paddingRow) && p.paddingRow >= 0 && p.paddingRow < p.shape[0])) throw new Error(`parameter '${p.name}': padding row ${p.paddingRow} is not in 0…${p.shape[0] - 1}`);
      data.fill(0, p.paddingRow * row, (p.paddingRow + 1) * row);
    }
    out.set(p.name, { shape: [...p.shape], data });
  }
  return out;
}

/** Checks host arrays against the table (names, shapes, lengths); one line naming the tensor. */
export function checkParamMap(table: readonly ParamSpec[], params: ParamMap, who: string): void {
  const expected = tableShapes(table);
  for (const [name, shape] of expected) {
    const p = params.get(name);
    if (!p) throw new Error(`${who}: missing parameter '${name}' (expected shape ${fmt(shape)})`);
    if (p.shape.length !== shape.length || p.shape.some((d, i) => d !== shape[i])) throw new Error(`${who}: parameter '${name}' has shape ${fmt(p.shape)}, expected ${fmt(shape)}`);
    const n = numelOf(shape);
    if (!(p.data instanceof Float32Array) || p.data.length !== n) throw new Error(`${who}: parameter '${name}' needs a Float32Array of ${n} values, got ${p.data?.length}`);
  }
  for (const name of params.keys()) if (!expected.has(name)) throw new Error(`${who}: unexpected parameter '${name}' for this config`);
}

/**
 * GPU parameters (persistent, with grads) from host arrays checked against the table (all before any upload), in
 * table order. A tensor the table declares frozen, that `freeze(name)` names, or whose ParamMap entry says
 * `frozen` gets no gradient buffer (requiresGrad false): ops compute no weight gradient for it.
 */
export function uploadParams(gpu: Gpu, table: readonly ParamSpec[], params: ParamMap, freeze?: (name: string) => boolean): Map<string, Tensor> {
  for (const p of table) {
    const t = params.get(p.name);
    if (!t) throw new Error(`checkpoint is missing tensor ${p.name} ${JSON.stringify(p.shape)}`);
    if (t.shape.join(',') !== p.shape.join(',')) throw new Error(`tensor ${p.name} has shape [${t.shape}], the config needs [${p.shape}]`);
    if (t.data.length !== numelOf(p.shape)) throw new Error(`tensor ${p.name} has ${t.data.length} values, its shape [${p.shape}] needs ${numelOf(p.shape)}`);
  }
  const out = new Map<string, Tensor>();
  for (const p of table) {
    const { data, frozen } = params.get(p.name)!;
    out.set(p.name, p.frozen || frozen || freeze?.(p.name) ? Tensor.from(gpu, data, [...p.shape], { isParam: true, name: p.name }) : Tensor.param(gpu, data, [...p.shape], p.name));
  }
  return out;
}

/** The tensors the optimizer updates: the table's non-frozen parameters that have gradients, in table order. */
export function trainableParams(table: readonly ParamSpec[], params: Map<string, Tensor>, freeze?: (name: string) => boolean): Tensor[] {
  return table.filter((p) => !p.frozen && !freeze?.(p.name)).map((p) => params.get(p.name)!).filter((t) => t.requiresGrad);
}

/** A parameter by table name; a missing one is a bug in the architecture's forward, named with its owner. */
export function paramOf(params: Map<string, Tensor>, owner: string, name: string): Tensor {
  const t = params.get(name);
  if (!t) throw new Error(`${owner}: no parameter ${name}`);
  return t;
}

/** Host copies of every parameter and buffer, in table order (what checkpoints save). */
export async function exportParamMap(params: Map<string, Tensor>): Promise<ParamMap> {
  const out: ParamMap = new Map();
  for (const [name, t] of params) out.set(name, { shape: [...t.shape], data: await t.toArray() });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Hugging Face mapping: how a model file's tensor names become table names.

export interface HFMapping<C> {
  /** prefixes removed from a tensor name before anything else (first match wins): 'transformer.', 'bert.' */
  prefixes: string[];
  /** legacy spellings rewritten after the prefix (e.g. LayerNorm gamma/beta → weight/bias): [pattern, replacement] */
  aliases?: [RegExp, string][];
  /** tensors a file may carry that are not parameters here: returns why (named in one line), or null to keep it */
  skip?(name: string, config: C): string | null;
  /** extra words for a tensor the config does not expect (the config flag that would have made it expected) */
  unexpectedHint?(name: string, config: C): string;
  /** what a 2-D tensor found transposed means for this architecture (e.g. GPT-2's Conv1D [in, out] layout) */
  transposedHint?: string;
}

export interface HFTensor {
  dtype: string;
  shape: number[];
  data: Float32Array;
}

export interface SkippedTensor {
  /** the name in the file */
  name: string;
  reason: string;
}

/**
 * Maps the tensors of a model file onto the table: strips the prefix, rewrites legacy aliases, drops what the
 * mapping skips, then requires exactly the table's names and shapes. Errors are one line naming the tensor.
 */
export function paramsFromHF<C>(
  tensors: Map<string, HFTensor>,
  table: readonly ParamSpec[],
  hf: HFMapping<C>,
  config: C,
  where: string,
): { params: ParamMap; skipped: SkippedTensor[] } {
  const expected = tableShapes(table);
  const found = new Map<string, HFTensor & { raw: string }>();
  const skipped: SkippedTensor[] = [];
  for (const [raw, t] of tensors) {
    let name = raw;
    for (const p of hf.prefixes) {
      if (name.startsWith(p)) {
        name = name.slice(p.length);
        break;
      }
    }
    for (const [re, to] of hf.aliases ?? []) name = name.replace(re, to);
    const why = hf.skip?.(name, config) ?? null;
    if (why !== null) {
      skipped.push({ name: raw, reason: why });
      continue;
    }
    const prev = found.get(name);
    if (prev) throw new Error(`${where}: tensor '${name}' appears twice ('${prev.raw}' and '${raw}')`);
    found.set(name, { ...t, raw });
  }
  const params: ParamMap = new Map();
  for (const [name, shape] of expected) {
    const t = found.get(name);
    if (!t) throw new Error(`${where}: missing tensor '${name}' (expected shape ${fmt(shape)} from the config)`);
    if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16') throw new Error(`${where}: tensor '${t.raw}' has dtype ${t.dtype}; parameters must be F32, F16 or BF16`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      const transposed = shape.length === 2 && t.shape.length === 2 && t.shape[0] === shape[1] && t.shape[1] === shape[0];
      const hint = transposed && hf.transposedHint ? ` (transposed: ${hf.transposedHint})` : '';
      throw new Error(`${where}: tensor '${t.raw}' has shape ${fmt(t.shape)}, expected ${fmt(shape)} from the config${hint}`);
    }
    params.set(name, { shape: [...shape], data: t.data });
    found.delete(name);
  }
  for (const [name, t] of found) {
    const hint = hf.unexpectedHint?.(name, config) ?? '';
    throw new Error(`${where}: unexpected tensor '${t.raw}' with shape ${fmt(t.shape)}${hint ? ` (${hint})` : ''}`);
  }
  return { params, skipped };
}

/** One line naming the skipped tensors of a load, grouped by reason ('' when none were skipped). */
export function skippedLine(skipped: readonly SkippedTensor[], max = 6): string {
  if (!skipped.length) return '';
  const by = new Map<string, string[]>();
  for (const s of skipped) by.set(s.reason, [...(by.get(s.reason) ?? []), s.name]);
  const parts = [...by].map(([reason, names]) => `${reason}: ${names.slice(0, max).join(', ')}${names.length > max ? ` and ${names.length - max} more` : ''}`);
  return `skipped ${skipped.length} tensor${skipped.length === 1 ? '' : 's'} of the model file (${parts.join('; ')})`;
}

// ---------------------------------------------------------------------------------------------------------------
// Models and architectures.

export interface ForwardOptions {
  /** training mode: dropout active (when the config has dropout > 0) */
  train?: boolean;
  /** seed for this forward's dropout masks (mix of run seed and step) */
  seed?: number;
  /** loss(): label smoothing ε of the cross-entropy (architectures with `labelSmoothing: true` only; training only) */
  labelSmoothing?: number;
}

/**
 * A model of some architecture. `B` is its training batch (host arrays), `I` its forward input.
 * The optimizer, checkpoints and the training runner see only this.
 */
export interface Model<C = unknown, B = unknown, I = unknown> {
  readonly arch: Architecture<C, B>;
  readonly gpu: Gpu;
  readonly config: C;
  /** parameters by checkpoint name, in the table's order (the optimizer's order) */
  readonly params: Map<string, Tensor>;
  /** parameters in table order */
  paramList(): Tensor[];
  /** the architecture's main output for `input` (logits for a language model) */
  forward(input: I, opts?: ForwardOptions): Tensor;
  /** the objective's mean loss [1] on a training batch (graph recorded unless under noGrad) */
  loss(batch: B, opts?: ForwardOptions): Tensor;
  /**
   * Optional held-out metrics beyond the mean loss (no dropout, no graph): the loss summed over the batch's
   * predictions, their count and how many were right (BERT: masked-LM accuracy at the chosen positions).
   */
  evaluateBatch?(batch: B): Promise<{ lossSum: number; correct: number; n: number }>;
  /** host copies of every parameter, by checkpoint name in table order */
  exportParams(): Promise<ParamMap>;
  dispose(): void;
}

/** What `wgpt train` passes to an architecture's data hook: the data file, readable as ids or as text. */
export interface DataSource {
  path: string;
  tokenizer: Tokenizer;
  /** the file as token ids (.txt through the tokenizer, .bin as stored) */
  ids(): Int32Array | Uint16Array | Uint32Array;
  /** the file as text (strict UTF-8) */
  text(): string;
}

export interface DataOptions {
  batch: number;
  /** sequence length (GPT: the window; default: the model's context) */
  context?: number;
  stride?: number;
  shuffle: boolean;
  /** the run seed: shuffles (and, e.g., MLM masks) are drawn from (seed, epoch) */
  seed: number;
  valFraction: number;
}

/** Batches of one split. batch(i, epoch) is deterministic: resume replays it exactly. */
export interface BatchSource<B> {
  readonly numBatches: number;
  batch(i: number, epoch: number): B;
  /** tokens the batch counts for throughput (tokens/s) */
  tokens(b: B): number;
}

export interface TrainingData<B> {
  train: BatchSource<B>;
  /** null when the validation split is too small for one batch (see `notes`) */
  val: BatchSource<B> | null;
  /** sizes of the splits and the batches, one line without a prefix (the runner says `wgpt: <summary>; N steps`) */
  summary: string;
  /** whole lines to say before training, `wgpt: …` (e.g. why there is no validation loss) */
  notes: string[];
}

/**
 * How an architecture reads and batches its training data: GPT = sliding windows over token ids; a seq2seq model
 * = TSV pairs padded per batch; BERT = lines with MLM masks re-drawn per epoch from the run seed.
 */
export interface DataHook<C, B> {
  prepare(src: DataSource, config: C, o: DataOptions): TrainingData<B>;
}

/**
 * A setting of a fresh model that only some architectures have (`wgpt train --arch rnn-seq2seq --cell lstm`): the
 * architecture declares it once; the CLI's flags, their help, and the checks of FreshOptions.archOptions come from it.
 */
export interface ArchOption {
  /** the flag without its dashes (`hidden-size`): the key in FreshOptions.archOptions */
  name: string;
  /** 'choice': one of `choices`; 'int': an integer ≥ `min` (default 1) */
  kind: 'choice' | 'int';
  choices?: readonly string[];
  min?: number;
  /** --help: [value name, one-line description, default] */
  help: [arg: string, description: string, def?: string];
}

/** Values of an architecture's options by name (JSON-safe: they are saved with the run's options). */
export type ArchOptionValues = Record<string, string | number>;

/** Fresh-model settings `wgpt train` gives an architecture. */
export interface FreshOptions {
  /** one of the architecture's presets (its default when undefined) */
  preset?: string;
  /** the tokenizer's vocabulary size */
  vocabSize: number;
  /** the tokenizer's special tokens (string → id), for architectures that reuse its </s>, <pad>, … */
  specialTokens?: Record<string, number>;
  context?: number;
  dropout?: number;
  /** the architecture's own settings (its `options`), applied over the preset; checked with checkArchOptions */
  archOptions?: ArchOptionValues;
}

/** An architecture; `M` is its concrete model class, so `create`/`initModel` give it without a cast. */
export interface Architecture<C = any, B = any, M extends Model<C, B> = Model<C, B>> {
  /** config.json's model_type */
  readonly modelType: string;
  /** what `wgpt train --arch` calls it */
  readonly name: string;
  /**
   * config.json `architectures` classes this entry builds (the first is what it writes): architectures sharing a
   * model_type are told apart by it (BertForMaskedLM vs BertForSequenceClassification); absent = any
   */
  readonly hfArchitectures?: readonly string[];
  /** PEFT's default LoRA target modules for this model_type (its TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING); absent: --lora-targets must be given */
  readonly loraTargets?: readonly string[];
  /** one line for listings */
  readonly summary: string;
  readonly presets: Record<string, C>;
  readonly defaultPreset: string;
  /** checks a config; throws one line naming the bad field */
  validateConfig(c: C): C;
  /** config.json object (HF keys) → config; one-line errors prefixed with `where` */
  configFromHF(j: Record<string, unknown>, where: string): C;
  /** config → config.json object, model_type included */
  configToHF(c: C): Record<string, unknown>;
  /** the parameter table (the one list of names, shapes and inits) */
  paramTable(c: C): ParamSpec[];
  readonly hf: HFMapping<C>;
  /**
   * fresh parameters, when the table's init cannot say them (GPT's rng 'torch' follows the course's module
   * construction order, not the table's); default: initParams(paramTable(c), seed, rng)
   */
  initParams?(c: C, seed: number, rng: 'wgpt' | 'torch'): ParamMap;
  /** model from host arrays (a checkpoint or initParams); shapes are checked against the table */
  create(gpu: Gpu, config: C, params: ParamMap): M;
  /** its loss() honours ForwardOptions.labelSmoothing (`wgpt train --label-smoothing`) */
  readonly labelSmoothing?: boolean;
  /** settings of a fresh model beyond preset, context and dropout (flags of `wgpt train`), if it has any */
  readonly options?: readonly ArchOption[];
  /** config for a fresh model (o.archOptions: only names of `options`, with checked values; see checkArchOptions) */
  freshConfig(o: FreshOptions): C;
  /** the config with training-time settings changed (`--dropout` on a loaded checkpoint) */
  withOptions(c: C, o: { dropout?: number }): C;
  /** ids the token embedding covers (the tokenizer must fit) */
  vocabSize(c: C): number;
  /** one line: layers, widths, heads, context */
  describe(c: C): string;
  readonly data: DataHook<C, B>;
}

/**
 * Checks architecture options against `arch.options`: a name it does not declare is one line saying which
 * architectures take it (`--cell is only for --arch rnn-seq2seq`), a bad value one line naming the flag.
 * `all`: the registered architectures (to name the ones that take it). Returns the values, ints as numbers.
 */
export function checkArchOptions(arch: Architecture, values: Record<string, unknown>, all: readonly Architecture[] = []): ArchOptionValues {
  const out: ArchOptionValues = {};
  for (const [name, raw] of Object.entries(values)) {
    if (raw === undefined) continue;
    const o = arch.options?.find((x) => x.name === name);
    if (!o) {
      const owners = all.filter((a) => a.options?.some((x) => x.name === name)).map((a) => `--arch ${a.name}`);
      const own = arch.options?.length ? `its options: ${arch.options.map((x) => `--${x.name}`).join(', ')}` : 'it has none';
      throw new Error(owners.length ? `--${name} is only for ${owners.join(' or ')}` : `--${name} is not an option of --arch ${arch.name} (${own})`);
    }
    if (o.kind === 'choice') {
      const v = String(raw);
      if (!o.choices!.includes(v)) throw new Error(`--${name} must be ${o.choices!.slice(0, -1).join(', ')}${o.choices!.length > 1 ? ' or ' : ''}${o.choices![o.choices!.length - 1]}, got '${v}'`);
      out[name] = v;
    } else {
      const v = typeof raw === 'number' ? raw : Number(String(raw).trim() === '' ? NaN : raw);
      const min = o.min ?? 1;
      if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer ≥ ${min}, got '${raw}'`);
      out[name] = v;
    }
  }
  return out;
}

/** A fresh model: the table's init from one seeded RNG ('torch': torch.manual_seed(seed)'s draws). */
export function initModel<C, B, M extends Model<C, B>>(arch: Architecture<C, B, M>, gpu: Gpu, config: C, seed: number, rng: 'wgpt' | 'torch' = 'wgpt'): M {
  arch.validateConfig(config);
  return arch.create(gpu, config, arch.initParams ? arch.initParams(config, seed, rng) : initParams(arch.paramTable(config), seed, rng));
}

export function countModelParams<C>(arch: Architecture<C>, config: C): number {
  return tableCount(arch.paramTable(config));
}

// ---------------------------------------------------------------------------------------------------------------
// Optional decoding capabilities (a model implements the ones it has; nothing is faked).

/** Next-token generation with a KV cache (GPT). */
export interface CausalLM {
  readonly capabilities: { readonly causalLM: true };
  readonly gpu: Gpu;
  /** longest sequence the model accepts */
  readonly contextLength: number;
  readonly vocabSize: number;
  /** logits [B, T, V] for ids [B, T], no cache */
  logits(ids: IdBatch): Tensor;
  /** one KV cache per layer, persistent until disposed */
  createCaches(B: number, maxT?: number): KVCache[];
  /** logits [B, Tn, V] for ids [B, Tn] at positions pos…pos+Tn−1, appending to the caches; no graph */
  forwardCached(ids: IdBatch, caches: KVCache[], pos: number): Tensor;
}

/** What an encoder–decoder keeps between decoding steps (encoder output, caches, RNN state). */
export interface DecoderState {
  dispose(): void;
}

/** Source → target generation (RNN/LSTM seq2seq, Marian). */
export interface EncoderDecoderLM {
  readonly capabilities: { readonly encoderDecoder: true };
  readonly gpu: Gpu;
  readonly sourceVocabSize: number;
  readonly targetVocabSize: number;
  /** id the decoder starts from, id that ends a translation */
  readonly decoderStartId: number;
  readonly eosId: number;
  /** longest target the decoder accepts */
  readonly maxTargetLength: number;
  /** pads sources and finished rows */
  readonly padId: number;
  /** ids generation never picks (Marian: pad, as its generate bans it) */
  readonly bannedIds?: readonly number[];
  /** Hugging Face's rule (EOS forced at max_length − 1) rather than the course's loop, which just stops at the cap */
  readonly forcedEosAtMax?: boolean;
  /** beam search's rules (seq2seq-generate.ts): 'hf' (absent: Hugging Face's, Marian) or 'course' (the RNN models') */
  readonly beamRule?: 'hf' | 'course';
  /** sources end with the EOS id (Marian: its tokenizer and its training data append it; text from another tokenizer gets it appended) */
  readonly sourceEndsWithEos?: boolean;
  /** longest source the encoder accepts (absent: no limit) */
  readonly maxSourceLength?: number;
  /**
   * runs the encoder once on source ids [B, S] (each row's length in `lengths`, the rest padding); with
   * `attention`, every decodeStep keeps its cross-attention for lastAttention
   */
  encode(src: IdBatch, lengths: number[], o?: { attention?: boolean }): DecoderState;
  /** logits [B, Tn, V] for target ids [B, Tn] at positions pos…, advancing `state`; no graph */
  decodeStep(state: DecoderState, ids: IdBatch, pos: number): Tensor;
  /** beam search: row r of the state continues old row from[r] (also expands B sources to B·k rows); absent: greedy only */
  reorder?(state: DecoderState, from: readonly number[]): void;
  /** logits [B, T, V] over whole prefixes [B, T] recomputed without the self-attention cache (the state's encoder output reused) */
  decodeNoCache?(state: DecoderState, ids: IdBatch): Tensor;
  /** the cross-attention of the last decode call, [B, heads, Tn, S] (`which`: the layer it comes from, for labels) */
  lastAttention?(state: DecoderState): { probs: Tensor; heads: number; which: string } | null;
}

/** Extra per-token inputs of an encoder (`wgpt logits --attention-mask/--token-type-ids`), B·T host arrays. */
export interface RowInputs {
  /** 0/1, 1 = token (default all 1) */
  attentionMask?: ArrayLike<number>;
  /** segment ids (default all 0) */
  tokenTypeIds?: ArrayLike<number>;
}

/**
 * Logits of whole id rows [B, T] → [B, T, V], no cache, no graph recorded by the caller (`wgpt logits`): decoder-only
 * and encoder models. `rowInputs` names the extra inputs it takes (an encoder's mask, segment ids); a caller that
 * has one the model does not take says so instead of dropping it.
 */
export interface RowLogits {
  readonly capabilities: { readonly rowLogits: true };
  readonly gpu: Gpu;
  readonly vocabSize: number;
  readonly rowInputs: readonly (keyof RowInputs)[];
  /** what the logits are (one phrase for the CLI's line: 'next-token scores', 'masked-LM scores') */
  readonly rowLogitsKind: string;
  rowLogits(ids: IdBatch, extra?: RowInputs): Tensor;
}

export function isRowLogits(m: unknown): m is RowLogits {
  return !!(m as RowLogits)?.capabilities?.rowLogits;
}

export function isCausalLM(m: unknown): m is CausalLM {
  return !!(m as CausalLM)?.capabilities?.causalLM;
}

export function isEncoderDecoderLM(m: unknown): m is EncoderDecoderLM {
  return !!(m as EncoderDecoderLM)?.capabilities?.encoderDecoder;
}

// ---------------------------------------------------------------------------------------------------------------
// Seams settled before the layers, hub and fine-tuning work (issues #24, #27, #28): implementations come later.

/**
 * Something that adds to a linear layer's output by module name (LoRA, src/model/lora.ts): the layers' `linear`
 * helper (src/model/layers.ts) calls `delta(module, x)` with its input x [..., in] and adds the result [..., out]
 * to the base output; null = nothing for this module. `module` is the Hugging Face module name without the
 * architecture's prefix and without `.weight` (`h.0.attn.c_attn`, `bert.encoder.layer.0.attention.self.query`
 * keeps whatever the parameter table calls it minus `.weight`). A layer with an adapter on it does not use the
 * fused LayerNorm/activation/residual matmuls for that module (the delta needs the plain input).
 */
export interface LinearAdapter {
  delta(module: string, x: Tensor, opts?: ForwardOptions): Tensor | null;
  /** the modules it adapts, for checks (every name must exist in the model) */
  readonly modules: ReadonlySet<string>;
}

/** Sequence classification (BertForSequenceClassification, GPT2ForSequenceClassification, …). */
export interface SequenceClassifier {
  readonly capabilities: { readonly sequenceClassifier: true };
  /** config.json's num_labels */
  readonly numLabels: number;
  /** config.json's id2label (index → name), `LABEL_i` when the config has none */
  readonly labels: readonly string[];
  /** logits [B, numLabels] for ids [B, T] with a 0/1 attention mask of B·T entries (1 = token) */
  classify(ids: IdBatch, attentionMask: ArrayLike<number>, opts?: ForwardOptions): Tensor;
}

/** Hidden states for sentence embeddings (`wgpt embed`): an encoder's last layer [B, T, H]. */
export interface HiddenStates {
  readonly capabilities: { readonly hiddenStates: true };
  readonly hiddenSize: number;
  hidden(ids: IdBatch, attentionMask: ArrayLike<number>, opts?: ForwardOptions): Tensor;
}

export function isSequenceClassifier(m: unknown): m is SequenceClassifier {
  return !!(m as SequenceClassifier)?.capabilities?.sequenceClassifier;
}

export function isHiddenStates(m: unknown): m is HiddenStates {
  return !!(m as HiddenStates)?.capabilities?.hiddenStates;
}
