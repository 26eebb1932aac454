// RoBERTa and DistilBERT through the same commands as BERT: `wgpt train --arch roberta|distilbert` (the shared runner,
// BERT's masked-LM data hook with each family's special tokens), the folder loads back as the same architecture,
// `wgpt fill-mask` and `wgpt logits` read it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getGpu } from '../src/gpu/device.ts';
import { runTraining } from '../src/train/run.ts';
import { loadCheckpoint } from '../src/hub/folder.ts';
import { trainWordPiece } from '../src/tokenizer/wordpiece-train.ts';
import { wordPieceToHfJson } from '../src/tokenizer/hf-json.ts';
import { runCli } from './cli-inproc.ts';

const KO = fileURLToPath(new URL('../src/data/debian-faq-ko.txt', import.meta.url));
const RENAME: [string, string][] = [['[CLS]', '<s>'], ['[SEP]', '</s>'], ['[PAD]', '<pad>'], ['[MASK]', '<mask>'], ['[UNK]', '<unk>']];

for (const [arch, mask] of [['distilbert', '[MASK]'], ['roberta', '<mask>']] as const) {
  test(`train --arch ${arch}: loss falls; the folder loads back, fills ${mask} and writes logits`, async () => {
    const gpu = await getGpu();
    const tmp = mkdtempSync(join(tmpdir(), `wgpt-${arch}-`));
    try {
      const text = readFileSync(KO, 'utf8').split('\n').slice(0, 80).join('\n');
      const data = join(tmp, 'ko.txt');
      writeFileSync(data, text);
      let json = wordPieceToHfJson(trainWordPiece(text, { vocabSize: 400 }).tokenizer);
      if (arch === 'roberta') for (const [a, b] of RENAME) json = json.split(JSON.stringify(a)).join(JSON.stringify(b));
      const tokenizer = join(tmp, 'tokenizer.json');
      writeFileSync(tokenizer, json);
      const out = join(tmp, 'run');
      const r = await runTraining(
        gpu,
        { data, tokenizer, arch, preset: 'tiny', context: 20, batch: 4, steps: 14, lr: 3e-3, weightDecay: 0.01, seed: 5, shuffle: true, valFraction: 0, evalEvery: 0, evalBatches: 1, saveEvery: 0, out },
        undefined,
        { say: () => {}, progress: false },
      );
      const first = r.train.slice(0, 3).reduce((a, p) => a + p.loss, 0) / 3;
      const last = r.train.slice(-3).reduce((a, p) => a + p.loss, 0) / 3;
      assert.ok(last < first - 0.3, `MLM loss should fall: ${first.toFixed(3)} → ${last.toFixed(3)}`);
      r.model.dispose();
      const ck = loadCheckpoint(out);
      assert.is(ck.arch.name, arch);
      const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
      assert.is(cfg.model_type, arch);
      const fm = await runCli(['fill-mask', '--model', out, '--tokenizer', tokenizer, '--text', `서버 ${mask} 설정`, '--top-k', '3', '--json']);
      assert.is(fm.code, 0, fm.err);
      const res = JSON.parse(fm.out) as { candidates: { prob: number }[] }[];
      assert.is(res.length, 1);
      assert.is(res[0].candidates.length, 3);
      assert.ok(res[0].candidates.every((c, i) => c.prob > 0 && c.prob <= 1 && (i === 0 || c.prob <= res[0].candidates[i - 1].prob)));
      const lg = await runCli(['logits', '--model', out, '--ids', '5,6,7;8,9,1', '--attention-mask', '1,1,1;1,1,0', '--out', join(tmp, 'l.bin')]);
      assert.is(lg.code, 0, lg.err);
      assert.match(lg.out, new RegExp(`logits \\[2, 3, ${cfg.vocab_size}\\] float32 little-endian \\(masked-LM scores`));
      assert.is(readFileSync(join(tmp, 'l.bin')).length, 2 * 3 * cfg.vocab_size * 4);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}

test.run();
