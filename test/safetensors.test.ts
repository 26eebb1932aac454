// safetensors reader/writer: round trips, F16/BF16 decoding against known bit patterns (and an exhaustive
// bit-level reference for F16), and every rejection path with its one-line message. No GPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSafetensors, serializeSafetensors, f16BitsToNumber, bf16BitsToNumber } from '../src/io/safetensors.ts';
import { randn, makeSafetensors } from './helpers.ts';


function u16(...xs: number[]): Uint8Array {
  const b = new Uint8Array(xs.length * 2);
  xs.forEach((x, i) => ((b[2 * i] = x & 0xff), (b[2 * i + 1] = x >> 8)));
  return b;
}

function rejects(bytes: Uint8Array, pattern: RegExp, opts?: { maxHeaderBytes?: number }): string {
  try {
    parseSafetensors(bytes, opts);
  } catch (e) {
    const msg = (e as Error).message;
    assert.ok(e instanceof Error && e.constructor === Error, `not a plain Error: ${e}`);
    assert.ok(!msg.includes('\n'), `multi-line error: ${msg}`);
    assert.match(msg, /^safetensors: /);
    assert.match(msg, pattern);
    return msg;
  }
  assert.unreachable(`accepted a bad file, expected ${pattern}`);
  return '';
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.is(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `[${i}] ${a[i]} vs ${b[i]}`);
};

test('serialize → parse round trip keeps names, shapes, bit-exact values, metadata; output is deterministic', () => {
  const special = new Float32Array([0, -0, 1.5, -3.25e-38, 1e-45, Infinity, -Infinity, NaN, 3.4028234663852886e38]);
  const w = randn(12, 1);
  const ids = new Int32Array([0, 1, -7, 2147483647, -2147483648, 50256]);
  const tensors = [
    { name: 'z.weight', shape: [3, 4], data: w },
    { name: 'a.special', shape: [9], data: special },
    { name: 'ids', shape: [2, 3], data: ids },
    { name: 'scalar', shape: [], data: new Float32Array([42]) },
    { name: 'empty', shape: [0, 5], data: new Float32Array(0) },
  ];
  const bytes = serializeSafetensors(tensors, { format: 'pt', note: 'ünïcode ✓' });
  const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.is(headerLen % 8, 0, 'header padded to 8 bytes');
  const { tensors: got, metadata } = parseSafetensors(bytes);
  assert.equal(metadata, { format: 'pt', note: 'ünïcode ✓' });
  assert.equal([...got.keys()].sort(), ['a.special', 'empty', 'ids', 'scalar', 'z.weight']);
  same(got.get('z.weight')!.data, w);
  same(got.get('a.special')!.data, special);
  assert.equal(got.get('z.weight')!.shape, [3, 4]);
  assert.is(got.get('ids')!.dtype, 'I32');
  same(got.get('ids')!.ints!, ids);
  same(got.get('ids')!.data, Float32Array.from(ids));
  assert.equal(got.get('scalar')!.shape, []);
  same(got.get('scalar')!.data, [42]);
  assert.equal(got.get('empty')!.shape, [0, 5]);
  assert.is(got.get('empty')!.data.length, 0);
  // deterministic: input order does not matter, re-serializing the parsed tensors gives the same bytes
  const again = serializeSafetensors([...tensors].reverse(), { format: 'pt', note: 'ünïcode ✓' });
  assert.equal(again, bytes);
  const re = serializeSafetensors(
    [...got].map(([name, t]) => ({ name, shape: t.shape, data: t.ints ?? t.data })),
    metadata,
  );
  assert.equal(re, bytes);
});

test('tensors are written in sorted-name order, contiguous, 8-aligned', () => {
  const bytes = serializeSafetensors([
    { name: 'b', shape: [1], data: new Float32Array([2]) },
    { name: 'a', shape: [3], data: new Float32Array([1, 1, 1]) },
  ]);
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assert.equal(Object.keys(header), ['a', 'b']);
  assert.equal(header.a.data_offsets, [0, 12]);
  assert.equal(header.b.data_offsets, [12, 16]);
  assert.is(bytes.length, 8 + n + 16);
  assert.is(header.__metadata__, undefined);
});

test('F32 at an unaligned offset is copied correctly; aligned F32 is a view of the input', () => {
  const vals = new Float32Array([1.25, -2.5, 3e-20]);
  const raw = new Uint8Array(vals.buffer);
  // header of length 9 mod 4 = 1 → data section starts at an odd offset
  let h = JSON.stringify({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 12] } });
  while ((8 + h.length) % 4 !== 1) h += ' ';
  const f = makeSafetensors(h, raw);
  const t = parseSafetensors(f).tensors.get('x')!;
  same(t.data, vals);
  const aligned = serializeSafetensors([{ name: 'x', shape: [3], data: vals }]);
  assert.is(parseSafetensors(aligned).tensors.get('x')!.data.buffer, aligned.buffer);
});

test('F16 decoding: known values incl. subnormals, ±0, ±inf, NaN; all 65536 patterns match a bit-level reference', () => {
  const cases: [number, number][] = [
    [0x3c00, 1], [0xc000, -2], [0x7bff, 65504], [0x0001, 5.960464477539063e-8], [0x03ff, 6.097555160522461e-5],
    [0x0400, 6.103515625e-5], [0x3555, 0.333251953125], [0x8001, -5.960464477539063e-8], [0x0200, 3.0517578125e-5],
    [0x0000, 0], [0x8000, -0], [0x7c00, Infinity], [0xfc00, -Infinity], [0x7e00, NaN], [0xfc01, NaN],
  ];
  const file = makeSafetensors({ h: { dtype: 'F16', shape: [cases.length], data_offsets: [0, cases.length * 2] } }, u16(...cases.map((c) => c[0])));
  const t = parseSafetensors(file).tensors.get('h')!;
  assert.is(t.dtype, 'F16');
  same(t.data, cases.map((c) => c[1]));
  // exhaustive: reference builds the f32 bit pattern directly (rebias exponent, normalise subnormals)
  const all = new Uint16Array(65536).map((_, i) => i);
  const dec = parseSafetensors(makeSafetensors({ h: { dtype: 'F16', shape: [65536], data_offsets: [0, 131072] } }, new Uint8Array(all.buffer))).tensors.get('h')!.data;
  const bits = new Uint32Array(1);
  const asF = new Float32Array(bits.buffer);
  for (let h = 0; h < 65536; h++) {
    const s = (h & 0x8000) << 16;
    let e = (h >> 10) & 0x1f;
    let m = h & 0x3ff;
    if (e === 0x1f) bits[0] = s | 0x7f800000 | (m << 13);
    else if (e === 0 && m === 0) bits[0] = s;
    else {
      if (e === 0) {
        e = 1;
        while (!(m & 0x400)) ((m <<= 1), e--);
        m &= 0x3ff;
      }
      bits[0] = s | ((e + 112) << 23) | (m << 13);
    }
    assert.ok(Object.is(dec[h], asF[0]), `f16 0x${h.toString(16)}: ${dec[h]} vs ${asF[0]}`);
    assert.ok(Object.is(f16BitsToNumber(h), asF[0]));
  }
});

test('BF16 decoding: known values incl. subnormals, max, ±inf, NaN', () => {
  const cases: [number, number][] = [
    [0x3f80, 1], [0x4049, 3.140625], [0xc2f7, -123.5], [0x0001, 9.183549615799121e-41], [0x007f, 1.1663108012064884e-38],
    [0x0080, 1.1754943508222875e-38], [0x7f7f, 3.3895313892515355e38], [0x8001, -9.183549615799121e-41],
    [0x0000, 0], [0x8000, -0], [0x7f80, Infinity], [0xff80, -Infinity], [0x7fc0, NaN],
  ];
  const file = makeSafetensors({ b: { dtype: 'BF16', shape: [cases.length], data_offsets: [0, cases.length * 2] } }, u16(...cases.map((c) => c[0])));
  same(parseSafetensors(file).tensors.get('b')!.data, cases.map((c) => c[1]));
  for (const [h, v] of cases) assert.ok(Object.is(bf16BitsToNumber(h), v));
});

test('I64 ids within int32 are read; larger ones are refused', () => {
  const b = new BigInt64Array([0n, -1n, 50256n, 2147483647n, -2147483648n]);
  const t = parseSafetensors(makeSafetensors({ i: { dtype: 'I64', shape: [5], data_offsets: [0, 40] } }, new Uint8Array(b.buffer))).tensors.get('i')!;
  same(t.ints!, [0, -1, 50256, 2147483647, -2147483648]);
  const big = new BigInt64Array([1n, 2147483648n]);
  rejects(makeSafetensors({ i: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, new Uint8Array(big.buffer)), /tensor 'i' \(I64\) element 1 = 2147483648 does not fit in int32/);
});

test('metadata-only and empty-header-object files parse', () => {
  assert.is(parseSafetensors(makeSafetensors({})).tensors.size, 0);
  assert.equal(parseSafetensors(makeSafetensors({ __metadata__: { a: 'b' } })).metadata, { a: 'b' });
  // header padded with trailing spaces (as the reference writer does)
  assert.is(parseSafetensors(makeSafetensors('{}      ')).tensors.size, 0);
});

const F32x2 = (o: unknown = [0, 8]) => ({ x: { dtype: 'F32', shape: [2], data_offsets: o } });
const eight = new Uint8Array(8);

const REJECTIONS: [string, () => Uint8Array, RegExp, { maxHeaderBytes?: number }?][] = [
  ['empty file', () => new Uint8Array(0), /file is 0 bytes, too short/],
  ['7-byte file', () => new Uint8Array(7), /file is 7 bytes, too short/],
  ['header length 2^63', () => makeSafetensors({}, eight, 1n << 63n), /header length 9223372036854775808 is larger than the 10 bytes/],
  ['header length 2^64-1', () => makeSafetensors({}, eight, (1n << 64n) - 1n), /header length 18446744073709551615 is larger/],
  ['header longer than file (truncated)', () => makeSafetensors(F32x2(), eight).subarray(0, 30), /header length \d+ is larger than the 22 bytes that follow/],
  ['header over the cap', () => makeSafetensors(F32x2(), eight), /header length \d+ exceeds the 16-byte limit/, { maxHeaderBytes: 16 }],
  ['header not UTF-8', () => makeSafetensors('{"\xff"}').map((b, i) => (i === 10 ? 0xff : b)), /not valid UTF-8/],
  ['header invalid JSON', () => makeSafetensors('{"x": '), /header is not valid JSON/],
  ['header empty (length 0)', () => makeSafetensors(''), /header is not valid JSON/],
  ['header is an array', () => makeSafetensors('[1,2]'), /header must be a JSON object, got array/],
  ['header is null', () => makeSafetensors('null'), /header must be a JSON object, got null/],
  ['entry not an object', () => makeSafetensors({ x: 5 }), /tensor 'x' must be an object/],
  ['dtype missing', () => makeSafetensors({ x: { shape: [2], data_offsets: [0, 8] } }, eight), /tensor 'x' has no dtype string/],
  ['shape not an array', () => makeSafetensors({ x: { dtype: 'F32', shape: 2, data_offsets: [0, 8] } }, eight), /tensor 'x' has no shape array/],
  ['shape negative dim', () => makeSafetensors({ x: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, eight), /shape \[-2\]: dims must be non-negative integers/],
  ['shape fractional dim', () => makeSafetensors({ x: { dtype: 'F32', shape: [1.5], data_offsets: [0, 8] } }, eight), /dims must be non-negative integers/],
  ['shape string dim', () => makeSafetensors({ x: { dtype: 'F32', shape: ['2'], data_offsets: [0, 8] } }, eight), /dims must be non-negative integers/],
  ['data_offsets missing', () => makeSafetensors({ x: { dtype: 'F32', shape: [2] } }, eight), /needs data_offsets \[start, end\]/],
  ['data_offsets 3 numbers', () => makeSafetensors(F32x2([0, 8, 9]), eight), /needs data_offsets/],
  ['data_offsets end < start', () => makeSafetensors(F32x2([8, 0]), eight), /need integers 0 <= start <= end/],
  ['data_offsets negative', () => makeSafetensors(F32x2([-8, 0]), eight), /need integers 0 <= start <= end/],
  ['data_offsets 2^64 (unsafe integer)', () => makeSafetensors('{"x":{"dtype":"F32","shape":[2],"data_offsets":[18446744073709551616,18446744073709551624]}}', eight), /need integers/],
  ['dtype F64', () => makeSafetensors({ x: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, eight), /tensor 'x' has dtype F64; wgpt reads F32, F16, BF16, I32, I64/],
  ['dtype BOOL', () => makeSafetensors({ x: { dtype: 'BOOL', shape: [8], data_offsets: [0, 8] } }, eight), /has dtype BOOL; wgpt reads/],
  ['dtype U8', () => makeSafetensors({ x: { dtype: 'U8', shape: [8], data_offsets: [0, 8] } }, eight), /has dtype U8; wgpt reads/],
  ['dtype unknown', () => makeSafetensors({ x: { dtype: 'Q4_K', shape: [8], data_offsets: [0, 8] } }, eight), /has dtype Q4_K \(not a safetensors dtype\)/],
  ['size ≠ shape × dtype', () => makeSafetensors({ x: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 8] } }, eight), /F32 shape \[2,3\] needs 24 bytes but data_offsets \[0, 8\] span 8/],
  ['F16 size mismatch', () => makeSafetensors({ x: { dtype: 'F16', shape: [3], data_offsets: [0, 8] } }, eight), /F16 shape \[3\] needs 6 bytes/],
  ['offsets past the end', () => makeSafetensors(F32x2([8, 16]), eight), /data_offsets \[8, 16\] run past the end of the 8-byte data section/],
  ['huge shape, offsets past end', () => makeSafetensors({ x: { dtype: 'F32', shape: [1e9], data_offsets: [0, 4e9] } }, eight), /run past the end/],
  ['overlapping tensors', () => makeSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, eight), /tensors 'a' \[0, 8\) and 'b' \[4, 8\) overlap/],
  ['two tensors, same span', () => makeSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'I32', shape: [2], data_offsets: [0, 8] } }, eight), /overlap/],
  ['metadata not an object', () => makeSafetensors({ __metadata__: 'pt' }), /__metadata__ must be an object of strings, got string/],
  ['metadata value a number', () => makeSafetensors({ __metadata__: { format: 'pt', step: 3 } }), /__metadata__ value of 'step' must be a string, got number 3/],
  ['metadata value null', () => makeSafetensors({ __metadata__: { a: null } }), /value of 'a' must be a string, got null/],
];

for (const [what, build, pattern, opts] of REJECTIONS) {
  test(`rejects: ${what}`, () => {
    rejects(build(), pattern, opts);
  });
}

test('serializer refuses inconsistent input with one-line errors', () => {
  const bad: [() => unknown, RegExp][] = [
    [() => serializeSafetensors([{ name: 'a', shape: [2], data: new Float32Array(3) }]), /tensor 'a' shape \[2\] holds 2 values but data has 3/],
    [() => serializeSafetensors([{ name: 'a', shape: [1], data: new Float32Array(1) }, { name: 'a', shape: [1], data: new Float32Array(1) }]), /tensor 'a' is given twice/],
    [() => serializeSafetensors([{ name: '__metadata__', shape: [1], data: new Float32Array(1) }]), /cannot write a tensor named "__metadata__"/],
    [() => serializeSafetensors([{ name: 'a', shape: [-1], data: new Float32Array(1) }]), /dims must be non-negative integers/],
    [() => serializeSafetensors([{ name: 'a', shape: [1], data: new Float64Array(1) as unknown as Float32Array }]), /Float32Array or Int32Array/],
    [() => serializeSafetensors([], { a: 1 as unknown as string }), /metadata value of 'a' must be a string/],
  ];
  for (const [f, re] of bad) assert.throws(f, (e: Error) => re.test(e.message) && !e.message.includes('\n'));
});

test.run();
