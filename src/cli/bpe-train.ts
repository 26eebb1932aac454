// `wgpt bpe-train`: learn a byte-level BPE from a corpus and save it as a wgpt-bpe file (atomic write), then reload
// the written file and check that it round-trips the corpus. Leaves out: training on several files at once.
import { statSync } from 'node:fs';
import { type Command, UsageError, num } from './command.js';
import { trainBpe } from '../tokenizer/index.js';
import { loadBpeFile, saveBpeFile } from '../tokenizer/node.js';
import { readTextFileStrict } from '../data/node.js';
import { ProgressBar } from '../util/progress.js';
import { resolveCorpus } from '../data/corpora.js';

const cmd: Command = {
  summary: 'learn a byte-level BPE (GPT-2 pre-tokenization) from a corpus and save it (wgpt-bpe JSON)',
  usage: 'wgpt bpe-train --vocab-size N CORPUS --out FILE [--special "<|endoftext|>"[,…]] [--min-frequency 2] [--name NAME]',
  options: {
    'vocab-size': { type: 'string' },
    out: { type: 'string' },
    special: { type: 'string' },
    'min-frequency': { type: 'string' },
    name: { type: 'string' },
  },
  help: {
    'vocab-size': ['N', 'ids in the learned vocabulary (256 bytes + merges + specials); required'],
    out: ['FILE', 'where to write the wgpt-bpe JSON file; required'],
    special: ['TOK,…', 'special tokens ("" for none)', '<|endoftext|>'],
    'min-frequency': ['N', 'stop merging below this pair count', '2'],
    name: ['NAME', 'name stored in the file', 'the corpus file name'],
  },
  positionals: true,
  async run(v, pos) {
    if (pos.length !== 1) throw new UsageError(pos.length ? `one CORPUS file, got ${pos.length}` : 'CORPUS file is required');
    const out = v.out as string | undefined;
    if (!out) throw new UsageError('--out FILE is required');
    const vocabSize = num(v, 'vocab-size', undefined, { int: true, min: 1 });
    const minFrequency = num(v, 'min-frequency', 2, { int: true, min: 1 });
    const special = v.special === undefined ? ['<|endoftext|>'] : (v.special as string) === '' ? [] : (v.special as string).split(',');
    const corpusPath = resolveCorpus(pos[0]);
    let size: number;
    try {
      size = statSync(corpusPath).size;
    } catch {
      throw new Error(`cannot read corpus ${corpusPath}: no such file`);
    }
    if (size === 0) throw new Error(`corpus ${corpusPath} is empty`);
    const corpus = readTextFileStrict(corpusPath);
    const target = vocabSize - 256 - special.length;
    const bar = new ProgressBar(Math.max(1, target));
    const t0 = performance.now();
    const r = trainBpe(corpus, { vocabSize, special, minFrequency, name: (v.name as string) ?? corpusPath.split('/').pop(), onProgress: (m) => bar.update(m, { merges: String(m) }) });
    bar.done();
    const secs = (performance.now() - t0) / 1000;
    saveBpeFile(out, r.bpe, (v.name as string) ?? corpusPath.split('/').pop());
    const back = loadBpeFile(out);
    const ids = back.encode(corpus, { allowedSpecial: 'all' });
    if (back.decode(ids) !== corpus) throw new Error(`the written BPE does not round-trip ${corpusPath} (a bug: please report)`);
    console.log(`learned ${r.merges} merges from ${r.totalWords} pre-tokens (${r.uniqueWords} distinct) in ${secs.toFixed(2)} s; vocabulary ${r.bpe.vocabSize}${r.stoppedEarly ? ` (stopped early: no pair occurs ${minFrequency}+ times)` : ''}`);
    console.log(`${corpusPath}: ${new TextEncoder().encode(corpus).length} bytes → ${ids.length} tokens (${(new TextEncoder().encode(corpus).length / Math.max(1, ids.length)).toFixed(2)} bytes/token), round-trips`);
    console.log(`wrote ${out}`);
    return 0;
  },
};
export default cmd;
