// Tokenizing text that arrives in pieces (a big file read in chunks) with exactly the ids of tokenizing it whole:
// text is cut only where a pre-token boundary is certain. Browser-safe. Leaves out: parallel encoding of chunks.
import type { EncodeOptions, Tokenizer } from '../tokenizer/index.js';

/**
 * A cut goes before JS \s whitespace other than U+FEFF (not White_Space for Hugging Face's regex; a removed Cf for
 * BERT) and \v \f (removed as controls by BERT's clean_text); never after U+0085 (White_Space, not JS \s).
 */
const CUT = /[^\S\uFEFF\v\f]/;
const NOT_BEFORE = /[\s\u0085]/;

/**
 * The last index p (0 < p < text.length) where text[p] is whitespace and text[p−1] is not, and no special token
 * occurrence straddles p; -1 if none. For GPT-2's pre-tokenizer and the course's regex split, such a p always ends
 * one pre-token and starts the next (no pattern matches non-whitespace followed by whitespace, and the only
 * lookahead, \s+(?!\S), looks at whitespace runs, which end before p−1), so encode(a + b) = encode(a) ++ encode(b).
 * The same holds for WordPiece (whitespace ends a BERT word) and Hugging Face's byte-level regex, with U+FEFF, \v,
 * \f and U+0085 kept away from p.
 */
export function safeCut(text: string, specials: string[] = []): number {
  for (let p = text.length - 1; p > 0; p--) {
    // text[p] is whitespace for JS, Unicode and BERT alike (see CUT), text[p-1] is whitespace for none of them
    if (!CUT.test(text[p]) || NOT_BEFORE.test(text[p - 1])) continue;
    let straddles = false;
    for (const s of specials) {
      for (let k = 1; k < s.length && !straddles; k++) if (p - k >= 0 && text.startsWith(s, p - k)) straddles = true;
      if (straddles) break;
    }
    if (!straddles) return p;
  }
  return -1;
}

/** Feed text pieces with push(); each call returns the ids of the text that is final; end() flushes the rest. */
export class StreamingEncoder {
  private pending = '';
  private readonly specials: string[];
  count = 0;
  constructor(
    private readonly tok: Tokenizer,
    private readonly opts: EncodeOptions = {},
    /** encode once this many UTF-16 units are pending (a cut point is searched backwards from the end) */
    private readonly minChars = 1 << 20,
  ) {
    this.specials = Object.keys(tok.specialTokens ?? {});
  }

  push(text: string): number[] {
    this.pending += text;
    if (this.pending.length < this.minChars) return [];
    const p = safeCut(this.pending, this.specials);
    if (p <= 0) return [];
    const ids = this.tok.encode(this.pending.slice(0, p), this.opts);
    this.pending = this.pending.slice(p);
    this.count += ids.length;
    return ids;
  }

  end(): number[] {
    const ids = this.pending ? this.tok.encode(this.pending, this.opts) : [];
    this.pending = '';
    this.count += ids.length;
    return ids;
  }
}
