// safetensors reader/writer on plain bytes (browser-safe: no node: imports). Reads F32/F16/BF16 (upcast to
// f32) and I32/I64 (as int32 ids), validating everything a hostile file could get wrong; writes F32/I32 only.
// Leaves out: writing F16/BF16, memory-mapping, streaming reads of files larger than memory.

/** One tensor read from a file. `data` is f32 (for I32/I64 tensors: the same values converted, exact below 2^24). */
export interface SafeTensor {
  /** dtype as written in the file (F32, F16, BF16, I32, I64) */
  dtype: string;
  shape: number[];
  /** values upcast to f32. For an F32 tensor whose bytes are 4-aligned this is a view into the input bytes. */
  data: Float32Array;
  /** exact values of an I32/I64 tensor (I64 values must fit in int32) */
  ints?: Int32Array;
}

export interface ParsedSafetensors {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

export interface ParseOptions {
  /** largest JSON header accepted, in bytes (default 100 MB; the reference implementation's own limit) */
  maxHeaderBytes?: number;
}

export const DEFAULT_MAX_HEADER_BYTES = 100_000_000;

/** Bytes per element of every dtype the safetensors format defines (so size checks name the real dtype). */
const DTYPE_SIZE: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};
const READABLE = ['F32', 'F16', 'BF16', 'I32', 'I64'];

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function fail(msg: string): never {
  throw new Error(`safetensors: ${msg}`);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Short printable form of a (possibly hostile) value for an error message. */
function show(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

function showName(name: string): string {
  return name.length > 80 ? JSON.stringify(name.slice(0, 77) + '...') : `'${name}'`;
}

// ---- half-precision decoding (by hand: exact for normals, subnormals, ±0, ±inf, NaN) ----

let F16_TABLE: Float32Array | null = null;

/** Value of one IEEE binary16 bit pattern. */
export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero and subnormals: mant · 2^-14 / 1024
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

function f16Table(): Float32Array {
  if (!F16_TABLE) {
    F16_TABLE = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) F16_TABLE[h] = f16BitsToNumber(h);
  }
  return F16_TABLE;
}

/** Value of one bfloat16 bit pattern (the top 16 bits of an f32). */
export function bf16BitsToNumber(h: number): number {
  const u = new Uint32Array([(h & 0xffff) << 16]);
  return new Float32Array(u.buffer)[0];
}

function decodeF16(bytes: Uint8Array, off: number, n: number): Float32Array {
  const t = f16Table();
  const out = new Float32Array(n);
  for (let i = 0, o = off; i < n; i++, o += 2) out[i] = t[bytes[o] | (bytes[o + 1] << 8)];
  return out;
}

function decodeBF16(bytes: Uint8Array, off: number, n: number): Float32Array {
  const u = new Uint32Array(n);
  for (let i = 0, o = off; i < n; i++, o += 2) u[i] = ((bytes[o] | (bytes[o + 1] << 8)) << 16) >>> 0;
  return new Float32Array(u.buffer);
}

function decodeF32(bytes: Uint8Array, off: number, n: number): Float32Array {
  const abs = bytes.byteOffset + off;
  if (LITTLE_ENDIAN && abs % 4 === 0) return new Float32Array(bytes.buffer, abs, n);
  const out = new Float32Array(n);
  const dv = new DataView(bytes.buffer, abs, n * 4);
  for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
  return out;
}

function decodeI32(bytes: Uint8Array, off: number, n: number): Int32Array {
  const out = new Int32Array(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset + off, n * 4);
  for (let i = 0; i < n; i++) out[i] = dv.getInt32(i * 4, true);
  return out;
}

function decodeI64(name: string, bytes: Uint8Array, off: number, n: number): Int32Array {
  const out = new Int32Array(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset + off, n * 8);
  for (let i = 0; i < n; i++) {
    const lo = dv.getInt32(i * 8, true);
    const hi = dv.getInt32(i * 8 + 4, true);
    if (hi !== (lo < 0 ? -1 : 0)) {
      fail(`tensor ${showName(name)} (I64) element ${i} = ${dv.getBigInt64(i * 8, true)} does not fit in int32`);
    }
    out[i] = lo;
  }
  return out;
}

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  start: number;
  end: number;
}

/**
 * Parses a .safetensors file. Checks, in order: length field present; header length within the file and the
 * cap (before allocating anything); header is UTF-8 JSON object; each entry's dtype/shape/data_offsets types;
 * readable dtype; shape × dtype size == byte span; spans inside the data section; no overlaps; metadata
 * string → string. Every failure is one line starting with "safetensors:".
 */
export function parseSafetensors(bytes: Uint8Array, opts: ParseOptions = {}): ParsedSafetensors {
  if (!(bytes instanceof Uint8Array)) fail(`expected a Uint8Array, got ${typeName(bytes)}`);
  const maxHeader = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, too short for the 8-byte header length`);

  // u64 little-endian header length; compared as a BigInt so 2^63 is reported exactly.
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = dv.getBigUint64(0, true);
  const available = bytes.length - 8;
  if (headerLen > BigInt(available)) {
    fail(`header length ${headerLen} is larger than the ${available} bytes that follow it (truncated or not a safetensors file)`);
  }
  if (headerLen > BigInt(maxHeader)) fail(`header length ${headerLen} exceeds the ${maxHeader}-byte limit`);
  const n = Number(headerLen);
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    fail(`header (${n} bytes) is not valid UTF-8`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`header is not valid JSON (${String((e as Error).message).split('\n')[0]})`);
  }
  if (!isPlainObject(header)) fail(`header must be a JSON object, got ${typeName(header)}`);

  const entries: Entry[] = [];
  let metadata: Record<string, string> = {};
  for (const name of Object.keys(header)) {
    const v = header[name];
    if (name === '__metadata__') {
      if (!isPlainObject(v)) fail(`__metadata__ must be an object of strings, got ${typeName(v)}`);
      const pairs: [string, string][] = [];
      for (const k of Object.keys(v)) {
        if (typeof v[k] !== 'string') fail(`__metadata__ value of ${showName(k)} must be a string, got ${typeName(v[k])} ${show(v[k])}`);
        pairs.push([k, v[k] as string]);
      }
      metadata = Object.fromEntries(pairs);
      continue;
    }
    const nm = showName(name);
    if (!isPlainObject(v)) fail(`tensor ${nm} must be an object with dtype, shape, data_offsets; got ${typeName(v)}`);
    const { dtype, shape, data_offsets: offs } = v;
    if (typeof dtype !== 'string') fail(`tensor ${nm} has no dtype string (got ${show(dtype)})`);
    if (!Array.isArray(shape)) fail(`tensor ${nm} has no shape array (got ${show(shape)})`);
    if (!Array.isArray(offs) || offs.length !== 2) fail(`tensor ${nm} needs data_offsets [start, end] (got ${show(offs)})`);
    for (const d of shape) {
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) fail(`tensor ${nm} has shape ${show(shape)}: dims must be non-negative integers`);
    }
    const [start, end] = offs as unknown[];
    if (typeof start !== 'number' || typeof end !== 'number' || !Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
      fail(`tensor ${nm} has data_offsets ${show(offs)}: need integers 0 <= start <= end`);
    }
    if (!READABLE.includes(dtype)) {
      const known = dtype in DTYPE_SIZE ? '' : ' (not a safetensors dtype)';
      fail(`tensor ${nm} has dtype ${show(dtype).replace(/"/g, '')}${known}; wgpt reads ${READABLE.join(', ')}`);
    }
    let count = 1;
    for (const d of shape as number[]) count *= d;
    const want = count * DTYPE_SIZE[dtype];
    if (want !== end - start) {
      fail(`tensor ${nm} ${dtype} shape [${shape}] needs ${want} bytes but data_offsets [${start}, ${end}] span ${end - start}`);
    }
    if (end > dataLen) fail(`tensor ${nm} data_offsets [${start}, ${end}] run past the end of the ${dataLen}-byte data section`);
    entries.push({ name, dtype, shape: (shape as number[]).slice(), start, end });
  }

  const sorted = entries.filter((e) => e.end > e.start).sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1];
    const b = sorted[i];
    if (b.start < a.end) fail(`tensors ${showName(a.name)} [${a.start}, ${a.end}) and ${showName(b.name)} [${b.start}, ${b.end}) overlap`);
  }

  const tensors = new Map<string, SafeTensor>();
  for (const e of entries) {
    const off = dataStart + e.start;
    const size = DTYPE_SIZE[e.dtype];
    const count = (e.end - e.start) / size;
    let t: SafeTensor;
    switch (e.dtype) {
      case 'F32': t = { dtype: e.dtype, shape: e.shape, data: decodeF32(bytes, off, count) }; break;
      case 'F16': t = { dtype: e.dtype, shape: e.shape, data: decodeF16(bytes, off, count) }; break;
      case 'BF16': t = { dtype: e.dtype, shape: e.shape, data: decodeBF16(bytes, off, count) }; break;
      default: {
        const ints = e.dtype === 'I32' ? decodeI32(bytes, off, count) : decodeI64(e.name, bytes, off, count);
        t = { dtype: e.dtype, shape: e.shape, data: Float32Array.from(ints), ints };
      }
    }
    tensors.set(e.name, t);
  }
  return { tensors, metadata };
}

/** A tensor to write: F32 from a Float32Array, I32 from an Int32Array. */
export interface TensorToWrite {
  name: string;
  shape: number[];
  data: Float32Array | Int32Array;
}

/**
 * Writes a safetensors file: tensors in sorted-name order, contiguous, header JSON padded with spaces to a
 * multiple of 8 bytes (so every tensor starts 8-aligned). Deterministic: same input → same bytes.
 */
export function serializeSafetensors(tensors: TensorToWrite[], metadata?: Record<string, string>): Uint8Array {
  const seen = new Set<string>();
  for (const t of tensors) {
    if (typeof t.name !== 'string' || t.name === '' || t.name === '__metadata__') fail(`cannot write a tensor named ${show(t.name)}`);
    if (seen.has(t.name)) fail(`tensor ${showName(t.name)} is given twice`);
    seen.add(t.name);
    if (!(t.data instanceof Float32Array) && !(t.data instanceof Int32Array)) fail(`tensor ${showName(t.name)}: data must be a Float32Array or Int32Array`);
    if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(`tensor ${showName(t.name)} has shape ${show(t.shape)}: dims must be non-negative integers`);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) fail(`tensor ${showName(t.name)} shape [${t.shape}] holds ${count} values but data has ${t.data.length}`);
  }
  const order = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') fail(`metadata value of ${showName(k)} must be a string, got ${typeName(v)}`);
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const t of order) {
    const nbytes = t.data.length * 4;
    header[t.name] = { dtype: t.data instanceof Float32Array ? 'F32' : 'I32', shape: t.shape, data_offsets: [offset, offset + nbytes] };
    offset += nbytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let pos = 8 + padded;
  for (const t of order) {
    if (LITTLE_ENDIAN) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    else if (t.data instanceof Float32Array) for (let i = 0; i < t.data.length; i++) dv.setFloat32(pos + 4 * i, t.data[i], true);
    else for (let i = 0; i < t.data.length; i++) dv.setInt32(pos + 4 * i, t.data[i], true);
    pos += t.data.byteLength;
  }
  return out;
}
