// The loader's core (browser-safe): a model's files → config.json → architecture (by model_type) → weights (weights.ts)
// → the architecture's parameters, plus generation_config.json. Node folders, Hub snapshots and the page's fetched
// files all come through here (as a FileSource). Leaves out: reading disks and networks (folder.ts, download.ts,
// browser.ts), tokenizers (tokenizer.ts).
import type { FileSource } from './files.js';
import { join, readJson } from './files.js';
import { readWeights } from './weights.js';
import { ARCHITECTURES, architectureOf } from '../model/architectures.js';
import { type Architecture, type ParamMap, type SkippedTensor, paramsFromHF } from '../model/model.js';

export const CONFIG_FILE = 'config.json';
export const GENERATION_CONFIG_FILE = 'generation_config.json';

/** A loaded model's pieces: its architecture (from model_type), config (that architecture's type), parameters. */
export interface LoadedCheckpoint<C = any> {
  arch: Architecture<C>;
  config: C;
  params: ParamMap;
  /** the folder actually read (`<dir>.old` after an interrupted save), or the source's name */
  dir: string;
  /** tensors of the model file that are not parameters (mask buffers, a tied head…); see skippedLine */
  skipped: SkippedTensor[];
  /** the weight file read (model.safetensors, pytorch_model.bin, an index…) */
  weightFile: string;
  /** generation_config.json, else the generation keys of config.json (as transformers falls back), else {} */
  generation: GenerationConfig;
}

/** The keys of a generation_config.json wgpt reads (other keys are kept but unused). */
export interface GenerationConfig {
  max_length?: number;
  max_new_tokens?: number;
  num_beams?: number;
  bad_words_ids?: number[][];
  decoder_start_token_id?: number;
  eos_token_id?: number | number[];
  pad_token_id?: number;
  forced_eos_token_id?: number;
  bos_token_id?: number;
  length_penalty?: number;
  do_sample?: boolean;
  temperature?: number;
  top_k?: number;
  top_p?: number;
  [k: string]: unknown;
}

/** Keys transformers' GenerationConfig.from_model_config copies out of config.json. */
const GENERATION_KEYS = ['max_length', 'max_new_tokens', 'num_beams', 'bad_words_ids', 'decoder_start_token_id', 'eos_token_id', 'pad_token_id', 'forced_eos_token_id', 'bos_token_id', 'length_penalty', 'do_sample', 'temperature', 'top_k', 'top_p', 'no_repeat_ngram_size', 'early_stopping'];

/** Model classes of config.json's `architectures` → model_type, for configs older than model_type (2019 files). */
const CLASS_PREFIXES: [string, string][] = [['GPT2', 'gpt2'], ['Bert', 'bert'], ['Marian', 'marian'], ['Roberta', 'roberta'], ['DistilBert', 'distilbert']];

/**
 * A config.json object → its architecture (by model_type; a config without one names it through `architectures`, as
 * transformers falls back to, else it is wgpt's own GPT-2) and that architecture's config.
 */
export function readConfig(j: unknown, where = CONFIG_FILE): { arch: Architecture; config: any } {
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new Error(`${where}: must be a JSON object`);
  let o = j as Record<string, unknown>;
  const classes = o.architectures;
  if (o.model_type === undefined && Array.isArray(classes) && typeof classes[0] === 'string') {
    const cls = classes[0] as string;
    const exact = ARCHITECTURES.find((a) => a.hfArchitectures?.includes(cls))?.modelType;
    const hit = exact ?? CLASS_PREFIXES.find(([p]) => cls.startsWith(p))?.[1];
    if (hit) o = { ...o, model_type: hit };
  }
  j = o;
  const arch = architectureOf(j as Record<string, unknown>, where);
  return { arch, config: arch.configFromHF(j as Record<string, unknown>, where) };
}

/** generation_config.json of a source, else config.json's generation keys (checked to be the right JSON types). */
export function readGenerationConfig(src: FileSource, configJson: Record<string, unknown>): GenerationConfig {
  let g: Record<string, unknown>;
  let where = join(src.where, GENERATION_CONFIG_FILE);
  if (src.has(GENERATION_CONFIG_FILE)) {
    const j = readJson(src, GENERATION_CONFIG_FILE);
    if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new Error(`${where}: must be a JSON object`);
    g = j as Record<string, unknown>;
  } else {
    where = join(src.where, CONFIG_FILE);
    g = {};
    for (const k of GENERATION_KEYS) if (configJson[k] !== undefined && configJson[k] !== null) g[k] = configJson[k];
  }
  const int = (k: string, min: number) => {
    const v = g[k];
    if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isInteger(v) || v < min)) throw new Error(`${where}: ${k} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  };
  for (const k of ['max_length', 'max_new_tokens', 'num_beams']) int(k, 1);
  for (const k of ['decoder_start_token_id', 'pad_token_id', 'forced_eos_token_id', 'bos_token_id']) int(k, 0);
  const bw = g.bad_words_ids;
  if (bw !== undefined && bw !== null && (!Array.isArray(bw) || bw.some((w) => !Array.isArray(w) || w.some((x) => !Number.isInteger(x) || x < 0)))) throw new Error(`${where}: bad_words_ids must be a list of lists of token ids`);
  const eos = g.eos_token_id;
  if (eos !== undefined && eos !== null && !Number.isInteger(eos) && !(Array.isArray(eos) && eos.every((x) => Number.isInteger(x)))) throw new Error(`${where}: eos_token_id must be an id or a list of ids`);
  const out: GenerationConfig = {};
  for (const [k, v] of Object.entries(g)) if (v !== null) out[k] = v;
  return out;
}

/** The model of a source: config.json → architecture → weights (first in transformers' order) → parameters. */
export function loadFromSource(src: FileSource, dir = src.where): LoadedCheckpoint {
  if (!src.has(CONFIG_FILE)) throw new Error(`checkpoint ${dir} has no ${CONFIG_FILE}`);
  const cfgWhere = join(src.where, CONFIG_FILE);
  const j = readJson(src, CONFIG_FILE);
  const { arch, config } = readConfig(j, cfgWhere);
  const generation = readGenerationConfig(src, j as Record<string, unknown>);
  const { tensors, file } = readWeights(src);
  const { params, skipped } = paramsFromHF(tensors, arch.paramTable(config), arch.hf, config, join(src.where, file));
  return { arch, config, params, dir, skipped, weightFile: file, generation };
}
