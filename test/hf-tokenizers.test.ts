// tokenizer.json as Hugging Face writes it, every component kind wgpt reads, against tokenizers@0.23.2 (the oracle):
// 14 files written by the library (test/fixtures/gen_hf_tokenizers.ts) and what it gave (expected.json): ids, type ids,
// masks and tokens with and without special tokens under the stored truncation/padding, pairs, a padded batch, decoded
// text, and a digest over every line of the-verdict, the Korean Debian FAQ and 300 NSMC reviews. Where the oracle is
// installed (a devDependency) a digest mismatch is located line by line against it. Also: refusals name every part.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HfTokenizer } from '../src/tokenizer/hf/tokenizer.ts';
import { parseTokenizerFile, WordPiece, HfByteLevelBpe, isFullTokenizer, BYTE_CHAR } from '../src/tokenizer/index.ts';
import type { Encoding } from '../src/tokenizer/wordpiece.ts';
import { wordPieceRandomTexts } from './tokenizer-random.ts';

const DIR = new URL('./fixtures/hf-tokenizers/', import.meta.url).pathname;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type J = any;
const EXPECTED: J = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8'));
const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');
const CORPORA: Record<string, string[]> = {
  verdict: lines(readFileSync(new URL('../src/data/the-verdict.txt', import.meta.url), 'utf8')),
  ko: lines(readFileSync(new URL('../src/data/debian-faq-ko.txt', import.meta.url), 'utf8')),
  nsmc: lines(readFileSync(join(DIR, 'nsmc-300.txt'), 'utf8')),
};

function oracle(): J | null {
  try {
    return createRequire(import.meta.url)('tokenizers');
  } catch {
    return null;
  }
}

/** Where the oracle is installed: the first line whose ids or decoded text differ from it. */
async function firstDifference(name: string, ls: string[], rows: [number[], string][]): Promise<string> {
  const hf = oracle();
  if (!hf) return '';
  const o = hf.Tokenizer.fromFile(join(DIR, `${name}.json`));
  o.disableTruncation();
  o.disablePadding();
  for (let i = 0; i < ls.length; i++) {
    const p = (await o.encode(ls[i], null, { addSpecialTokens: false })).getIds();
    const d = await o.decode(p, true);
    const [mp, md] = rows[i];
    if (JSON.stringify([p, d]) !== JSON.stringify([mp, md])) {
      const k = p.findIndex((x: number, j: number) => x !== mp[j]);
      return `; line ${i} ${JSON.stringify(ls[i].slice(0, 80))}: first differing id at ${k}: oracle ${JSON.stringify(p.slice(Math.max(0, k - 3), k + 5))}, wgpt ${JSON.stringify(mp.slice(Math.max(0, k - 3), k + 5))}; decoded ${JSON.stringify(d.slice(0, 80))} vs ${JSON.stringify(md.slice(0, 80))}`;
    }
  }
  return '; no single line differs (the expected.json digest is stale: rerun the generator)';
}

const view = (e: Encoding, tokens = false) => ({
  ids: e.ids,
  typeIds: e.typeIds.join(''),
  attentionMask: e.attentionMask.join(''),
  specialTokensMask: e.specialTokensMask.join(''),
  ...(tokens ? { tokens: e.tokens } : {}),
});

/** the expected encoding, or that it throws (the stored truncation cannot cut the input) */
function same(name: string, what: string, f: () => Encoding, want: J, tokens = false): void {
  if (want.error) {
    assert.throws(f, undefined, `${name} ${what}: the oracle fails (${want.error})`);
    return;
  }
  assert.equal(view(f(), tokens), want, `${name} ${what}`);
}

const kinds = Object.keys(EXPECTED.kinds);


test('14 tokenizer.json kinds written by tokenizers@0.23.2: encode with/without special tokens, stored truncation/padding, pairs, batch, decode', () => {
  assert.is(kinds.length, 14);
  for (const name of kinds) {
    const want = EXPECTED.kinds[name];
    const tok = HfTokenizer.fromJson(readFileSync(join(DIR, `${name}.json`), 'utf8'), `${name}.json`);
    assert.ok(want.samples.filter((s: J) => s.full.tokens).length >= 10, `${name}: token strings kept for the short samples`);
    for (const s of want.samples) {
      const what = `on ${JSON.stringify(s.text.slice(0, 40))}`;
      same(name, `plain ${what}`, () => tok.encodeFull(s.text, null, { addSpecialTokens: false }), s.plain);
      same(name, `full ${what}`, () => tok.encodeFull(s.text), s.full, s.full.tokens !== undefined);
      const ids = s.full.ids ?? s.plain.ids ?? [];
      assert.is(tok.decode(ids), s.decoded, `${name} decode ${what}`);
      assert.is(tok.decode(ids, { skipSpecialTokens: false }), s.decodedKeep, `${name} decode keeping specials ${what}`);
    }
    for (const p of want.pairs) {
      same(name, `pair ${JSON.stringify(p.a.slice(0, 20))}`, () => tok.encodeFull(p.a, p.b), p.full);
      same(name, `pair without special tokens ${JSON.stringify(p.a.slice(0, 20))}`, () => tok.encodeFull(p.a, p.b, { addSpecialTokens: false }), p.plain);
    }
    if (want.batch.encodings.error) assert.throws(() => tok.encodeBatch(want.batch.inputs), undefined, `${name} batch`);
    else assert.equal(tok.encodeBatch(want.batch.inputs).encodings.map((e) => view(e)), want.batch.encodings, `${name} batch`);
  }
});

test('every line of the three corpora: ids and decoded text equal the oracle (digest)', async () => {
  const t0 = performance.now();
  let total = 0;
  for (const name of kinds) {
    const tok = HfTokenizer.fromJson(readFileSync(join(DIR, `${name}.json`), 'utf8'), `${name}.json`);
    for (const [corpus, ls] of Object.entries(CORPORA)) {
      const want = EXPECTED.kinds[name].digests[corpus];
      const h = createHash('sha256');
      let n = 0;
      const rows: [number[], string][] = [];
      for (const l of ls) {
        const p = tok.encodeFull(l, null, { addSpecialTokens: false, truncation: false, padding: false }).ids;
        const row: [number[], string] = [p, tok.decode(p)];
        rows.push(row);
        n += p.length;
        h.update(JSON.stringify(row) + '\n');
      }
      total += n;
      const got = h.digest('hex');
      if (got !== want.sha256) assert.unreachable(`${name} on ${corpus}: digest differs from the oracle's (${n} tokens vs ${want.tokens})${await firstDifference(name, ls, rows)}`);
      assert.is(ls.length, want.lines);
    }
  }
  console.log(`  ${kinds.length} tokenizers × ${Object.values(CORPORA).reduce((s, l) => s + l.length, 0)} lines: ${total} tokens, all equal to tokenizers@0.23.2 (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
});

test('live against the oracle (a devDependency): 120 random strings per kind — controls, odd spaces, marks, emoji, specials — ids, masks and decode', async () => {
  const hf = oracle();
  if (!hf) {
    console.log('  (skipped: the tokenizers devDependency is not installed)');
    return;
  }
  const extra = ['x<mask> y', ' <mask>  z', 'Gisburn데비안 데비안 데비안s', 'ＡＢＣ①ﬁ\u00a0x', '\u1100\u1161\u11a8 각', '<s></s><pad>', '<|begin|><|sep|>', '12-34-56 a--b', '▁ ▁▁x', '  ', '\n\n', ''];
  const texts = [...wordPieceRandomTexts(120, 20261207), ...extra];
  let n = 0;
  for (const name of kinds) {
    const file = join(DIR, `${name}.json`);
    const tok = HfTokenizer.fromJson(readFileSync(file, 'utf8'), name);
    const o = hf.Tokenizer.fromFile(file);
    for (const t of texts) {
      for (const add of [false, true]) {
        let want: J;
        try {
          const e = await o.encode(t, null, { addSpecialTokens: add });
          want = { ids: e.getIds(), typeIds: e.getTypeIds().join(''), attentionMask: e.getAttentionMask().join(''), specialTokensMask: e.getSpecialTokensMask().join('') };
        } catch (e) {
          want = { error: String((e as Error).message) };
        }
        same(name, `live ${add ? 'full' : 'plain'} ${JSON.stringify(t)}`, () => tok.encodeFull(t, null, { addSpecialTokens: add }), want);
        if (want.ids) {
          assert.is(tok.decode(want.ids), await o.decode(want.ids, true), `${name} live decode ${JSON.stringify(t)}`);
          assert.is(tok.decode(want.ids, { skipSpecialTokens: false }), await o.decode(want.ids, false), `${name} live decode keeping specials ${JSON.stringify(t)}`);
        }
        n++;
      }
    }
  }
  console.log(`  ${n} live encodings and their decodes equal to tokenizers@0.23.2`);
});

test('per-call truncation and padding replace the stored ones as setTruncation / setPadding do (live), bad options are one line', async () => {
  const hf = oracle();
  const texts = [CORPORA.verdict[2], CORPORA.ko[11], 'a b', CORPORA.nsmc[3], ''];
  const cases: [string, J, (o: J) => void][] = [
    ['roberta', { truncation: { maxLength: 12, strategy: 'longest_first', direction: 'right' }, padding: 16 }, (o) => (o.setTruncation(12, { direction: 'right' }), o.setPadding({ maxLength: 16, padId: 1, padToken: '<pad>', direction: 'left', padToMultipleOf: 8 }))],
    ['bert-uncased', { truncation: false, padding: { length: 'longest', direction: 'left' } }, (o) => (o.disableTruncation(), o.setPadding({ padId: 0, padToken: '[PAD]', direction: 'left', padToMultipleOf: 8 }))],
    ['t5-unigram-precompiled', { truncation: { maxLength: 7, direction: 'left' }, padding: false, addSpecialTokens: false }, (o) => (o.setTruncation(7, { direction: 'left' }), o.disablePadding())],
    ['bpe-suffix', { padding: 'longest', padToken: '<pad>', padToMultipleOf: 4 }, (o) => o.setPadding({ padId: 1, padToken: '<pad>', padToMultipleOf: 4 })],
  ];
  for (const [name, opts, set] of cases) {
    const file = join(DIR, `${name}.json`);
    const tok = HfTokenizer.fromJson(readFileSync(file, 'utf8'), name);
    const got = tok.encodeBatch(texts, opts).encodings.map((e) => view(e));
    if (!hf) continue;
    const o = hf.Tokenizer.fromFile(file);
    set(o);
    const want = (await o.encodeBatch(texts, { addSpecialTokens: opts.addSpecialTokens ?? true })).map((e: J) => ({ ids: e.getIds(), typeIds: e.getTypeIds().join(''), attentionMask: e.getAttentionMask().join(''), specialTokensMask: e.getSpecialTokensMask().join('') }));
    assert.equal(got, want, `${name} ${JSON.stringify(opts)}`);
  }
  const tok = HfTokenizer.fromJson(readFileSync(join(DIR, 'roberta.json'), 'utf8'), 'roberta');
  const bad: [J, RegExp][] = [
    [{ padding: { maxLength: 5 } }, /^padding: unknown option maxLength \(it takes length, direction, padToMultipleOf, padId, padTypeId, padToken\)$/],
    [{ padding: 'longest', padToken: '<nope>' }, /the pad token "<nope>" is not in the vocabulary/],
    [{ padding: -1 }, /padding must be 'longest', a length ≥ 0/],
    [{ truncation: { max_length: 5 } }, /truncation must be false or \{maxLength/],
    [{ truncation: { maxLength: 5, stride: 2 } }, /truncation: unknown option stride/],
    [{ truncation: { maxLength: 5, strategy: 'LongestFirst' } }, /strategy must be longest_first, only_first or only_second/],
  ];
  for (const [o, re] of bad) assert.throws(() => tok.encodeBatch(['x'], o), re, JSON.stringify(o));
  const plain = HfTokenizer.fromJson(readFileSync(join(DIR, 't5-unigram-precompiled.json'), 'utf8').replace(/"padding":\{[^}]*\}\}?,/, '"padding":null,'), 't5');
  assert.is(plain.padding, null);
  assert.throws(() => plain.encodeBatch(['x'], { padToken: '</s>' }), /padToken \/ padToMultipleOf need padding/);
});

test("live: Metaspace's prepend_scheme \"first\" after normalizers that drop the input's first char (Strip, Nmt, BertNormalizer, a Replace)", async () => {
  const hf = oracle();
  if (!hf) return;
  const base = JSON.parse(readFileSync(join(DIR, 'unigram-bytefallback-first.json'), 'utf8'));
  base.truncation = null;
  base.padding = null;
  const norms = [
    { type: 'Strip', strip_left: true, strip_right: true },
    { type: 'Sequence', normalizers: [{ type: 'Nmt' }, { type: 'Strip', strip_left: true, strip_right: false }] },
    { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: false },
    { type: 'Sequence', normalizers: [{ type: 'StripAccents' }, { type: 'Replace', pattern: { Regex: '^x+' }, content: '' }] },
  ];
  const texts = [...wordPieceRandomTexts(80, 5), '  hello', '\u0001abc', '\u0301e', 'xxhello', ' <mask> a', '<mask>  b'];
  let n = 0;
  for (const norm of norms) {
    const doc = { ...base, normalizer: norm };
    const o = hf.Tokenizer.fromString(JSON.stringify(doc));
    const tok = new HfTokenizer(doc);
    for (const t of texts) {
      assert.equal(tok.encode(t), (await o.encode(t, null, { addSpecialTokens: false })).getIds(), `${norm.type} ${JSON.stringify(t)}`);
      n++;
    }
  }
  assert.ok(n > 300);
});

test('live: FixedLength, UnicodeScripts and Split with a String pattern, which no fixture carries, on the corpora and random strings', async () => {
  const hf = oracle();
  if (!hf) return;
  const base = JSON.parse(readFileSync(join(DIR, 'wordlevel-chars-ctc.json'), 'utf8'));
  base.truncation = null;
  base.padding = null;
  const docs = [
    { ...base, pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'FixedLength', length: 3 }] } },
    { ...base, pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { String: 'e' }, behavior: 'Contiguous', invert: false }, { type: 'FixedLength', length: 1 }] } },
    // UnicodeScripts: pieces by script (Hiragana/Katakana as Han, spaces and unknown chars as Any); chars → ids
    { ...base, pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'UnicodeScripts' }, { type: 'FixedLength', length: 1 }] } },
    { ...base, pre_tokenizer: { type: 'UnicodeScripts' } },
  ];
  const texts = [...CORPORA.verdict.slice(0, 40), ...CORPORA.ko.slice(0, 40), ...wordPieceRandomTexts(200, 7), '  中文ひらがなカタカナー漢 123 한국어  x', '   ', 'ab\u0589cd\u061Cef\u0953', 'Ελληνικά и русский עברית العربية देवनागरी'];
  for (const d of docs) {
    const json = JSON.stringify(d);
    const o = hf.Tokenizer.fromString(json);
    const tok = HfTokenizer.fromJson(json, 'fixed');
    for (const t of texts) assert.equal(tok.encode(t), (await o.encode(t, null, { addSpecialTokens: false })).getIds(), JSON.stringify(t.slice(0, 30)));
  }
});

test('a merge listed twice: the later rank counts, in both BPE readers (Hugging Face builds a hash map from the list)', () => {
  const vocab: Record<string, number> = {};
  BYTE_CHAR.forEach((c, i) => (vocab[c] = i));
  vocab.ab = 256;
  vocab.bc = 257;
  const bl = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  const doc = { version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null, pre_tokenizer: bl, post_processor: null, decoder: bl, model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: ['a b', 'b c', 'a b'] } };
  const fast = parseTokenizerFile(JSON.stringify(doc), 'dup.json');
  assert.ok(fast instanceof HfByteLevelBpe);
  // tokenizers@0.23.2 gives ['a', 'bc'] (checked when this test was written)
  assert.equal(fast.encode('abc'), [97, 257]);
  assert.equal(new HfTokenizer(doc).encode('abc'), [97, 257]);
});

test("a BERT-shaped WordPiece or plain byte-level BPE goes to wgpt's own classes, with the general reader's ids", () => {
  const strip = (name: string, f: (d: J) => void) => {
    const d = JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8'));
    d.truncation = null;
    d.padding = null;
    f(d);
    return JSON.stringify(d);
  };
  const cases: [string, string, Function][] = [
    // bert-uncased without its non-special "debian" added token
    ['bert-uncased', strip('bert-uncased', (d) => (d.added_tokens = d.added_tokens.filter((t: J) => t.special))), WordPiece],
    // bytelevel-bpe-nfc without NFC and its non-special added tokens
    ['bytelevel-bpe-nfc', strip('bytelevel-bpe-nfc', (d) => ((d.normalizer = null), (d.added_tokens = d.added_tokens.filter((t: J) => t.special)))), HfByteLevelBpe],
  ];
  const texts = [...CORPORA.verdict, ...CORPORA.ko.slice(0, 300), ...CORPORA.nsmc.slice(0, 100), ...EXPECTED.kinds['bert-uncased'].samples.map((x: J) => x.text)];
  for (const [name, text, cls] of cases) {
    const fast = parseTokenizerFile(text, `${name}.json`);
    assert.ok(fast instanceof cls, `${name} → ${cls.name}`);
    const general = HfTokenizer.fromJson(text, name);
    for (const t of texts) {
      const ids = general.encode(t);
      assert.equal(fast.encode(t), ids, `${name} ${JSON.stringify(t.slice(0, 30))}`);
      assert.is(fast.decode(ids), general.decode(ids));
    }
    // both are FullTokenizers: encodeFull / encodeBatch (WordPiece's own, the byte-level BPE's through the general reader)
    assert.ok(isFullTokenizer(fast) && isFullTokenizer(general));
    for (const t of texts.slice(0, 50)) assert.equal(fast.encodeFull(t), general.encodeFull(t));
    const pad = Object.keys(fast.specialTokens ?? {})[0];
    const batch = { padding: 'longest' as const, padToken: pad, padToMultipleOf: 8, truncation: { maxLength: 40 } };
    assert.equal(fast.encodeBatch(texts.slice(0, 9), batch), general.encodeBatch(texts.slice(0, 9), batch));
  }
});

test.run();
