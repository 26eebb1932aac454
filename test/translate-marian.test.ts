// `wgpt translate` and `wgpt logits --decoder-ids` on a Marian folder (test/fixtures/marian_small, copied to a temp dir
// with a source.spm/target.spm from test/fixtures/spm and a 301-entry vocab.json built here): greedy and beam ids equal
// the PyTorch reference (gen_marian.py), cached and uncached; --text equals the library; the folder's tokenizer survives
// fine-tuning; bad input is one line, exit ≠ 0.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync, mkdtempSync, rmSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSafetensors } from '../src/io/safetensors.ts';
import { SentencePieceProcessor } from '../src/tokenizer/sentencepiece.ts';
import { MarianTokenizer } from '../src/tokenizer/marian.ts';
import { getGpu } from '../src/gpu/device.ts';
import { loadCheckpoint } from '../src/hub/folder.ts';
import type { Marian } from '../src/model/marian.ts';
import { translateIds } from '../src/model/seq2seq-translate.ts';
import { checkpointTokenizerSpec, loadTokenizerSpec, tokenizerFiles } from '../src/hub/tokenizer-spec.ts';
import { tokenizerFromSpec } from '../src/tokenizer/node.ts';
import { assertClose, FIXTURES, report } from './helpers.ts';
import { runCli } from './cli-inproc.ts';

const FIX = `${FIXTURES}marian_small`;
const SPM = `${FIXTURES}spm/ko-unigram.model`;
const ref = parseSafetensors(new Uint8Array(readFileSync(`${FIX}/ref.safetensors`))).tensors;
const refJson = JSON.parse(readFileSync(`${FIX}/ref.json`, 'utf8'));
const ints = (k: string) => Array.from(ref.get(k)!.data, (x) => Math.round(x));
const SENTENCE = '나는 학교에 간다.';

// in-process (test/cli-inproc.ts): one device and its compiled pipelines for every case
const run = runCli;

/** The fixture folder plus Marian's tokenizer files: vocab.json = </s> 0, <unk> 1, 298 pieces (the sentence's first), <pad> 300. */
function marianFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wgpt-marian-'));
  for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(FIX, f), join(dir, f));
  copyFileSync(SPM, join(dir, 'source.spm'));
  copyFileSync(SPM, join(dir, 'target.spm'));
  const sp = SentencePieceProcessor.fromBytes(readFileSync(SPM));
  const pieces = [...new Set([...sp.encodePieces(SENTENCE), ...sp.model.pieces.slice(3).map((p) => p.piece)])].slice(0, 298);
  const vocab: Record<string, number> = { '</s>': 0, '<unk>': 1 };
  pieces.forEach((p, i) => (vocab[p] = i + 2));
  vocab['<pad>'] = 300;
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(vocab));
  return dir;
}

const [B, S] = ref.get('src')!.shape;
const mask = ints('src_mask');
const srcRows = Array.from({ length: B }, (_, b) => ints('src').slice(b * S, b * S + mask.slice(b * S, (b + 1) * S).reduce((a, x) => a + x, 0)));
const idsArg = srcRows.map((r) => r.join(',')).join(';');

test('translate --ids: greedy and beam search ids equal the reference (default: config num_beams), cached and --no-cache; --json starts with the start token', async () => {
  const dir = marianFolder();
  try {
    const svg = join(dir, 'attn.svg');
    const g = await run(['translate', '--model', dir, '--ids', idsArg, '--num-beams', '1', '--json', '--show-attention', svg]);
    assert.is(g.code, 0, g.err);
    const gj = JSON.parse(g.out) as { ids: number[][]; text: string[] };
    assert.equal(gj.ids, refJson.generated.greedy, 'greedy (max_length 12 from config.json)');
    for (const row of gj.ids) assert.is(row[0], 300, 'each row begins with decoder_start_token_id');
    assert.is(gj.text.length, B);
    // first source: 4 generated tokens (114 114 114 </s>) × its source tokens
    const s = readFileSync(svg, 'utf8');
    assert.match(s, /^<svg/);
    assert.is((s.match(/<rect class="cell" /g) ?? []).length, 4 * srcRows[0].length, 'one cell per (generated token, source token)');
    assert.match(g.err, /cross-attention of decoder layer 3, mean of 4 heads \(4 × \d+\)/);
    // no --num-beams: config.json's num_beams (4), as Hugging Face's generate() reads it
    for (const [name, flags] of [['beam4', []], ['beam4', ['--num-beams', '4']], ['beam3_lp06_early', ['--num-beams', '3', '--length-penalty', '0.6', '--early-stopping', '--no-cache']]] as const) {
      const r = await run(['translate', '--model', dir, '--ids', idsArg, '--json', ...flags]);
      assert.is(r.code, 0, r.err);
      const j = JSON.parse(r.out) as { ids: number[][]; scores: number[] };
      assert.equal(j.ids, refJson.generated[name], name);
      report(`translate-marian ${name} scores`, assertClose(j.scores, refJson.beams[name].scores, { atol: 1e-4, rtol: 1e-4, name: `${name} scores` }));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('translate --text: MarianTokenizer in, the library\'s ids out, decoded without special tokens', async () => {
  const dir = marianFolder();
  try {
    const tok = new MarianTokenizer({ source: readFileSync(join(dir, 'source.spm')), target: readFileSync(join(dir, 'target.spm')), vocabJson: readFileSync(join(dir, 'vocab.json'), 'utf8') });
    const src = tok.encode(SENTENCE);
    assert.is(src[src.length - 1], 0, 'the source ends with </s>');
    assert.not.ok(src.includes(1), `every piece of the sentence is in vocab.json: ${src}`);
    const gpu = await getGpu();
    const ck = loadCheckpoint(dir);
    const m = ck.arch.create(gpu, ck.config, ck.params) as Marian;
    const want = await translateIds(m, [src], { maxLength: 12, numBeams: 2 });
    m.dispose();
    const svg = join(dir, 'beams.svg');
    const r = await run(['translate', '--model', dir, '--text', SENTENCE, '--num-beams', '2', '--json', '--show-attention', svg]);
    assert.is(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { ids: number[][]; text: string[] };
    assert.equal(j.ids, want.sequences);
    // beam search: the attention follows the returned hypothesis (its generated tokens, </s> included, × the source)
    const gen = j.ids[0].slice(1).indexOf(0) + 1 || j.ids[0].length - 1;
    assert.is((readFileSync(svg, 'utf8').match(/<rect class="cell" /g) ?? []).length, gen * src.length, 'one cell per (generated token, source token)');
    assert.is(j.ids[0][0], 300);
    const body = j.ids[0].slice(1).filter((x) => x !== 0 && x !== 300);
    assert.is(j.text[0], tok.decode(body));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a Marian folder is its checkpoint\'s tokenizer: fine-tuning keeps source.spm/target.spm/vocab.json, translate --text reads them', async () => {
  const dir = marianFolder();
  try {
    assert.is(checkpointTokenizerSpec(dir), 'marian');
    const tok = loadTokenizerSpec('marian', { checkpointDir: dir }) as MarianTokenizer;
    assert.ok(tok instanceof MarianTokenizer);
    const files = tokenizerFiles(tok, 'marian');
    assert.equal(Object.keys(files).sort(), ['source.spm', 'target.spm', 'vocab.json']);
    assert.equal(tokenizerFromSpec(dir).encode(SENTENCE), tok.encode(SENTENCE), '--tokenizer DIR reads the same files');
    writeFileSync(join(dir, 'pairs.tsv'), `${SENTENCE}\t${SENTENCE}\n학교에 간다.\t간다.\n`);
    const out = join(dir, 'ft');
    const t = await run(['train', '--model', dir, '--data', join(dir, 'pairs.tsv'), '--batch', '2', '--val-fraction', '0', '--steps', '1', '--out', out]);
    assert.is(t.code, 0, t.err);
    for (const f of ['source.spm', 'target.spm', 'vocab.json']) assert.equal(readFileSync(join(out, f)), readFileSync(join(dir, f)), f);
    const r = await run(['translate', '--model', out, '--text', SENTENCE, '--json']);
    assert.is(r.code, 0, r.err);
    assert.is((JSON.parse(r.out) as { ids: number[][] }).ids[0][0], 300);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('logits --ids --decoder-ids: teacher-forced logits (B, Td, V) equal the reference', async () => {
  const dir = marianFolder();
  try {
    const out = join(dir, 'l.bin');
    const T = ref.get('decoder_input_ids')!.shape[1];
    const dec = Array.from({ length: B }, (_, b) => ints('decoder_input_ids').slice(b * T, (b + 1) * T).join(',')).join(';');
    const r = await run(['logits', '--model', dir, '--ids', idsArg, '--decoder-ids', dec, '--out', out]);
    assert.is(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^logits \\[${B}, ${T}, 301\\] float32`));
    const b = readFileSync(out);
    report('translate-marian logits file', assertClose(new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4), ref.get('logits')!.data, { atol: 1e-4, rtol: 1e-4, name: 'marian logits --decoder-ids' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input: num-beams 0, a source longer than max_position_embeddings, a corrupt .spm → one line, exit ≠ 0, no file', async () => {
  const dir = marianFolder();
  try {
    const svg = join(dir, 'no.svg');
    const long = Array.from({ length: 65 }, () => 5).join(',');
    const cases: [string[], RegExp, number][] = [
      [['translate', '--model', dir, '--ids', '5,6,0', '--num-beams', '0', '--show-attention', svg], /^wgpt translate: --num-beams must be ≥ 1, got 0$/, 2],
      [['translate', '--model', dir, '--ids', long, '--show-attention', svg], /^wgpt translate: source 1 has 65 tokens, more than the model's max_position_embeddings 64$/, 1],
      [['translate', '--model', dir, '--ids', '5,0', '--max-new-tokens', '65'], /^wgpt translate: --max-new-tokens 65 is more than the decoder's max_position_embeddings 64$/, 1],
      [['logits', '--model', dir, '--ids', long, '--decoder-ids', '300', '--out', join(dir, 'x.bin')], /^wgpt logits: --ids: a row of 65 tokens is longer than the model's longest source \(64 tokens\)$/, 1],
    ];
    cases.push([['translate', '--model', dir, '--text', SENTENCE], /^wgpt translate: .*target\.spm: not a SentencePiece model/, 1]);
    for (const [args, re, code] of cases) {
      if (args.includes('--text')) writeFileSync(join(dir, 'target.spm'), new Uint8Array([0x0a, 0x05, 0x0a, 0x01])); // corrupt: truncated
      const r = await run(args);
      assert.is(r.code, code, `${args.join(' ')}: exit ${r.code}, stderr ${r.err}`);
      const lines = r.err.split('\n').filter((x) => x.trim() !== '' && !x.startsWith('usage: '));
      assert.is(lines.length, 1, `one line (besides a usage line): ${r.err}`);
      assert.match(lines[0], re, `${args.slice(0, 6).join(' ')}: ${r.err}`);
      assert.not.ok(existsSync(svg), 'nothing written');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
