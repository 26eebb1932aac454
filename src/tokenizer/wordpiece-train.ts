// WordPiece trainer: Hugging Face's WordPieceTrainer (a BpeTrainer with the "##" continuation prefix) step for step —
// word counts after BertNormalizer + BertPreTokenizer, specials, alphabet (limit_alphabet, initial_alphabet), "##"
// symbols, merges on plain pair counts with the same lazy max-heap and per-entry word lists — made deterministic.
// Browser-safe. Leaves out: max_token_length, end_of_word_suffix, parallel counting.
//
// ── The deterministic rule (Hugging Face follows hash-map order here, so two of its runs can differ) ──────────────
//   1. Words are taken in first-seen corpus order. So the "##x" symbols get ids in the order they first occur in the
//      corpus (word by word, left to right inside a word), right after the specials and the alphabet.
//   2. limit_alphabet drops the rarest chars; among chars with equal counts the higher code point is dropped first.
//   3. Merge ties: equal counts → the pair with the smallest (left id, right id) wins (as in Hugging Face); two heap
//      entries of the same pair and count → the one pushed first.
//   Same corpus and options → the same vocabulary, ids and files, every run.
import { type BertNormalizerOptions, bertNormalizer, bertPreTokenize } from './bert-text.js';
import { COURSE_NORMALIZER, WordPiece } from './wordpiece.js';
import { assertWellFormed } from './types.js';

export interface WordPieceTrainOptions {
  /** target vocabulary size, specials + alphabet + "##" symbols + merges (default 30000) */
  vocabSize?: number;
  /** stop when the best pair occurs fewer times than this (default 2, BertWordPieceTokenizer.train's; Hugging Face's Rust default is 0) */
  minFrequency?: number;
  /** keep at most this many distinct chars (default 1000, as BertWordPieceTokenizer.train; null = no limit) */
  limitAlphabet?: number | null;
  /** chars always kept in the alphabet (default none) */
  initialAlphabet?: string[];
  /** special tokens, ids 0…S−1 in this order (default [PAD] [UNK] [CLS] [SEP] [MASK]) */
  specialTokens?: string[];
  /** continuation prefix (default '##') */
  prefix?: string;
  /** normalizer of the trained tokenizer (default the course's: clean text, Chinese chars, no lowercase, no accent stripping) */
  normalizer?: BertNormalizerOptions | null;
  /** unknown token of the trained tokenizer (default '[UNK]') */
  unkToken?: string;
  name?: string;
  /** called as the vocabulary grows (current size, target) */
  onProgress?: (size: number, target: number) => void;
}

export interface WordPieceTrainResult {
  tokenizer: WordPiece;
  /** distinct pre-tokens and their total count */
  uniqueWords: number;
  totalWords: number;
  /** distinct chars seen / kept */
  charsSeen: number;
  alphabet: number;
  merges: number;
  /** true when pairs ran out (or fell under min_frequency) before vocabSize */
  stoppedEarly: boolean;
}

export const DEFAULT_SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

const KEY = 2097152; // pair key = left·2^21 + right

interface Entry {
  count: number;
  key: number;
  seq: number;
  pos: number[];
}

/** Max-heap on (count desc, pair key asc, seq asc) — Hugging Face's Ord for Merge, plus push order. */
class MergeHeap {
  private a: Entry[] = [];
  get size(): number {
    return this.a.length;
  }
  private before(x: Entry, y: Entry): boolean {
    return x.count > y.count || (x.count === y.count && (x.key < y.key || (x.key === y.key && x.seq < y.seq)));
  }
  push(e: Entry): void {
    const a = this.a;
    let i = a.length;
    a.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(e, a[p])) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = e;
  }
  pop(): Entry {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= a.length) break;
        if (c + 1 < a.length && this.before(a[c + 1], a[c])) c++;
        if (!this.before(a[c], last)) break;
        a[i] = a[c];
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

const cpCompare = (x: string, y: string) => x.codePointAt(0)! - y.codePointAt(0)!;

/**
 * Trains a WordPiece vocabulary on `corpus` (one text, or several files' texts). Errors (one line): empty corpus, no
 * words after normalization, vocabSize smaller than specials + alphabet, bad options.
 */
export function trainWordPiece(corpus: string | string[], opts: WordPieceTrainOptions = {}): WordPieceTrainResult {
  const texts = typeof corpus === 'string' ? [corpus] : corpus;
  if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) throw new Error('trainWordPiece: the corpus must be a string or an array of strings');
  const vocabSize = opts.vocabSize ?? 30000;
  const minFrequency = opts.minFrequency ?? 2;
  const limitAlphabet = opts.limitAlphabet === undefined ? 1000 : opts.limitAlphabet;
  const specials = opts.specialTokens ?? DEFAULT_SPECIAL_TOKENS;
  const prefix = opts.prefix ?? '##';
  const normOpts = opts.normalizer === undefined ? COURSE_NORMALIZER : opts.normalizer;
  if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize >= KEY) throw new Error(`vocab size must be an integer in [1, ${KEY}), got ${vocabSize}`);
  if (!Number.isInteger(minFrequency) || minFrequency < 0) throw new Error(`min frequency must be an integer ≥ 0, got ${minFrequency}`);
  if (limitAlphabet !== null && (!Number.isInteger(limitAlphabet) || limitAlphabet < 0)) throw new Error(`limit alphabet must be an integer ≥ 0, got ${limitAlphabet}`);
  if (!Array.isArray(specials) || specials.some((s) => typeof s !== 'string' || s === '')) throw new Error('special tokens must be non-empty strings');
  const initial = opts.initialAlphabet ?? [];
  for (const c of initial) if (typeof c !== 'string' || [...c].length !== 1) throw new Error(`initial alphabet entries must be single characters, got ${JSON.stringify(c)}`);
  if (texts.every((t) => t.length === 0)) throw new Error('the corpus is empty');

  // 1. word counts (first-seen order)
  const normalize = normOpts ? bertNormalizer(normOpts) : (s: string) => s;
  const counts = new Map<string, number>();
  let totalWords = 0;
  for (const t of texts) {
    assertWellFormed(t);
    for (const w of bertPreTokenize(normalize(t))) {
      counts.set(w, (counts.get(w) ?? 0) + 1);
      totalWords++;
    }
  }
  if (totalWords === 0) throw new Error('the corpus has no words (only whitespace or control characters)');

  // 2. specials, then the alphabet
  const idToWord: string[] = [];
  const wordToId = new Map<string, number>();
  const add = (s: string) => {
    if (!wordToId.has(s)) {
      wordToId.set(s, idToWord.length);
      idToWord.push(s);
    }
  };
  for (const s of specials) add(s);
  const charCount = new Map<string, number>();
  for (const [w, c] of counts) for (const ch of w) charCount.set(ch, (charCount.get(ch) ?? 0) + c);
  for (const ch of initial) charCount.set(ch, Infinity);
  const charsSeen = charCount.size;
  let kept = [...charCount.entries()];
  if (limitAlphabet !== null && kept.length > limitAlphabet) {
    kept.sort((x, y) => x[1] - y[1] || cpCompare(y[0], x[0]));
    kept = kept.slice(kept.length - limitAlphabet);
  }
  kept.sort((x, y) => cpCompare(x[0], y[0]));
  for (const [ch] of kept) add(ch);
  const alphabet = kept.length;
  if (vocabSize < idToWord.length) throw new Error(`vocab size ${vocabSize} is smaller than the ${specials.length} special tokens + ${alphabet} alphabet chars (${idToWord.length}): raise --vocab-size or lower --limit-alphabet`);

  // 3. words as symbol ids; a char outside the alphabet is skipped, "##" follows the char's place in the word
  const words: number[][] = [];
  const freq: number[] = [];
  for (const [w, c] of counts) {
    const syms: number[] = [];
    let first = true;
    for (const ch of w) {
      if (wordToId.has(ch)) {
        const s = first ? ch : prefix + ch;
        add(s);
        syms.push(wordToId.get(s)!);
      }
      first = false;
    }
    words.push(syms);
    freq.push(c);
  }

  // 4. pair counts and the words holding each pair
  const pairCount = new Map<number, number>();
  let where = new Map<number, Set<number>>();
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    for (let j = 0; j + 1 < w.length; j++) {
      const k = w[j] * KEY + w[j + 1];
      pairCount.set(k, (pairCount.get(k) ?? 0) + freq[i]);
      let s = where.get(k);
      if (!s) where.set(k, (s = new Set()));
      s.add(i);
    }
  }
  const heap = new MergeHeap();
  let seq = 0;
  const flush = () => {
    for (const [k, s] of where) {
      const c = pairCount.get(k)!;
      if (c > 0) heap.push({ count: c, key: k, seq: seq++, pos: [...s] });
    }
    where = new Map();
  };
  flush();

  // 5. merges
  let merges = 0;
  let stoppedEarly = false;
  opts.onProgress?.(idToWord.length, vocabSize);
  for (;;) {
    if (idToWord.length >= vocabSize) break;
    if (heap.size === 0) {
      stoppedEarly = true;
      break;
    }
    const top = heap.pop();
    const current = pairCount.get(top.key)!;
    if (top.count !== current) {
      top.count = current;
      top.seq = seq++;
      heap.push(top);
      continue;
    }
    if (top.count < 1 || minFrequency > top.count) {
      stoppedEarly = true;
      break;
    }
    const a = Math.floor(top.key / KEY);
    const b = top.key - a * KEY;
    let right = idToWord[b];
    if (right.startsWith(prefix)) right = right.slice(prefix.length);
    const token = idToWord[a] + right;
    add(token);
    const id = wordToId.get(token)!;
    merges++;
    for (const wi of top.pos) {
      const changes = mergeWord(words[wi], a, b, id);
      for (let k = 0; k < changes.length; k += 2) {
        const pk = changes[k];
        const delta = changes[k + 1];
        pairCount.set(pk, (pairCount.get(pk) ?? 0) + delta * freq[wi]);
        if (delta > 0) {
          let s = where.get(pk);
          if (!s) where.set(pk, (s = new Set()));
          s.add(wi);
        }
      }
    }
    flush();
    if (opts.onProgress && merges % 64 === 0) opts.onProgress(idToWord.length, vocabSize);
  }
  opts.onProgress?.(idToWord.length, vocabSize);

  const tokenizer = new WordPiece({
    vocab: idToWord,
    unkToken: opts.unkToken ?? '[UNK]',
    prefix,
    normalizer: normOpts,
    specialTokens: [...new Set(specials)],
    post: specials.includes('[CLS]') && specials.includes('[SEP]') ? { cls: '[CLS]', sep: '[SEP]' } : null,
    name: `wordpiece:${opts.name ?? 'trained'}`,
  });
  return { tokenizer, uniqueWords: counts.size, totalWords, charsSeen, alphabet, merges, stoppedEarly };
}

/**
 * Hugging Face's Word::merge: replaces every non-overlapping (a, b), left to right, by `id`, in place. Returns the
 * pair-count changes as a flat [pairKey, ±1, …] list (the merged pair itself is not decremented, as in Hugging Face).
 */
function mergeWord(w: number[], a: number, b: number, id: number): number[] {
  const changes: number[] = [];
  let i = 0;
  while (i < w.length) {
    if (w[i] === a && i + 1 < w.length && w[i + 1] === b) {
      if (i > 0) changes.push(w[i - 1] * KEY + a, -1, w[i - 1] * KEY + id, 1);
      w.splice(i, 2, id);
      if (i < w.length - 1) changes.push(b * KEY + w[i + 1], -1, id * KEY + w[i + 1], 1);
    }
    i++;
  }
  return changes;
}
