// A model's weight files in the order transformers prefers them: model.safetensors, sharded safetensors
// (model.safetensors.index.json), pytorch_model.bin, sharded pytorch_model.bin (pytorch_model.bin.index.json); the
// torch files through the restricted unpickler (io/torch.ts). Browser-safe (reads through a FileSource).
// Leaves out: TensorFlow (tf_model.h5), Flax (flax_model.msgpack), ONNX, GGUF: named in one line, never read.
import { type FileSource, join, readJson } from './files.js';
import { parseSafetensors, type SafeTensor } from '../io/safetensors.js';
import { parseTorchStateDict } from '../io/torch.js';
import { TOKENIZER_FILES } from './tokenizer.js';

export const SAFETENSORS = 'model.safetensors';
export const SAFETENSORS_INDEX = 'model.safetensors.index.json';
export const TORCH_BIN = 'pytorch_model.bin';
export const TORCH_BIN_INDEX = 'pytorch_model.bin.index.json';
/** The weight files wgpt reads, in the order it looks for them (transformers' order). */
export const WEIGHT_FILES = [SAFETENSORS, SAFETENSORS_INDEX, TORCH_BIN, TORCH_BIN_INDEX] as const;
/** Weight files of other frameworks: a repository holding only these gets one line naming what wgpt reads. */
export const FOREIGN_WEIGHTS = ['tf_model.h5', 'flax_model.msgpack', 'model.onnx', 'onnx/model.onnx', 'rust_model.ot', 'model.gguf'];

/** The weight file (or index) a source's listing offers first, or null. */
export function pickWeightFile(names: readonly string[]): (typeof WEIGHT_FILES)[number] | null {
  for (const f of WEIGHT_FILES) if (names.includes(f)) return f;
  return null;
}

/** One line for a model without any weight file wgpt reads (naming the foreign ones it has). */
export function noWeightsMessage(where: string, names: readonly string[]): string {
  const foreign = names.filter((n) => FOREIGN_WEIGHTS.includes(n) || /\.(h5|msgpack|onnx|gguf|ckpt)$/.test(n));
  const has = foreign.length ? ` (it has ${foreign.join(', ')}: TensorFlow/Flax/ONNX/GGUF weights are not read)` : '';
  return `${where} has no weight file wgpt reads${has}; wgpt reads ${WEIGHT_FILES.join(', ')}`;
}

/**
 * The files of a repository `listing` the loader needs, before shards (those need the index read): config.json,
 * generation_config.json, the first weight file in transformers' order (unless `weights` is false), tokenizer files.
 */
export function neededFiles(what: string, listing: readonly string[], weights = true): { files: string[]; weight: string | null } {
  const weight = weights ? pickWeightFile(listing) : null;
  if (weights && !weight) throw new Error(noWeightsMessage(what, listing));
  const files = ['config.json'];
  if (listing.includes('generation_config.json')) files.push('generation_config.json');
  if (weight) files.push(weight);
  for (const t of TOKENIZER_FILES) if (listing.includes(t)) files.push(t);
  return { files, weight };
}

/** The shard files of an index (model.safetensors.index.json / pytorch_model.bin.index.json), checked, in first-use order. */
export function shardsOf(index: unknown, where: string): { files: string[]; map: Map<string, string> } {
  const wm = (index as { weight_map?: unknown })?.weight_map;
  if (typeof wm !== 'object' || wm === null || Array.isArray(wm)) throw new Error(`${where}: no "weight_map" object`);
  const map = new Map<string, string>();
  const files: string[] = [];
  for (const [k, v] of Object.entries(wm as Record<string, unknown>)) {
    // shard names are plain file names beside the index: never a path out of the model's folder
    if (typeof v !== 'string' || v === '' || v.includes('..') || v.startsWith('/') || v.includes('\\')) throw new Error(`${where}: weight_map entry '${k}' names ${JSON.stringify(v)}, not a shard file beside the index`);
    map.set(k, v);
    if (!files.includes(v)) files.push(v);
  }
  if (!files.length) throw new Error(`${where}: "weight_map" is empty`);
  return { files, map };
}

function parseOne(src: FileSource, name: string): Map<string, SafeTensor> {
  const bytes = src.read(name);
  const where = join(src.where, name);
  try {
    return name.endsWith('.safetensors') ? parseSafetensors(bytes).tensors : parseTorchStateDict(bytes, where);
  } catch (e) {
    const msg = String((e as Error).message).split('\n')[0];
    throw new Error(msg.startsWith(where) ? msg : `${where}: ${msg}`);
  }
}

/**
 * The tensors of a model (all of them: the architecture's mapping then keeps its parameters), from its first weight
 * file in transformers' order. `file` names what was read. Errors are one line.
 */
export function readWeights(src: FileSource): { tensors: Map<string, SafeTensor>; file: string } {
  const names = src.list();
  const file = WEIGHT_FILES.find((f) => src.has(f));
  if (!file) throw new Error(noWeightsMessage(src.where, names));
  if (!file.endsWith('.index.json')) return { tensors: parseOne(src, file), file };
  const idxWhere = join(src.where, file);
  const { files, map } = shardsOf(readJson(src, file), idxWhere);
  const tensors = new Map<string, SafeTensor>();
  const from = new Map<string, string>();
  for (const shard of files) {
    if (!src.has(shard)) throw new Error(`${idxWhere} names shard ${shard}, which ${src.where} does not have`);
    for (const [k, t] of parseOne(src, shard)) {
      if (tensors.has(k)) throw new Error(`${idxWhere}: tensor '${k}' is in both ${from.get(k)} and ${shard}`);
      tensors.set(k, t);
      from.set(k, shard);
    }
  }
  for (const [k, shard] of map) {
    if (from.get(k) !== shard) throw new Error(`${idxWhere}: tensor '${k}' is mapped to ${shard} but ${from.has(k) ? `found in ${from.get(k)}` : 'no shard holds it'}`);
  }
  return { tensors, file };
}
