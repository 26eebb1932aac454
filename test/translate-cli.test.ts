// `wgpt translate` and `wgpt logits --decoder-ids` on the course's PyTorch-made seq2seq folders: the CLI prints
// PyTorch's greedy and beam-search ids and writes PyTorch's teacher-forced logits; bad input ends with one line and exit 1/2.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSafetensors } from '../src/io/safetensors.ts';
import { assertClose, report } from './helpers.ts';
import { runCli } from './cli-inproc.ts';

const DIR = fileURLToPath(new URL('./fixtures/seq2seq_attn_lstm', import.meta.url));
const ref = parseSafetensors(new Uint8Array(readFileSync(join(DIR, 'ref.safetensors')))).tensors;
const R = (k: string) => ref.get(k)!;

// in-process (test/cli-inproc.ts): one device and its compiled pipelines for every case
const run = runCli;

const rowsOf = (t: { shape: number[]; data: ArrayLike<number> }, lens?: number[]) =>
  Array.from({ length: t.shape[0] }, (_, b) => Array.from(t.data).slice(b * t.shape[1], b * t.shape[1] + (lens ? lens[b] : t.shape[1])));

test('translate --ids --json: PyTorch greedy ids; --show-attention writes an SVG; logits --decoder-ids: PyTorch logits', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'wgpt-tr-'));
  try {
    const lens = Array.from(R('lengths').data as ArrayLike<number>);
    const src = rowsOf(R('src'), lens);
    const want = rowsOf(R('greedy_ids'));
    const svg = join(tmp, 'a.svg');
    const r = await run(['translate', '--model', DIR, '--ids', src.map((x) => x.join(',')).join(';'), '--max-new-tokens', '10', '--json', '--show-attention', svg]);
    assert.is(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { ids: number[][] };
    // no row meets the end token within 10 steps: each is the start token + 10 tokens, PyTorch's exactly
    assert.equal(j.ids, want);
    const s = readFileSync(svg, 'utf8');
    assert.match(s, /^<svg/);
    assert.is((s.match(/<rect class="cell" /g) ?? []).length, 10 * lens[0], 'one cell per (generated token, source token)');
    // beam search with 3 beams: PyTorch's ids under the model's rule (test/fixtures/course_beam.py: the course's beam
    // search, the rnn-seq2seq default; Hugging Face's rules are checked in rnn-seq2seq.test.ts)
    const rb = await run(['translate', '--model', DIR, '--ids', src.map((x) => x.join(',')).join(';'), '--max-new-tokens', '10', '--num-beams', '3', '--json']);
    assert.is(rb.code, 0, rb.err);
    assert.equal((JSON.parse(rb.out) as { ids: number[][] }).ids, rowsOf(R('course_beam3_ids')));
    const out = join(tmp, 'l.bin');
    const tgt = rowsOf(R('tgt_in'));
    const l = await run(['logits', '--model', DIR, '--ids', src.map((x) => x.join(',')).join(';'), '--decoder-ids', tgt.map((x) => x.join(',')).join(';'), '--out', out]);
    assert.is(l.code, 0, l.err);
    const b = readFileSync(out);
    report('translate-cli logits file', assertClose(new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4), R('logits').data as Float32Array, { atol: 1e-4, rtol: 1e-4, name: 'logits --decoder-ids' }));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('bad input: one line naming the problem', async () => {
  const cases: [string[], RegExp, number][] = [
    [['translate', '--model', DIR, '--ids', '5,99'], /^wgpt translate: --ids: id 99 \(row 1, item 2\) is out of range \[0, 23\)$/, 1],
    [['translate', '--model', DIR, '--text', 'hello'], /has no tokenizer \(wgpt_run\.json, or source\.spm \+ target\.spm \+ vocab\.json\); give the source as --ids$/, 1],
    [['translate', '--model', DIR, '--ids', '5,6', '--num-beams', '2', '--no-cache'], /^wgpt translate: wgpt-rnn-seq2seq models have no KV cache to turn off/, 1],
    [['logits', '--model', DIR, '--ids', '5,6', '--out', '/tmp/x.bin'], /is an encoder–decoder \(wgpt-rnn-seq2seq\): give the decoder's input as --decoder-ids/, 2],
    [['logits', '--model', DIR, '--ids', '5,6', '--decoder-ids', '1,23', '--out', '/tmp/x.bin'], /decoder id 23 at position 1 is out of range \[0, 23\)/, 1],
  ];
  for (const [args, re, code] of cases) {
    const r = await run(args);
    assert.is(r.code, code, `${args.join(' ')}: exit ${r.code}, stderr ${r.err}`);
    const line = r.err.split('\n').filter((x) => x.startsWith('wgpt '))[0] ?? '';
    assert.match(line, re, `${args.join(' ')}: ${r.err}`);
  }
});

test.run();
