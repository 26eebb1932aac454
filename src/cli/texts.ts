// What `wgpt classify` and `wgpt embed` share: a model, texts from --text or --file (a table, JSONL, plain lines, or a
// bundled set by name), batches of --batch texts cut at --max-length tokens, a tokenizer and an adapter.
import { readFileSync, existsSync } from 'node:fs';
import { UsageError, num, type Options, type FlagHelp } from './command.js';
import { resolveCorpus } from '../data/corpora.js';
import { parseLabelled, type LabelledRow } from '../train/tasks.js';
import { ADAPTER_OPTION, ADAPTER_HELP } from './adapter.js';

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

/** The options both commands take, and their help lines (`model` and `file` worded by the command). */
export const TEXT_OPTIONS: Options = { model: { type: 'string' }, text: { type: 'string' }, file: { type: 'string' }, batch: { type: 'string' }, 'max-length': { type: 'string' }, tokenizer: { type: 'string' }, ...ADAPTER_OPTION };

export function textHelp(model: string, text: string, file: string): Record<string, FlagHelp> {
  return {
    model: ['DIR|NAME', model],
    text: ['"…"', text],
    file: ['FILE', file],
    batch: ['B', 'texts per forward pass', '32'],
    'max-length': ['N', 'tokens per text (longer ones are cut)', '128 or the model\'s positions'],
    tokenizer: ['SPEC', 'tokenizer', "the folder's own"],
    ...ADAPTER_HELP,
  };
}

/** --model required, one of --text / --file; the rows (labels '' where there are none) and --batch. */
export function textRows(v: Record<string, unknown>): { rows: LabelledRow[]; batch: number } {
  if (!v.model) throw new UsageError('--model is required');
  if ((v.text === undefined) === (v.file === undefined)) throw new UsageError('give --text or --file (one of them)');
  const batch = num(v, 'batch', 32, { int: true, min: 1 });
  return { rows: v.text !== undefined ? [{ text: v.text as string, label: '' }] : readTexts(resolveCorpus(v.file as string)), batch };
}
