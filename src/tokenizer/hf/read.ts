// Reading a tokenizer.json's components: a Reader collects every unsupported or malformed part (with its JSON path)
// so a file is refused once, naming all of them; the shared text helpers (Rust's char classes as JS regexes, the
// split behaviours of Hugging Face's NormalizedString::split). Browser-safe.
// Leaves out: offsets (wgpt returns ids and strings, never character spans).
import { L_NOT, N_NOT } from './onig.js';
import { WORD_EXTRA, WORD_NOT } from './unicode.js';

export type Json = Record<string, unknown>;

export const isObj = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Collects problems while a tokenizer.json is read; `done()` throws one line naming all of them. */
export class Reader {
  readonly unsupported: string[] = [];
  readonly malformed: string[] = [];
  constructor(readonly source: string) {}
  /** a part wgpt does not read (a component type, an option value) */
  refuse(path: string, what: string): void {
    this.unsupported.push(`${path} ${what}`);
  }
  /** a part that is not what Hugging Face writes */
  bad(path: string, what: string): void {
    this.malformed.push(`${path}: ${what}`);
  }
  get ok(): boolean {
    return this.unsupported.length === 0 && this.malformed.length === 0;
  }
  done(): void {
    if (this.ok) return;
    const parts: string[] = [];
    if (this.malformed.length) parts.push(`malformed: ${this.malformed.join('; ')}`);
    if (this.unsupported.length) parts.push(`not read by wgpt: ${this.unsupported.join('; ')}`);
    throw new Error(`${this.source}: ${parts.join('; ')}`);
  }
  /** an optional field: undefined/null → def; wrong type → bad and def */
  str(o: Json, k: string, path: string, def: string): string;
  str(o: Json, k: string, path: string, def: string | null): string | null;
  str(o: Json, k: string, path: string, def: string | null): string | null {
    const v = o[k];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'string') {
      this.bad(`${path}.${k}`, `expected a string, got ${JSON.stringify(v)}`);
      return def;
    }
    return v;
  }
  bool(o: Json, k: string, path: string, def: boolean): boolean {
    const v = o[k];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'boolean') {
      this.bad(`${path}.${k}`, `expected true or false, got ${JSON.stringify(v)}`);
      return def;
    }
    return v;
  }
  int(o: Json, k: string, path: string, def: number, min = 0): number {
    const v = o[k];
    if (v === undefined || v === null) return def;
    if (!Number.isInteger(v) || (v as number) < min) {
      this.bad(`${path}.${k}`, `expected an integer ≥ ${min}, got ${JSON.stringify(v)}`);
      return def;
    }
    return v as number;
  }
  /** the `type` of a component object, or null after recording why not */
  type(x: unknown, path: string): string | null {
    if (!isObj(x)) {
      this.bad(path, `expected an object, got ${JSON.stringify(x)?.slice(0, 40)}`);
      return null;
    }
    if (typeof x.type !== 'string') {
      this.bad(path, 'has no "type"');
      return null;
    }
    return x.type;
  }
}

/** A registry entry: reads a component's JSON (recording problems in the Reader) and returns it. */
export type Builder<T> = (o: Json, r: Reader, path: string) => T;

/** Looks up `o.type` in a registry; an unknown type is refused (with the types that are read) and `fallback` returned. */
export function build<T>(registry: Record<string, Builder<T>>, kind: string, x: unknown, r: Reader, path: string, fallback: T): T {
  const t = r.type(x, path);
  if (t === null) return fallback;
  const b = Object.hasOwn(registry, t) ? registry[t] : undefined;
  if (!b) {
    r.refuse(path, `type ${JSON.stringify(t)} (${kind} read: ${Object.keys(registry).join(', ')})`);
    return fallback;
  }
  return b(x as Json, r, path);
}

// ---- Rust's char classes, as Hugging Face tokenizers 0.23.2 sees them ----

/** char::is_whitespace (Unicode White_Space) */
export const WHITESPACE = /\p{White_Space}/u;
/** Rust regex's Unicode `\w`, for a `v`-flag RegExp, with Hugging Face's tables (./unicode.ts) */
export const WORD_CLASS = `[[[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}]--[${WORD_NOT}]]${WORD_EXTRA}]`;

/** Rust's char::to_lowercase applied char by char (no context rules such as Greek final sigma). */
export function lowerEachChar(s: string): string {
  let out = '';
  for (const c of s) out += c.toLowerCase();
  return out;
}

/**
 * Onig regex source (Split, Replace) → a JS RegExp source with the same meaning for the patterns real files carry:
 * `\s`/`\S` are Unicode White_Space, `.` stops only at \n, and with `sets` (a `v`-flag RegExp) `\p{L}`/`\p{N}` leave out
 * the letters and digits Node's Unicode 17 tables add over Hugging Face's.
 */
export function hfRegexSource(src: string, sets = false): string {
  let out = '';
  let inClass = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\' && i + 1 < src.length) {
      const d = src[i + 1];
      if (d === 's') out += '\\p{White_Space}';
      else if (d === 'S') out += inClass ? '\\P{White_Space}' : '[^\\p{White_Space}]';
      else if (sets && (d === 'p' || d === 'P') && /^\{(L|N|Letter|Number)\}/.test(src.slice(i + 2))) {
        const m = /^\{(\w+)\}/.exec(src.slice(i + 2))!;
        const not = m[1][0] === 'L' ? L_NOT : N_NOT;
        out += d === 'p' ? `[\\p{${m[1]}}--[${not}]]` : `[\\P{${m[1]}}${not}]`;
        i += m[0].length;
      } else out += c + d;
      i++;
    } else if (c === '[') {
      inClass++;
      out += c;
    } else if (c === ']' && inClass) {
      inClass--;
      out += c;
    } else if (c === '.' && !inClass) out += '[^\\n]';
    else out += c;
  }
  return out;
}

/** Compiles a Hugging Face (Oniguruma) regex pattern; when JavaScript cannot run it, it is refused by name (null). */
export function hfRegex(src: string, r: Reader, path: string): RegExp | null {
  try {
    return new RegExp(hfRegexSource(src, true), 'gv');
  } catch {
    // a pattern valid under `u` but not `v` (stricter class syntax): without the Unicode-17 subtraction
  }
  try {
    return new RegExp(hfRegexSource(src), 'gu');
  } catch (e) {
    r.refuse(path, `regex ${JSON.stringify(src)} (JavaScript cannot compile it: ${String((e as Error).message).split('\n')[0]})`);
    return null;
  }
}

/** Escapes a literal for a `u`-flag RegExp (where escaping `-` or `/` is an error). */
export function escapeU(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}


/** [start, end) in UTF-16 units, and whether it is a match of the pattern */
export type Span = [number, number, boolean];

/** Matches of a regex as alternating spans covering `s` (Hugging Face's Pattern::find_matches for a regex). */
export function regexSpans(re: RegExp, s: string, invert = false): Span[] {
  if (s === '') return [[0, 0, false]];
  const out: Span[] = [];
  let prev = 0;
  re.lastIndex = 0;
  for (const m of s.matchAll(re)) {
    const a = m.index!;
    const b = a + m[0].length;
    if (prev !== a) out.push([prev, a, invert]);
    out.push([a, b, !invert]);
    prev = b;
  }
  if (prev !== s.length) out.push([prev, s.length, invert]);
  return out;
}

/** Every char for which `pred` holds is one match (Pattern::find_matches for a char predicate). */
export function charSpans(pred: (c: string) => boolean, s: string, invert = false): Span[] {
  if (s === '') return [[0, 0, false]];
  const out: Span[] = [];
  let last = 0;
  let i = 0;
  for (const c of s) {
    const n = c.length;
    if (pred(c)) {
      if (last < i) out.push([last, i, invert]);
      out.push([i, i + n, !invert]);
      last = i + n;
    }
    i += n;
  }
  if (last < s.length) out.push([last, s.length, invert]);
  return out;
}

export type SplitBehavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';
export const SPLIT_BEHAVIORS: SplitBehavior[] = ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'];

/** NormalizedString::split: spans + behaviour → the [start, end) pieces kept (empty ones included; callers drop them). */
export function splitSpans(spans: Span[], behavior: SplitBehavior): [number, number][] {
  const out: [number, number][] = [];
  switch (behavior) {
    case 'Isolated':
      for (const [a, b] of spans) out.push([a, b]);
      break;
    case 'Removed':
      for (const [a, b, m] of spans) if (!m) out.push([a, b]);
      break;
    case 'Contiguous': {
      let prev = false;
      for (const [a, b, m] of spans) {
        if (m === prev && out.length) out[out.length - 1][1] = b;
        else out.push([a, b]);
        prev = m;
      }
      break;
    }
    case 'MergedWithPrevious': {
      let prev = false;
      for (const [a, b, m] of spans) {
        if (m && !prev && out.length) out[out.length - 1][1] = b;
        else out.push([a, b]);
        prev = m;
      }
      break;
    }
    case 'MergedWithNext': {
      let prev = false;
      for (let k = spans.length - 1; k >= 0; k--) {
        const [a, b, m] = spans[k];
        if (m && !prev && out.length) out[out.length - 1][0] = a;
        else out.push([a, b]);
        prev = m;
      }
      out.reverse();
      break;
    }
  }
  return out;
}
