// `wgpt walk` (src/walk/stages.ts, src/cli/walk.ts): the printed values equal the course's printed ones (the
// seeded nn.Embedding(6, 3) and the lookup of id 3 to 4 decimals, the V1/V2 and GPT-2 ids, the windows and the
// first batch), every stage's shapes, the GPU-computed tensors equal python3-torch's (test/fixtures/walk.json
// from gen_walk.py: token/position embeddings, attention of block 0 head 0, top-5 next tokens, greedy tokens,
// nn.RNN/nn.LSTM states), the second half's stages (WordPiece, Luong weights, encoder vs decoder maps, BERT
// fill-mask against the model's full logits, Marian's greedy and beam ids against uncached decoding),
// and --plots writes SVGs that parse and PNGs that decode.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getGpu } from '../src/gpu/device.ts';
import { walk, STAGE_NAMES, stageText, type Stage } from '../src/walk/stages.ts';
import { BUNDLED_CORPUS } from '../src/tokenizer/node.ts';
import { fixture, report } from './helpers.ts';
import { initModel } from '../src/model/model.ts';
import { bert, type Bert } from '../src/model/bert.ts';
import { BERT_PRESETS } from '../src/model/bert-config.ts';
import { marian, type Marian } from '../src/model/marian.ts';
import { MARIAN_PRESETS } from '../src/model/marian-config.ts';
import { translateIds } from '../src/model/seq2seq-translate.ts';
import { trainWordPiece } from '../src/tokenizer/wordpiece-train.ts';
import { IdBatch, noGrad } from '../src/autograd/tensor.ts';
import { decodePng, pixelStats, checkXml } from './png-svg.ts';
import { runCli } from './cli-inproc.ts';
import { svgToPng } from '../src/plot/render.ts';

const verdict = readFileSync(BUNDLED_CORPUS, 'utf8');
const ref = fixture<Record<string, number[]>>('walk.json');
let stages: Stage[] = [];
const S = (name: string) => stages.find((s) => s.name === name)!;
const block = (stage: string, label: string) => {
  const b = S(stage).blocks.find((x) => x.label.startsWith(label));
  if (!b) throw new Error(`stage ${stage} has no block '${label}'`);
  return b.lines;
};
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.is(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

test('the walk runs every stage in order', async () => {
  const gpu = await getGpu();
  stages = await walk(gpu, { verdict, trainSteps: 3 });
  assert.equal(stages.map((s) => s.name), STAGE_NAMES);
  for (const [i, s] of stages.entries()) {
    const txt = stageText(s, i);
    assert.ok(txt.startsWith(`── ${i + 1}/${STAGE_NAMES.length} ${s.name}: `), txt.split('\n')[0]);
    assert.ok(s.sentence.length > 20 && s.blocks.length > 0, s.name);
  }
});

test('text, split, vocabulary: the course numbers (20479 characters, 4690 tokens, 1130 / 1132 ids)', () => {
  assert.equal(block('text', 'Total number of character'), ['20479']);
  assert.equal(block('split', 're.split'), [`['Hello', ',', 'world', '.', 'Is', 'this', '--', 'a', 'test', '?']`]);
  assert.equal(block('split', 'len(preprocessed)'), ['4690']);
  assert.equal(S('split').arrays.preprocessed_30.data.slice(0, 5), ['I', 'HAD', 'always', 'thought', 'Jack']);
  assert.equal(block('vocabulary', 'vocab_size'), ['1130']);
  assert.equal(block('vocabulary', 'len(vocab) with'), ['1132']);
  assert.equal(block('vocabulary', 'last items').slice(-2), [`('<|endoftext|>', 1130)`, `('<|unk|>', 1131)`]);
});

test('ids: simple-v1, simple-v2 and GPT-2 as the course prints them', () => {
  assert.equal(S('simple-v1').arrays.ids.data, [1, 56, 2, 850, 988, 602, 533, 746, 5, 1126, 596, 5, 1, 67, 7, 38, 851, 1108, 754, 793, 7]);
  assert.equal(block('simple-v1', 'tokenizer.decode'), [`'" It\\' s the last he painted, you know," Mrs. Gisburn said with pardonable pride.'`]);
  assert.equal(S('simple-v2').arrays.ids.data, [1131, 5, 355, 1126, 628, 975, 10, 1130, 55, 988, 956, 984, 722, 988, 1131, 7]);
  assert.equal(block('simple-v2', 'tokenizer.decode'), [`'<|unk|>, do you like tea? <|endoftext|> In the sunlit terraces of the <|unk|>.'`]);
  assert.equal(S('gpt2').arrays.ids.data, [15496, 11, 466, 345, 588, 8887, 30, 220, 50256, 554, 262, 4252, 18250, 8812, 2114, 1659, 617, 34680, 27271, 13]);
  assert.equal(block('gpt2', 'len(tokenizer.encode(raw_text))'), ['5145']);
});

test('sliding windows and the first batch as the course prints them', () => {
  const w = S('windows').arrays;
  assert.equal(w.x.data, [290, 4920, 2241, 287]);
  assert.equal(w.y.data, [4920, 2241, 287, 257]);
  assert.equal(block('windows', 'context ----> desired')[4], ' and ---->  established');
  assert.equal(w.first_batch_x.data, [40, 367, 2885, 1464]);
  assert.equal(w.first_batch_y.data, [367, 2885, 1464, 1807]);
  assert.equal(w.second_batch_x.data, [367, 2885, 1464, 1807]);
  assert.equal(w.second_batch_y.data, [2885, 1464, 1807, 3619]);
  const b = S('batch').arrays;
  assert.equal(b.inputs.shape, [8, 4]);
  assert.equal(b.inputs.data.slice(0, 8), [40, 367, 2885, 1464, 1807, 3619, 402, 271]);
  assert.equal(b.inputs.data.slice(28), [284, 3285, 326, 11]);
  assert.equal(b.targets.data.slice(0, 4), [367, 2885, 1464, 1807]);
  assert.equal(block('batch', 'Inputs:')[0], 'tensor([[   40,   367,  2885,  1464],');
});

test('embeddings: shapes (8, 4, 256), (4, 256) and values equal torch.manual_seed(123) nn.Embedding', () => {
  assert.equal(block('token-embeddings', 'token_embeddings.shape'), ['torch.Size([8, 4, 256])']);
  assert.equal(block('positions', 'pos_embedding_layer'), ['torch.Size([4, 256])']);
  assert.equal(block('positions', 'input_embeddings = token_embeddings + pos_embeddings'), ['torch.Size([8, 4, 256])']);
  const te = S('token-embeddings').arrays.token_embeddings, pe = S('positions').arrays.pos_embeddings, ie = S('positions').arrays.input_embeddings;
  assert.equal(te.shape, [8, 4, 256]);
  assert.equal(pe.shape, [4, 256]);
  assert.equal(ie.shape, [8, 4, 256]);
  assert.equal(S('positions').arrays.sinusoidal.shape, [4, 256]);
  const first8 = (a: (number | string)[]) => Array.from({ length: 32 }, (_, i) => a[Math.floor(i / 8) * 256 + (i % 8)] as number);
  // arrays hold the printed 4-decimal values: compare to torch within half a unit of the 4th decimal
  for (const [name, got, want] of [['token_embeddings', first8(te.data), ref.token_embeddings0_8], ['pos_embeddings', first8(pe.data), ref.pos_embeddings_8], ['input_embeddings', first8(ie.data), ref.input_embeddings0_8]] as const) {
    const d = maxDiff(got, want);
    report(`walk ${name} (4 dp) vs torch`, d);
    assert.ok(d <= 5.01e-5, `${name}: max |diff| ${d}`);
  }
  assert.equal(S('positions').figures.map((f) => f.name), ['embeddings', 'positional-encoding']);
});

test('nn.Embedding(6, 3) seed 123, the lookup of id 3, and one-hot × W = gather', () => {
  assert.equal(block('embedding-6x3', 'torch.manual_seed(123)'), [
    'tensor([[ 0.3374, -0.1778, -0.1690],',
    '        [ 0.9178,  1.5810,  1.3010],',
    '        [ 1.2753, -0.2010, -0.1606],',
    '        [-0.4015,  0.9666, -1.1481],',
    '        [-1.1589,  0.3255, -0.6315],',
    '        [-2.8400, -0.7849, -1.4096]])',
  ]);
  assert.equal(block('embedding-6x3', 'embedding_layer(torch.tensor([3]))'), ['tensor([[-0.4015,  0.9666, -1.1481]])']);
  assert.equal(S('embedding-6x3').arrays.lookup_2351.data, [1.2753, -0.201, -0.1606, -0.4015, 0.9666, -1.1481, -2.84, -0.7849, -1.4096, 0.9178, 1.581, 1.301]);
  const oh = S('one-hot').arrays;
  assert.equal(oh.onehot.data, [0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0]);
  assert.equal(oh.product.data, S('embedding-6x3').arrays.lookup_2351.data);
  assert.ok((oh.max_abs_diff.data[0] as number) <= 1e-6, `one-hot product vs gather: ${oh.max_abs_diff.data[0]}`);
});

test('GPT block (prompt "Hello, I am"): attention weights, top-5 next tokens and greedy tokens equal the course GPTModel in torch', () => {
  const g = S('gpt').arrays;
  assert.equal(g.encoded.data, [15496, 11, 314, 716]);
  assert.equal(block('gpt', 'logits.shape'), ['torch.Size([1, 4, 50257])']);
  assert.equal(g.attention_head0.shape, [4, 4]);
  const da = maxDiff(g.attention_head0.data as number[], ref.attention_head0);
  report('walk attention head0 (4 dp) vs torch', da);
  assert.ok(da <= 5.01e-5, `attention: ${da}`);
  assert.equal(g.top5_ids.data, ref.top5_ids);
  const dp = maxDiff(g.top5_probs.data as number[], ref.top5_probs);
  report('walk top-5 probabilities vs torch', dp);
  assert.ok(dp <= 1e-7, `top-5 probabilities: ${dp}`);
  assert.equal(g.generated.data, ref.generated);
  assert.equal(S('gpt').figures.map((f) => f.name), ['attention']);
});

test('training stage: a loss per step, starting near ln(V)', () => {
  const l = S('train').arrays.losses.data as number[];
  assert.is(l.length, 3);
  assert.ok(Math.abs(l[0] - Math.log(1132)) < 0.3, `first loss ${l[0]}`);
  assert.ok(l.every(Number.isFinite));
});

test('second half: WordPiece ids, RNN/LSTM states equal torch, Luong weights per step, encoder vs decoder maps', () => {
  const wp = S('wordpiece').arrays;
  assert.equal(block('wordpiece', 'BertWordPieceTokenizer trained on the-verdict: vocab_size'), ['1000']);
  assert.equal(block('wordpiece', 'first ids: special tokens'), [`['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']`]);
  assert.equal(block('wordpiece', 'decode(ids)'), [`'Hello, do you like tea? In the sunlit terraces of the palace.'`]);
  const withSpecials = wp.ids_cls_sep.data as number[];
  assert.equal([withSpecials[0], withSpecials[withSpecials.length - 1]], [2, 3]);
  assert.equal(withSpecials.slice(1, -1), wp.ids.data);
  assert.ok((wp.tokens.data as string[]).some((t) => t.startsWith('##')), 'a word split into ## pieces');
  for (const kind of ['rnn', 'lstm'] as const) {
    const a = S(kind).arrays;
    assert.equal(a.hidden_states.shape, [5, 4]);
    assert.equal(a.h_n.shape, [1, 4]);
    const dh = maxDiff(a.hidden_states.data as number[], ref[`${kind}_hidden_states`]);
    const dn = maxDiff(a.h_n.data as number[], ref[`${kind}_h_n`]);
    report(`walk ${kind} hidden_states / h_n (4 dp) vs torch`, Math.max(dh, dn));
    assert.ok(dh <= 5.01e-5 && dn <= 5.01e-5, `${kind}: ${dh} ${dn}`);
    assert.equal(block(kind, 'h_n equals the last hidden state'), ['true']);
  }
  const dc = maxDiff(S('lstm').arrays.c_n.data as number[], ref.lstm_c_n);
  report('walk lstm c_n (4 dp) vs torch', dc);
  assert.ok(dc <= 5.01e-5, `c_n ${dc}`);
  const lu = S('luong').arrays.attention;
  const [steps, src] = lu.shape;
  assert.ok(steps >= 1 && steps <= 5 && src === (S('luong').arrays.source_ids.data.length));
  for (let k = 0; k < steps; k++) {
    const row = (lu.data as number[]).slice(k * src, (k + 1) * src);
    assert.ok(Math.abs(row.reduce((x, y) => x + y, 0) - 1) < 1e-3 && row.every((v) => v > 0), `step ${k}: ${row}`);
  }
  const ed = S('encoder-decoder').arrays;
  const T = ed.ids.data.length;
  assert.equal(ed.encoder_head0.shape, [T, T]);
  for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) {
    const e = ed.encoder_head0.data[i * T + j] as number, d = ed.decoder_head0.data[i * T + j] as number;
    assert.ok(e > 0, `encoder (${i}, ${j}) = ${e}: bidirectional attention sees every token`);
    if (j > i) assert.is(d, 0, `decoder (${i}, ${j}) must be masked`);
  }
  assert.equal(S('luong').figures.map((f) => f.name), ['luong-attention']);
  assert.equal(S('encoder-decoder').figures.map((f) => f.name), ['encoder-attention', 'decoder-attention']);
});

test('fill-mask: top-5 = the softmax of the same seeded BERT\'s full logits at [MASK]; translate: greedy and 4-beam ids = uncached decoding, cross-attention rows sum to 1', async () => {
  const gpu = await getGpu();
  const wp = trainWordPiece(verdict, { vocabSize: 1000 }).tokenizer;
  const V = wp.vocabSize;
  // fill-mask: the masked sentence's logits (1, T, V) from a full forward, softmax at the mask on the host
  const fm = S('fill-mask').arrays;
  const ids = fm.ids.data as number[];
  const at = fm.mask_position.data[0] as number;
  assert.is(ids[at], wp.tokenToId('[MASK]'));
  assert.is(block('fill-mask', 'the hidden word')[0], "'like'");
  const b = initModel(bert, gpu, { ...BERT_PRESETS.tiny, vocab_size: V }, 123, "torch");
  const logits = await gpu.scope(() => noGrad(async () => b.forward({ ids: IdBatch.from(gpu, ids, [1, ids.length], V) }).toArray()));
  b.dispose();
  const row = Array.from(logits.subarray(at * V, (at + 1) * V));
  const mx = Math.max(...row);
  const z = row.reduce((a, v) => a + Math.exp(v - mx), 0);
  const order = row.map((_, i) => i).sort((x, y) => row[y] - row[x]).slice(0, 5);
  assert.equal(fm.top5_ids.data, order);
  const probs = order.map((i) => Math.exp(row[i] - mx) / z);
  report('walk fill-mask top-5 probabilities', maxDiff(fm.top5_probs.data as number[], probs));
  assert.ok(maxDiff(fm.top5_probs.data as number[], probs) < 2e-6);
  // translate: the stage's config rebuilt; the KV-cache path (the stage) equals recomputing every prefix
  const tr = S('translate').arrays;
  const src = tr.source_ids.data as number[];
  const eos = wp.tokenToId('[SEP]')!, pad = wp.tokenToId('[PAD]')!;
  assert.is(src[src.length - 1], eos);
  const m = initModel(marian, gpu, { ...MARIAN_PRESETS.tiny, vocab_size: V, decoder_vocab_size: V, eos_token_id: eos, pad_token_id: pad, decoder_start_token_id: pad, max_length: 9 }, 123, 'torch') as unknown as Marian;
  try {
    const g = await translateIds(m, [src], { maxLength: 9, useCache: false });
    assert.equal(tr.greedy_ids.data, g.sequences[0]);
    const bm = await translateIds(m, [src], { maxLength: 9, numBeams: 4, useCache: false });
    assert.equal(tr.beam4_ids.data, bm.sequences[0]);
  } finally {
    m.dispose();
  }
  const [rows, cols] = tr.cross_attention.shape;
  assert.is(cols, src.length);
  for (let r = 0; r < rows; r++) {
    const sum = (tr.cross_attention.data as number[]).slice(r * cols, (r + 1) * cols).reduce((a, v) => a + v, 0);
    assert.ok(Math.abs(sum - 1) < 1e-3, `cross-attention row ${r} sums to ${sum}`);
  }
  assert.equal(S('translate').figures.map((f) => f.name), ['marian-cross-attention']);
});

test('bad input: unknown stage, a stage not there yet, empty text', async () => {
  const gpu = await getGpu();
  await walk(gpu, { verdict }, ['nope']).then(() => assert.unreachable(), (e) => assert.match(e.message, /unknown stage 'nope'/));
  await walk(gpu, { verdict, text: '  ' }).then(() => assert.unreachable(), (e) => assert.match(e.message, /--text is empty/));
});

test('wgpt walk --stage … --text … --plots DIR: printed stages, your text, valid SVG and PNG files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wgpt-walk-'));
  try {
    // the CLI in-process (test/cli-inproc.ts): the walk's device is the one the stages above used
    const r = await runCli(['walk', '--stage', 'simple-v2,positions', '--text', 'Hello, do you like tea? More text.', '--plots', dir]);
    assert.is(r.code, 0, r.err);
    const out = r.out;
    assert.match(out, new RegExp(`── 5/${STAGE_NAMES.length} simple-v2: `));
    assert.match(out, /tokenizer\.encode\(text\) \[1131, 5, 355, 1126, 628, 975, 10, 1131, 1131, 7\]/);
    const files = readdirSync(dir).sort();
    assert.equal(files, ['embeddings.png', 'embeddings.svg', 'positional-encoding.png', 'positional-encoding.svg']);
    // the other stages' figures (attention map, loss curve) come from the in-process walk above, drawn as --plots does
    const more = ['gpt', 'train', 'luong', 'encoder-decoder'].flatMap((n) => S(n).figures).map((f) => [f.name + '.svg', Buffer.from(f.svg)] as const);
    assert.equal(more.map(([n]) => n), ['attention.svg', 'loss.svg', 'luong-attention.svg', 'encoder-attention.svg', 'decoder-attention.svg']);
    for (const [n, svg] of [...more]) more.push([n.replace('.svg', '.png'), Buffer.from((await svgToPng(svg.toString('utf8'), 2)).png)] as const);
    const all = [...files.map((f) => [f, readFileSync(join(dir, f))] as const), ...more];
    for (const [f, bytes] of all) {
      if (f.endsWith('.svg')) assert.is(checkXml(bytes.toString('utf8')).root, 'svg');
      else {
        const png = decodePng(new Uint8Array(bytes));
        const st = pixelStats(png);
        assert.ok(png.width > 300 && png.height > 150, `${f}: ${png.width}×${png.height}`);
        const [minColours, minInk] = f.startsWith('loss') ? [4, 0.02] : [20, 0.1]; // a line chart vs heatmaps
        assert.ok(st.colours >= minColours && st.inked > minInk, `${f}: ${st.colours} colours, ${st.inked}`);
      }
    }
    const j = JSON.parse((await runCli(['walk', '--stage', 'embedding-6x3', '--json'])).out);
    assert.equal(j.stages[0].arrays.lookup_3, { shape: [1, 3], data: [-0.4015, 0.9666, -1.1481] });
    const bad = await runCli(['walk', '--stage', 'rnn,nope']);
    assert.is(bad.code, 2);
    assert.match(bad.err, /unknown stage 'nope' \(stages: text, split/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The course's GPT_CONFIG_124M, seeded like the course (torch.manual_seed(123)), generates the course's printed
// ids. ~3 GB and ~25 s of CPU on 2 cores, so it runs only with WGPT_SLOW_TESTS=1 (checked by hand for the README).
if (process.env.WGPT_SLOW_TESTS === '1') {
  test("slow: walk --gpt book-124m prints the course's 'Hello, I am Featureiman Byeswickattribute argue'", async () => {
    const gpu = await getGpu();
    const [s] = await walk(gpu, { verdict, gpt: 'book-124m' }, ['gpt']);
    assert.equal(s.arrays.generated.data, [15496, 11, 314, 716, 27018, 24086, 47843, 30961, 42348, 7267]);
    assert.equal(block2(s, 'generate_text_simple')[1], `'Hello, I am Featureiman Byeswickattribute argue'`);
  });
}
const block2 = (s: Stage, label: string) => s.blocks.find((b) => b.label.startsWith(label))!.lines;

test.run();
