// Seeded fuzzing of everything that takes untrusted input in the tokenizer/data path: random and mutated bytes into
// the strict UTF-8 decoder, random strings (lone surrogates and special-token fragments included) and random ids
// into every tokenizer, mutated wgpt-bpe files into the loader. Only clean one-line Errors; round trips where valid.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { loadTokenizer, gpt2Bpe, parseBpeFile, trainBpe, SimpleTokenizer, type Tokenizer } from '../src/tokenizer/index.ts';
import { decodeUtf8Strict, invalidUtf8At, Utf8Stream } from '../src/data/index.ts';
import { rng } from './helpers.ts';
import { randomText } from './tokenizer-random.ts';

const VERDICT = readFileSync(new URL('../src/data/the-verdict.txt', import.meta.url), 'utf8');

/** Runs fn; a thrown value must be a plain Error with a one-line message. Returns the result or null. */
function clean<T>(what: string, fn: () => T): T | null {
  try {
    return fn();
  } catch (e) {
    assert.ok(e instanceof Error, `${what}: threw a non-Error ${String(e)}`);
    const msg = (e as Error).message;
    assert.ok(msg.length > 0 && !msg.includes('\n'), `${what}: bad error message ${JSON.stringify(msg)}`);
    assert.not.ok(e instanceof TypeError || e instanceof RangeError, `${what}: internal ${(e as Error).name}: ${msg}`);
    return null;
  }
}

function isWellFormed(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

test('UTF-8: random and mutated bytes — the strict decoder agrees with TextDecoder(fatal) and names the first bad byte', () => {
  const r = rng(99);
  const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const base = new TextEncoder().encode(readFileSync(new URL('./fixtures/multilingual.txt', import.meta.url), 'utf8'));
  for (let k = 0; k < 3000; k++) {
    let b: Uint8Array;
    if (k % 2 === 0) b = Uint8Array.from({ length: Math.floor(r() * 12) }, () => (r() < 0.5 ? 0x80 + Math.floor(r() * 0x80) : Math.floor(r() * 256)));
    else {
      const s = Math.floor(r() * (base.length - 40));
      b = base.slice(s, s + 1 + Math.floor(r() * 40));
      for (let m = Math.floor(r() * 3); m > 0; m--) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
    }
    let ref: string | null = null;
    try {
      ref = fatal.decode(b);
    } catch {
      ref = null;
    }
    const at = invalidUtf8At(b);
    assert.is(at < 0, ref !== null, `bytes ${Array.from(b).join(',')}`);
    const got = clean('decodeUtf8Strict', () => decodeUtf8Strict(b));
    assert.is(got, ref);
    if (at >= 0) {
      fatal.decode(b.subarray(0, at)); // everything before the reported offset is valid
      // a stream cut anywhere reports the same offset
      const cut = Math.floor(r() * (b.length + 1));
      const st = new Utf8Stream('x');
      const msg = clean('stream', () => {
        st.push(b.subarray(0, cut));
        st.push(b.subarray(cut));
        st.end();
        return 'ok';
      });
      assert.is(msg, null);
    }
  }
});

test('random strings into every tokenizer: clean errors only; round trips; our BPE == js-tiktoken', () => {
  const r = rng(4242);
  const trained = trainBpe(VERDICT, { vocabSize: 320 }).bpe;
  const toks: Tokenizer[] = [loadTokenizer('gpt2'), gpt2Bpe(), SimpleTokenizer.fromCorpus(VERDICT, 1), SimpleTokenizer.fromCorpus(VERDICT, 2), trained];
  const frags = ['<|endoftext|>', '<|unk|>', '<|', '|>', '<|endof', "'s", '--', '\ud800', '\udfff', '\ud83d', '\r\n', ' ', 'the'];
  for (let k = 0; k < 1500; k++) {
    let s = randomText(r, 24);
    for (let m = Math.floor(r() * 3); m > 0; m--) {
      const at = Math.floor(r() * (s.length + 1));
      s = s.slice(0, at) + frags[Math.floor(r() * frags.length)] + s.slice(at);
    }
    const allowed = r() < 0.5 ? ('all' as const) : undefined;
    const results = toks.map((t) => clean(`${t.name} encode ${JSON.stringify(s)}`, () => t.encode(s, { allowedSpecial: allowed })));
    const wf = isWellFormed(s);
    const hasSpecial = s.includes('<|endoftext|>');
    results.forEach((ids, i) => {
      const t = toks[i];
      if (ids === null) {
        // allowed failures: lone surrogates (BPEs), disallowed <|endoftext|> (BPEs), unknown words (V1)
        assert.ok(!wf || (hasSpecial && !allowed) || t.name === 'simple-v1', `${t.name} failed on ${JSON.stringify(s)}`);
        return;
      }
      for (const id of ids) assert.ok(Number.isInteger(id) && id >= 0 && id < t.vocabSize, `${t.name}: id ${id}`);
      if (t.name.startsWith('simple')) assert.equal(t.encode(t.decode(ids)), ids, `${t.name} ${JSON.stringify(s)}`);
      else assert.is(t.decode(ids), s, `${t.name} ${JSON.stringify(s)}`);
    });
    if (results[0] && results[1]) assert.equal(results[1], results[0], JSON.stringify(s));
    assert.is(results[0] === null, results[1] === null);
  }
});

test('random id lists into every decoder: clean errors for ids outside the vocabulary', () => {
  const r = rng(17);
  const toks: Tokenizer[] = [loadTokenizer('gpt2'), gpt2Bpe(), SimpleTokenizer.fromCorpus(VERDICT, 2)];
  const weird = [-1, 1.5, NaN, Infinity, 2 ** 31, 50257, 1132, '7' as unknown as number, null as unknown as number];
  for (let k = 0; k < 1000; k++) {
    const t = toks[k % toks.length];
    const ids = Array.from({ length: Math.floor(r() * 10) }, () => (r() < 0.1 ? weird[Math.floor(r() * weird.length)] : Math.floor(r() * t.vocabSize)));
    const valid = ids.every((id) => Number.isInteger(id) && id >= 0 && id < t.vocabSize);
    const out = clean(`${t.name} decode`, () => t.decode(ids));
    assert.is(out !== null, valid, `${t.name} ${JSON.stringify(ids)}`);
    if (out !== null && t !== toks[2]) assert.ok(isWellFormed(out));
  }
  assert.is(clean('decode non-array', () => toks[1].decode(5 as unknown as number[])), null);
});

test('mutated wgpt-bpe files into the loader: clean errors, or a tokenizer that round-trips', () => {
  const r = rng(31337);
  const good = trainBpe(VERDICT.slice(0, 3000), { vocabSize: 290 }).bpe.toFileText('fuzz');
  const snippets = ['"', ',', ']', '}', '{', '[', ' ', 'null', '1e9', '-1', '"Ġ"', '"a b"', '"\\u0000"', '"\\ud800"', '""', 'true', '300', '"version":2'];
  const doc = JSON.parse(good) as { merges: string[]; special: Record<string, number> };
  const syms = ['Ġ', 'a', 'b', 'Ġt', 'he', 'Ċ', 'Ã', 'x y', '', 'é', '\u0100'];
  let loaded = 0;
  for (let k = 0; k < 1500; k++) {
    let s = good;
    if (k % 2 === 1) {
      // structural mutation: valid JSON, wrong content
      const d = { ...doc, merges: [...doc.merges], special: { ...doc.special } } as Record<string, unknown> & typeof doc;
      for (let m = 1 + Math.floor(r() * 3); m > 0; m--) {
        const op = Math.floor(r() * 6);
        const i = Math.floor(r() * d.merges.length);
        if (op === 0) d.merges.splice(i, 1);
        else if (op === 1) d.merges[i] = `${syms[Math.floor(r() * syms.length)]} ${syms[Math.floor(r() * syms.length)]}`;
        else if (op === 2) d.merges.push(d.merges[i]);
        else if (op === 3) [d.merges[i], d.merges[0]] = [d.merges[0], d.merges[i]];
        else if (op === 4) d.special = { '<|endoftext|>': Math.floor(r() * 400) - 50 };
        else d.special[syms[Math.floor(r() * syms.length)]] = 256 + d.merges.length + Math.floor(r() * 3);
      }
      s = JSON.stringify(d);
    } else for (let m = 1 + Math.floor(r() * 3); m > 0; m--) {
      const at = Math.floor(r() * s.length);
      const op = r();
      if (op < 0.3) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 8));
      else if (op < 0.6) s = s.slice(0, at) + snippets[Math.floor(r() * snippets.length)] + s.slice(at);
      else if (op < 0.8) s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 0x250)) + s.slice(at + 1);
      else s = s.slice(0, at);
    }
    const bpe = clean('parseBpeFile', () => parseBpeFile(s, 'fuzz.json'));
    if (!bpe) continue;
    loaded++;
    for (let j = 0; j < 3; j++) {
      const text = randomText(r, 30);
      const ids = bpe.encode(text, { allowedSpecial: 'all' });
      assert.is(bpe.decode(ids), text);
    }
  }
  assert.ok(loaded > 0 && loaded < 1500, `loaded ${loaded} of 1500 mutants`);
});

test.run();
