// The browser page: adapter, tokenizer chips, embedding heatmaps, training with a live loss chart,
// streamed generation and an attention map — the same library code as in Node (only src/gpu/ differs).
// Leaves out: persistence (the model lives only in this tab), GPT-2 vocabulary training (too slow on CPU adapters).
import { getGpu, type Gpu } from '../gpu/device.js';
import { selfCheck } from '../gpu/selfcheck.js';
import { IdBatch } from '../autograd/tensor.js';
import { GPT } from '../model/gpt.js';
import { PRESETS } from '../model/config.js';
import { generate, streamDecoder } from '../model/generate.js';
import { Trainer } from '../train/trainer.js';
import { trainLosses } from '../train/quick.js';
import { loadTokenizer, type Tokenizer } from '../tokenizer/index.js';
import { BatchLoader } from '../data/index.js';
import { mountWalk } from './walk-view.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

interface PageState {
  gpu: Gpu | null;
  verdict: string;
  words: Tokenizer | null;
  gpt2: Tokenizer | null;
  model: GPT | null;
  losses: number[];
  stop: boolean;
  ready: boolean;
  error: string | null;
}
const state: PageState = { gpu: null, verdict: '', words: null, gpt2: null, model: null, losses: [], stop: false, ready: false, error: null };

// GPU work runs one task at a time (pool arenas nest; interleaved async tasks would not).
let queue: Promise<unknown> = Promise.resolve();
function gpuTask<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => {});
  return run;
}

function colorFor(id: number): string {
  const h = (id * 137.508) % 360;
  return `hsl(${h.toFixed(0)} 70% 85%)`;
}

function drawHeatmap(canvas: HTMLCanvasElement, data: Float32Array, rows: number, cols: number, stride: number, opts: { diverging?: boolean; mask?: (r: number, c: number) => boolean } = {}): void {
  canvas.width = cols;
  canvas.height = rows;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(cols, rows);
  let max = 1e-9;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) max = Math.max(max, Math.abs(data[r * stride + c]));
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const o = 4 * (r * cols + c);
      const v = data[r * stride + c] / max;
      let rgb: [number, number, number];
      if (opts.mask?.(r, c)) rgb = [235, 237, 240];
      else if (opts.diverging) rgb = v >= 0 ? [255, 255 * (1 - v), 255 * (1 - v)] : [255 * (1 + v), 255 * (1 + v), 255];
      else rgb = [255 * (1 - v * 0.85), 255 * (1 - v * 0.6), 255];
      img.data.set([...rgb.map((x) => Math.round(x)), 255], o);
    }
  }
  ctx.putImageData(img, 0, 0);
}

function drawLoss(losses: number[]): void {
  const cv = $<HTMLCanvasElement>('loss-chart');
  const ctx = cv.getContext('2d')!;
  const W = cv.width, H = cv.height, L = 40, B = 22;
  ctx.clearRect(0, 0, W, H);
  ctx.font = '11px system-ui';
  ctx.fillStyle = '#667085';
  if (!losses.length) {
    ctx.fillText('loss per step appears here while training', L, H / 2);
    return;
  }
  const lo = Math.min(...losses), hi = Math.max(...losses);
  const y = (v: number) => 8 + (1 - (v - lo) / (hi - lo || 1)) * (H - B - 8);
  const x = (i: number) => L + (i / Math.max(1, losses.length - 1)) * (W - L - 10);
  ctx.strokeStyle = '#e3e6eb';
  for (const t of [lo, (lo + hi) / 2, hi]) {
    ctx.beginPath();
    ctx.moveTo(L, y(t));
    ctx.lineTo(W - 10, y(t));
    ctx.stroke();
    ctx.fillText(t.toFixed(2), 4, y(t) + 4);
  }
  ctx.fillText(`step ${losses.length}`, W - 70, H - 6);
  ctx.strokeStyle = '#3b5bdb';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  losses.forEach((l, i) => (i ? ctx.lineTo(x(i), y(l)) : ctx.moveTo(x(i), y(l))));
  ctx.stroke();
}

function tokenText(tok: Tokenizer, id: number): string {
  return tok.decode([id]);
}

function renderTokens(): void {
  const kind = $<HTMLSelectElement>('tok-kind').value;
  const text = $<HTMLTextAreaElement>('tok-text').value;
  const tok = kind === 'gpt2' ? state.gpt2 : state.words;
  const chips = $('tok-chips');
  chips.replaceChildren();
  if (!tok) return;
  let ids: number[];
  try {
    ids = tok.encode(text, { allowedSpecial: 'all' });
  } catch (e) {
    $('tok-count').textContent = (e as Error).message;
    return;
  }
  $('tok-count').textContent = `${ids.length} tokens`;
  for (const id of ids.slice(0, 400)) {
    const span = document.createElement('span');
    span.className = 'chip';
    span.style.background = colorFor(id);
    span.textContent = tokenText(tok, id);
    const small = document.createElement('small');
    small.textContent = String(id);
    span.appendChild(small);
    chips.appendChild(span);
  }
}

/** The first ≤ 16 simple-v2 ids of the tokenizer text (at least one). */
function viewIds(): number[] {
  const ids = state.words!.encode($<HTMLTextAreaElement>('tok-text').value, { allowedSpecial: 'all' }).slice(0, 16);
  return ids.length ? ids : [0];
}

async function renderViews(): Promise<void> {
  const model = state.model;
  const gpu = state.gpu;
  if (!model || !gpu || !state.words) return;
  const ids = viewIds();
  const T = ids.length;
  const C = model.config.d_model;
  const cols = Math.min(64, C);
  await gpuTask(async () => {
    const batch = IdBatch.from(gpu, ids, [1, T], model.config.vocab_size);
    try {
      const v = await model.embeddingViews(batch);
      drawHeatmap($('emb-tok'), v.token, T, cols, C, { diverging: true });
      drawHeatmap($('emb-pos'), v.position, T, cols, C, { diverging: true });
      drawHeatmap($('emb-sum'), v.sum, T, cols, C, { diverging: true });
      const layer = Number($<HTMLSelectElement>('att-layer').value || 0);
      const head = Number($<HTMLSelectElement>('att-head').value || 0);
      const probs = await model.attentionMaps(batch, layer);
      drawHeatmap($('att-map'), probs.subarray(head * T * T, (head + 1) * T * T), T, T, T, { mask: (r, c) => c > r });
      $('att-labels').textContent = `tokens: ${ids.map((i) => tokenText(state.words!, i)).join(' · ')}`;
    } finally {
      batch.dispose();
    }
  });
}

function newModel(): GPT {
  const cfg = { ...PRESETS.small, vocab_size: state.words!.vocabSize };
  return GPT.init(state.gpu!, cfg, 123);
}

async function train(): Promise<void> {
  const gpu = state.gpu!;
  const text = $<HTMLTextAreaElement>('train-text').value.trim() || state.verdict;
  const steps = Math.max(1, Number($<HTMLInputElement>('train-steps').value) | 0);
  const B = Math.max(1, Number($<HTMLInputElement>('train-batch').value) | 0);
  const words = loadTokenizer('simple-v2', { vocabFrom: text });
  state.words = words;
  state.model?.dispose();
  state.model = newModel();
  state.losses = [];
  state.stop = false;
  $<HTMLButtonElement>('train-go').disabled = true;
  $<HTMLButtonElement>('train-stop').disabled = false;
  const model = state.model;
  const T = model.config.context_length;
  const loader = new BatchLoader(Int32Array.from(words.encode(text, { allowedSpecial: 'all' })), { maxLength: T, stride: T, batchSize: B, shuffle: true, seed: 123, dropLast: true });
  if (loader.numBatches === 0) {
    $('train-stat').textContent = `the text is too short for one batch of ${B}×${T + 1} tokens`;
    $<HTMLButtonElement>('train-go').disabled = false;
    return;
  }
  const trainer = new Trainer(model, { lr: 2e-3, weightDecay: 0.1, seed: 123 });
  const t0 = performance.now();
  try {
    for (let s = 0; s < steps && !state.stop; s++) {
      const b = loader.batch(s % loader.numBatches, Math.floor(s / loader.numBatches));
      const loss = await gpuTask(() => trainer.step(b, s));
      state.losses.push(loss);
      const tps = ((s + 1) * B * T) / ((performance.now() - t0) / 1000);
      $('train-stat').textContent = `step ${s + 1}/${steps}  loss ${loss.toFixed(3)}  ${tps.toFixed(0)} tokens/s`;
      drawLoss(state.losses);
    }
  } catch (e) {
    $('train-stat').textContent = `stopped: ${(e as Error).message}`;
  } finally {
    trainer.optimizer.dispose();
    $<HTMLButtonElement>('train-go').disabled = false;
    $<HTMLButtonElement>('train-stop').disabled = true;
  }
  renderTokens();
  await renderViews();
}

async function runGenerate(): Promise<void> {
  const model = state.model!;
  const tok = state.words!;
  const out = $('gen-out');
  const prompt = $<HTMLInputElement>('gen-prompt').value;
  out.replaceChildren();
  const b = document.createElement('b');
  b.textContent = prompt;
  out.appendChild(b);
  const dec = streamDecoder((ids) => tok.decode(ids));
  const ids = tok.encode(prompt, { allowedSpecial: 'all' });
  const t0 = performance.now();
  let n = 0;
  $<HTMLButtonElement>('gen-go').disabled = true;
  try {
    await gpuTask(async () => {
      const it = generate(model, ids, {
        maxNewTokens: Math.max(1, Number($<HTMLInputElement>('gen-n').value) | 0),
        temperature: Number($<HTMLInputElement>('gen-temp').value),
        topK: Number($<HTMLInputElement>('gen-topk').value) | 0,
        seed: 123,
        eotId: tok.eotId,
      });
      for await (const id of it) {
        out.append(' ' + dec.push(id).trimStart());
        n++;
      }
    });
    $('gen-stat').textContent = `${n} tokens in ${((performance.now() - t0) / 1000).toFixed(2)} s (KV cache)`;
  } catch (e) {
    $('gen-stat').textContent = `error: ${(e as Error).message}`;
  } finally {
    $<HTMLButtonElement>('gen-go').disabled = false;
  }
}

async function init(): Promise<void> {
  drawLoss([]);
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
  state.words = loadTokenizer('simple-v2', { vocabFrom: state.verdict });
  state.gpt2 = loadTokenizer('gpt2');
  state.model = newModel();
  for (const [sel, n] of [['att-layer', state.model.config.n_layers], ['att-head', state.model.config.n_heads]] as const) {
    const el = $<HTMLSelectElement>(sel);
    for (let k = 0; k < n; k++) el.add(new Option(String(k), String(k)));
    el.addEventListener('change', () => void renderViews());
  }
  $('tok-text').addEventListener('input', () => {
    renderTokens();
    void renderViews();
  });
  $('tok-kind').addEventListener('change', renderTokens);
  $('train-go').addEventListener('click', () => void train());
  $('train-stop').addEventListener('click', () => (state.stop = true));
  $('gen-go').addEventListener('click', () => void runGenerate());
  renderTokens();
  await renderViews();
  walkView = mountWalk($('walk'), { gpu: state.gpu, verdict: state.verdict, gpuTask });
  state.ready = true;
}

declare global {
  interface Window {
    wgpt: Record<string, unknown>;
  }
}
let walkView: ReturnType<typeof mountWalk> | null = null;
window.wgpt = { state, getGpu, selfCheck, trainLosses, gpuTask, train, runGenerate, renderViews, walk: () => walkView };
void init();
