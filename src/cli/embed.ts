// `wgpt embed`: sentence embeddings of an encoder (HiddenStates models): the last hidden states mean-pooled over the
// attention mask as sentence-transformers' Pooling(mean) computes them (Σ h·mask / max(Σ mask, 1e-9); the average
// is a batched matmul of the mask weights with the hidden states on the GPU), optionally L2-normalized
// (F.normalize, eps 1e-12). Prints one JSON array per text. Leaves out: CLS / max pooling, Dense layers.
import { type Command, num } from './command.js';
import { getGpu } from '../gpu/device.js';
import { IdBatch, Tensor, noGrad } from '../autograd/tensor.js';
import { matmul } from '../ops/matmul.js';
import { reshape } from '../ops/shape.js';
import { loadModel } from '../hub/node.js';
import { isHiddenStates, type HiddenStates, type Model } from '../model/model.js';
import { rowEncoder, padBatch } from '../train/tasks.js';
import { applyAdapter } from './adapter.js';
import { TEXT_OPTIONS, textHelp, textRows } from './texts.js';

/** Mean-pooled hidden states [B, H] of a padded batch (host copy); `normalize`: each row scaled to unit L2 norm. */
export async function meanPooled(model: Model & HiddenStates, ids: Int32Array, mask: ArrayLike<number>, B: number, T: number, vocab: number, normalize: boolean): Promise<Float32Array> {
  const gpu = model.gpu;
  const w = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let t = 0; t < T; t++) n += mask[b * T + t];
    for (let t = 0; t < T; t++) w[b * T + t] = mask[b * T + t] / Math.max(n, 1e-9);
  }
  const out = await gpu.scope(() =>
    noGrad(async () => {
      const h = model.hidden(IdBatch.from(gpu, ids, [B, T], vocab), mask);
      return reshape(matmul(Tensor.from(gpu, w, [B, 1, T]), h), [B, model.hiddenSize]).toArray();
    }),
  );
  if (normalize) {
    const H = model.hiddenSize;
    for (let b = 0; b < B; b++) {
      let s = 0;
      for (let k = 0; k < H; k++) s += out[b * H + k] ** 2;
      const d = Math.max(Math.sqrt(s), 1e-12);
      for (let k = 0; k < H; k++) out[b * H + k] /= d;
    }
  }
  return out;
}

const cmd: Command = {
  summary: 'sentence embeddings of an encoder: mean-pooled last hidden states (sentence-transformers), one JSON array per text',
  usage: 'wgpt embed --model DIR|NAME (--text "…" | --file FILE) [--normalize] [--batch 32] [--max-length N] [--tokenizer SPEC] [--adapter DIR]',
  options: { ...TEXT_OPTIONS, normalize: { type: 'boolean' } },
  help: {
    ...textHelp('an encoder folder (BERT …), or one on the Hub (ORG/NAME[@REV]); required', 'one text', 'texts: one per line, or a TSV/CSV/JSONL with a text column; or a bundled set by name'),
    normalize: ['', 'scale each embedding to unit length (for cosine similarity by dot product)'],
  },
  async run(v) {
    const { rows, batch } = textRows(v);
    const gpu = await getGpu();
    const { model: loaded, tokenizer } = await loadModel(gpu, v.model as string, { tokenizer: v.tokenizer as string | undefined });
    if (!isHiddenStates(loaded)) throw new Error(`${v.model} holds a ${loaded.arch.name} model; wgpt embed needs an encoder (BERT and its family)`);
    const model = loaded as Model & HiddenStates;
    const disposeAdapter = applyAdapter(gpu, model, v.adapter);
    try {
      const c = model.config as { max_position_embeddings?: number };
      const maxPos = c.max_position_embeddings ?? 512;
      const enc = rowEncoder(tokenizer, num(v, 'max-length', Math.min(128, maxPos), { int: true, min: 1, max: maxPos }));
      const H = model.hiddenSize;
      for (let i = 0; i < rows.length; i += batch) {
        const part = rows.slice(i, i + batch);
        const b = padBatch(part.map((r) => enc.encode(r.text)), new Int32Array(part.length), enc.pad);
        const e = await meanPooled(model, b.ids, b.attentionMask, b.B, b.T, model.arch.vocabSize(model.config), !!v.normalize);
        for (let r = 0; r < part.length; r++) console.log(JSON.stringify(Array.from(e.subarray(r * H, (r + 1) * H), (x) => Number(x.toPrecision(7)))));
      }
    } finally {
      disposeAdapter();
      model.dispose();
    }
  },
};
export default cmd;
