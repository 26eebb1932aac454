// `wgpt demo` (what `npm start` runs): train the small preset on the bundled the-verdict.txt, then
// generate from "Every effort moves you" and say where the checkpoint and loss plot are.
import { type Command, num } from './command.js';
import { getGpu } from '../gpu/device.js';
import { runTraining } from '../train/run.js';
import { generate, streamDecoder, asCausalLM } from '../model/generate.js';
import { readFileSync, mkdirSync, existsSync, readdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { trainBpe } from '../tokenizer/index.js';
import { saveBpeFile, BUNDLED_CORPUS } from '../tokenizer/node.js';
import { catchStopSignals } from '../train/stop.js';

/** runs/demo, or the first free runs/demo-N when it holds an earlier run (never replaces one). */
/** Seconds of training `npm start` allows itself, so it ends in under 3 minutes on a slow machine too. */
const BUDGET_S = 120;

const busy = (d: string) => existsSync(d) && readdirSync(d).length > 0;
function freeFolder(base: string): string {
  if (!busy(base)) return base;
  for (let i = 2; ; i++) if (!busy(`${base}-${i}`)) return `${base}-${i}`;
}


const cmd: Command = {
  summary: 'train the small GPT on the bundled the-verdict.txt and generate from "Every effort moves you"',
  usage: 'wgpt demo [--steps N] [--time-budget S] [--out DIR [--overwrite]] [--prompt "…"]',
  options: { steps: { type: 'string' }, 'time-budget': { type: 'string' }, out: { type: 'string' }, overwrite: { type: 'boolean' }, prompt: { type: 'string' } },
  help: {
    steps: ['N', 'training steps (fewer when --time-budget runs out first)', '200 on a CPU adapter, 1000 on a GPU'],
    'time-budget': ['S', 'stop training after S seconds (checkpoint saved, resumable), then generate; 0: no limit', String(BUDGET_S)],
    out: ['DIR', 'checkpoint folder', 'runs/demo, or the first free runs/demo-N'],
    overwrite: ['', 'replace --out even when it holds another run'],
    prompt: ['"…"', 'text to continue after training', 'Every effort moves you'],
  },
  async run(v) {
    const gpu = await getGpu();
    const steps = num(v, 'steps', gpu.info.isCpu ? 200 : 1000, { int: true, min: 1 });
    const budget = num(v, 'time-budget', BUDGET_S, { min: 0 });
    const prompt = (v.prompt as string) ?? 'Every effort moves you';
    let out = v.out as string | undefined;
    if (out === undefined) {
      out = freeFolder('runs/demo');
      if (out !== 'runs/demo') console.log(`wgpt: runs/demo holds an earlier run; this one goes to ${out} (--out DIR --overwrite reuses a folder)`);
    } else if (!v.overwrite && busy(out)) throw new Error(`${resolve(out)} already holds files; give --overwrite to replace it, or another --out folder`);
    // A byte-level BPE learned from the text itself (2,048 ids, most words whole): GPT-2's 50,257-row head would
    // make every step ~15× slower on a CPU adapter, and this one still encodes any prompt.
    const t0 = performance.now();
    const { bpe } = trainBpe(readFileSync(BUNDLED_CORPUS, 'utf8'), { vocabSize: 2048, name: 'the-verdict-bpe' });
    mkdirSync(dirname(resolve(out)), { recursive: true });
    const bpePath = `${out}-bpe.json`;
    saveBpeFile(bpePath, bpe, 'the-verdict-bpe');
    console.log(`wgpt: trained a byte-level BPE tokenizer on the-verdict.txt: ${bpe.vocabSize} ids in ${((performance.now() - t0) / 1000).toFixed(2)} s → ${bpePath}`);
    const stop = catchStopSignals();
    const started = performance.now();
    const outOfTime = () => (budget > 0 && performance.now() - started > budget * 1000 ? `the ${budget} s time budget ran out` : null);
    const res = await runTraining(gpu, {
      data: BUNDLED_CORPUS,
      tokenizer: bpePath,
      preset: 'small',
      context: 64,
      batch: 4,
      steps,
      lr: 3e-3,
      weightDecay: 0.1,
      seed: 123,
      shuffle: true,
      valFraction: 0.1,
      evalEvery: Math.max(1, Math.floor(steps / 5)),
      evalBatches: 0,
      saveEvery: 0,
      out,
      log: `${out}.log.jsonl`,
      overwrite: !!v.overwrite,
    }, undefined, { stopRequested: () => stop.requested() ?? outOfTime()}).finally(() => stop.dispose());
    if (res.interrupted && stop.requested()) return 130;
    const tok = res.tokenizer!;
    const dec = streamDecoder((ids) => tok.decode(ids));
    process.stdout.write(`\n${prompt}`);
    for await (const id of generate(asCausalLM(res.model), tok.encode(prompt), { maxNewTokens: 40, temperature: 0.8, topK: 40, seed: 123, eotId: tok.eotId })) {
      process.stdout.write(dec.push(id));
    }
    process.stdout.write(dec.flush() + '\n\n');
    console.log(`next: npx wgpt generate --model ${res.out} --prompt "${prompt}"`);
  },
};
export default cmd;
