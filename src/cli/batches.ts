// `wgpt batches`: the sliding-window batches a training run would see, one JSON object per line: {"x": [[…]], "y": [[…]]}.
// Leaves out: the validation split (batches of the whole file are shown).
import { statSync } from 'node:fs';
import { RAW_TOKEN_FORMATS, type RawTokenFormat } from '../data/tokenfile.js';
import { type Command, UsageError, num } from './command.js';
import { tokenizerFromSpec, parseAllowedSpecial } from '../tokenizer/node.js';
import { readTokenFile, tokenizeFile } from '../data/node.js';
import { BatchLoader } from '../data/index.js';
import { resolveCorpus } from '../data/corpora.js';

/** A value error (not a syntax error): one line, exit 1. */
function positive(x: number, flag: string): number {
  if (x <= 0) throw new Error(`--${flag} must be a positive integer, got ${x}`);
  return x;
}

const cmd: Command = {
  summary: 'print sliding-window (x, y) batches of a text or .bin file as JSON lines',
  usage:
    'wgpt batches --data FILE [--data-format uint16|uint32] [--tokenizer gpt2|wgpt-gpt2|simple-v1|simple-v2|BPE.json] [--vocab-from CORPUS] --max-length N [--stride S] --batch B ' +
    '[--no-shuffle] [--seed 123] [--epoch 0] [--take 1] [--keep-last]   (stride defaults to max-length; special tokens in the data are encoded)',
  options: {
    data: { type: 'string' },
    'data-format': { type: 'string' },
    tokenizer: { type: 'string' },
    'vocab-from': { type: 'string' },
    'allowed-special': { type: 'string' },
    'max-length': { type: 'string' },
    stride: { type: 'string' },
    batch: { type: 'string' },
    'no-shuffle': { type: 'boolean' },
    seed: { type: 'string' },
    epoch: { type: 'string' },
    take: { type: 'string' },
    'keep-last': { type: 'boolean' },
  },
  help: {
    data: ['FILE', 'text (UTF-8) or .bin token file'],
    'data-format': ['uint16|uint32', 'read --data as a headerless token file of this width (nanoGPT\'s train.bin: uint16)', 'llm.c header'],
    tokenizer: ['SPEC', 'gpt2, wgpt-gpt2 (same ids, our encoder), simple-v1, simple-v2, or a wgpt BPE file', 'gpt2'],
    'vocab-from': ['CORPUS', 'text the simple-* vocabulary is built from', '--data'],
    'allowed-special': ['all|TOK,…', 'special tokens encoded as their ids', 'all'],
    'max-length': ['N', 'tokens per window (T); required'],
    stride: ['S', 'distance between window starts', '--max-length'],
    batch: ['B', 'windows per batch; required'],
    'no-shuffle': ['', 'windows in order (default: shuffled per epoch)'],
    seed: ['N', 'shuffle seed', '123'],
    epoch: ['E', 'which epoch\'s order to print', '0'],
    take: ['K', 'how many batches to print', '1'],
    'keep-last': ['', 'keep a last batch shorter than B (default: dropped, as the course does)'],
  },
  async run(v) {
    const data = v.data === undefined ? undefined : resolveCorpus(v.data as string);
    if (!data) throw new UsageError('--data FILE is required');
    const maxLength = positive(num(v, 'max-length', undefined, { int: true }), 'max-length');
    const stride = positive(num(v, 'stride', maxLength, { int: true }), 'stride');
    const batchSize = positive(num(v, 'batch', undefined, { int: true }), 'batch');
    const seed = num(v, 'seed', 123, { int: true });
    const epoch = num(v, 'epoch', 0, { int: true, min: 0 });
    const take = num(v, 'take', 1, { int: true, min: 1 });
    let size: number;
    try {
      size = statSync(data).size;
    } catch {
      throw new Error(`cannot read data file ${data}: no such file`);
    }
    if (size === 0) throw new Error(`data file ${data} is empty`);
    let ids: Int32Array | Uint16Array | Uint32Array;
    const format = v['data-format'] as RawTokenFormat | undefined;
    if (format !== undefined && !RAW_TOKEN_FORMATS.includes(format)) throw new UsageError(`--data-format must be uint16 or uint32, got '${format}'`);
    if (data.endsWith('.bin') || format) {
      if (v.tokenizer !== undefined || v['vocab-from'] !== undefined) throw new UsageError('a .bin file is already tokenized: --tokenizer / --vocab-from do not apply');
      ids = readTokenFile(data, format);
    } else {
      const tok = tokenizerFromSpec(v.tokenizer as string | undefined, { vocabFrom: v['vocab-from'] === undefined ? undefined : resolveCorpus(v['vocab-from'] as string), fallbackCorpus: data });
      const parts: number[][] = [];
      tokenizeFile(data, tok, { allowedSpecial: parseAllowedSpecial(v['allowed-special'] as string | undefined, 'all'), onIds: (x) => parts.push(x) });
      ids = Int32Array.from(parts.flat());
    }
    if (ids.length === 0) throw new Error(`data file ${data} has no tokens`);
    const loader = new BatchLoader(ids, { maxLength, stride, batchSize, shuffle: !v['no-shuffle'], seed, dropLast: !v['keep-last'] });
    if (loader.numBatches === 0) {
      throw new Error(`${ids.length} tokens give ${loader.numWindows} windows of max-length ${maxLength} (stride ${stride}), fewer than one batch of ${batchSize}; lower --batch or pass --keep-last`);
    }
    const n = Math.min(take, loader.numBatches);
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      const b = loader.batch(i, epoch);
      const rows = (a: Int32Array) => Array.from({ length: b.B }, (_, r) => Array.from(a.subarray(r * b.T, (r + 1) * b.T)));
      lines.push(JSON.stringify({ x: rows(b.x), y: rows(b.y) }));
    }
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};
export default cmd;
