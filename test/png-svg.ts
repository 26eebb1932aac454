// Test helpers for pictures: a PNG decoder (chunks + CRC, zlib inflate, all five filters undone) and an XML
// well-formedness check for SVG text. Node-only (node:zlib). Leaves out: palettes, interlacing, DTDs.
import { inflateSync } from 'node:zlib';
import { crc32 } from '../src/plot/png.ts';

export interface DecodedPng {
  width: number;
  height: number;
  channels: number;
  pixels: Uint8Array;
}

export function decodePng(bytes: Uint8Array): DecodedPng {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  if (!sig.every((b, i) => bytes[i] === b)) throw new Error('not a PNG signature');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 8, width = 0, height = 0, channels = 0;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (o < bytes.length) {
    const len = dv.getUint32(o);
    const type = String.fromCharCode(...bytes.subarray(o + 4, o + 8));
    const data = bytes.subarray(o + 8, o + 8 + len);
    if (crc32(bytes.subarray(o + 4, o + 8 + len)) !== dv.getUint32(o + 8 + len)) throw new Error(`bad CRC in ${type}`);
    if (type === 'IHDR') {
      width = dv.getUint32(o + 8);
      height = dv.getUint32(o + 12);
      const [depth, colour, , , interlace] = data.subarray(8, 13);
      if (depth !== 8 || interlace !== 0) throw new Error('decoder handles 8-bit non-interlaced only');
      channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[colour] ?? 0;
      if (!channels) throw new Error(`colour type ${colour} not handled`);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') { ended = true; break; }
    o += 12 + len;
  }
  if (!ended) throw new Error('no IEND chunk');
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length !== height * (stride + 1)) throw new Error(`inflated ${raw.length} bytes, expected ${height * (stride + 1)}`);
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const ft = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i];
      const a = i >= channels ? px[y * stride + i - channels] : 0;
      const b = y > 0 ? px[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= channels ? px[(y - 1) * stride + i - channels] : 0;
      let v: number;
      if (ft === 0) v = x;
      else if (ft === 1) v = x + a;
      else if (ft === 2) v = x + b;
      else if (ft === 3) v = x + ((a + b) >> 1);
      else if (ft === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      } else throw new Error(`bad filter type ${ft} on row ${y}`);
      px[y * stride + i] = v & 0xff;
    }
  }
  return { width, height, channels, pixels: px };
}

/** Distinct colours and the fraction of pixels that are not the top-left (background) colour. */
export function pixelStats(p: DecodedPng): { colours: number; inked: number } {
  const seen = new Set<number>();
  const n = p.width * p.height, ch = p.channels, px = p.pixels;
  const key = (i: number) => {
    let h = 0;
    for (let c = 0; c < ch; c++) h = h * 256 + px[i * ch + c];
    return h;
  };
  const bg = key(0);
  let inked = 0;
  for (let i = 0; i < n; i++) {
    const k = key(i);
    seen.add(k);
    if (k !== bg) inked++;
  }
  return { colours: seen.size, inked: inked / n };
}

/** Throws unless `xml` is well-formed: one root, balanced tags, quoted attributes, known entities. */
export function checkXml(xml: string): { root: string; elements: number } {
  const stack: string[] = [];
  let root = '', elements = 0;
  const body = xml.replace(/^\s*<\?xml[^>]*\?>/, '');
  const re = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*"[^"<]*")*)\s*(\/?)>|<!--[\s\S]*?-->|(<)|(&(?!(?:lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);))/g;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(body))) {
    if (m[5]) throw new Error(`stray '<' at ${m.index}`);
    if (m[6]) throw new Error(`bad entity at ${m.index}`);
    const text = body.slice(last, m.index);
    if (!stack.length && text.trim() && root) throw new Error('text after the root element');
    last = re.lastIndex;
    if (m[0].startsWith('<!--')) continue;
    const [, close, name, , selfClose] = m;
    if (close) {
      if (stack.pop() !== name) throw new Error(`</${name}> does not close the open element`);
    } else {
      elements++;
      if (!stack.length) {
        if (root) throw new Error('more than one root element');
        root = name;
      }
      if (!selfClose) stack.push(name);
    }
  }
  if (stack.length) throw new Error(`unclosed <${stack[stack.length - 1]}>`);
  if (!root) throw new Error('no root element');
  return { root, elements };
}
