// Beam search's end-token rules on host-only step functions (issue #25: RNN/LSTM beam search ran to the maximum length
// where greedy stopped at the end token). A step function whose next-token distribution depends only on the last
// token (a Markov table) makes every case exact: the course's rule (the RNN models' default) finishes a beam at EOS,
// stops when all beams have finished or none can still win, and with one beam is the greedy loop; Hugging Face's rule
// is kept for Marian (and on request). The GPU models are checked against PyTorch in rnn-seq2seq.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { beamSearch, greedySearch, type Seq2SeqStep, type Seq2SeqGenerateOptions } from '../src/model/seq2seq-generate.ts';
import { rng } from './helpers.ts';

const PAD = 0, START = 1, EOS = 2;

/** A step function from a table of next-token probabilities by last token (rows: V probabilities); counts its calls. */
function markov(table: Record<number, number[]>, V: number) {
  const calls = { n: 0 };
  const step: Seq2SeqStep = async (ids) => {
    calls.n++;
    const out = new Float32Array(ids.length * V);
    ids.forEach((row, r) => {
      const p = table[row[row.length - 1]] ?? new Array(V).fill(1 / V);
      for (let v = 0; v < V; v++) out[r * V + v] = Math.log(p[v]);
    });
    return out;
  };
  return { step, calls };
}

const base: Seq2SeqGenerateOptions = { decoderStartId: START, eosId: EOS, padId: PAD, maxLength: 30, forcedEos: false };

// V = 6. From the start: 3 (0.6), 4 (0.3), 5 (0.1). After 3 the model ends (EOS 0.9); after 4 or 5 it repeats the
// token almost surely and practically never ends: the other beams loop while the best one has ended.
const t = 1e-7;
const LOOPS = {
  [START]: [t, t, t, 0.6, 0.3, 0.1 - 4 * t],
  3: [t, t, 0.9, 0.1 - 3 * t, t, t],
  4: [t, t, 1e-6, t, 1 - 4 * t - 1e-6, t],
  5: [t, t, 1e-6, t, t, 1 - 4 * t - 1e-6],
};

test('greedy stops at the end token; the course rule answers what greedy answers, where Hugging Face rules run to the cap', async () => {
  const g = markov(LOOPS, 6);
  const greedy = await greedySearch(g.step, 1, base);
  assert.equal(greedy.sequences, [[START, 3, EOS]]);
  assert.is(g.calls.n, 2);

  // Hugging Face's rule: the ended beam leaves the beam, the loops take its slots, no source ever has 3 finished
  // hypotheses, and at max_length the loops' length-normalised score beats the short one
  const h = markov(LOOPS, 6);
  const hf = await beamSearch(h.step, 1, { ...base, numBeams: 3, beamRule: 'hf' });
  assert.is(h.calls.n, base.maxLength - 1, 'hf: runs to max_length');
  assert.is(hf.sequences[0].length, base.maxLength);
  assert.is(hf.sequences[0][1], 4, `hf: the loop wins (${hf.sequences[0].slice(0, 6).join(',')}…)`);

  // the course's rule: the ended beam keeps its slot; the answer is the finished beam, as greedy's
  const c = markov(LOOPS, 6);
  const course = await beamSearch(c.step, 1, { ...base, numBeams: 3, beamRule: 'course' });
  assert.equal(course.sequences, [[START, 3, EOS]]);
  assert.ok(Math.abs(course.scores![0] - Math.log(0.6 * 0.9) / 2) < 1e-6, `score ${course.scores![0]}`);
  // with length_penalty 1 a loop could still end with a better average (up to max_length), so the search goes on;
  // with early stopping, or with length_penalty 0 (where no live beam can catch up), it stops at once, like greedy
  for (const o of [{ earlyStopping: true }, { lengthPenalty: 0 }]) {
    const c2 = markov(LOOPS, 6);
    const r = await beamSearch(c2.step, 1, { ...base, numBeams: 3, beamRule: 'course', ...o });
    assert.equal(r.sequences, [[START, 3, EOS]], JSON.stringify(o));
    assert.is(c2.calls.n, 2, `${JSON.stringify(o)}: stops when greedy does`);
  }
  console.log(`  greedy: 2 steps; hf rule: ${h.calls.n} steps → ${hf.sequences[0].slice(0, 5).join(',')}…; course rule: ${c.calls.n} steps → ${course.sequences[0].join(',')} (2 with early stopping or length_penalty 0)`);
});

test('beams that emit the end token finish; the search stops when every beam has finished, long before the cap', async () => {
  // every path ends within a few tokens: after 3 EOS 0.9; after 4: 3 or EOS; after 5: 4 or EOS
  const table = {
    [START]: [t, t, t, 0.6, 0.3, 0.1 - 4 * t],
    3: [t, t, 0.9, 0.1 - 3 * t, t, t],
    4: [t, t, 0.5, 0.5 - 4 * t, t, t],
    5: [t, t, 0.4, t, 0.6 - 4 * t, t],
  };
  const m = markov(table, 6);
  const r = await beamSearch(m.step, 1, { ...base, numBeams: 3, beamRule: 'course' });
  console.log(`  3 beams: ${m.calls.n} steps (cap ${base.maxLength}) → ${JSON.stringify(r.sequences[0])}, score ${r.scores![0].toFixed(4)}`);
  assert.ok(m.calls.n <= 4, `${m.calls.n} steps`);
  assert.equal(r.sequences, [[START, 3, EOS]]);
});

test('the course rule with one beam is the greedy loop (random tables, batches of 3)', async () => {
  const V = 7;
  for (let seed = 1; seed <= 20; seed++) {
    const r = rng(seed);
    const table: Record<number, number[]> = {};
    for (let a = 0; a < V; a++) {
      const w = Array.from({ length: V }, () => r() ** 3 + 1e-3);
      const s = w.reduce((x, y) => x + y, 0);
      table[a] = w.map((x) => x / s);
    }
    // three sources: the first token of each row picks a different start context
    const mk = () => {
      const m = markov(table, V);
      const step: Seq2SeqStep = (ids, reorder) => m.step(ids.map((row, i) => (row.length === 1 ? [3 + (i % 3)] : row)), reorder);
      return { step, m };
    };
    const g = mk();
    const b = mk();
    const o = { ...base, maxLength: 12 };
    const greedy = await greedySearch(g.step, 3, o);
    const beam1 = await beamSearch(b.step, 3, { ...o, numBeams: 1, beamRule: 'course' });
    assert.equal(beam1.sequences, greedy.sequences, `seed ${seed}`);
    assert.is(b.m.calls.n, g.m.calls.n, `seed ${seed}: same number of steps`);
  }
});

test('bad beam rule: one line', async () => {
  const m = markov(LOOPS, 6);
  await beamSearch(m.step, 1, { ...base, numBeams: 2, beamRule: 'nucleus' as 'hf' }).then(
    () => assert.unreachable('accepted'),
    (e: Error) => assert.is(e.message, "generate: beam rule must be 'hf' or 'course', got 'nucleus'"),
  );
});

test.run();
