// Strict UTF-8 decoding that names the byte offset of the first invalid sequence, whole or streamed in chunks.
// Browser-safe. Keeps a leading byte-order mark as U+FEFF (the text is tokenized as it is).
// Leaves out: other encodings, newline normalisation (\r\n stays \r\n).

/**
 * Offset of the first byte that starts an invalid or truncated UTF-8 sequence in bytes[start, end), or -1.
 * Same acceptance rules as the WHATWG decoder: no overlongs, no surrogates (U+D800–DFFF), nothing above U+10FFFF.
 */
export function invalidUtf8At(b: Uint8Array, start = 0, end = b.length): number {
  let i = start;
  while (i < end) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c === 0xe0) (need = 2), (lo = 0xa0);
    else if (c === 0xed) (need = 2), (hi = 0x9f);
    else if (c >= 0xe1 && c <= 0xef) need = 2;
    else if (c === 0xf0) (need = 3), (lo = 0x90);
    else if (c >= 0xf1 && c <= 0xf3) need = 3;
    else if (c === 0xf4) (need = 3), (hi = 0x8f);
    else return i;
    if (i + need >= end) return i;
    const c1 = b[i + 1];
    if (c1 < lo || c1 > hi) return i;
    for (let k = 2; k <= need; k++) if ((b[i + k] & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return -1;
}

function describe(b: Uint8Array, at: number): string {
  const bytes = Array.from(b.subarray(at, at + 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
  return `invalid UTF-8 at byte offset ${at} (bytes ${bytes})`;
}

/** Decodes UTF-8 strictly; the error names `source` and the byte offset. */
export function decodeUtf8Strict(bytes: Uint8Array, source = 'input'): string {
  const at = invalidUtf8At(bytes);
  if (at >= 0) throw new Error(`${source}: ${describe(bytes, at)}`);
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
}

/** Chunked strict decoder: push() byte chunks, get text; a character split across chunks is carried over. */
export class Utf8Stream {
  private carry = new Uint8Array(0);
  private base = 0;
  private readonly dec = new TextDecoder('utf-8', { ignoreBOM: true });
  constructor(private readonly source = 'input') {}

  /** Bytes consumed so far (the offset of the next byte). */
  get offset(): number {
    return this.base + this.carry.length;
  }

  push(chunk: Uint8Array): string {
    let buf = chunk;
    if (this.carry.length) {
      buf = new Uint8Array(this.carry.length + chunk.length);
      buf.set(this.carry);
      buf.set(chunk, this.carry.length);
    }
    // keep an incomplete trailing sequence for the next chunk
    let cut = buf.length;
    for (let j = buf.length - 1; j >= Math.max(0, buf.length - 4); j--) {
      const c = buf[j];
      if ((c & 0xc0) === 0x80) continue;
      const len = c >= 0xf5 || c < 0xc2 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2; // invalid lead bytes: let the check below report them
      if (j + len > buf.length) cut = j;
      break;
    }
    const at = invalidUtf8At(buf, 0, cut);
    if (at >= 0) throw new Error(`${this.source}: ${describe(buf, at).replace(/offset \d+/, `offset ${this.base + at}`)}`);
    const text = this.dec.decode(buf.subarray(0, cut));
    this.carry = buf.slice(cut);
    this.base += cut;
    return text;
  }

  /** Call at end of input: a sequence still incomplete is an error. */
  end(): void {
    if (this.carry.length) throw new Error(`${this.source}: invalid UTF-8 at byte offset ${this.base} (truncated sequence at end of input)`);
  }
}
