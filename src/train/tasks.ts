// Fine-tuning tasks' data (browser-safe: text in, batches out): labelled rows for sequence classification (TSV/CSV
// with a header naming `text` (or `sentence`, NSMC's `document`) and `label`, or JSON lines with those keys; labels
// are names or ids), padded per batch with an attention mask; accuracy and macro-F1; instruction data in the Alpaca
// layout (instruction, input, output) formatted with the course book's prompt, the prompt tokens masked out of the
// loss (ignore index −100), padded per batch. Leaves out: sentence pairs, multi-label rows, chat templates.
import { noGrad, IdBatch } from '../autograd/tensor.js';
import { softmax } from '../ops/softmax.js';
import { crossEntropy } from '../ops/loss.js';
import { shuffledOrder } from '../data/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import type { BatchSource, Model, SequenceClassifier, TrainingData } from '../model/model.js';
import type { ClassificationBatch } from '../model/heads.js';
import type { LMBatch } from '../model/gpt.js';

export interface LabelledRow {
  text: string;
  /** as written in the file ('' when the file has no label column) */
  label: string;
}

/** RFC 4180 fields of CSV text (quotes, doubled quotes, newlines inside quotes). */
function csvRecords(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      out.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (quoted) throw new Error('a quoted CSV field is not closed');
  if (field !== '' || row.length) {
    row.push(field);
    out.push(row);
  }
  return out.filter((r) => !(r.length === 1 && r[0] === ''));
}

const TEXT_KEYS = ['text', 'sentence', 'document'];

/**
 * Labelled rows of a data file: JSON lines (.jsonl/.json: {"text"|"sentence", "label"}), CSV (.csv) or TSV (anything
 * else) with a header row. `needLabels`: every row must have a label (training); otherwise a file without a label
 * column gives rows with label ''. Errors are one line naming the file, line and field.
 */
export function parseLabelled(text: string, path: string, needLabels: boolean): LabelledRow[] {
  const rows: LabelledRow[] = [];
  if (/\.jsonl?$/i.test(path)) {
    const lines = text.split(/\r?\n/);
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch (e) {
        throw new Error(`${path}:${i + 1} is not JSON (${(e as Error).message.split('\n')[0]})`);
      }
      const key = TEXT_KEYS.find((k) => typeof o?.[k] === 'string');
      if (!key) throw new Error(`${path}:${i + 1} has no "text" (or "sentence") string`);
      const l = o.label;
      if (l === undefined || l === null) {
        if (needLabels) throw new Error(`${path}:${i + 1} has no "label"`);
      } else if (typeof l !== 'string' && !(typeof l === 'number' && Number.isInteger(l))) throw new Error(`${path}:${i + 1}: "label" must be a name or an integer id, got ${JSON.stringify(l)}`);
      rows.push({ text: o[key] as string, label: l === undefined || l === null ? '' : String(l) });
    });
  } else {
    const csv = /\.csv$/i.test(path);
    const recs = csv ? csvRecords(text) : text.split(/\r?\n/).filter((l) => l.length).map((l) => l.split('\t'));
    if (!recs.length) throw new Error(`${path} is empty`);
    const head = recs[0].map((h) => h.trim().toLowerCase());
    const ti = head.findIndex((h) => TEXT_KEYS.includes(h));
    const li = head.indexOf('label');
    if (ti < 0) throw new Error(`${path}: the header row (${recs[0].join(csv ? ',' : '\\t')}) names no "text" (or "sentence") column`);
    if (li < 0 && needLabels) throw new Error(`${path}: the header row (${recs[0].join(csv ? ',' : '\\t')}) names no "label" column`);
    for (let r = 1; r < recs.length; r++) {
      const f = recs[r];
      if (f.length !== head.length) throw new Error(`${path}:${r + 1} has ${f.length} ${csv ? 'fields' : 'tab-separated fields'}, the header has ${head.length}`);
      const label = li >= 0 ? f[li].trim() : '';
      if (needLabels && label === '') throw new Error(`${path}:${r + 1} has an empty label`);
      rows.push({ text: f[ti], label });
    }
  }
  if (!rows.length) throw new Error(`${path} has no rows`);
  return rows;
}

/**
 * The label space of training rows: integer labels 0…n−1 are ids (names LABEL_i, Hugging Face's default); any
 * other labels are names, sorted, numbered in that order. With `known` (a classifier's id2label), the rows'
 * labels must be among its names (or be its ids).
 */
export function labelSpace(rows: readonly LabelledRow[], known?: readonly string[]): { labels: string[]; index: (label: string, where?: string) => number } {
  const seen = [...new Set(rows.map((r) => r.label))];
  const ints = seen.every((l) => /^\d+$/.test(l));
  let labels: string[];
  if (known) labels = [...known];
  else if (ints) {
    const n = Math.max(...seen.map(Number)) + 1;
    labels = Array.from({ length: Math.max(n, 2) }, (_, i) => `LABEL_${i}`);
  } else labels = seen.sort();
  const byName = new Map(labels.map((l, i) => [l, i]));
  const index = (l: string, where = 'a row') => {
    const i = byName.get(l) ?? (/^\d+$/.test(l) && Number(l) < labels.length && (ints || known) ? Number(l) : undefined);
    if (i === undefined) throw new Error(`${where} has label '${l}', which is not one of the model's ${labels.length} labels (${labels.join(', ')})`);
    return i;
  };
  for (const r of rows) index(r.label);
  if (labels.length < 2) throw new Error(`classification needs at least 2 labels; the data has only ${JSON.stringify(seen)}`);
  return { labels, index };
}

/**
 * How texts become id rows: [CLS] text [SEP] for an encoder's tokenizer, the plain ids for GPT-2's (padded with the
 * config's pad_token_id when it has one, else end-of-text); pad id.
 */
export function rowEncoder(tok: Tokenizer, maxLen: number, padId?: number): { encode: (text: string) => number[]; pad: number } {
  const s = tok.specialTokens ?? {};
  const pair = s['[CLS]'] !== undefined && s['[SEP]'] !== undefined ? [s['[CLS]'], s['[SEP]'], s['[PAD]'] ?? 0] : s['<s>'] !== undefined && s['</s>'] !== undefined && s['<pad>'] !== undefined ? [s['<s>'], s['</s>'], s['<pad>']] : null;
  if (maxLen < (pair ? 3 : 1)) throw new Error(`rows of ${maxLen} tokens are too short`);
  if (pair) {
    const [cls, sep, pad] = pair;
    return { encode: (t) => [cls, ...tok.encode(t).slice(0, maxLen - 2), sep], pad };
  }
  const pad = padId ?? tok.eotId ?? 0;
  return {
    encode: (t) => {
      const ids = tok.encode(t).slice(0, maxLen);
      return ids.length ? ids : [pad];
    },
    pad,
  };
}

/** Rows padded per batch to the batch's longest, with a 0/1 mask. */
export function padBatch(rows: readonly number[][], labels: ArrayLike<number>, pad: number): ClassificationBatch {
  const B = rows.length;
  const T = Math.max(...rows.map((r) => r.length));
  const ids = new Int32Array(B * T).fill(pad);
  const attentionMask = new Uint8Array(B * T);
  rows.forEach((r, b) => {
    ids.set(r, b * T);
    attentionMask.fill(1, b * T, b * T + r.length);
  });
  return { ids, attentionMask, labels: Int32Array.from(labels), B, T };
}

function classificationSource(rows: number[][], labels: Int32Array, o: { batch: number; seed: number; shuffle: boolean; pad: number }): BatchSource<ClassificationBatch> {
  const numBatches = Math.floor(rows.length / o.batch) || (rows.length ? 1 : 0);
  return {
    numBatches,
    batch(i, epoch) {
      const order = o.shuffle ? shuffledOrder(rows.length, o.seed, epoch) : null;
      const idx = Array.from({ length: Math.min(o.batch, rows.length - i * o.batch) }, (_, k) => (order ? order[i * o.batch + k] : i * o.batch + k));
      return padBatch(idx.map((j) => rows[j]), idx.map((j) => labels[j]), o.pad);
    },
    tokens: (b) => {
      let n = 0;
      for (let i = 0; i < b.attentionMask.length; i++) n += b.attentionMask[i];
      return n;
    },
  };
}

/**
 * Training data of the classification task: `rows` (a held-out split from `valRows`, or the last valFraction of
 * `rows` after a seeded shuffle). Training batches: whole batches only (drop_last), re-shuffled every epoch.
 */
export function prepareClassification(
  rows: readonly LabelledRow[],
  valRows: readonly LabelledRow[] | null,
  tok: Tokenizer,
  labelIndex: (l: string, where?: string) => number,
  o: { batch: number; maxLen: number; seed: number; shuffle: boolean; valFraction: number; path: string; valPath?: string; padId?: number },
): TrainingData<ClassificationBatch> {
  const enc = rowEncoder(tok, o.maxLen, o.padId);
  let train = [...rows];
  let val = valRows ? [...valRows] : [];
  if (!valRows && o.valFraction > 0) {
    const order = shuffledOrder(rows.length, o.seed, 0x5e1);
    const nVal = Math.max(1, Math.floor(rows.length * o.valFraction));
    val = Array.from(order.slice(rows.length - nVal), (i) => rows[i]);
    train = Array.from(order.slice(0, rows.length - nVal), (i) => rows[i]);
  }
  if (train.length < o.batch) throw new Error(`${o.path}: ${train.length} training rows are fewer than one batch of ${o.batch}`);
  const ids = (rs: LabelledRow[]) => rs.map((r) => enc.encode(r.text));
  const lab = (rs: LabelledRow[], where: string) => Int32Array.from(rs, (r, i) => labelIndex(r.label, `${where} row ${i + 1}`));
  const trainIds = ids(train);
  const trainSrc = classificationSource(trainIds, lab(train, o.path), { batch: o.batch, seed: o.seed, shuffle: o.shuffle, pad: enc.pad });
  const valSrc = val.length ? classificationSource(ids(val), lab(val, o.valPath ?? o.path), { batch: o.batch, seed: 0, shuffle: false, pad: enc.pad }) : null;
  const counts = new Map<number, number>();
  for (const r of val) counts.set(labelIndex(r.label), (counts.get(labelIndex(r.label)) ?? 0) + 1);
  const majority = val.length ? Math.max(...counts.values()) / val.length : NaN;
  const truncated = trainIds.filter((r) => r.length >= o.maxLen).length;
  const notes = val.length ? [`wgpt: held-out: ${val.length} rows; majority-class baseline accuracy ${(100 * majority).toFixed(1)}%`] : ['wgpt: no held-out rows; no validation metrics'];
  if (truncated) notes.push(`wgpt: ${truncated} of ${train.length} training rows cut to ${o.maxLen} tokens`);
  return {
    train: trainSrc,
    val: valSrc,
    summary: `${train.length} training rows, ${val.length} held-out rows${o.valPath ? ` (${o.valPath})` : ''}, ≤ ${o.maxLen} tokens per row, ${trainSrc.numBatches} batches of ${o.batch} per epoch`,
    notes,
  };
}

/** Macro-F1: the mean over labels of 2·P·R/(P + R) (0 for a label never predicted nor present: scikit-learn's zero_division=0). */
export function macroF1(pred: ArrayLike<number>, gold: ArrayLike<number>, n: number): number {
  let sum = 0;
  for (let c = 0; c < n; c++) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < gold.length; i++) {
      if (pred[i] === c && gold[i] === c) tp++;
      else if (pred[i] === c) fp++;
      else if (gold[i] === c) fn++;
    }
    sum += tp ? (2 * tp) / (2 * tp + fp + fn) : 0;
  }
  return sum / n;
}

/** Class probabilities [B, n] (softmax of the classifier's logits) for a padded batch; no graph. */
export async function classifyBatch(model: Model & SequenceClassifier, b: ClassificationBatch, vocab: number): Promise<Float32Array> {
  return model.gpu.scope(() =>
    noGrad(async () => {
      const logits = model.classify(IdBatch.from(model.gpu, b.ids, [b.B, b.T], vocab), b.attentionMask);
      return softmax(logits).toArray();
    }),
  );
}

/** Held-out loss (mean cross-entropy over rows), accuracy and macro-F1 of a classifier. */
export async function evaluateClassifier(model: Model & SequenceClassifier, batches: Iterable<ClassificationBatch>, vocab: number): Promise<{ loss: number; accuracy: number; macroF1: number; n: number }> {
  const n = model.numLabels;
  const pred: number[] = [];
  const gold: number[] = [];
  let lossSum = 0;
  for (const b of batches) {
    const [probs, loss] = await model.gpu.scope(() =>
      noGrad(async () => {
        const logits = model.classify(IdBatch.from(model.gpu, b.ids, [b.B, b.T], vocab), b.attentionMask);
        return [await softmax(logits).toArray(), await crossEntropy(logits, b.labels).item()] as const;
      }),
    );
    lossSum += loss * b.B;
    for (let r = 0; r < b.B; r++) {
      let best = 0;
      for (let c = 1; c < n; c++) if (probs[r * n + c] > probs[r * n + best]) best = c;
      pred.push(best);
      gold.push(b.labels[r]);
    }
  }
  const right = pred.filter((p, i) => p === gold[i]).length;
  return { loss: lossSum / gold.length, accuracy: right / gold.length, macroF1: macroF1(pred, gold, n), n: gold.length };
}

// ---------------------------------------------------------------------------------------------------------------
// Instruction data (Alpaca layout)

export interface InstructionRow {
  instruction: string;
  input: string;
  output: string;
}

/** The course book's (ch. 7) Alpaca prompt: the part the model reads (the response follows it). */
export function formatPrompt(r: Pick<InstructionRow, 'instruction' | 'input'>): string {
  const head = `Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\n${r.instruction}`;
  return head + (r.input ? `\n\n### Input:\n${r.input}` : '') + '\n\n### Response:\n';
}

/** Alpaca rows from a JSON array or JSON lines; one-line errors naming the entry and the key. */
export function parseInstructions(text: string, path: string): InstructionRow[] {
  const t = text.trim();
  let items: unknown[];
  if (t.startsWith('[')) {
    try {
      items = JSON.parse(t) as unknown[];
    } catch (e) {
      throw new Error(`${path} is not a JSON array (${(e as Error).message.split('\n')[0]})`);
    }
  } else {
    items = t.split(/\r?\n/).filter((l) => l.trim()).map((l, i) => {
      try {
        return JSON.parse(l) as unknown;
      } catch (e) {
        throw new Error(`${path}:${i + 1} is not JSON (${(e as Error).message.split('\n')[0]})`);
      }
    });
  }
  if (!items.length) throw new Error(`${path} has no entries`);
  return items.map((o, i) => {
    const r = o as Record<string, unknown>;
    for (const k of ['instruction', 'output']) if (typeof r?.[k] !== 'string') throw new Error(`${path}: entry ${i + 1} has no "${k}" string (Alpaca layout: instruction, input, output)`);
    if (r.input !== undefined && typeof r.input !== 'string') throw new Error(`${path}: entry ${i + 1}: "input" must be a string`);
    return { instruction: r.instruction as string, input: (r.input as string | undefined) ?? '', output: r.output as string };
  });
}

/**
 * One training row: prompt + response (+ end-of-text), x = ids[0..n−2], y = ids[1..n−1] with the prompt's positions
 * −100 (masked out of the loss), cut to `maxLen`.
 */
export function instructionIds(tok: Tokenizer, r: InstructionRow, maxLen: number): { x: number[]; y: number[] } {
  const prompt = tok.encode(formatPrompt(r));
  const resp = tok.encode(r.output);
  const all = [...prompt, ...resp, ...(tok.eotId !== undefined ? [tok.eotId] : [])].slice(0, maxLen + 1);
  const x = all.slice(0, -1);
  const y = all.slice(1).map((id, i) => (i + 1 < prompt.length ? -100 : id));
  return { x, y };
}

/** LM batches of instruction rows padded per batch (x with end-of-text, y with −100). */
export function prepareInstructions(rows: readonly InstructionRow[], tok: Tokenizer, o: { batch: number; maxLen: number; seed: number; shuffle: boolean; valFraction: number; path: string }): TrainingData<LMBatch> {
  const pad = tok.eotId ?? 0;
  const enc = rows.map((r) => instructionIds(tok, r, o.maxLen));
  const usable = enc.filter((e) => e.y.some((v) => v !== -100));
  if (usable.length < enc.length && !usable.length) throw new Error(`${o.path}: every prompt fills the ${o.maxLen} tokens; no response token is left to learn`);
  const nVal = o.valFraction > 0 ? Math.max(1, Math.floor(usable.length * o.valFraction)) : 0;
  const train = usable.slice(0, usable.length - nVal);
  const val = usable.slice(usable.length - nVal);
  if (train.length < o.batch) throw new Error(`${o.path}: ${train.length} training entries are fewer than one batch of ${o.batch}`);
  const source = (es: typeof usable, shuffle: boolean): BatchSource<LMBatch> => ({
    numBatches: Math.floor(es.length / o.batch) || (es.length ? 1 : 0),
    batch(i, epoch) {
      const order = shuffle ? shuffledOrder(es.length, o.seed, epoch) : null;
      const idx = Array.from({ length: Math.min(o.batch, es.length - i * o.batch) }, (_, k) => (order ? order[i * o.batch + k] : i * o.batch + k));
      const T = Math.max(...idx.map((j) => es[j].x.length));
      const x = new Int32Array(idx.length * T).fill(pad);
      const y = new Int32Array(idx.length * T).fill(-100);
      idx.forEach((j, b) => {
        x.set(es[j].x, b * T);
        y.set(es[j].y, b * T);
      });
      return { x, y, B: idx.length, T };
    },
    tokens: (b) => b.y.reduce((a, v) => a + (v !== -100 ? 1 : 0), 0),
  });
  const skipped = enc.length - usable.length;
  return {
    train: source(train, o.shuffle),
    val: val.length ? source(val, false) : null,
    summary: `${train.length} instruction entries, ${val.length} held out, ≤ ${o.maxLen} tokens each (prompt tokens masked out of the loss), ${Math.floor(train.length / o.batch)} batches of ${o.batch} per epoch`,
    notes: skipped ? [`wgpt: ${skipped} entries left out: their prompts fill all ${o.maxLen} tokens`] : [],
  };
}
