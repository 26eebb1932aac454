// The course's path as stages (browser-safe; `wgpt walk` and the page's Walk view both run this): text → regex
// split → vocabulary → ids (simple V1/V2, GPT-2 BPE) → sliding windows → a batch → token / position embeddings
// → nn.Embedding(6, 3) seed 123 → one-hot · W = gather → a GPT block (attention, next-token probabilities,
// greedy tokens) → a short training run → the second half: WordPiece tokens/ids, RNN hidden states and h_n,
// LSTM h_n/c_n, Luong attention per decoding step, encoder (BERT) vs decoder (GPT) attention maps, BERT's fill-mask,
// Marian's translation (greedy with its cross-attention, beam search). Each stage
// returns its printed lines (as the course prints them), every printed array (for --json) and its figures (SVG). Every tensor is computed by the engine's GPU ops
// (src/ops); the host only tokenizes, slices windows, sorts top-k and formats. Seeded weights follow
// torch.manual_seed(123) (src/model/torch-init.ts). Leaves out: trained weights (every model here is untrained,
// seeded: fill-mask and translation show the mechanics, not meaningful words).
import type { Gpu } from '../gpu/device.js';
import { Tensor, IdBatch, noGrad } from '../autograd/tensor.js';
import { embedding, oneHot, positionIds, sinusoidalPositions } from '../ops/embedding.js';
import { add } from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import { softmax } from '../ops/softmax.js';
import { GPT } from '../model/gpt.js';
import { generate } from '../model/generate.js';
import type { GPTConfig } from '../model/config.js';
import { TorchGenerator, initEmbedding, initRecurrent } from '../model/torch-init.js';
import { SimpleTokenizer, simpleSplit, buildSimpleVocab, loadTokenizer, type Tokenizer } from '../tokenizer/index.js';
import { BatchLoader } from '../data/index.js';
import { trainLosses } from '../train/quick.js';
import { trainWordPiece } from '../tokenizer/wordpiece-train.js';
import type { WordPiece } from '../tokenizer/wordpiece.js';
import { rnn as rnnOp, lstm as lstmOp, type RnnWeights } from '../ops/rnn.js';
import { initModel } from '../model/model.js';
import { rnnSeq2seq, type Seq2SeqModel, type Seq2SeqConfig } from '../model/rnn-seq2seq.js';
import { bert, fillMask, type Bert } from '../model/bert.js';
import { marian, type Marian } from '../model/marian.js';
import { MARIAN_PRESETS, type MarianConfig } from '../model/marian-config.js';
import { translateIds, generatedTokens } from '../model/seq2seq-translate.js';
import { BERT_PRESETS } from '../model/bert-config.js';
import { lossCurveSvg } from '../train/plot.js';
import { heatmapsSvg, attentionSvg } from '../plot/figures.js';
import { formatTensor, pyList, pyStr, torchSize } from './format.js';

export interface WalkBlock {
  /** what the line(s) show, e.g. `token_embeddings.shape` */
  label: string;
  lines: string[];
}
export interface WalkFigure {
  /** file stem under --plots (name.svg, name.png) */
  name: string;
  title: string;
  svg: string;
}
export interface WalkArray {
  shape: number[];
  data: (number | string)[];
}
export interface Stage {
  name: string;
  title: string;
  /** one sentence: what happens here */
  sentence: string;
  blocks: WalkBlock[];
  /** every printed array, in full */
  arrays: Record<string, WalkArray>;
  figures: WalkFigure[];
  /** wall-clock seconds the stage took */
  seconds?: number;
}

export interface WalkOptions {
  /** the course's corpus (the-verdict.txt) */
  verdict: string;
  /** your own text: encoded by V1/V2/GPT-2 and its first sentence fed to the GPT instead of the course's samples */
  text?: string;
  /** steps of the training stage (default 24) */
  trainSteps?: number;
  /** the GPT of the gpt stage: 'small' (default, WALK_GPT) or 'book-124m' (the course's GPT_CONFIG_124M, context
   * 1024: prints the course's "Hello, I am Featureiman Byeswickattribute argue"; ~3 GB and ~25 s of CPU) */
  gpt?: 'small' | 'book-124m';
  /** the Korean corpus (debian-faq-ko.txt): when given, the second half's WordPiece is trained on it with the course's
   * settings (vocab_size 30000, limit_alphabet 6000), as the course does, so Korean text gets real tokens; without it,
   * a 1,000-token WordPiece of the-verdict (the page's Walk view) */
  korean?: string;
}

/** The course's sample sentences (ch02, ch04). */
export const COURSE = {
  splitDemo: 'Hello, world. Is this-- a test?',
  v1: '"It\'s the last he painted, you know," Mrs. Gisburn said with pardonable pride.',
  v2: 'Hello, do you like tea? <|endoftext|> In the sunlit terraces of the palace.',
  gpt2: 'Hello, do you like tea? <|endoftext|> In the sunlit terracesof someunknownPlace.',
  prompt: 'Hello, I am',
  /** second half: WordPiece, attention maps */
  wordpiece: 'Hello, do you like tea? In the sunlit terraces of the palace.',
  /** second half: the source sentence of the seq2seq (Luong) and Marian stages */
  source: 'I HAD always thought Jack Gisburn rather a cheap genius',
  /** second half: the word the fill-mask stage hides in the WordPiece sentence */
  masked: 'like',
};

/** The course's WordPiece settings on the Korean corpus (BertWordPieceTokenizer(lowercase=False), vocab_size 30000, limit_alphabet 6000). */
export const WALK_WORDPIECE_KO = { vocabSize: 30000, limitAlphabet: 6000 };

/** The GPT of the GPT-block stage: the course's GPTModel layout, small enough to build in a second or two. */
export const WALK_GPT: GPTConfig = {
  vocab_size: 50257, context_length: 256, d_model: 128, n_heads: 4, n_layers: 2, dropout: 0,
  qkv_bias: false, tie_embeddings: false, positions: 'learned', layernorm_eps: 1e-5,
} as GPTConfig;

/** The course's GPT_CONFIG_124M (ch04): 50257 ids, context 1024, 768 wide, 12 heads, 12 blocks, no qkv bias. */
export const COURSE_GPT_124M: GPTConfig = { ...WALK_GPT, context_length: 1024, d_model: 768, n_heads: 12, n_layers: 12 };

/** Stages of the course's second half not in this walk yet, with what they would show (none left). */
export const NOT_YET: { name: string; what: string }[] = [];

const round4 = (a: ArrayLike<number>) => Array.from(a, (v) => Number(v.toFixed(4)));
const arr = (shape: number[], data: ArrayLike<number> | (number | string)[]): WalkArray => ({ shape, data: Array.from(data as ArrayLike<number | string>) });

/** Lazily built things several stages share. */
class Ctx {
  private cache = new Map<string, unknown>();
  constructor(readonly gpu: Gpu, readonly o: WalkOptions) {}
  private once<T>(k: string, f: () => T): T {
    if (!this.cache.has(k)) this.cache.set(k, f());
    return this.cache.get(k) as T;
  }
  get v1() { return this.once('v1', () => SimpleTokenizer.fromCorpus(this.o.verdict, 1)); }
  get v2() { return this.once('v2', () => SimpleTokenizer.fromCorpus(this.o.verdict, 2)); }
  get gpt2(): Tokenizer { return this.once('gpt2', () => loadTokenizer('gpt2')); }
  get verdictIds() { return this.once('ids', () => Int32Array.from(this.gpt2.encode(this.o.verdict))); }
  /** the (8, 4) batch of the course: max_length 4, stride 4, no shuffle */
  get batch() { return this.once('batch', () => new BatchLoader(this.verdictIds, { maxLength: 4, stride: 4, batchSize: 8, shuffle: false }).batch(0)); }
  /** torch.manual_seed(123); nn.Embedding(50257, 256); nn.Embedding(4, 256) — drawn in that order */
  get embeddingLayers() {
    return this.once('emb', () => {
      const g = new TorchGenerator(123);
      return { tok: initEmbedding(g, 50257, 256)[0].data, pos: initEmbedding(g, 4, 256)[0].data };
    });
  }
  /** the second half's WordPiece: the course's BertWordPieceTokenizer trained on the Korean corpus, else 1,000 tokens of the-verdict */
  get wordpiece(): WordPiece {
    return this.once('wp', () => (this.o.korean !== undefined ? trainWordPiece(this.o.korean, WALK_WORDPIECE_KO) : trainWordPiece(this.o.verdict, { vocabSize: 1000 })).tokenizer);
  }
  get wordpieceCorpus(): string { return this.o.korean !== undefined ? 'the Korean corpus (debian-faq-ko)' : 'the-verdict'; }
  /** your text's first sentence, or the course's */
  firstSentence(def: string): string {
    if (this.o.text === undefined) return def;
    return (/^[^.!?\n]*[.!?]?/.exec(this.o.text.trim())?.[0] ?? '').trim() || def;
  }
  /** token embeddings of the batch (8, 4, 256), host copy of the GPU gather */
  tokenEmbeddings?: Float32Array;
}

type StageFn = (c: Ctx) => Promise<Omit<Stage, 'name'>>;

/** nn.RNN / nn.LSTM on five embedded tokens: torch.manual_seed(123); nn.Embedding(1132, 8); nn.RNN|LSTM(8, 4). */
async function recurrentStage(c: Ctx, kind: 'RNN' | 'LSTM'): Promise<Omit<Stage, 'name'>> {
  const text = c.o.text ?? COURSE.v2;
  const ids = c.v2.encode(text).slice(0, 5);
  if (!ids.length) throw new Error('walk: the text encodes to no tokens');
  const L = ids.length, E = 8, H = 4;
  const g = new TorchGenerator(123);
  const emb = initEmbedding(g, c.v2.vocabSize, E)[0].data;
  const params = initRecurrent(g, kind, E, H);
  const r = await c.gpu.scope(() => noGrad(async () => {
    const x = embedding(IdBatch.from(c.gpu, ids, [L], c.v2.vocabSize), Tensor.from(c.gpu, emb, [c.v2.vocabSize, E])); // (L, 8), unbatched
    const w: RnnWeights = Object.fromEntries(params.map((p) => [p.name, Tensor.from(c.gpu, p.data, p.shape)]));
    const o = kind === 'LSTM' ? lstmOp(x, w, { inputSize: E, hiddenSize: H }) : rnnOp(x, w, { cell: 'rnn', inputSize: E, hiddenSize: H });
    return { out: await o.output.toArray(), hn: await o.hn.toArray(), cn: o.cn ? await o.cn.toArray() : null };
  }));
  const blocks: WalkBlock[] = [
    { label: 'tokens → simple-v2 ids', lines: [`${pyList(simpleSplit(text).slice(0, L))} → ${pyList(ids)}`] },
    { label: `torch.manual_seed(123); emb = nn.Embedding(${c.v2.vocabSize}, ${E}); ${kind.toLowerCase()} = nn.${kind}(${E}, ${H}); x = emb(ids)`, lines: [torchSize([L, E])] },
    { label: `hidden_states, ${kind === 'LSTM' ? '(h_n, c_n)' : 'h_n'} = ${kind.toLowerCase()}(x); hidden_states.shape`, lines: [torchSize([L, H])] },
    { label: 'hidden_states', lines: formatTensor(r.out, [L, H]).split('\n') },
    { label: 'h_n', lines: [formatTensor(r.hn, [1, H])] },
  ];
  const arrays: Record<string, WalkArray> = { ids: arr([L], ids), hidden_states: arr([L, H], round4(r.out)), h_n: arr([1, H], round4(r.hn)) };
  if (r.cn) {
    blocks.push({ label: 'c_n (the cell state)', lines: [formatTensor(r.cn, [1, H])] });
    arrays.c_n = arr([1, H], round4(r.cn));
  }
  blocks.push({ label: 'h_n equals the last hidden state', lines: [String(r.hn.every((v, i) => v === r.out[(L - 1) * H + i]))] });
  return {
    title: kind === 'LSTM' ? 'LSTM: hidden states, h_n and c_n' : 'RNN: hidden states and h_n',
    sentence: kind === 'LSTM'
      ? 'An LSTM carries a second state, the cell c, through gates that decide what to forget, add and output; it returns every h_t and the final (h_n, c_n).'
      : 'An RNN reads one token at a time and updates one hidden vector h_t = tanh(W_ih x_t + W_hh h_(t−1) + b); h_n is the last one.',
    blocks,
    arrays,
    figures: [],
  };
}

const stages: [string, StageFn][] = [
  ['text', async (c) => {
    const t = c.o.verdict;
    const blocks: WalkBlock[] = [
      { label: 'Total number of character:', lines: [String(t.length)] },
      { label: 'raw_text[:99]', lines: [t.slice(0, 99)] },
    ];
    if (c.o.text !== undefined) blocks.push({ label: 'your text (--text): characters', lines: [String(c.o.text.length)] });
    return { title: 'The text', sentence: 'The course trains on one short story, read as one string of characters.', blocks, arrays: {}, figures: [] };
  }],
  ['split', async (c) => {
    const demo = simpleSplit(COURSE.splitDemo);
    const pre = simpleSplit(c.o.verdict);
    const blocks: WalkBlock[] = [
      { label: `re.split(r'([,.:;?_!"()\\']|--|\\s)', ${pyStr(COURSE.splitDemo)}), stripped`, lines: [pyList(demo)] },
      { label: 'len(preprocessed)', lines: [String(pre.length)] },
      { label: 'preprocessed[:30]', lines: [pyList(pre.slice(0, 30))] },
    ];
    const arrays: Record<string, WalkArray> = { demo: arr([demo.length], demo), preprocessed_30: arr([30], pre.slice(0, 30)) };
    if (c.o.text !== undefined) {
      const own = simpleSplit(c.o.text);
      blocks.push({ label: 'your text, split', lines: [pyList(own.slice(0, 40)) + (own.length > 40 ? ` … (${own.length} tokens)` : '')] });
      arrays.text = arr([own.length], own);
    }
    return { title: 'Split into tokens (regex V1/V2)', sentence: 'A regular expression cuts the text at whitespace and punctuation; every word and punctuation mark becomes a token.', blocks, arrays, figures: [] };
  }],
  ['vocabulary', async (c) => {
    const v1 = buildSimpleVocab(c.o.verdict, 1);
    const v2 = buildSimpleVocab(c.o.verdict, 2);
    return {
      title: 'Vocabulary',
      sentence: 'The sorted unique tokens get ids 0, 1, 2, …; V2 appends <|endoftext|> and <|unk|>.',
      blocks: [
        { label: 'vocab_size', lines: [String(v1.length)] },
        { label: 'first items of vocab', lines: v1.slice(0, 8).map((w, i) => `(${pyStr(w)}, ${i})`) },
        { label: 'len(vocab) with <|endoftext|>, <|unk|>', lines: [String(v2.length)] },
        { label: 'last items', lines: v2.slice(-5).map((w, i) => `(${pyStr(w)}, ${v2.length - 5 + i})`) },
      ],
      arrays: { vocab_first: arr([8], v1.slice(0, 8)), vocab_v2_last: arr([5], v2.slice(-5)) },
      figures: [],
    };
  }],
  ['simple-v1', async (c) => {
    const text = c.o.text ?? COURSE.v1;
    const blocks: WalkBlock[] = [{ label: 'text', lines: [pyStr(text)] }];
    const arrays: Record<string, WalkArray> = {};
    try {
      const ids = c.v1.encode(text);
      blocks.push({ label: 'tokenizer.encode(text)', lines: [pyList(ids)] }, { label: 'tokenizer.decode(ids)', lines: [pyStr(c.v1.decode(ids))] });
      arrays.ids = arr([ids.length], ids);
    } catch (e) {
      blocks.push({ label: 'tokenizer.encode(text) fails', lines: [(e as Error).message, '(this is why V2 adds <|unk|>)'] });
    }
    return { title: 'Ids with SimpleTokenizerV1', sentence: 'Each token is replaced by its vocabulary id; decode maps ids back and re-attaches punctuation.', blocks, arrays, figures: [] };
  }],
  ['simple-v2', async (c) => {
    const text = c.o.text ?? COURSE.v2;
    const ids = c.v2.encode(text);
    return {
      title: 'Ids with SimpleTokenizerV2',
      sentence: 'Unknown words become <|unk|> (1131) and <|endoftext|> (1130) separates documents.',
      blocks: [{ label: 'text', lines: [pyStr(text)] }, { label: 'tokenizer.encode(text)', lines: [pyList(ids)] }, { label: 'tokenizer.decode(ids)', lines: [pyStr(c.v2.decode(ids))] }],
      arrays: { ids: arr([ids.length], ids) },
      figures: [],
    };
  }],
  ['gpt2', async (c) => {
    const text = c.o.text ?? COURSE.gpt2;
    const ids = c.gpt2.encode(text, { allowedSpecial: 'all' });
    return {
      title: 'Ids with GPT-2 byte-pair encoding',
      sentence: 'GPT-2 BPE splits unknown words into known sub-word pieces, so it needs no <|unk|>; its vocabulary has 50,257 ids.',
      blocks: [
        { label: 'text', lines: [pyStr(text)] },
        { label: 'tokenizer.encode(text, allowed_special={"<|endoftext|>"})', lines: [pyList(ids)] },
        { label: 'pieces', lines: [pyList(ids.map((i) => c.gpt2.decode([i])))] },
        { label: 'tokenizer.decode(ids)', lines: [pyStr(c.gpt2.decode(ids))] },
        { label: 'len(tokenizer.encode(raw_text))', lines: [String(c.verdictIds.length)] },
      ],
      arrays: { ids: arr([ids.length], ids) },
      figures: [],
    };
  }],
  ['windows', async (c) => {
    const enc = c.verdictIds;
    const sample = enc.subarray(50);
    const x = [...sample.subarray(0, 4)], y = [...sample.subarray(1, 5)];
    const pairs: string[] = [];
    for (let i = 1; i <= 4; i++) pairs.push(`${pyList([...sample.subarray(0, i)])} ----> ${sample[i]}`);
    for (let i = 1; i <= 4; i++) pairs.push(`${c.gpt2.decode(sample.subarray(0, i))} ----> ${c.gpt2.decode([sample[i]])}`);
    const l1 = new BatchLoader(enc, { maxLength: 4, stride: 1, batchSize: 1, shuffle: false });
    const b0 = l1.batch(0), b1 = l1.batch(1);
    return {
      title: 'Sliding windows: input x, target y',
      sentence: 'The target is the input shifted by one token: at every position the model learns to predict the next id.',
      blocks: [
        { label: 'enc_sample = enc_text[50:]; context_size = 4', lines: [`x: ${pyList(x)}`, `y:      ${pyList(y)}`] },
        { label: 'context ----> desired', lines: pairs },
        { label: 'dataloader(max_length=4, stride=1, batch_size=1): first_batch', lines: [`[${formatTensor(b0.x, [1, 4], { int: true })}, ${formatTensor(b0.y, [1, 4], { int: true })}]`] },
        { label: 'second_batch', lines: [`[${formatTensor(b1.x, [1, 4], { int: true })}, ${formatTensor(b1.y, [1, 4], { int: true })}]`] },
      ],
      arrays: { x: arr([4], x), y: arr([4], y), first_batch_x: arr([1, 4], b0.x), first_batch_y: arr([1, 4], b0.y), second_batch_x: arr([1, 4], b1.x), second_batch_y: arr([1, 4], b1.y) },
      figures: [],
    };
  }],
  ['batch', async (c) => {
    const b = c.batch;
    return {
      title: 'A batch of 8 × 4',
      sentence: 'With stride 4 the windows do not overlap; eight of them make one (8, 4) batch of inputs and targets.',
      blocks: [
        { label: 'Inputs:', lines: formatTensor(b.x, [8, 4], { int: true }).split('\n') },
        { label: 'Inputs shape:', lines: [torchSize([b.B, b.T])] },
        { label: 'Targets:', lines: formatTensor(b.y, [8, 4], { int: true }).split('\n') },
      ],
      arrays: { inputs: arr([8, 4], b.x), targets: arr([8, 4], b.y) },
      figures: [],
    };
  }],
  ['token-embeddings', async (c) => {
    const { tok } = c.embeddingLayers;
    const b = c.batch;
    const out = await c.gpu.scope(() => noGrad(async () => {
      const W = Tensor.from(c.gpu, tok, [50257, 256]);
      const ids = IdBatch.from(c.gpu, b.x, [8, 4], 50257);
      const te = embedding(ids, W); // the gather kernel: row ids[b, t] of W
      return { shape: te.shape.slice(), data: await te.toArray() };
    }));
    c.tokenEmbeddings = out.data;
    return {
      title: 'Token embeddings',
      sentence: 'nn.Embedding(50257, 256) is a lookup table: each id in the batch picks its row of 256 trainable numbers.',
      blocks: [
        { label: 'torch.manual_seed(123); token_embedding_layer = nn.Embedding(50257, 256)', lines: [] },
        { label: 'token_embeddings.shape', lines: [torchSize(out.shape)] },
        { label: 'token_embeddings[0]', lines: formatTensor(out.data.subarray(0, 4 * 256), [4, 256]).split('\n') },
      ],
      arrays: { token_embeddings: arr(out.shape, round4(out.data)) },
      figures: [],
    };
  }],
  ['positions', async (c) => {
    const { tok, pos } = c.embeddingLayers;
    const b = c.batch;
    const r = await c.gpu.scope(() => noGrad(async () => {
      const te = c.tokenEmbeddings
        ? Tensor.from(c.gpu, c.tokenEmbeddings, [8, 4, 256])
        : embedding(IdBatch.from(c.gpu, b.x, [8, 4], 50257), Tensor.from(c.gpu, tok, [50257, 256]));
      const P = Tensor.from(c.gpu, pos, [4, 256]);
      const pe = embedding(positionIds(c.gpu, 4), P); // pos_embedding_layer(torch.arange(4))
      const inp = add(te, pe); // broadcast over the batch
      const sin = sinusoidalPositions(c.gpu, 4, 256);
      const pattern = sinusoidalPositions(c.gpu, 48, 64);
      return { te: await te.toArray(), pe: await pe.toArray(), inp: await inp.toArray(), sin: await sin.toArray(), pattern: await pattern.toArray() };
    }));
    const toks = [...b.x.subarray(0, 4)].map((i) => c.gpt2.decode([i]));
    const panelsOf = (n: number, src: Float32Array, stride: number) => Float32Array.from({ length: 4 * n }, (_, i) => src[Math.floor(i / n) * stride + (i % n)]);
    const embSvg = heatmapsSvg(
      [
        { title: 'token embeddings', data: panelsOf(64, r.te, 256), rows: 4, cols: 64, rowLabels: toks },
        { title: 'position embeddings', data: panelsOf(64, r.pe, 256), rows: 4, cols: 64, rowLabels: ['p=0', 'p=1', 'p=2', 'p=3'] },
        { title: 'input embeddings (sum)', data: panelsOf(64, r.inp, 256), rows: 4, cols: 64, rowLabels: toks },
      ],
      { title: 'First sequence of the batch: token + position = input embeddings (dims 0–63 of 256)', xLabel: 'embedding dimension' },
    );
    const posSvg = heatmapsSvg([{ title: 'PE[p, 2i] = sin, PE[p, 2i+1] = cos', data: r.pattern, rows: 48, cols: 64 }], { title: 'Sinusoidal positions (48 × 64)', xLabel: 'embedding dimension', yLabel: 'position' });
    return {
      title: 'Position embeddings',
      sentence: 'Attention ignores order, so each position adds its own vector: learned (an nn.Embedding over positions 0–3) or the fixed sin/cos pattern.',
      blocks: [
        { label: 'pos_embedding_layer = nn.Embedding(4, 256); pos_embeddings.shape', lines: [torchSize([4, 256])] },
        { label: 'pos_embeddings', lines: formatTensor(r.pe, [4, 256]).split('\n') },
        { label: 'input_embeddings = token_embeddings + pos_embeddings; .shape', lines: [torchSize([8, 4, 256])] },
        { label: 'input_embeddings[0]', lines: formatTensor(r.inp.subarray(0, 1024), [4, 256]).split('\n') },
        { label: 'sinusoidal positions (4, 256): PE[p, 2i] = sin(p / 10000^(2i/256)), PE[p, 2i+1] = cos(…)', lines: formatTensor(r.sin, [4, 256]).split('\n') },
      ],
      arrays: { pos_embeddings: arr([4, 256], round4(r.pe)), input_embeddings: arr([8, 4, 256], round4(r.inp)), sinusoidal: arr([4, 256], round4(r.sin)) },
      figures: [
        { name: 'embeddings', title: 'token, position and input embeddings', svg: embSvg },
        { name: 'positional-encoding', title: 'the sinusoidal position pattern', svg: posSvg },
      ],
    };
  }],
  ['embedding-6x3', async (c) => {
    const [w] = initEmbedding(new TorchGenerator(123), 6, 3);
    const r = await c.gpu.scope(() => noGrad(async () => {
      const W = Tensor.from(c.gpu, w.data, [6, 3]);
      const one = embedding(IdBatch.from(c.gpu, [3], [1], 6), W);
      const four = embedding(IdBatch.from(c.gpu, [2, 3, 5, 1], [4], 6), W);
      return { one: await one.toArray(), four: await four.toArray() };
    }));
    return {
      title: 'nn.Embedding(6, 3) with torch.manual_seed(123)',
      sentence: 'A 6-word vocabulary with 3-dimensional vectors: seeded as PyTorch seeds it, and looking up id 3 returns row 3.',
      blocks: [
        { label: 'torch.manual_seed(123); embedding_layer = nn.Embedding(6, 3); embedding_layer.weight', lines: formatTensor(w.data, [6, 3]).split('\n') },
        { label: 'embedding_layer(torch.tensor([3]))', lines: [formatTensor(r.one, [1, 3])] },
        { label: 'embedding_layer(torch.tensor([2, 3, 5, 1]))', lines: formatTensor(r.four, [4, 3]).split('\n') },
      ],
      arrays: { weight: arr([6, 3], round4(w.data)), lookup_3: arr([1, 3], round4(r.one)), lookup_2351: arr([4, 3], round4(r.four)) },
      figures: [],
    };
  }],
  ['one-hot', async (c) => {
    const [w] = initEmbedding(new TorchGenerator(123), 6, 3);
    const r = await c.gpu.scope(() => noGrad(async () => {
      const W = Tensor.from(c.gpu, w.data, [6, 3]);
      const ids = IdBatch.from(c.gpu, [2, 3, 5, 1], [4], 6);
      const oh = oneHot(ids, 6); // (4, 6) by the one-hot kernel
      const mm = matmul(oh, W); // (4, 6) · (6, 3)
      const g = embedding(ids, W);
      return { oh: await oh.toArray(), mm: await mm.toArray(), g: await g.toArray() };
    }));
    let maxDiff = 0;
    for (let i = 0; i < r.mm.length; i++) maxDiff = Math.max(maxDiff, Math.abs(r.mm[i] - r.g[i]));
    return {
      title: 'One-hot × W equals the lookup',
      sentence: 'An embedding lookup is a matrix product with one-hot rows (each picks one row of W), done without the multiplications.',
      blocks: [
        { label: 'onehot = F.one_hot(torch.tensor([2, 3, 5, 1]), 6)', lines: formatTensor(r.oh, [4, 6], { int: true }).split('\n') },
        { label: 'onehot.float() @ embedding_layer.weight', lines: formatTensor(r.mm, [4, 3]).split('\n') },
        { label: 'max |onehot @ W − embedding_layer(ids)|', lines: [String(maxDiff)] },
      ],
      arrays: { onehot: arr([4, 6], r.oh), product: arr([4, 3], round4(r.mm)), max_abs_diff: arr([], [maxDiff]) },
      figures: [],
    };
  }],
  ['gpt', async (c) => {
    const first = c.o.text === undefined ? COURSE.prompt : (/^[^.!?\n]*[.!?]?/.exec(c.o.text.trim())?.[0] ?? '').trim();
    const ids = c.gpt2.encode(first || COURSE.prompt, { allowedSpecial: 'all' }).slice(0, 16);
    if (!ids.length) throw new Error('walk: the first sentence of --text encodes to no tokens');
    const cfg = c.o.gpt === 'book-124m' ? COURSE_GPT_124M : WALK_GPT;
    const model = GPT.init(c.gpu, cfg, 123, 'torch');
    try {
      const T = ids.length, H = cfg.n_heads;
      const maps = await model.attentionMaps(IdBatch.from(c.gpu, ids, [1, T], cfg.vocab_size), 0);
      const head0 = maps.subarray(0, T * T);
      // next-token probabilities: the softmax kernel over the logits (1, T, V); the last position's row is read
      const s0 = await c.gpu.scope(() => noGrad(async () => {
        const logits = model.forward(IdBatch.from(c.gpu, ids, [1, T], cfg.vocab_size));
        const probs = softmax(logits);
        return { probs: await c.gpu.readF32(probs.buffer, cfg.vocab_size, (T - 1) * cfg.vocab_size * 4), shape: logits.shape.slice() };
      }));
      const order = [...s0.probs.keys()].sort((a, b) => s0.probs[b] - s0.probs[a]).slice(0, 5);
      // greedy decoding (temperature 0): the same tokens as the course's generate_text_simple, through the KV cache
      const generated = [...ids];
      for await (const id of generate(model, ids, { maxNewTokens: 6, temperature: 0 })) generated.push(id);
      const toks = ids.map((i) => c.gpt2.decode([i]));
      return {
        title: 'A GPT block: attention, next-token probabilities, the generated tokens',
        sentence: `The course's GPTModel (untrained, torch.manual_seed(123); ${cfg.n_layers} blocks, ${H} heads, d_model ${cfg.d_model}) reads the ids; each head weighs the earlier tokens, and the last position's logits become next-token probabilities.`,
        blocks: [
          { label: 'encoded', lines: [pyList(ids)] },
          { label: 'encoded_tensor.shape', lines: [torchSize([1, T])] },
          { label: `attention weights, block 0, head 0 (${T} × ${T}, causal: each row sums to 1)`, lines: formatTensor(head0, [T, T]).split('\n') },
          { label: 'logits.shape', lines: [torchSize(s0.shape)] },
          { label: 'top-5 next tokens: id, probability, text', lines: order.map((i) => `${String(i).padStart(5)}  ${s0.probs[i].toFixed(6)}  ${pyStr(c.gpt2.decode([i]))}`) },
          { label: 'generate_text_simple(max_new_tokens=6), greedy', lines: [formatTensor(generated, [1, generated.length], { int: true }), pyStr(c.gpt2.decode(generated))] },
        ],
        arrays: {
          encoded: arr([T], ids),
          attention_head0: arr([T, T], round4(head0)),
          top5_ids: arr([5], order),
          top5_probs: arr([5], order.map((i) => s0.probs[i])),
          generated: arr([generated.length], generated),
        },
        figures: [{ name: 'attention', title: 'attention weights of block 0, head 0', svg: attentionSvg(head0, toks, `Attention weights, block 0 head 0: ${pyStr(c.gpt2.decode(ids))}`) }],
      };
    } finally {
      model.dispose();
    }
  }],
  ['train', async (c) => {
    const steps = c.o.trainSteps ?? 24;
    const losses = await trainLosses(c.gpu, c.o.verdict, { steps, seed: 123, preset: 'tiny', context: 32, batch: 4, lr: 3e-3 });
    const V = buildSimpleVocab(c.o.verdict, 2).length;
    const show = [...new Set([0, 5, 11, 17, 23, steps - 1])].filter((i) => i < losses.length).sort((a, b) => a - b);
    return {
      title: 'A short training run',
      sentence: `A tiny GPT learns the story with AdamW: the loss starts near ln(${V}) = ${Math.log(V).toFixed(2)} (a uniform guess) and falls.`,
      blocks: [{ label: 'step: cross-entropy loss (tiny preset, simple-v2 vocabulary, batch 4 × 32, lr 3e-3)', lines: show.map((i) => `step ${String(i + 1).padStart(2)}: ${losses[i].toFixed(4)}`) }],
      arrays: { losses: arr([losses.length], losses) },
      figures: [{ name: 'loss', title: 'training loss', svg: lossCurveSvg(losses.map((loss, i) => ({ step: i + 1, loss })), [], 'wgpt walk: loss of a short training run (tiny GPT on the-verdict)') }],
    };
  }],
  ['wordpiece', async (c) => {
    const wp = c.wordpiece;
    const text = c.o.text ?? COURSE.wordpiece;
    const pieces = wp.tokenizeToStrings(text);
    const ids = wp.encode(text);
    const full = wp.encodeFull(text);
    return {
      title: 'WordPiece tokens and ids (BERT)',
      sentence: 'WordPiece (BERT\'s tokenizer) learns a vocabulary of words and "##"-continuation pieces; a word it does not know is split into the longest known pieces.',
      blocks: [
        { label: `BertWordPieceTokenizer trained on ${c.wordpieceCorpus}: vocab_size`, lines: [String(wp.vocabSize)] },
        { label: 'first ids: special tokens', lines: [pyList(wp.vocab.slice(0, 5) as string[])] },
        { label: 'text', lines: [pyStr(text)] },
        { label: 'tokens', lines: [pyList(pieces)] },
        { label: 'ids', lines: [pyList(ids)] },
        { label: 'with [CLS] … [SEP] (encode for BERT)', lines: [pyList(full.ids)] },
        { label: 'decode(ids)', lines: [pyStr(wp.decode(ids))] },
      ],
      arrays: { tokens: arr([pieces.length], pieces), ids: arr([ids.length], ids), ids_cls_sep: arr([full.ids.length], full.ids) },
      figures: [],
    };
  }],
  ['rnn', async (c) => recurrentStage(c, 'RNN')],
  ['lstm', async (c) => recurrentStage(c, 'LSTM')],
  ['luong', async (c) => {
    const wp = c.wordpiece;
    const srcText = c.firstSentence(COURSE.source);
    const src = wp.encode(srcText).slice(0, 16);
    if (!src.length) throw new Error('walk: the source sentence encodes to no WordPiece tokens');
    const cfg: Seq2SeqConfig = { cell: 'lstm', attention: 'luong-general', vocab_size: wp.vocabSize, embedding_dim: 16, hidden_size: 32, num_layers: 1, bidirectional: false, start_id: wp.tokenToId('[CLS]')!, end_id: wp.tokenToId('[SEP]')!, pad_id: wp.tokenToId('[PAD]')!, max_target_length: 16 };
    const model = initModel(rnnSeq2seq, c.gpu, cfg, 123, 'torch');
    try {
      const S = src.length;
      const r = await model.greedy(Int32Array.from(src), [S], S, 5);
      const att = r.attention!;
      const inputs = r.ids[0].slice(0, r.steps); // the decoder's input at each step: [CLS], then its own outputs
      const rowsTxt = inputs.map((id, k) => `step ${k + 1} (input ${pyStr(wp.idToToken(id))} → ${pyStr(wp.idToToken(r.ids[0][k + 1]))}): ${formatTensor(att.subarray(k * S, (k + 1) * S), [S])}`);
      const srcToks = src.map((i) => wp.idToToken(i));
      return {
        title: 'Luong attention while decoding',
        sentence: 'An LSTM encoder–decoder with Luong (general) attention: at every decoding step the decoder state scores each source word, and the softmax of the scores weighs the encoder states it reads.',
        blocks: [
          { label: 'source (WordPiece)', lines: [pyList(srcToks)] },
          { label: `seeded untrained AttentionSeq2Seq (LSTM, embedding 16, hidden 32); greedy decoding, ${r.steps} steps; attention weights (steps, source) =`, lines: [torchSize([r.steps, S])] },
          { label: 'attention per decoding step (each row sums to 1)', lines: rowsTxt },
        ],
        arrays: { source_ids: arr([S], src), decoded_ids: arr([r.ids[0].length], r.ids[0]), attention: arr([r.steps, S], round4(att)) },
        figures: [{ name: 'luong-attention', title: 'Luong attention weights per decoding step', svg: attentionSvg(att, srcToks, 'Luong attention: decoder steps × source tokens', { rowTokens: inputs.map((id) => wp.idToToken(id)) }) }],
      };
    } finally {
      model.dispose();
    }
  }],
  ['encoder-decoder', async (c) => {
    const wp = c.wordpiece;
    const text = c.firstSentence(COURSE.wordpiece);
    const ids = wp.encode(text).slice(0, 12);
    if (!ids.length) throw new Error('walk: the sentence encodes to no WordPiece tokens');
    const T = ids.length, V = wp.vocabSize;
    const bcfg = { ...BERT_PRESETS.tiny, vocab_size: V };
    const gcfg = { ...WALK_GPT, vocab_size: V, d_model: 64, context_length: 64 } as GPTConfig;
    const enc = initModel(bert, c.gpu, bcfg, 123, 'torch');
    const dec = GPT.init(c.gpu, gcfg, 123, 'torch');
    try {
      const e = (await enc.attentionMaps({ ids: IdBatch.from(c.gpu, ids, [1, T], V) }, 0)).slice(0, T * T);
      const d = (await dec.attentionMaps(IdBatch.from(c.gpu, ids, [1, T], V), 0)).slice(0, T * T);
      const toks = ids.map((i) => wp.idToToken(i));
      let above = 0;
      for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) above = Math.max(above, d[i * T + j]);
      return {
        title: 'Encoder (bidirectional) vs decoder (causal) attention',
        sentence: 'An encoder such as BERT lets every token attend to the whole sentence; a decoder such as GPT masks the future, so its map is lower-triangular.',
        blocks: [
          { label: 'tokens (WordPiece)', lines: [pyList(toks)] },
          { label: `encoder (BERT tiny, seeded): block 0 head 0 ${torchSize([T, T])}`, lines: formatTensor(e, [T, T]).split('\n') },
          { label: `decoder (GPT, seeded): block 0 head 0 ${torchSize([T, T])}`, lines: formatTensor(d, [T, T]).split('\n') },
          { label: 'largest decoder weight above the diagonal (masked future)', lines: [String(above)] },
        ],
        arrays: { ids: arr([T], ids), encoder_head0: arr([T, T], round4(e)), decoder_head0: arr([T, T], round4(d)) },
        figures: [
          { name: 'encoder-attention', title: 'encoder (bidirectional) attention', svg: attentionSvg(e, toks, 'Encoder (BERT): every token sees all tokens') },
          { name: 'decoder-attention', title: 'decoder (causal) attention', svg: attentionSvg(d, toks, 'Decoder (GPT): the future is masked') },
        ],
      };
    } finally {
      enc.dispose();
      dec.dispose();
    }
  }],
  ['fill-mask', async (c) => {
    const wp = c.wordpiece;
    const text = c.firstSentence(COURSE.wordpiece);
    const ids = wp.encodeFull(text).ids.slice(0, 32);
    const mask = wp.tokenToId('[MASK]')!;
    if (ids.length < 3) throw new Error('walk: the sentence encodes to no WordPiece tokens to mask');
    // the course's word when it is there, else the first whole word (one token, letters) from the middle on, else the middle token
    const whole = (i: number) => /^\p{L}{2,}$/u.test(wp.idToToken(ids[i])) && !wp.idToToken(ids[i + 1] ?? -1)?.startsWith('##');
    const mid = Math.max(1, Math.floor((ids.length - 1) / 2));
    const cands = [ids.indexOf(wp.tokenToId(COURSE.masked) ?? -1), ...Array.from({ length: ids.length - 1 - mid }, (_, k) => mid + k).filter(whole), mid];
    const at = cands.find((i) => i > 0 && i < ids.length - 1)!;
    const hidden = ids[at];
    const masked = ids.map((id, i) => (i === at ? mask : id));
    const V = wp.vocabSize;
    const model = initModel(bert, c.gpu, { ...BERT_PRESETS.tiny, vocab_size: V }, 123, 'torch');
    try {
      const [r] = await fillMask(model, masked, mask, 5, (id) => wp.idToToken(id));
      const toks = masked.map((i) => wp.idToToken(i));
      return {
        title: 'BERT fill-mask',
        sentence: 'BERT is trained to guess hidden words from both sides: the encoder reads the whole sentence with [MASK] in it, and the masked-LM head turns the state at [MASK] into a probability for every word of the vocabulary.',
        blocks: [
          { label: 'tokens with [CLS] … [SEP], one word masked', lines: [pyList(toks)] },
          { label: 'the hidden word', lines: [pyStr(wp.idToToken(hidden))] },
          { label: `seeded untrained BertForMaskedLM (tiny: hidden ${BERT_PRESETS.tiny.hidden_size}, ${BERT_PRESETS.tiny.num_hidden_layers} layers); logits at [MASK] =`, lines: [torchSize([1, V])] },
          { label: 'top-5 fill-ins (token, probability); untrained, so close to 1/V =', lines: [(1 / V).toFixed(6), ...r.candidates.map((x) => `${pyStr(x.token)} ${x.prob.toFixed(6)}`)] },
        ],
        arrays: { ids: arr([masked.length], masked), mask_position: arr([1], [at]), top5_ids: arr([5], r.candidates.map((x) => x.id)), top5_probs: arr([5], r.candidates.map((x) => Number(x.prob.toFixed(6)))) },
        figures: [],
      };
    } finally {
      model.dispose();
    }
  }],
  ['translate', async (c) => {
    const wp = c.wordpiece;
    const V = wp.vocabSize;
    const eos = wp.tokenToId('[SEP]')!;
    const pad = wp.tokenToId('[PAD]')!;
    const src = [...wp.encode(c.firstSentence(COURSE.source)).slice(0, 15), eos];
    if (src.length < 2) throw new Error('walk: the source sentence encodes to no WordPiece tokens');
    // the tiny preset with the walk's WordPiece as the shared vocabulary: [SEP] ends a sequence, [PAD] pads and starts the decoder
    const cfg: MarianConfig = { ...MARIAN_PRESETS.tiny, vocab_size: V, decoder_vocab_size: V, eos_token_id: eos, pad_token_id: pad, decoder_start_token_id: pad, max_length: 9 };
    const model = initModel(marian, c.gpu, cfg, 123, 'torch');
    try {
      const g = await translateIds(model, [src], { maxLength: cfg.max_length, attention: true });
      const b = await translateIds(model, [src], { maxLength: cfg.max_length, numBeams: 4 });
      const tok = (id: number) => (id === eos ? '</s>' : id === pad ? '<pad>' : wp.idToToken(id));
      const gen = generatedTokens(g.sequences[0], eos);
      const att = g.attention![0];
      const S = src.length;
      return {
        title: 'Marian: translate with an encoder–decoder Transformer',
        sentence: 'Marian (opus-mt) encodes the whole source once; the decoder then writes the translation token by token, each step attending causally to its own tokens and, through cross-attention, to every source token.',
        blocks: [
          { label: 'source tokens (+ </s>)', lines: [pyList(src.map(tok))] },
          { label: `seeded untrained MarianMTModel (tiny: d_model ${cfg.d_model}, ${cfg.encoder_layers} + ${cfg.decoder_layers} layers, ${cfg.encoder_attention_heads} heads, shared ${V}-token WordPiece vocabulary); encoder output =`, lines: [torchSize([1, S, cfg.d_model])] },
          { label: `greedy (max_length ${cfg.max_length}, </s> forced at the end, <pad> banned): ids from the decoder start token`, lines: [pyList(g.sequences[0])] },
          { label: 'greedy tokens', lines: [pyList(gen.map(tok))] },
          { label: `cross-attention, last decoder layer, mean of ${cfg.decoder_attention_heads} heads (generated × source; rows sum to 1)`, lines: formatTensor(Float32Array.from(att.flat()), [att.length, S]).split('\n') },
          { label: 'beam search, 4 beams: ids and length-normalised score', lines: [pyList(b.sequences[0]), b.scores![0].toFixed(4)] },
        ],
        arrays: { source_ids: arr([S], src), greedy_ids: arr([g.sequences[0].length], g.sequences[0]), cross_attention: arr([att.length, S], round4(att.flat())), beam4_ids: arr([b.sequences[0].length], b.sequences[0]) },
        figures: [{ name: 'marian-cross-attention', title: 'Marian cross-attention while translating', svg: attentionSvg(Float32Array.from(att.flat()), src.map(tok), 'Marian cross-attention: generated tokens × source tokens', { rowTokens: gen.map(tok) }) }],
      };
    } finally {
      model.dispose();
    }
  }],
];

/** The stage names in walk order. */
export const STAGE_NAMES = stages.map(([n]) => n);

function checkOptions(o: WalkOptions): void {
  if (typeof o.verdict !== 'string' || !o.verdict.length) throw new Error('walk: the corpus text (the-verdict) is empty');
  if (o.text !== undefined && !o.text.trim()) throw new Error('walk: --text is empty');
  if (o.trainSteps !== undefined && !(Number.isInteger(o.trainSteps) && o.trainSteps >= 1)) throw new Error(`walk: trainSteps must be a positive integer, got ${o.trainSteps}`);
  if (o.gpt !== undefined && o.gpt !== 'small' && o.gpt !== 'book-124m') throw new Error(`walk: --gpt must be small or book-124m, got '${o.gpt}'`);
}

function checkStage(n: string): number {
  const i = STAGE_NAMES.indexOf(n);
  if (i < 0) {
    const later = NOT_YET.find((s) => s.name === n);
    throw new Error(later ? `walk: stage '${n}' (${later.what}) is not in the walk yet` : `walk: unknown stage '${n}' (stages: ${STAGE_NAMES.join(', ')})`);
  }
  return i;
}

/** One stage at a time, each computed once (the page's next/previous): shares the lazily built context. */
export class Walker {
  private readonly ctx: Ctx;
  private readonly done = new Map<string, Stage>();
  constructor(gpu: Gpu, readonly options: WalkOptions) {
    checkOptions(options);
    this.ctx = new Ctx(gpu, options);
  }
  async stage(name: string): Promise<Stage> {
    const i = checkStage(name);
    const hit = this.done.get(name);
    if (hit) return hit;
    const t0 = performance.now();
    const s: Stage = { name, ...(await stages[i][1](this.ctx)) };
    s.seconds = (performance.now() - t0) / 1000;
    this.done.set(name, s);
    return s;
  }
}

/** Runs the walk (or the named stages) in walk order, calling onStage as each one finishes. */
export async function walk(gpu: Gpu, o: WalkOptions, only?: string[], onStage?: (s: Stage, index: number) => void): Promise<Stage[]> {
  for (const n of only ?? []) checkStage(n);
  const w = new Walker(gpu, o);
  const out: Stage[] = [];
  for (let i = 0; i < STAGE_NAMES.length; i++) {
    if (only && !only.includes(STAGE_NAMES[i])) continue;
    const s = await w.stage(STAGE_NAMES[i]);
    out.push(s);
    onStage?.(s, i);
  }
  return out;
}

/** A stage as the course prints it: heading, the sentence, then each label and its lines. */
export function stageText(s: Stage, index: number, total = stages.length): string {
  const took = s.seconds !== undefined ? ` (${s.seconds.toFixed(1)} s)` : '';
  const lines = [`── ${index + 1}/${total} ${s.name}: ${s.title}${took} ──`, s.sentence];
  for (const b of s.blocks) {
    lines.push(b.lines.length === 1 && b.lines[0].length + b.label.length < 100 ? `${b.label} ${b.lines[0]}` : b.label);
    if (!(b.lines.length === 1 && b.lines[0].length + b.label.length < 100)) for (const l of b.lines) lines.push('  ' + l);
  }
  return lines.join('\n');
}
