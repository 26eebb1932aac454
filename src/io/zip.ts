// A small ZIP reader on plain bytes (browser-safe), enough for torch.save's archives (torch ≥ 1.6): central directory,
// ZIP64 sizes and offsets, STORED entries (torch writes its entries uncompressed, 64-byte aligned).
// Leaves out: compressed entries (refused by name: no inflater here), encryption, multi-disk archives, writing.

export interface ZipEntry {
  name: string;
  /** 0 = stored; anything else is refused when read */
  method: number;
  compressedSize: number;
  size: number;
  /** offset of the entry's local header */
  headerOffset: number;
}

export interface ZipArchive {
  entries: Map<string, ZipEntry>;
  /** the bytes of a stored entry (a view into the archive) */
  read(name: string): Uint8Array;
}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Whether these bytes start like a ZIP archive (local file header signature). */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** Parses the central directory of `bytes`; errors are one line starting `zip:`. */
export function readZip(bytes: Uint8Array): ZipArchive {
  const fail = (msg: string): never => {
    throw new Error(`zip: ${msg}`);
  };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (o: number) => {
    const v = dv.getUint32(o, true) + dv.getUint32(o + 4, true) * 2 ** 32;
    if (!Number.isSafeInteger(v)) fail(`a 64-bit field at ${o} is too large`);
    return v;
  };
  // end of central directory: 22 bytes + a comment of up to 65535 bytes, searched from the end
  let eocd = -1;
  for (let o = bytes.length - 22; o >= Math.max(0, bytes.length - 22 - 65535); o--) {
    if (dv.getUint32(o, true) === EOCD) {
      eocd = o;
      break;
    }
  }
  if (eocd < 0) fail('no end-of-central-directory record (truncated file?)');
  let count = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || dv.getUint32(loc, true) !== EOCD64_LOCATOR) fail('ZIP64 sizes without a ZIP64 locator');
    const e64 = u64(loc + 8);
    if (e64 + 56 > bytes.length || dv.getUint32(e64, true) !== EOCD64) fail('bad ZIP64 end-of-central-directory record');
    count = u64(e64 + 32);
    cdSize = u64(e64 + 40);
    cdOffset = u64(e64 + 48);
  }
  if (cdOffset + cdSize > bytes.length) fail(`central directory (${cdSize} bytes at ${cdOffset}) runs past the end of the ${bytes.length}-byte file`);
  const entries = new Map<string, ZipEntry>();
  const dec = new TextDecoder();
  let o = cdOffset;
  for (let i = 0; i < count; i++) {
    if (o + 46 > bytes.length || dv.getUint32(o, true) !== CENTRAL) fail(`central directory entry ${i} is malformed`);
    const method = dv.getUint16(o + 10, true);
    let compressedSize = dv.getUint32(o + 20, true);
    let size = dv.getUint32(o + 24, true);
    const nameLen = dv.getUint16(o + 28, true);
    const extraLen = dv.getUint16(o + 30, true);
    const commentLen = dv.getUint16(o + 32, true);
    let headerOffset = dv.getUint32(o + 42, true);
    if (o + 46 + nameLen + extraLen > bytes.length) fail(`central directory entry ${i} runs past the end`);
    const name = dec.decode(bytes.subarray(o + 46, o + 46 + nameLen));
    // ZIP64 extended information: the 64-bit values of the fields that hold 0xffffffff, in this order
    let e = o + 46 + nameLen;
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = dv.getUint16(e, true);
      const len = dv.getUint16(e + 2, true);
      if (id === 0x0001) {
        let p = e + 4;
        if (size === 0xffffffff) (size = u64(p)), (p += 8);
        if (compressedSize === 0xffffffff) (compressedSize = u64(p)), (p += 8);
        if (headerOffset === 0xffffffff) headerOffset = u64(p);
      }
      e += 4 + len;
    }
    entries.set(name, { name, method, compressedSize, size, headerOffset });
    o += 46 + nameLen + extraLen + commentLen;
  }
  return {
    entries,
    read(name: string): Uint8Array {
      const en = entries.get(name);
      if (!en) fail(`no entry '${name}'`);
      const h = en!.headerOffset;
      if (h + 30 > bytes.length || dv.getUint32(h, true) !== LOCAL) fail(`entry '${name}' has no local header at ${h}`);
      if (en!.method !== 0) fail(`entry '${name}' is compressed (method ${en!.method}); wgpt reads stored entries, as torch.save writes them`);
      const start = h + 30 + dv.getUint16(h + 26, true) + dv.getUint16(h + 28, true);
      if (start + en!.size > bytes.length) fail(`entry '${name}' (${en!.size} bytes at ${start}) runs past the end of the file`);
      return bytes.subarray(start, start + en!.size);
    },
  };
}
