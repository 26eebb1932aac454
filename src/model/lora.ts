// LoRA adapters as PEFT defines and stores them (browser-safe, no files): y = base(x) + lora_B(lora_A(dropout(x)))·s,
// s = alpha/r (alpha/√r with rsLoRA), A [r, in] Kaiming-uniform (kaiming_uniform_ with a = √5: U(±1/√in)), B [out, r]
// zeros, so step 0 is the base model. Implements the LinearAdapter seam (src/model/model.ts) that every Linear of the
// layer library consults. Also: PEFT's target matching, adapter_config.json, adapter_model.safetensors bytes both
// ways, and the merge W += s·B·A (its transpose for GPT-2's Conv1D [in, out] weights). Leaves out: DoRA, LoHa/LoKr,
// per-module ranks (rank_pattern/alpha_pattern), biases ("bias": "none" only), embedding and conv2d LoRA.
import type { Gpu } from '../gpu/device.js';
import { Tensor } from '../autograd/tensor.js';
import { linearT } from '../ops/matmul.js';
import { scale as scaleOp } from '../ops/binary.js';
import { dropout } from '../ops/elementwise.js';
import { parseSafetensors, serializeSafetensors } from '../io/safetensors.js';
import { makeRng, mixSeed } from './init.js';
import type { ForwardOptions, LinearAdapter, ParamMap } from './model.js';

export interface LoraConfig {
  r: number;
  alpha: number;
  dropout: number;
  /** PEFT's target_modules as given (names a module is or ends with) */
  targets: string[];
  rslora: boolean;
  /** the base's linear weights are stored [in, out] (GPT-2's Conv1D): PEFT's fan_in_fan_out */
  fanInFanOut: boolean;
  baseModel: string | null;
  /** PEFT's task_type (CAUSAL_LM, SEQ_CLS, …) or null */
  taskType: string | null;
}

/** One adapted module: the base weight's sizes. */
export interface LoraModule {
  inF: number;
  outF: number;
}

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';
const KEY_PREFIX = 'base_model.model.';

export function loraScaling(c: Pick<LoraConfig, 'r' | 'alpha' | 'rslora'>): number {
  return c.rslora ? c.alpha / Math.sqrt(c.r) : c.alpha / c.r;
}

/**
 * PEFT's check_target_module_exists for a list: a module matches a target when its name is the target or ends with
 * `.target`. Every target must match at least one module (PEFT: "Target modules … not found in the base model").
 */
export function matchTargets(modules: readonly string[], targets: readonly string[]): string[] {
  if (!targets.length) throw new Error('LoRA needs target modules (--lora-targets c_attn,c_proj, …)');
  const hit = (m: string, t: string) => m === t || m.endsWith('.' + t);
  for (const t of targets) {
    if (!modules.some((m) => hit(m, t))) {
      const tails = [...new Set(modules.map((m) => m.split('.').pop()!))];
      throw new Error(`LoRA target '${t}' matches no linear module of the model (its linear modules end with ${tails.join(', ')})`);
    }
  }
  return modules.filter((m) => targets.some((t) => hit(m, t)));
}

/** The modules' sizes from the base's weights: `${module}.weight` is [out, in], or [in, out] when fanInFanOut. */
export function loraModules(names: readonly string[], weightShape: (name: string) => readonly number[] | undefined, fanInFanOut: boolean): Map<string, LoraModule> {
  const out = new Map<string, LoraModule>();
  for (const m of names) {
    const s = weightShape(`${m}.weight`);
    if (!s || s.length !== 2) throw new Error(`LoRA: module '${m}' has no 2-D weight`);
    out.set(m, fanInFanOut ? { inF: s[0], outF: s[1] } : { inF: s[1], outF: s[0] });
  }
  return out;
}

/** Host values of one module's adapter. */
export interface LoraWeights {
  A: Float32Array;
  B: Float32Array;
}

/** Fresh adapter values as PEFT's reset_lora_parameters: A ~ U(−1/√in, 1/√in) (kaiming_uniform_, a = √5), B = 0. */
export function initLoraWeights(mods: Map<string, LoraModule>, r: number, seed: number): Map<string, LoraWeights> {
  const rand = makeRng(seed);
  const out = new Map<string, LoraWeights>();
  for (const [m, { inF, outF }] of mods) {
    const bound = 1 / Math.sqrt(inF); // gain √(2/(1+5)) · √(3/fan_in)
    const A = new Float32Array(r * inF);
    for (let i = 0; i < A.length; i++) A[i] = (rand() * 2 - 1) * bound;
    out.set(m, { A, B: new Float32Array(outF * r) });
  }
  return out;
}

/**
 * A LoRA adapter on the GPU: A and B of each target module (trainable tensors named as PEFT saves them, or frozen
 * ones for inference), `delta` for the Linear layers.
 */
export class LoRA implements LinearAdapter {
  readonly modules: ReadonlySet<string>;
  readonly scaling: number;
  private readonly A = new Map<string, Tensor>();
  private readonly B = new Map<string, Tensor>();
  private readonly index = new Map<string, number>();

  constructor(
    readonly gpu: Gpu,
    readonly config: LoraConfig,
    readonly shapes: Map<string, LoraModule>,
    weights: Map<string, LoraWeights>,
    /** the HF prefix of module names in saved keys (GPT-2: 'transformer.') */
    readonly keyPrefix: string,
    o: { trainable: boolean },
  ) {
    const { r } = config;
    if (!(Number.isInteger(r) && r >= 1)) throw new Error(`LoRA r must be an integer ≥ 1, got ${r}`);
    if (!(config.alpha > 0)) throw new Error(`LoRA alpha must be > 0, got ${config.alpha}`);
    if (!(config.dropout >= 0 && config.dropout < 1)) throw new Error(`LoRA dropout must be in [0, 1), got ${config.dropout}`);
    this.scaling = loraScaling(config);
    this.modules = new Set(shapes.keys());
    let i = 0;
    for (const [m, { inF, outF }] of shapes) {
      const w = weights.get(m);
      if (!w) throw new Error(`LoRA: no weights for module '${m}'`);
      if (w.A.length !== r * inF || w.B.length !== outF * r) throw new Error(`LoRA: module '${m}' needs A [${r}, ${inF}] and B [${outF}, ${r}]`);
      const [nA, nB] = [this.keyOf(m, 'A'), this.keyOf(m, 'B')];
      this.A.set(m, o.trainable ? Tensor.param(gpu, w.A, [r, inF], nA) : Tensor.from(gpu, w.A, [r, inF], { isParam: true, name: nA }));
      this.B.set(m, o.trainable ? Tensor.param(gpu, w.B, [outF, r], nB) : Tensor.from(gpu, w.B, [outF, r], { isParam: true, name: nB }));
      this.index.set(m, i++);
    }
  }

  /** PEFT's saved key of a module's A or B */
  keyOf(module: string, which: 'A' | 'B'): string {
    return `${KEY_PREFIX}${this.keyPrefix}${module}.lora_${which}.weight`;
  }

  /** lora_B(lora_A(dropout(x)))·scaling: x [..., in] → [..., out]; dropout only in training */
  delta(module: string, x: Tensor, opts?: ForwardOptions): Tensor | null {
    const A = this.A.get(module);
    if (!A) return null;
    const p = this.config.dropout;
    const xd = opts?.train && p > 0 ? dropout(x, p, mixSeed(opts.seed ?? 0, 0x10a, this.index.get(module)!)) : x;
    return scaleOp(linearT(linearT(xd, A), this.B.get(module)!), this.scaling);
  }

  /** the trainable tensors with their saved names, A then B per module in module order */
  params(): { name: string; t: Tensor }[] {
    return [...this.shapes.keys()].flatMap((m) => [
      { name: this.keyOf(m, 'A'), t: this.A.get(m)! },
      { name: this.keyOf(m, 'B'), t: this.B.get(m)! },
    ]);
  }

  /** elements of A and B in all */
  get numel(): number {
    let n = 0;
    for (const { inF, outF } of this.shapes.values()) n += this.config.r * (inF + outF);
    return n;
  }

  async weights(): Promise<Map<string, LoraWeights>> {
    const out = new Map<string, LoraWeights>();
    for (const m of this.shapes.keys()) out.set(m, { A: await this.A.get(m)!.toArray(), B: await this.B.get(m)!.toArray() });
    return out;
  }

  /** the two files of a PEFT adapter folder */
  async files(): Promise<Record<string, Uint8Array | string>> {
    return peftFiles(this.config, this.shapes, await this.weights(), this.keyPrefix);
  }

  dispose(): void {
    for (const t of [...this.A.values(), ...this.B.values()]) t.dispose();
    this.A.clear();
    this.B.clear();
  }
}

/** adapter_config.json's object as PEFT's LoraConfig.save_pretrained writes its main fields. */
export function adapterConfigJson(c: LoraConfig): Record<string, unknown> {
  return {
    peft_type: 'LORA',
    task_type: c.taskType,
    base_model_name_or_path: c.baseModel,
    r: c.r,
    lora_alpha: c.alpha,
    lora_dropout: c.dropout,
    target_modules: [...c.targets],
    fan_in_fan_out: c.fanInFanOut,
    bias: 'none',
    use_rslora: c.rslora,
    modules_to_save: null,
    init_lora_weights: true,
    inference_mode: true,
    use_dora: false,
  };
}

export function peftFiles(c: LoraConfig, shapes: Map<string, LoraModule>, w: Map<string, LoraWeights>, keyPrefix: string): Record<string, Uint8Array | string> {
  const tensors = [...shapes].flatMap(([m, { inF, outF }]) => [
    { name: `${KEY_PREFIX}${keyPrefix}${m}.lora_A.weight`, shape: [c.r, inF], data: w.get(m)!.A },
    { name: `${KEY_PREFIX}${keyPrefix}${m}.lora_B.weight`, shape: [outF, c.r], data: w.get(m)!.B },
  ]);
  return { [ADAPTER_CONFIG]: JSON.stringify(adapterConfigJson(c), null, 2) + '\n', [ADAPTER_WEIGHTS]: serializeSafetensors(tensors, { format: 'pt' }) };
}

/**
 * Reads a PEFT adapter (the two files' contents): its config, and per module (named as the model's table names it:
 * `base_model.model.` and the architecture's HF prefix stripped, PEFT's adapter name `.default` tolerated) A and B.
 * Errors are one line naming the file and the field or tensor.
 */
export function readPeft(configText: string, weightBytes: Uint8Array, prefixes: readonly string[], where: string): { config: LoraConfig; weights: Map<string, LoraWeights>; shapes: Map<string, LoraModule> } {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(configText) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${where}/${ADAPTER_CONFIG} is not JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  const at = `${where}/${ADAPTER_CONFIG}`;
  if (j.peft_type !== 'LORA') throw new Error(`${at}: peft_type is ${JSON.stringify(j.peft_type)}; only LORA adapters are supported`);
  const numField = (k: string, def?: number): number => {
    const v = j[k] ?? def;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${at}: ${k} must be a number, got ${JSON.stringify(j[k])}`);
    return v;
  };
  if (j.bias !== undefined && j.bias !== 'none') throw new Error(`${at}: bias ${JSON.stringify(j.bias)} is not supported (only "none")`);
  if (j.use_dora) throw new Error(`${at}: use_dora is not supported`);
  for (const k of ['rank_pattern', 'alpha_pattern']) if (j[k] && Object.keys(j[k] as object).length) throw new Error(`${at}: ${k} (per-module ranks) is not supported`);
  if (j.modules_to_save && (j.modules_to_save as unknown[]).length) throw new Error(`${at}: modules_to_save ${JSON.stringify(j.modules_to_save)} is not supported (the adapter must hold LoRA weights only)`);
  const targets = typeof j.target_modules === 'string' ? [j.target_modules] : (j.target_modules as string[] | undefined) ?? [];
  const config: LoraConfig = {
    r: numField('r'),
    alpha: numField('lora_alpha', 8),
    dropout: numField('lora_dropout', 0),
    targets,
    rslora: !!j.use_rslora,
    fanInFanOut: !!j.fan_in_fan_out,
    baseModel: typeof j.base_model_name_or_path === 'string' ? j.base_model_name_or_path : null,
    taskType: typeof j.task_type === 'string' ? j.task_type : null,
  };
  let parsed;
  try {
    parsed = parseSafetensors(weightBytes);
  } catch (e) {
    throw new Error(`${where}/${ADAPTER_WEIGHTS}: ${(e as Error).message.split('\n')[0]}`);
  }
  const parts = new Map<string, Partial<LoraWeights> & { shapeA?: number[]; shapeB?: number[] }>();
  for (const [key, t] of parsed.tensors) {
    const m = /^(.*)\.lora_([AB])(?:\.default)?\.weight$/.exec(key);
    if (!m || !m[1].startsWith(KEY_PREFIX)) throw new Error(`${where}/${ADAPTER_WEIGHTS}: tensor '${key}' is not a LoRA weight (base_model.model.<module>.lora_A.weight / .lora_B.weight)`);
    let mod = m[1].slice(KEY_PREFIX.length);
    for (const p of prefixes) if (p && mod.startsWith(p)) {
      mod = mod.slice(p.length);
      break;
    }
    const e = parts.get(mod) ?? {};
    if (m[2] === 'A') [e.A, e.shapeA] = [t.data, t.shape];
    else [e.B, e.shapeB] = [t.data, t.shape];
    parts.set(mod, e);
  }
  const weights = new Map<string, LoraWeights>();
  const shapes = new Map<string, LoraModule>();
  for (const [mod, e] of parts) {
    if (!e.A || !e.B) throw new Error(`${where}/${ADAPTER_WEIGHTS}: module '${mod}' has lora_${e.A ? 'A' : 'B'} but no lora_${e.A ? 'B' : 'A'}`);
    if (e.shapeA!.length !== 2 || e.shapeB!.length !== 2 || e.shapeA![0] !== config.r || e.shapeB![1] !== config.r) {
      throw new Error(`${where}/${ADAPTER_WEIGHTS}: module '${mod}' has lora_A [${e.shapeA}] and lora_B [${e.shapeB}]; r = ${config.r} needs [${config.r}, in] and [out, ${config.r}]`);
    }
    weights.set(mod, { A: Float32Array.from(e.A), B: Float32Array.from(e.B) });
    shapes.set(mod, { inF: e.shapeA![1], outF: e.shapeB![0] });
  }
  if (!weights.size) throw new Error(`${where}/${ADAPTER_WEIGHTS} holds no LoRA weights`);
  return { config, weights, shapes };
}

/**
 * The base's parameters with the adapter merged in (PEFT's merge_and_unload): W += s·B·A for an [out, in] weight,
 * W += (s·B·A)ᵀ for a Conv1D [in, out] one. Host arithmetic in f64 sums, once per module. A module whose weight is
 * missing or has other sizes is one line.
 */
export function mergeLora(params: ParamMap, c: LoraConfig, shapes: Map<string, LoraModule>, w: Map<string, LoraWeights>): ParamMap {
  const s = loraScaling(c);
  const out: ParamMap = new Map(params);
  const r = c.r;
  for (const [m, { inF, outF }] of shapes) {
    const p = params.get(`${m}.weight`);
    const want = c.fanInFanOut ? [inF, outF] : [outF, inF];
    if (!p) throw new Error(`merge: the base model has no weight '${m}.weight' for the adapter's module '${m}'`);
    if (p.shape.join(',') !== want.join(',')) throw new Error(`merge: '${m}.weight' is [${p.shape}], the adapter needs [${want}]${c.fanInFanOut ? ' (fan_in_fan_out: Conv1D layout)' : ''}`);
    const { A, B } = w.get(m)!;
    const W = Float32Array.from(p.data);
    for (let o = 0; o < outF; o++) {
      for (let i = 0; i < inF; i++) {
        let d = 0;
        for (let k = 0; k < r; k++) d += B[o * r + k] * A[k * inF + i];
        W[c.fanInFanOut ? i * outF + o : o * inF + i] += s * d;
      }
    }
    out.set(`${m}.weight`, { shape: [...p.shape], data: W });
  }
  return out;
}
