// The page's encoder view: a BERT folder served by `wgpt serve --bert DIR` (config.json, model.safetensors and
// tokenizer.json or vocab.txt, fetched from /bert/) → a sentence with [MASK]s, the top-k fill-ins of each, and one
// layer/head's bidirectional attention map (every query sees every key: no masked triangle). Mounted into any element
// by one call, so the page can be reworked around it. Leaves out: training a BERT in the page (too slow on CPU adapters).
import type { Gpu } from '../gpu/device.js';
import { IdBatch } from '../autograd/tensor.js';
import { skippedLine } from '../model/model.js';
import type { BertConfig } from '../model/bert-config.js';
import { Bert, bertSpecialIds, fillMask } from '../model/bert.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { memorySource } from '../hub/files.js';
import { loadFromSource } from '../hub/load.js';
import { tokenizerOfSource } from '../hub/tokenizer.js';
import { drawHeatmap } from './charts.js';

export interface EncoderView {
  model: Bert;
  tokenizer: Tokenizer;
  /** fills the view's sentence (for tests: returns the candidates shown) */
  run(text?: string): Promise<{ token: string; prob: number }[][]>;
}

/** Loads the served BERT folder (null when the server has none) through the loader's core: base + index.json lists the files. */
export async function loadServedBert(gpu: Gpu, base = '/bert/'): Promise<{ model: Bert; tokenizer: Tokenizer; skipped: string } | null> {
  const list = await fetch(base + 'index.json');
  const names = list.ok ? ((await list.json()) as { files?: string[] }).files ?? [] : [];
  if (!names.includes('config.json')) return null;
  const files = new Map<string, Uint8Array>();
  for (const n of names) {
    const r = await fetch(base + n);
    if (!r.ok) throw new Error(`${base}${n}: HTTP ${r.status}`);
    files.set(n, new Uint8Array(await r.arrayBuffer()));
  }
  const src = memorySource(files, base.replace(/\/$/, ''));
  const ck = loadFromSource(src);
  if (ck.arch.modelType !== 'bert') throw new Error(`${base} holds a ${ck.arch.modelType} model; the encoder view needs a BERT`);
  const tokenizer = tokenizerOfSource(src);
  if (!tokenizer) throw new Error(`${base} has neither tokenizer.json nor vocab.txt`);
  return { model: new Bert(gpu, ck.config as BertConfig, ck.params), tokenizer, skipped: skippedLine(ck.skipped) };
}

/**
 * Builds the view inside `root` and loads the served BERT folder; `queue` serialises GPU work with the rest of the
 * page. Returns null (and says how to serve one) when the server has no BERT folder.
 */
export async function mountEncoder(gpu: Gpu, root: HTMLElement, queue: <T>(fn: () => Promise<T>) => Promise<T> = (f) => f()): Promise<EncoderView | null> {
  root.innerHTML = `<h2>Encoder (BERT): fill the [MASK]</h2>
<p class="note">Bidirectional self-attention: every token sees the whole sentence, left and right, so the map below has no masked triangle.</p>
<div class="row"><input class="enc-text" style="flex:1; min-width: 220px" value="I [MASK] to school.">
<label>top-k <input type="number" class="enc-k" value="5" min="1"></label><button class="enc-go">Fill</button></div>
<div class="enc-out stat"></div>
<div class="row"><label>layer <select class="enc-layer"></select></label><label>head <select class="enc-head"></select></label></div>
<canvas class="enc-map" id="enc-map" width="16" height="16"></canvas><div class="stat enc-labels"></div>`;
  const q = <T extends HTMLElement>(c: string) => root.querySelector(`.${c}`) as T;
  const out = q<HTMLDivElement>('enc-out');
  let loaded;
  try {
    loaded = await queue(() => loadServedBert(gpu));
  } catch (e) {
    out.textContent = `could not load the served BERT folder: ${(e as Error).message}`;
    return null;
  }
  if (!loaded) {
    out.textContent = 'no encoder loaded: start the server with `wgpt serve --bert DIR` (a Hugging Face or wgpt BERT folder)';
    q<HTMLButtonElement>('enc-go').disabled = true;
    return null;
  }
  const { model, tokenizer } = loaded;
  const sp = bertSpecialIds(tokenizer.specialTokens);
  const c = model.config;
  for (const [cls, n] of [['enc-layer', c.num_hidden_layers], ['enc-head', c.num_attention_heads]] as const) {
    const el = q<HTMLSelectElement>(cls);
    for (let k = 0; k < n; k++) el.add(new Option(String(k), String(k)));
  }
  const tok = tokenizer as Tokenizer & { idToToken?: (id: number) => string };
  const tokenOf = (id: number) => (tok.idToToken ? tok.idToToken(id) : tokenizer.decode([id]));
  let lastIds: number[] = [];
  const drawAttention = () =>
    queue(async () => {
      if (!lastIds.length) return;
      const T = lastIds.length;
      const ids = IdBatch.from(gpu, lastIds, [1, T], c.vocab_size);
      try {
        const probs = await model.attentionMaps({ ids }, Number(q<HTMLSelectElement>('enc-layer').value || 0));
        const h = Number(q<HTMLSelectElement>('enc-head').value || 0);
        const toks = lastIds.map(tokenOf);
        // cells of 13–22 px with the tokens on both axes, the axis titles and a colour scale (charts.ts)
        drawHeatmap(q<HTMLCanvasElement>('enc-map'), probs.subarray(h * T * T, (h + 1) * T * T), T, T, T, { rowLabels: toks, colLabels: toks, xTitle: 'key token (attended to)', yTitle: 'query token' });
        q('enc-labels').textContent = `layer ${q<HTMLSelectElement>('enc-layer').value || 0}, head ${h}: each row sums to 1; no masked triangle (bidirectional)`;
      } finally {
        ids.dispose();
      }
    });
  const run = async (text = q<HTMLInputElement>('enc-text').value) => {
    const k = Math.max(1, Number(q<HTMLInputElement>('enc-k').value) || 5);
    try {
      const ids = [sp.cls, ...tokenizer.encode(text, { allowedSpecial: ['[MASK]'] }), sp.sep];
      if (ids.length > c.max_position_embeddings) throw new Error(`the text is ${ids.length} tokens; the model takes at most ${c.max_position_embeddings}`);
      const res = await queue(() => fillMask(model, ids, sp.mask, k, tokenOf));
      lastIds = ids;
      out.innerHTML = '';
      res.forEach((r, m) => {
        const div = document.createElement('div');
        div.textContent = `[MASK] ${m + 1}: ` + r.candidates.map((x) => `${x.token} ${(100 * x.prob).toFixed(1)}%`).join(' · ');
        out.appendChild(div);
      });
      await drawAttention();
      return res.map((r) => r.candidates.map((x) => ({ token: x.token, prob: x.prob })));
    } catch (e) {
      out.textContent = (e as Error).message;
      return [];
    }
  };
  q('enc-go').addEventListener('click', () => void run());
  q('enc-layer').addEventListener('change', () => void drawAttention());
  q('enc-head').addEventListener('change', () => void drawAttention());
  if (loaded.skipped) q('enc-labels').textContent = loaded.skipped;
  return { model, tokenizer, run };
}
