// `wgpt fill-mask` and `wgpt logits` on the Hugging Face-layout BERT folders of gen_bert.py: probabilities equal
// PyTorch's, vocab.txt and tokenizer.json folders tokenize alike, several masks, raw (B, T, V) logits with masks and
// token types, and the one-line errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSafetensors } from '../src/io/safetensors.ts';
import { assertClose, FIXTURES, report } from './helpers.ts';
import { runCli } from './cli-inproc.ts';

const DIR = join(FIXTURES, 'bert_tiny');
const ref = parseSafetensors(new Uint8Array(readFileSync(join(DIR, 'ref.safetensors')))).tensors;

// in-process (test/cli-inproc.ts): one device and its compiled pipelines for every case
const run = runCli;

type Json = { position: number; candidates: { id: number; token: string; prob: number; sequence: string }[] }[];

const topProbs = (name: string, k: number, n: number) => {
  const row = ref.get(`${name}_probs`)!.data.subarray(k * 333, (k + 1) * 333);
  const ids = Array.from(row.keys()).sort((a, b) => row[b] - row[a]).slice(0, n);
  return { ids, probs: ids.map((i) => row[i]) };
};

test('fill-mask: two masks (vocab.txt folder, --json) and one (tokenizer.json folder) give PyTorch probabilities', async () => {
  const r = await run(['fill-mask', '--model', DIR, '--text', 'I [MASK] to [MASK].', '--top-k', '3', '--json']);
  assert.is(r.code, 0, r.err);
  const res = JSON.parse(r.out) as Json;
  const ids = Array.from(ref.get('fill2_ids')!.ints!);
  assert.equal(res.map((x) => x.position), ids.flatMap((id, i) => (id === 103 ? [i] : [])), 'mask positions');
  res.forEach((m, k) => {
    const want = topProbs('fill2', k, 3);
    assert.equal(m.candidates.map((c) => c.id), want.ids);
    report('bert fill-mask CLI probabilities', assertClose(m.candidates.map((c) => c.prob), want.probs, { atol: 1e-5, rtol: 1e-4 }));
    for (const c of m.candidates) assert.ok(!c.sequence.includes('[MASK]') || c.token === '[MASK]', c.sequence);
  });
  assert.match(r.err, /skipped 5 tensors of the model file \(.*bert\.pooler\.dense\.weight/);
  // the same weights with a tokenizer.json instead of vocab.txt: same tokens, printed as the course does
  const plain = await run(['fill-mask', '--model', join(FIXTURES, 'bert_tiny_noprefix'), '--text', 'I [MASK] to school.', '--top-k', '2']);
  assert.is(plain.code, 0, plain.err);
  const want = topProbs('fill1', 0, 2);
  assert.match(plain.out, new RegExp(`^\\[MASK\\] 1 of 1 \\(token 2\\):\\n  ${want.probs[0].toFixed(4)}  \\S+ +I .* to school\\.\\n  ${want.probs[1].toFixed(4)}  `));
});

test('logits: raw float32 (B, T, V) with --attention-mask and --token-type-ids equal PyTorch at real positions', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-bert-cli-'));
  try {
    const ids = ref.get('input_ids')!.ints!;
    const tt = ref.get('token_type_ids')!.ints!;
    const am = ref.get('attention_mask')!.ints!;
    const [B, T] = ref.get('input_ids')!.shape;
    const rows = (a: Int32Array) => Array.from({ length: B }, (_, b) => Array.from(a.subarray(b * T, (b + 1) * T)).join(',')).join(';');
    const out = join(tmp, 'l.bin');
    const r = await run(['logits', '--model', DIR, '--ids', rows(ids), '--attention-mask', rows(am), '--token-type-ids', rows(tt), '--out', out]);
    assert.is(r.code, 0, r.err);
    const got = new Float32Array(readFileSync(out).buffer.slice(0));
    assert.is(got.length, B * T * 333);
    const want = ref.get('logits')!.data;
    const pick = (x: Float32Array) => Array.from(am).flatMap((m, i) => (m ? Array.from(x.subarray(i * 333, (i + 1) * 333)) : []));
    report('bert logits CLI', assertClose(pick(got), pick(want), { atol: 1e-4, rtol: 0 }));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('bad input: no [MASK], token type ≥ type_vocab_size, mask of the wrong length, a GPT folder → one line, exit 1', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-bert-cli-'));
  try {
    const cases: [string[], RegExp, number?][] = [
      [['fill-mask', '--model', DIR, '--text', 'I went to school.'], /^wgpt fill-mask: the text has no \[MASK\] token to fill/],
      [['logits', '--model', DIR, '--ids', '101,5,102', '--token-type-ids', '0,2,0', '--out', join(tmp, 'a')], /^wgpt logits: token type id 2 at position 1 is out of range \[0, 2\) \(type_vocab_size 2\)$/],
      [['logits', '--model', DIR, '--ids', '101,5,102', '--attention-mask', '1,1', '--out', join(tmp, 'a')], /^wgpt logits: --attention-mask: row 1 has 2 entries, --ids row 1 has 3$/, 2],
      [['logits', '--model', join(FIXTURES, 'gpt_small'), '--ids', '1,2', '--attention-mask', '1,1', '--out', join(tmp, 'a')], /^wgpt logits: --attention-mask is not an input of a gpt2 model \(it takes ids only\)$/],
      [['logits', '--model', join(FIXTURES, 'gpt_small'), '--ids', '1,2', '--token-type-ids', '0,0', '--out', join(tmp, 'a')], /^wgpt logits: --token-type-ids is not an input of a gpt2 model \(it takes ids only\)$/],
      [['fill-mask', '--model', join(FIXTURES, 'gpt_small'), '--text', 'a [MASK]'], /^wgpt fill-mask: .*gpt_small holds a gpt2 model; this command needs a BERT/],
    ];
    for (const [args, re, code] of cases) {
      const r = await run(args);
      assert.is(r.code, code ?? 1, `${args.join(' ')}: ${r.err}`);
      const lines = r.err.trim().split('\n').filter((l) => !/^(wgpt: (no GPU adapter|skipped)|usage: )/.test(l));
      assert.is(lines.length, 1, r.err);
      assert.match(lines[0], re);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
