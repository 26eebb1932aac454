// Seeded fuzzing of the safetensors parser: random bytes and mutations of a valid file (flipped bytes,
// truncations, huge/odd length fields, edited header JSON). Only plain one-line Errors may come out, and an
// accepted file must be self-consistent with output no larger than twice the input (no giant allocation).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSafetensors } from '../src/io/safetensors.ts';
import { rng, makeSafetensors } from './helpers.ts';

type Header = Record<string, unknown>;


/** A valid file with every readable dtype, plus metadata. */
function validFile(): { header: Header; data: Uint8Array; bytes: Uint8Array } {
  const parts: [string, string, number[], Uint8Array][] = [
    ['a.weight', 'F32', [3, 4], new Uint8Array(new Float32Array(12).map((_, i) => i - 5.5).buffer)],
    ['b.half', 'F16', [5], new Uint8Array(new Uint16Array([0x3c00, 0x0001, 0x7c00, 0xfe00, 0x8000]).buffer)],
    ['c.bf16', 'BF16', [2, 2], new Uint8Array(new Uint16Array([0x3f80, 0x0001, 0xff80, 0x4049]).buffer)],
    ['d.ids', 'I32', [3], new Uint8Array(new Int32Array([1, -2, 50256]).buffer)],
    ['e.ids64', 'I64', [2], new Uint8Array(new BigInt64Array([7n, -9n]).buffer)],
    ['f.empty', 'F32', [0, 3], new Uint8Array(0)],
  ];
  const header: Header = { __metadata__: { format: 'pt', origin: 'fuzz' } };
  let off = 0;
  for (const [name, dtype, shape, raw] of parts) {
    header[name] = { dtype, shape, data_offsets: [off, off + raw.length] };
    off += raw.length;
  }
  const data = new Uint8Array(off);
  off = 0;
  for (const [, , , raw] of parts) ((data.set(raw, off)), (off += raw.length));
  return { header, data, bytes: makeSafetensors(header, data) };
}

const HOSTILE: unknown[] = [
  -1, 0, 1, 3, 7, 8, 1.5, 1e20, 2 ** 53, 2 ** 53 + 2, -0, 1e308, 'x', '', 'F64', 'BOOL', 'F16', 'I64', 'U8', null, true,
  [], {}, [0], [0, 1, 2], [8, 0], [-4, 0], [0, 1e20], ['0', '8'], [1e6, 1e6, 1e6, 1e6], [2 ** 31, 2 ** 31], { dtype: 'F32' },
  { '': 1 }, '__proto__',
];

function mutate(r: () => number, base: ReturnType<typeof validFile>): [string, Uint8Array] {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const int = (n: number) => Math.floor(r() * n);
  const b = base.bytes;
  const headerEnd = b.length - base.data.length;
  switch (int(8)) {
    case 0: { // flip 1–8 bytes, mostly inside the length field and header
      const out = b.slice();
      const k = 1 + int(8);
      for (let i = 0; i < k; i++) out[r() < 0.8 ? int(headerEnd) : int(out.length)] ^= 1 + int(255);
      return ['flipped bytes', out];
    }
    case 1:
      return ['truncated', b.slice(0, int(b.length))];
    case 2: { // odd length fields
      const out = b.slice();
      const dv = new DataView(out.buffer);
      const choices = [1n << 63n, (1n << 64n) - 1n, (1n << 32n) + BigInt(int(100)), BigInt(b.length), BigInt(b.length - 8 + 1), BigInt(int(b.length)), 0n, BigInt(int(2 ** 30))];
      dv.setBigUint64(0, pick(choices), true);
      return ['length field', out];
    }
    case 3: { // delete or insert a chunk inside the header, keeping the length field consistent
      const text = new TextDecoder().decode(b.subarray(8, headerEnd));
      const at = int(text.length);
      const edited = r() < 0.5 ? text.slice(0, at) + text.slice(at + 1 + int(10)) : text.slice(0, at) + pick(['{', '}', '[', ']', ',', ':', '"', '\\', '-', '9', 'e9', '\u0000', '\ud800', '€', 'null']) + text.slice(at);
      return ['edited header text', makeSafetensors(edited, base.data)];
    }
    case 4: { // replace one field of one entry with a hostile value (valid JSON, correct length)
      const h: Header = structuredClone(base.header);
      const names = Object.keys(h);
      const name = pick(names);
      if (r() < 0.2) h[name] = pick(HOSTILE);
      else if (typeof h[name] === 'object' && h[name] !== null) (h[name] as Header)[pick(['dtype', 'shape', 'data_offsets', 'format', 'origin', 'extra'])] = pick(HOSTILE);
      return ['hostile field', makeSafetensors(h, base.data)];
    }
    case 5: { // moved/duplicated spans: offsets swapped between tensors
      const h: Header = structuredClone(base.header);
      const names = Object.keys(h).filter((n) => n !== '__metadata__');
      const x = h[pick(names)] as Header;
      const y = h[pick(names)] as Header;
      x.data_offsets = y.data_offsets;
      if (r() < 0.7) ((x.shape = y.shape), (x.dtype = y.dtype));
      return ['swapped offsets', makeSafetensors(h, r() < 0.3 ? base.data.subarray(0, int(base.data.length + 1)) : base.data)];
    }
    case 6: { // random bytes, sometimes with a plausible length field
      const n = int(300);
      const out = new Uint8Array(n).map(() => int(256));
      if (n >= 8 && r() < 0.5) new DataView(out.buffer).setBigUint64(0, BigInt(int(n - 7)), true);
      return ['random bytes', out];
    }
    default: { // many tensors / deep nesting / long names
      const h: Header = {};
      const k = int(2000);
      for (let i = 0; i < k; i++) h[`t${i}`.repeat(1 + int(3))] = { dtype: 'F32', shape: [1], data_offsets: [4 * int(k + 2), 4 * int(k + 2) + 4] };
      if (r() < 0.3) h.deep = JSON.parse('['.repeat(500) + ']'.repeat(500));
      return ['many tensors', makeSafetensors(h, new Uint8Array(4 * k))];
    }
  }
}

test('fuzz: 2400 random and mutated inputs give either a consistent result or a clean one-line Error', () => {
  const base = validFile();
  const ok = parseSafetensors(base.bytes);
  assert.is(ok.tensors.size, 6, 'the base file parses');
  const r = rng(20240607);
  const reasons = new Map<string, number>();
  let accepted = 0;
  const N = 2400;
  for (let it = 0; it < N; it++) {
    const [kind, bytes] = mutate(r, base);
    const opts = r() < 0.1 ? { maxHeaderBytes: Math.floor(r() * 400) } : undefined;
    let res;
    try {
      res = parseSafetensors(bytes, opts);
    } catch (e) {
      const where = `case ${it} (${kind})`;
      assert.ok(e instanceof Error, `${where}: threw a non-Error ${String(e)}`);
      assert.is((e as Error).constructor, Error, `${where}: ${(e as Error).constructor.name}: ${(e as Error).message}`);
      const msg = (e as Error).message;
      assert.ok(msg.startsWith('safetensors: ') && !msg.includes('\n') && msg.length < 400, `${where}: unclean message ${JSON.stringify(msg)}`);
      const reason = msg.replace(/^safetensors: /, '').replace(/'[^']*'|"[^"]*"|\[[^\]]*\]|\(.*\)|\d+/g, '…').slice(0, 48);
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      continue;
    }
    accepted++;
    let outBytes = 0;
    for (const [name, t] of res.tensors) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      assert.is(t.data.length, n, `case ${it} (${kind}): tensor ${name} shape [${t.shape}] but ${t.data.length} values`);
      if (t.ints) assert.is(t.ints.length, n);
      outBytes += t.data.byteLength + (t.ints?.byteLength ?? 0);
    }
    assert.ok(outBytes <= 2 * bytes.length, `case ${it} (${kind}): ${outBytes} bytes out of ${bytes.length} in`);
    for (const [k, v] of Object.entries(res.metadata)) assert.type(v, 'string', `metadata ${k}`);
  }
  console.log(`  fuzz: ${N} inputs, ${accepted} accepted, ${N - accepted} rejected; reasons:`);
  for (const [k, v] of [...reasons].sort((a, b) => b[1] - a[1])) console.log(`    ${String(v).padStart(5)}  ${k}`);
  assert.ok(reasons.size >= 12, `the fuzzer reaches many checks (${reasons.size})`);
  assert.ok(accepted > 0 && accepted < N);
});

test('hostile names: __proto__ as tensor name and metadata key do not touch prototypes', () => {
  const text = '{"__metadata__":{"__proto__":"x","constructor":"y"},"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
  const res = parseSafetensors(makeSafetensors(text, new Uint8Array(new Float32Array([2.5]).buffer)));
  assert.equal([...res.tensors.keys()], ['__proto__']);
  assert.is(res.tensors.get('__proto__')!.data[0], 2.5);
  assert.is(Object.getOwnPropertyDescriptor(res.metadata, '__proto__')?.value, 'x');
  assert.is(Object.getPrototypeOf(res.metadata), Object.prototype);
  assert.is(({} as Record<string, unknown>).x, undefined);
});

test.run();
