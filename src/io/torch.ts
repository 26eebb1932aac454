// PyTorch state_dict files (pytorch_model.bin) on plain bytes (browser-safe): the zip format torch.save writes since
// 1.6 and the legacy stream before it, read through the restricted unpickler (pickle.ts) with only the globals a
// state_dict needs. Each storage is decoded once; tensors sharing it (tied weights) share its values. F16/BF16/F64
// upcast to f32, integer storages kept exactly (as int32, like safetensors.ts).
// Leaves out: anything but a flat dict of tensors (full pickled modules, optimizer states), big-endian files,
// quantized and sparse tensors, torch.load's arbitrary classes (refused by name).
import { type PyGlobal, type PyValue, isTuple, orderedDict, printable, sequence, tagged, unpickle } from './pickle.js';
import { isZip, readZip } from './zip.js';
import { f16BitsToNumber, type SafeTensor } from './safetensors.js';

interface StorageType {
  readonly __py: 'storage_type';
  dtype: string;
  size: number;
}
interface StorageRef {
  readonly __py: 'storage';
  type: StorageType;
  key: string;
  numel: number;
}
interface TensorRef {
  readonly __py: 'tensor';
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}
/** What the state_dict globals make: the unpickler's values here are PyValue<TorchObject>, narrowed by `__py`. */
type TorchObject = StorageType | StorageRef | TensorRef;
type TorchValue = PyValue<TorchObject>;

// torch's legacy storage classes → (safetensors-style dtype, bytes per element)
const STORAGES: Record<string, [string, number]> = {
  FloatStorage: ['F32', 4],
  HalfStorage: ['F16', 2],
  BFloat16Storage: ['BF16', 2],
  DoubleStorage: ['F64', 8],
  LongStorage: ['I64', 8],
  IntStorage: ['I32', 4],
  ShortStorage: ['I16', 2],
  CharStorage: ['I8', 1],
  ByteStorage: ['U8', 1],
  BoolStorage: ['BOOL', 1],
};

const ints = (v: TorchValue, what: string, where: string): number[] => {
  const bad = () => new Error(`${where}: ${what} is not a tuple of non-negative integers`);
  const items = sequence(v);
  if (!items) throw bad();
  const out: number[] = [];
  for (const x of items) {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) throw bad();
    out.push(x);
  }
  return out;
};

/** The globals a state_dict pickle may name, and what each does here. Every other global is refused by name. */
function stateDictGlobals(where: string): Record<string, PyGlobal<TorchObject>> {
  const g: Record<string, PyGlobal<TorchObject>> = {
    'collections.OrderedDict': { call: (args) => orderedDict(args[0]) },
    'torch._utils._rebuild_tensor_v2': {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      call: ([storageArg, offset, size, stride]) => {
        const storage = tagged(storageArg);
        if (storage?.__py !== 'storage') throw new Error(`${where}: _rebuild_tensor_v2 without a storage`);
        if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) throw new Error(`${where}: bad storage offset ${String(offset)}`);
        const t: TensorRef = { __py: 'tensor', storage, offset, shape: ints(size, 'a tensor size', where), stride: ints(stride, 'a tensor stride', where) };
        return t;
      },
    },
    // nn.Parameter(data, requires_grad, hooks): the tensor itself
    'torch._utils._rebuild_parameter': {
      call: ([data]) => {
        if (tagged(data)?.__py !== 'tensor') throw new Error(`${where}: _rebuild_parameter without a tensor`);
        return data;
      },
    },
  };
  for (const [name, [dtype, size]] of Object.entries(STORAGES)) g[`torch.${name}`] = { value: { __py: 'storage_type', dtype, size } };
  return g;
}

export interface TorchTensor extends SafeTensor {}

/** Whether these bytes look like a torch.save file (zip archive, or the legacy stream's pickled magic number). */
export function isTorchFile(bytes: Uint8Array): boolean {
  return isZip(bytes) || (bytes.length > 2 && bytes[0] === 0x80 && bytes[1] === 0x02 && bytes[2] === 0x8a);
}

const ALLOWED = "a state_dict's globals (collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, torch's Float/Half/BFloat16/Double/Long/Int/Short/Char/Byte/Bool storages)";
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

/**
 * A pytorch_model.bin's bytes → tensors by name (f32 values; I64/I32/U8/BOOL also as exact int32 `ints`).
 * Errors are one line starting with `where`. A global other than the state_dict ones is refused by name.
 */
export function parseTorchStateDict(bytes: Uint8Array, where = 'pytorch_model.bin'): Map<string, TorchTensor> {
  const globals = stateDictGlobals(where);
  const storages = new Map<string, StorageRef>();
  const persistentLoad = (pid: TorchValue): TorchValue => {
    // ('storage', storage_type, key, location, numel[, view_metadata])
    const items = isTuple(pid) ? pid.items : undefined;
    if (!items || items[0] !== 'storage' || items.length < 5) throw new Error(`${where}: unknown persistent id ${printable(String(items ?? pid))}`);
    const type = tagged(items[1]);
    if (type?.__py !== 'storage_type') throw new Error(`${where}: persistent id without a storage type`);
    const key = String(items[2]);
    const numel = items[4];
    if (typeof numel !== 'number' || !Number.isInteger(numel) || numel < 0) throw new Error(`${where}: storage '${key}' has a bad size`);
    if (items.length > 5 && items[5] !== null) throw new Error(`${where}: storage views (legacy view_metadata) are not read`);
    let s = storages.get(key);
    if (!s) storages.set(key, (s = { __py: 'storage', type, key, numel }));
    else if (s.type.dtype !== type.dtype) throw new Error(`${where}: storage '${key}' is read as both ${s.type.dtype} and ${type.dtype}`);
    return s;
  };
  let root: TorchValue;
  let storageBytes: (s: StorageRef) => Uint8Array;
  if (isZip(bytes)) {
    const zip = readZip(bytes);
    const pkl = [...zip.entries.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n));
    if (!pkl) throw new Error(`${where}: a zip without <archive>/data.pkl is not a torch.save file`);
    const prefix = pkl.slice(0, -'data.pkl'.length);
    const order = zip.entries.get(prefix + 'byteorder');
    if (order && new TextDecoder().decode(zip.read(prefix + 'byteorder')) !== 'little') throw new Error(`${where}: big-endian tensors are not read`);
    root = unpickle(zip.read(pkl), { globals, persistentLoad, where, allowedText: ALLOWED }).value;
    storageBytes = (s) => {
      const name = `${prefix}data/${s.key}`;
      if (!zip.entries.has(name)) throw new Error(`${where}: storage '${s.key}' is missing from the archive`);
      return zip.read(name);
    };
  } else {
    // legacy stream: magic number, protocol version, sys info, the state_dict, the storage keys, then per key an
    // int64 element count and the raw little-endian bytes
    const none = { globals: {}, where };
    let r = unpickle(bytes, { globals, persistentLoad, where, allowedText: ALLOWED });
    if (r.value !== LEGACY_MAGIC && r.value !== Number(LEGACY_MAGIC)) throw new Error(`${where}: not a torch.save file (no magic number)`);
    r = unpickle(bytes, { ...none, offset: r.end });
    if (r.value !== 1001) throw new Error(`${where}: torch legacy protocol ${String(r.value)} is not 1001`);
    r = unpickle(bytes, { ...none, offset: r.end });
    const sys = r.value;
    if (sys instanceof Map && sys.get('little_endian') === false) throw new Error(`${where}: big-endian tensors are not read`);
    r = unpickle(bytes, { globals, persistentLoad, where, offset: r.end, allowedText: ALLOWED });
    root = r.value;
    const keys = unpickle(bytes, { ...none, offset: r.end });
    const badKeys = () => new Error(`${where}: bad storage key list`);
    if (!Array.isArray(keys.value)) throw badKeys();
    const keyList: string[] = [];
    for (const k of keys.value) {
      if (typeof k !== 'string') throw badKeys();
      keyList.push(k);
    }
    const at = new Map<string, Uint8Array>();
    let p = keys.end;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (const key of keyList) {
      const s = storages.get(key);
      if (!s) throw new Error(`${where}: storage '${key}' is listed but no tensor uses it`);
      if (p + 8 > bytes.length) throw new Error(`${where}: truncated before storage '${key}'`);
      const n = dv.getUint32(p, true) + dv.getUint32(p + 4, true) * 2 ** 32;
      if (n !== s.numel) throw new Error(`${where}: storage '${key}' holds ${n} elements, its tensors say ${s.numel}`);
      p += 8;
      const len = n * s.type.size;
      if (p + len > bytes.length) throw new Error(`${where}: storage '${key}' (${len} bytes) runs past the end of the file`);
      at.set(key, bytes.subarray(p, p + len));
      p += len;
    }
    storageBytes = (s) => {
      const b = at.get(s.key);
      if (!b) throw new Error(`${where}: storage '${s.key}' has no data`);
      return b;
    };
  }
  if (!(root instanceof Map)) throw new Error(`${where}: holds a pickled object, not a state_dict (a dict of tensors)`);

  // each storage decoded once, to f32 (and int32 for integer types)
  const decoded = new Map<string, { f: Float32Array; i?: Int32Array }>();
  const decode = (s: StorageRef) => {
    let d = decoded.get(s.key);
    if (d) return d;
    const raw = storageBytes(s);
    if (raw.length !== s.numel * s.type.size) throw new Error(`${where}: storage '${s.key}' has ${raw.length} bytes, expected ${s.numel * s.type.size}`);
    d = decodeStorage(raw, s.type.dtype, s.numel);
    decoded.set(s.key, d);
    return d;
  };
  const out = new Map<string, TorchTensor>();
  for (const [k, v] of root) {
    if (typeof k !== 'string') throw new Error(`${where}: a state_dict key is not a string`);
    const t = tagged(v);
    if (t?.__py !== 'tensor') {
      if (k === '_metadata') continue;
      throw new Error(`${where}: entry ${printable(k)} is not a tensor`);
    }
    if (t.shape.length !== t.stride.length) throw new Error(`${where}: tensor '${k}' has ${t.shape.length} sizes but ${t.stride.length} strides`);
    const d = decode(t.storage);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n > 2 ** 31) throw new Error(`${where}: tensor '${k}' has ${n} elements, more than wgpt reads into one array`);
    // the last element addressed must lie inside the storage
    const last = t.offset + t.shape.reduce((a, s, i) => a + (s > 0 ? (s - 1) * t.stride[i] : 0), 0);
    if (n > 0 && last >= t.storage.numel) throw new Error(`${where}: tensor '${k}' reaches element ${last} of a ${t.storage.numel}-element storage`);
    const contiguous = t.shape.every((_, i) => t.shape[i] === 1 || t.stride[i] === t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    const view = <A extends Float32Array | Int32Array>(a: A): A => (contiguous ? (a.subarray(t.offset, t.offset + n) as A) : (gather(a, t, n) as A));
    out.set(k, { dtype: t.storage.type.dtype, shape: [...t.shape], data: view(d.f), ...(d.i ? { ints: view(d.i) } : {}) });
  }
  return out;
}

/** Copies a strided tensor out of its storage (row-major result). */
function gather(src: Float32Array | Int32Array, t: TensorRef, n: number): Float32Array | Int32Array {
  const out = new (src.constructor as Float32ArrayConstructor | Int32ArrayConstructor)(n);
  const idx = new Array(t.shape.length).fill(0);
  for (let j = 0; j < n; j++) {
    let o = t.offset;
    for (let d = 0; d < idx.length; d++) o += idx[d] * t.stride[d];
    out[j] = src[o];
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < t.shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

let F16: Float32Array | null = null;
/** Every binary16 bit pattern's value (built once: a lookup per element instead of arithmetic). */
function f16Table(): Float32Array {
  if (!F16) {
    F16 = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) F16[h] = f16BitsToNumber(h);
  }
  return F16;
}

/** The first `len` bytes of `raw` in a fresh, aligned ArrayBuffer (a Node Buffer's slice() is a view, not a copy). */
function copyOut(raw: Uint8Array, len: number): ArrayBuffer {
  const out = new Uint8Array(len);
  out.set(raw.subarray(0, len));
  return out.buffer;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The little-endian u16s of `raw` (a view when aligned on a little-endian machine, else a copy). */
function u16s(raw: Uint8Array, n: number): Uint16Array {
  if (LITTLE_ENDIAN) return raw.byteOffset % 2 === 0 ? new Uint16Array(raw.buffer, raw.byteOffset, n) : new Uint16Array(copyOut(raw, 2 * n));
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Uint16Array.from({ length: n }, (_, j) => dv.getUint16(2 * j, true));
}

function decodeStorage(raw: Uint8Array, dtype: string, n: number): { f: Float32Array; i?: Int32Array } {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const f = new Float32Array(n);
  switch (dtype) {
    case 'F32':
      if (LITTLE_ENDIAN) return { f: raw.byteOffset % 4 === 0 ? new Float32Array(raw.buffer, raw.byteOffset, n) : new Float32Array(copyOut(raw, 4 * n)) };
      for (let j = 0; j < n; j++) f[j] = dv.getFloat32(4 * j, true);
      return { f };
    case 'F16': {
      const t = f16Table();
      const h = u16s(raw, n);
      for (let j = 0; j < n; j++) f[j] = t[h[j]];
      return { f };
    }
    case 'BF16': {
      const u = new Uint32Array(f.buffer);
      const h = u16s(raw, n);
      for (let j = 0; j < n; j++) u[j] = h[j] << 16;
      return { f };
    }
    case 'F64':
      for (let j = 0; j < n; j++) f[j] = dv.getFloat64(8 * j, true);
      return { f };
  }
  let i: Int32Array | undefined = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    let v: number;
    switch (dtype) {
      case 'I64': {
        const lo = dv.getUint32(8 * j, true);
        const hi = dv.getInt32(8 * j + 4, true);
        // beyond int32: kept as the nearest f32 only (no exact ints for this storage)
        if (!((hi === 0 && lo <= 0x7fffffff) || (hi === -1 && lo >= 0x80000000))) {
          f[j] = hi * 2 ** 32 + lo;
          i = undefined;
          continue;
        }
        v = lo | 0;
        break;
      }
      case 'I32': v = dv.getInt32(4 * j, true); break;
      case 'I16': v = dv.getInt16(2 * j, true); break;
      case 'I8': v = dv.getInt8(j); break;
      default: v = raw[j]; // U8, BOOL
    }
    if (i) i[j] = v;
    f[j] = v;
  }
  return i ? { f, i } : { f };
}
