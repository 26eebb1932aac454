// tokenizer.json models, a registry keyed by the JSON "type": BPE (byte-level or not: merges by rank, unk_token with
// fuse_unk, byte_fallback, continuing_subword_prefix, end_of_word_suffix, ignore_merges; dropout null or 0), WordPiece
// (greedy longest match), WordLevel (whole pre-token lookup), Unigram (Viterbi best path, unknown chars fused into one
// unk, byte_fallback) — what Hugging Face tokenizers 0.23.2 does for one pre-token. Browser-safe.
// Leaves out: BPE dropout > 0 and Unigram sampling (random; refused), training (src/tokenizer/*-train.ts).
import { type Builder, type Json, Reader, build, isObj } from './read.js';
import { MAX_MERGES, mergeValue, mergeWord, pairKey } from '../merge.js';

export interface HfModel {
  /** the JSON type */
  readonly type: string;
  /** one pre-token → ids and their token strings, appended to `ids` / `tokens` */
  tokenize(word: string, ids: number[], tokens: string[]): void;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** largest id + 1 */
  readonly size: number;
}

const CACHE_LIMIT = 100_000;

/** token → id from model.vocab (an object), checking ids; also returns id → token */
function readVocabObject(x: unknown, r: Reader, path: string): { vocab: Map<string, number>; rev: string[] } {
  const vocab = new Map<string, number>();
  const rev: string[] = [];
  if (!isObj(x)) {
    r.bad(path, 'expected an object of token → id');
    return { vocab, rev };
  }
  for (const [t, id] of Object.entries(x)) {
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= 1 << 24) {
      r.bad(path, `${JSON.stringify(t)} has id ${JSON.stringify(id)}, not an integer in [0, 2^24)`);
      continue;
    }
    if (rev[id as number] !== undefined) {
      r.bad(path, `${JSON.stringify(rev[id as number])} and ${JSON.stringify(t)} share id ${id}`);
      continue;
    }
    vocab.set(t, id as number);
    rev[id as number] = t;
  }
  return { vocab, rev };
}

function cached(f: (w: string) => [number[], string[]]): (w: string, ids: number[], tokens: string[]) => void {
  const cache = new Map<string, [number[], string[]]>();
  return (w, ids, tokens) => {
    let hit = cache.get(w);
    if (!hit) {
      hit = f(w);
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(w, hit);
    }
    for (let i = 0; i < hit[0].length; i++) {
      ids.push(hit[0][i]);
      tokens.push(hit[1][i]);
    }
  };
}

const hex2 = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');
const UTF8 = new TextEncoder();

function readBpe(o: Json, r: Reader, p: string): HfModel {
  const { vocab, rev } = readVocabObject(o.vocab, r, `${p}.vocab`);
  const dropout = o.dropout;
  if (dropout !== undefined && dropout !== null && dropout !== 0) r.refuse(`${p}.dropout`, `${JSON.stringify(dropout)} (BPE dropout samples at random; wgpt reads dropout null)`);
  const unk = r.str(o, 'unk_token', p, null);
  const prefix = r.str(o, 'continuing_subword_prefix', p, null);
  const suffix = r.str(o, 'end_of_word_suffix', p, null);
  const fuseUnk = r.bool(o, 'fuse_unk', p, false);
  const byteFallback = r.bool(o, 'byte_fallback', p, false);
  const ignoreMerges = r.bool(o, 'ignore_merges', p, false);
  // merges: pair (a, b) → rank and the merged id; the merged token is a + b without b's first prefix_len bytes
  const merges = new Map<number, number>();
  if (!Array.isArray(o.merges)) r.bad(`${p}.merges`, 'expected an array');
  else if (o.merges.length > MAX_MERGES) r.bad(`${p}.merges`, `${o.merges.length} merges, more than the ${MAX_MERGES} this reader ranks exactly`);
  else {
    const prefixLen = prefix ?? '';
    (o.merges as unknown[]).forEach((m, rank) => {
      let a: string, b: string;
      if (typeof m === 'string') {
        const parts = m.split(' ');
        if (parts.length !== 2) return r.bad(`${p}.merges[${rank}]`, `${JSON.stringify(m)} is not two tokens separated by one space`);
        [a, b] = parts;
      } else if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') [a, b] = m as [string, string];
      else return r.bad(`${p}.merges[${rank}]`, 'expected "a b" or ["a", "b"]');
      const ia = vocab.get(a);
      const ib = vocab.get(b);
      // Rust drops prefix_len *bytes* of b whether or not b starts with the prefix
      const bBytes = UTF8.encode(b);
      const joined = a + new TextDecoder().decode(bBytes.subarray(Math.min(UTF8.encode(prefixLen).length, bBytes.length)));
      const n = vocab.get(joined);
      if (ia === undefined || ib === undefined || n === undefined) {
        return r.bad(`${p}.merges[${rank}]`, `${JSON.stringify(ia === undefined ? a : ib === undefined ? b : joined)} is not in the vocabulary`);
      }
      merges.set(pairKey(ia, ib), mergeValue(rank, n));
    });
  }
  const unkId = unk === null ? undefined : vocab.get(unk);
  const word = (w: string): [number[], string[]] => {
    if (ignoreMerges) {
      const id = vocab.get(w);
      if (id !== undefined) return [[id], [w]];
    }
    const chars = Array.from(w);
    const sym: number[] = [];
    let pendingUnk = false;
    const flushUnk = () => {
      if (pendingUnk) sym.push(unkId!);
      pendingUnk = false;
    };
    chars.forEach((c, i) => {
      let s = c;
      if (i > 0 && prefix !== null) s = prefix + s;
      if (i === chars.length - 1 && suffix !== null) s = s + suffix;
      const id = vocab.get(s);
      if (id !== undefined) {
        flushUnk();
        sym.push(id);
        return;
      }
      if (byteFallback) {
        const bs = Array.from(UTF8.encode(s), (b) => vocab.get(`<0x${hex2(b)}>`));
        if (bs.every((x) => x !== undefined)) {
          // Rust adds the byte tokens without flushing a pending unk first
          for (const x of bs) sym.push(x!);
          return;
        }
      }
      if (unk !== null) {
        if (unkId === undefined) throw new Error(`BPE: the unknown token ${JSON.stringify(unk)} is not in the vocabulary`);
        if (pendingUnk && !fuseUnk) sym.push(unkId);
        pendingUnk = true;
      }
    });
    flushUnk();
    const ids = mergeWord(sym, merges);
    return [ids, ids.map((i) => rev[i])];
  };
  const size = Math.max(rev.length, 0);
  return { type: 'BPE', tokenize: cached(word), tokenToId: (t) => vocab.get(t), idToToken: (i) => rev[i], size };
}

function readWordPiece(o: Json, r: Reader, p: string): HfModel {
  const { vocab, rev } = readVocabObject(o.vocab, r, `${p}.vocab`);
  const unk = r.str(o, 'unk_token', p, '[UNK]');
  const prefix = r.str(o, 'continuing_subword_prefix', p, '##');
  const maxChars = r.int(o, 'max_input_chars_per_word', p, 100, 1);
  const unkTok = (w: string): [number[], string[]] => {
    const id = vocab.get(unk);
    if (id === undefined) throw new Error(`WordPiece: the word ${JSON.stringify(w.slice(0, 40))} needs the unknown token ${JSON.stringify(unk)}, which is not in the vocabulary`);
    return [[id], [unk]];
  };
  const word = (w: string): [number[], string[]] => {
    const chars = Array.from(w);
    if (chars.length > maxChars) return unkTok(w);
    const at = [0];
    for (const c of chars) at.push(at[at.length - 1] + c.length);
    const ids: number[] = [];
    const toks: string[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: string | null = null;
      while (start < end) {
        let sub = w.slice(at[start], at[end]);
        if (start > 0) sub = prefix + sub;
        if (vocab.has(sub)) {
          found = sub;
          break;
        }
        end--;
      }
      if (found === null) return unkTok(w);
      ids.push(vocab.get(found)!);
      toks.push(found);
      start = end;
    }
    return [ids, toks];
  };
  return { type: 'WordPiece', tokenize: cached(word), tokenToId: (t) => vocab.get(t), idToToken: (i) => rev[i], size: rev.length };
}

function readWordLevel(o: Json, r: Reader, p: string): HfModel {
  const { vocab, rev } = readVocabObject(o.vocab, r, `${p}.vocab`);
  const unk = r.str(o, 'unk_token', p, '<unk>');
  return {
    type: 'WordLevel',
    tokenize(w, ids, tokens) {
      let id = vocab.get(w);
      let t = w;
      if (id === undefined) {
        id = vocab.get(unk);
        t = unk;
        if (id === undefined) throw new Error(`WordLevel: the word ${JSON.stringify(w.slice(0, 40))} is not in the vocabulary and neither is the unknown token ${JSON.stringify(unk)}`);
      }
      ids.push(id);
      tokens.push(t);
    },
    tokenToId: (t) => vocab.get(t),
    idToToken: (i) => rev[i],
    size: rev.length,
  };
}

function readUnigram(o: Json, r: Reader, p: string): HfModel {
  const pieces: [string, number][] = [];
  if (!Array.isArray(o.vocab)) r.bad(`${p}.vocab`, 'expected an array of [piece, score]');
  else
    (o.vocab as unknown[]).forEach((e, i) => {
      if (Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && typeof e[1] === 'number') pieces.push([e[0], e[1]]);
      else r.bad(`${p}.vocab[${i}]`, 'expected [piece, score]');
    });
  const unkId = o.unk_id === null || o.unk_id === undefined ? null : r.int(o, 'unk_id', p, 0);
  if (unkId !== null && unkId >= pieces.length) r.bad(`${p}.unk_id`, `${unkId} is not an id of the ${pieces.length}-piece vocabulary`);
  const byteFallback = r.bool(o, 'byte_fallback', p, false);
  const ids = new Map<string, number>();
  let minScore = Infinity;
  let maxChars = 1;
  pieces.forEach(([s, score], i) => {
    ids.set(s, i);
    if (score < minScore) minScore = score;
    maxChars = Math.max(maxChars, [...s].length);
  });
  const unkScore = minScore - 10;
  const word = (w: string): [number[], string[]] => {
    // best path over code points (sentencepiece's optimised Viterbi, as Unigram::encode_optimized)
    const cps = Array.from(w);
    const n = cps.length;
    const at = [0];
    for (const c of cps) at.push(at[at.length - 1] + c.length);
    const score = new Float64Array(n + 1);
    const from = new Int32Array(n + 1).fill(-1);
    const node = new Int32Array(n + 1);
    for (let s = 0; s < n; s++) {
      const base = score[s];
      let single = false;
      for (let len = 1; len <= maxChars && s + len <= n; len++) {
        const id = ids.get(w.slice(at[s], at[s + len]));
        if (id === undefined) continue;
        const c = pieces[id][1] + base;
        if (from[s + len] < 0 || c > score[s + len]) {
          score[s + len] = c;
          from[s + len] = s;
          node[s + len] = id;
        }
        if (len === 1) single = true;
      }
      if (!single) {
        if (unkId === null) throw new Error(`Unigram: ${JSON.stringify(cps[s])} is not in the vocabulary and the model has no unk_id`);
        const c = unkScore + base;
        if (from[s + 1] < 0 || c > score[s + 1]) {
          score[s + 1] = c;
          from[s + 1] = s;
          node[s + 1] = unkId;
        }
      }
    }
    // back-track; consecutive unknowns fuse into one string
    const strs: string[] = [];
    let unkRun = '';
    for (let e = n; e > 0; e = from[e]) {
      const s = from[e];
      const piece = w.slice(at[s], at[e]);
      if (node[e] === unkId) unkRun = piece + unkRun;
      else {
        if (unkRun) strs.push(unkRun);
        unkRun = '';
        strs.push(piece);
      }
    }
    if (unkRun) strs.push(unkRun);
    strs.reverse();
    const outIds: number[] = [];
    const outToks: string[] = [];
    for (const s of strs) {
      const id = ids.get(s);
      if (id !== undefined) {
        outIds.push(id);
        outToks.push(s);
        continue;
      }
      if (byteFallback) {
        const bs = Array.from(UTF8.encode(s), (b) => `<0x${hex2(b)}>`);
        if (bs.every((b) => ids.has(b))) {
          for (const b of bs) {
            outIds.push(ids.get(b)!);
            outToks.push(b);
          }
          continue;
        }
      }
      outIds.push(unkId!);
      outToks.push(s);
    }
    return [outIds, outToks];
  };
  return { type: 'Unigram', tokenize: cached(word), tokenToId: (t) => ids.get(t), idToToken: (i) => pieces[i]?.[0], size: pieces.length };
}

export const MODELS: Record<string, Builder<HfModel>> = { BPE: readBpe, WordPiece: readWordPiece, WordLevel: readWordLevel, Unigram: readUnigram };

const EMPTY: HfModel = { type: 'none', tokenize() {}, tokenToId: () => undefined, idToToken: () => undefined, size: 0 };

/** The model of a tokenizer.json; files without "type" are recognised by their fields, as Hugging Face does. */
export function readModel(x: unknown, r: Reader, path = 'model'): HfModel {
  if (isObj(x) && x.type === undefined) {
    const t = Array.isArray(x.merges) ? 'BPE' : 'max_input_chars_per_word' in x || 'continuing_subword_prefix' in x ? 'WordPiece' : Array.isArray(x.vocab) ? 'Unigram' : isObj(x.vocab) ? 'WordLevel' : undefined;
    if (t) return MODELS[t]({ ...x, type: t }, r, path);
  }
  return build(MODELS, 'models', x, r, path, EMPTY);
}
