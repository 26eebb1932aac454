// The course's regex tokenizers (SimpleTokenizerV1 / V2): split on ([,.:;?_!"()']|--|\s), strip, drop empties;
// vocabulary = sorted unique tokens of a corpus (V2 appends <|endoftext|> and <|unk|>). Browser-safe.
// Leaves out: Python's exact definition of whitespace for str.strip() / \s (JS \s and trim() are used; they differ
// only on a few control characters such as U+001C–U+001F), lowercasing, any normalisation.
import { type Tokenizer, checkIds } from './types.js';

/** The course's split pattern: punctuation, `--` and every whitespace character are tokens of their own. */
const SPLIT = /([,.:;?_!"()']|--|\s)/;
/** decode: V1 removes the space before , . ? ! " ( ) '  (course ch02 SimpleTokenizerV1.decode) */
const JOIN_V1 = /\s+([,.?!"()'])/g;
/** decode: V2 also before : ;  (course ch02 SimpleTokenizerV2.decode) */
const JOIN_V2 = /\s+([,.:;?!"()'])/g;

export const ENDOFTEXT = '<|endoftext|>';
export const UNK = '<|unk|>';

/** re.split(SPLIT, text) → strip each item → drop empty items. */
export function simpleSplit(text: string): string[] {
  const out: string[] = [];
  for (const piece of text.split(SPLIT)) {
    const t = piece.trim();
    if (t) out.push(t);
  }
  return out;
}

/** Python's sorted() on str: by code point (JS's default sort compares UTF-16 units, which orders astral characters differently). */
function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(i)!;
    if (ca !== cb) return ca - cb;
    if (ca > 0xffff) i++;
  }
  return a.length - b.length;
}

/** sorted(set(simpleSplit(corpus))), plus <|endoftext|>, <|unk|> for V2. */
export function buildSimpleVocab(corpus: string, version: 1 | 2): string[] {
  const words = [...new Set(simpleSplit(corpus))].sort(byCodePoint);
  if (words.length === 0) throw new Error('cannot build a vocabulary: the corpus has no tokens (it is empty or only whitespace)');
  if (version === 2) {
    for (const s of [ENDOFTEXT, UNK]) if (!words.includes(s)) words.push(s);
  }
  return words;
}

export class SimpleTokenizer implements Tokenizer {
  readonly name: string;
  readonly vocabSize: number;
  readonly eotId?: number;
  readonly unkId?: number;
  readonly specialTokens?: Record<string, number>;
  private readonly strToInt = new Map<string, number>();

  /** `vocab[i]` is the token with id i (as made by buildSimpleVocab, or restored from a saved list). */
  constructor(
    readonly version: 1 | 2,
    readonly vocab: readonly string[],
  ) {
    if (version !== 1 && version !== 2) throw new Error(`simple tokenizer version must be 1 or 2, got ${version}`);
    if (!Array.isArray(vocab) || vocab.length === 0) throw new Error('simple tokenizer: the vocabulary is empty');
    vocab.forEach((w, i) => {
      if (typeof w !== 'string' || w === '' || w.trim() !== w || /\s/.test(w)) throw new Error(`simple tokenizer: vocabulary entry ${i} (${JSON.stringify(w)}) must be a non-empty string without whitespace`);
      if (this.strToInt.has(w)) throw new Error(`simple tokenizer: vocabulary entry ${JSON.stringify(w)} appears twice (ids ${this.strToInt.get(w)} and ${i})`);
      this.strToInt.set(w, i);
    });
    this.name = `simple-v${version}`;
    this.vocabSize = vocab.length;
    const eot = this.strToInt.get(ENDOFTEXT);
    const unk = this.strToInt.get(UNK);
    if (version === 2) {
      if (unk === undefined) throw new Error(`simple-v2: the vocabulary has no ${UNK}`);
      this.unkId = unk;
      this.specialTokens = { [ENDOFTEXT]: eot ?? -1, [UNK]: unk };
      if (eot === undefined) delete this.specialTokens[ENDOFTEXT];
    }
    if (eot !== undefined) this.eotId = eot;
  }

  static fromCorpus(corpus: string, version: 1 | 2): SimpleTokenizer {
    return new SimpleTokenizer(version, buildSimpleVocab(corpus, version));
  }

  /**
   * Course semantics: V1 fails on a word outside the vocabulary (naming it), V2 maps it to <|unk|>.
   * `<|endoftext|>` and `<|unk|>` are ordinary vocabulary words here (the split keeps them whole), so
   * `allowedSpecial` is accepted and ignored.
   */
  encode(text: string): number[] {
    if (typeof text !== 'string') throw new Error(`encode: expected a string, got ${typeof text}`);
    const out: number[] = [];
    for (const w of simpleSplit(text)) {
      const id = this.strToInt.get(w);
      if (id !== undefined) out.push(id);
      else if (this.unkId !== undefined) out.push(this.unkId);
      else throw new Error(`simple-v1: the word ${JSON.stringify(w)} is not in the vocabulary (${this.vocabSize} words); use simple-v2 to map unknown words to <|unk|>, or build the vocabulary from a corpus that contains it`);
    }
    return out;
  }

  /** Joins the words with spaces, then removes the space before punctuation, as the course's decode does. */
  decode(ids: ArrayLike<number>): string {
    checkIds(ids, this.vocabSize, this.name);
    const words = Array.from(ids, (i) => this.vocab[i]);
    return words.join(' ').replace(this.version === 1 ? JOIN_V1 : JOIN_V2, '$1');
  }
}
