// `wgpt demo-bert`: the course's encoder in one command — a WordPiece tokenizer trained on the bundled Korean corpus,
// a micro BERT trained from scratch with masked-LM (time-budgeted), held-out MLM loss and accuracy beside the
// most-frequent-token baseline, then fill-mask on a Korean sentence. Leaves out: pretraining at any real scale.
import { readFileSync, mkdirSync, existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Command, num } from './command.js';
import { getGpu } from '../gpu/device.js';
import { runTraining } from '../train/run.js';
import { catchStopSignals } from '../train/stop.js';
import { trainWordPiece } from '../tokenizer/wordpiece-train.js';
import { wordPieceToHfJson } from '../tokenizer/hf-json.js';
import { writeFileAtomic } from '../io/atomic.js';
import { fileURLToPath } from 'node:url';
import { bertSpecialIds, fillMask } from '../model/bert.js';
import { MaskedLM } from '../model/encoder.js';

/** Seconds of training the demo allows itself (tokenizer, evaluation and fill-mask fit in the rest of 3 minutes). */
const BUDGET_S = 130;
/**
 * The demo's settings, chosen by measurement on 2 CPU cores (README, BERT section): ~100k tokens of training is what
 * 130 s buys on SwiftShader. The micro preset (2 layers of 32) learns the most per second, and its word embeddings
 * start at std 0.5 instead of 0.02: the decoder is tied to them, and at 0.02 the model stays on the
 * most-frequent-token plateau for 300+ steps (so did PyTorch with the same model and data). Short rows and batches of
 * 8 give the most steps per second (a step's cost grows faster than its token count on this adapter).
 */
const DEMO = { vocabSize: 2000, preset: 'micro', context: 32, batch: 8, lr: 3e-3, steps: 400 };
/** The bundled Korean corpus (Debian FAQ, see src/data/README.md). */
const KOREAN_CORPUS = fileURLToPath(new URL('../data/debian-faq-ko.txt', import.meta.url));

const busy = (d: string) => existsSync(d) && readdirSync(d).length > 0;

const cmd: Command = {
  summary: 'train a micro BERT (masked LM) on the bundled Korean corpus with its own WordPiece, then fill a [MASK]',
  usage: 'wgpt demo-bert [--steps N] [--time-budget S] [--out DIR [--overwrite]] [--text "… [MASK] …"]',
  options: { steps: { type: 'string' }, 'time-budget': { type: 'string' }, out: { type: 'string' }, overwrite: { type: 'boolean' }, text: { type: 'string' } },
  help: {
    steps: ['N', 'training steps (fewer when --time-budget runs out first)', String(DEMO.steps)],
    'time-budget': ['S', 'stop training after S seconds (checkpoint saved), then evaluate; 0: no limit', String(BUDGET_S)],
    out: ['DIR', 'checkpoint folder', 'runs/bert-ko'],
    overwrite: ['', 'replace --out even when it holds another run'],
    text: ['"…"', 'sentence with [MASK] to fill after training', '데비안은 자유 [MASK] 체제입니다.'],
  },
  async run(v) {
    const gpu = await getGpu();
    const steps = num(v, 'steps', DEMO.steps, { int: true, min: 1 });
    const budget = num(v, 'time-budget', BUDGET_S, { min: 0 });
    const text = (v.text as string) ?? '데비안은 자유 [MASK] 체제입니다.';
    const out = (v.out as string) ?? 'runs/bert-ko';
    if (!v.overwrite && busy(out)) throw new Error(`${resolve(out)} already holds files; give --overwrite to replace it, or another --out folder`);
    const t0 = performance.now();
    const wp = trainWordPiece(readFileSync(KOREAN_CORPUS, 'utf8'), { vocabSize: DEMO.vocabSize }).tokenizer;
    mkdirSync(resolve(out, '..'), { recursive: true });
    const tokPath = `${out}-wordpiece.json`;
    writeFileAtomic(tokPath, wordPieceToHfJson(wp));
    console.log(`wgpt: trained a WordPiece tokenizer on ${KOREAN_CORPUS.split('/').pop()}: ${wp.vocabSize} tokens in ${((performance.now() - t0) / 1000).toFixed(2)} s → ${tokPath}`);
    let baseline = '';
    const stop = catchStopSignals();
    const started = performance.now();
    const outOfTime = () => (budget > 0 && performance.now() - started > budget * 1000 ? `the ${budget} s time budget ran out` : null);
    const res = await runTraining(
      gpu,
      {
        data: KOREAN_CORPUS,
        tokenizer: tokPath,
        arch: 'bert',
        preset: DEMO.preset,
        context: DEMO.context,
        batch: DEMO.batch,
        steps,
        lr: DEMO.lr,
        weightDecay: 0.01,
        seed: 123,
        shuffle: true,
        valFraction: 0.1,
        evalEvery: Math.max(1, Math.min(50, Math.floor(steps / 4))),
        evalBatches: 0,
        saveEvery: 0,
        out,
        log: `${out}.log.jsonl`,
        overwrite: !!v.overwrite,
      },
      undefined,
      {
        say: (l) => {
          if (l.includes('most-frequent-token baseline')) baseline = l.replace(/^wgpt: held-out MLM: /, '');
          console.log(l);
        },
        stopRequested: () => stop.requested() ?? outOfTime(),
      },
    ).finally(() => stop.dispose());
    if (res.interrupted && stop.requested()) return 130;
    const last = res.val[res.val.length - 1];
    if (last?.accuracy !== undefined) console.log(`wgpt: held-out MLM accuracy ${(100 * last.accuracy).toFixed(1)}% (loss ${last.loss.toFixed(3)}) at step ${last.step} of ${res.steps}, ${((performance.now() - t0) / 1000).toFixed(0)} s after start; ${baseline}`);
    const model = res.model;
    if (!(model instanceof MaskedLM)) throw new Error(`demo-bert trained a ${model.arch.name} model, not a masked LM`);
    const tok = res.tokenizer!;
    const sp = bertSpecialIds(tok.specialTokens);
    const ids = [sp.cls, ...tok.encode(text, { allowedSpecial: ['[MASK]'] }), sp.sep];
    const results = await fillMask(model, ids, sp.mask, 5, (id) => tok.decode([id]));
    console.log(`\n${text}`);
    for (const r of results) console.log(`  ${r.candidates.map((c) => `${c.token} ${(100 * c.prob).toFixed(1)}%`).join(' · ')}`);
    console.log(`\nnext: npx wgpt fill-mask --model ${res.out} --text "${text}"   (vocab: ${join(res.out, 'tokenizer.json')})`);
  },
};
export default cmd;
