// `wgpt classify`: a sequence classifier's label and probability for each text (--text, or the rows of --file:
// TSV/CSV with a text column, JSONL, or plain lines), with accuracy and macro-F1 when the file has labels.
import { resolveCorpus } from '../data/corpora.js';
import { readFileSync, existsSync } from 'node:fs';
import { type Command, UsageError, num } from './command.js';
import { getGpu } from '../gpu/device.js';
import { loadModel } from '../hub/node.js';
import { isSequenceClassifier, type Model, type SequenceClassifier } from '../model/model.js';
import { parseLabelled, labelSpace, rowEncoder, padBatch, classifyBatch, macroF1, type LabelledRow } from '../train/tasks.js';
import { ADAPTER_OPTION, ADAPTER_HELP, applyAdapter } from './adapter.js';

/** --file rows: a table or JSONL with a text column (labels optional), else one text per non-empty line. */
export function readTexts(path: string): LabelledRow[] {
  if (!existsSync(path)) throw new Error(`--file ${path} does not exist`);
  const text = readFileSync(path, 'utf8');
  const first = text.split(/\r?\n/, 1)[0] ?? '';
  const table = /\.(jsonl?|csv)$/i.test(path) || /^(.*\t)?(text|sentence|document)(\t.*)?$/i.test(first.trim());
  if (table) return parseLabelled(text, path, false);
  const rows = text.split(/\r?\n/).filter((l) => l.trim()).map((l) => ({ text: l, label: '' }));
  if (!rows.length) throw new Error(`--file ${path} has no text`);
  return rows;
}

const cmd: Command = {
  summary: 'label texts with a sequence classifier: label and probability per line; accuracy and macro-F1 for labelled files',
  usage: 'wgpt classify --model DIR|NAME (--text "…" | --file FILE) [--json] [--batch 32] [--max-length N] [--tokenizer SPEC] [--adapter DIR]',
  options: { model: { type: 'string' }, text: { type: 'string' }, file: { type: 'string' }, json: { type: 'boolean' }, batch: { type: 'string' }, 'max-length': { type: 'string' }, tokenizer: { type: 'string' }, ...ADAPTER_OPTION },
  help: {
    model: ['DIR|NAME', 'a …ForSequenceClassification folder (wgpt train --task classify, or a Hugging Face one), or one on the Hub (ORG/NAME[@REV]); required'],
    text: ['"…"', 'one text to label'],
    file: ['FILE', 'texts to label: TSV/CSV with a header naming text (or sentence) and optionally label, JSONL, or one text per line; or a bundled set by name (nsmc-test)'],
    json: ['', 'one JSON object per input: {"label", "score", "scores"}'],
    batch: ['B', 'texts per forward pass', '32'],
    'max-length': ['N', 'tokens per text (longer ones are cut)', '128 or the model\'s positions'],
    tokenizer: ['SPEC', 'tokenizer', "the folder's own"],
    ...ADAPTER_HELP,
  },
  async run(v) {
    if (!v.model) throw new UsageError('--model is required');
    if ((v.text === undefined) === (v.file === undefined)) throw new UsageError('give --text or --file (one of them)');
    const batch = num(v, 'batch', 32, { int: true, min: 1 });
    const rows: LabelledRow[] = v.text !== undefined ? [{ text: v.text as string, label: '' }] : readTexts(resolveCorpus(v.file as string));
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
