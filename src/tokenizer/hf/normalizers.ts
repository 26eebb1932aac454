// tokenizer.json normalizers, a registry keyed by the JSON "type": BertNormalizer, NFC/NFD/NFKC/NFKD, Lowercase,
// StripAccents, Replace, Prepend, Strip, Precompiled (SentencePiece's charsmap, read with sentencepiece.ts's trie),
// Nmt, ByteLevel, Sequence — each a function text → text that does what Hugging Face tokenizers 0.23.2 does.
// Browser-safe. Leaves out: alignments (offsets).
import { bertNormalizer } from '../bert-text.js';
import { DoubleArray } from '../sentencepiece.js';
import { BYTE_CHAR } from '../bpe.js';
import { NFC_NOT, NFD_NOT, NFKC_NOT, NFKD_NOT, STRIP_EXTRA, STRIP_NOT } from './unicode.js';
import { type Builder, type Json, Reader, WHITESPACE, build, escapeU, hfRegex, isObj, lowerEachChar } from './read.js';

export type Normalize = (s: string) => string;
const identity: Normalize = (s) => s;

/** ReplacePattern: {"String": s} | {"Regex": r} → a global RegExp, or null (problem recorded) */
export function readPattern(x: unknown, r: Reader, path: string): RegExp | null {
  if (isObj(x) && typeof x.String === 'string') return new RegExp(escapeU(x.String), 'gu');
  if (isObj(x) && typeof x.Regex === 'string') return hfRegex(x.Regex, r, path);
  r.bad(path, `expected {"String": …} or {"Regex": …}, got ${JSON.stringify(x)?.slice(0, 60)}`);
  return null;
}

/** A pattern that matches nothing: Hugging Face's empty String pattern */
function replaceAll(re: RegExp, content: string): Normalize {
  if (re.source === '(?:)') return identity;
  return (s) => s.replace(re, () => content);
}

/** spm_precompiled's normalizer: per grapheme (< 6 bytes) the shortest charsmap key that prefixes it, else per char. */
function precompiled(b64: string, r: Reader, path: string): Normalize {
  if (b64 === '') return identity;
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    r.bad(`${path}.precompiled_charsmap`, 'not base64');
    return identity;
  }
  if (bytes.length <= 4) {
    r.bad(`${path}.precompiled_charsmap`, `${bytes.length} bytes: too short for a charsmap`);
    return identity;
  }
  const trieBytes = new DataView(bytes.buffer, 0, 4).getUint32(0, true);
  if (trieBytes % 4 !== 0 || 4 + trieBytes > bytes.length) {
    r.bad(`${path}.precompiled_charsmap`, `trie of ${trieBytes} bytes in a ${bytes.length}-byte blob`);
    return identity;
  }
  const units = new Uint32Array(trieBytes / 4);
  const dv = new DataView(bytes.buffer, 4, trieBytes);
  for (let i = 0; i < units.length; i++) units[i] = dv.getUint32(i * 4, true);
  const trie = new DoubleArray(units);
  const strings = bytes.subarray(4 + trieBytes);
  const enc = new TextEncoder();
  const dec = new TextDecoder('utf-8', { fatal: true });
  const memo = new Map<string, string | null>();
  const transform = (chunk: string): string | null => {
    let v = memo.get(chunk);
    if (v !== undefined) return v;
    const b = enc.encode(chunk);
    const hits = trie.commonPrefixSearch(b, 0, b.length);
    v = null;
    if (hits.length) {
      const at = hits[0];
      let e = at;
      while (e < strings.length && strings[e] !== 0) e++;
      try {
        v = dec.decode(strings.subarray(at, e));
      } catch {
        v = null;
      }
    }
    memo.set(chunk, v);
    return v;
  };
  const seg = new Intl.Segmenter('und', { granularity: 'grapheme' });
  return (s) => {
    let out = '';
    for (const { segment: g } of seg.segment(s)) {
      if (enc.encode(g).length < 6) {
        const t = transform(g);
        if (t !== null) {
          out += t;
          continue;
        }
      }
      for (const c of g) out += transform(c) ?? c;
    }
    return out;
  };
}

// Hugging Face's tables are older than Node's: the chars they disagree on (./unicode.ts) are left as Hugging Face leaves them
const NMT_DROP = /[\u0001-\u0008\u000B\u000E-\u001F\u007F\u008F\u009F]/g;
const NMT_SPACE = /[\t\n\f\r\u1680\u200B-\u200F\u2028\u2029\u2581\uFEFF\uFFFD]/g;
const UTF8 = new TextEncoder();
const MARK = new RegExp(`[[\\p{M}--[${STRIP_NOT}]]${STRIP_EXTRA}]`, 'gv');
const form = (f: 'NFC' | 'NFD' | 'NFKC' | 'NFKD', not: string): Normalize => {
  if (not === '') return (s) => s.normalize(f);
  const run = new RegExp(`[^${not}]+`, 'gu');
  return (s) => s.replace(run, (x) => x.normalize(f));
};

export const NORMALIZERS: Record<string, Builder<Normalize>> = {
  BertNormalizer: (o, r, p) => {
    const lowercase = r.bool(o, 'lowercase', p, true);
    const sa = o.strip_accents;
    if (sa !== undefined && sa !== null && typeof sa !== 'boolean') r.bad(`${p}.strip_accents`, 'expected true, false or null');
    return bertNormalizer({
      cleanText: r.bool(o, 'clean_text', p, true),
      handleChineseChars: r.bool(o, 'handle_chinese_chars', p, true),
      stripAccents: typeof sa === 'boolean' ? sa : null,
      lowercase,
    });
  },
  NFC: () => form('NFC', NFC_NOT),
  NFD: () => form('NFD', NFD_NOT),
  NFKC: () => form('NFKC', NFKC_NOT),
  NFKD: () => form('NFKD', NFKD_NOT),
  Lowercase: () => lowerEachChar,
  StripAccents: () => (s) => s.replace(MARK, ''),
  Replace: (o, r, p) => {
    const re = readPattern(o.pattern, r, `${p}.pattern`);
    const content = r.str(o, 'content', p, '');
    return re ? replaceAll(re, content) : identity;
  },
  Prepend: (o, r, p) => {
    const pre = r.str(o, 'prepend', p, '');
    return (s) => (s === '' ? s : pre + s);
  },
  Strip: (o, r, p) => {
    const left = r.bool(o, 'strip_left', p, true);
    const right = r.bool(o, 'strip_right', p, true);
    return (s) => {
      const cs = Array.from(s);
      let a = 0;
      let b = cs.length;
      if (left) while (a < b && WHITESPACE.test(cs[a])) a++;
      if (right) while (b > a && WHITESPACE.test(cs[b - 1])) b--;
      return cs.slice(a, b).join('');
    };
  },
  Precompiled: (o, r, p) => {
    const v = o.precompiled_charsmap;
    if (v === null || v === undefined) return identity;
    if (typeof v !== 'string') {
      r.bad(`${p}.precompiled_charsmap`, 'expected a base64 string');
      return identity;
    }
    return precompiled(v, r, p);
  },
  // SentencePiece's nmt rules: ASCII controls dropped, other whitespace-like code points mapped to a space
  Nmt: () => (s) => s.replace(NMT_DROP, '').replace(NMT_SPACE, ' '),
  // every UTF-8 byte as its GPT-2 byte symbol (as the ByteLevel pre-tokenizer does, without splitting)
  ByteLevel: () => (s) => {
    let out = '';
    for (const b of UTF8.encode(s)) out += BYTE_CHAR[b];
    return out;
  },
  Sequence: (o, r, p) => {
    if (!Array.isArray(o.normalizers)) {
      r.bad(`${p}.normalizers`, 'expected an array');
      return identity;
    }
    const fs = (o.normalizers as unknown[]).map((n, i) => readNormalizer(n, r, `${p}.normalizers[${i}]`));
    return (s) => fs.reduce((acc, f) => f(acc), s);
  },
};

/** The normalizer of a tokenizer.json (null → none). */
export function readNormalizer(x: unknown, r: Reader, path = 'normalizer'): Normalize {
  if (x === null || x === undefined) return identity;
  return build(NORMALIZERS, 'normalizers', x, r, path, identity);
}

export type { Json };
