// `wgpt walk`: the course's path run on the engine (src/walk/stages.ts), each stage printed as the course prints
// it; --json prints every array instead, --plots DIR writes the figures as SVG and PNG (rendered by resvg with the
// bundled fonts: src/plot/render.ts). Leaves out: trained models (each stage's model is seeded and untrained).
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, UsageError } from './command.js';
import { getGpu } from '../gpu/device.js';
import { BUNDLED_CORPUS, KOREAN_CORPUS } from '../tokenizer/node.js';
import { walk, stageText, STAGE_NAMES, NOT_YET, type Stage } from '../walk/stages.js';
import { svgToPng } from '../plot/render.js';

const cmd: Command = {
  summary: "walk the course's path on the engine: text → ids → windows → embeddings → attention → next token",
  usage: `wgpt walk [--text "…"] [--stage NAME[,NAME…]] [--gpt small|book-124m] [--json] [--plots DIR]   (stages: ${STAGE_NAMES.join(', ')})`,
  options: {
    text: { type: 'string' },
    stage: { type: 'string' },
    json: { type: 'boolean' },
    plots: { type: 'string' },
    gpt: { type: 'string' },
  },
  help: {
    gpt: ['small|book-124m', "the gpt stage's model: a small GPTModel, or the course's GPT_CONFIG_124M (prints the course's \"Hello, I am Featureiman Byeswickattribute argue\"; ~3 GB, ~25 s of CPU)", 'small'],
    text: ['"…"', 'your text: encoded by simple-v1/v2, GPT-2 and WordPiece; its first five words go through the RNN/LSTM, its first sentence through the GPT, the seq2seq and the attention maps', "the course's sample sentences"],
    stage: ['NAME[,NAME…]', `only these stages (${STAGE_NAMES.join(', ')})`, 'all'],
    json: ['', 'print every array of the printed stages as one JSON document instead of text'],
    plots: ['DIR', 'write the figures as SVG and PNG (embeddings, positional-encoding, attention, loss, luong-attention, encoder-/decoder-attention)'],
  },
  async run(v) {
    const only = v.stage !== undefined ? String(v.stage).split(',').map((s) => s.trim()).filter(Boolean) : undefined;
    if (only && !only.length) throw new UsageError('--stage needs a stage name');
    for (const n of only ?? []) {
      if (!STAGE_NAMES.includes(n)) {
        const later = NOT_YET.find((s) => s.name === n);
        throw new UsageError(later ? `stage '${n}' (${later.what}) is not in the walk yet` : `unknown stage '${n}' (stages: ${STAGE_NAMES.join(', ')})`);
      }
    }
    const gpt = v.gpt as string | undefined;
    if (gpt !== undefined && gpt !== 'small' && gpt !== 'book-124m') throw new UsageError(`--gpt must be small or book-124m, got '${gpt}'`);
    const text = v.text as string | undefined;
    if (text !== undefined && !text.trim()) throw new UsageError('--text is empty');
    const plots = v.plots as string | undefined;
    if (plots !== undefined) mkdirSync(plots, { recursive: true });
    const verdict = readFileSync(BUNDLED_CORPUS, 'utf8');
    const gpu = await getGpu();
    const t0 = performance.now();
    const written: string[] = [];
    const json = !!v.json;
    let pending: Promise<void> = Promise.resolve();
    // the second half's WordPiece is trained on the Korean corpus, as the course does
    const korean = readFileSync(KOREAN_CORPUS, 'utf8');
    const stages: Stage[] = await walk(gpu, { verdict, text, gpt: gpt as 'small' | 'book-124m' | undefined, korean }, only, (s, i) => {
      if (!json) console.log(stageText(s, i) + '\n');
      if (plots !== undefined) {
        for (const f of s.figures) {
          // each figure is written as soon as its stage ends (SVG, then its PNG), each file atomically
          pending = pending.then(async () => {
            for (const [ext, bytes] of [['svg', new TextEncoder().encode(f.svg)], ['png', (await svgToPng(f.svg, 2)).png]] as const) {
              const path = join(plots, `${f.name}.${ext}`);
              writeFileSync(path + '.tmp', bytes);
              renameSync(path + '.tmp', path);
              written.push(path);
            }
          });
        }
      }
    });
    await pending;
    const seconds = (performance.now() - t0) / 1000;
    if (json) {
      console.log(JSON.stringify({ stages: stages.map((s) => ({ name: s.name, title: s.title, sentence: s.sentence, arrays: s.arrays, figures: s.figures.map((f) => f.name) })), not_yet: NOT_YET, seconds: Number(seconds.toFixed(2)) }));
    } else {
      if (!only && NOT_YET.length) console.log(`Not in the walk yet (the course's second half): ${NOT_YET.map((s) => s.what).join('; ')}.`);
      if (written.length) console.log(`wgpt walk: wrote ${written.length} files to ${plots}: ${written.map((p) => p.split('/').pop()).join(', ')}`);
      console.log(`wgpt walk: ${stages.length} stages in ${seconds.toFixed(1)} s on ${gpu.info.description || gpu.info.device || 'the WebGPU adapter'}`);
    }
  },
};
export default cmd;
