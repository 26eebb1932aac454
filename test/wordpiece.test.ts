// WordPiece encode/decode against Hugging Face tokenizers (npm tokenizers@0.23.2, the oracle; loaded only in tests and
// bench): same ids on every line of the Korean corpus, the-verdict and 1,000 seeded random strings; reading
// tokenizer.json files Hugging Face wrote (trained WordPiece, BERT-style with [CLS]/[SEP]); pairs, padding, truncation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WordPiece, trainWordPiece, wordPieceToHfJson, parseHfTokenizerJson, parseVocabTxt, vocabTxtTokenizer, bertNormalizer, bertPreTokenize } from '../src/tokenizer/index.ts';
import { throwsMsg } from './helpers.ts';
import { wordPieceRandomTexts } from './tokenizer-random.ts';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const hf: any = require('tokenizers');

const KO = readFileSync(new URL('../src/data/debian-faq-ko.txt', import.meta.url), 'utf8');
const VERDICT = readFileSync(new URL('../src/data/the-verdict.txt', import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'wgpt-wp-'));

// the course's tokenizer: BertWordPieceTokenizer(lowercase=False, strip_accents=False).train(vocab 30000, limit_alphabet 6000)
const course = trainWordPiece(KO, { vocabSize: 30000, limitAlphabet: 6000 }).tokenizer;
const coursePath = join(dir, 'course.json');
writeFileSync(coursePath, wordPieceToHfJson(course));
const hfCourse = hf.Tokenizer.fromFile(coursePath);

async function hfIds(tok: { encode: (...a: unknown[]) => Promise<{ getIds(): number[] }> }, text: string, pair: string | null = null, add = false): Promise<number[]> {
  return (await tok.encode(text, pair, { addSpecialTokens: add })).getIds();
}

async function compareAll(mine: WordPiece, theirs: unknown, texts: string[], label: string): Promise<void> {
  let n = 0;
  let unk = 0;
  let errs = 0;
  for (const t of texts) {
    let want: number[] | null = null;
    try {
      want = await hfIds(theirs as never, t);
    } catch {
      /* Hugging Face refused (a word needs [UNK] and the vocabulary has none): wgpt must refuse too */
    }
    if (want === null) {
      throwsMsg(() => mine.encode(t), /needs the unknown token/);
      errs++;
      continue;
    }
    const got = mine.encode(t);
    assert.equal(got, want, `${label}: ${JSON.stringify(t).slice(0, 120)}`);
    assert.is(mine.decode(got), await (theirs as { decode(i: number[], s: boolean): Promise<string> }).decode(want, true), `${label} decode: ${JSON.stringify(t).slice(0, 80)}`);
    n += got.length;
    unk += got.filter((i) => i === mine.unkId).length;
  }
  console.log(`  ${label}: ${texts.length} texts, ${n} ids identical to Hugging Face (${unk} [UNK]${errs ? `, ${errs} refused by both for a missing [UNK]` : ''}); decode identical`);
}

test('course tokenizer: Hugging Face loads wgpt\'s tokenizer.json and gives the same ids on every Korean line, the-verdict and 1,000 random strings', async () => {
  await compareAll(course, hfCourse, KO.split('\n'), 'Korean corpus lines');
  await compareAll(course, hfCourse, [KO], 'Korean corpus whole');
  await compareAll(course, hfCourse, VERDICT.split('\n'), 'the-verdict lines');
  await compareAll(course, hfCourse, wordPieceRandomTexts(1000, 13), 'random strings');
});

test('[CLS] A [SEP] / [CLS] A [SEP] B [SEP]: ids, type ids, masks match Hugging Face', async () => {
  const pairs: [string, string | null][] = [["I'm a student of SSAFY!", null], ['나는 학교에 간다.', '데비안은 자유 소프트웨어입니다.'], ['', ''], ['[MASK] 데비안', null]];
  for (const [a, b] of pairs) {
    const e = await hfCourse.encode(a, b, { addSpecialTokens: true });
    const m = course.encodeFull(a, b);
    assert.equal(m.ids, e.getIds());
    assert.equal(m.tokens, e.getTokens());
    assert.equal(m.typeIds, e.getTypeIds());
    assert.equal(m.attentionMask, e.getAttentionMask());
    assert.equal(m.specialTokensMask, e.getSpecialTokensMask());
  }
});

test('batches: truncation (longest_first, only_first, only_second) and padding (longest, fixed, multiple of) match Hugging Face', async () => {
  const lines = KO.split('\n').filter((l) => l.length > 20);
  const inputs: (string | [string, string])[] = [lines[10], [lines[11], lines[12]], [lines[13].slice(0, 10), lines[14]], 'x', [lines[15], '짧다']];
  const cases: { trunc?: [number, string]; pad?: 'longest' | number; mult?: number }[] = [
    { pad: 'longest' },
    { trunc: [16, 'longest_first'], pad: 'longest' },
    { trunc: [24, 'longest_first'], pad: 40 },
    { trunc: [9, 'longest_first'], pad: 'longest', mult: 8 },
    { trunc: [30, 'only_first'] },
  ];
  const tokJson = readFileSync(coursePath, 'utf8');
  for (const c of cases) {
    const t = hf.Tokenizer.fromString(tokJson);
    if (c.trunc) t.setTruncation(c.trunc[0], { strategy: { longest_first: 'LongestFirst', only_first: 'OnlyFirst', only_second: 'OnlySecond' }[c.trunc[1]] });
    const ins = c.trunc?.[1] === 'only_first' ? inputs.filter((x) => typeof x === 'string' || x[0].length > 40) : inputs;
    // the Node binding's encodeBatch takes no pairs: encode one by one; 'longest' = the longest unpadded length
    const enc = (x: string | [string, string]) => (typeof x === 'string' ? t.encode(x, null) : t.encode(x[0], x[1]));
    let padTo = c.pad;
    if (padTo === 'longest') padTo = Math.max(...(await Promise.all(ins.map(enc))).map((e: { getLength(): number }) => e.getLength()));
    if (padTo !== undefined) t.setPadding({ maxLength: padTo, padToMultipleOf: c.mult, padId: 0, padToken: '[PAD]' });
    const want = await Promise.all(ins.map(enc));
    const got = course.encodeBatch(ins, { truncation: c.trunc ? { maxLength: c.trunc[0], strategy: c.trunc[1] as never } : undefined, padding: c.pad, padToMultipleOf: c.mult });
    want.forEach((w: { getIds(): number[]; getTypeIds(): number[]; getAttentionMask(): number[] }, i: number) => {
      assert.equal(got.encodings[i].ids, w.getIds(), `${JSON.stringify(c)} row ${i}`);
      assert.equal(got.encodings[i].typeIds, w.getTypeIds());
      assert.equal(got.encodings[i].attentionMask, w.getAttentionMask());
    });
    if (c.pad !== undefined) {
      const L = got.encodings[0].ids.length;
      assert.equal(got.shape, [ins.length, L]);
      assert.equal(Array.from(got.ids!.subarray(L, 2 * L)), got.encodings[1].ids);
    }
  }
  throwsMsg(() => course.encodeBatch(['a b c'], { truncation: { maxLength: 1 } }), /leaves -1 tokens/);
  throwsMsg(() => course.encodeBatch([['a', 'b']], { padToken: '<pad>', padding: 'longest' }), /padding token "<pad>" is not in the vocabulary/);
});

test('reading a tokenizer.json Hugging Face trained (default WordPiece trainer) gives Hugging Face\'s ids', async () => {
  const t = new hf.Tokenizer(hf.WordPiece.empty());
  t.setNormalizer(hf.bertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: false, lowercase: false }));
  t.setPreTokenizer(hf.bertPreTokenizer());
  t.setDecoder(hf.wordPieceDecoder('##', true));
  t.train([new URL('../src/data/debian-faq-ko.txt', import.meta.url).pathname]);
  const p = join(dir, 'hf-trained.json');
  t.save(p);
  const mine = parseHfTokenizerJson(readFileSync(p, 'utf8'), p) as WordPiece;
  assert.ok(mine instanceof WordPiece);
  assert.is(mine.vocabSize, t.getVocabSize());
  await compareAll(mine, t, [...KO.split('\n'), ...VERDICT.split('\n').slice(0, 40), ...wordPieceRandomTexts(200, 5)], 'HF-trained WordPiece');
});

test('a BERT-style tokenizer.json written by Hugging Face (lowercasing, accents stripped, BertProcessing) and its vocab.txt', async () => {
  const vocabList = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...course.vocab.slice(5).filter((t) => t.toLowerCase() === t), 'e', '##e', 'n', '##n', 'a', '##a', 'cafe', 'resume', '##s'];
  const uniq = [...new Set(vocabList)];
  const vocab: Record<string, number> = {};
  uniq.forEach((t, i) => (vocab[t] = i));
  const t = new hf.Tokenizer(hf.WordPiece.init(vocab, { unkToken: '[UNK]' }));
  t.setNormalizer(hf.bertNormalizer({ cleanText: true, handleChineseChars: true, lowercase: true }));
  t.setPreTokenizer(hf.bertPreTokenizer());
  t.setPostProcessor(hf.bertProcessing(['[SEP]', 3], ['[CLS]', 2]));
  t.setDecoder(hf.wordPieceDecoder('##', true));
  t.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  const p = join(dir, 'bert-like.json');
  t.save(p);
  const mine = parseHfTokenizerJson(readFileSync(p, 'utf8'), p) as WordPiece;
  const texts = ['Café RÉSUMÉ naïve ÅNGSTRÖM', 'DEBIAN 패키지는 [MASK] 입니다', ...wordPieceRandomTexts(300, 9)];
  await compareAll(mine, t, texts, 'HF BERT-style (uncased)');
  for (const s of texts.slice(0, 50)) {
    const e = await t.encode(s, 'Second SENTENCE', { addSpecialTokens: true });
    const m = mine.encodeFull(s, 'Second SENTENCE');
    assert.equal(m.ids, e.getIds());
    assert.equal(m.typeIds, e.getTypeIds());
  }
  // vocab.txt of the same vocabulary (uncased) encodes the same
  const vt = vocabTxtTokenizer(uniq.join('\n') + '\n', 'vocab.txt', true);
  for (const s of texts.slice(0, 100)) assert.equal(vt.encode(s), mine.encode(s));
});

test('normalizer and pre-tokenizer alone match Hugging Face on random strings (all option combinations)', () => {
  const texts = wordPieceRandomTexts(300, 21);
  for (const lowercase of [false, true]) {
    for (const stripAccents of [false, true]) {
      for (const cleanText of [false, true]) {
        const o = { cleanText, handleChineseChars: true, stripAccents, lowercase };
        const theirs = hf.bertNormalizer(o);
        const mine = bertNormalizer(o);
        for (const s of texts) assert.is(mine(s), theirs.normalizeString(s), `${JSON.stringify(o)} ${JSON.stringify(s).slice(0, 80)}`);
      }
    }
  }
  const pre = hf.bertPreTokenizer();
  for (const s of texts) assert.equal(bertPreTokenize(s), pre.preTokenizeString(s).map((x: [string, unknown]) => x[0]), JSON.stringify(s).slice(0, 80));
});

test('Unicode tables: every code point Node calls Cc/Cf/Mn/P* (and private-use samples, the exceptions, NFD-sensitive chars) normalizes and splits as in Hugging Face', () => {
  const clean = { cleanText: true, handleChineseChars: false, stripAccents: false, lowercase: false };
  const strip = { cleanText: false, handleChineseChars: false, stripAccents: true, lowercase: false };
  const [hClean, mClean, hStrip, mStrip, pre] = [hf.bertNormalizer(clean), bertNormalizer(clean), hf.bertNormalizer(strip), bertNormalizer(strip), hf.bertPreTokenizer()];
  const cand = /[\p{Cc}\p{Cf}\p{Mn}\p{P}\p{Mc}\p{Me}\p{So}]/u;
  let checked = 0;
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const ch = String.fromCodePoint(cp);
    const decomposes = ch.normalize('NFD') !== ch;
    if (!(cand.test(ch) || decomposes || (cp >= 0xe000 && cp < 0xe100) || (cp >= 0xf0000 && cp < 0xf0010))) continue;
    const s = 'a' + ch + 'b';
    checked++;
    assert.is(mClean(s), hClean.normalizeString(s), `clean_text U+${cp.toString(16)}`);
    assert.is(mStrip(s), hStrip.normalizeString(s), `strip_accents U+${cp.toString(16)}`);
    assert.equal(bertPreTokenize(s), pre.preTokenizeString(s).map((x: [string, unknown]) => x[0]), `pre-tokenizer U+${cp.toString(16)}`);
  }
  console.log(`  ${checked} code points: clean_text, strip_accents and the pre-tokenizer identical to Hugging Face`);
});

test('encode rules: 100-char words and unmatchable words are one [UNK]; "##" longest match; decoder cleanup per token', () => {
  const wp = new WordPiece({ vocab: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'a', '##a', 'ab', '##b', 'x', '.', '?', "'", 'm', '##m'] });
  assert.equal(wp.encode('a'.repeat(100)), Array(100).fill(0).map((_, i) => (i === 0 ? 4 : 5)));
  assert.equal(wp.encode('a'.repeat(101)), [1]);
  assert.equal(wp.encode('aab abz ab'), [4, 5, 7, 1, 6]);
  assert.equal(wp.tokenizeToStrings("x . a ? ' m"), ['x', '.', 'a', '?', "'", 'm']);
  assert.is(wp.decode(wp.encode("x . a ? ' m")), "x. a? ' m");
  assert.is(wp.decode([2, 4, 1, 3], { skipSpecialTokens: false }), '[CLS] a [UNK] [SEP]');
  assert.is(wp.decode([2, 4, 1, 3]), 'a');
  const noUnk = new WordPiece({ vocab: ['a'] });
  throwsMsg(() => noUnk.encode('b'), /needs the unknown token "\[UNK\]", which is not in the vocabulary/);
  throwsMsg(() => wp.encode('\ud800'), /lone UTF-16 surrogate/);
  throwsMsg(() => wp.decode([99]), /token id 99 at index 0 is not in/);
});

test('vocab.txt reading: ids are line numbers, CRLF tolerated, duplicates and empty lines refused', () => {
  assert.equal(parseVocabTxt('[PAD]\r\n[UNK]\r\na\r\n'), ['[PAD]', '[UNK]', 'a']);
  assert.equal(vocabTxtTokenizer(course.toVocabTxt()).encode('나는 학교에 간다.'), course.encode('나는 학교에 간다.'));
  throwsMsg(() => parseVocabTxt('a\nb\na\n', 'v.txt'), /v.txt: token "a" on lines 1 and 3/);
  throwsMsg(() => parseVocabTxt('a\n\nb\n', 'v.txt'), /v.txt: line 2 is empty/);
  throwsMsg(() => parseVocabTxt('', 'v.txt'), /v.txt: no tokens/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
