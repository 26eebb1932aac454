// Our byte-level BPE against js-tiktoken (same ids with GPT-2's ranks on the-verdict, a multilingual text, odd
// whitespace, long words and seeded random strings), round trips, the wgpt-bpe file format, and the trainer. No GPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer, gpt2Bpe, parseBpeFile, trainBpe, bpeFromMergeIds, bytesToSymbols, symbolsToBytes, BYTE_ORDER, BYTE_CHAR, GPT2_PATTERN } from '../src/tokenizer/index.ts';
import { loadBpeFile, saveBpeFile } from '../src/tokenizer/node.ts';
import { rng, throwsMsg } from './helpers.ts';
import { randomText } from './tokenizer-random.ts';

const VERDICT = readFileSync(new URL('../src/data/the-verdict.txt', import.meta.url), 'utf8');
const MULTI = readFileSync(new URL('./fixtures/multilingual.txt', import.meta.url), 'utf8');
const ref = loadTokenizer('gpt2');
const ours = gpt2Bpe();


test('our BPE with GPT-2 ranks == js-tiktoken on the-verdict (5145 ids) and decodes it back', () => {
  const ids = ours.encode(VERDICT);
  assert.is(ids.length, 5145);
  assert.equal(ids, ref.encode(VERDICT));
  assert.is(ours.decode(ids), VERDICT);
});

test('== js-tiktoken on the multilingual text (Korean, emoji, CJK, RTL, odd whitespace) and its pieces', () => {
  const want = ref.encode(MULTI);
  assert.equal(ours.encode(MULTI), want);
  assert.is(ours.decode(want), MULTI);
  for (const line of MULTI.split('\n')) assert.equal(ours.encode(line), ref.encode(line), JSON.stringify(line));
  const odd = ['a\tb', ' \t \r\n\r\n  x  ', 'trailing   ', '   ', '\r', '\n\n\n', 'x\u00a0\u00a0 y', 'tab\t\t\tz', '  \n  \n', 'ok \r\n'];
  for (const s of odd) assert.equal(ours.encode(s), ref.encode(s), JSON.stringify(s));
  assert.equal(ours.encode(''), []);
});

test('== js-tiktoken on long pre-tokens (heap merge path) and with <|endoftext|> allowed', () => {
  const r = rng(7);
  const longs = ['a'.repeat(300), ' '.repeat(257), '!'.repeat(120), 'ab'.repeat(90), '😀'.repeat(40), '\n'.repeat(99) + 'x', '안녕'.repeat(30)];
  for (let k = 0; k < 12; k++) longs.push(Array.from({ length: 60 + Math.floor(r() * 140) }, () => 'etaoinshrdlu'[Math.floor(r() * 12)]).join(''));
  for (const s of longs) assert.equal(ours.encode(s), ref.encode(s), s.slice(0, 20));
  const text = 'Hello, do you like tea? <|endoftext|> In the sunlit terracesof someunknownPlace.<|endoftext|>';
  assert.equal(ours.encode(text, { allowedSpecial: 'all' }), ref.encode(text, { allowedSpecial: 'all' }));
  assert.is(ours.decode(ours.encode(text, { allowedSpecial: 'all' })), text);
  throwsMsg(() => ours.encode(text), /special token <\|endoftext\|> at index 24, which is not allowed/);
});

test('seeded random strings: == js-tiktoken, and decode(encode(s)) == s (astral characters included)', () => {
  const r = rng(2024);
  for (let k = 0; k < 400; k++) {
    const s = randomText(r, 40);
    const ids = ours.encode(s, { allowedSpecial: 'all' });
    assert.is(ours.decode(ids), s);
    assert.equal(ids, ref.encode(s, { allowedSpecial: 'all' }), JSON.stringify(s));
  }
  for (let k = 0; k < 300; k++) {
    const s = randomText(r, 400);
    assert.is(ours.decode(ours.encode(s, { allowedSpecial: 'all' })), s);
  }
});

test('decode: a partial character decodes to U+FFFD, a leading BOM is kept, bad ids are errors', () => {
  const ids = ours.encode('😀');
  assert.ok(ids.length >= 2);
  assert.is(ours.decode(ids.slice(0, 1)), '\ufffd');
  assert.is(ours.decode(ours.encode('\ufeffx')), '\ufeffx');
  throwsMsg(() => ours.decode([1, 50257]), /token id 50257 at index 1/);
  throwsMsg(() => ours.encode('\udc00'), /lone UTF-16 surrogate 0xdc00 at index 0/);
});

test('byte → unicode map is GPT-2\'s: printable bytes map to themselves, space to Ġ, newline to Ċ', () => {
  assert.is(BYTE_CHAR[0x20], 'Ġ');
  assert.is(BYTE_CHAR[0x0a], 'Ċ');
  assert.is(BYTE_CHAR[0x41], 'A');
  assert.is(new Set(BYTE_CHAR).size, 256);
  assert.is(BYTE_ORDER[0], 0x21);
  assert.is(bytesToSymbols(new TextEncoder().encode(' héllo')), 'ĠhÃ©llo');
  assert.equal(Array.from(symbolsToBytes('ĠhÃ©llo')!), Array.from(new TextEncoder().encode(' héllo')));
  assert.is(symbolsToBytes('€'), null);
});

test('wgpt-bpe file: GPT-2 written as 50,000 merges reloads to the same encoder; file starts like merges.txt', () => {
  const text = ours.toFileText('gpt2');
  const lines = text.split('\n');
  assert.is(lines[1], '"merges": [');
  assert.is(lines[2], '"Ġ t",');
  const back = parseBpeFile(text, 'gpt2.json');
  assert.is(back.vocabSize, 50257);
  assert.is(back.eotId, 50256);
  assert.is(back.numMerges, 50000);
  assert.equal(back.encode(VERDICT), ref.encode(VERDICT));
  assert.equal(back.encode(MULTI), ref.encode(MULTI));
});

test('wgpt-bpe file: every malformed input is a one-line error naming the problem', () => {
  const ok = (o: Record<string, unknown>) => JSON.stringify({ format: 'wgpt-bpe', version: 1, merges: ['h i'], ...o });
  const cases: [string, RegExp][] = [
    ['{not json', /not valid JSON/],
    ['[]', /expected a JSON object/],
    ['null', /expected a JSON object/],
    [JSON.stringify({ format: 'x', version: 1, merges: [] }), /"format" must be "wgpt-bpe"/],
    [ok({ version: 2 }), /unsupported version 2/],
    [ok({ merges: 'h i' }), /"merges" must be an array/],
    [ok({ merges: [3] }), /merge #0 is 3, not a string/],
    [ok({ merges: ['hi'] }), /merge #0 "hi" must be two tokens separated by one space/],
    [ok({ merges: ['h  i'] }), /two tokens separated by one space/],
    [ok({ merges: ['h i', 'hi x', 'h ix'] }), /merge #2 "h ix": "ix" is not a token made before it/],
    [ok({ merges: ['h i', 'h i'] }), /merge #1 "h i" makes "hi", which is already token 256/],
    [ok({ merges: ['h €'] }), /not one of GPT-2's 256 byte symbols/],
    [ok({ pattern: 'cl100k' }), /unsupported "pattern"/],
    [ok({ special: { '<|endoftext|>': 5 } }), /special ids must be distinct and fill 257…257/],
    [ok({ special: { a: 257, b: 257 } }), /special ids must be distinct/],
    [ok({ special: { '': 257 } }), /cannot be the empty string/],
    [ok({ special: [] }), /"special" must be an object/],
    [ok({ special: { x: '257' } }), /has id "257"/],
    [ok({ extra: 1 }), /unknown key "extra"/],
    [ok({ name: 5 }), /"name" must be a string/],
  ];
  for (const [text, re] of cases) throwsMsg(() => parseBpeFile(text, 'f.json'), re);
  throwsMsg(() => parseBpeFile('{', 'my.json'), /^my\.json: /);
});

test('trainer: the classic aaabdaaabac example learns aa, ab, then aa+ab', () => {
  const r = trainBpe('aaabdaaabac', { vocabSize: 300, special: [] });
  assert.is(r.merges, 3);
  assert.ok(r.stoppedEarly);
  const file = JSON.parse(r.bpe.toFileText());
  assert.equal(file.merges, ['a a', 'a b', 'aa ab']);
  const id = (c: string) => BYTE_ORDER.indexOf(c.charCodeAt(0));
  assert.equal(r.bpe.encode('aaabdaaabac'), [258, id('d'), 258, id('a'), id('c')]);
});

test('trainer on the-verdict: exact target size, round-trips, deterministic, compresses, survives save/load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wgpt-bpe-'));
  try {
    const a = trainBpe(VERDICT, { vocabSize: 600 });
    assert.is(a.bpe.vocabSize, 600);
    assert.is(a.merges, 600 - 256 - 1);
    assert.not.ok(a.stoppedEarly);
    assert.is(a.bpe.eotId, 599);
    const ids = a.bpe.encode(VERDICT);
    assert.is(a.bpe.decode(ids), VERDICT);
    assert.ok(ids.length < VERDICT.length / 2, `${ids.length} tokens for ${VERDICT.length} chars`); // 8630 measured
    const b = trainBpe(VERDICT, { vocabSize: 600 });
    assert.is(b.bpe.toFileText(), a.bpe.toFileText());
    const path = join(dir, 'verdict.json');
    saveBpeFile(path, a.bpe, 'verdict');
    assert.equal(readdirSync(dir), ['verdict.json']);
    const back = loadBpeFile(path);
    assert.is(back.name, 'bpe:verdict');
    assert.equal(back.encode(VERDICT), ids);
    assert.equal(loadTokenizer(path).encode(VERDICT), ids);
    const r = rng(5);
    for (let k = 0; k < 100; k++) {
      const s = randomText(r, 60);
      assert.is(back.decode(back.encode(s, { allowedSpecial: 'all' })), s);
    }
    // the corpus's own <|endoftext|> is not learned from, and encodes to the special id when allowed
    assert.equal(back.encode('<|endoftext|>', { allowedSpecial: 'all' }), [599]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Plain tiktoken-rule oracle: pieces by GPT2_PATTERN, whole-piece lookup, else merge the lowest-id adjacent pair (leftmost). */
function oracleEncode(tokenBytes: Uint8Array[], text: string): number[] {
  const rank = new Map<string, number>(tokenBytes.map((t, i) => [Array.from(t).join(','), i]));
  const out: number[] = [];
  for (const m of text.matchAll(new RegExp(GPT2_PATTERN, 'gu'))) {
    const bytes = Array.from(new TextEncoder().encode(m[0]));
    const whole = rank.get(bytes.join(','));
    if (whole !== undefined) {
      out.push(whole);
      continue;
    }
    let parts = bytes.map((b) => [b]);
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < parts.length - 1; i++) {
        const r = rank.get([...parts[i], ...parts[i + 1]].join(','));
        if (r !== undefined && r < bestRank) [best, bestRank] = [i, r];
      }
      if (best < 0) break;
      parts = [...parts.slice(0, best), [...parts[best], ...parts[best + 1]], ...parts.slice(best + 2)];
    }
    for (const p of parts) out.push(rank.get(p.join(','))!);
  }
  return out;
}

test('a trained vocabulary: short (linear) and long (heap) words == a plain tiktoken-rule oracle', () => {
  const bpe = trainBpe(VERDICT, { vocabSize: 700, special: [] }).bpe;
  const tokenBytes = Array.from({ length: bpe.vocabSize }, (_, i) => bpe.tokenBytes(i));
  const r = rng(77);
  const words = VERDICT.split(/\s+/).filter((w) => w.length > 3);
  for (let k = 0; k < 150; k++) {
    // glue real words into long pre-tokens (letters only, so one piece) and add random text
    const n = 1 + Math.floor(r() * 40);
    let s = Array.from({ length: n }, () => words[Math.floor(r() * words.length)].replace(/[^a-zA-Z]/g, '')).join('');
    s += ' ' + randomText(r, 30);
    assert.equal(bpe.encode(s), oracleEncode(tokenBytes, s), s.slice(0, 40));
  }
});

test('trainer: bad arguments', () => {
  throwsMsg(() => trainBpe('abc', { vocabSize: 256 }), /vocab size must be an integer in \[257, /);
  throwsMsg(() => trainBpe('', { vocabSize: 300 }), /corpus is empty/);
  throwsMsg(() => trainBpe('<|endoftext|>', { vocabSize: 300 }), /no text outside special tokens/);
  throwsMsg(() => trainBpe('abc', { vocabSize: 300, special: ['x', 'x'] }), /distinct/);
  throwsMsg(() => bpeFromMergeIds([[0, 999]]), /merge #0 joins ids 0, 999/);
});

test.run();
