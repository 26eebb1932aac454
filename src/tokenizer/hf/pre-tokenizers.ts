// tokenizer.json pre-tokenizers, a registry keyed by the JSON "type": ByteLevel, Whitespace, WhitespaceSplit, Metaspace,
// Punctuation, Digits, Split, CharDelimiterSplit, BertPreTokenizer, FixedLength, UnicodeScripts, Sequence — each maps pieces of normalized text to
// smaller pieces as Hugging Face tokenizers 0.23.2 does (its NormalizedString::split behaviours). Browser-safe.
// A piece remembers whether it starts the input (offset 0), which Metaspace's prepend_scheme "first" reads.
// Leaves out: offsets.
import { BYTE_CHAR } from '../bpe.js';
import { PUNCT } from '../bert-text.js';
import { HF_PATTERN } from './onig.js';
import { readPattern } from './normalizers.js';
import { NUMERIC_EXTRA, NUMERIC_NOT, SCRIPT_ANY, SCRIPT_CODES, SCRIPT_FIX } from './unicode.js';
import { type Builder, type Span, type SplitBehavior, Reader, SPLIT_BEHAVIORS, WHITESPACE, WORD_CLASS, build, charSpans, regexSpans, splitSpans } from './read.js';

export interface Piece {
  s: string;
  /** the piece starts at offset 0 of the text being encoded */
  first: boolean;
}
export type PreTokenize = (pieces: Piece[]) => Piece[];
const identity: PreTokenize = (p) => p;

/** Splits every piece by `spans` and `behavior`; empty pieces are dropped (PreTokenizedString::split). */
function splitEach(pieces: Piece[], spans: (s: string) => Span[], behavior: SplitBehavior): Piece[] {
  const out: Piece[] = [];
  for (const p of pieces) {
    for (const [a, b] of splitSpans(spans(p.s), behavior)) if (b > a) out.push({ s: p.s.slice(a, b), first: p.first && a === 0 });
  }
  return out;
}

const isSpace = (c: string) => WHITESPACE.test(c);
const PUNCT_RE = new RegExp(PUNCT, 'v');
const isPunct = (c: string) => PUNCT_RE.test(c);
// char::is_numeric: Node's \p{N} with Hugging Face's differences (none for Node 20.20, see ./unicode.ts)
const NUMERIC = new RegExp(`[[\\p{N}--[${NUMERIC_NOT || '\\u{10FFFF}'}]]${NUMERIC_EXTRA}]`, 'v');
const isNumeric = (c: string) => NUMERIC.test(c);
const WHITESPACE_RE = new RegExp(`${WORD_CLASS}+|[^${WORD_CLASS}\\p{White_Space}]+`, 'gv');
const BYTELEVEL_RE = new RegExp(HF_PATTERN, 'gv');
const UTF8 = new TextEncoder();

function behavior(o: Record<string, unknown>, r: Reader, p: string, def: SplitBehavior): SplitBehavior {
  const b = o.behavior;
  if (b === undefined || b === null) return def;
  if (typeof b === 'string' && (SPLIT_BEHAVIORS as string[]).includes(b)) return b as SplitBehavior;
  r.bad(`${p}.behavior`, `expected one of ${SPLIT_BEHAVIORS.join(', ')}, got ${JSON.stringify(b)}`);
  return def;
}

/** the ByteLevel pre-tokenizer (also the decoder's and post-processor's options) */
export function byteLevel(addPrefixSpace: boolean, useRegex: boolean): PreTokenize {
  return (pieces) => {
    const out: Piece[] = [];
    for (const p0 of pieces) {
      const p = addPrefixSpace && !p0.s.startsWith(' ') ? { s: ' ' + p0.s, first: p0.first } : p0;
      const parts = useRegex ? splitEach([p], (s) => regexSpans(BYTELEVEL_RE, s), 'Isolated') : p.s === '' ? [] : [p];
      for (const q of parts) {
        let t = '';
        for (const b of UTF8.encode(q.s)) t += BYTE_CHAR[b];
        out.push({ s: t, first: q.first });
      }
    }
    return out;
  };
}

// ---- UnicodeScripts: a piece splits where the script changes (Hugging Face's fixed_script: Hiragana, Katakana and
// U+30FC count as Han; its space and the chars its table lacks are Any, which neither splits nor changes the script) ----
const ANY = -1;
let scriptRes: RegExp[] | null = null;
let anyRe: RegExp | null = null;
const scriptFix = new Map<number, number>();
const scriptAlias = new Map<number, number>();
const scriptCache = new Map<number, number>();
function scriptOf(cp: number): number {
  let s = scriptCache.get(cp);
  if (s !== undefined) return s;
  if (!scriptRes) {
    const codes = SCRIPT_CODES.split(' ');
    scriptRes = codes.map((c) => new RegExp(`^\\p{sc=${c}}$`, 'u'));
    anyRe = new RegExp(`^[${SCRIPT_ANY}]$`, 'u');
    for (const m of SCRIPT_FIX.matchAll(/(.)([A-Z][a-z]{3})/gu)) scriptFix.set(m[1].codePointAt(0)!, codes.indexOf(m[2]));
    scriptFix.set(0x30fc, codes.indexOf('Hani'));
    for (const k of ['Hira', 'Kana']) scriptAlias.set(codes.indexOf(k), codes.indexOf('Hani'));
  }
  const ch = String.fromCodePoint(cp);
  if (anyRe!.test(ch)) s = ANY;
  else if (scriptFix.has(cp)) s = scriptFix.get(cp)!;
  else {
    s = scriptRes.findIndex((re) => re.test(ch));
    s = scriptAlias.get(s) ?? s;
  }
  if (scriptCache.size > 100_000) scriptCache.clear();
  scriptCache.set(cp, s);
  return s;
}

function unicodeScripts(ps: Piece[]): Piece[] {
  const out: Piece[] = [];
  for (const q of ps) {
    const cuts: number[] = [];
    let last: number | null = null;
    let i = 0;
    for (const c of q.s) {
      const s = scriptOf(c.codePointAt(0)!);
      if (s !== ANY && last !== s) cuts.push(i);
      if (s !== ANY) last = s;
      i += c.length;
    }
    // pieces run from one cut to the next: text before the first non-Any char is dropped, as in Hugging Face
    cuts.push(q.s.length);
    for (let k = 0; k + 1 < cuts.length; k++) if (cuts[k + 1] > cuts[k]) out.push({ s: q.s.slice(cuts[k], cuts[k + 1]), first: q.first && cuts[k] === 0 });
  }
  return out;
}

export const PRE_TOKENIZERS: Record<string, Builder<PreTokenize>> = {
  UnicodeScripts: () => unicodeScripts,
  ByteLevel: (o, r, p) => byteLevel(r.bool(o, 'add_prefix_space', p, true), r.bool(o, 'use_regex', p, true)),
  Whitespace: () => (ps) => splitEach(ps, (s) => regexSpans(WHITESPACE_RE, s, true), 'Removed'),
  WhitespaceSplit: () => (ps) => splitEach(ps, (s) => charSpans(isSpace, s), 'Removed'),
  BertPreTokenizer: () => (ps) => splitEach(splitEach(ps, (s) => charSpans(isSpace, s), 'Removed'), (s) => charSpans(isPunct, s), 'Isolated'),
  Punctuation: (o, r, p) => {
    const b = behavior(o, r, p, 'Isolated');
    return (ps) => splitEach(ps, (s) => charSpans(isPunct, s), b);
  },
  Digits: (o, r, p) => {
    const b: SplitBehavior = r.bool(o, 'individual_digits', p, false) ? 'Isolated' : 'Contiguous';
    return (ps) => splitEach(ps, (s) => charSpans(isNumeric, s), b);
  },
  CharDelimiterSplit: (o, r, p) => {
    const d = r.str(o, 'delimiter', p, ' ');
    if ([...d].length !== 1) r.bad(`${p}.delimiter`, `expected one char, got ${JSON.stringify(d)}`);
    return (ps) => splitEach(ps, (s) => charSpans((c) => c === d, s), 'Removed');
  },
  Split: (o, r, p) => {
    const re = readPattern(o.pattern, r, `${p}.pattern`);
    const b = behavior(o, r, p, 'Isolated');
    const invert = r.bool(o, 'invert', p, false);
    if (!re) return identity;
    // an empty String pattern matches nothing: the whole piece is one non-match
    const spans = re.source === '(?:)' ? (s: string): Span[] => [[0, s.length, invert]] : (s: string) => regexSpans(re, s, invert);
    return (ps) => splitEach(ps, spans, b);
  },
  Metaspace: (o, r, p) => {
    const rep = r.str(o, 'replacement', p, '\u2581');
    if ([...rep].length !== 1) r.bad(`${p}.replacement`, `expected one char, got ${JSON.stringify(rep)}`);
    let scheme = r.str(o, 'prepend_scheme', p, 'always');
    if (!['always', 'first', 'never'].includes(scheme)) {
      r.bad(`${p}.prepend_scheme`, `expected always, first or never, got ${JSON.stringify(scheme)}`);
      scheme = 'always';
    }
    // files from before prepend_scheme: add_prefix_space false means never
    if (o.add_prefix_space === false) scheme = 'never';
    const split = r.bool(o, 'split', p, true);
    return (ps) => {
      const out: Piece[] = [];
      for (const q of ps) {
        let s = q.s.replaceAll(' ', rep);
        if (!s.startsWith(rep) && (scheme === 'always' || (scheme === 'first' && q.first))) s = rep + s;
        const piece = { s, first: q.first };
        if (split) out.push(...splitEach([piece], (t) => charSpans((c) => c === rep, t), 'MergedWithNext'));
        else if (s !== '') out.push(piece);
      }
      return out;
    };
  },
  // chunks of `length` chars
  FixedLength: (o, r, p) => {
    const n = r.int(o, 'length', p, 5, 1);
    return (ps) =>
      ps.flatMap((q) => {
        const cs = Array.from(q.s);
        const out: Piece[] = [];
        for (let i = 0; i < cs.length; i += n) out.push({ s: cs.slice(i, i + n).join(''), first: q.first && i === 0 });
        return out;
      });
  },
  Sequence: (o, r, p) => {
    if (!Array.isArray(o.pretokenizers)) {
      r.bad(`${p}.pretokenizers`, 'expected an array');
      return identity;
    }
    const fs = (o.pretokenizers as unknown[]).map((x, i) => readPreTokenizer(x, r, `${p}.pretokenizers[${i}]`));
    return (ps) => fs.reduce((acc, f) => f(acc), ps);
  },
};

/** The pre-tokenizer of a tokenizer.json (null → the whole normalized text is one piece). */
export function readPreTokenizer(x: unknown, r: Reader, path = 'pre_tokenizer'): PreTokenize {
  if (x === null || x === undefined) return identity;
  return build(PRE_TOKENIZERS, 'pre-tokenizers', x, r, path, identity);
}
