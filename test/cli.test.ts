// CLI error paths (issue #7): unknown flags, missing files, unreadable folders, bad ids and shapes
// end with a one-line message (plus the usage line for flag errors) and a non-zero exit. The cases run in-process
// (test/cli-inproc.ts: main's exit code and output, one device for all); one spawned run checks that the process
// exits with main's code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWgpt } from './helpers.ts';
import { runCli } from './cli-inproc.ts';

const FIX = fileURLToPath(new URL('./fixtures/gpt_small', import.meta.url));

const run = runCli;

test('bad invocations: one line naming the problem (usage line for flag errors), non-zero exit', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-cli-'));
  try {
    mkdirSync(join(tmp, 'empty-folder'));
    writeFileSync(join(tmp, 'garbage', ), 'not a folder');
    mkdirSync(join(tmp, 'bad-ck'));
    writeFileSync(join(tmp, 'bad-ck', 'config.json'), '{"model_type": "gpt2", "n_embd": 8');
    mkdirSync(join(tmp, 'llama'));
    writeFileSync(join(tmp, 'llama', 'config.json'), '{"model_type": "llama", "hidden_size": 8}');
    const cases: [string[], number, RegExp][] = [
      [['frobnicate'], 2, /^wgpt: unknown command 'frobnicate'/],
      [['train', '--data', 'x.txt', '--bogus'], 2, /^wgpt train: Unknown option '--bogus'\nusage: wgpt train /],
      [['train', '--data', join(tmp, 'missing.txt'), '--steps', '1'], 1, /^wgpt train: data file .*missing\.txt does not exist$/],
      [['train', '--data', 'x.txt', '--batch', 'three'], 2, /--batch must be a number, got 'three'/],
      [['train', '--resume', join(tmp, 'empty-folder'), '--lr', '1'], 2, /only --steps, --epochs, --out, --log and --time-budget may be given/],
      [['train', '--resume', join(tmp, 'empty-folder')], 1, /has no training state|has no config\.json/],
      [['train', '--data', 'x.txt', '--arch', 'lstm'], 2, /^wgpt train: unknown architecture 'lstm' \(architectures: gpt2.*\)\nusage: /],
      [['train', '--data', 'x.txt', '--arch', 'gpt2', '--model', join(tmp, 'bad-ck')], 2, /--arch chooses the architecture of a fresh model; --model .* has its own/],
      [['generate', '--model', join(tmp, 'llama'), '--prompt', 'hi'], 1, /^wgpt generate: .*config\.json: model_type is "llama"; wgpt reads model_type .*"gpt2"/],
      [['generate', '--model', join(tmp, 'nope'), '--prompt', 'hi'], 1, /^wgpt generate: checkpoint folder .*nope does not exist$/],
      [['generate', '--model', join(tmp, 'garbage'), '--prompt', 'hi'], 1, /is not a folder/],
      [['generate', '--model', join(tmp, 'empty-folder'), '--prompt', 'hi'], 1, /has no config\.json/],
      [['generate', '--model', join(tmp, 'bad-ck'), '--prompt', 'hi'], 1, /config\.json is not valid JSON/],
      [['generate', '--prompt', 'hi'], 2, /--model is required/],
      [['logits', '--model', FIX, '--ids', '1,2;3', '--out', join(tmp, 'l.bin')], 2, /row 2 has 1 ids, row 1 has 2/],
      [['logits', '--model', FIX, '--ids', '1,2,1000', '--out', join(tmp, 'l.bin')], 1, /token id 1000 at position 2 is out of range \[0, 1000\)/],
      [['logits', '--model', FIX, '--ids', Array(33).fill(1).join(','), '--out', join(tmp, 'l.bin')], 1, /sequence of 33 tokens is longer than the model's context_length 32/],
      [['bench', 'nosuchsuite'], 2, /unknown suite 'nosuchsuite'/],
    ];
    for (const [args, code, re] of cases) {
      const r = await run(args);
      assert.is(r.code, code, `wgpt ${args.join(' ')} → exit ${r.code}: ${r.err}`);
      assert.match(r.err.trim(), re, `wgpt ${args.join(' ')}`);
      if (code === 1) assert.is(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
    }
    // the process itself: its exit code and stderr are main's
    const p = await runWgpt(['train', '--data', 'x.txt', '--batch', 'three']);
    assert.is(p.code, 2);
    assert.match(p.err, /^wgpt train: --batch must be a number, got 'three'\nusage: wgpt train /);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('logits writes raw float32 (B, T, V) and prints the shape', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-cli-'));
  try {
    const r = await run(['logits', '--model', FIX, '--ids', '1,2,3;4,5,6', '--out', join(tmp, 'l.bin')]);
    assert.is(r.code, 0, r.err);
    assert.match(r.out, /logits \[2, 3, 1000\] float32/);
    const { statSync } = await import('node:fs');
    assert.is(statSync(join(tmp, 'l.bin')).size, 2 * 3 * 1000 * 4);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
