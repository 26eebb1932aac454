// tokenizer.json beyond WordPiece: a byte-level BPE Hugging Face trained (ByteLevel pre-tokenizer) read by wgpt with
// Hugging Face's ids; wgpt's own byte-level BPE written as tokenizer.json and loaded by Hugging Face with wgpt's ids;
// malformed, truncated and unsupported files refused with one line; checkpoint folders that carry a tokenizer.json.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, mkdtempSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HfByteLevelBpe, BYTELEVEL_SPLIT_DIFFERS, WordPiece, parseHfTokenizerJson, byteBpeToHfJson, hfByteLevelBpeToJson, trainBpe, trainWordPiece, wordPieceToHfJson, parseTokenizerFile, gpt2Bpe } from '../src/tokenizer/index.ts';
import { loadTokenizerFile } from '../src/tokenizer/node.ts';
import { StreamingEncoder } from '../src/data/stream.ts';
import { loadTokenizerSpec, checkpointTokenizerSpec, tokenizerFiles } from '../src/hub/tokenizer-spec.ts';
import { throwsMsg } from './helpers.ts';
import { wordPieceRandomTexts } from './tokenizer-random.ts';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const hf: any = require('tokenizers');
const VERDICT_PATH = new URL('../src/data/the-verdict.txt', import.meta.url).pathname;
const VERDICT = readFileSync(VERDICT_PATH, 'utf8');
const KO = readFileSync(new URL('../src/data/debian-faq-ko.txt', import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'wgpt-tj-'));
const texts = [...VERDICT.split('\n'), ...KO.split('\n').slice(0, 300), ...wordPieceRandomTexts(1000, 31)];

async function sameIds(mine: { encode(t: string): number[]; decode(ids: number[]): string }, theirs: { encode(...a: unknown[]): Promise<{ getIds(): number[] }>; decode(i: number[], s: boolean): Promise<string> }, label: string): Promise<void> {
  let n = 0;
  for (const t of texts) {
    const want = (await theirs.encode(t, null, { addSpecialTokens: false })).getIds();
    const got = mine.encode(t);
    assert.equal(got, want, `${label}: ${JSON.stringify(t).slice(0, 100)}`);
    assert.is(mine.decode(got), await theirs.decode(want, true), `${label} decode: ${JSON.stringify(t).slice(0, 80)}`);
    n += got.length;
  }
  console.log(`  ${label}: ${texts.length} texts, ${n} ids and every decode identical to Hugging Face`);
}

test('a GPT-2-style byte-level BPE Hugging Face trained: wgpt reads it and gives Hugging Face\'s ids and text', async () => {
  const t = new hf.Tokenizer(hf.BPE.empty());
  t.setPreTokenizer(hf.byteLevelPreTokenizer(false, true));
  t.train([VERDICT_PATH]);
  const p = join(dir, 'hf-bpe.json');
  t.save(p);
  // the Node binding has no ByteLevel decoder constructor: set it in the file, as a Python-made GPT-2 file has it
  const j = JSON.parse(readFileSync(p, 'utf8'));
  assert.is(j.model.type, 'BPE');
  j.decoder = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };
  j.added_tokens = [{ id: Object.keys(j.model.vocab).length, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }];
  const text = JSON.stringify(j);
  writeFileSync(p, text);
  const theirs = hf.Tokenizer.fromString(text);
  const mine = parseHfTokenizerJson(text, p) as HfByteLevelBpe;
  assert.ok(mine instanceof HfByteLevelBpe);
  assert.is(mine.vocabSize, theirs.getVocabSize(true));
  await sameIds(mine, theirs, 'HF-trained byte-level BPE');
  assert.equal(mine.encode('a<|endoftext|>b'), (await theirs.encode('a<|endoftext|>b', null, { addSpecialTokens: false })).getIds());
  // written back by wgpt, read by Hugging Face: same ids
  const again = hfByteLevelBpeToJson(mine);
  await sameIds(parseHfTokenizerJson(again) as HfByteLevelBpe, hf.Tokenizer.fromString(again), 'HF-trained BPE rewritten by wgpt');
});

test('wgpt\'s byte-level BPE (trained, and GPT-2\'s ranks) written as tokenizer.json: Hugging Face loads it and gives wgpt\'s ids', async () => {
  const { bpe } = trainBpe(VERDICT + KO.slice(0, 20000), { vocabSize: 1200, special: ['<|endoftext|>'] });
  const json = byteBpeToHfJson(bpe);
  const theirs = hf.Tokenizer.fromString(json);
  const back = parseHfTokenizerJson(json);
  await sameIds(back, theirs, 'wgpt-trained BPE written as tokenizer.json, read by both');
  // wgpt's own encoder (JS's GPT-2 regex, as tiktoken) differs from Hugging Face's only where their regexes split differently
  let differ = 0;
  for (const t of texts) {
    const want = (await theirs.encode(t, null, { addSpecialTokens: false })).getIds();
    const got = bpe.encode(t);
    if (got.length === want.length && got.every((x, i) => x === want[i])) continue;
    differ++;
    assert.ok(BYTELEVEL_SPLIT_DIFFERS.test(t), `ByteBpe vs Hugging Face on ${JSON.stringify(t).slice(0, 100)}`);
  }
  const g = gpt2Bpe();
  const gj = byteBpeToHfJson(g);
  const hg = hf.Tokenizer.fromString(gj);
  for (const t of [VERDICT, ...texts.slice(-200)]) {
    if (BYTELEVEL_SPLIT_DIFFERS.test(t)) continue;
    assert.equal((await hg.encode(t, null, { addSpecialTokens: false })).getIds(), g.encode(t), JSON.stringify(t).slice(0, 60));
  }
  console.log(`  wgpt's ByteBpe vs Hugging Face on the same file: ${texts.length - differ}/${texts.length} texts identical; the ${differ} others hold U+FEFF, U+0085 or a Unicode-17 letter/digit`);
  console.log(`  GPT-2's ranks as tokenizer.json (${JSON.parse(gj).model.merges.length} merge entries): Hugging Face ids == wgpt on the-verdict and 200 random strings`);
});

test('malformed, truncated, unsupported tokenizer.json → one-line errors naming the file and the problem', () => {
  const good = wordPieceToHfJson(trainWordPiece('a b c ab abc', { minFrequency: 1 }).tokenizer);
  const j = () => JSON.parse(good);
  const edit = (f: (d: Record<string, any>) => void) => {
    const d = j();
    f(d);
    return JSON.stringify(d);
  };
  const cases: [string, RegExp][] = [
    [good.slice(0, good.length >> 1), /t\.json: not valid JSON/],
    ['', /t\.json: not valid JSON/],
    ['[]', /expected a JSON object/],
    ['{"version":"1.0"}', /malformed: model: expected an object/],
    [edit((d) => (d.model.vocab = { a: 0, b: 0 })), /"a" and "b" share id 0/],
    [edit((d) => (d.model.vocab = 'x')), /model.vocab: expected an object of token → id/],
    [edit((d) => (d.added_tokens[0].id = 7)), /added_tokens: "\[PAD\]" has id 7 but the model's vocabulary gives it 0/],
    [edit((d) => (d.post_processor.cls = ['[CLS]', 0])), /post_processor.cls: "\[CLS\]" is id 2 in the vocabulary, not 0/],
    [edit((d) => (d.model.max_input_chars_per_word = 0)), /model.max_input_chars_per_word: expected an integer ≥ 1, got 0/],
    // everything unsupported is named at once, in one line
    [
      edit((d) => {
        d.model.type = 'Word2Vec';
        d.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Unicode' }] };
        d.pre_tokenizer = { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Words' }] };
        d.decoder = { type: 'Foo' };
        d.truncation = { max_length: 8, stride: 2, strategy: 'LongestFirst', direction: 'Right' };
      }),
      /^t\.json: not read by wgpt: model type "Word2Vec" \(models read: BPE, WordPiece, WordLevel, Unigram\); normalizer\.normalizers\[1\] type "Unicode" \(.*\); pre_tokenizer\.pretokenizers\[1\] type "Words" \(.*\); decoder type "Foo" \(.*\); truncation\.stride 2 \(.*\)$/,
    ],
  ];
  for (const [text, re] of cases) throwsMsg(() => parseHfTokenizerJson(text, 't.json'), re);
  const bpeDoc = JSON.parse(byteBpeToHfJson(trainBpe(VERDICT, { vocabSize: 300 }).bpe));
  const bedit = (f: (d: Record<string, any>) => void) => {
    const d = structuredClone(bpeDoc);
    f(d);
    return JSON.stringify(d);
  };
  const bcases: [string, RegExp][] = [
    [bedit((d) => (d.model.merges[3] = 'Ġ')), /malformed: model.merges\[3\]: "Ġ" is not two tokens separated by one space/],
    [bedit((d) => (d.model.merges[3] = 'Ġ zzz')), /malformed: model.merges\[3\]: "zzz" is not in the vocabulary/],
    [bedit((d) => (d.model.dropout = 0.1)), /not read by wgpt: model.dropout 0.1/],
    [bedit((d) => (d.padding = { strategy: 'Longest' })), /malformed: padding.strategy: expected "BatchLongest" or \{"Fixed": n\}/],
  ];
  for (const [text, re] of bcases) throwsMsg(() => parseHfTokenizerJson(text, 'b.json'), re);
  // files by name
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, Uint8Array.of(0x7b, 0x22, 0xff, 0x22, 0x7d));
  throwsMsg(() => loadTokenizerFile(bad), /bad\.json: invalid UTF-8 at byte offset 2/);
  throwsMsg(() => parseTokenizerFile('x', 'spm.model'), /SentencePiece \.model files are not read/);
});

test('a checkpoint folder that carries a tokenizer.json uses it (WordPiece or byte-level BPE), with or without wgpt_run.json', () => {
  const wp = trainWordPiece(KO, { vocabSize: 2000 }).tokenizer;
  const ck = join(dir, 'ck');
  mkdirSync(ck);
  for (const [f, text] of Object.entries(tokenizerFiles(wp, 'x'))) writeFileSync(join(ck, f), text);
  assert.is(checkpointTokenizerSpec(ck), join(ck, 'tokenizer.json'));
  const back = loadTokenizerSpec(checkpointTokenizerSpec(ck), { checkpointDir: ck });
  assert.ok(back instanceof WordPiece);
  assert.equal(back.encode('나는 학교에 간다.'), wp.encode('나는 학교에 간다.'));
  const bpe = parseHfTokenizerJson(byteBpeToHfJson(trainBpe(VERDICT, { vocabSize: 400 }).bpe)) as HfByteLevelBpe;
  const ck2 = join(dir, 'ck2');
  mkdirSync(ck2);
  for (const [f, text] of Object.entries(tokenizerFiles(bpe, 'x'))) writeFileSync(join(ck2, f), text);
  writeFileSync(join(ck2, 'wgpt_run.json'), JSON.stringify({ tokenizer: 'some/trained.json' }));
  const b2 = loadTokenizerSpec(checkpointTokenizerSpec(ck2), { checkpointDir: ck2 });
  assert.ok(b2 instanceof HfByteLevelBpe);
  assert.equal(b2.encode(VERDICT.slice(0, 500)), bpe.encode(VERDICT.slice(0, 500)));
  assert.is(checkpointTokenizerSpec(dir), 'gpt2');
});

test('streaming a file in pieces gives the ids of encoding it whole (WordPiece, Hugging Face byte-level BPE), U+FEFF and U+0085 at the cuts', () => {
  const wp = trainWordPiece(KO, { vocabSize: 3000 }).tokenizer;
  const bpe = parseHfTokenizerJson(byteBpeToHfJson(trainBpe(VERDICT, { vocabSize: 400 }).bpe));
  const odd = ['a\uFEFF b', 'x!\uFEFF y', 'p\u0085  q', '한국\u0085 \u0085  어', '[MASK] 데비안 [CLS]'];
  const text = [...texts.slice(-300), ...odd, KO.slice(0, 3000)].join(' \uFEFF ');
  for (const tok of [wp, bpe]) {
    const whole = tok.encode(text);
    for (const step of [7, 64, 501]) {
      const enc = new StreamingEncoder(tok, {}, 16);
      const ids: number[] = [];
      for (let i = 0; i < text.length; i += step) {
        let j = Math.min(text.length, i + step);
        if (j < text.length && text.charCodeAt(j) >= 0xdc00 && text.charCodeAt(j) <= 0xdfff) j++;
        ids.push(...enc.push(text.slice(i, j)));
        i = j - step;
      }
      ids.push(...enc.end());
      assert.equal(ids, whole, `${tok.name} step ${step}`);
    }
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
