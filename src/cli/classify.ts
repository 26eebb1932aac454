// `wgpt classify`: a sequence classifier's label and probability for each text (--text, or the rows of --file:
// TSV/CSV with a text column, JSONL, or plain lines), with accuracy and macro-F1 when the file has labels.
import { type Command, num } from './command.js';
import { getGpu } from '../gpu/device.js';
import { loadModel } from '../hub/node.js';
import { isSequenceClassifier, type Model, type SequenceClassifier } from '../model/model.js';
import { labelSpace, rowEncoder, padBatch, classifyBatch, macroF1 } from '../train/tasks.js';
import { applyAdapter } from './adapter.js';
import { TEXT_OPTIONS, textHelp, textRows } from './texts.js';

const cmd: Command = {
  summary: 'label texts with a sequence classifier: label and probability per line; accuracy and macro-F1 for labelled files',
  usage: 'wgpt classify --model DIR|NAME (--text "…" | --file FILE) [--json] [--batch 32] [--max-length N] [--tokenizer SPEC] [--adapter DIR]',
  options: { ...TEXT_OPTIONS, json: { type: 'boolean' } },
  help: {
    ...textHelp(
      'a …ForSequenceClassification folder (wgpt train --task classify, or a Hugging Face one), or one on the Hub (ORG/NAME[@REV]); required',
      'one text to label',
      'texts to label: TSV/CSV with a header naming text (or sentence) and optionally label, JSONL, or one text per line; or a bundled set by name (nsmc-test)',
    ),
    json: ['', 'one JSON object per input: {"label", "score", "scores"}'],
  },
  async run(v) {
    const { rows, batch } = textRows(v);
    const gpu = await getGpu();
    const { model: loaded, tokenizer } = await loadModel(gpu, v.model as string, { tokenizer: v.tokenizer as string | undefined });
    if (!isSequenceClassifier(loaded)) throw new Error(`${v.model} holds a ${loaded.arch.hfArchitectures?.[0] ?? loaded.arch.name} model, not a sequence classifier (train one with wgpt train --task classify)`);
    const model = loaded as Model & SequenceClassifier;
    const disposeAdapter = applyAdapter(gpu, model, v.adapter);
    try {
      const c = model.config as { max_position_embeddings?: number; context_length?: number };
      const maxPos = c.max_position_embeddings ?? c.context_length ?? 512;
      const maxLen = num(v, 'max-length', Math.min(128, maxPos), { int: true, min: 1, max: maxPos });
      const enc = rowEncoder(tokenizer, maxLen, (model.config as { pad_token_id?: number }).pad_token_id);
      const labelled = rows.every((r) => r.label !== '');
      const gold = labelled ? rows.map((r, i) => labelSpace([r], model.labels).index(r.label, `--file row ${i + 1}`)) : [];
      const pred: number[] = [];
      const n = model.numLabels;
      for (let i = 0; i < rows.length; i += batch) {
        const part = rows.slice(i, i + batch);
        const b = padBatch(part.map((r) => enc.encode(r.text)), new Int32Array(part.length), enc.pad);
        const probs = await classifyBatch(model, b, model.arch.vocabSize(model.config));
        for (let r = 0; r < part.length; r++) {
          const p = probs.subarray(r * n, (r + 1) * n);
          let best = 0;
          for (let k = 1; k < n; k++) if (p[k] > p[best]) best = k;
          pred.push(best);
          if (v.json) console.log(JSON.stringify({ label: model.labels[best], score: p[best], scores: Object.fromEntries(model.labels.map((l, k) => [l, p[k]])) }));
          else console.log(`${model.labels[best]}\t${p[best].toFixed(4)}`);
        }
      }
      if (labelled && v.file !== undefined) {
        const right = pred.filter((p, i) => p === gold[i]).length;
        const line = `accuracy ${(100 * right / rows.length).toFixed(2)}% (${right}/${rows.length}), macro-F1 ${macroF1(pred, gold, n).toFixed(4)}`;
        if (v.json) console.error(`wgpt: ${line}`);
        else console.log(line);
      }
    } finally {
      disposeAdapter();
      model.dispose();
    }
  },
};
export default cmd;
