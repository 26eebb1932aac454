// SentencePiece `.model` / `.spm` files (the ModelProto protobuf): pieces, scores, types, trainer and normalizer
// specs; the normalizer (precompiled charsmap = a Darts double-array trie, extra-whitespace removal, dummy prefix,
// ▁ escaping), Unigram encoding (sentencepiece's optimised Viterbi, float32 scores, unknown runs merged, byte
// fallback) and decoding, as python3-sentencepiece 0.1.97 does. Browser-safe.
// Leaves out: BPE/WORD/CHAR model types (one line says so), sampling (nbest, alpha), training, the denormalizer.

const SPACE = '\u2581';
const UNK_PENALTY = 10;

/** ModelProto.SentencePiece.Type */
export const enum PieceType {
  NORMAL = 1,
  UNKNOWN = 2,
  CONTROL = 3,
  USER_DEFINED = 4,
  UNUSED = 5,
  BYTE = 6,
}

export interface SentencePieceModel {
  pieces: { piece: string; score: number; type: PieceType }[];
  /** TrainerSpec.model_type: 1 unigram, 2 bpe, 3 word, 4 char */
  modelType: number;
  byteFallback: boolean;
  unkSurface: string;
  treatWhitespaceAsSuffix: boolean;
  normalizer: NormalizerSpec;
}

export interface NormalizerSpec {
  name: string;
  /** <u32 trie bytes><double array><NUL-terminated replacement strings>, or empty */
  charsmap: Uint8Array;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
}

// ---- protobuf (wire format: varint, 64-bit, length-delimited, 32-bit) ----

class ProtoReader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly where: string,
  ) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  fail(msg: string): never {
    throw new Error(`${this.where}: not a SentencePiece model (${msg} at byte ${this.pos})`);
  }
  varint(): number {
    let r = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) this.fail('truncated varint');
      const b = this.buf[this.pos++];
      r += (b & 0x7f) * mul;
      if (b < 0x80) return r;
      mul *= 128;
    }
    return this.fail('varint longer than 10 bytes');
  }
  bytes(): Uint8Array {
    const n = this.varint();
    if (this.pos + n > this.buf.length) this.fail(`field of ${n} bytes runs past the end`);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  f32(): number {
    if (this.pos + 4 > this.buf.length) this.fail('truncated float');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else this.fail(`unsupported wire type ${wire}`);
    if (this.pos > this.buf.length) this.fail('truncated field');
  }
  /** Calls fn(field, wire) for each field; fn returns false to skip the field's value. */
  fields(fn: (field: number, wire: number) => boolean): void {
    while (!this.done) {
      const key = this.varint();
      const field = Math.floor(key / 8);
      const wire = key & 7;
      if (field === 0) this.fail('field number 0');
      if (!fn(field, wire)) this.skip(wire);
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lenient = new TextDecoder('utf-8');
const enc = new TextEncoder();

/** Parses a SentencePiece ModelProto. Errors name `where` and the problem in one line. */
export function parseSentencePieceModel(bytes: Uint8Array, where = 'sentencepiece model'): SentencePieceModel {
  const m: SentencePieceModel = {
    pieces: [],
    modelType: 1,
    byteFallback: false,
    unkSurface: ' \u2047 ',
    treatWhitespaceAsSuffix: false,
    normalizer: { name: '', charsmap: new Uint8Array(0), addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true },
  };
  const str = (r: ProtoReader) => {
    try {
      return utf8.decode(r.bytes());
    } catch {
      return r.fail('a string field is not valid UTF-8');
    }
  };
  const top = new ProtoReader(bytes, where);
  let sawNormalizer = false;
  top.fields((field, wire) => {
    if (field === 1 && wire === 2) {
      const r = new ProtoReader(top.bytes(), where);
      const p = { piece: '', score: 0, type: PieceType.NORMAL };
      r.fields((f, w) => {
        if (f === 1 && w === 2) p.piece = str(r);
        else if (f === 2 && w === 5) p.score = r.f32();
        else if (f === 3 && w === 0) p.type = r.varint();
        else return false;
        return true;
      });
      m.pieces.push(p);
      return true;
    }
    if (field === 2 && wire === 2) {
      const r = new ProtoReader(top.bytes(), where);
      r.fields((f, w) => {
        if (f === 3 && w === 0) m.modelType = r.varint();
        else if (f === 35 && w === 0) m.byteFallback = r.varint() !== 0;
        else if (f === 24 && w === 0) m.treatWhitespaceAsSuffix = r.varint() !== 0;
        else if (f === 44 && w === 2) m.unkSurface = str(r);
        else return false;
        return true;
      });
      return true;
    }
    if (field === 3 && wire === 2) {
      sawNormalizer = true;
      const r = new ProtoReader(top.bytes(), where);
      const n = m.normalizer;
      r.fields((f, w) => {
        if (f === 1 && w === 2) n.name = str(r);
        else if (f === 2 && w === 2) n.charsmap = r.bytes().slice();
        else if (f === 3 && w === 0) n.addDummyPrefix = r.varint() !== 0;
        else if (f === 4 && w === 0) n.removeExtraWhitespaces = r.varint() !== 0;
        else if (f === 5 && w === 0) n.escapeWhitespaces = r.varint() !== 0;
        else return false;
        return true;
      });
      return true;
    }
    return false;
  });
  if (m.pieces.length === 0) throw new Error(`${where}: not a SentencePiece model (no pieces)`);
  if (!sawNormalizer) throw new Error(`${where}: not a SentencePiece model (no normalizer spec)`);
  const seen = new Set<string>();
  for (const [i, p] of m.pieces.entries()) {
    if (p.piece === '') throw new Error(`${where}: piece ${i} is empty`);
    if (!(p.type >= 1 && p.type <= 6)) throw new Error(`${where}: piece ${i} has unknown type ${p.type}`);
    if (seen.has(p.piece)) throw new Error(`${where}: piece ${JSON.stringify(p.piece)} is defined twice`);
    seen.add(p.piece);
  }
  return m;
}

// ---- the normalizer's double-array trie (darts-clone layout) ----

export class DoubleArray {
  constructor(readonly units: Uint32Array) {}
  /** Values of every key that is a prefix of bytes[from, end), shortest first (stops at a NUL byte, as spm_precompiled). */
  commonPrefixSearch(bytes: Uint8Array, from: number, end: number): number[] {
    const a = this.units;
    const out: number[] = [];
    let unit = a[0];
    let pos = offset(unit);
    for (let i = from; i < end; i++) {
      const k = bytes[i];
      if (k === 0) break;
      pos ^= k;
      if (pos >= a.length) break;
      unit = a[pos];
      if ((unit & 0x800000ff) >>> 0 !== k) break;
      pos ^= offset(unit);
      if ((unit >>> 8) & 1) {
        if (pos >= a.length) break;
        out.push(a[pos] & 0x7fffffff);
      }
    }
    return out;
  }
  /** Longest key that is a prefix of bytes[from, end): [length, value], or [0, 0]. */
  longestPrefix(bytes: Uint8Array, from: number, end: number): [number, number] {
    const a = this.units;
    let best: [number, number] = [0, 0];
    let unit = a[0];
    let pos = offset(unit);
    for (let i = from; i < end; i++) {
      const k = bytes[i];
      pos ^= k;
      if (pos >= a.length) return best;
      unit = a[pos];
      if ((unit & 0x800000ff) >>> 0 !== k) return best;
      pos ^= offset(unit);
      if ((unit >>> 8) & 1) {
        if (pos >= a.length) return best;
        best = [i - from + 1, a[pos] & 0x7fffffff];
      }
    }
    return best;
  }
}

function offset(unit: number): number {
  return ((unit >>> 10) << ((unit & (1 << 9)) >>> 6)) >>> 0;
}

/** Length in bytes of the UTF-8 character starting at bytes[i] (1 for a malformed byte). */
function charLen(bytes: Uint8Array, i: number, end: number): number {
  const b = bytes[i];
  const n = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
  if (n === 0 || i + n > end) return 1;
  for (let j = 1; j < n; j++) if ((bytes[i + j] & 0xc0) !== 0x80) return 1;
  return n;
}

// ---- the processor ----

export interface SentencePieceEncodeResult {
  ids: number[];
  pieces: string[];
}

export class SentencePieceProcessor {
  readonly pieceToId = new Map<string, number>();
  readonly unkId: number;
  private readonly trie: DoubleArray | null = null;
  private readonly replacements: Uint8Array = new Uint8Array(0);
  private readonly userDefined: Uint8Array[] = [];
  private readonly minScore: number;
  private readonly maxScore: number;
  private readonly maxPieceChars: number;
  private readonly byteIds: number[] = [];

  constructor(
    readonly model: SentencePieceModel,
    readonly where = 'sentencepiece model',
  ) {
    if (model.modelType !== 1) {
      const kind = ['', 'unigram', 'BPE', 'word', 'char'][model.modelType] ?? `type ${model.modelType}`;
      throw new Error(`${where}: a SentencePiece ${kind} model; wgpt reads Unigram SentencePiece models only`);
    }
    let unk = -1;
    let maxChars = 1;
    let minS = Infinity;
    let maxS = -Infinity;
    for (const [i, p] of model.pieces.entries()) {
      this.pieceToId.set(p.piece, i);
      if (p.type === PieceType.UNKNOWN) {
        if (unk >= 0) throw new Error(`${where}: more than one unknown piece`);
        unk = i;
      }
      if (p.type === PieceType.NORMAL) {
        minS = Math.min(minS, p.score);
        maxS = Math.max(maxS, p.score);
      }
      if (p.type === PieceType.NORMAL || p.type === PieceType.USER_DEFINED || p.type === PieceType.UNUSED) maxChars = Math.max(maxChars, [...p.piece].length);
      if (p.type === PieceType.USER_DEFINED) this.userDefined.push(enc.encode(p.piece));
      if (p.type === PieceType.BYTE) {
        const b = /^<0x([0-9A-F]{2})>$/.exec(p.piece);
        if (!b) throw new Error(`${where}: byte piece ${JSON.stringify(p.piece)} is invalid`);
        this.byteIds[parseInt(b[1], 16)] = i;
      }
    }
    if (unk < 0) throw new Error(`${where}: no unknown piece (<unk>) is defined`);
    if (model.byteFallback && this.byteIds.filter((x) => x !== undefined).length !== 256) throw new Error(`${where}: byte_fallback is on but the model does not have 256 byte pieces`);
    this.unkId = unk;
    // C++ starts from FLT_MAX / FLT_MIN; a model without normal pieces keeps those
    this.minScore = Number.isFinite(minS) ? minS : 3.4028234663852886e38;
    this.maxScore = Number.isFinite(maxS) ? maxS : 1.1754943508222875e-38;
    this.maxPieceChars = maxChars;
    const cm = model.normalizer.charsmap;
    if (cm.length > 0) {
      if (cm.length <= 4) throw new Error(`${where}: the normalizer's charsmap is broken (${cm.length} bytes)`);
      const trieBytes = new DataView(cm.buffer, cm.byteOffset, 4).getUint32(0, true);
      if (trieBytes >= cm.length || trieBytes % 4 !== 0) throw new Error(`${where}: the normalizer's charsmap is broken (trie of ${trieBytes} bytes in a ${cm.length}-byte blob)`);
      const units = new Uint32Array(trieBytes / 4);
      const dv = new DataView(cm.buffer, cm.byteOffset + 4, trieBytes);
      for (let i = 0; i < units.length; i++) units[i] = dv.getUint32(i * 4, true);
      this.trie = new DoubleArray(units);
      this.replacements = cm.subarray(4 + trieBytes);
    }
  }

  static fromBytes(bytes: Uint8Array, where?: string): SentencePieceProcessor {
    return new SentencePieceProcessor(parseSentencePieceModel(bytes, where), where);
  }

  get vocabSize(): number {
    return this.model.pieces.length;
  }

  /** The longest normalisation rule (or user-defined symbol) at bytes[i…]: [replacement bytes, consumed]. */
  private normalizePrefix(bytes: Uint8Array, i: number, end: number): [Uint8Array, number] {
    let ud = 0;
    for (const u of this.userDefined) {
      if (u.length > ud && u.length <= end - i && u.every((b, j) => bytes[i + j] === b)) ud = u.length;
    }
    if (ud > 0) return [bytes.subarray(i, i + ud), ud];
    if (this.trie) {
      const [len, value] = this.trie.longestPrefix(bytes, i, end);
      if (len > 0) {
        if (value >= this.replacements.length) throw new Error(`${this.where}: the normalizer's charsmap points past its strings`);
        let e = value;
        while (e < this.replacements.length && this.replacements[e] !== 0) e++;
        return [this.replacements.subarray(value, e), len];
      }
    }
    const n = charLen(bytes, i, end);
    if (n === 1 && bytes[i] >= 0x80) return [REPLACEMENT, 1];
    return [bytes.subarray(i, i + n), n];
  }

  /** The normalised text (with ▁ for spaces), as sentencepiece's Normalizer gives it. */
  normalize(text: string): string {
    const n = this.model.normalizer;
    const bytes = enc.encode(text);
    const end = bytes.length;
    if (end === 0) return '';
    let i = 0;
    if (n.removeExtraWhitespaces) {
      while (i < end) {
        const [r, used] = this.normalizePrefix(bytes, i, end);
        if (!(r.length === 1 && r[0] === 0x20)) break;
        i += used;
      }
    }
    if (i === end) return '';
    const out: number[] = [];
    const space = n.escapeWhitespaces ? SPACE_BYTES : [0x20];
    const suffix = this.model.treatWhitespaceAsSuffix;
    if (!suffix && n.addDummyPrefix) out.push(...space);
    let prevSpace = n.removeExtraWhitespaces;
    while (i < end) {
      const [r, used] = this.normalizePrefix(bytes, i, end);
      let s = 0;
      while (prevSpace && s < r.length && r[s] === 0x20) s++;
      if (s < r.length) {
        for (let k = s; k < r.length; k++) {
          if (n.escapeWhitespaces && r[k] === 0x20) out.push(...SPACE_BYTES);
          else out.push(r[k]);
        }
        prevSpace = r[r.length - 1] === 0x20;
      }
      i += used;
      if (!n.removeExtraWhitespaces) prevSpace = false;
    }
    if (n.removeExtraWhitespaces) {
      while (out.length >= space.length && space.every((b, k) => out[out.length - space.length + k] === b)) out.length -= space.length;
    }
    if (suffix && n.addDummyPrefix) out.push(...space);
    return utf8Lenient.decode(Uint8Array.from(out));
  }

  /** Unigram Viterbi over the normalised string: [piece, id] in order (unknown characters get the unk id). */
  private viterbi(norm: string): [string, number][] {
    const chars = [...norm];
    const n = chars.length;
    const bytesOf = chars.map((c) => enc.encode(c).length);
    const f = Math.fround;
    const unkScore = f(this.minScore - UNK_PENALTY);
    const best = new Array<{ id: number; score: number; from: number }>(n + 1);
    for (let i = 0; i <= n; i++) best[i] = { id: -1, score: 0, from: -1 };
    const pieces = this.model.pieces;
    for (let s = 0; s < n; s++) {
      const till = best[s].score;
      let single = false;
      let key = '';
      let byteLen = 0;
      for (let e = s + 1; e <= n && e - s <= this.maxPieceChars; e++) {
        key += chars[e - 1];
        byteLen += bytesOf[e - 1];
        const id = this.pieceToId.get(key);
        if (id === undefined) continue;
        const t = pieces[id].type;
        if (t !== PieceType.NORMAL && t !== PieceType.USER_DEFINED) continue; // control/byte/unknown are not in the trie; unused never match
        // user-defined symbols get a bonus so they always win. As in sentencepiece's C++, the candidate is a
        // double (the score expression mixes float and double), compared with the stored float, stored as float.
        const cand = (t === PieceType.USER_DEFINED ? f(byteLen * this.maxScore) - 0.1 : pieces[id].score) + till;
        const node = best[e];
        if (node.from === -1 || cand > node.score) {
          node.score = f(cand);
          node.from = s;
          node.id = id;
        }
        if (e === s + 1) single = true;
      }
      if (!single) {
        const node = best[s + 1];
        const cand = f(unkScore + till);
        if (node.from === -1 || cand > node.score) {
          node.score = cand;
          node.from = s;
          node.id = this.unkId;
        }
      }
    }
    const out: [string, number][] = [];
    for (let e = n; e > 0; e = best[e].from) out.push([chars.slice(best[e].from, e).join(''), best[e].id]);
    return out.reverse();
  }

  /** Pieces and ids of `text`, as SentencePieceProcessor.encode gives them (no BOS/EOS). */
  encodeFull(text: string): SentencePieceEncodeResult {
    const ids: number[] = [];
    const pieces: string[] = [];
    let prevUnk = false;
    for (const [w, id] of this.viterbi(this.normalize(text))) {
      const unk = id === this.unkId;
      if (unk && this.model.byteFallback) {
        for (const b of enc.encode(w)) {
          ids.push(this.byteIds[b]);
          pieces.push(this.model.pieces[this.byteIds[b]].piece);
        }
      } else if (unk && prevUnk) {
        pieces[pieces.length - 1] += w; // a run of unknown characters is one unknown piece
      } else {
        ids.push(id);
        pieces.push(w);
      }
      prevUnk = unk;
    }
    return { ids, pieces };
  }

  encode(text: string): number[] {
    return this.encodeFull(text).ids;
  }

  encodePieces(text: string): string[] {
    return this.encodeFull(text).pieces;
  }

  /** Text of ids: controls vanish, <unk> becomes the unknown surface, byte runs are UTF-8 decoded, ▁ → space. */
  decode(ids: ArrayLike<number>): string {
    const pieces: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new Error(`decode: token id ${JSON.stringify(id)} at index ${i} is not in the SentencePiece vocabulary [0, ${this.vocabSize})`);
      pieces.push(this.model.pieces[id].piece);
    }
    return this.decodePieces(pieces);
  }

  /**
   * Text of pieces, as sentencepiece 0.1.97's Decode: controls vanish, <unk> becomes the unknown surface (another
   * unknown piece string is kept as it is), byte runs are UTF-8 decoded (a bad byte → U+FFFD), ▁ → space. The leading
   * ▁ of the text is dropped once (or, with remove_extra_whitespaces, from every piece until text appears).
   */
  decodePieces(pieces: readonly string[]): string {
    const norm = this.model.normalizer;
    let text = '';
    let bytes: number[] = [];
    let bosWs = true;
    let bosWsSeen = false;
    const flush = () => {
      if (bytes.length) text += utf8Lenient.decode(Uint8Array.from(bytes));
      bytes = [];
    };
    for (const w of pieces) {
      const id = this.pieceToId.get(w) ?? this.unkId;
      const t = this.model.pieces[id].type;
      if (t === PieceType.BYTE) {
        bytes.push(parseInt(w.slice(3, 5), 16));
        continue;
      }
      flush();
      if (bosWsSeen || text !== '') bosWs = false;
      bosWsSeen = false;
      if (t === PieceType.CONTROL) continue;
      if (t === PieceType.UNKNOWN) {
        text += w === this.model.pieces[id].piece ? this.model.unkSurface : w;
        continue;
      }
      let s = w;
      if (bosWs && (norm.addDummyPrefix || norm.removeExtraWhitespaces) && s.startsWith(SPACE)) {
        s = s.slice(1);
        bosWsSeen = !norm.removeExtraWhitespaces;
      }
      text += s.replaceAll(SPACE, ' ');
    }
    flush();
    return text;
  }
}

const SPACE_BYTES = [...enc.encode(SPACE)];
const REPLACEMENT = enc.encode('\ufffd');
