// Config schemas as data: each key of an architecture's config with its type, range, Hugging Face config.json name
// and default, checked by one function (one line naming the key) and read/written from/to config.json by two more.
// Browser-safe. Leaves out: cross-key rules (an architecture adds them after `checkConfig`, e.g. divisibility).

export type FieldType = 'int' | 'number' | 'bool' | 'string' | 'enum' | 'labels' | 'strings';

export interface Field {
  type: FieldType;
  /** int/number: smallest allowed value (inclusive) */
  min?: number;
  /** number: bound the value must exceed (exclusive), e.g. 0 for an epsilon */
  above?: number;
  /** number: largest allowed value (exclusive), e.g. 1 for a dropout probability */
  below?: number;
  /** enum: the accepted values */
  values?: readonly string[];
  /** config.json's key when it differs from the config's */
  hf?: string;
  /**
   * value when config.json lacks the key; undefined = required; null = optional (absent stays absent); a function:
   * computed from the config.json object (e.g. decoder_vocab_size defaults to vocab_size)
   */
  default?: unknown;
}

/** One Field per key of C (optional keys too). */
export type Schema<C> = { [K in keyof C]-?: Field };

const show = (v: unknown) => JSON.stringify(v);

/** The first problem of value v for key k, or null. */
function problem(k: string, f: Field, v: unknown): string | null {
  switch (f.type) {
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < (f.min ?? -Infinity)) return `${k} must be ${f.min === 1 ? 'a positive integer' : `an integer${f.min !== undefined ? ` ≥ ${f.min}` : ''}`}, got ${show(v)}`;
      return null;
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) return `${k} must be a number, got ${show(v)}`;
      if (f.min !== undefined && f.below !== undefined && !(v >= f.min && v < f.below)) return `${k} must be in [${f.min}, ${f.below}), got ${show(v)}`;
      if (f.min !== undefined && !(v >= f.min)) return `${k} must be ≥ ${f.min}, got ${show(v)}`;
      if (f.above !== undefined && !(v > f.above)) return `${k} must be > ${f.above}, got ${show(v)}`;
      return null;
    case 'bool':
      return typeof v === 'boolean' ? null : `${k} must be true or false, got ${show(v)}`;
    case 'string':
      return typeof v === 'string' ? null : `${k} must be a string, got ${show(v)}`;
    case 'enum':
      return typeof v === 'string' && f.values!.includes(v) ? null : `${k} ${show(v)} is not supported (wgpt reads ${f.values!.map(show).join(', ')})`;
    case 'strings':
      return Array.isArray(v) && v.every((s) => typeof s === 'string') ? null : `${k} must be a list of strings, got ${show(v)}`;
    case 'labels':
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${k} must be an object, got ${show(v)}`;
      for (const [key, val] of Object.entries(v)) if (typeof val !== 'string' && typeof val !== 'number') return `${k}[${show(key)}] must be a string or a number, got ${show(val)}`;
      return null;
  }
}

/** Checks every key of c against the schema; throws `${where}: <one line naming the key>`. Returns c. */
export function checkConfig<C>(schema: Schema<C>, c: C, where = 'config'): C {
  if (typeof c !== 'object' || c === null) throw new Error(`${where}: must be an object`);
  const o = c as Record<string, unknown>;
  for (const [k, f] of Object.entries(schema) as [string, Field][]) {
    const v = o[k];
    if (v === undefined) {
      if (f.default === undefined) throw new Error(`${where}: ${k} is missing`);
      continue;
    }
    const p = problem(k, f, v);
    if (p) throw new Error(`${where}: ${p}`);
  }
  for (const k of Object.keys(o)) if (!(k in schema)) throw new Error(`${where}: unknown key ${k}`);
  return c;
}

/** config.json's value at a key name, dotted for nested objects (`wgpt.qkv_bias`). */
function at(j: Record<string, unknown>, path: string): unknown {
  let v: unknown = j;
  for (const part of path.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

/**
 * config.json object → C: each key read under its HF name (dotted: nested), defaults for absent ones (null-default
 * keys stay absent), then checked; one line naming the config.json key.
 */
export function configFromSchema<C>(schema: Schema<C>, j: Record<string, unknown>, where: string): C {
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(schema) as [string, Field][]) {
    const hk = f.hf ?? k;
    const v = at(j, hk);
    if (v === undefined || (v === null && f.default !== undefined)) {
      if (f.default === undefined) throw new Error(`${where}: missing "${hk}"`);
      const d = typeof f.default === 'function' ? (f.default as (j: Record<string, unknown>) => unknown)(j) : f.default;
      if (d !== null && d !== undefined) out[k] = structuredClone(d);
      continue;
    }
    const p = problem(hk, f, v);
    if (p) throw new Error(`${where}: ${p}`);
    out[k] = v;
  }
  return out as C;
}

/** C → config.json entries under their HF names (dotted: nested objects; absent optional keys left out). */
export function configToSchema<C>(schema: Schema<C>, c: C): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const o = c as Record<string, unknown>;
  for (const [k, f] of Object.entries(schema) as [string, Field][]) {
    if (o[k] === undefined) continue;
    const path = (f.hf ?? k).split('.');
    let dst = out;
    for (const part of path.slice(0, -1)) dst = (dst[part] ??= {}) as Record<string, unknown>;
    dst[path[path.length - 1]] = o[k];
  }
  return out;
}
