// A restricted unpickler on plain bytes (browser-safe): a stack machine for pickle protocols 0–5 that builds plain
// values (numbers, strings, bytes, lists, tuples, dicts) and resolves globals ONLY through a table its caller gives.
// A global outside the table is refused by its name before anything else happens; calling (REDUCE/NEWOBJ/BUILD)
// goes to the table's JS functions. Nothing named in a pickle is ever looked up or executed.
// Leaves out: pickling, extension registries (EXT1/2/4 refused), out-of-band buffers (NEXT_BUFFER refused).

/**
 * The objects a caller's globals make (tensors, storages): tagged by `__py`, so that PyValue is a discriminated union
 * callers narrow with `tagged(v)?.__py === '…'`. The unpickler never makes one itself and never looks inside.
 */
export interface PyObject {
  readonly __py: string;
}
/** A tuple read from a pickle (tagged and frozen, so callers can tell it from a list). */
export interface PyTuple<O extends PyObject = never> {
  readonly __py: 'tuple';
  readonly items: readonly PyValue<O>[];
}
/** A Python value as the unpickler builds it; O: the objects its caller's globals make. */
export type PyValue<O extends PyObject = never> = null | boolean | number | bigint | string | Uint8Array | PyValue<O>[] | PyTuple<O> | Map<PyValue<O>, PyValue<O>> | O;

/** What a whitelisted global does when called (REDUCE/NEWOBJ) and when given state (BUILD). */
export interface PyGlobal<O extends PyObject = never> {
  call?(args: readonly PyValue<O>[]): PyValue<O>;
  /** BUILD on an object this global made; absent: BUILD is refused */
  build?(obj: PyValue<O>, state: PyValue<O>): PyValue<O>;
  /** the global itself as a value (e.g. a storage type passed as an argument) */
  value?: PyValue<O>;
}

export interface UnpickleOptions<O extends PyObject = never> {
  /** "module name" → behaviour; every other global is refused */
  globals: Record<string, PyGlobal<O>>;
  /** persistent ids (BINPERSID/PERSID) → value; absent: persistent ids are refused */
  persistentLoad?(pid: PyValue<O>): PyValue<O>;
  /** where, for messages (a file name) */
  where?: string;
  /** how messages name what is allowed (default: the table's keys) */
  allowedText?: string;
  /** byte offset to start at (legacy torch files hold several pickles in a row) */
  offset?: number;
}

export class PickleError extends Error {}

export function tuple<O extends PyObject = never>(items: PyValue<O>[]): PyTuple<O> {
  return Object.freeze({ __py: 'tuple', items: Object.freeze(items) });
}

/** The tagged object `v` is (a tuple or one of the caller's objects), else undefined: narrow it by its `__py`. */
export function tagged<O extends PyObject>(v: PyValue<O>): PyTuple<O> | O | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Uint8Array) ? v : undefined;
}

export function isTuple<O extends PyObject>(v: PyValue<O>): v is PyTuple<O> {
  return tagged(v)?.__py === 'tuple';
}

/** The items of a list or a tuple (a sequence, as Python's unpacking takes it), else undefined. */
export function sequence<O extends PyObject>(v: PyValue<O>): readonly PyValue<O>[] | undefined {
  return Array.isArray(v) ? v : isTuple(v) ? v.items : undefined;
}

const GLOBAL_REF = Symbol('global');
/** A global on the stack, before it is called or taken as a value: never inside a PyValue. */
interface GlobalRef<O extends PyObject> {
  readonly [GLOBAL_REF]: string;
  readonly impl: PyGlobal<O>;
}
/** What the stack and the memo hold. */
type Item<O extends PyObject> = PyValue<O> | GlobalRef<O>;
const isGlobal = <O extends PyObject>(v: Item<O>): v is GlobalRef<O> => typeof v === 'object' && v !== null && GLOBAL_REF in v;

/**
 * Unpickles one pickle starting at `opts.offset`; returns the value and the offset just past its STOP.
 * Errors are one line starting with `opts.where`.
 */
export function unpickle<O extends PyObject = never>(bytes: Uint8Array, opts: UnpickleOptions<O>): { value: PyValue<O>; end: number } {
  const where = opts.where ?? 'pickle';
  function fail(msg: string): never {
    throw new PickleError(`${where}: ${msg}`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dec = new TextDecoder('utf-8', { fatal: false });
  const latin1 = new TextDecoder('latin1');
  let p = opts.offset ?? 0;
  const stack: Item<O>[] = [];
  const marks: number[] = [];
  const memo = new Map<number, Item<O>>();

  const need = (n: number) => {
    if (p + n > bytes.length) fail(`truncated at byte ${p} (needs ${n} more)`);
  };
  const u8 = () => (need(1), bytes[p++]);
  const u16 = () => (need(2), (p += 2), dv.getUint16(p - 2, true));
  const u32 = () => (need(4), (p += 4), dv.getUint32(p - 4, true));
  const i32 = () => (need(4), (p += 4), dv.getInt32(p - 4, true));
  const u64 = () => {
    need(8);
    const v = dv.getUint32(p, true) + dv.getUint32(p + 4, true) * 2 ** 32;
    p += 8;
    if (!Number.isSafeInteger(v)) fail(`a length at byte ${p - 8} is too large`);
    return v;
  };
  const take = (n: number) => (need(n), (p += n), bytes.subarray(p - n, p));
  const line = () => {
    const s = p;
    while (p < bytes.length && bytes[p] !== 0x0a) p++;
    if (p >= bytes.length) fail(`unterminated text line at byte ${s}`);
    return latin1.decode(bytes.subarray(s, p++));
  };
  const pop = (): Item<O> => {
    const v = stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1]) ? undefined : stack.pop();
    return v === undefined ? fail(`stack underflow at byte ${p - 1}`) : v;
  };
  const top = (): Item<O> => (stack.length === 0 ? fail(`empty stack at byte ${p - 1}`) : stack[stack.length - 1]);
  const popMark = (): Item<O>[] => {
    const m = marks.pop();
    if (m === undefined) fail(`no MARK before byte ${p - 1}`);
    return stack.splice(m);
  };
  const findGlobal = (module: string, name: string): GlobalRef<O> => {
    const key = `${module}.${name}`;
    const impl = Object.prototype.hasOwnProperty.call(opts.globals, key) ? opts.globals[key] : undefined;
    if (!impl) fail(`refused global ${printable(key)}: wgpt's unpickler knows only ${opts.allowedText ?? (Object.keys(opts.globals).join(', ') || 'no globals here')}; nothing was executed`);
    return { [GLOBAL_REF]: key, impl };
  };
  const asValue = (v: Item<O>): PyValue<O> => (isGlobal(v) ? (v.impl.value ?? fail(`global '${v[GLOBAL_REF]}' is not a value here`)) : v);
  // every list, tuple and dict holds values already (asValue on the way in), so arguments pass as they are
  const call = (f: Item<O>, args: Item<O>): PyValue<O> => {
    if (!isGlobal(f)) fail(`call of a non-global at byte ${p - 1}`);
    if (!f.impl.call) fail(`global '${f[GLOBAL_REF]}' cannot be called`);
    const list = isGlobal(args) ? undefined : sequence(args);
    if (!list) fail(`arguments of '${f[GLOBAL_REF]}' are not a tuple`);
    return f.impl.call(list);
  };
  const setItems = (d: Item<O>, kv: Item<O>[]) => {
    if (!(d instanceof Map)) fail(`SETITEM(S) on a non-dict at byte ${p - 1}`);
    if (kv.length % 2) fail(`odd number of items for SETITEMS at byte ${p - 1}`);
    for (let i = 0; i < kv.length; i += 2) d.set(asValue(kv[i]), asValue(kv[i + 1]));
  };
  const append = (l: Item<O>, items: Item<O>[]) => {
    if (!Array.isArray(l)) fail(`APPEND(S) on a non-list at byte ${p - 1}`);
    for (const x of items) l.push(asValue(x));
  };
  const ints = (v: number | bigint): number | bigint => (typeof v === 'bigint' && v >= -(2n ** 53n) + 1n && v <= 2n ** 53n - 1n ? Number(v) : v);
  const longLE = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return ints(v);
  };

  for (;;) {
    const at = p;
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const v = u8();
        if (v > 5) fail(`pickle protocol ${v} is newer than 5`);
        break;
      }
      case 0x95: // FRAME (length is advisory)
        u64();
        break;
      case 0x2e: { // STOP
        if (stack.length !== 1) fail(`STOP with ${stack.length} values on the stack`);
        return { value: asValue(stack[0]), end: p };
      }
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        if (marks.length && stack.length === marks[marks.length - 1]) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x8a: stack.push(longLE(take(u8()))); break; // LONG1
      case 0x8b: { // LONG4
        const n = i32();
        if (n < 0) fail(`negative LONG4 length at byte ${at}`);
        stack.push(longLE(take(n)));
        break;
      }
      case 0x49: { // INT (text): also True/False as 01/00
        const s = line();
        if (s === '01') stack.push(true);
        else if (s === '00') stack.push(false);
        else if (/^[-+]?\d+$/.test(s)) stack.push(ints(BigInt(s)));
        else fail(`bad INT '${s}' at byte ${at}`);
        break;
      }
      case 0x4c: { // LONG (text)
        const s = line().replace(/L$/, '');
        if (!/^[-+]?\d+$/.test(s)) fail(`bad LONG '${s}' at byte ${at}`);
        stack.push(ints(BigInt(s)));
        break;
      }
      case 0x47: { // BINFLOAT (big-endian)
        need(8);
        stack.push(dv.getFloat64(p, false));
        p += 8;
        break;
      }
      case 0x46: { // FLOAT (text)
        const s = line();
        const v = Number(s);
        if (Number.isNaN(v) && !/nan/i.test(s)) fail(`bad FLOAT '${s}' at byte ${at}`);
        stack.push(v);
        break;
      }
      case 0x58: stack.push(dec.decode(take(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(dec.decode(take(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(dec.decode(take(u64()))); break; // BINUNICODE8
      case 0x54: stack.push(latin1.decode(take(i32()))); break; // BINSTRING (py2 str)
      case 0x55: stack.push(latin1.decode(take(u8()))); break; // SHORT_BINSTRING
      case 0x42: stack.push(take(u32()).slice()); break; // BINBYTES
      case 0x43: stack.push(take(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: stack.push(take(u64()).slice()); break; // BINBYTES8
      case 0x96: stack.push(take(u64()).slice()); break; // BYTEARRAY8
      case 0x56: stack.push(line()); break; // UNICODE (raw-unicode-escape; ASCII in practice)
      case 0x53: { // STRING (quoted repr)
        const s = line();
        const m = /^(['"])(.*)\1$/.exec(s);
        if (!m) fail(`bad STRING at byte ${at}`);
        stack.push(m[2]);
        break;
      }
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x7d: stack.push(new Map<PyValue<O>, PyValue<O>>()); break; // EMPTY_DICT
      case 0x29: stack.push(tuple([])); break; // EMPTY_TUPLE
      case 0x8f: stack.push(new Map<PyValue<O>, PyValue<O>>()); break; // EMPTY_SET (as a map of its items; never read by callers)
      case 0x6c: stack.push(popMark().map(asValue)); break; // LIST
      case 0x74: stack.push(tuple(popMark().map(asValue))); break; // TUPLE
      case 0x85: stack.push(tuple([asValue(pop())])); break; // TUPLE1
      case 0x86: { // TUPLE2
        const b = pop();
        const a = pop();
        stack.push(tuple([asValue(a), asValue(b)]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(tuple([asValue(a), asValue(b), asValue(c)]));
        break;
      }
      case 0x64: { // DICT
        const d = new Map<PyValue<O>, PyValue<O>>();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x61: { // APPEND
        const v = pop();
        append(top(), [v]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x90: { // ADDITEMS (sets: kept as a map)
        const items = popMark();
        const s = top();
        if (!(s instanceof Map)) fail(`ADDITEMS on a non-set at byte ${at}`);
        for (const x of items) s.set(asValue(x), true);
        break;
      }
      case 0x91: stack.push(new Map<PyValue<O>, PyValue<O>>(popMark().map((x) => [asValue(x), true]))); break; // FROZENSET
      case 0x70: memo.set(Number(line()), top()); break; // PUT
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x67: case 0x68: case 0x6a: { // GET, BINGET, LONG_BINGET
        const k = op === 0x67 ? Number(line()) : op === 0x68 ? u8() : u32();
        const v = memo.get(k);
        if (v === undefined) fail(`memo key ${k} unset at byte ${at}`);
        stack.push(v);
        break;
      }
      case 0x63: { // GLOBAL "module\nname\n"
        const module = line();
        const name = line();
        stack.push(findGlobal(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail(`STACK_GLOBAL with non-string names at byte ${at}`);
        stack.push(findGlobal(module, name));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const f = pop();
        stack.push(call(f, args));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        const cls = pop();
        stack.push(call(cls, args));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        pop(); // kwargs
        const args = pop();
        const cls = pop();
        stack.push(call(cls, args));
        break;
      }
      case 0x62: { // BUILD
        const state = asValue(pop());
        const obj = pop();
        const maker = typeof obj === 'object' && obj !== null ? (obj as { [BUILT_BY]?: PyGlobal<O> })[BUILT_BY] : undefined;
        if (obj instanceof Map && !maker) {
          // BUILD on a dict made by a whitelisted constructor (OrderedDict's __dict__, e.g. state_dict._metadata): ignored
          if (!builtMaps.has(obj)) fail(`BUILD on a plain dict at byte ${at}`);
          stack.push(obj);
        } else if (maker?.build && !isGlobal(obj)) stack.push(maker.build(obj, state));
        else fail(`BUILD (setting object state) on a value that does not take it, at byte ${at}`);
        break;
      }
      case 0x51: { // BINPERSID
        const pid = asValue(pop());
        if (!opts.persistentLoad) fail('persistent ids are not allowed here');
        stack.push(opts.persistentLoad(pid));
        break;
      }
      case 0x50: { // PERSID
        const pid = line();
        if (!opts.persistentLoad) fail('persistent ids are not allowed here');
        stack.push(opts.persistentLoad(pid));
        break;
      }
      case 0x82: case 0x83: case 0x84:
        fail(`extension-registry opcode EXT at byte ${at} is refused`);
        break;
      case 0x97: case 0x98:
        fail(`out-of-band buffer opcode at byte ${at} is refused`);
        break;
      case 0x69: // INST
      case 0x6f: // OBJ
        fail(`INST/OBJ opcode at byte ${at} (constructing an arbitrary class) is refused`);
        break;
      default:
        fail(`unknown pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}`);
    }
  }
}

/** A name from a (possibly hostile) pickle for a message: quoted, control characters escaped, at most 80 characters. */
export function printable(name: string): string {
  const cut = name.length > 80 ? name.slice(0, 77) + '...' : name;
  return /^[\x20-\x7e]*$/.test(cut) ? `'${cut}'` : JSON.stringify(cut).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Marks a value as made by a global whose `build` handles BUILD on it. */
export const BUILT_BY = Symbol('builtBy');
/** Dicts made by a whitelisted constructor (OrderedDict): BUILD on them sets attributes wgpt ignores. */
const builtMaps = new WeakSet<object>();
/** A dict as OrderedDict() makes it (BUILD on it — state_dict._metadata — is accepted and ignored). */
export function orderedDict<O extends PyObject = never>(items?: PyValue<O>): Map<PyValue<O>, PyValue<O>> {
  const m = new Map<PyValue<O>, PyValue<O>>();
  for (const kv of (items === undefined ? undefined : sequence(items)) ?? []) {
    const pair = sequence(kv);
    if (pair?.length === 2) m.set(pair[0], pair[1]);
  }
  builtMaps.add(m);
  return m;
}
