// LoRA from the command line: `wgpt train --lora-r` writes a PEFT adapter folder (and nothing of the model), the
// loss falls, an interrupted LoRA run resumes exactly, `--adapter` works on generate and logits, and `wgpt merge`
// gives a plain folder whose logits equal the base + adapter's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getGpu } from '../src/gpu/device.ts';
import { runTraining, type RunOptions } from '../src/train/run.ts';
import { assertClose } from './helpers.ts';
import { runCli } from './cli-inproc.ts';

const VERDICT = fileURLToPath(new URL('../src/data/the-verdict.txt', import.meta.url));
const quiet = { say: () => {}, progress: false };
const tmp = mkdtempSync(join(tmpdir(), 'wgpt-ftcli-'));
const base = join(tmp, 'base');
const opts = (out: string, over: Partial<RunOptions> = {}): RunOptions => ({ data: VERDICT, tokenizer: 'simple-v2', preset: 'tiny', context: 16, batch: 4, steps: 3, lr: 3e-3, weightDecay: 0.1, seed: 5, shuffle: true, valFraction: 0.1, evalEvery: 0, evalBatches: 2, saveEvery: 0, out, ...over });

test.before(async () => {
  const gpu = await getGpu();
  const r = await runTraining(gpu, opts(base, { steps: 30 }), undefined, quiet);
  r.model.dispose();
});
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('wgpt train --lora-r: a PEFT adapter folder, the loss falls; generate and logits take --adapter; merge equals base + adapter', async () => {
  const ad = join(tmp, 'ad');
  const t = await runCli(['train', '--model', base, '--data', VERDICT, '--lora-r', '4', '--lora-alpha', '16', '--lora-targets', 'c_attn,c_proj', '--context', '16', '--batch', '4', '--steps', '20', '--lr', '1e-2', '--out', ad, '--lr-schedule', 'linear', '--warmup-steps', '2']);
  assert.is(t.code, 0, t.err);
  assert.match(t.out, /LoRA r 4, alpha 16 on 6 modules/); // tiny: 2 blocks × (attn.c_attn, attn.c_proj, mlp.c_proj)
  const files = readdirSync(ad).sort();
  assert.ok(files.includes('adapter_config.json') && files.includes('adapter_model.safetensors'), files.join(' '));
  assert.not.ok(files.includes('model.safetensors') || files.includes('config.json'), 'nothing of the model');
  const m = /loss ([\d.]+) → ([\d.]+)/.exec(t.out)!;
  assert.ok(Number(m[2]) < Number(m[1]), t.out);
  const g = await runCli(['generate', '--model', base, '--adapter', ad, '--prompt', 'I had', '--max-new-tokens', '4', '--temperature', '0']);
  assert.is(g.code, 0, g.err);
  const merged = join(tmp, 'merged');
  const mg = await runCli(['merge', '--model', base, '--adapter', ad, '--out', merged]);
  assert.is(mg.code, 0, mg.err);
  assert.match(mg.out, /merged 6 LoRA modules/);
  const l1 = await runCli(['logits', '--model', base, '--adapter', ad, '--ids', '1,5,9,30;2,7,7,3', '--out', join(tmp, 'a.bin')]);
  const l2 = await runCli(['logits', '--model', merged, '--ids', '1,5,9,30;2,7,7,3', '--out', join(tmp, 'b.bin')]);
  const l0 = await runCli(['logits', '--model', base, '--ids', '1,5,9,30;2,7,7,3', '--out', join(tmp, 'c.bin')]);
  assert.is(l1.code + l2.code + l0.code, 0, l1.err + l2.err + l0.err);
  const rd = (f: string) => { const b = readFileSync(join(tmp, f)); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };
  assertClose(rd('a.bin'), rd('b.bin'), { atol: 1e-4, rtol: 1e-4, name: 'adapter vs merged logits' });
  assert.ok(rd('a.bin').some((v, i) => Math.abs(v - rd('c.bin')[i]) > 1e-3), 'the adapter changes the logits');
});

test('a LoRA run stopped by its time budget resumes exactly; bad LoRA flags are one line', async () => {
  const gpu = await getGpu();
  const lo = { r: 2, alpha: 4, dropout: 0.1, targets: ['c_attn'], rslora: true };
  const full = await runTraining(gpu, opts(join(tmp, 'lf'), { model: base, preset: undefined, lora: lo, steps: 4 }), undefined, quiet);
  full.model.dispose();
  full.adapter!.dispose();
  const cut = await runTraining(gpu, opts(join(tmp, 'lc'), { model: base, preset: undefined, lora: lo, steps: 4, timeBudget: 1e-6 }), undefined, quiet);
  cut.model.dispose();
  cut.adapter!.dispose();
  assert.is(cut.steps, 1);
  const res = await runTraining(gpu, { ...opts(join(tmp, 'lc')), steps: undefined }, join(tmp, 'lc'), quiet);
  res.model.dispose();
  res.adapter!.dispose();
  assert.equal(res.train.map((p) => p.loss), full.train.map((p) => p.loss), 'bit-identical losses');
  const bad = await runCli(['train', '--model', base, '--data', VERDICT, '--lora-r', '2', '--lora-targets', 'c_fcc', '--out', join(tmp, 'x')]);
  assert.is(bad.code, 1);
  assert.match(bad.err, /LoRA target 'c_fcc' matches no linear module/);
  const noR = await runCli(['train', '--model', base, '--data', VERDICT, '--lora-alpha', '2', '--out', join(tmp, 'x')]);
  assert.is(noR.code, 2);
  assert.match(noR.err, /--lora-alpha sets up a LoRA adapter: give --lora-r R too/);
});

test.run();
