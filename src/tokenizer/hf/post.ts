// tokenizer.json post-processors and decoders, registries keyed by the JSON "type". Post-processors: TemplateProcessing,
// BertProcessing, RobertaProcessing, ByteLevel (ids unchanged), Sequence — the special tokens, type ids and special-token
// masks Hugging Face tokenizers 0.23.2 adds. Decoders: ByteLevel, WordPiece, Metaspace, BPEDecoder, Replace, Strip,
// Fuse, ByteFallback, CTC, Sequence — each turns token strings into token strings (decode_chain), then joined. Browser-safe.
// Leaves out: offsets (trim_offsets only moves offsets), overflowing encodings.
import { BYTE_CHAR } from '../bpe.js';
import { cleanupTokenization } from '../wordpiece.js';
import { readPattern } from './normalizers.js';
import { type Builder, type Json, Reader, build, isObj } from './read.js';

/** One sequence's (or one special piece's) part of an encoding. */
export interface Part {
  ids: number[];
  tokens: string[];
  typeIds: number[];
  /** 1 for tokens a post-processor added */
  special: number[];
}

export interface PostProcess {
  /** special tokens added to one sequence (false) or a pair (true) */
  added(pair: boolean): number;
  /** the parts (one per input sequence) → parts, concatenated afterwards */
  process(parts: Part[], addSpecial: boolean): Part[];
}

/** No post-processor: the sequences as they are (type ids 0 and 1). */
export const NO_POST: PostProcess = { added: () => 0, process: (p) => p };

const specialPart = (ids: number[], tokens: string[], type: number): Part => ({ ids, tokens, typeIds: ids.map(() => type), special: ids.map(() => 1) });
const withType = (p: Part, t: number): Part => ({ ...p, typeIds: p.ids.map(() => t) });

function tokenPair(x: unknown, r: Reader, path: string, check: (t: string, id: number, path: string) => void): [string, number] {
  if (Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && Number.isInteger(x[1])) {
    check(x[0], x[1] as number, path);
    return [x[0], x[1] as number];
  }
  r.bad(path, 'expected [token, id]');
  return ['', 0];
}

type Check = (token: string, id: number, path: string) => void;
type PostBuilder = (o: Json, r: Reader, p: string, check: Check) => PostProcess;

export const POST_PROCESSORS: Record<string, PostBuilder> = {
  BertProcessing: (o, r, p, check) => {
    const [clsT, cls] = tokenPair(o.cls, r, `${p}.cls`, check);
    const [sepT, sep] = tokenPair(o.sep, r, `${p}.sep`, check);
    return {
      added: (pair) => (pair ? 3 : 2),
      process(parts, add) {
        if (!add) return parts;
        return parts.flatMap((q, i) =>
          i === 0 ? [specialPart([cls], [clsT], 0), q, specialPart([sep], [sepT], 0)] : [q, specialPart([sep], [sepT], 1)],
        );
      },
    };
  },
  RobertaProcessing: (o, r, p, check) => {
    const [clsT, cls] = tokenPair(o.cls, r, `${p}.cls`, check);
    const [sepT, sep] = tokenPair(o.sep, r, `${p}.sep`, check);
    return {
      added: (pair) => (pair ? 4 : 2),
      process(parts0, add) {
        // every type id is 0, with or without special tokens
        const parts = parts0.map((q) => withType(q, 0));
        if (!add) return parts;
        return parts.flatMap((q, i) => [specialPart([i === 0 ? cls : sep], [i === 0 ? clsT : sepT], 0), q, specialPart([sep], [sepT], 0)]);
      },
    };
  },
  ByteLevel: () => NO_POST,
  TemplateProcessing: (o, r, p, check) => {
    const specials = new Map<string, { ids: number[]; tokens: string[] }>();
    if (isObj(o.special_tokens)) {
      for (const [k, v] of Object.entries(o.special_tokens)) {
        if (isObj(v) && Array.isArray(v.ids) && Array.isArray(v.tokens) && v.ids.length === v.tokens.length && v.ids.every((x) => Number.isInteger(x)) && v.tokens.every((x) => typeof x === 'string')) {
          (v.ids as number[]).forEach((id, i) => check((v.tokens as string[])[i], id, `${p}.special_tokens.${k}`));
          specials.set(k, { ids: v.ids as number[], tokens: v.tokens as string[] });
        } else r.bad(`${p}.special_tokens.${k}`, 'expected {"id", "ids": [...], "tokens": [...]}');
      }
    } else if (o.special_tokens !== undefined) r.bad(`${p}.special_tokens`, 'expected an object');
    type Piece = { seq: 0 | 1; type: number } | { special: string; type: number };
    const readTemplate = (x: unknown, path: string): Piece[] => {
      if (!Array.isArray(x)) {
        r.bad(path, 'expected an array of pieces');
        return [];
      }
      return x.map((e, i): Piece => {
        if (isObj(e) && isObj(e.Sequence) && (e.Sequence.id === 'A' || e.Sequence.id === 'B') && Number.isInteger(e.Sequence.type_id)) {
          return { seq: e.Sequence.id === 'A' ? 0 : 1, type: e.Sequence.type_id as number };
        }
        if (isObj(e) && isObj(e.SpecialToken) && typeof e.SpecialToken.id === 'string' && Number.isInteger(e.SpecialToken.type_id)) {
          if (!specials.has(e.SpecialToken.id)) r.bad(`${path}[${i}]`, `special token ${JSON.stringify(e.SpecialToken.id)} is not in special_tokens`);
          return { special: e.SpecialToken.id, type: e.SpecialToken.type_id as number };
        }
        r.bad(`${path}[${i}]`, 'expected {"Sequence": {"id", "type_id"}} or {"SpecialToken": {"id", "type_id"}}');
        return { special: '', type: 0 };
      });
    };
    const single = readTemplate(o.single, `${p}.single`);
    const pair = readTemplate(o.pair, `${p}.pair`);
    const count = (t: Piece[]) => t.reduce((n, x) => n + ('special' in x ? (specials.get(x.special)?.ids.length ?? 0) : 0), 0);
    return {
      added: (isPair) => count(isPair ? pair : single),
      process(parts, add) {
        const t = parts.length === 2 ? pair : single;
        const out: Part[] = [];
        for (const x of t) {
          if ('seq' in x) {
            if (parts[x.seq]) out.push(withType(parts[x.seq], x.type));
          } else if (add) {
            const s = specials.get(x.special);
            if (s) out.push(specialPart(s.ids, s.tokens, x.type));
          }
        }
        return out;
      },
    };
  },
  Sequence: (o, r, p, check) => {
    if (!Array.isArray(o.processors)) {
      r.bad(`${p}.processors`, 'expected an array');
      return NO_POST;
    }
    const ps = (o.processors as unknown[]).map((x, i) => readPostProcessor(x, r, check, `${p}.processors[${i}]`));
    return {
      added: (pair) => ps.reduce((n, q) => n + q.added(pair), 0),
      process: (parts, add) => ps.reduce((acc, q) => q.process(acc, add), parts),
    };
  },
};

/** The post-processor of a tokenizer.json; `check` validates each (token, id) it names against the vocabulary. */
export function readPostProcessor(x: unknown, r: Reader, check: Check, path = 'post_processor'): PostProcess {
  if (x === null || x === undefined) return NO_POST;
  const reg: Record<string, Builder<PostProcess>> = {};
  for (const [k, f] of Object.entries(POST_PROCESSORS)) reg[k] = (o, rr, p) => f(o, rr, p, check);
  return build(reg, 'post-processors', x, r, path, NO_POST);
}

// ---- decoders ----

export type DecodeChain = (tokens: string[]) => string[];
/** No decoder: tokens joined by spaces. */
export const NO_DECODER: DecodeChain = (t) => (t.length ? [t.join(' ')] : []);

const CHAR_BYTE = new Map<string, number>(BYTE_CHAR.map((c, b) => [c, b]));
const UTF8_LOSSY = new TextDecoder('utf-8', { ignoreBOM: true });
const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UTF8 = new TextEncoder();

export const DECODERS: Record<string, Builder<DecodeChain>> = {
  ByteLevel: () => (tokens) => {
    const bytes: number[] = [];
    for (const t of tokens) {
      const bs: number[] = [];
      let ok = true;
      for (const c of t) {
        const b = CHAR_BYTE.get(c);
        if (b === undefined) {
          ok = false;
          break;
        }
        bs.push(b);
      }
      if (ok) bytes.push(...bs);
      else bytes.push(...UTF8.encode(t));
    }
    return [UTF8_LOSSY.decode(Uint8Array.from(bytes))];
  },
  WordPiece: (o, r, p) => {
    const prefix = r.str(o, 'prefix', p, '##');
    const cleanup = r.bool(o, 'cleanup', p, true);
    return (tokens) =>
      tokens.map((t0, i) => {
        let t = t0;
        if (i !== 0) t = t.startsWith(prefix) ? t.slice(prefix.length) : ' ' + t;
        return cleanup ? cleanupTokenization(t) : t;
      });
  },
  Metaspace: (o, r, p) => {
    const rep = r.str(o, 'replacement', p, '\u2581');
    let scheme = r.str(o, 'prepend_scheme', p, 'always');
    if (o.add_prefix_space === false) scheme = 'never';
    return (tokens) => tokens.map((t, i) => Array.from(t, (c) => (c === rep ? (i === 0 && scheme !== 'never' ? '' : ' ') : c)).join(''));
  },
  BPEDecoder: (o, r, p) => {
    const suffix = r.str(o, 'suffix', p, '</w>');
    return (tokens) => tokens.map((t, i) => (suffix === '' ? t : t.replaceAll(suffix, i === tokens.length - 1 ? '' : ' ')));
  },
  Replace: (o, r, p) => {
    const re = readPattern(o.pattern, r, `${p}.pattern`);
    const content = r.str(o, 'content', p, '');
    if (!re || re.source === '(?:)') return (t) => t;
    return (tokens) => tokens.map((t) => t.replace(re, () => content));
  },
  Strip: (o, r, p) => {
    const content = r.str(o, 'content', p, ' ');
    const start = r.int(o, 'start', p, 0);
    const stop = r.int(o, 'stop', p, 0);
    return (tokens) =>
      tokens.map((t) => {
        const cs = Array.from(t);
        let a = 0;
        for (let i = 0; i < Math.min(start, cs.length); i++) {
          if (cs[i] === content) a = i + 1;
          else break;
        }
        let b = cs.length;
        for (let i = 0; i < stop && i < cs.length; i++) {
          const k = cs.length - i - 1;
          if (cs[k] === content) b = k;
          else break;
        }
        return cs.slice(a, Math.max(a, b)).join('');
      });
  },
  Fuse: () => (tokens) => [tokens.join('')],
  ByteFallback: () => (tokens) => {
    const out: string[] = [];
    let pending: number[] = [];
    const flush = () => {
      if (!pending.length) return;
      try {
        out.push(UTF8_STRICT.decode(Uint8Array.from(pending)));
      } catch {
        for (let i = 0; i < pending.length; i++) out.push('\uFFFD');
      }
      pending = [];
    };
    for (const t of tokens) {
      const m = t.length === 6 ? /^<0x([0-9A-Fa-f]{2})>$/.exec(t) : null;
      if (m) pending.push(parseInt(m[1], 16));
      else {
        flush();
        out.push(t);
      }
    }
    flush();
    return out;
  },
  CTC: (o, r, p) => {
    const pad = r.str(o, 'pad_token', p, '<pad>');
    const delim = r.str(o, 'word_delimiter_token', p, '|');
    const cleanup = r.bool(o, 'cleanup', p, true);
    return (tokens) => {
      const out: string[] = [];
      tokens.forEach((t, i) => {
        if (i > 0 && tokens[i - 1] === t) return; // dedup
        let s = pad === '' ? t : t.replaceAll(pad, '');
        if (cleanup) s = cleanupTokenization(s).replaceAll(delim, ' ');
        if (s !== '') out.push(s);
      });
      return out;
    };
  },
  Sequence: (o, r, p) => {
    if (!Array.isArray(o.decoders)) {
      r.bad(`${p}.decoders`, 'expected an array');
      return (t) => t;
    }
    const ds = (o.decoders as unknown[]).map((x, i) => readDecoder(x, r, `${p}.decoders[${i}]`));
    return (tokens) => ds.reduce((acc, d) => d(acc), tokens);
  },
};

/** The decoder of a tokenizer.json (null → tokens joined by spaces). */
export function readDecoder(x: unknown, r: Reader, path = 'decoder'): DecodeChain {
  if (x === null || x === undefined) return NO_DECODER;
  return build(DECODERS, 'decoders', x, r, path, NO_DECODER);
}
