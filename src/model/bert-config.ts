// BERT (model_type "bert") configuration in Hugging Face's own keys, its presets, its parameter table, and the
// mapping between that table and Hugging Face checkpoint names (browser-safe, host only). Leaves out:
// relative/rotary position embeddings, decoder (is_decoder / cross-attention) configs, untied MLM decoders.

/** The keys of bert-base-cased's config.json that change the computation, with their meaning. */
export interface BertConfig {
  /** rows of the word embedding and of the (tied) MLM decoder (bert-base-cased: 28996) */
  vocab_size: number;
  /** width H of every hidden state (must be divisible by num_attention_heads) */
  hidden_size: number;
  /** encoder layers */
  num_hidden_layers: number;
  /** attention heads per layer; head size is hidden_size / num_attention_heads */
  num_attention_heads: number;
  /** width of the feed-forward layer inside each encoder layer (BERT: 4·H) */
  intermediate_size: number;
  /** activation of the feed-forward layer and of the MLM head: "gelu" (erf), "gelu_new" (tanh), "relu", "silu" */
  hidden_act: BertAct;
  /** dropout on embeddings and on both residual branches during training */
  hidden_dropout_prob: number;
  /** dropout on the attention probabilities during training */
  attention_probs_dropout_prob: number;
  /** longest sequence (rows of the learned position table) */
  max_position_embeddings: number;
  /** segment ids accepted (BERT: 2, sentence A and B) */
  type_vocab_size: number;
  /** LayerNorm epsilon (BERT: 1e-12) */
  layer_norm_eps: number;
  /** id of [PAD] (its word-embedding row gets no gradient from lookups, like nn.Embedding(padding_idx)) */
  pad_token_id: number;
  /** std of the normal init of weights */
  initializer_range: number;
}

export type BertAct = 'gelu' | 'gelu_new' | 'relu' | 'silu';
export const BERT_ACTS: readonly BertAct[] = ['gelu', 'gelu_new', 'relu', 'silu'];

/** bert-base-cased's values (vocabulary size aside, which comes from the tokenizer when training). */
export const BERT_BASE: BertConfig = {
  vocab_size: 28996,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  pad_token_id: 0,
  initializer_range: 0.02,
};

export const BERT_PRESETS: Record<string, Omit<BertConfig, 'vocab_size'>> = {
  /** 2 layers of 64: seconds per step on the CPU adapter (tests, the quickest demo) */
  tiny: { ...BERT_BASE, hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 256, max_position_embeddings: 64, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 },
  /** 4 layers of 128 (bert-tiny-ish width, twice the depth): the MLM demo on the Korean corpus */
  small: { ...BERT_BASE, hidden_size: 128, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 512, max_position_embeddings: 128, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 },
  /** bert-base-cased's shape */
  base: { ...BERT_BASE },
};

const line = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0];

/** Checks a config; throws one line naming the bad field. */
export function validateBertConfig(c: BertConfig, where = 'config'): BertConfig {
  const bad = (m: string): never => {
    throw new Error(`${where}: ${m}`);
  };
  for (const k of ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'max_position_embeddings', 'type_vocab_size'] as const) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) bad(`${k} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  if (c.hidden_size % c.num_attention_heads !== 0) bad(`hidden_size ${c.hidden_size} is not divisible by num_attention_heads ${c.num_attention_heads}`);
  if (!BERT_ACTS.includes(c.hidden_act)) bad(`hidden_act ${JSON.stringify(c.hidden_act)} is not supported (wgpt reads ${BERT_ACTS.map((a) => `"${a}"`).join(', ')})`);
  for (const k of ['hidden_dropout_prob', 'attention_probs_dropout_prob'] as const) {
    if (typeof c[k] !== 'number' || !(c[k] >= 0 && c[k] < 1)) bad(`${k} must be in [0, 1), got ${JSON.stringify(c[k])}`);
  }
  if (typeof c.layer_norm_eps !== 'number' || !(c.layer_norm_eps > 0)) bad(`layer_norm_eps must be > 0, got ${JSON.stringify(c.layer_norm_eps)}`);
  if (!Number.isInteger(c.pad_token_id) || c.pad_token_id < 0 || c.pad_token_id >= c.vocab_size) bad(`pad_token_id ${c.pad_token_id} is not an id of the vocabulary (0…${c.vocab_size - 1})`);
  if (typeof c.initializer_range !== 'number' || !(c.initializer_range > 0)) bad(`initializer_range must be > 0, got ${JSON.stringify(c.initializer_range)}`);
  return c;
}

/** config.json object (Hugging Face BertConfig keys) → BertConfig; HF's defaults for absent keys. */
export function bertConfigFromHF(j: unknown, where = 'config.json'): BertConfig {
  const bad = (m: string): never => {
    throw new Error(`${where}: ${m}`);
  };
  if (typeof j !== 'object' || j === null || Array.isArray(j)) bad('must be a JSON object');
  const o = j as Record<string, unknown>;
  if (o.model_type !== 'bert') bad(`model_type is ${JSON.stringify(o.model_type)}, not "bert"`);
  for (const k of ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads']) if (o[k] === undefined) bad(`missing "${k}"`);
  const pe = o.position_embedding_type ?? 'absolute';
  if (pe !== 'absolute') bad(`position_embedding_type ${JSON.stringify(pe)} is not supported (wgpt reads "absolute")`);
  if (o.is_decoder === true || o.add_cross_attention === true) bad('decoder BERT configs (is_decoder / add_cross_attention) are not supported');
  const H = o.hidden_size as number;
  const c: BertConfig = {
    vocab_size: o.vocab_size as number,
    hidden_size: H,
    num_hidden_layers: o.num_hidden_layers as number,
    num_attention_heads: o.num_attention_heads as number,
    intermediate_size: (o.intermediate_size ?? 3072) as number,
    hidden_act: (o.hidden_act ?? 'gelu') as BertAct,
    hidden_dropout_prob: (o.hidden_dropout_prob ?? 0.1) as number,
    attention_probs_dropout_prob: (o.attention_probs_dropout_prob ?? 0.1) as number,
    max_position_embeddings: (o.max_position_embeddings ?? 512) as number,
    type_vocab_size: (o.type_vocab_size ?? 2) as number,
    layer_norm_eps: (o.layer_norm_eps ?? 1e-12) as number,
    pad_token_id: (o.pad_token_id ?? 0) as number,
    initializer_range: (o.initializer_range ?? 0.02) as number,
  };
  try {
    return validateBertConfig(c, where);
  } catch (e) {
    throw new Error(line(e));
  }
}

/** BertConfig → config.json object with bert-base-cased's keys (what transformers' BertForMaskedLM reads back). */
export function bertConfigToHF(c: BertConfig): Record<string, unknown> {
  validateBertConfig(c);
  return {
    architectures: ['BertForMaskedLM'],
    attention_probs_dropout_prob: c.attention_probs_dropout_prob,
    hidden_act: c.hidden_act,
    hidden_dropout_prob: c.hidden_dropout_prob,
    hidden_size: c.hidden_size,
    initializer_range: c.initializer_range,
    intermediate_size: c.intermediate_size,
    layer_norm_eps: c.layer_norm_eps,
    max_position_embeddings: c.max_position_embeddings,
    model_type: 'bert',
    num_attention_heads: c.num_attention_heads,
    num_hidden_layers: c.num_hidden_layers,
    pad_token_id: c.pad_token_id,
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
    type_vocab_size: c.type_vocab_size,
    vocab_size: c.vocab_size,
  };
}

// ---- the parameter table ----

/** How a parameter starts: normal(0, initializer_range) (padding row zeroed for the word embedding), ones, zeros. */
export type BertInit = 'normal' | 'normal_pad0' | 'ones' | 'zeros';

export interface BertParamSpec {
  /** wgpt's name = the Hugging Face name with the `bert.` prefix and today's LayerNorm.weight/bias */
  name: string;
  /** shape in wgpt (Linear weights [in, out], like every wgpt linear) */
  shape: number[];
  init: BertInit;
  /** stored transposed in Hugging Face files (torch Linear weights are [out, in]) */
  hfTransposed: boolean;
}

/** Every parameter of BertForMaskedLM (pooler and NSP head excluded), in the optimizer's fixed order. */
export function bertParamTable(c: BertConfig): BertParamSpec[] {
  const H = c.hidden_size;
  const t: BertParamSpec[] = [];
  const p = (name: string, shape: number[], init: BertInit, hfTransposed = false) => t.push({ name, shape, init, hfTransposed });
  const lin = (n: string, i: number, o: number) => {
    p(n + '.weight', [i, o], 'normal', true);
    p(n + '.bias', [o], 'zeros');
  };
  const ln = (n: string) => {
    p(n + '.weight', [H], 'ones');
    p(n + '.bias', [H], 'zeros');
  };
  p('bert.embeddings.word_embeddings.weight', [c.vocab_size, H], 'normal_pad0');
  p('bert.embeddings.position_embeddings.weight', [c.max_position_embeddings, H], 'normal');
  p('bert.embeddings.token_type_embeddings.weight', [c.type_vocab_size, H], 'normal');
  ln('bert.embeddings.LayerNorm');
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const q = `bert.encoder.layer.${l}.`;
    lin(q + 'attention.self.query', H, H);
    lin(q + 'attention.self.key', H, H);
    lin(q + 'attention.self.value', H, H);
    lin(q + 'attention.output.dense', H, H);
    ln(q + 'attention.output.LayerNorm');
    lin(q + 'intermediate.dense', H, c.intermediate_size);
    lin(q + 'output.dense', c.intermediate_size, H);
    ln(q + 'output.LayerNorm');
  }
  lin('cls.predictions.transform.dense', H, H);
  ln('cls.predictions.transform.LayerNorm');
  p('cls.predictions.bias', [c.vocab_size], 'zeros');
  return t;
}

export function countBertParams(c: BertConfig): number {
  return bertParamTable(c).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
}

// ---- Hugging Face names <-> the table ----

export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/** Tensors of a checkpoint that BertForMaskedLM does not use, and why (named in one line when loading). */
const UNUSED: [RegExp, string][] = [
  [/^bert\.pooler\./, 'pooler'],
  [/^cls\.seq_relationship\./, 'next-sentence head'],
  [/^bert\.embeddings\.position_ids$/, 'position_ids buffer'],
  [/^bert\.embeddings\.token_type_ids$/, 'token_type_ids buffer'],
  [/^cls\.predictions\.decoder\.weight$/, 'tied to the word embeddings'],
  [/^cls\.predictions\.decoder\.bias$/, 'same as cls.predictions.bias'],
];

/** A Hugging Face tensor name in wgpt's spelling: `bert.` prefix added where missing, legacy gamma/beta renamed. */
export function canonicalBertName(raw: string): string {
  let n = raw;
  if (/^(embeddings|encoder|pooler)\./.test(n)) n = 'bert.' + n;
  if (n.endsWith('.gamma')) n = n.slice(0, -'.gamma'.length) + '.weight';
  else if (n.endsWith('.beta')) n = n.slice(0, -'.beta'.length) + '.bias';
  return n;
}

function transpose2d(d: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(d.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = d[r * cols + c];
  return out;
}

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/**
 * Maps a Hugging Face BERT checkpoint's tensors onto the config's parameter table (with or without the `bert.`
 * prefix, old gamma/beta names, Linear weights transposed to [in, out]). Tensors BertForMaskedLM does not use are
 * returned in `skipped` (raw name + reason); a missing tensor, a duplicate or a shape that disagrees with the
 * config is a one-line error.
 */
export function bertParamsFromHF(
  tensors: Map<string, { dtype?: string; shape: number[]; data: Float32Array }>,
  c: BertConfig,
  where = 'model.safetensors',
): { params: Map<string, HostTensor>; skipped: string[] } {
  const table = bertParamTable(c);
  const byName = new Map(table.map((s) => [s.name, s]));
  const found = new Map<string, { raw: string; shape: number[]; data: Float32Array; dtype?: string }>();
  const skipped: string[] = [];
  for (const [raw, t] of tensors) {
    const name = canonicalBertName(raw);
    if (!byName.has(name)) {
      const why = UNUSED.find(([re]) => re.test(name))?.[1] ?? 'not used by BertForMaskedLM';
      skipped.push(`${raw} (${why})`);
      continue;
    }
    const prev = found.get(name);
    if (prev) throw new Error(`${where}: tensors '${prev.raw}' and '${raw}' are the same parameter ${name}`);
    found.set(name, { ...t, raw });
  }
  const params = new Map<string, HostTensor>();
  const missing: string[] = [];
  for (const s of table) {
    const t = found.get(s.name);
    if (!t) {
      missing.push(s.name);
      continue;
    }
    if (t.dtype !== undefined && !['F32', 'F16', 'BF16'].includes(t.dtype)) throw new Error(`${where}: tensor '${t.raw}' has dtype ${t.dtype}; parameters must be F32, F16 or BF16`);
    const hfShape = s.hfTransposed ? [s.shape[1], s.shape[0]] : s.shape;
    if (t.shape.length !== hfShape.length || t.shape.some((d, i) => d !== hfShape[i])) {
      throw new Error(`${where}: tensor '${t.raw}' has shape ${fmt(t.shape)}, but config.json needs ${fmt(hfShape)}`);
    }
    const data = s.hfTransposed ? transpose2d(t.data, hfShape[0], hfShape[1]) : Float32Array.from(t.data);
    params.set(s.name, { shape: [...s.shape], data });
  }
  if (missing.length) {
    const head = missing.every((n) => n.startsWith('cls.')) ? ' (a BertModel folder without the masked-LM head?)' : '';
    throw new Error(`${where}: missing tensor${missing.length > 1 ? 's' : ''} ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}${head}`);
  }
  return { params, skipped };
}

/** wgpt parameters → Hugging Face BertForMaskedLM tensors (bert. prefix, [out, in] Linear weights). */
export function bertParamsToHF(params: Map<string, HostTensor>, c: BertConfig): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const s of bertParamTable(c)) {
    const p = params.get(s.name);
    if (!p) throw new Error(`BERT checkpoint: missing parameter ${s.name}`);
    if (p.shape.join(',') !== s.shape.join(',')) throw new Error(`BERT checkpoint: parameter ${s.name} has shape ${fmt(p.shape)}, the config needs ${fmt(s.shape)}`);
    out.set(s.name, s.hfTransposed ? { shape: [s.shape[1], s.shape[0]], data: transpose2d(p.data, s.shape[0], s.shape[1]) } : { shape: [...s.shape], data: p.data });
  }
  return out;
}

/** The one line naming what a load skipped (empty when nothing was skipped). */
export function skippedLine(skipped: string[]): string {
  return skipped.length ? `skipped ${skipped.length} tensor${skipped.length > 1 ? 's' : ''} BertForMaskedLM does not use: ${skipped.join(', ')}` : '';
}
