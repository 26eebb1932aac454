// The browser page: adapter, tokenizer chips, sliding-window pairs, embedding heatmaps, training with train and
// val loss, streamed generation, next-token probabilities and an attention map — the same library code as in Node
// (only src/gpu/ differs). The model's tokenizer is a byte-level BPE trained on the training text (as `npm start`
// does), and every view shows tokens through it. Views and tokenizer options are registries (registerView,
// registerTokenizer), so a new panel slots in without touching the others.
// Leaves out: persistence (the model lives only in this tab), GPT-2-vocabulary training (too slow on CPU adapters).
import { getGpu, type Gpu } from '../gpu/device.js';
import { selfCheck } from '../gpu/selfcheck.js';
import { IdBatch, noGrad } from '../autograd/tensor.js';
import { GPT } from '../model/gpt.js';
import { PRESETS } from '../model/config.js';
import { generate, streamDecoder } from '../model/generate.js';
import { Trainer, type Batch } from '../train/trainer.js';
import { trainLosses } from '../train/quick.js';
import { loadTokenizer, trainBpe, type Tokenizer } from '../tokenizer/index.js';
import { koreanWordPieceOption } from './wordpiece.js';
import { BatchLoader, splitTrainVal } from '../data/index.js';
import { drawHeatmap, drawLines, drawBars, drawn } from './charts.js';
import { mountWalk } from './walk-view.js';
import { mountEncoder } from './encoder.js';
import { mountHub } from './hub-view.js';
import { mountLora } from './lora.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** The model's tokenizer size target (the demo's BPE idea at a size that trains quickly in a tab). */
const BPE_VOCAB = 2048;
const VIEW_TOKENS = 16;

interface Point {
  x: number;
  y: number;
}
interface PageState {
  gpu: Gpu | null;
  verdict: string;
  /** the model's own tokenizer (BPE trained on the training text) */
  tok: Tokenizer | null;
  model: GPT | null;
  /** train loss per step */
  losses: number[];
  val: Point[];
  stop: boolean;
  training: boolean;
  ready: boolean;
  error: string | null;
  /** how many times the model views were redrawn (they follow training) */
  viewUpdates: number;
}
const state: PageState = { gpu: null, verdict: '', tok: null, model: null, losses: [], val: [], stop: false, training: false, ready: false, error: null, viewUpdates: 0 };

// ---- registries: tokenizer options of the tokenizer panel, and model views redrawn after every change ----

export interface TokenizerOption {
  value: string;
  label: () => string;
  get: () => Tokenizer | null;
}
const tokenizerOptions: TokenizerOption[] = [];
/** Adds an option to the tokenizer panel (e.g. a WordPiece vocabulary). */
export function registerTokenizer(o: TokenizerOption): void {
  tokenizerOptions.push(o);
  const sel = document.getElementById('tok-kind') as HTMLSelectElement | null;
  if (sel && state.ready) sel.add(new Option(o.label(), o.value));
}

export interface View {
  name: string;
  /** redraws from the current model, tokenizer and inputs; runs inside one GPU task */
  render: (s: PageState, gpu: Gpu, model: GPT, tok: Tokenizer) => Promise<void>;
}
const views: View[] = [];
/** Adds a model view (its section lives in index.html or is created by the caller). */
export function registerView(v: View): void {
  views.push(v);
}

// GPU work runs one task at a time (pool arenas nest; interleaved async tasks would not).
let queue: Promise<unknown> = Promise.resolve();
function gpuTask<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => {});
  return run;
}

// ---- errors: shown where they happened, with the fix; the next success clears them ----

function showError(where: string, message: string): void {
  const el = $(`${where}-error`);
  el.textContent = message;
  el.hidden = false;
}
function clearError(where: string): void {
  const el = $(`${where}-error`);
  el.textContent = '';
  el.hidden = true;
}

/** A whole number ≥ min from an input box, or an error message naming the field and the value. */
function intInput(id: string, what: string, min: number): number {
  const raw = $<HTMLInputElement>(id).value.trim();
  const v = Number(raw);
  if (raw === '' || !Number.isInteger(v) || v < min) throw new Error(`${what} must be a whole number ≥ ${min} (got ${raw === '' ? 'nothing' : raw})`);
  return v;
}

function colorFor(id: number): string {
  return `hsl(${((id * 137.508) % 360).toFixed(0)} 70% 85%)`;
}

/** A token as a short visible label: spaces as ·, newlines as ⏎. */
function label(tok: Tokenizer, id: number): string {
  const s = tok.decode([id]).replace(/ /g, '·').replace(/\n/g, '⏎').replace(/\t/g, '⇥');
  return s.length > 14 ? s.slice(0, 13) + '…' : s || '∅';
}

// ---- tokenizer panel ----

function renderTokens(): void {
  const kind = $<HTMLSelectElement>('tok-kind').value;
  const text = $<HTMLTextAreaElement>('tok-text').value;
  const tok = tokenizerOptions.find((o) => o.value === kind)?.get() ?? null;
  const chips = $('tok-chips');
  chips.replaceChildren();
  if (!tok) return;
  let ids: number[];
  try {
    ids = tok.encode(text, { allowedSpecial: 'all' });
    clearError('tok');
  } catch (e) {
    showError('tok', `${(e as Error).message}`);
    $('tok-count').textContent = '';
    return;
  }
  $('tok-count').textContent = `${ids.length} tokens · ${tok.vocabSize.toLocaleString('en-US')} ids in the vocabulary`;
  for (const id of ids.slice(0, 400)) {
    const span = document.createElement('span');
    span.className = 'chip';
    span.style.background = colorFor(id);
    span.textContent = tok.decode([id]);
    const small = document.createElement('small');
    small.textContent = String(id);
    span.appendChild(small);
    chips.appendChild(span);
  }
}

function refreshTokenizerLabels(): void {
  const sel = $<HTMLSelectElement>('tok-kind');
  for (const o of tokenizerOptions) {
    const opt = [...sel.options].find((x) => x.value === o.value);
    if (opt) opt.textContent = o.label();
    else sel.add(new Option(o.label(), o.value));
  }
}

/** The first ≤ 16 model-tokenizer ids of the tokenizer text (at least one). */
function viewIds(tok: Tokenizer): number[] {
  const ids = tok.encode($<HTMLTextAreaElement>('tok-text').value, { allowedSpecial: 'all' }).slice(0, VIEW_TOKENS);
  return ids.length ? ids : [0];
}

// ---- the views ----

registerView({
  name: 'sliding windows',
  async render(_s, _gpu, _model, tok) {
    // the course's loop: for i in 1..context_size: decode(ids[:i]) ----> decode([ids[i]])
    const ids = tok.encode($<HTMLTextAreaElement>('tok-text').value, { allowedSpecial: 'all' });
    const k = Math.min(4, ids.length - 1);
    const list = $('windows-list');
    list.replaceChildren();
    if (k < 1) {
      list.textContent = 'type at least two tokens above to see (input → target) pairs';
      return;
    }
    const head = document.createElement('div');
    head.className = 'stat';
    head.textContent = `x = [${ids.slice(0, k).join(', ')}]   y = [${ids.slice(1, k + 1).join(', ')}]   (y is x shifted by one token)`;
    list.appendChild(head);
    for (let i = 1; i <= k; i++) {
      const row = document.createElement('div');
      row.className = 'pair';
      const x = document.createElement('span');
      x.textContent = tok.decode(ids.slice(0, i));
      const y = document.createElement('b');
      y.textContent = tok.decode([ids[i]]);
      row.append(x, ' → ', y);
      list.appendChild(row);
    }
  },
});

registerView({
  name: 'embeddings',
  async render(_s, gpu, model, tok) {
    const ids = viewIds(tok);
    const T = ids.length;
    const C = model.config.d_model;
    const cols = Math.min(64, C);
    const batch = IdBatch.from(gpu, ids, [1, T], model.config.vocab_size);
    try {
      const v = await model.embeddingViews(batch);
      const rowLabels = ids.map((i) => label(tok, i));
      const xTitle = `embedding dimension (first ${cols} of ${C})`;
      drawHeatmap($('emb-tok'), v.token, T, cols, C, { diverging: true, rowLabels, xTitle, yTitle: 'token' });
      drawHeatmap($('emb-pos'), v.position, T, cols, C, { diverging: true, rowLabels: ids.map((_, p) => `pos ${p}`), xTitle, yTitle: 'position' });
      drawHeatmap($('emb-sum'), v.sum, T, cols, C, { diverging: true, rowLabels, xTitle, yTitle: 'token + position' });
    } finally {
      batch.dispose();
    }
  },
});

registerView({
  name: 'attention',
  async render(s, gpu, model, tok) {
    const ids = viewIds(tok);
    const T = ids.length;
    const layer = Number($<HTMLSelectElement>('att-layer').value || 0);
    const head = Number($<HTMLSelectElement>('att-head').value || 0);
    const batch = IdBatch.from(gpu, ids, [1, T], model.config.vocab_size);
    try {
      const probs = await model.attentionMaps(batch, layer);
      const labels = ids.map((i) => label(tok, i));
      drawHeatmap($('att-map'), probs.subarray(head * T * T, (head + 1) * T * T), T, T, T, {
        rowLabels: labels,
        colLabels: labels,
        xTitle: 'key token (attended to)',
        yTitle: 'query token',
        mask: (r, c) => c > r,
        range: [0, 1],
      });
      $('att-stat').textContent = `layer ${layer}, head ${head}, after ${s.losses.length} training steps`;
    } finally {
      batch.dispose();
    }
  },
});

registerView({
  name: 'next token',
  async render(_s, gpu, model, tok) {
    const prompt = $<HTMLInputElement>('gen-prompt').value;
    const all = tok.encode(prompt, { allowedSpecial: 'all' });
    const ids = (all.length ? all : [0]).slice(-model.config.context_length);
    const V = model.config.vocab_size;
    const row = await gpu.scope(() =>
      noGrad(async () => {
        const logits = await model.forward(IdBatch.from(gpu, ids, [1, ids.length], V)).toArray();
        return logits.slice((ids.length - 1) * V, ids.length * V);
      }),
    );
    let max = -Infinity;
    for (const v of row) max = Math.max(max, v);
    let sum = 0;
    const p = row.map((v) => {
      const e = Math.exp(v - max);
      sum += e;
      return e;
    });
    const order = Array.from(p.keys()).sort((a, b) => p[b] - p[a]).slice(0, 10);
    drawBars($<HTMLCanvasElement>('next-bars'), order.map((i) => ({ label: JSON.stringify(tok.decode([i])), value: p[i] / sum })), {
      title: `P(next token | "${prompt.length > 40 ? '…' + prompt.slice(-40) : prompt}"), top 10 of ${V}`,
    });
  },
});

async function renderViews(): Promise<void> {
  const { model, gpu, tok } = state;
  if (!model || !gpu || !tok) return;
  await gpuTask(async () => {
    for (const v of views) {
      try {
        await v.render(state, gpu, model, tok);
      } catch (e) {
        console.warn(`view ${v.name}: ${(e as Error).message}`);
      }
    }
  });
  state.viewUpdates++;
}

function drawLoss(): void {
  drawLines($<HTMLCanvasElement>('loss-chart'), [
    { name: 'train loss', colour: '#3b5bdb', points: state.losses.map((y, i) => ({ x: i + 1, y })) },
    { name: 'val loss', colour: '#e8590c', points: state.val },
  ], { xTitle: 'step', yTitle: 'cross-entropy loss', empty: 'train and validation loss per step appear here while training' });
}

function newModel(tok: Tokenizer): GPT {
  return GPT.init(state.gpu!, { ...PRESETS.small, vocab_size: tok.vocabSize }, 123);
}

function bpeFor(text: string): Tokenizer {
  return trainBpe(text, { vocabSize: BPE_VOCAB, name: 'page-bpe' }).bpe;
}

// ---- training ----

async function train(): Promise<void> {
  if (state.training) return;
  const go = $<HTMLButtonElement>('train-go');
  const stopBtn = $<HTMLButtonElement>('train-stop');
  clearError('train');
  let steps: number;
  let B: number;
  try {
    steps = intInput('train-steps', 'steps', 1);
    B = intInput('train-batch', 'batch', 1);
  } catch (e) {
    showError('train', `${(e as Error).message}: fix the box and press Train again`);
    return;
  }
  state.training = true;
  go.disabled = true;
  let trainer: Trainer | null = null;
  try {
    const custom = $<HTMLTextAreaElement>('train-text').value.trim();
    const text = custom || state.verdict;
    // everything is checked before the current tokenizer and model are replaced
    const tok = custom ? bpeFor(text) : state.tok!;
    const T = PRESETS.small.context_length;
    const ids = Int32Array.from(tok.encode(text, { allowedSpecial: 'all' }));
    const { train: trainIds, val: valIds } = splitTrainVal(ids, 0.1);
    const need = B * T + 1;
    if (trainIds.length < need) {
      throw new Error(
        `the text is ${ids.length} tokens (${trainIds.length} for training after the 10% validation split); one batch of ${B} windows of ${T}+1 tokens needs ${need}: paste a longer text, lower batch, or clear the box to train on the-verdict.txt`,
      );
    }
    const loader = new BatchLoader(trainIds, { maxLength: T, stride: T, batchSize: B, shuffle: true, seed: 123, dropLast: true });
    const valLoader = valIds.length > T ? new BatchLoader(valIds, { maxLength: T, stride: T, batchSize: 1, shuffle: false, dropLast: false }) : null;
    const valBatches: Batch[] = valLoader ? Array.from({ length: Math.min(4, valLoader.numBatches) }, (_, i) => valLoader.batch(i)) : [];
    if (tok !== state.tok) {
      state.tok = tok;
      refreshTokenizerLabels();
    }
    state.model?.dispose();
    state.model = newModel(tok);
    state.losses = [];
    state.val = [];
    state.stop = false;
    stopBtn.disabled = false;
    const model = state.model;
    trainer = new Trainer(model, { lr: 2e-3, weightDecay: 0.1, seed: 123 });
    const evalEvery = Math.max(1, Math.min(10, Math.floor(steps / 5)));
    const t0 = performance.now();
    for (let s = 0; s < steps && !state.stop; s++) {
      const b = loader.batch(s % loader.numBatches, Math.floor(s / loader.numBatches));
      const tr = trainer;
      const loss = await gpuTask(() => tr.step(b, s));
      state.losses.push(loss);
      const tps = ((s + 1) * B * T) / ((performance.now() - t0) / 1000);
      let line = `step ${s + 1}/${steps}  loss ${loss.toFixed(3)}`;
      if (valBatches.length && ((s + 1) % evalEvery === 0 || s + 1 === steps)) {
        const v = await gpuTask(() => tr.evaluate(valBatches));
        state.val.push({ x: s + 1, y: v });
        await renderViews(); // the attention map and the other views follow training
      }
      if (state.val.length) line += `  val ${state.val[state.val.length - 1].y.toFixed(3)}`;
      $('train-stat').textContent = `${line}  ${tps.toFixed(0)} tokens/s`;
      drawLoss();
    }
  } catch (e) {
    showError('train', (e as Error).message);
  } finally {
    trainer?.optimizer.dispose();
    state.training = false;
    go.disabled = false;
    stopBtn.disabled = true;
  }
  renderTokens();
  await renderViews();
}

// ---- generation ----

async function runGenerate(): Promise<void> {
  const model = state.model!;
  const tok = state.tok!;
  const out = $('gen-out');
  const go = $<HTMLButtonElement>('gen-go');
  clearError('gen');
  let n: number;
  let topK: number;
  const temperature = Number($<HTMLInputElement>('gen-temp').value);
  try {
    n = intInput('gen-n', 'tokens', 1);
    topK = intInput('gen-topk', 'top-k', 0);
    if (!(temperature >= 0)) throw new Error(`temperature must be a number ≥ 0 (got ${$<HTMLInputElement>('gen-temp').value || 'nothing'})`);
  } catch (e) {
    showError('gen', `${(e as Error).message}: fix the box and press Generate again`);
    return;
  }
  const prompt = $<HTMLInputElement>('gen-prompt').value;
  out.replaceChildren();
  const b = document.createElement('b');
  b.textContent = prompt;
  out.appendChild(b);
  const dec = streamDecoder((ids) => tok.decode(ids));
  const t0 = performance.now();
  let count = 0;
  go.disabled = true;
  try {
    const ids = tok.encode(prompt, { allowedSpecial: 'all' });
    if (!ids.length) throw new Error('the prompt is empty: type a few words to continue');
    await gpuTask(async () => {
      for await (const id of generate(model, ids, { maxNewTokens: n, temperature, topK, seed: 123, eotId: tok.eotId })) {
        out.append(dec.push(id));
        count++;
      }
      out.append(dec.flush());
    });
    $('gen-stat').textContent = `${count} tokens in ${((performance.now() - t0) / 1000).toFixed(2)} s (KV cache)`;
  } catch (e) {
    showError('gen', (e as Error).message);
  } finally {
    go.disabled = false;
  }
}

// ---- start-up ----

async function init(): Promise<void> {
  drawLoss();
  const adapterEl = $('adapter');
  try {
    state.gpu = await getGpu();
  } catch (e) {
    adapterEl.className = 'bad';
    adapterEl.textContent = (e as Error).message;
    state.error = (e as Error).message;
    return;
  }
  const i = state.gpu.info;
  adapterEl.textContent = `WebGPU adapter: ${i.description || i.device || i.architecture || 'unnamed'} (${i.vendor || 'unknown vendor'}${i.architecture ? ', ' + i.architecture : ''}) — ${i.isCpu ? 'a CPU (software) adapter: slow but correct' : 'a GPU'}; features: ${[...state.gpu.features].join(', ') || 'none'}`;
  state.verdict = await (await fetch('/the-verdict.txt')).text();
  state.tok = bpeFor(state.verdict);
  let gpt2: Tokenizer | null = null;
  tokenizerOptions.unshift(
    { value: 'model', label: () => `the model's: byte-level BPE trained on the text (${state.tok!.vocabSize.toLocaleString('en-US')} ids)`, get: () => state.tok },
    { value: 'gpt2', label: () => 'GPT-2 BPE (50,257 ids), for comparison', get: () => (gpt2 ??= loadTokenizer('gpt2')) },
  );
  refreshTokenizerLabels();
  state.model = newModel(state.tok);
  for (const [sel, n] of [['att-layer', state.model.config.n_layers], ['att-head', state.model.config.n_heads]] as const) {
    const el = $<HTMLSelectElement>(sel);
    for (let k = 0; k < n; k++) el.add(new Option(String(k), String(k)));
    el.addEventListener('change', () => void renderViews());
  }
  $('tok-text').addEventListener('input', () => {
    renderTokens();
    void renderViews();
  });
  $('gen-prompt').addEventListener('input', () => void renderViews());
  $('tok-kind').addEventListener('change', renderTokens);
  $('train-go').addEventListener('click', () => void train());
  $('train-stop').addEventListener('click', () => (state.stop = true));
  $('gen-go').addEventListener('click', () => void runGenerate());
  renderTokens();
  await renderViews();
  walkView = mountWalk($('walk'), { gpu: state.gpu, verdict: state.verdict, gpuTask });
  // the encoder view (BERT fill-mask + bidirectional attention) when the server has a BERT folder (`wgpt serve --bert DIR`)
  window.wgpt.encoder = mountEncoder(state.gpu, $('encoder'), gpuTask);
  // a model by name from the Hub (or ?hub=URL), kept in Cache Storage
  window.wgpt.hub = mountHub(state.gpu, $('hub'), gpuTask);
  window.wgpt.lora = mountLora(state.gpu, $('lora'), gpuTask, () => ({ model: state.model!, tok: state.tok! }));
  state.ready = true;
}

declare global {
  interface Window {
    wgpt: Record<string, unknown>;
  }
}
registerTokenizer(koreanWordPieceOption());
let walkView: ReturnType<typeof mountWalk> | null = null;
window.wgpt = { state, drawn, getGpu, selfCheck, trainLosses, gpuTask, train, runGenerate, renderViews, registerView, registerTokenizer, walk: () => walkView };
void init();
