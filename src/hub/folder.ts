// Model folders on disk (Node): a FileSource over a folder, loading one (wgpt's checkpoints and Hugging Face downloads
// alike, through load.ts), and saving wgpt's checkpoints in Hugging Face layout (config.json + model.safetensors and
// any extra files, e.g. the training state, in one atomic folder write). Leaves out: the Hub (download.ts, cache.ts).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { GPTConfig } from '../model/config.js';
import { type Architecture, type ParamMap, checkParamMap, paramsFromHF, tableShapes } from '../model/model.js';
import { gpt2 } from '../model/gpt.js';
import { serializeSafetensors, type TensorToWrite } from '../io/safetensors.js';
import { resolveFolder, writeFolderAtomic } from '../io/atomic.js';
import type { FileSource } from './files.js';
import { CONFIG_FILE, type LoadedCheckpoint, loadFromSource, readConfig } from './load.js';
import { SAFETENSORS } from './weights.js';

export type { ParamMap, SkippedTensor } from '../model/model.js';
export { CONFIG_FILE, GENERATION_CONFIG_FILE, readConfig, type LoadedCheckpoint, type GenerationConfig } from './load.js';
export const MODEL_FILE = SAFETENSORS;

const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0];

/** The files of a folder (symlinks followed: a Hub snapshot links into its blobs). */
export function folderSource(dir: string): FileSource {
  return {
    where: dir,
    has: (n) => existsSync(join(dir, n)),
    read(n) {
      const p = join(dir, n);
      try {
        return readFileSync(p);
      } catch (e) {
        throw new Error(`cannot read ${n.endsWith('.json') ? 'file' : 'model file'} ${p}: ${firstLine(e)}`);
      }
    },
    list() {
      const out: string[] = [];
      const walk = (d: string, depth: number) => {
        let names: string[] = [];
        try {
          names = readdirSync(d);
        } catch {
          return;
        }
        for (const n of names) {
          const p = join(d, n);
          let isDir = false;
          try {
            isDir = statSync(p).isDirectory();
          } catch {
            continue;
          }
          if (isDir) {
            if (depth < 2) walk(p, depth + 1);
          } else out.push(relative(dir, p).split(sep).join('/'));
        }
      };
      walk(dir, 0);
      return out.sort();
    },
  };
}

// The functions below take an optional architecture that defaults to GPT-2. Each is written as two overloads (a
// GPTConfig alone, or a config with its own Architecture<C>) over one rest-tuple signature, so that checking `arch`
// narrows `config` with it (saveCheckpoint, whose `arch` sits inside `extra`, through the guard namesArch): no cast
// ties a C to gpt2's GPTConfig, and the GPT-2 path is type-checked against gpt2's own config type.

/** Parameter names → shapes for a config, from the architecture's table (GPT-2 unless `arch` is given). */
export function expectedParamShapes(config: GPTConfig): Map<string, number[]>;
export function expectedParamShapes<C>(config: C, arch: Architecture<C>): Map<string, number[]>;
export function expectedParamShapes<C>(...[config, arch]: [GPTConfig, undefined?] | [C, Architecture<C>]): Map<string, number[]> {
  return tableShapes(arch === undefined ? gpt2.paramTable(config) : arch.paramTable(config));
}

/** config.json object → config of the architecture its model_type names. */
export function configFromHF(j: unknown, where = CONFIG_FILE): any {
  return readConfig(j, where).config;
}

/** config → config.json object (HF keys, model_type) of `arch` (GPT-2 unless given). */
export function configToHF(c: GPTConfig): Record<string, unknown>;
export function configToHF<C>(c: C, arch: Architecture<C>): Record<string, unknown>;
export function configToHF<C>(...[c, arch]: [GPTConfig, undefined?] | [C, Architecture<C>]): Record<string, unknown> {
  return arch === undefined ? gpt2.configToHF(c) : arch.configToHF(c);
}

/** Maps a model file's tensors onto the config's parameters through the architecture's HF mapping (GPT-2 unless given). */
export function paramsFromTensors(tensors: TensorsByName, config: GPTConfig, where?: string): ParamMap;
export function paramsFromTensors<C>(tensors: TensorsByName, config: C, where: string | undefined, arch: Architecture<C>): ParamMap;
export function paramsFromTensors<C>(...[tensors, config, where = MODEL_FILE, arch]: [TensorsByName, GPTConfig, string?, undefined?] | [TensorsByName, C, string | undefined, Architecture<C>]): ParamMap {
  return arch === undefined ? mapTensors<GPTConfig>(tensors, config, where, gpt2) : mapTensors<C>(tensors, config, where, arch);
}
type TensorsByName = Map<string, { dtype: string; shape: number[]; data: Float32Array }>;
const mapTensors = <C>(tensors: TensorsByName, config: C, where: string, arch: Architecture<C>): ParamMap => paramsFromHF(tensors, arch.paramTable(config), arch.hf, config, where).params;

/** The checkpoint folder to read for `dir` (itself, or `<dir>.old` after an interrupted swap); one-line errors. */
export function resolveCheckpointDir(dir: string): string {
  const real = resolveFolder(dir);
  if (!real) throw new Error(`checkpoint folder ${dir} does not exist`);
  if (!statSync(real).isDirectory()) throw new Error(`checkpoint ${dir} is not a folder`);
  return real;
}

/**
 * Writes `dir` atomically (see writeFolderAtomic): config.json, model.safetensors (F32, the table's HF names in table
 * order, metadata format "pt"), and any extra files (the training state: train/state.ts's trainingStateFiles). The
 * previous folder's files are replaced whole. `extra.arch` is the config's architecture (GPT-2 when absent).
 */
export function saveCheckpoint(dir: string, config: GPTConfig, params: ParamMap, extra?: { files?: ExtraFiles }): void;
export function saveCheckpoint<C>(dir: string, config: C, params: ParamMap, extra: { files?: ExtraFiles; arch: Architecture<C> }): void;
export function saveCheckpoint<C>(...a: SaveArgs<C>): void {
  if (namesArch(a)) writeCheckpoint<C>(a[0], a[3].arch, a[1], a[2], a[3].files);
  else writeCheckpoint<GPTConfig>(a[0], gpt2, a[1], a[2], a[3]?.files);
}
type ExtraFiles = Record<string, Uint8Array | string> | Map<string, Uint8Array | string>;
type SaveArgs<C> = [dir: string, config: GPTConfig, params: ParamMap, extra?: { files?: ExtraFiles; arch?: undefined }] | SaveArgsWithArch<C>;
type SaveArgsWithArch<C> = [dir: string, config: C, params: ParamMap, extra: { files?: ExtraFiles; arch: Architecture<C> }];
// the two overloads' arguments differ exactly in extra.arch (absent, or the config's architecture); TypeScript does not
// narrow a tuple union on a property nested in one element, so this guard states that check
const namesArch = <C>(a: SaveArgs<C>): a is SaveArgsWithArch<C> => a[3]?.arch !== undefined;

function writeCheckpoint<C>(dir: string, arch: Architecture<C>, config: C, params: ParamMap, extraFiles: ExtraFiles | undefined): void {
  arch.validateConfig(config);
  const hf = arch.configToHF(config);
  const table = arch.paramTable(config);
  checkParamMap(table, params, 'saveCheckpoint');
  // written in table order under the table's names
  const tensors: TensorToWrite[] = table.map(({ name }) => {
    const p = params.get(name)!;
    return { name, shape: p.shape, data: p.data };
  });
  const files = new Map<string, Uint8Array | string>([
    [CONFIG_FILE, JSON.stringify(hf, null, 2) + '\n'],
    [MODEL_FILE, serializeSafetensors(tensors, { format: 'pt' })],
  ]);
  const more = extraFiles instanceof Map ? [...extraFiles] : Object.entries(extraFiles ?? {});
  for (const [k, v] of more) {
    if (files.has(k)) throw new Error(`saveCheckpoint: extra file '${k}' clashes with a checkpoint file`);
    files.set(k, v);
  }
  writeFolderAtomic(dir, files);
}

/**
 * Reads a model folder (a wgpt checkpoint, a Hugging Face download, a Hub cache snapshot): config.json, its
 * model_type's architecture, the first weight file in transformers' order. Tensors come back as f32. `dir` in the
 * result is the folder actually read (`<dir>.old` after an interrupted save).
 */
export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const real = resolveCheckpointDir(dir);
  try {
    return { ...loadFromSource(folderSource(real), dir), dir: real };
  } catch (e) {
    // reading `<dir>.old` while a writer finished its swap and removed it: the new folder is complete
    if (real !== dir && existsSync(dir)) return { ...loadFromSource(folderSource(dir), dir), dir };
    throw e;
  }
}
