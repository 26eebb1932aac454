// Token files (issue #18): nanoGPT's headerless .bin read with --data-format uint16|uint32 (and a file without an
// llm.c header says so); training on token ids needs no tokenizer (ids checked against the model's vocab_size,
// the checkpoint notes it has none); a folder or a binary file given as text data gets one line naming what --data takes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getGpu } from '../src/gpu/device.ts';
import { readTokenFile, writeTokenFile } from '../src/data/node.ts';
import { runTraining, NO_TOKENIZER, type RunOptions } from '../src/train/run.ts';
import { checkpointTokenizerSpec } from '../src/hub/tokenizer-spec.ts';
import { runCli } from './cli-inproc.ts';

const FIX = fileURLToPath(new URL('./fixtures/gpt_small', import.meta.url)); // vocab 1000, context 32
const quiet = { say: () => {}, progress: false };
const ACCEPTS = '--data takes a UTF-8 text file or a token file (.bin with an llm.c header, or headerless with --data-format uint16|uint32)';

function throwsMsg(fn: () => unknown, expected: string | RegExp): void {
  try {
    fn();
  } catch (e) {
    const m = (e as Error).message;
    if (typeof expected === 'string') assert.is(m, expected);
    else assert.match(m, expected);
    return;
  }
  assert.unreachable(`expected an error ${expected}`);
}
async function rejectsMsg(p: Promise<unknown>, expected: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.is((e as Error).message, expected);
    return;
  }
  assert.unreachable(`expected an error ${expected}`);
}

const opts = (data: string, out: string, over: Partial<RunOptions> = {}): RunOptions => ({
  data, tokenizer: NO_TOKENIZER, model: FIX, context: 8, batch: 2, steps: 2, lr: 1e-3, weightDecay: 0, seed: 1,
  shuffle: false, valFraction: 0, evalEvery: 0, evalBatches: 0, saveEvery: 0, out, ...over,
});

test('headerless token files: --data-format uint16|uint32 reads them; without it the error says there is no llm.c header', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-raw-'));
  try {
    const ids = Array.from({ length: 600 }, (_, i) => (i * 37) % 1000);
    const u16 = join(tmp, 'train.bin'); // what nanoGPT's prepare.py writes: np.array(ids, dtype=np.uint16).tofile(...)
    writeFileSync(u16, new Uint8Array(Uint16Array.from(ids).buffer));
    const u32 = join(tmp, 'ids32.dat');
    writeFileSync(u32, new Uint8Array(Uint32Array.from(ids).buffer));
    assert.equal(Array.from(readTokenFile(u16, 'uint16')), ids);
    assert.equal(Array.from(readTokenFile(u32, 'uint32')), ids);
    throwsMsg(
      () => readTokenFile(u16),
      `${u16}: bad header (magic 2424832, version 7274570): no llm.c header (expected 20240520/1 for uint16 or 20240801/7 for uint32); a headerless token file such as nanoGPT's train.bin is read with --data-format uint16 (or uint32)`,
    );
    const short = join(tmp, 'short.bin');
    writeFileSync(short, new Uint8Array(Uint16Array.from(ids.slice(0, 300)).buffer));
    throwsMsg(() => readTokenFile(short), `${short}: 600 bytes is shorter than the 1024-byte header; not a .bin token file with an llm.c header (a headerless token file such as nanoGPT's train.bin is read with --data-format uint16 (or uint32))`);
    writeFileSync(join(tmp, 'odd.bin'), new Uint8Array(7));
    throwsMsg(() => readTokenFile(join(tmp, 'odd.bin'), 'uint16'), `${join(tmp, 'odd.bin')}: 7 bytes is not a whole number of uint16 tokens (2 bytes each)`);
    writeTokenFile(join(tmp, 'llmc.bin'), ids, 1000);
    throwsMsg(() => readTokenFile(join(tmp, 'llmc.bin'), 'uint32'), `${join(tmp, 'llmc.bin')} has an llm.c header: read it without --data-format (the header gives the width)`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('training on token ids needs no tokenizer: ids checked against the model, the checkpoint says it has none', async () => {
  const gpu = await getGpu();
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-ids-'));
  try {
    const data = join(tmp, 'train.bin');
    writeFileSync(data, new Uint8Array(Uint16Array.from({ length: 200 }, (_, i) => (i * 7) % 1000).buffer));
    // fine-tuning a 1000-id checkpoint on a headerless file: no tokenizer is loaded (gpt2's 50257 ids would not fit)
    const r = await runTraining(gpu, opts(data, join(tmp, 'run'), { dataFormat: 'uint16' }), undefined, quiet);
    assert.is(r.tokenizer, null);
    assert.is(r.train.length, 2);
    r.model.dispose();
    const run = JSON.parse(readFileSync(join(tmp, 'run', 'wgpt_run.json'), 'utf8'));
    assert.is(run.tokenizer, null);
    assert.is(run.note, `trained on token ids (${data}) without a tokenizer: give generate --tokenizer SPEC`);
    throwsMsg(() => checkpointTokenizerSpec(join(tmp, 'run')), `checkpoint ${join(tmp, 'run')} was trained on token ids and has no tokenizer: give --tokenizer SPEC`);
    // an id the model cannot embed is named with its position
    const bad = join(tmp, 'bad.bin');
    writeFileSync(bad, new Uint8Array(Uint16Array.from([1, 2, 3, 1000, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]).buffer));
    await rejectsMsg(runTraining(gpu, opts(bad, join(tmp, 'bad'), { dataFormat: 'uint16' }), undefined, quiet), `token id 1000 at position 3 of ${bad} is ≥ the model's vocab_size 1000`);
    // a fresh model on ids without a recorded vocabulary must be told its size
    await rejectsMsg(
      runTraining(gpu, opts(data, join(tmp, 'fresh'), { dataFormat: 'uint16', model: undefined, preset: 'tiny' }), undefined, quiet),
      `${data} records no vocabulary size (no llm.c header, or written without one): give --vocab-size N (50257 for GPT-2 ids) or --tokenizer SPEC`,
    );
    const fresh = await runTraining(gpu, opts(data, join(tmp, 'fresh'), { dataFormat: 'uint16', model: undefined, preset: 'tiny', vocabSize: 1000, steps: 1 }), undefined, quiet);
    assert.is(fresh.model.config.vocab_size, 1000);
    fresh.model.dispose();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a folder or a binary file as text data: one line saying what --data takes', async () => {
  const gpu = await getGpu();
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-notext-'));
  try {
    mkdirSync(join(tmp, 'corpus'));
    const st = join(FIX, 'model.safetensors');
    const latin1 = join(tmp, 'latin1.txt');
    writeFileSync(latin1, Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    const text = { tokenizer: 'gpt2', model: undefined, preset: 'tiny' };
    await rejectsMsg(runTraining(gpu, opts(join(tmp, 'corpus'), join(tmp, 'o1'), text), undefined, quiet), `${join(tmp, 'corpus')} is a folder; ${ACCEPTS}`);
    await rejectsMsg(runTraining(gpu, opts(st, join(tmp, 'o2'), text), undefined, quiet), `${st} is binary, not text (a NUL byte at offset 2); ${ACCEPTS}`);
    await rejectsMsg(runTraining(gpu, opts(latin1, join(tmp, 'o3'), text), undefined, quiet), `${latin1}: invalid UTF-8 at byte offset 3 (bytes e9 0a); ${ACCEPTS}`);
    // and from the CLI (in-process: test/cli-inproc.ts): one line, exit 1
    const r = await runCli(['train', '--data', join(tmp, 'corpus'), '--preset', 'tiny']);
    assert.is(r.code, 1);
    assert.is(r.err, `wgpt train: ${join(tmp, 'corpus')} is a folder; ${ACCEPTS}\n`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
