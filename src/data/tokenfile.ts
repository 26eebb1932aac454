// The .bin token file format (llm.c style), browser-safe: header parse/build and the body as a typed array.
// File I/O (read, stream, atomic write) is in ./node.ts. Leaves out: compression, sharding (one file = one stream).
//
// Layout: a header of 256 little-endian int32, then the tokens, little-endian, nothing after them.
//   header[0] magic    20240520 → tokens are uint16 (llm.c's GPT-2 files; readable by llm.c)
//                      20240801 → tokens are uint32 (llm.c's Llama-3 files)
//   header[1] version  1 with 20240520, 7 with 20240801 (llm.c's values); the (magic, version) pair is checked
//   header[2]          number of tokens N (< 2^31); the file is exactly 1024 + N·width bytes
//   header[3]          wgpt addition: the tokenizer's vocabulary size (0 = not recorded); llm.c ignores it
//   header[4..255]     0
// The writer picks uint16 when the vocabulary has at most 65,535 ids, uint32 above (the width is in the magic).

export const HEADER_INTS = 256;
export const HEADER_BYTES = HEADER_INTS * 4;
export const MAGIC_U16 = 20240520;
export const VERSION_U16 = 1;
export const MAGIC_U32 = 20240801;
export const VERSION_U32 = 7;

export interface TokenHeader {
  /** bytes per token: 2 or 4 */
  width: 2 | 4;
  count: number;
  /** 0 when not recorded */
  vocabSize: number;
}

/** Token width for a vocabulary: uint16 up to 65,535 ids, uint32 beyond. */
export function widthFor(vocabSize: number): 2 | 4 {
  return vocabSize > 65535 ? 4 : 2;
}

export function makeHeader(count: number, width: 2 | 4, vocabSize = 0): Uint8Array {
  if (!Number.isInteger(count) || count < 0 || count >= 2 ** 31) throw new Error(`token count ${count} does not fit the header (must be < 2^31)`);
  const h = new DataView(new ArrayBuffer(HEADER_BYTES));
  h.setInt32(0, width === 2 ? MAGIC_U16 : MAGIC_U32, true);
  h.setInt32(4, width === 2 ? VERSION_U16 : VERSION_U32, true);
  h.setInt32(8, count, true);
  h.setInt32(12, vocabSize, true);
  return new Uint8Array(h.buffer);
}

const HEADERLESS_HINT = "a headerless token file such as nanoGPT's train.bin is read with --data-format uint16 (or uint32)";

/** Parses and checks a header; `fileBytes` (when known) must equal 1024 + count·width. */
export function parseHeader(bytes: Uint8Array, fileBytes?: number, source = 'token file'): TokenHeader {
  if (bytes.length < HEADER_BYTES) throw new Error(`${source}: ${bytes.length} bytes is shorter than the ${HEADER_BYTES}-byte header; not a .bin token file with an llm.c header (${HEADERLESS_HINT})`);
  const h = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const magic = h.getInt32(0, true);
  const version = h.getInt32(4, true);
  let width: 2 | 4;
  if (magic === MAGIC_U16 && version === VERSION_U16) width = 2;
  else if (magic === MAGIC_U32 && version === VERSION_U32) width = 4;
  else {
    throw new Error(
      `${source}: bad header (magic ${magic}, version ${version}): no llm.c header (expected ${MAGIC_U16}/${VERSION_U16} for uint16 or ${MAGIC_U32}/${VERSION_U32} for uint32); ` +
        HEADERLESS_HINT,
    );
  }
  const count = h.getInt32(8, true);
  const vocabSize = h.getInt32(12, true);
  if (count < 0) throw new Error(`${source}: negative token count ${count} in the header`);
  if (vocabSize < 0) throw new Error(`${source}: negative vocabulary size ${vocabSize} in the header`);
  if (fileBytes !== undefined && fileBytes !== HEADER_BYTES + count * width) {
    throw new Error(`${source}: header says ${count} uint${width * 8} tokens (${HEADER_BYTES + count * width} bytes) but the file has ${fileBytes} bytes${fileBytes < HEADER_BYTES + count * width ? ' (truncated?)' : ''}`);
  }
  return { width, count, vocabSize };
}

/** Token widths of headerless files (nanoGPT writes np.uint16 arrays with no header). */
export type RawTokenFormat = 'uint16' | 'uint32';
export const RAW_TOKEN_FORMATS: readonly RawTokenFormat[] = ['uint16', 'uint32'];

/** True when `bytes` begins with a valid llm.c header (magic and version of either width). */
export function hasLlmcHeader(bytes: Uint8Array): boolean {
  if (bytes.length < HEADER_BYTES) return false;
  const h = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const [m, v] = [h.getInt32(0, true), h.getInt32(4, true)];
  return (m === MAGIC_U16 && v === VERSION_U16) || (m === MAGIC_U32 && v === VERSION_U32);
}

/** The ids of a headerless token file: the whole file is little-endian `format` tokens. */
export function tokensFromRaw(bytes: Uint8Array, format: RawTokenFormat, source = 'token file'): Uint16Array | Uint32Array {
  if (!RAW_TOKEN_FORMATS.includes(format)) throw new Error(`unknown token format '${format}' (formats: ${RAW_TOKEN_FORMATS.join(', ')})`);
  const width = format === 'uint16' ? 2 : 4;
  if (hasLlmcHeader(bytes)) throw new Error(`${source} has an llm.c header: read it without --data-format (the header gives the width)`);
  if (bytes.length === 0) throw new Error(`${source} is empty`);
  if (bytes.length % width) throw new Error(`${source}: ${bytes.length} bytes is not a whole number of ${format} tokens (${width} bytes each)`);
  return tokensFromBytes(bytes, width as 2 | 4, bytes.length / width);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The token body as a typed array (a view when aligned and the host is little-endian, else a copy). */
export function tokensFromBytes(body: Uint8Array, width: 2 | 4, count: number): Uint16Array | Uint32Array {
  if (body.length < count * width) throw new Error(`token body has ${body.length} bytes, need ${count * width}`);
  if (LITTLE_ENDIAN && body.byteOffset % width === 0) {
    return width === 2 ? new Uint16Array(body.buffer, body.byteOffset, count) : new Uint32Array(body.buffer, body.byteOffset, count);
  }
  const out = width === 2 ? new Uint16Array(count) : new Uint32Array(count);
  const dv = new DataView(body.buffer, body.byteOffset, count * width);
  for (let i = 0; i < count; i++) out[i] = width === 2 ? dv.getUint16(2 * i, true) : dv.getUint32(4 * i, true);
  return out;
}

/** Little-endian bytes of `ids` at `width` bytes each; every id must be in [0, limit). */
export function tokensToBytes(ids: ArrayLike<number>, width: 2 | 4, limit: number, firstIndex = 0): Uint8Array {
  const out = new Uint8Array(ids.length * width);
  const dv = new DataView(out.buffer);
  const max = Math.min(limit, width === 2 ? 65536 : 2 ** 32);
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (!Number.isInteger(v) || v < 0 || v >= max) throw new Error(`token id ${v} at position ${firstIndex + i} does not fit: ids must be integers in [0, ${max})`);
    if (width === 2) dv.setUint16(2 * i, v, true);
    else dv.setUint32(4 * i, v, true);
  }
  return out;
}
