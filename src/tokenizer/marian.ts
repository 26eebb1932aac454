// Marian's tokenizer (Hugging Face MarianTokenizer): SentencePiece pieces from source.spm / target.spm mapped through
// vocab.json (unknown pieces → <unk>), `</s>` appended, a leading `>>xx<<` language code kept as its own token.
// Browser-safe (the caller reads the files). Leaves out: separate source/target vocab files, truncation, padding.
import { SentencePieceProcessor } from './sentencepiece.js';
import type { EncodeOptions, Tokenizer } from './types.js';

export interface MarianFiles {
  /** bytes of source.spm */
  source: Uint8Array;
  /** bytes of target.spm (defaults to source) */
  target?: Uint8Array;
  /** text of vocab.json: piece → id */
  vocabJson: string;
  /** where the files came from, for error messages */
  where?: string;
}

const LANG_CODE = />>.+<</g;
const SPECIALS = ['</s>', '<unk>', '<pad>'];

export class MarianTokenizer implements Tokenizer {
  readonly name: string;
  readonly vocab = new Map<string, number>();
  readonly idToToken: string[] = [];
  readonly source: SentencePieceProcessor;
  readonly target: SentencePieceProcessor;
  readonly eosId: number;
  readonly unkId: number;
  readonly padId: number;
  readonly specialTokens: Record<string, number> = {};

  /** the files it was read from (a checkpoint saves them beside the model) */
  readonly files: MarianFiles;

  constructor(files: MarianFiles) {
    this.files = files;
    const where = files.where ?? 'marian tokenizer';
    this.name = `marian:${where}`;
    this.source = SentencePieceProcessor.fromBytes(files.source, `${where}/source.spm`);
    this.target = files.target ? SentencePieceProcessor.fromBytes(files.target, `${where}/target.spm`) : this.source;
    let j: unknown;
    try {
      j = JSON.parse(files.vocabJson);
    } catch (e) {
      throw new Error(`${where}/vocab.json is not valid JSON (${String((e as Error).message).split('\n')[0]})`);
    }
    if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new Error(`${where}/vocab.json must map pieces to ids`);
    for (const [piece, id] of Object.entries(j as Record<string, unknown>)) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw new Error(`${where}/vocab.json: id of ${JSON.stringify(piece)} is ${JSON.stringify(id)}, not a non-negative integer`);
      if (this.idToToken[id] !== undefined) throw new Error(`${where}/vocab.json: id ${id} is given to both ${JSON.stringify(this.idToToken[id])} and ${JSON.stringify(piece)}`);
      this.vocab.set(piece, id);
      this.idToToken[id] = piece;
    }
    for (let i = 0; i < this.idToToken.length; i++) if (this.idToToken[i] === undefined) throw new Error(`${where}/vocab.json: no token has id ${i} (ids must be 0…${this.idToToken.length - 1})`);
    const need = (t: string) => {
      const id = this.vocab.get(t);
      if (id === undefined) throw new Error(`${where}/vocab.json has no ${t}`);
      this.specialTokens[t] = id;
      return id;
    };
    this.eosId = need('</s>');
    this.unkId = need('<unk>');
    this.padId = need('<pad>');
  }

  get vocabSize(): number {
    return this.idToToken.length;
  }

  /** Tokens of `text` (source side unless `target`), without `</s>`: specials kept whole, language code first. */
  tokenize(text: string, o: { target?: boolean } = {}): string[] {
    const sp = o.target ? this.target : this.source;
    const out: string[] = [];
    // special tokens are never split; whitespace next to them is dropped (Hugging Face's default for specials)
    const parts = text.split(new RegExp(`(${SPECIALS.map((s) => s.replace(/[/<>]/g, '\\$&')).join('|')})`));
    for (let i = 0; i < parts.length; i++) {
      let p = parts[i];
      if (i % 2 === 1) {
        out.push(p);
        continue;
      }
      if (i > 0) p = p.replace(/^\s+/, '');
      if (i < parts.length - 1) p = p.replace(/\s+$/, '');
      if (p === '') continue;
      const m = p.match(/^>>.+<</);
      if (m) out.push(m[0]);
      out.push(...sp.encodePieces(p.replace(LANG_CODE, '')));
    }
    return out;
  }

  /**
   * Ids of `text` followed by `</s>`, as MarianTokenizer(text).input_ids. Special tokens in the text are always
   * read as themselves (Hugging Face's rule for this tokenizer), so `allowedSpecial` changes nothing here.
   */
  encode(text: string, o: EncodeOptions & { target?: boolean } = {}): number[] {
    const ids = this.tokenize(text, o).map((t) => this.vocab.get(t) ?? this.unkId);
    ids.push(this.eosId);
    return ids;
  }

  /** Text of ids (target side), special tokens skipped unless asked, as MarianTokenizer.decode. */
  decode(ids: ArrayLike<number>, o: { skipSpecialTokens?: boolean } = {}): string {
    const skip = o.skipSpecialTokens ?? true;
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new Error(`decode: token id ${JSON.stringify(id)} at index ${i} is not in the Marian vocabulary [0, ${this.vocabSize})`);
      const t = this.idToToken[id];
      if (skip && SPECIALS.includes(t)) continue;
      tokens.push(t);
    }
    let out = '';
    let run: string[] = [];
    for (const t of tokens) {
      if (SPECIALS.includes(t)) {
        out += this.target.decodePieces(run) + t + ' ';
        run = [];
      } else run.push(t);
    }
    out += this.target.decodePieces(run);
    return out.replaceAll('\u2581', ' ').trim();
  }
}
