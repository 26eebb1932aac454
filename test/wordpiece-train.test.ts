// WordPiece trainer against Hugging Face's (tokenizers@0.23.2, default trainer on the Korean corpus): same specials and
// alphabet, ≥ 99% shared tokens; determinism (two runs, two CLI runs → identical files); the rules (first-seen "##" ids,
// limit_alphabet, "##" after a dropped first char, min_frequency); bad input → one line, nothing written. CLI commands.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, mkdtempSync, writeFileSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainWordPiece, wordPieceToHfJson, WordPiece } from '../src/tokenizer/index.ts';
import { throwsMsg } from './helpers.ts';
import { runCli } from './cli-inproc.ts';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const hf: any = require('tokenizers');
const KO_PATH = new URL('../src/data/debian-faq-ko.txt', import.meta.url).pathname;
const KO = readFileSync(KO_PATH, 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'wgpt-wpt-'));

// the CLI in-process (test/cli-inproc.ts)
const wgpt = (...args: string[]) => runCli(args);

test('Hugging Face defaults on the Korean corpus: same specials (none) and alphabet, ≥ 99% shared tokens', () => {
  const hfTrain = (): string[] => {
    const t = new hf.Tokenizer(hf.WordPiece.empty());
    t.setNormalizer(hf.bertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: false, lowercase: false }));
    t.setPreTokenizer(hf.bertPreTokenizer());
    t.train([KO_PATH]);
    return Object.entries(t.getVocab(true) as Record<string, number>).sort((a, b) => a[1] - b[1]).map((e) => e[0]);
  };
  // Hugging Face's runs differ from each other (hash-order tie-breaks): compare with three of them
  const runs = [hfTrain(), hfTrain(), hfTrain()];
  // Hugging Face's WordPieceTrainer defaults: vocab 30000, min_frequency 0, no limit_alphabet, no special tokens
  const mine = trainWordPiece(KO, { vocabSize: 30000, minFrequency: 0, limitAlphabet: null, specialTokens: [] });
  const A = mine.alphabet;
  const share = (x: readonly string[], y: readonly string[]) => {
    const set = new Set(y);
    return x.filter((t) => set.has(t)).length / Math.max(x.length, y.length);
  };
  const single = (v: readonly string[]) => new Set(v.filter((x) => x.startsWith('##') && [...x].length === 3));
  const fr: number[] = [];
  for (const theirs of runs) {
    assert.equal(mine.tokenizer.vocab.slice(0, A), theirs.slice(0, A), 'alphabet (ids 0…A−1, by code point)');
    assert.ok(!theirs.slice(A).some((x) => [...x].length === 1), 'Hugging Face has no other single chars');
    assert.equal([...single(mine.tokenizer.vocab)].sort(), [...single(theirs)].sort(), 'same "##x" symbols');
    fr.push(share(mine.tokenizer.vocab, theirs));
  }
  const hfHf = [share(runs[0], runs[1]), share(runs[1], runs[2]), share(runs[0], runs[2])];
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const mean = fr.reduce((s, x) => s + x, 0) / fr.length;
  console.log(`  Hugging Face ${runs.map((r) => r.length).join('/')} tokens in 3 runs, wgpt ${mine.tokenizer.vocabSize}; alphabet ${A} identical; shared with wgpt ${fr.map(pct).join(', ')} (mean ${pct(mean)}); Hugging Face with itself ${hfHf.map(pct).join(', ')}`);
  assert.ok(mean >= 0.99, `shared ${pct(mean)} < 99%`);
});

test('deterministic: two runs give identical tokenizer.json; "##" ids in first-seen corpus order', () => {
  const a = trainWordPiece(KO, { vocabSize: 8000, limitAlphabet: 6000 });
  const b = trainWordPiece(KO, { vocabSize: 8000, limitAlphabet: 6000 });
  assert.is(wordPieceToHfJson(a.tokenizer), wordPieceToHfJson(b.tokenizer));
  assert.is(a.tokenizer.toVocabTxt(), b.tokenizer.toVocabTxt());
  // the rule: "##c" symbols appear in the order their (non-first) char first occurs in the normalized corpus
  const v = a.tokenizer.vocab;
  const start = 5 + a.alphabet;
  const firstSeen: string[] = [];
  const seen = new Set<string>();
  for (const w of KO.replace(/\s+/g, ' ').match(/[^\s\p{P}!-/:-@[-`{-~]+|[\p{P}!-/:-@[-`{-~]/gu) ?? []) {
    [...w].slice(1).forEach((c) => {
      if (!seen.has(c)) {
        seen.add(c);
        firstSeen.push('##' + c);
      }
    });
  }
  assert.equal(v.slice(start, start + firstSeen.length), firstSeen);
  assert.equal(v.slice(0, 5), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
});

test('rules: Hugging Face\'s BPE example; limit_alphabet ties; "##" after a dropped first char; min_frequency; vocab_size', () => {
  // tokenizers/src/models/bpe/trainer.rs test_train: min_frequency 2 → re, are, is (no prefix, raw words)
  const words = 'roses are are red voilets blue BERT is is big and so GPT-2';
  const r = trainWordPiece(words, { prefix: '', specialTokens: [], minFrequency: 2, limitAlphabet: null, normalizer: null });
  assert.equal(r.tokenizer.vocab.slice(-3), ['re', 'are', 'is']);
  assert.is(r.tokenizer.vocabSize, 25);
  // limit_alphabet 2 over x(3) a(2) b(2) c(1): keeps x and, of the tied a/b, the lower code point a
  const l = trainWordPiece('xax xbx c', { specialTokens: [], limitAlphabet: 2, minFrequency: 99 });
  assert.equal(l.tokenizer.vocab.slice(0, 2), ['a', 'x']);
  // "bxa": b dropped, x is not the word's first char, so it is "##x" (and first seen before "##a")
  const d = trainWordPiece('bxa xa', { specialTokens: [], limitAlphabet: 2, minFrequency: 99 });
  assert.equal(d.tokenizer.vocab, ['a', 'x', '##x', '##a']);
  // min_frequency stops the merges
  const m1 = trainWordPiece('ab ab ab cd cd', { specialTokens: [], minFrequency: 3 });
  assert.equal(m1.tokenizer.vocab, ['a', 'b', 'c', 'd', '##b', '##d', 'ab']);
  assert.ok(m1.stoppedEarly);
  // vocab size reached exactly
  assert.is(trainWordPiece(KO, { vocabSize: 1500 }).tokenizer.vocabSize, 1500);
});

test('bad input: empty corpus, whitespace only, vocab_size below specials + alphabet, bad options → one-line errors', () => {
  throwsMsg(() => trainWordPiece(''), /the corpus is empty/);
  throwsMsg(() => trainWordPiece(' \n\t \u3000 \u200b\n'), /the corpus has no words \(only whitespace or control characters\)/);
  throwsMsg(() => trainWordPiece(KO, { vocabSize: 100 }), /vocab size 100 is smaller than the 5 special tokens \+ 711 alphabet chars \(716\)/);
  throwsMsg(() => trainWordPiece(KO, { vocabSize: 1.5 }), /vocab size must be an integer/);
  throwsMsg(() => trainWordPiece(KO, { minFrequency: -1 }), /min frequency must be an integer ≥ 0/);
  throwsMsg(() => trainWordPiece(KO, { initialAlphabet: ['ab'] }), /single characters/);
  throwsMsg(() => trainWordPiece('a\ud800b'), /lone UTF-16 surrogate/);
});

test('CLI: tokenizer-train twice → identical files; tokenize --tokens/--ids/--decode/--count/--add-special-tokens; bad input writes nothing', async () => {
  const o1 = join(dir, 'a', 'tokenizer.json');
  const o2 = join(dir, 'b', 'tokenizer.json');
  const [r1, r2] = await Promise.all([
    wgpt('tokenizer-train', '--type', 'wordpiece', '--vocab-size', '30000', '--limit-alphabet', '6000', KO_PATH, '--out', o1),
    wgpt('tokenizer-train', '--vocab-size', '30000', '--limit-alphabet', '6000', '--special-tokens', '[PAD],[UNK],[CLS],[SEP],[MASK]', KO_PATH, '--out', o2),
  ]);
  assert.is(r1.code, 0, r1.err);
  assert.is(r2.code, 0, r2.err);
  assert.match(r1.out, /WordPiece: \d+ tokens \(5 special, 711 alphabet/);
  assert.is(readFileSync(o1, 'utf8'), readFileSync(o2, 'utf8'));
  assert.is(readFileSync(join(dir, 'a', 'vocab.txt'), 'utf8'), readFileSync(join(dir, 'b', 'vocab.txt'), 'utf8'));
  const wp = new WordPiece({ vocab: readFileSync(join(dir, 'a', 'vocab.txt'), 'utf8').trimEnd().split('\n') });
  const text = "I'm a student of SSAFY!";
  const [ids, toks, withSp, count, file] = await Promise.all([
    wgpt('tokenize', '--tokenizer', o1, '--text', text, '--ids'),
    wgpt('tokenize', '--tokenizer', o1, '--text', '나는 학교에 간다.', '--tokens'),
    wgpt('tokenize', '--tokenizer', o1, '--text', text, '--ids', '--add-special-tokens'),
    wgpt('tokenize', '--tokenizer', o1, '--count', KO_PATH),
    wgpt('tokenize', '--tokenizer', join(dir, 'a', 'vocab.txt'), '--ids', KO_PATH),
  ]);
  assert.is(ids.out, JSON.stringify(wp.encode(text)) + '\n');
  assert.is(toks.out, JSON.stringify(wp.tokenizeToStrings('나는 학교에 간다.')) + '\n');
  assert.is(withSp.out, JSON.stringify([2, ...wp.encode(text), 3]) + '\n');
  assert.is(count.out, `${wp.encode(KO).length}\n`);
  assert.is(file.out, JSON.stringify(wp.encode(KO)) + '\n');
  const dec = await wgpt('tokenize', '--tokenizer', o1, '--decode', '--text', withSp.out.trim());
  // the decoder's cleanup works per token, so "'" and "m" stay apart (Hugging Face gives the same, see wordpiece.test.ts)
  assert.is(dec.out, "I ' m a student of SSAFY!\n");
  // bpe type: a Hugging Face tokenizer.json wgpt reads back
  const ob = join(dir, 'bpe', 'tokenizer.json');
  const rb = await wgpt('tokenizer-train', '--type', 'bpe', '--vocab-size', '600', KO_PATH, '--out', ob);
  assert.is(rb.code, 0, rb.err);
  assert.is(JSON.parse(readFileSync(ob, 'utf8')).model.type, 'BPE');
  // bad input: one line, exit ≠ 0, nothing written
  const empty = join(dir, 'empty.txt');
  writeFileSync(empty, '');
  const blank = join(dir, 'blank.txt');
  writeFileSync(blank, ' \n\t\n   \n');
  const badUtf8 = join(dir, 'bad.txt');
  writeFileSync(badUtf8, Uint8Array.of(0xea, 0xb0, 0x80, 0x20, 0xc3, 0x28));
  const trunc = join(dir, 'trunc.json');
  writeFileSync(trunc, readFileSync(o1, 'utf8').slice(0, 5000));
  const out = (n: string) => join(dir, n, 'tokenizer.json');
  const cases: [string[], RegExp, string?][] = [
    [['tokenizer-train', '--vocab-size', '100', empty, '--out', out('e')], /corpus .*empty\.txt is empty/, 'e'],
    [['tokenizer-train', '--vocab-size', '100', blank, '--out', out('w')], /the corpus has no words/, 'w'],
    [['tokenizer-train', '--vocab-size', '100', KO_PATH, '--out', out('s')], /vocab size 100 is smaller than the 5 special tokens \+ 711 alphabet chars/, 's'],
    [['tokenizer-train', '--vocab-size', '1000', badUtf8, '--out', out('u')], /bad\.txt: invalid UTF-8 at byte offset 4/, 'u'],
    [['tokenizer-train', '--type', 'unigram', '--vocab-size', '1000', KO_PATH, '--out', out('t')], /--type must be wordpiece or bpe/, 't'],
    [['tokenize', '--tokenizer', trunc, '--text', 'x', '--ids'], /trunc\.json: not valid JSON/],
    [['tokenize', '--tokenizer', o1, '--text', 'x', '--add-special-tokens', '--decode'], /--add-special-tokens applies to/],
  ];
  const runs = await Promise.all(cases.map(([a]) => wgpt(...a)));
  runs.forEach((r, i) => {
    const [args, re, sub] = cases[i];
    assert.ok(r.code !== 0, `${args.join(' ')} exited 0`);
    assert.is(r.out, '', args.join(' '));
    const first = r.err.trim().split('\n')[0];
    assert.match(first, re, args.join(' '));
    if (sub) assert.ok(!existsSync(join(dir, sub)) || readdirSync(join(dir, sub)).length === 0, `${sub}: something was written`);
  });
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
