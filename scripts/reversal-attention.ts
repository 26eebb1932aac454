// Redraws bench/results/reversal-attention.svg from the saved LSTM + Luong reversal model (bench/results/
// reversal-lstm-luong/, written by bench/reversal.ts) without retraining: greedy decoding of one 12-syllable sequence,
// the attention of every output step over the source, labelled with the model's syllables (its vocab.txt).
// Run: node --import ./src/register.mjs scripts/reversal-attention.ts [IDS]. Leaves out: the held-out test split
// (bench/reversal.ts draws the map on one of those when it trains; this takes a fixed sequence).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getGpu } from '../src/gpu/device.ts';
import { loadCheckpoint } from '../src/hub/folder.ts';
import type { Seq2SeqModel } from '../src/model/rnn-seq2seq.ts';
import { attentionSvg } from '../src/train/attention-plot.ts';

const DIR = fileURLToPath(new URL('../bench/results/reversal-lstm-luong', import.meta.url));
const src = (process.argv[2] ?? '3,1,4,1,5,9,2,6,5,3,5,8').split(',').map(Number);
const vocab = readFileSync(join(DIR, 'vocab.txt'), 'utf8').split('\n');
const gpu = await getGpu();
const ck = loadCheckpoint(DIR);
const cfg = ck.config as { end_id: number };
const m = ck.arch.create(gpu, ck.config, ck.params) as unknown as Seq2SeqModel;
const g = await m.greedy(src, [src.length], src.length, src.length + 1);
const label = (id: number) => (id === cfg.end_id ? '</s>' : id < vocab.length && vocab[id] ? vocab[id] : String(id));
const out = join(DIR, '..', 'reversal-attention.svg');
writeFileSync(out, attentionSvg(g.attention!, g.ids[0].slice(1, 1 + g.steps).map(label), src.map(label), 'LSTM + Luong attention: a 12-syllable sequence and its reversal'));
console.log(`${g.ids[0].slice(1, 1 + g.steps).map(label).join(' ')} → ${out}`);
process.exit(0);
