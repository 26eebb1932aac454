// Node-only data I/O: .bin token files (format in ./tokenfile.ts) read whole or streamed, written atomically
// (temp file + fsync + rename), and big text files tokenized in chunks with a progress bar on a TTY (stderr).
// Leaves out: memory-mapping (Node has none built in; the streaming reader covers files larger than memory).
import { closeSync, fstatSync, fsyncSync, openSync, readSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fsyncDir } from '../io/atomic.js';
import { ProgressBar } from '../util/progress.js';
import type { EncodeOptions, Tokenizer } from '../tokenizer/index.js';
import { HEADER_BYTES, makeHeader, parseHeader, tokensFromBytes, tokensFromRaw, tokensToBytes, widthFor, type RawTokenFormat, type TokenHeader } from './tokenfile.js';
import { Utf8Stream, decodeUtf8Strict } from '../util/utf8.js';
import { StreamingEncoder } from './stream.js';

export { decodeUtf8Strict } from '../util/utf8.js';

function oneLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0];
}

/** Reads a UTF-8 text file strictly (error names the file and the byte offset of bad UTF-8). */
export function readTextFileStrict(path: string): string {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${oneLine(e)}`);
  }
  return decodeUtf8Strict(bytes, path);
}

/**
 * Reads a whole .bin token file; ids are checked against the vocabulary size recorded in the header. With
 * `format`, the file is headerless (nanoGPT's train.bin): every byte is token data of that width.
 */
export function readTokenFile(path: string, format?: RawTokenFormat): Uint16Array | Uint32Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read token file ${path}: ${oneLine(e)}`);
  }
  if (format) return tokensFromRaw(bytes, format, path);
  const h = parseHeader(bytes, bytes.length, path);
  const ids = tokensFromBytes(bytes.subarray(HEADER_BYTES), h.width, h.count);
  if (h.vocabSize > 0) {
    for (let i = 0; i < ids.length; i++) if (ids[i] >= h.vocabSize) throw new Error(`${path}: token ${ids[i]} at position ${i} is ≥ the vocabulary size ${h.vocabSize} in the header`);
  }
  return ids;
}

/** Streams a .bin token file: random-access reads of token ranges without loading the file. */
export class TokenFileReader {
  readonly header: TokenHeader;
  private fd: number;
  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'r');
    } catch (e) {
      throw new Error(`cannot open token file ${path}: ${oneLine(e)}`);
    }
    try {
      const head = new Uint8Array(HEADER_BYTES);
      const got = readSync(this.fd, head, 0, HEADER_BYTES, 0);
      this.header = parseHeader(head.subarray(0, got), fstatSync(this.fd).size, path);
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }
  get count(): number {
    return this.header.count;
  }
  /** Tokens [start, start+n) (clipped to the end of the file). */
  read(start: number, n: number): Uint16Array | Uint32Array {
    const { width, count } = this.header;
    if (!Number.isInteger(start) || start < 0 || start > count) throw new Error(`${this.path}: token offset ${start} is out of range [0, ${count}]`);
    const len = Math.max(0, Math.min(n, count - start));
    const buf = new Uint8Array(len * width);
    let off = 0;
    while (off < buf.length) {
      const got = readSync(this.fd, buf, off, buf.length - off, HEADER_BYTES + start * width + off);
      if (got === 0) throw new Error(`${this.path}: file ended early at token ${start + off / width}`);
      off += got;
    }
    return tokensFromBytes(buf, width, len);
  }
  /** Consecutive chunks of `size` tokens. */
  *chunks(size = 1 << 20): Generator<Uint16Array | Uint32Array> {
    for (let s = 0; s < this.header.count; s += size) yield this.read(s, size);
  }
  close(): void {
    closeSync(this.fd);
  }
}

/**
 * Appends tokens to `<path>.tmp-<pid>-<rand>`; close() writes the final header, fsyncs and renames over `path`,
 * so `path` is never a partial file. abort() removes the temp file.
 */
export class TokenFileWriter {
  readonly width: 2 | 4;
  private fd: number;
  private tmp: string;
  private done = false;
  count = 0;
  constructor(
    readonly path: string,
    readonly vocabSize: number,
  ) {
    if (!Number.isInteger(vocabSize) || vocabSize <= 0) throw new Error(`vocabulary size must be a positive integer, got ${vocabSize}`);
    this.width = widthFor(vocabSize);
    this.tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    try {
      this.fd = openSync(this.tmp, 'wx');
    } catch (e) {
      throw new Error(`cannot write ${path}: ${oneLine(e)}`);
    }
    try {
      this.write(makeHeader(0, this.width, vocabSize));
    } catch (e) {
      this.abort();
      throw new Error(`cannot write ${path}: ${oneLine(e)}`);
    }
  }
  private write(bytes: Uint8Array, position?: number): void {
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off, position === undefined ? null : position + off);
  }
  append(ids: ArrayLike<number>): void {
    if (this.done) throw new Error(`${this.path}: writer is closed`);
    if (this.count + ids.length >= 2 ** 31) throw new Error(`${this.path}: more than 2^31 − 1 tokens do not fit the header`);
    try {
      this.write(tokensToBytes(ids, this.width, this.vocabSize, this.count));
    } catch (e) {
      this.abort();
      throw e;
    }
    this.count += ids.length;
  }
  close(): void {
    if (this.done) return;
    try {
      this.write(makeHeader(this.count, this.width, this.vocabSize), 0);
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.done = true;
      renameSync(this.tmp, this.path);
    } catch (e) {
      this.abort();
      throw new Error(`cannot write ${this.path}: ${oneLine(e)}`);
    }
    fsyncDir(dirname(resolve(this.path)));
  }
  abort(): void {
    if (!this.done) {
      this.done = true;
      try { closeSync(this.fd); } catch { /* already closed */ }
    }
    try { unlinkSync(this.tmp); } catch { /* already gone */ }
  }
}

/** Writes a whole token array as a .bin file, atomically. */
export function writeTokenFile(path: string, ids: ArrayLike<number>, vocabSize: number): void {
  const w = new TokenFileWriter(path, vocabSize);
  w.append(ids);
  w.close();
}

export interface TokenizeFileOptions extends EncodeOptions {
  /** receives ids in order, chunk by chunk */
  onIds: (ids: number[]) => void;
  /** bytes read per chunk (default 4 MiB) */
  chunkBytes?: number;
  /** draw a progress bar on stderr (default: when stderr is a TTY and the file is > 8 MiB) */
  progress?: boolean;
}

/**
 * Tokenizes a UTF-8 text file in chunks (strict UTF-8, errors name the byte offset), giving exactly the ids of
 * encoding the whole text at once. Returns the number of tokens and bytes.
 */
export function tokenizeFile(path: string, tok: Tokenizer, opts: TokenizeFileOptions): { tokens: number; bytes: number } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new Error(`cannot read ${path}: ${oneLine(e)}`);
  }
  const size = statSync(path).size;
  const chunk = opts.chunkBytes ?? 4 << 20;
  const bar = new ProgressBar(size, 0, opts.progress ?? (!!process.stderr.isTTY && size > 8 << 20));
  const t0 = performance.now();
  const utf8 = new Utf8Stream(path);
  const enc = new StreamingEncoder(tok, { allowedSpecial: opts.allowedSpecial }, Math.max(1024, chunk));
  const buf = new Uint8Array(chunk);
  let read = 0;
  try {
    for (;;) {
      const got = readSync(fd, buf, 0, chunk, null);
      if (got === 0) break;
      read += got;
      const ids = enc.push(utf8.push(buf.subarray(0, got)));
      if (ids.length) opts.onIds(ids);
      const mb = read / 1e6 / ((performance.now() - t0) / 1000);
      bar.update(read, { tokens: String(enc.count), 'MB/s': mb.toFixed(1) });
    }
    utf8.end();
    const ids = enc.end();
    if (ids.length) opts.onIds(ids);
    bar.update(size, { tokens: String(enc.count), 'MB/s': (read / 1e6 / ((performance.now() - t0) / 1000)).toFixed(1) });
  } finally {
    closeSync(fd);
    bar.done();
  }
  return { tokens: enc.count, bytes: read };
}

/** Tokenizes a text file straight into a .bin token file (atomic). */
export function tokenizeToBin(textPath: string, binPath: string, tok: Tokenizer, opts: EncodeOptions & { progress?: boolean; chunkBytes?: number } = {}): { tokens: number; bytes: number; width: 2 | 4 } {
  const w = new TokenFileWriter(binPath, tok.vocabSize);
  try {
    const r = tokenizeFile(textPath, tok, { ...opts, onIds: (ids) => w.append(ids) });
    w.close();
    return { ...r, width: w.width };
  } catch (e) {
    w.abort();
    throw e;
  }
}
