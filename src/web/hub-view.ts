// The page's "model by name" view: a model on the Hugging Face Hub (or the endpoint given as ?hub=URL) fetched into
// Cache Storage by name (hub/browser.ts), then a prompt continued by it (causal LMs: GPT-2). Mounted into any element
// by one call. Leaves out: encoder–decoders and BERT here (the encoder view and the CLI have them).
import type { Gpu } from '../gpu/device.js';
import { IdBatch, noGrad } from '../autograd/tensor.js';
import { generate, streamDecoder } from '../model/generate.js';
import { type CausalLM, isCausalLM, type Model } from '../model/model.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { type BrowserHubOptions, loadModelByName } from '../hub/browser.js';

export interface HubView {
  /** loads `name` (for tests: returns what came from where) */
  load(name: string, o?: BrowserHubOptions): Promise<{ commit: string; fromCache: string[]; fetched: string[]; weightFile: string; modelType: string }>;
  /** logits (B·T·V, row-major) of id rows with the loaded model */
  logits(rows: number[][]): Promise<number[]>;
  /** continues `prompt` greedily by `n` tokens */
  generate(prompt: string, n: number): Promise<string>;
}

export function mountHub(gpu: Gpu, el: HTMLElement, gpuTask: <T>(f: () => Promise<T>) => Promise<T>): HubView {
  const endpoint = new URLSearchParams(location.search).get('hub') ?? undefined;
  el.innerHTML = `<h2>A model by name</h2>
    <p>Fetched from ${endpoint ?? 'the Hugging Face Hub'} once, then kept in this browser's Cache Storage.</p>
    <div class="row"><input id="hub-name" value="gpt2" style="min-width: 260px"> <button id="hub-load">Load</button> <span class="stat" id="hub-status"></span></div>
    <div class="error" id="hub-error" role="alert" hidden></div>
    <div class="row"><input id="hub-prompt" value="Every effort moves you" style="flex:1; min-width: 200px"> <button id="hub-gen" disabled>Continue</button></div>
    <div id="hub-out"></div>`;
  const $ = <T extends HTMLElement>(id: string) => el.querySelector<T>(`#${id}`)!;
  let model: (Model & CausalLM) | null = null;
  let tokenizer: Tokenizer | null = null;
  let tokenizerProblem = 'no model loaded';
  const err = (m: string | null) => {
    $('hub-error').hidden = m === null;
    $('hub-error').textContent = m ?? '';
  };
  const view: HubView = {
    async load(name, o = {}) {
      err(null);
      const status = $('hub-status');
      status.textContent = `fetching ${name}…`;
      const r = await loadModelByName(gpu, name, {
        endpoint,
        ...o,
        onProgress: (f, done, total) => (status.textContent = `${f}: ${(done / 1e6).toFixed(1)}${total ? ` / ${(total / 1e6).toFixed(1)}` : ''} MB`),
      });
      if (!isCausalLM(r.model)) {
        r.model.dispose();
        throw new Error(`${name} is a ${r.checkpoint.arch.modelType} model; this view continues text with causal LMs (GPT-2)`);
      }
      (model as Model | null)?.dispose();
      model = r.model as Model & CausalLM;
      tokenizer = r.tokenizer;
      tokenizerProblem = r.tokenizerProblem ?? '';
      status.textContent = `${name} @ ${r.files.commit.slice(0, 10)}: ${r.files.fetched.length} files fetched, ${r.files.fromCache.length} from the cache (${r.checkpoint.weightFile})${tokenizer ? '' : `; ${tokenizerProblem}`}`;
      $<HTMLButtonElement>('hub-gen').disabled = !tokenizer;
      return { commit: r.files.commit, fromCache: r.files.fromCache, fetched: r.files.fetched, weightFile: r.checkpoint.weightFile, modelType: r.checkpoint.arch.modelType };
    },
    async logits(rows) {
      if (!model) throw new Error('no model loaded');
      const m = model;
      return gpuTask(() => gpu.scope(() => noGrad(async () => Array.from(await m.logits(IdBatch.from(gpu, rows.flat(), [rows.length, rows[0].length], m.vocabSize)).toArray()))));
    },
    async generate(prompt, n) {
      if (!model || !tokenizer) throw new Error(tokenizerProblem);
      const m = model;
      const tok = tokenizer;
      const dec = streamDecoder((ids) => tok.decode(ids));
      let text = '';
      await gpuTask(async () => {
        for await (const id of generate(m, tok.encode(prompt, { allowedSpecial: 'all' }), { maxNewTokens: n, temperature: 0, eotId: tok.eotId })) text += dec.push(id);
      });
      return text + dec.flush();
    },
  };
  $('hub-load').addEventListener('click', () => void view.load($<HTMLInputElement>('hub-name').value.trim()).catch((e) => err((e as Error).message)));
  $('hub-gen').addEventListener('click', () =>
    void view
      .generate($<HTMLInputElement>('hub-prompt').value, 20)
      .then((t) => ($('hub-out').textContent = $<HTMLInputElement>('hub-prompt').value + t))
      .catch((e) => err((e as Error).message)),
  );
  return view;
}
