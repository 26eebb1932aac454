// The tokenize / batches / bpe-train commands as a user runs them (`wgpt …`, here in-process: test/cli-inproc.ts):
// course outputs, .bin round trip, a trained BPE file, and every bad input of issue #3 as a one-line error with a
// non-zero exit. No GPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBpeFile } from '../src/tokenizer/node.ts';
import { runCli } from './cli-inproc.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VERDICT = join(ROOT, 'src/data/the-verdict.txt');
const dir = mkdtempSync(join(tmpdir(), 'wgpt-cli-'));

/** The CLI in-process (test/cli-inproc.ts), from the repository root as a user runs it there. */
const wgpt = (...args: string[]) => runCli(args, ROOT);

const FIRST_BATCH = {
  x: [[40, 367, 2885, 1464], [1807, 3619, 402, 271], [10899, 2138, 257, 7026], [15632, 438, 2016, 257], [922, 5891, 1576, 438], [568, 340, 373, 645], [1049, 5975, 284, 502], [284, 3285, 326, 11]],
  y: [[367, 2885, 1464, 1807], [3619, 402, 271, 10899], [2138, 257, 7026, 15632], [438, 2016, 257, 922], [5891, 1576, 438, 568], [340, 373, 645, 1049], [5975, 284, 502, 284], [3285, 326, 11, 287]],
};

test('tokenize --ids / --count / --decode, batches, --write-bin → batches from the .bin, bpe-train', async () => {
  const bin = join(dir, 'verdict.bin');
  const bpe = join(dir, 'verdict-bpe.json');
  const [ids, count, batches, writeBin, train, decode] = await Promise.all([
    wgpt('tokenize', '--text', 'Hello, do you like tea? <|endoftext|> In the sunlit terracesof someunknownPlace.', '--allowed-special', 'all', '--ids'),
    wgpt('tokenize', '--count', VERDICT),
    wgpt('batches', '--data', VERDICT, '--max-length', '4', '--stride', '4', '--batch', '8', '--no-shuffle'),
    wgpt('tokenize', VERDICT, '--write-bin', bin),
    wgpt('bpe-train', '--vocab-size', '400', VERDICT, '--out', bpe),
    wgpt('tokenize', '--tokenizer', 'simple-v1', '--decode', '--text', '[1, 56, 2, 850, 988, 602, 533, 746, 5, 1126, 596, 5, 1, 67, 7, 38, 851, 1108, 754, 793, 7]'),
  ]);
  assert.is(ids.code, 0, ids.err);
  assert.is(ids.out, '[15496,11,466,345,588,8887,30,220,50256,554,262,4252,18250,8812,2114,1659,617,34680,27271,13]\n');
  assert.is(count.out, '5145\n');
  assert.is(batches.code, 0, batches.err);
  assert.equal(JSON.parse(batches.out), FIRST_BATCH);
  assert.is(writeBin.code, 0, writeBin.err);
  assert.match(writeBin.out, /^wrote 5145 tokens \(uint16, gpt2, vocab 50257\)/);
  assert.is(train.code, 0, train.err);
  assert.match(train.out, /learned 143 merges .* vocabulary 400/);
  assert.match(train.out, /round-trips/);
  assert.is(loadBpeFile(bpe).vocabSize, 400);
  assert.is(decode.out, '" It\' s the last he painted, you know," Mrs. Gisburn said with pardonable pride.\n');
  const [fromBin, own] = await Promise.all([
    wgpt('batches', '--data', bin, '--max-length', '4', '--stride', '4', '--batch', '8', '--no-shuffle', '--take', '2'),
    wgpt('tokenize', '--tokenizer', bpe, '--text', 'I HAD always thought', '--ids'),
  ]);
  const lines = fromBin.out.trim().split('\n');
  assert.is(lines.length, 2);
  assert.equal(JSON.parse(lines[0]), FIRST_BATCH);
  assert.is(own.code, 0, own.err);
  assert.equal(loadBpeFile(bpe).decode(JSON.parse(own.out)), 'I HAD always thought');
});

test('bad input: one-line error naming the problem, non-zero exit', async () => {
  const bad = join(dir, 'bad.txt');
  writeFileSync(bad, Uint8Array.of(0x48, 0x69, 0x20, 0xe2, 0x28, 0xa1));
  const empty = join(dir, 'empty.txt');
  writeFileSync(empty, '');
  const short = join(dir, 'short.txt');
  writeFileSync(short, 'only a few tokens here');
  const cases: [string[], RegExp][] = [
    [['tokenize', '--count', bad], /bad\.txt: invalid UTF-8 at byte offset 3/],
    [['batches', '--data', empty, '--max-length', '4', '--batch', '2'], /data file .*empty\.txt is empty/],
    [['batches', '--data', short, '--max-length', '10', '--batch', '1'], /has 5 tokens; a window of max_length 10 needs at least 11/],
    [['batches', '--data', VERDICT, '--max-length', '4', '--stride', '0', '--batch', '2'], /--stride must be a positive integer, got 0/],
    [['batches', '--data', VERDICT, '--max-length', '4', '--batch=0'], /--batch must be a positive integer, got 0/],
    [['tokenize', '--text', 'a <|endoftext|>', '--ids'], /special token <\|endoftext\|> at index 2, which is not allowed/],
    [['bpe-train', '--vocab-size', '300', empty, '--out', join(dir, 'x.json')], /corpus .*empty\.txt is empty/],
  ];
  const runs = await Promise.all(cases.map(([args]) => wgpt(...args)));
  runs.forEach((r, i) => {
    const [args, re] = cases[i];
    assert.ok(r.code !== 0, `${args.join(' ')} exited 0`);
    assert.is(r.out, '', args.join(' '));
    const lines = r.err.trim().split('\n');
    assert.is(lines.length, 1, `${args.join(' ')}: ${r.err}`);
    assert.match(lines[0], re);
  });
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
