// SentencePiece Unigram reader vs python3-sentencepiece 0.1.97 (fixtures from test/fixtures/gen_spm.py): ids of every
// line of the Korean corpus and of 1,000 seeded random strings, decode(encode(s)), pieces; corrupt files; Marian's
// vocab.json mapping. No GPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { SentencePieceProcessor, parseSentencePieceModel } from '../src/tokenizer/sentencepiece.ts';
import { MarianTokenizer } from '../src/tokenizer/marian.ts';
import { FIXTURES, throwsMsg } from './helpers.ts';

const KO = readFileSync(new URL('../src/data/debian-faq-ko.txt', import.meta.url), 'utf8').split('\n');
const load = (name: string) => readFileSync(`${FIXTURES}spm/${name}.model`);
interface Ref {
  vocab_size: number;
  corpus: { ids: number[][]; decoded_if_different: Record<string, string> };
  random: { texts: string[]; ids: number[][]; decoded_if_different: Record<string, string> };
  pieces_of: Record<string, string[]>;
}
const ref = (name: string): Ref => JSON.parse(readFileSync(`${FIXTURES}spm/${name}.json`, 'utf8'));

for (const name of ['ko-unigram', 'ko-bytes']) {
  test(`${name}: ids and decode identical to sentencepiece on every corpus line and 1,000 random strings`, () => {
    const sp = SentencePieceProcessor.fromBytes(load(name), name);
    const r = ref(name);
    assert.is(sp.vocabSize, r.vocab_size);
    assert.is(r.corpus.ids.length, KO.length, 'fixture made from this corpus');
    let n = 0;
    for (const [set, texts] of [['corpus', KO], ['random', r.random.texts]] as const) {
      for (let i = 0; i < texts.length; i++) {
        const ids = sp.encode(texts[i]);
        assert.equal(ids, r[set].ids[i], `${set} ${i}: ${JSON.stringify(texts[i])}`);
        const want = r[set].decoded_if_different[String(i)] ?? texts[i];
        assert.is(sp.decode(ids), want, `decode ${set} ${i}`);
        n += ids.length;
      }
    }
    for (const [t, p] of Object.entries(r.pieces_of)) assert.equal(sp.encodePieces(t), p, JSON.stringify(t));
    console.log(`  ${name}: ${KO.length + r.random.texts.length} texts, ${n} ids identical to sentencepiece`);
  });
}

test('normalizer: nmt_nfkc charsmap, extra whitespace removed, dummy prefix, ▁ escaping', () => {
  const sp = SentencePieceProcessor.fromBytes(load('ko-unigram'));
  assert.is(sp.model.normalizer.name, 'nmt_nfkc');
  assert.is(sp.normalize('  ﬁ   Ａ① '), '▁fi▁A1');
  assert.is(sp.normalize(''), '');
  assert.is(sp.normalize('   '), '');
  const bytes = SentencePieceProcessor.fromBytes(load('ko-bytes'));
  assert.is(bytes.normalize(' a  b'), '▁▁a▁▁b');
  // byte fallback: an unknown character becomes its UTF-8 bytes
  const ids = bytes.encode('☃');
  assert.equal(ids.map((i) => bytes.model.pieces[i].piece).slice(-3), ['<0xE2>', '<0x98>', '<0x83>']);
  assert.is(bytes.decode(ids), '☃');
});

test('corrupt or unsupported .spm files: one-line errors', () => {
  const good = load('ko-unigram');
  throwsMsg(() => SentencePieceProcessor.fromBytes(new Uint8Array(0), 'x.spm'), /^x\.spm: not a SentencePiece model \(no pieces\)$/);
  throwsMsg(() => SentencePieceProcessor.fromBytes(good.subarray(0, 5000), 'cut.spm'), /^cut\.spm: not a SentencePiece model \(.* at byte \d+\)$/);
  throwsMsg(() => SentencePieceProcessor.fromBytes(new TextEncoder().encode('{"model": {"type": "Unigram"}}'), 'tokenizer.json'), /^tokenizer\.json: not a SentencePiece model/);
  // a BPE-type model (trainer_spec.model_type = 2): rewrite the field in a copy
  const m = parseSentencePieceModel(good);
  throwsMsg(() => new SentencePieceProcessor({ ...m, modelType: 2 }, 'bpe.model'), /^bpe\.model: a SentencePiece BPE model; wgpt reads Unigram SentencePiece models only$/);
  throwsMsg(() => new SentencePieceProcessor({ ...m, pieces: m.pieces.map((p) => ({ ...p, type: p.type === 2 ? 1 : p.type })) }, 'nounk.model'), /no unknown piece/);
  throwsMsg(() => SentencePieceProcessor.fromBytes(good).decode([0, 3000]), /token id 3000 at index 1 is not in the SentencePiece vocabulary \[0, 3000\)/);
});

/** A Marian-style vocab.json over the model's pieces: </s> 0, <unk> 1, the normal pieces, <pad> last. */
function marianVocab(sp: SentencePieceProcessor): Record<string, number> {
  const v: Record<string, number> = { '</s>': 0, '<unk>': 1 };
  let next = 2;
  for (const p of sp.model.pieces) if (p.type === 1 && !p.piece.startsWith('▁▁')) v[p.piece] = next++;
  v['<pad>'] = next;
  return v;
}

test('Marian tokenizer: pieces through vocab.json, </s> appended, unknown pieces → <unk>, language code kept', () => {
  const src = load('ko-unigram');
  const sp = SentencePieceProcessor.fromBytes(src);
  const vocab = marianVocab(sp);
  delete vocab['는']; // a piece that is in the .spm but not in vocab.json maps to <unk>
  const ids = Object.entries(vocab).sort((a, b) => a[1] - b[1]);
  const dense: Record<string, number> = Object.fromEntries(ids.map(([t], i) => [t, i]));
  const tok = new MarianTokenizer({ source: src, vocabJson: JSON.stringify(dense), where: 'ko' });
  const pieces = sp.encodePieces('나는 학교에 간다.');
  const enc = tok.encode('나는 학교에 간다.');
  assert.is(enc.length, pieces.length + 1);
  assert.is(enc[enc.length - 1], tok.eosId);
  assert.is(enc[pieces.indexOf('는')], tok.unkId);
  assert.equal(enc.slice(0, 1), [dense['▁나']]);
  assert.equal(tok.tokenize('>>kor<< 학교'), ['>>kor<<', ...sp.encodePieces(' 학교')]);
  assert.equal(tok.tokenize('학교 </s> 간다'), [...sp.encodePieces('학교'), '</s>', ...sp.encodePieces('간다')]);
  const back = tok.encode('학교에 간다.');
  assert.is(tok.decode(back), '학교에 간다.');
  assert.is(tok.decode(back, { skipSpecialTokens: false }), '학교에 간다.</s>');
  assert.is(tok.decode([tok.padId, ...back]), '학교에 간다.');
  throwsMsg(() => new MarianTokenizer({ source: src, vocabJson: '{"a": 0}', where: 'm' }), /^m\/vocab\.json has no <\/s>$/);
  throwsMsg(() => new MarianTokenizer({ source: src, vocabJson: '{"</s>": 0, "<unk>": 2}', where: 'm' }), /no token has id 1/);
  throwsMsg(() => new MarianTokenizer({ source: src, vocabJson: '{', where: 'm' }), /^m\/vocab\.json is not valid JSON/);
});

test.run();
