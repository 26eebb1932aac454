// Tokenizer folders as transformers reads them, through readTokenizer (the one reading of --tokenizer): vocab.txt
// lowercased by default as BertTokenizer (its fast converter's tokenizer.json is the reference: the bert-uncased
// fixture written by tokenizers@0.23.2), tokenizer_config.json (do_lower_case, model_max_length, BertTokenizerFast's
// normalizer override), special_tokens_map.json, Marian folders, refusals in one line; and the browser bundle has no
// node: import.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTokenizer, tokenizerFromFolderFiles, HfTokenizer, WordPiece, type Tokenizer } from '../src/tokenizer/index.ts';
import { tokenizerFromSpec, loadTokenizerFile } from '../src/tokenizer/node.ts';
import { throwsMsg } from './helpers.ts';
import { runCli } from './cli-inproc.ts';

const FIX = new URL('./fixtures/hf-tokenizers/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'wgpt-tokdirs-'));
const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');
const TEXTS = [
  ...lines(readFileSync(new URL('../src/data/the-verdict.txt', import.meta.url), 'utf8')),
  ...lines(readFileSync(new URL('../src/data/debian-faq-ko.txt', import.meta.url), 'utf8')).slice(0, 200),
  'Ünïcödé ÀCCENTS and CAPS, 中文字符, [MASK] and [CLS] in text.',
];

/** the bert-uncased fixture (written by tokenizers@0.23.2) without its stored truncation/padding and extra added token */
function bertDoc(f: (d: Record<string, any>) => void = () => {}): Record<string, any> {
  const d = JSON.parse(readFileSync(join(FIX, 'bert-uncased.json'), 'utf8'));
  d.truncation = null;
  d.padding = null;
  d.added_tokens = d.added_tokens.filter((t: { special: boolean }) => t.special);
  f(d);
  return d;
}
const vocabTxt = (d: Record<string, any>) => Object.entries(d.model.vocab as Record<string, number>).sort((a, b) => a[1] - b[1]).map((e) => e[0]).join('\n') + '\n';

function folder(name: string, files: Record<string, string | object>): string {
  const p = join(dir, name);
  mkdirSync(p, { recursive: true });
  for (const [f, c] of Object.entries(files)) writeFileSync(join(p, f), typeof c === 'string' ? c : JSON.stringify(c));
  return p;
}

function sameIds(a: Tokenizer & { encodeFull?: (t: string) => { ids: number[] } }, b: HfTokenizer, what: string): void {
  for (const t of TEXTS) {
    assert.equal(a.encode(t), b.encode(t), `${what}: ${JSON.stringify(t.slice(0, 40))}`);
    assert.equal(a.encodeFull!(t).ids, b.encodeFull(t).ids, `${what} with [CLS]/[SEP]: ${JSON.stringify(t.slice(0, 40))}`);
  }
}

test('vocab.txt alone is lowercased (BertTokenizer); do_lower_case false keeps case; both equal the converter-shaped tokenizer.json', () => {
  const d = bertDoc();
  const uncased = HfTokenizer.fromJson(JSON.stringify(d), 'bert-uncased');
  const bare = folder('bare', { 'vocab.txt': vocabTxt(d) });
  const t = readTokenizer(bare);
  assert.ok(t instanceof WordPiece);
  sameIds(t as WordPiece, uncased, 'bare vocab.txt');
  // the file path reads the same (its folder's configs apply)
  sameIds(readTokenizer(join(bare, 'vocab.txt')) as WordPiece, uncased, 'vocab.txt path');
  sameIds(tokenizerFromSpec(join(bare, 'vocab.txt')) as WordPiece, uncased, 'CLI spec');
  // cased: do_lower_case false (strip_accents then follows it: off)
  const cased = HfTokenizer.fromJson(JSON.stringify(bertDoc((x) => (x.normalizer.lowercase = false))), 'bert-cased');
  assert.not.equal(cased.encode(TEXTS[TEXTS.length - 1]), uncased.encode(TEXTS[TEXTS.length - 1]), 'the texts tell cased from uncased');
  const c = folder('cased', { 'vocab.txt': vocabTxt(d), 'tokenizer_config.json': { do_lower_case: false, model_max_length: 128, tokenizer_class: 'BertTokenizer' } });
  const ct = readTokenizer(c);
  sameIds(ct as WordPiece, cased, 'cased vocab.txt');
  assert.is(ct.modelMaxLength, 128);
  assert.is(bare && readTokenizer(bare).modelMaxLength, undefined);
  // an explicit lowercase option wins over the config (the old loader's flag)
  sameIds(loadTokenizerFile(join(c, 'vocab.txt'), { lowercase: true }) as WordPiece, uncased, 'lowercase option');
});

test('special_tokens_map.json and tokenizer_config.json name the special tokens of a vocab.txt', () => {
  const toks = ['<pad>', '<oov>', '<cls>', '<sep>', '<msk>', 'hello', 'world', '##s', '!'];
  const p = folder('named', {
    'vocab.txt': toks.join('\n') + '\n',
    'special_tokens_map.json': { unk_token: '<oov>', cls_token: '<cls>', sep_token: '<sep>', pad_token: '<pad>', mask_token: { content: '<msk>', lstrip: false } },
  });
  const t = readTokenizer(p) as WordPiece;
  assert.equal(t.encode('Hello zzz worlds <msk>!'), [5, 1, 6, 7, 4, 8]);
  assert.equal(t.encodeFull('hello').ids, [2, 5, 3]);
  assert.equal(Object.keys(t.specialTokens).sort(), ['<cls>', '<msk>', '<oov>', '<pad>', '<sep>']);
  // tokenizer_config.json's names win over the map's
  const q = folder('named2', { 'vocab.txt': toks.join('\n') + '\n', 'special_tokens_map.json': { unk_token: '<oov>' }, 'tokenizer_config.json': { unk_token: '<pad>' } });
  assert.equal(readTokenizer(q).encode('zzz'), [0]);
});

test('tokenizer.json folders: tokenizer_config.json gives model_max_length and, for BERT, the normalizer settings transformers writes over the file', () => {
  const d = bertDoc();
  const p = folder('tj', { 'tokenizer.json': d, 'tokenizer_config.json': { model_max_length: 64, do_lower_case: false, tokenizer_class: 'BertTokenizerFast' } });
  const t = readTokenizer(p);
  assert.is(t.modelMaxLength, 64);
  const cased = HfTokenizer.fromJson(JSON.stringify(bertDoc((x) => (x.normalizer.lowercase = false))), 'cased');
  sameIds(t as WordPiece, cased, 'BertTokenizerFast with do_lower_case false');
  // another class: the file's normalizer stays
  const q = folder('tj2', { 'tokenizer.json': d, 'tokenizer_config.json': { do_lower_case: false, tokenizer_class: 'PreTrainedTokenizerFast', model_max_length: 1e30 } });
  const u = readTokenizer(q);
  assert.is(u.modelMaxLength, undefined, 'transformers writes a huge number for "no limit"');
  sameIds(u as WordPiece, HfTokenizer.fromJson(JSON.stringify(d), 'u'), 'file normalizer kept');
  // a stored truncation goes to the general reader and applies in encodeFull
  const r = folder('tj3', { 'tokenizer.json': bertDoc((x) => (x.truncation = { direction: 'Right', max_length: 8, strategy: 'LongestFirst', stride: 0 })) });
  const rt = readTokenizer(r) as HfTokenizer;
  assert.ok(rt instanceof HfTokenizer);
  assert.is(rt.encodeFull(TEXTS[0]).ids.length, 8);
  assert.is(rt.encodeFull(TEXTS[0], null, { truncation: false }).ids.length, rt.encode(TEXTS[0]).length + 2, 'overridden per call');
});

test('folders from a file getter (the browser, the hub cache), Marian folders, and one-line refusals', () => {
  const d = bertDoc();
  const files: Record<string, Uint8Array> = { 'vocab.txt': new TextEncoder().encode(vocabTxt(d)) };
  const t = tokenizerFromFolderFiles((n) => files[n] ?? null, 'hub/bert');
  assert.equal(t.encode('Hello World'), HfTokenizer.fromJson(JSON.stringify(d)).encode('Hello World'));
  throwsMsg(() => tokenizerFromFolderFiles(() => null, 'empty'), /^empty: no tokenizer\.json, vocab\.txt or Marian source\.spm \+ vocab\.json$/);
  throwsMsg(() => tokenizerFromFolderFiles((n) => (n === 'spiece.model' ? new Uint8Array(1) : null), 't5'), /t5: no tokenizer\.json.*it has spiece\.model, which wgpt reads only beside a tokenizer\.json/);
  const slow = folder('slow', { 'vocab.txt': vocabTxt(d), 'added_tokens.json': { '<new>': 99999 } });
  throwsMsg(() => readTokenizer(slow), /added_tokens\.json: a slow tokenizer's added tokens are not read by wgpt/);
  const badCfg = folder('badcfg', { 'vocab.txt': vocabTxt(d), 'tokenizer_config.json': '{"do_lower_case": tru' });
  throwsMsg(() => readTokenizer(badCfg), /tokenizer_config\.json: not valid JSON/);
  throwsMsg(() => readTokenizer(join(dir, 'nothing-here')), /unknown tokenizer '.*nothing-here': not one of gpt2, wgpt-gpt2, simple-v1, simple-v2 and no such file or folder/);
  throwsMsg(() => readTokenizer('simple-v1'), /vocabFrom/);
  // Marian: the spm fixture + a vocab.json
  const spm = readFileSync(join(FIX, 'spm-unigram.model'));
  const m = mkdtempSync(join(dir, 'marian-'));
  writeFileSync(join(m, 'source.spm'), spm);
  writeFileSync(join(m, 'vocab.json'), JSON.stringify({ '</s>': 0, '<unk>': 1, '<pad>': 2, '▁the': 3 }));
  assert.match(readTokenizer(m).name, /^marian:/);
  // a tokenizer.json beside them wins, unless tokenizer_config.json names MarianTokenizer (it has no fast version)
  writeFileSync(join(m, 'tokenizer.json'), JSON.stringify(bertDoc()));
  assert.ok(readTokenizer(m) instanceof WordPiece);
  writeFileSync(join(m, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'MarianTokenizer', model_max_length: 512 }));
  assert.match(readTokenizer(m).name, /^marian:/);
});

// the CLI in-process (test/cli-inproc.ts)
const wgpt = (...args: string[]) => runCli(args);

test('the CLI reads --tokenizer the same way: a RoBERTa tokenizer.json with --add-special-tokens, a vocab.txt folder, a refusal', async () => {
  const text = 'Hello <mask> world, 데비안!';
  const roberta = join(FIX, 'roberta.json');
  const d = bertDoc();
  const bare = folder('cli-bare', { 'vocab.txt': vocabTxt(d) });
  const broken = folder('cli-broken', { 'tokenizer.json': { ...d, normalizer: { type: 'Unicode' }, decoder: { type: 'Foo' } } });
  const [a, b, c, e] = await Promise.all([
    wgpt('tokenize', '--tokenizer', roberta, '--text', text, '--ids', '--add-special-tokens'),
    wgpt('tokenize', '--tokenizer', bare, '--text', text, '--ids', '--add-special-tokens'),
    wgpt('tokenize', '--tokenizer', roberta, '--text', text, '--tokens'),
    wgpt('tokenize', '--tokenizer', broken, '--text', text, '--ids'),
  ]);
  const rt = readTokenizer(roberta) as HfTokenizer;
  assert.is(a.code, 0, a.err);
  assert.is(a.out, JSON.stringify(rt.encodeFull(text).ids) + '\n');
  // the file stores left padding to a multiple of 8 (<pad> = 1), then <s> = 0 … </s> = 2, as Hugging Face's encode gives
  const ids = JSON.parse(a.out) as number[];
  assert.is(ids.length % 8, 0);
  assert.is(ids.filter((x) => x !== 1)[0], 0);
  assert.is(ids[ids.length - 1], 2);
  assert.is(b.out, JSON.stringify(HfTokenizer.fromJson(JSON.stringify(d)).encodeFull(text).ids) + '\n', b.err);
  // --tokens prints vocabulary strings ("<mask>", not the matched " <mask>" an lstrip token's Encoding.tokens holds)
  assert.equal(JSON.parse(c.out), rt.encode(text).map((i) => rt.idToToken(i)));
  assert.is(e.code, 1);
  assert.match(e.err, /tokenizer\.json: not read by wgpt: normalizer type "Unicode" \(.*\); decoder type "Foo" \(.*\)/);
  assert.is(e.err.trim().split('\n').length, 1, 'one line');
});

test('the browser bundle of src/tokenizer (index.ts and node.ts) has no node: import and no process.getBuiltinModule', async () => {
  const { buildBundle } = await import('../src/gpu/esbuild.ts');
  const entry = join(dir, 'entry.ts');
  // index.ts and the Node-side helpers alike: every file access goes through src/gpu/files.ts, swapped in the bundle
  const src = (f: string) => JSON.stringify(new URL(`../src/tokenizer/${f}`, import.meta.url).pathname);
  writeFileSync(entry, `export * from ${src('index.ts')};\nexport { tokenizerFromSpec, loadTokenizerFile, saveBpeFile } from ${src('node.ts')};\n`);
  const js = await buildBundle({ entry });
  assert.not.match(js, /getBuiltinModule/);
  assert.match(js, /cannot read .* in the browser: pass the file's contents/);
  rmSync(dir, { recursive: true, force: true });
});

test.run();
