// Dataset pipeline: the course's sliding-window batches, loader semantics (shuffle, drop_last, random access),
// train/val split, .bin token files (format, atomic write, streaming read, errors), strict UTF-8 and chunked
// tokenization that equals whole-text tokenization. No GPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync, mkdtempSync, rmSync, readdirSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer, gpt2Bpe, SimpleTokenizer } from '../src/tokenizer/index.ts';
import { BatchLoader, windowCount, shuffledOrder, splitTrainVal, splitTextTrainVal, decodeUtf8Strict, invalidUtf8At, Utf8Stream, parseHeader, MAGIC_U16, MAGIC_U32, HEADER_BYTES } from '../src/data/index.ts';
import { safeCut, StreamingEncoder } from '../src/data/stream.ts';
import { readTokenFile, writeTokenFile, TokenFileReader, TokenFileWriter, tokenizeToBin, tokenizeFile } from '../src/data/node.ts';
import { rng, throwsMsg } from './helpers.ts';
import { randomText } from './tokenizer-random.ts';

const VERDICT_PATH = new URL('../src/data/the-verdict.txt', import.meta.url);
const MULTI_PATH = new URL('./fixtures/multilingual.txt', import.meta.url);
const VERDICT = readFileSync(VERDICT_PATH, 'utf8');
const ids = Int32Array.from(loadTokenizer('gpt2').encode(VERDICT));


const rows = (a: Int32Array, B: number, T: number) => Array.from({ length: B }, (_, r) => Array.from(a.subarray(r * T, (r + 1) * T)));

test('course: max_length 4, stride 1, batch 1 — first two (x, y) pairs', () => {
  const L = new BatchLoader(ids, { maxLength: 4, stride: 1, batchSize: 1, shuffle: false, dropLast: false });
  assert.is(L.numWindows, 5141);
  const b0 = L.batch(0);
  assert.equal([...b0.x], [40, 367, 2885, 1464]);
  assert.equal([...b0.y], [367, 2885, 1464, 1807]);
  const b1 = L.batch(1);
  assert.equal([...b1.x], [367, 2885, 1464, 1807]);
  assert.equal([...b1.y], [2885, 1464, 1807, 3619]);
});

test('course: max_length 4, stride 4, batch 8 — the first batch printed in chapter 2', () => {
  const L = new BatchLoader(ids, { maxLength: 4, stride: 4, batchSize: 8, shuffle: false });
  const b = L.batch(0);
  assert.is(b.B, 8);
  assert.is(b.T, 4);
  assert.equal(rows(b.x, 8, 4), [
    [40, 367, 2885, 1464], [1807, 3619, 402, 271], [10899, 2138, 257, 7026], [15632, 438, 2016, 257],
    [922, 5891, 1576, 438], [568, 340, 373, 645], [1049, 5975, 284, 502], [284, 3285, 326, 11],
  ]);
  assert.equal(rows(b.y, 8, 4), [
    [367, 2885, 1464, 1807], [3619, 402, 271, 10899], [2138, 257, 7026, 15632], [438, 2016, 257, 922],
    [5891, 1576, 438, 568], [340, 373, 645, 1049], [5975, 284, 502, 284], [3285, 326, 11, 287],
  ]);
  assert.is(L.numWindows, 1286);
  assert.is(L.numBatches, 160);
});

test('window count = len(range(0, n − max_length, stride)); window k = ids[k·stride …]', () => {
  for (let n = 0; n < 30; n++) {
    for (let T = 1; T < 8; T++) {
      for (let s = 1; s < 6; s++) {
        let py = 0;
        for (let i = 0; i < n - T; i += s) py++;
        assert.is(windowCount(n, T, s), py, `n ${n} T ${T} s ${s}`);
      }
    }
  }
  const L = new BatchLoader(ids, { maxLength: 5, stride: 3, batchSize: 2 });
  const w = L.window(7);
  assert.equal([...w.x], [...ids.subarray(21, 26)]);
  assert.equal([...w.y], [...ids.subarray(22, 27)]);
  // shuffle off: batch i holds windows i·B … i·B+B−1
  const b = L.batch(3);
  assert.equal([...b.x.subarray(0, 5)], [...L.window(6).x]);
  assert.equal([...b.y.subarray(5, 10)], [...L.window(7).y]);
});

test('shuffle: seeded, a permutation per epoch, different across epochs and seeds, random access = iteration', () => {
  const p = shuffledOrder(1000, 123, 0);
  assert.equal([...p].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  assert.equal([...shuffledOrder(1000, 123, 0)], [...p]);
  assert.not.equal([...shuffledOrder(1000, 123, 1)], [...p]);
  assert.not.equal([...shuffledOrder(1000, 124, 0)], [...p]);
  const L = new BatchLoader(ids, { maxLength: 8, stride: 8, batchSize: 5, shuffle: true, seed: 7, dropLast: false });
  for (const epoch of [0, 3]) {
    const seen = new Set<string>();
    let i = 0;
    for (const b of L.epoch(epoch)) {
      const again = L.batch(i++, epoch);
      assert.equal([...b.x], [...again.x]);
      for (const r of rows(b.x, b.B, b.T)) seen.add(r.join(','));
    }
    assert.is(i, L.numBatches);
    // every window visited once per epoch (windows of the-verdict are all distinct)
    assert.is(seen.size, L.numWindows);
  }
  // resuming at (epoch 2, batch 5) in a fresh loader gives the same batch
  const L2 = new BatchLoader(ids, { maxLength: 8, stride: 8, batchSize: 5, shuffle: true, seed: 7, dropLast: false });
  L.batch(0, 0);
  assert.equal([...L2.batch(5, 2).y], [...L.batch(5, 2).y]);
  assert.equal([...new BatchLoader(ids, { maxLength: 8, batchSize: 5 })][0].x.length, 40);
});

test('drop_last: dropped or short last batch; x/y are Int32Array', () => {
  const small = Int32Array.from({ length: 23 }, (_, i) => i);
  const keep = new BatchLoader(small, { maxLength: 4, stride: 4, batchSize: 2, dropLast: false });
  assert.is(keep.numWindows, 5);
  assert.is(keep.numBatches, 3);
  const last = keep.batch(2);
  assert.is(last.B, 1);
  assert.ok(last.x instanceof Int32Array && last.y instanceof Int32Array);
  assert.equal([...last.x], [16, 17, 18, 19]);
  assert.equal([...last.y], [17, 18, 19, 20]);
  const drop = new BatchLoader(small, { maxLength: 4, stride: 4, batchSize: 2 });
  assert.is(drop.numBatches, 2);
  const u16 = new BatchLoader(Uint16Array.from(small), { maxLength: 4, batchSize: 2 });
  assert.equal([...u16.batch(1).x], [...keep.batch(1).x]);
});

test('loader errors: stride/batch/max_length ≤ 0, too few tokens, out-of-range batch, negative ids', () => {
  throwsMsg(() => new BatchLoader(ids, { maxLength: 4, stride: 0, batchSize: 2 }), /stride must be a positive integer, got 0/);
  throwsMsg(() => new BatchLoader(ids, { maxLength: 4, stride: -1, batchSize: 2 }), /stride must be a positive integer/);
  throwsMsg(() => new BatchLoader(ids, { maxLength: 4, batchSize: 0 }), /batch size must be a positive integer, got 0/);
  throwsMsg(() => new BatchLoader(ids, { maxLength: 0, batchSize: 1 }), /max_length must be a positive integer/);
  throwsMsg(() => new BatchLoader(ids, { maxLength: 2.5, batchSize: 1 }), /max_length must be a positive integer, got 2.5/);
  throwsMsg(() => new BatchLoader(new Int32Array(4), { maxLength: 4, batchSize: 1 }), /has 4 tokens; a window of max_length 4 needs at least 5/);
  throwsMsg(() => new BatchLoader(Int32Array.of(1, 2, -3), { maxLength: 1, batchSize: 1 }), /negative token id -3 at position 2/);
  throwsMsg(() => new BatchLoader([1, 2, 3] as unknown as Int32Array, { maxLength: 1, batchSize: 1 }), /must be an Int32Array/);
  const L = new BatchLoader(ids, { maxLength: 4, batchSize: 8 });
  throwsMsg(() => L.batch(L.numBatches), /batch 160 is out of range \[0, 160\)/);
  throwsMsg(() => L.batch(0, -1), /epoch must be a non-negative integer/);
});

test('train/val split: first 90% of tokens train (course 90/10), by text too', () => {
  const { train, val } = splitTrainVal(ids, 0.1);
  assert.is(train.length, 4630);
  assert.is(val.length, 515);
  assert.is(train[0], 40);
  assert.is(val[0], ids[4630]);
  assert.ok(train.buffer === ids.buffer, 'views, not copies');
  const t = splitTextTrainVal(VERDICT, 0.1);
  assert.is(t.train.length, 18431); // int(0.90 · 20479)
  assert.is(t.train + t.val, VERDICT);
  assert.equal(splitTextTrainVal('😀😀😀😀', 0.5), { train: '😀😀', val: '😀😀' });
  throwsMsg(() => splitTrainVal(ids, 1), /validation fraction must be in \[0, 1\), got 1/);
  throwsMsg(() => splitTrainVal(ids, -0.1), /validation fraction/);
});

test('.bin files: llm.c header, uint16/uint32 by vocabulary, atomic write, whole and streamed reads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wgpt-bin-'));
  try {
    const p16 = join(dir, 'v.bin');
    writeTokenFile(p16, ids, 50257);
    assert.equal(readdirSync(dir), ['v.bin']);
    const bytes = readFileSync(p16);
    assert.is(bytes.length, HEADER_BYTES + 2 * ids.length);
    const dv = new DataView(bytes.buffer, bytes.byteOffset);
    assert.equal([dv.getInt32(0, true), dv.getInt32(4, true), dv.getInt32(8, true), dv.getInt32(12, true), dv.getInt32(16, true)], [MAGIC_U16, 1, 5145, 50257, 0]);
    assert.is(dv.getUint16(HEADER_BYTES, true), 40);
    const back = readTokenFile(p16);
    assert.ok(back instanceof Uint16Array);
    assert.equal([...back], [...ids]);
    const r = new TokenFileReader(p16);
    assert.is(r.count, 5145);
    assert.equal([...r.read(5140, 100)], [...ids.subarray(5140)]);
    const chunks = [...r.chunks(1000)];
    assert.is(chunks.length, 6);
    assert.equal(chunks.flatMap((c) => [...c]), [...ids]);
    r.close();

    const p32 = join(dir, 'big.bin');
    const big = Uint32Array.of(0, 65535, 65536, 69999);
    writeTokenFile(p32, big, 70000);
    const b32 = readFileSync(p32);
    assert.is(new DataView(b32.buffer, b32.byteOffset).getInt32(0, true), MAGIC_U32);
    assert.is(new DataView(b32.buffer, b32.byteOffset).getInt32(4, true), 7);
    const back32 = readTokenFile(p32);
    assert.ok(back32 instanceof Uint32Array);
    assert.equal([...back32], [...big]);
    writeTokenFile(join(dir, 'edge.bin'), [65534], 65535);
    assert.ok(readTokenFile(join(dir, 'edge.bin')) instanceof Uint16Array);

    // a bad id aborts the write: no target, no temp file left
    throwsMsg(() => writeTokenFile(join(dir, 'bad.bin'), [1, 2, 70000], 50257), /token id 70000 at position 2 does not fit: ids must be integers in \[0, 50257\)/);
    const w = new TokenFileWriter(join(dir, 'bad2.bin'), 100);
    w.append([1, 2]);
    throwsMsg(() => w.append([3, -1]), /token id -1 at position 3/);
    assert.equal(readdirSync(dir).sort(), ['big.bin', 'edge.bin', 'v.bin']);

    // corrupt files
    const trunc = join(dir, 'trunc.bin');
    writeFileSync(trunc, bytes.subarray(0, bytes.length - 3));
    throwsMsg(() => readTokenFile(trunc), /header says 5145 uint16 tokens \(11314 bytes\) but the file has 11311 bytes \(truncated\?\)/);
    throwsMsg(() => new TokenFileReader(trunc), /truncated/);
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, new Uint8Array(2000).fill(7));
    throwsMsg(() => readTokenFile(junk), /bad header \(magic 117901063, version 117901063\)/);
    writeFileSync(junk, new Uint8Array(10));
    throwsMsg(() => readTokenFile(junk), /10 bytes is shorter than the 1024-byte header/);
    const over = Uint8Array.from(bytes);
    new DataView(over.buffer).setUint16(HEADER_BYTES + 6, 60000, true);
    writeFileSync(junk, over);
    throwsMsg(() => readTokenFile(junk), /token 60000 at position 3 is ≥ the vocabulary size 50257/);
    throwsMsg(() => readTokenFile(join(dir, 'nope.bin')), /cannot read token file/);
    throwsMsg(() => parseHeader(new Uint8Array(1024)), /bad header \(magic 0, version 0\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('strict UTF-8: the error names the byte offset; chunked decoding carries split characters', () => {
  const good = new TextEncoder().encode('añ😀b');
  assert.is(decodeUtf8Strict(good), 'añ😀b');
  assert.is(decodeUtf8Strict(Uint8Array.of(0xef, 0xbb, 0xbf, 0x41)), '\ufeffA');
  const cases: [number[], number][] = [
    [[0x41, 0xff], 1], [[0x41, 0x42, 0xc3], 2], [[0xc0, 0x80], 0], [[0xe0, 0x80, 0x80], 0], [[0xed, 0xa0, 0x80], 0],
    [[0xf4, 0x90, 0x80, 0x80], 0], [[0x61, 0xe2, 0x82], 1], [[0x61, 0x80], 1], [[0xf0, 0x9f, 0x98, 0x41], 0],
  ];
  for (const [b, at] of cases) {
    assert.is(invalidUtf8At(Uint8Array.from(b)), at, b.join(' '));
    throwsMsg(() => decodeUtf8Strict(Uint8Array.from(b), 'f.txt'), new RegExp(`^f\\.txt: invalid UTF-8 at byte offset ${at} \\(bytes `));
  }
  // every 1-byte chunking of a multi-byte text decodes the same
  const s = new Utf8Stream('s');
  let out = '';
  for (const byte of good) out += s.push(Uint8Array.of(byte));
  s.end();
  assert.is(out, 'añ😀b');
  const t = new Utf8Stream('t.txt');
  t.push(Uint8Array.of(0x61, 0x62));
  throwsMsg(() => t.push(Uint8Array.of(0x63, 0xfe)), /t\.txt: invalid UTF-8 at byte offset 3/);
  const u = new Utf8Stream('u.txt');
  u.push(Uint8Array.of(0x61, 0xf0, 0x9f));
  throwsMsg(() => u.end(), /u\.txt: invalid UTF-8 at byte offset 1 \(truncated sequence at end of input\)/);
});

test('chunked tokenization == whole-text tokenization (safe cuts), for gpt2, our BPE and simple-v2', () => {
  const r = rng(11);
  const ours = gpt2Bpe();
  for (let k = 0; k < 200; k++) {
    const s = randomText(r, 80);
    const p = safeCut(s, ['<|endoftext|>']);
    if (p <= 0) continue;
    assert.equal([...ours.encode(s.slice(0, p)), ...ours.encode(s.slice(p))], ours.encode(s), JSON.stringify(s));
  }
  assert.is(safeCut('ab<|end oftext|> c', ['<|end oftext|>']), 16);
  assert.is(safeCut('   '), -1);
  const multi = readFileSync(MULTI_PATH, 'utf8');
  const v2 = SimpleTokenizer.fromCorpus(VERDICT, 2);
  for (const [path, text, tok] of [[VERDICT_PATH, VERDICT, loadTokenizer('gpt2')], [MULTI_PATH, multi, ours], [VERDICT_PATH, VERDICT, v2]] as const) {
    const got: number[] = [];
    const res = tokenizeFile(path.pathname, tok, { onIds: (x) => got.push(...x), chunkBytes: 700, progress: false });
    assert.equal(got, tok.encode(text), `${tok.name} ${path.pathname}`);
    assert.is(res.tokens, got.length);
  }
  // the streaming encoder also accepts text pieces directly
  const se = new StreamingEncoder(ours, {}, 50);
  const pieces: number[] = [];
  for (let i = 0; i < multi.length; i += 37) pieces.push(...se.push(multi.slice(i, i + 37)));
  pieces.push(...se.end());
  assert.equal(pieces, ours.encode(multi));
});

test('tokenizeToBin: text file → .bin equals encode; invalid UTF-8 names the offset and leaves no file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wgpt-tok-'));
  try {
    const out = join(dir, 'verdict.bin');
    const r = tokenizeToBin(VERDICT_PATH.pathname, out, loadTokenizer('gpt2'), { chunkBytes: 4096 });
    assert.is(r.tokens, 5145);
    assert.is(r.width, 2);
    assert.equal([...readTokenFile(out)], [...ids]);
    const bad = join(dir, 'bad.txt');
    const bytes = new Uint8Array(9000).fill(0x61);
    bytes[8123] = 0xc3; // lead byte followed by 'a'
    writeFileSync(bad, bytes);
    throwsMsg(() => tokenizeToBin(bad, join(dir, 'bad.bin'), loadTokenizer('gpt2'), { chunkBytes: 1000 }), /bad\.txt: invalid UTF-8 at byte offset 8123/);
    assert.not.ok(existsSync(join(dir, 'bad.bin')));
    assert.equal(readdirSync(dir).sort(), ['bad.txt', 'verdict.bin']);
    assert.ok(statSync(out).size > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
