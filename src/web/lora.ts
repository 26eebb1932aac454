// The page's LoRA panel: fine-tunes the demo GPT (a frozen snapshot of the page's current model) with a LoRA adapter
// on text the user pastes, shows the loss per step and the adapter's size, and downloads the adapter as the two
// files of a PEFT adapter folder (adapter_config.json, adapter_model.safetensors) — the same bytes `wgpt train
// --lora-r` writes, loadable with `--adapter` in Node. Mounted into any element by one call.
// Leaves out: merging in the page, several adapters at once, uploading an adapter.
import type { Gpu } from '../gpu/device.js';
import { GPT } from '../model/gpt.js';
import { LoRA, matchTargets, loraModules, initLoraWeights } from '../model/lora.js';
import { Trainer } from '../train/trainer.js';
import { BatchLoader } from '../data/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { drawLines } from './charts.js';

export interface LoraView {
  /** runs a fine-tune (the test drives it): returns the losses */
  run(o?: { text?: string; steps?: number; r?: number }): Promise<number[]>;
  /** the two files of the last adapter (null before the first run) */
  files(): Promise<Record<string, Uint8Array | string> | null>;
  download(): Promise<void>;
}

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text = ''): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
};

/** Builds the panel in `root`; `current` gives the page's model and its tokenizer (the base to adapt). */
export function mountLora(gpu: Gpu, root: HTMLElement, gpuTask: <T>(fn: () => Promise<T>) => Promise<T>, current: () => { model: GPT; tok: Tokenizer }): LoraView {
  root.append(el('h2', {}, 'LoRA fine-tuning'));
  root.append(el('p', { class: 'note' }, 'Adapts the model above to your text with a low-rank adapter (PEFT\'s LoRA on c_attn, c_proj and c_fc): the base is frozen — no gradients, no optimizer state — and only A and B train. The adapter downloads as a PEFT folder\'s two files; `wgpt generate --model BASE --adapter DIR` uses them.'));
  const text = el('textarea', { class: 'lora-text', placeholder: 'paste the text to adapt to (a few paragraphs)' });
  const row = el('div', { class: 'row' });
  const steps = el('input', { type: 'number', class: 'lora-steps', value: '30', min: '1' });
  const rank = el('input', { type: 'number', class: 'lora-r', value: '8', min: '1' });
  const go = el('button', { class: 'lora-go' }, 'Fine-tune with LoRA');
  const dl = el('button', { class: 'lora-download secondary', disabled: '' }, 'Download adapter');
  const stat = el('span', { class: 'stat lora-stat' }, 'no adapter yet');
  const lab = (t: string, i: HTMLElement) => {
    const l = el('label', {}, t + ' ');
    l.append(i);
    return l;
  };
  row.append(lab('steps', steps), lab('rank r', rank), go, dl, stat);
  const err = el('div', { class: 'error lora-error', role: 'alert' });
  err.hidden = true;
  const chart = el('canvas', { class: 'full lora-chart', width: '640', height: '200' });
  root.append(text, row, err, chart);
  let last: { lora: LoRA; base: GPT } | null = null;
  let losses: number[] = [];
  const draw = () => drawLines(chart, [{ name: 'LoRA train loss', colour: '#2f9e44', points: losses.map((y, i) => ({ x: i + 1, y })) }], { xTitle: 'step', yTitle: 'cross-entropy loss', empty: 'the adapter\'s loss per step appears here' });
  draw();

  async function run(o: { text?: string; steps?: number; r?: number } = {}): Promise<number[]> {
    err.hidden = true;
    go.disabled = true;
    try {
      const nSteps = o.steps ?? Number(steps.value);
      const r = o.r ?? Number(rank.value);
      if (!(Number.isInteger(nSteps) && nSteps >= 1)) throw new Error(`steps must be a whole number ≥ 1 (got ${steps.value || 'nothing'})`);
      if (!(Number.isInteger(r) && r >= 1)) throw new Error(`rank r must be a whole number ≥ 1 (got ${rank.value || 'nothing'})`);
      const src = (o.text ?? text.value).trim();
      const { model, tok } = current();
      const T = Math.min(64, model.config.context_length);
      const ids = Int32Array.from(tok.encode(src, { allowedSpecial: 'all' }));
      const B = 4;
      if (ids.length < B * T + 1) throw new Error(`the text is ${ids.length} tokens; one batch of ${B} windows of ${T}+1 tokens needs ${B * T + 1}: paste a longer text`);
      await gpuTask(async () => {
        // the base: a frozen snapshot of the page's model (uploaded without gradient buffers)
        const params = await model.exportParams();
        for (const [k, p] of params) params.set(k, { ...p, frozen: true });
        last?.lora.dispose();
        last?.base.dispose();
        const base = GPT.fromParams(gpu, model.config, params);
        const targets = ['c_attn', 'c_proj', 'c_fc'];
        const mods = loraModules(matchTargets(base.linearModules(), targets), (n) => base.params.get(n)?.shape, true);
        const lora = new LoRA(gpu, { r, alpha: 2 * r, dropout: 0, targets, rslora: false, fanInFanOut: true, baseModel: 'wgpt page demo GPT', taskType: 'CAUSAL_LM' }, mods, initLoraWeights(mods, r, 123), 'transformer.', { trainable: true });
        base.adapter = lora;
        last = { lora, base };
        const trainer = new Trainer(base, { lr: 1e-2, weightDecay: 0.01, seed: 123, extraParams: lora.params() });
        const loader = new BatchLoader(ids, { maxLength: T, stride: T, batchSize: B, shuffle: true, seed: 123, dropLast: true });
        losses = [];
        try {
          for (let s = 0; s < nSteps; s++) {
            losses.push(await trainer.step(loader.batch(s % loader.numBatches, Math.floor(s / loader.numBatches)), s));
            draw();
            stat.textContent = `step ${s + 1}/${nSteps}  loss ${losses[s].toFixed(3)}`;
          }
        } finally {
          trainer.optimizer.dispose();
        }
        const n = lora.numel;
        const total = [...base.params.values()].reduce((a, t) => a + t.size, 0);
        stat.textContent = `adapter: ${n.toLocaleString('en-US')} parameters (${(n * 4 / 1024).toFixed(1)} KiB as f32; ${(100 * n / total).toFixed(2)}% of the base's ${total.toLocaleString('en-US')}); loss ${losses[0].toFixed(3)} → ${losses[losses.length - 1].toFixed(3)}`;
      });
      dl.disabled = false;
      return losses;
    } catch (e) {
      err.textContent = (e as Error).message;
      err.hidden = false;
      throw e;
    } finally {
      go.disabled = false;
    }
  }

  const files = async () => (last ? last.lora.files() : null);
  async function download(): Promise<void> {
    const f = await files();
    if (!f) return;
    for (const [name, data] of Object.entries(f)) {
      const a = el('a', { download: name });
      a.href = URL.createObjectURL(new Blob([data as BlobPart], { type: name.endsWith('.json') ? 'application/json' : 'application/octet-stream' }));
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    }
  }
  go.addEventListener('click', () => void run().catch(() => {}));
  dl.addEventListener('click', () => void download());
  return { run, files, download };
}
