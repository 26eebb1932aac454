// `wgpt train` for the encoder–decoders (issue #14 item 4, #16 item 5), through the CLI on a small reversal TSV in a
// temp folder: rnn-seq2seq (--cell lstm --attention luong, sizes by flag) and marian (--preset tiny, --label-smoothing); loss falls, the
// checkpoint reloads with the same held-out loss, `wgpt translate --ids` reads the rnn-seq2seq folder, --resume and
// --model continue; inapplicable flags and bad TSV lines end in one line. Leaves out: long runs (bench/reversal.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getGpu } from '../src/gpu/device.ts';
import { IdBatch, noGrad } from '../src/autograd/tensor.ts';
import { loadCheckpoint } from '../src/hub/folder.ts';
import { rnnSeq2seq, type Seq2SeqConfig } from '../src/model/rnn-seq2seq.ts';
import { marian, type Marian, type MarianConfig } from '../src/model/marian.ts';
import { padPairs } from '../src/data/pairs.ts';
import { crossEntropyRef } from '../src/ref/loss.ts';
import { greedySearch } from '../src/model/seq2seq-generate.ts';
import { checkArchOptions, type Architecture, type DataSource } from '../src/model/model.ts';
import { ARCHITECTURES } from '../src/model/architectures.ts';
import { Trainer } from '../src/train/trainer.ts';
import { runTraining, type RunOptions } from '../src/train/run.ts';
import { loadTokenizerSpec } from '../src/hub/tokenizer-spec.ts';
import { runCli } from './cli-inproc.ts';

const gpu = await getGpu();
const tmp = mkdtempSync(join(tmpdir(), 'wgpt-s2s-'));
const LETTERS = 'abcdefgh'.split('');

/** 96 pairs "x y z" → "z y x" (2–5 letters, seeded), one per line. */
function reversalTsv(): string {
  let s = 12345;
  const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const lines: string[] = [];
  for (let i = 0; i < 96; i++) {
    const w = Array.from({ length: 2 + Math.floor(r() * 4) }, () => LETTERS[Math.floor(r() * LETTERS.length)]);
    lines.push(`${w.join(' ')}\t${[...w].reverse().join(' ')}`);
  }
  return lines.join('\n') + '\n';
}
const DATA = join(tmp, 'pairs.tsv');
writeFileSync(DATA, reversalTsv());

// the CLI in-process (test/cli-inproc.ts): one device and its compiled pipelines for every run
const wgpt = (args: string[]) => runCli(args);

const logOf = (f: string) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; loss?: number; val_loss?: number });
const stepLosses = (f: string) => logOf(f).filter((e) => e.loss !== undefined).map((e) => e.loss!);
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;

/** The held-out loss of the saved folder, computed again from the file (the run's own split, tokenizer and batches). */
async function reloadedValLoss(dir: string, valFraction: number, batch: number): Promise<number> {
  const ck = loadCheckpoint(dir);
  const tok = loadTokenizerSpec('simple-v2', { checkpointDir: dir });
  const src: DataSource = { path: DATA, tokenizer: tok, ids: () => Int32Array.from(tok.encode(readFileSync(DATA, 'utf8'))), text: () => readFileSync(DATA, 'utf8') };
  const data = ck.arch.data.prepare(src, ck.config, { batch, shuffle: true, seed: 123, valFraction });
  const model = ck.arch.create(gpu, ck.config, ck.params);
  const tr = new Trainer(model, { lr: 0, weightDecay: 0, seed: 0 });
  const n = data.val!.numBatches;
  const { loss } = await tr.evaluateMetrics(Array.from({ length: n }, (_, i) => data.val!.batch(i, 0)));
  tr.optimizer.dispose();
  model.dispose();
  return loss;
}

const COMMON = ['--data', DATA, '--tokenizer', 'simple-v2', '--batch', '8', '--val-fraction', '0.1'];

test('train --arch rnn-seq2seq --cell lstm --attention luong: loss falls, the folder reloads, translate reads it, --resume and --model continue', async () => {
  const dir = join(tmp, 'lstm');
  const log = join(tmp, 'lstm.jsonl');
  const r = await wgpt(['train', '--arch', 'rnn-seq2seq', '--cell', 'lstm', '--attention', 'luong', '--embedding-dim', '16', '--hidden-size', '24', '--num-layers', '1', ...COMMON, '--steps', '30', '--lr', '1e-2', '--grad-clip', '1', '--out', dir, '--log', log]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /LSTM encoder–decoder \+ Luong attention, 1 layer, embedding 16, hidden 24/);
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Seq2SeqConfig & { model_type: string };
  assert.equal([cfg.model_type, cfg.cell, cfg.attention, cfg.embedding_dim, cfg.hidden_size, cfg.num_layers], ['wgpt-rnn-seq2seq', 'lstm', 'luong-general', 16, 24, 1]);
  const losses = stepLosses(log);
  const first = mean(losses.slice(0, 3));
  const last = mean(losses.slice(-3));
  console.log(`  rnn-seq2seq lstm+luong: loss ${first.toFixed(3)} → ${last.toFixed(3)} in ${losses.length} steps`);
  assert.ok(last < 0.75 * first, `loss did not fall: ${first} → ${last}`);
  assert.ok(existsSync(join(dir, 'loss.svg')) && existsSync(join(dir, 'training_state.json')) && existsSync(join(dir, 'vocab.json')));
  // round trip: the reloaded folder gives the run's last held-out loss
  const val = logOf(log).filter((e) => e.val_loss !== undefined).pop()!.val_loss!;
  const again = await reloadedValLoss(dir, 0.1, 8);
  console.log(`  reloaded held-out loss ${again.toFixed(6)} vs the run's ${val.toFixed(6)} (|diff| ${Math.abs(again - val).toExponential(2)})`);
  assert.ok(Math.abs(again - val) <= 1e-5 + 1e-5 * Math.abs(val), `reloaded ${again} vs ${val}`);
  // translate: ids begin with the start token and stay in the vocabulary
  const tok = loadTokenizerSpec('simple-v2', { checkpointDir: dir });
  const ids = tok.encode('a b c d');
  const t = await wgpt(['translate', '--model', dir, '--ids', ids.join(','), '--json', '--max-new-tokens', '8']);
  assert.is(t.code, 0, t.err);
  const j = JSON.parse(t.out) as { ids: number[][]; text: string[] };
  assert.is(j.ids[0][0], cfg.start_id);
  assert.ok(j.ids[0].length >= 2 && j.ids[0].every((v) => v >= 0 && v < cfg.vocab_size), `ids ${j.ids[0]}`);
  const tt = await wgpt(['translate', '--model', dir, '--text', 'a b c d']);
  assert.is(tt.code, 0, tt.err);
  console.log(`  translate --ids ${ids.join(',')}: ${JSON.stringify(j.ids[0])}; --text "a b c d" → "${tt.out.trim()}"`);
  // --resume continues the same run to a new total
  const res = await wgpt(['train', '--resume', dir, '--steps', '33']);
  assert.is(res.code, 0, res.err);
  assert.is((JSON.parse(readFileSync(join(dir, 'training_state.json'), 'utf8')) as { step: number }).step, 33);
  assert.is(stepLosses(log).length, 33, 'the log goes on');
  // --model fine-tunes the checkpoint (its own config and tokenizer): it starts from the trained weights
  const ft = join(tmp, 'lstm-ft');
  const flog = join(tmp, 'lstm-ft.jsonl');
  const f = await wgpt(['train', '--model', dir, '--data', DATA, '--batch', '8', '--steps', '3', '--lr', '1e-3', '--out', ft, '--log', flog]);
  assert.is(f.code, 0, f.err);
  const fl = stepLosses(flog);
  console.log(`  --model fine-tune: first loss ${fl[0].toFixed(3)} (the fresh run's first: ${losses[0].toFixed(3)})`);
  assert.ok(fl[0] < 0.8 * losses[0], `fine-tune starts at ${fl[0]}, fresh at ${losses[0]}`);
  assert.equal(JSON.parse(readFileSync(join(ft, 'config.json'), 'utf8')), JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
  // LoRA on its Linear modules (the model is built from src/model/layers.ts): B starts at zero, so the first loss is
  // the plain fine-tune's; the adapter folder is read back by translate --adapter
  const lo = join(tmp, 'lstm-lora');
  const llog = join(tmp, 'lstm-lora.jsonl');
  const l = await wgpt(['train', '--model', dir, '--data', DATA, '--batch', '8', '--steps', '3', '--lr', '1e-2', '--lora-r', '2', '--lora-targets', 'W_c,fully_connected_layer', '--out', lo, '--log', llog]);
  assert.is(l.code, 0, l.err);
  assert.equal((JSON.parse(readFileSync(join(lo, 'adapter_config.json'), 'utf8')) as { target_modules: string[] }).target_modules, ['W_c', 'fully_connected_layer']);
  const ll = stepLosses(llog);
  assert.ok(Math.abs(ll[0] - fl[0]) <= 1e-5 + 1e-5 * fl[0], `LoRA's first loss ${ll[0]} vs the fine-tune's ${fl[0]}`);
  const la = await wgpt(['translate', '--model', dir, '--adapter', lo, '--ids', ids.join(','), '--json', '--max-new-tokens', '8']);
  assert.is(la.code, 0, la.err);
  assert.is((JSON.parse(la.out) as { ids: number[][] }).ids[0][0], cfg.start_id);
});

test('train --arch rnn-seq2seq --cell gru (with and without attention): loss falls; translate greedy and beam read the folder (in-process CLI)', async () => {
  for (const attention of ['luong', 'none']) {
    const dir = join(tmp, `gru-${attention}`);
    const log = join(tmp, `gru-${attention}.jsonl`);
    const r = await wgpt(['train', '--arch', 'rnn-seq2seq', '--cell', 'gru', '--attention', attention, '--embedding-dim', '16', '--hidden-size', '24', ...COMMON, '--steps', '30', '--lr', '1e-2', '--grad-clip', '1', '--out', dir, '--log', log]);
    assert.is(r.code, 0, r.err);
    assert.match(r.out, attention === 'luong' ? /GRU encoder–decoder \+ Luong attention, 1 layer, embedding 16, hidden 24/ : /GRU encoder–decoder, 1 layer, embedding 16, hidden 24/);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Seq2SeqConfig;
    assert.equal([cfg.cell, cfg.attention], ['gru', attention === 'luong' ? 'luong-general' : 'none']);
    const ck = loadCheckpoint(dir);
    assert.ok([...ck.params.keys()].includes('encoder.gru.weight_hh_l0'), 'PyTorch names: encoder.gru.*');
    const losses = stepLosses(log);
    const first = mean(losses.slice(0, 3));
    const last = mean(losses.slice(-3));
    console.log(`  rnn-seq2seq gru${attention === 'luong' ? '+luong' : ''}: loss ${first.toFixed(3)} → ${last.toFixed(3)} in ${losses.length} steps`);
    assert.ok(last < 0.75 * first, `loss did not fall: ${first} → ${last}`);
    const tok = loadTokenizerSpec('simple-v2', { checkpointDir: dir });
    for (const beams of ['1', '3']) {
      const t = await wgpt(['translate', '--model', dir, '--ids', tok.encode('a b c d').join(','), '--json', '--max-new-tokens', '8', '--num-beams', beams]);
      assert.is(t.code, 0, t.err);
      const j = JSON.parse(t.out) as { ids: number[][] };
      assert.is(j.ids[0][0], cfg.start_id);
      assert.ok(j.ids[0].length >= 2 && j.ids[0].length <= 9 && j.ids[0].every((v) => v >= 0 && v < cfg.vocab_size), `ids ${j.ids[0]}`);
      console.log(`  translate --num-beams ${beams}: ${JSON.stringify(j.ids[0])}`);
    }
  }
});

test('train --arch marian --preset tiny: loss falls, the folder reloads (same held-out loss, greedy decoding), --model fine-tunes', async () => {
  const dir = join(tmp, 'marian');
  const log = join(tmp, 'marian.jsonl');
  const r = await wgpt(['train', '--arch', 'marian', '--preset', 'tiny', ...COMMON, '--steps', '40', '--lr', '3e-3', '--label-smoothing', '0.1', '--out', dir, '--log', log]);
  assert.is(r.code, 0, r.err);
  const losses = stepLosses(log);
  const first = mean(losses.slice(0, 5));
  const last = mean(losses.slice(-5));
  console.log(`  marian tiny (label smoothing 0.1): loss ${first.toFixed(3)} → ${last.toFixed(3)} in ${losses.length} steps (means of 5)`);
  assert.ok(last < 0.92 * first, `loss did not fall: ${first} → ${last}`);
  const val = logOf(log).filter((e) => e.val_loss !== undefined).pop()!.val_loss!;
  const again = await reloadedValLoss(dir, 0.1, 8);
  console.log(`  reloaded held-out loss ${again.toFixed(6)} vs the run's ${val.toFixed(6)} (|diff| ${Math.abs(again - val).toExponential(2)})`);
  assert.ok(Math.abs(again - val) <= 1e-5 + 1e-5 * Math.abs(val), `reloaded ${again} vs ${val}`);
  // the library decodes the folder (translate for marian is another branch's)
  const ck = loadCheckpoint(dir);
  assert.is(ck.arch, marian);
  const c = ck.config as MarianConfig;
  const m = ck.arch.create(gpu, c, ck.params) as Marian;
  const tok = loadTokenizerSpec('simple-v2', { checkpointDir: dir });
  const src = [...tok.encode('a b c d'), c.eos_token_id];
  const st = m.encode(IdBatch.from(gpu, src, [1, src.length], c.vocab_size), [src.length]);
  let pos = 0;
  const g = await greedySearch(
    (ids) => gpu.scope(async () => m.decodeStep(st, IdBatch.from(gpu, ids.map((row) => row[pos]), [ids.length, 1], c.decoder_vocab_size), pos++).toArray()),
    1,
    { decoderStartId: c.decoder_start_token_id, eosId: c.eos_token_id, padId: c.pad_token_id, maxLength: 8, badIds: [c.pad_token_id] },
  );
  st.dispose();
  // --label-smoothing reaches the loss: Marian.loss(b, {labelSmoothing}) = the smoothed cross-entropy of its logits
  const b = padPairs([{ src, tgt: [...tok.encode('d c b a'), c.eos_token_id] }, { src: [...tok.encode('e f'), c.eos_token_id], tgt: [...tok.encode('f e'), c.eos_token_id] }], { padId: c.pad_token_id, startId: c.decoder_start_token_id });
  await gpu.scope(async () => {
    const logits = await noGrad(() => m.forward({ src: IdBatch.from(gpu, b.src, [b.B, b.S], c.vocab_size), srcMask: b.srcMask, decoderInput: IdBatch.from(gpu, b.decoderInput, [b.B, b.T], c.decoder_vocab_size) })).toArray();
    for (const eps of [0, 0.1]) {
      const got = await noGrad(() => m.loss(b, { labelSmoothing: eps })).item();
      const want = crossEntropyRef(logits, b.labels, b.B * b.T, c.decoder_vocab_size, -100, eps).loss;
      console.log(`  Marian.loss with label smoothing ${eps}: ${got.toFixed(6)} vs reference ${want.toFixed(6)}`);
      assert.ok(Math.abs(got - want) <= 1e-5 + 1e-5 * Math.abs(want), `eps ${eps}: ${got} vs ${want}`);
    }
  });
  m.dispose();
  const out = g.sequences[0];
  console.log(`  greedy from the reloaded folder: ${JSON.stringify(out)} (eos ${c.eos_token_id}, start ${c.decoder_start_token_id})`);
  assert.is(out[0], c.decoder_start_token_id);
  assert.ok(out.length >= 2 && out.slice(1).every((v) => v >= 0 && v < c.decoder_vocab_size && v !== c.decoder_start_token_id));
  // --model fine-tunes it
  const ft = join(tmp, 'marian-ft');
  const flog = join(tmp, 'marian-ft.jsonl');
  const f = await wgpt(['train', '--model', dir, '--data', DATA, '--batch', '8', '--steps', '3', '--lr', '1e-3', '--out', ft, '--log', flog]);
  assert.is(f.code, 0, f.err);
  const fl = stepLosses(flog);
  console.log(`  --model fine-tune: first loss ${fl[0].toFixed(3)} (the fresh run's first: ${losses[0].toFixed(3)})`);
  assert.ok(fl[0] < 0.9 * losses[0], `fine-tune starts at ${fl[0]}, fresh at ${losses[0]}`);
  assert.is(loadCheckpoint(ft).arch, marian);
});

test('architecture flags: checked in one line (wrong --arch, with --model, bad values); the library checks the same', async () => {
  const cases: [string[], RegExp][] = [
    [['--arch', 'marian', '--cell', 'lstm'], /^wgpt train: --cell is only for --arch rnn-seq2seq$/m],
    [['--hidden-size', '32'], /^wgpt train: --hidden-size is only for --arch rnn-seq2seq$/m],
    [['--arch', 'rnn-seq2seq', '--cell', 'elman'], /^wgpt train: --cell must be rnn, lstm or gru, got 'elman'$/m],
    [['--arch', 'rnn-seq2seq', '--attention', 'bahdanau'], /^wgpt train: --attention must be none, luong or luong-general, got 'bahdanau'$/m],
    [['--arch', 'rnn-seq2seq', '--num-layers', '1.5'], /^wgpt train: --num-layers must be an integer ≥ 1, got '1.5'$/m],
    [['--model', join(tmp, 'nowhere'), '--attention', 'none'], /^wgpt train: --attention sets up a fresh model; --model .*nowhere has its own \(config\.json\)$/m],
    [['--arch', 'marian', '--label-smoothing', '-0.1'], /^wgpt train: --label-smoothing must be ≥ 0, got -0.1$/m],
  ];
  for (const [args, re] of cases) {
    const out = join(tmp, 'never');
    const r = await wgpt(['train', '--data', DATA, '--tokenizer', 'simple-v2', ...args, '--out', out]);
    assert.is(r.code, 2, `${args.join(' ')}: exit ${r.code}`);
    assert.match(r.err, re);
    assert.not.ok(existsSync(out), 'nothing written');
  }
  // the library: runTraining and freshConfig check too
  const bad = (a: Architecture, o: Record<string, unknown>) => {
    try {
      checkArchOptions(a, o, ARCHITECTURES);
      return '';
    } catch (e) {
      return (e as Error).message;
    }
  };
  assert.is(bad(rnnSeq2seq, { cell: 'rnn', 'hidden-size': 8 }), '');
  assert.is(bad(rnnSeq2seq, { 'd-model': 8 }), "--d-model is not an option of --arch rnn-seq2seq (its options: --cell, --attention, --embedding-dim, --hidden-size, --num-layers)");
  assert.throws(() => marian.freshConfig({ vocabSize: 10, archOptions: { cell: 'lstm' } }), /--cell is not an option of --arch marian \(it has none\)/);
  const c = rnnSeq2seq.freshConfig({ vocabSize: 10, preset: 'lstm-luong', archOptions: { cell: 'rnn', attention: 'none', 'embedding-dim': 5, 'hidden-size': 7, 'num-layers': 2 } });
  assert.equal([c.cell, c.attention, c.embedding_dim, c.hidden_size, c.num_layers, c.vocab_size], ['rnn', 'none', 5, 7, 2, 13]);
  const o: RunOptions = { data: DATA, tokenizer: 'simple-v2', arch: 'gpt2', archOptions: { cell: 'lstm' }, batch: 8, steps: 1, lr: 1e-3, weightDecay: 0, seed: 1, shuffle: false, valFraction: 0, evalEvery: 0, evalBatches: 0, saveEvery: 0, out: join(tmp, 'never2') };
  let msg = '';
  await runTraining(gpu, o, undefined, { say: () => {}, progress: false }).catch((e) => (msg = (e as Error).message));
  assert.is(msg, '--cell is only for --arch rnn-seq2seq');
  assert.not.ok(existsSync(join(tmp, 'never2')));
  await runTraining(gpu, { ...o, archOptions: undefined, labelSmoothing: 0.1 }, undefined, { say: () => {}, progress: false }).catch((e) => (msg = (e as Error).message));
  assert.is(msg, "--label-smoothing is only for --arch rnn-seq2seq or --arch marian (gpt2's loss has none)");
  assert.not.ok(existsSync(join(tmp, 'never2')));
});

test('bad TSV lines (no tab, empty target, empty source) → one line naming file:line, nothing written, for both architectures', async () => {
  const cases: [string, RegExp, RegExp][] = [
    ['a b\tb a\nc d e\nd e\te d\n', /pairs-bad\.tsv:2: no tab: each line must be source<TAB>target$/, /pairs-bad\.tsv:2: no tab: each line must be source<TAB>target$/],
    ['a b\tb a\nc d\t \n', /pairs-bad\.tsv:2: empty target$/, /pairs-bad\.tsv:2: empty target$/],
    ['a b\tb a\n\n\tc d\n', /pairs-bad\.tsv:3: empty source$/, /pairs-bad\.tsv:3: empty source$/],
  ];
  const bad = join(tmp, 'pairs-bad.tsv');
  const out = join(tmp, 'never-tsv');
  for (const [text, reRnn, reMarian] of cases) {
    writeFileSync(bad, text);
    for (const [arch, re] of [['rnn-seq2seq', reRnn], ['marian', reMarian]] as const) {
      const o: RunOptions = { data: bad, tokenizer: 'simple-v2', arch, preset: 'tiny', batch: 1, steps: 1, lr: 1e-3, weightDecay: 0, seed: 1, shuffle: false, valFraction: 0, evalEvery: 0, evalBatches: 0, saveEvery: 0, out };
      let msg = '';
      await runTraining(gpu, o, undefined, { say: () => {}, progress: false }).catch((e) => (msg = (e as Error).message));
      assert.match(msg, re, `${arch}: ${msg}`);
      assert.not.ok(msg.includes('\n'), 'one line');
      assert.not.ok(existsSync(out), 'nothing written');
    }
  }
  // through the CLI: that one line, exit 1
  const r = await wgpt(['train', '--arch', 'rnn-seq2seq', '--data', bad, '--tokenizer', 'simple-v2', '--out', out]);
  assert.is(r.code, 1);
  assert.is(r.err.trim().split('\n').length, 1, r.err);
  assert.match(r.err, /^wgpt train: .*pairs-bad\.tsv:3: empty source$/m);
  assert.not.ok(existsSync(out), 'nothing written');
  console.log(`  e.g. ${r.err.trim()}`);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
