// Tokenizer ground truth from the course: regex split counts, simple V1/V2 ids, GPT-2 ids via js-tiktoken, the
// special-token rules and errors, and the loadTokenizer factory. No GPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { loadTokenizer, simpleSplit, buildSimpleVocab, SimpleTokenizer, Gpt2Tokenizer, parseBpeFile } from '../src/tokenizer/index.ts';

const VERDICT = readFileSync(new URL('../src/data/the-verdict.txt', import.meta.url), 'utf8');

function throwsMsg(fn: () => unknown, re: RegExp): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof Error, `threw a non-Error: ${e}`);
    const msg = (e as Error).message;
    assert.ok(!msg.includes('\n'), `multi-line error: ${msg}`);
    assert.match(msg, re);
    return msg;
  }
  assert.unreachable(`expected an error matching ${re}`);
  return '';
}

test('regex split of the-verdict: 4690 tokens, 1130 unique, 1132 with the two specials', () => {
  const toks = simpleSplit(VERDICT);
  assert.is(toks.length, 4690);
  assert.equal(toks.slice(0, 10), ['I', 'HAD', 'always', 'thought', 'Jack', 'Gisburn', 'rather', 'a', 'cheap', 'genius']);
  assert.is(buildSimpleVocab(VERDICT, 1).length, 1130);
  const v2 = buildSimpleVocab(VERDICT, 2);
  assert.is(v2.length, 1132);
  assert.equal(v2.slice(-2), ['<|endoftext|>', '<|unk|>']);
});

test('simple-v1 reproduces the course ids and decodes back to the sentence', () => {
  const tok = loadTokenizer('simple-v1', { vocabFrom: VERDICT });
  assert.is(tok.vocabSize, 1130);
  assert.is(tok.eotId, undefined);
  const text = `"It's the last he painted, you know," Mrs. Gisburn said with pardonable pride.`;
  const ids = tok.encode(text);
  assert.equal(ids, [1, 56, 2, 850, 988, 602, 533, 746, 5, 1126, 596, 5, 1, 67, 7, 38, 851, 1108, 754, 793, 7]);
  assert.is(tok.decode(ids), `" It\' s the last he painted, you know," Mrs. Gisburn said with pardonable pride.`);
  // a decoded text re-encodes to the same ids
  assert.equal(tok.encode(tok.decode(ids)), ids);
});

test('simple-v1: an unknown word is an error naming the word', () => {
  const tok = loadTokenizer('simple-v1', { vocabFrom: VERDICT });
  throwsMsg(() => tok.encode('Hello, do you like tea?'), /"Hello" is not in the vocabulary/);
});

test('simple-v2 reproduces the course ids with <|unk|> and <|endoftext|>', () => {
  const tok = loadTokenizer('simple-v2', { vocabFrom: VERDICT });
  assert.is(tok.vocabSize, 1132);
  assert.is(tok.eotId, 1130);
  const text = ['Hello, do you like tea?', 'In the sunlit terraces of the palace.'].join(' <|endoftext|> ');
  const ids = tok.encode(text);
  assert.equal(ids, [1131, 5, 355, 1126, 628, 975, 10, 1130, 55, 988, 956, 984, 722, 988, 1131, 7]);
  assert.is(tok.decode(ids), '<|unk|>, do you like tea? <|endoftext|> In the sunlit terraces of the <|unk|>.');
});

test('simple tokenizers: V2 decode also joins : and ; (course V2), V1 does not; bad ids and bad vocabularies', () => {
  const v1 = SimpleTokenizer.fromCorpus('a : b ; c', 1);
  const v2 = SimpleTokenizer.fromCorpus('a : b ; c', 2);
  assert.is(v1.decode(v1.encode('a: b; c')), 'a : b ; c');
  assert.is(v2.decode(v2.encode('a: b; c')), 'a: b; c');
  throwsMsg(() => v1.decode([0, 99]), /token id 99 at index 1 is not in simple-v1's vocabulary \[0, 5\)/);
  throwsMsg(() => v1.decode([1.5]), /token id 1\.5/);
  throwsMsg(() => SimpleTokenizer.fromCorpus('   \n\t', 1), /corpus has no tokens/);
  throwsMsg(() => new SimpleTokenizer(1, ['a', 'a']), /appears twice/);
  throwsMsg(() => new SimpleTokenizer(2, ['a']), /no <\|unk\|>/);
  throwsMsg(() => loadTokenizer('simple-v2'), /vocabFrom/);
  // vocabulary order is Python's sorted(): by code point (astral after U+FFFD, unlike UTF-16 order)
  assert.equal(buildSimpleVocab('\ufffd 😀 a', 1), ['a', '\ufffd', '😀']);
});

test('gpt2 (js-tiktoken): 5145 tokens on the-verdict, the course ids with <|endoftext|> allowed', () => {
  const tok = loadTokenizer('gpt2');
  assert.is(tok.vocabSize, 50257);
  assert.is(tok.eotId, 50256);
  const ids = tok.encode(VERDICT);
  assert.is(ids.length, 5145);
  assert.equal(ids.slice(0, 4), [40, 367, 2885, 1464]);
  assert.is(tok.decode(ids), VERDICT);
  const text = 'Hello, do you like tea? <|endoftext|> In the sunlit terracesof someunknownPlace.';
  const want = [15496, 11, 466, 345, 588, 8887, 30, 220, 50256, 554, 262, 4252, 18250, 8812, 2114, 1659, 617, 34680, 27271, 13];
  assert.equal(tok.encode(text, { allowedSpecial: 'all' }), want);
  assert.equal(tok.encode(text, { allowedSpecial: ['<|endoftext|>'] }), want);
  assert.is(tok.decode(want), text);
});

test('gpt2: <|endoftext|> in the text without allowedSpecial is a clear error; bad allowedSpecial, lone surrogates, bad ids', () => {
  const tok = new Gpt2Tokenizer();
  throwsMsg(() => tok.encode('a <|endoftext|> b'), /special token <\|endoftext\|> at index 2, which is not allowed.*allowedSpecial 'all'.*--allowed-special all/);
  throwsMsg(() => tok.encode('x', { allowedSpecial: ['<|unk|>'] }), /"<\|unk\|>" is not a special token of gpt2/);
  throwsMsg(() => tok.encode('ab\ud800c'), /lone UTF-16 surrogate 0xd800 at index 2/);
  throwsMsg(() => tok.decode([50257]), /token id 50257 at index 0 is not in gpt2's vocabulary/);
  throwsMsg(() => tok.decode([-1]), /token id -1/);
  // a leading byte-order mark survives decode (js-tiktoken's own decoder would drop it)
  assert.is(tok.decode(tok.encode('\ufeffhi')), '\ufeffhi');
});

test('loadTokenizer: names, the wgpt-gpt2 twin, and unknown specs', () => {
  assert.is(loadTokenizer('gpt2'), loadTokenizer('gpt2'));
  const own = loadTokenizer('wgpt-gpt2');
  assert.is(own.vocabSize, 50257);
  assert.is(own.eotId, 50256);
  assert.equal(own.encode(VERDICT.slice(0, 500)), loadTokenizer('gpt2').encode(VERDICT.slice(0, 500)));
  throwsMsg(() => loadTokenizer('no-such-tokenizer.json'), /unknown tokenizer 'no-such-tokenizer\.json'/);
  throwsMsg(() => loadTokenizer(''), /tokenizer spec must be/);
  // a BPE given as text (the browser path)
  const t = loadTokenizer('mini', { bpeText: '{"format":"wgpt-bpe","version":1,"merges":["h i"],"special":{"<|endoftext|>":257}}' });
  assert.equal(t.encode('hi'), [256]);
  assert.is(parseBpeFile('{"format":"wgpt-bpe","version":1,"merges":[]}').vocabSize, 256);
});

test.run();
