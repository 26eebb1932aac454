// `wgpt train`: flags → RunOptions → runTraining. Defaults follow the course book where it has one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, type FlagHelp, UsageError, num } from './command.js';
import { type ArchOption, type ArchOptionValues, checkArchOptions } from '../model/model.js';
import { getGpu } from '../gpu/device.js';
import { runTraining, isTokenData, NO_TOKENIZER, OWN_BPE, type RunOptions } from '../train/run.js';
import { RAW_TOKEN_FORMATS, type RawTokenFormat } from '../data/tokenfile.js';
import { ARCHITECTURES, architectureByName } from '../model/architectures.js';
import { checkpointTokenizerSpec } from '../hub/tokenizer-spec.js';
import { resolveModelDir } from '../hub/node.js';
import { readConfig } from '../hub/load.js';
import { catchStopSignals } from '../train/stop.js';
import { SCHEDULES, checkSchedule } from '../train/schedule.js';

/** A list flag: repeatable, each value comma-separated (`--freeze wte,wpe --freeze h.0`). */
function listFlag(v: Record<string, unknown>, k: string): string[] | undefined {
  const raw = v[k] as string[] | undefined;
  if (raw === undefined) return undefined;
  const out = raw.flatMap((x) => x.split(',')).map((x) => x.trim());
  if (out.some((x) => !x)) throw new UsageError(`--${k} takes comma-separated names, got an empty one in '${raw.join(',')}'`);
  return out;
}

import { resolveCorpus, CORPUS_NAMES } from '../data/corpora.js';

// architecture-specific flags (Architecture.options), each once, with the architectures that take it in its help
const ARCH_OPTIONS = new Map<string, { o: ArchOption; archs: string[] }>();
for (const a of ARCHITECTURES) for (const o of a.options ?? []) {
  const e = ARCH_OPTIONS.get(o.name);
  if (e) e.archs.push(a.name);
  else ARCH_OPTIONS.set(o.name, { o, archs: [a.name] });
}
const archFlagsUsage = [...new Set(ARCHITECTURES.filter((a) => a.options?.length).map((a) => a.name))]
  .map((n) => `[${[...ARCH_OPTIONS.values()].filter((e) => e.archs.includes(n)).map((e) => `--${e.o.name} ${e.o.help[0]}`).join(' ')}] (--arch ${n})`)
  .join(' ');

const cmd: Command = {
  summary: 'train a model (GPT unless --arch) on a text or .bin token file (fresh preset, checkpoint, or --resume)',
  usage:
    `wgpt train --data FILE [--data-format uint16|uint32] [--vocab-size N] [--tokenizer gpt2|simple-v1|simple-v2|BPE.json] [--arch ${ARCHITECTURES.map((a) => a.name).join('|')}] [--preset NAME | --model DIR] ` +
    '[--context T] [--stride S] [--batch B] [--steps N | --epochs E] [--lr 4e-4] [--weight-decay 0.1] [--seed 123] [--init gpt2|torch] [--dropout P] ' +
    `[--grad-clip X | --max-grad-norm X] [--label-smoothing ε] [--lr-schedule ${SCHEDULES.join('|')}] [--warmup-steps N | --warmup-ratio R] [--grad-accum N] [--decay-all] [--freeze P,… | --train-only P,…] [--time-budget S] [--task lm|classify|instruct] [--val-data FILE] [--lora-r R [--lora-alpha A] [--lora-dropout P] [--lora-targets M,…] [--rslora] [--base-dtype f32|f16]] [--no-shuffle] [--val-fraction 0.1] [--eval-every K] [--eval-batches N] [--save-every K] [--out DIR] [--overwrite] [--log FILE.jsonl] ${archFlagsUsage} | --resume DIR [--steps N] [--time-budget S]`,
  options: {
    data: { type: 'string' },
    'data-format': { type: 'string' },
    'vocab-size': { type: 'string' },
    tokenizer: { type: 'string' },
    arch: { type: 'string' },
    preset: { type: 'string' },
    model: { type: 'string' },
    context: { type: 'string' },
    stride: { type: 'string' },
    batch: { type: 'string' },
    steps: { type: 'string' },
    epochs: { type: 'string' },
    lr: { type: 'string' },
    'weight-decay': { type: 'string' },
    seed: { type: 'string' },
    init: { type: 'string' },
    dropout: { type: 'string' },
    'grad-clip': { type: 'string' },
    'max-grad-norm': { type: 'string' },
    'lr-schedule': { type: 'string' },
    'warmup-steps': { type: 'string' },
    'warmup-ratio': { type: 'string' },
    'grad-accum': { type: 'string' },
    'decay-all': { type: 'boolean' },
    freeze: { type: 'string', multiple: true },
    'train-only': { type: 'string', multiple: true },
    'time-budget': { type: 'string' },
    task: { type: 'string' },
    'val-data': { type: 'string' },
    'lora-r': { type: 'string' },
    'lora-alpha': { type: 'string' },
    'lora-dropout': { type: 'string' },
    'lora-targets': { type: 'string', multiple: true },
    rslora: { type: 'boolean' },
    'base-dtype': { type: 'string' },
    'label-smoothing': { type: 'string' },
    'no-shuffle': { type: 'boolean' },
    'val-fraction': { type: 'string' },
    'eval-every': { type: 'string' },
    'eval-batches': { type: 'string' },
    'save-every': { type: 'string' },
    out: { type: 'string' },
    log: { type: 'string' },
    resume: { type: 'string' },
    overwrite: { type: 'boolean' },
    ...Object.fromEntries([...ARCH_OPTIONS.keys()].map((k) => [k, { type: 'string' as const }])),
  },
  help: {
    data: ['FILE|NAME', `text (.txt, UTF-8), token file (.bin) or pairs (.tsv) to train on, or a bundled corpus (${CORPUS_NAMES}); required unless --resume`],
    'data-format': ['uint16|uint32', 'read --data as a headerless token file of this width (nanoGPT\'s train.bin: uint16)', 'llm.c header'],
    'vocab-size': ['N', 'vocab_size of a fresh model trained on token ids without --tokenizer', 'the .bin header\'s'],
    tokenizer: ['SPEC', 'gpt2, wgpt-gpt2 (same ids, our encoder), simple-v1, simple-v2, a wgpt BPE file or a tokenizer.json', "gpt2; a GPT on text on a CPU adapter: a byte-level BPE learned from the text (≤ 2,048 ids); with --model: the checkpoint's own"],
    arch: ['NAME', `fresh model's architecture: ${ARCHITECTURES.map((a) => a.name).join(', ')}`, 'gpt2'],
    preset: ['NAME', `fresh model: one of the architecture's presets (gpt2: ${Object.keys(ARCHITECTURES[0].presets).join(', ')})`, "the architecture's default (gpt2: small)"],
    model: ['DIR|NAME', 'start from this checkpoint: a wgpt run, a Hugging Face folder, or a model on the Hub (gpt2, ORG/NAME[@REV])'],
    context: ['T', 'tokens per training window', 'the model\'s context_length'],
    stride: ['S', 'distance between window starts', '--context'],
    batch: ['B', 'windows per step', '8'],
    steps: ['N', 'optimizer steps in all (with --resume: the run\'s new total)', '1 epoch'],
    epochs: ['E', 'passes over the training split (instead of --steps)', '1'],
    lr: ['X', 'AdamW learning rate', '4e-4'],
    'weight-decay': ['X', 'AdamW weight decay (not on biases and LayerNorm weights, as Hugging Face\'s Trainer; --decay-all: every parameter)', '0.1'],
    'decay-all': ['', 'weight decay on every parameter, biases and LayerNorm weights included (the course book)'],
    'max-grad-norm': ['X', 'Hugging Face\'s name for --grad-clip (torch.nn.utils.clip_grad_norm_ over all trainable gradients)', 'off'],
    'lr-schedule': [SCHEDULES.join('|'), 'learning rate over the run\'s optimizer steps, as transformers\' get_scheduler', 'constant'],
    'warmup-steps': ['N', 'linear warmup from 0 over the first N optimizer steps', '0'],
    'warmup-ratio': ['R', 'warmup over ceil(R·steps) optimizer steps', '0'],
    'grad-accum': ['N', 'micro-batches of --batch per optimizer step (gradient accumulation: one batch N× larger)', '1'],
    freeze: ['P,…', 'freeze parameters by name (a name, a module prefix like h.0, * wildcards); no gradients, no optimizer moments'],
    'train-only': ['P,…', 'train only these parameters (e.g. h.11,ln_f: the last block and the final norm); freeze the rest'],
    'lora-r': ['R', 'train a LoRA adapter of rank R on --model (the base frozen); --out gets a PEFT adapter folder'],
    'lora-alpha': ['A', 'LoRA alpha: the update is scaled by alpha/r (alpha/√r with --rslora)', '8 (PEFT\'s)'],
    'lora-dropout': ['P', 'dropout on the adapter\'s input in training', '0'],
    'lora-targets': ['M,…', 'modules to adapt: every linear module named M or ending with .M', 'PEFT\'s per model type: gpt2 c_attn, bert query,value'],
    rslora: ['', 'rank-stabilised LoRA: scale alpha/√r'],
    'base-dtype': ['f32|f16', 'LoRA: keep the frozen base\'s linear weights as packed f16 (half their memory; read with unpack2x16float)', 'f32'],
    task: ['lm|classify|instruct', 'lm: the architecture\'s own objective on text; classify: labelled rows (TSV/CSV with text and label columns, or JSONL) through a …ForSequenceClassification head; instruct: Alpaca JSON/JSONL (instruction, input, output), the prompt masked out of the loss', 'lm'],
    'val-data': ['FILE', '--task classify: held-out labelled rows (instead of --val-fraction of --data); a file or a bundled set (nsmc-test)'],
    'time-budget': ['S', 'stop after S seconds of training: checkpoint saved, resume command printed (0: no limit)', '0'],
    seed: ['N', 'initialisation, shuffle and dropout seed', '123'],
    init: ['gpt2|torch', "fresh model's initialisation: GPT-2 normal(0, 0.02), or what PyTorch's modules hold after torch.manual_seed(--seed)", 'gpt2'],
    dropout: ['P', 'dropout probability', 'the preset\'s or checkpoint\'s'],
    'grad-clip': ['X', 'clip the global gradient norm to X', 'off'],
    'label-smoothing': ['ε', 'label smoothing of the training loss, as F.cross_entropy(label_smoothing=ε) (rnn-seq2seq, marian; validation loss stays plain)', '0'],
    'no-shuffle': ['', 'windows in order (default: shuffled per epoch)'],
    'val-fraction': ['F', 'last fraction of the data held out for validation', '0.1'],
    'eval-every': ['K', 'validation loss every K steps (0: at the end only)', '0'],
    'eval-batches': ['N', 'cap on validation batches per evaluation (0: all)', '0'],
    'save-every': ['K', 'checkpoint every K steps (0: at the end and on Ctrl-C only)', '0'],
    out: ['DIR', 'checkpoint folder', 'runs/PRESET, or the --resume folder'],
    log: ['FILE.jsonl', 'append one JSON line per step and per evaluation'],
    resume: ['DIR', 'continue this run exactly (its own settings; only --steps/--epochs/--out/--log may change)'],
    overwrite: ['', 'replace --out even when it holds another run'],
    ...Object.fromEntries([...ARCH_OPTIONS.values()].map(({ o, archs }): [string, FlagHelp] => [o.name, [o.help[0], `${o.help[1]} (fresh --arch ${archs.join('|')} only)`, o.help[2]]])),
  },
  async run(v) {
    const opt = (k: string) => (v[k] === undefined ? undefined : num(v, k, undefined, {}));
    const resume = v.resume as string | undefined;
    if (resume) {
      const allowed = new Set(['resume', 'steps', 'epochs', 'out', 'log', 'overwrite', 'time-budget']);
      const extra = Object.keys(v).filter((k) => v[k] !== undefined && !allowed.has(k));
      if (extra.length) throw new UsageError(`--resume continues the saved run with its own settings; only --steps, --epochs, --out, --log and --time-budget may be given (got --${extra.join(', --')})`);
    } else if (!v.data) throw new UsageError('--data is required');
    if (v.steps !== undefined && v.epochs !== undefined) throw new UsageError('give --steps or --epochs, not both');
    if (v.preset !== undefined && v.model !== undefined) throw new UsageError('give --preset or --model, not both');
    if (v.arch !== undefined && v.model !== undefined) throw new UsageError(`--arch chooses the architecture of a fresh model; --model ${v.model} has its own (config.json's model_type)`);
    let arch;
    try {
      arch = architectureByName((v.arch as string | undefined) ?? 'gpt2');
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (v.preset !== undefined && !arch.presets[v.preset as string]) throw new UsageError(`unknown preset '${v.preset}'${v.arch !== undefined ? ` for --arch ${v.arch}` : ''} (presets: ${Object.keys(arch.presets).join(', ')})`);
    if (v.init !== undefined && v.init !== 'gpt2' && v.init !== 'torch') throw new UsageError(`--init must be gpt2 or torch, got '${v.init}'`);
    if (v.init !== undefined && v.model !== undefined) throw new UsageError('--init applies to a fresh model, not to --model');
    // architecture-specific flags: only for a fresh model of an architecture that declares them
    const archGiven = Object.fromEntries([...ARCH_OPTIONS.keys()].filter((k) => v[k] !== undefined).map((k) => [k, v[k]]));
    const firstArchFlag = Object.keys(archGiven)[0];
    if (firstArchFlag !== undefined && v.model !== undefined) throw new UsageError(`--${firstArchFlag} sets up a fresh model; --model ${v.model} has its own (config.json)`);
    let archOptions: ArchOptionValues | undefined;
    try {
      archOptions = firstArchFlag === undefined ? undefined : checkArchOptions(arch, archGiven, ARCHITECTURES);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    // a model on the Hub by name: its snapshot folder in the Hugging Face cache (downloaded when needed)
    if (v.model !== undefined) v.model = await resolveModelDir(v.model as string);
    const preset = (v.preset as string | undefined) ?? (v.model ? undefined : arch.defaultPreset);
    const dataFormat = v['data-format'] as RawTokenFormat | undefined;
    if (dataFormat !== undefined && !RAW_TOKEN_FORMATS.includes(dataFormat)) throw new UsageError(`--data-format must be uint16 or uint32, got '${dataFormat}'`);
    // token ids need no tokenizer: none unless one is named (the checkpoint then notes it has none)
    const data = v.data === undefined ? '' : resolveCorpus(v.data as string);
    const tokenData = !resume && isTokenData({ data, dataFormat });
    // a fresh GPT on text with no tokenizer named: GPT-2's on a GPU; on a CPU adapter a BPE of its own (below)
    const ownBpeDefault = v.tokenizer === undefined && !tokenData && !v.model && !resume && arch.name === 'gpt2';
    if (v['grad-clip'] !== undefined && v['max-grad-norm'] !== undefined) throw new UsageError('give --grad-clip or --max-grad-norm (the same setting), not both');
    if (v['warmup-steps'] !== undefined && v['warmup-ratio'] !== undefined) throw new UsageError('give --warmup-steps or --warmup-ratio, not both');
    if (v.freeze !== undefined && v['train-only'] !== undefined) throw new UsageError('give --freeze or --train-only, not both');
    let lrSchedule;
    try {
      lrSchedule = v['lr-schedule'] !== undefined ? checkSchedule(v['lr-schedule'] as string) : undefined;
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const opts: RunOptions = {
      data,
      // starting from a checkpoint: its own tokenizer unless one is named
      tokenizer: (v.tokenizer as string) ?? (tokenData ? NO_TOKENIZER : v.model ? checkpointTokenizerSpec(v.model as string) : 'gpt2'),
      dataFormat,
      vocabSize: v['vocab-size'] !== undefined ? num(v, 'vocab-size', undefined, { int: true, min: 1 }) : undefined,
      arch: v.arch as string | undefined,
      preset,
      archOptions,
      model: v.model as string | undefined,
      context: v.context !== undefined ? num(v, 'context', undefined, { int: true, min: 1 }) : undefined,
      stride: v.stride !== undefined ? num(v, 'stride', undefined, { int: true, min: 1 }) : undefined,
      batch: num(v, 'batch', 8, { int: true, min: 1 }),
      steps: v.steps !== undefined ? num(v, 'steps', undefined, { int: true, min: 1 }) : undefined,
      epochs: v.epochs !== undefined ? num(v, 'epochs', undefined, { min: 0.001 }) : undefined,
      lr: num(v, 'lr', 4e-4, { min: 0 }),
      weightDecay: num(v, 'weight-decay', 0.1, { min: 0 }),
      seed: num(v, 'seed', 123, { int: true, min: 0 }),
      init: v.init as 'gpt2' | 'torch' | undefined,
      dropout: v.dropout !== undefined ? num(v, 'dropout', undefined, { min: 0, max: 0.99 }) : undefined,
      gradClip: opt('grad-clip') ?? opt('max-grad-norm'),
      lrSchedule,
      warmupSteps: v['warmup-steps'] !== undefined ? num(v, 'warmup-steps', undefined, { int: true, min: 0 }) : undefined,
      warmupRatio: v['warmup-ratio'] !== undefined ? num(v, 'warmup-ratio', undefined, { min: 0, max: 1 }) : undefined,
      gradAccum: v['grad-accum'] !== undefined ? num(v, 'grad-accum', undefined, { int: true, min: 1 }) : undefined,
      decayGrouping: resume ? undefined : v['decay-all'] ? 'all' : 'hf',
      freeze: listFlag(v, 'freeze'),
      trainOnly: listFlag(v, 'train-only'),
      timeBudget: v['time-budget'] !== undefined ? num(v, 'time-budget', undefined, { min: 0 }) : undefined,
      labelSmoothing: v['label-smoothing'] !== undefined ? num(v, 'label-smoothing', undefined, { min: 0, max: 0.999 }) : undefined,
      shuffle: !v['no-shuffle'],
      valFraction: num(v, 'val-fraction', 0.1, { min: 0, max: 0.9 }),
      evalEvery: num(v, 'eval-every', 0, { int: true, min: 0 }),
      evalBatches: num(v, 'eval-batches', 0, { int: true, min: 0 }),
      saveEvery: num(v, 'save-every', 0, { int: true, min: 0 }),
      out: (v.out as string) ?? (resume ? resume : `runs/${preset ?? 'model'}`),
      log: v.log as string | undefined,
      overwrite: !!v.overwrite,
    };
    if (opts.gradClip !== undefined && !(opts.gradClip > 0)) throw new UsageError(`--${v['grad-clip'] !== undefined ? 'grad-clip' : 'max-grad-norm'} must be > 0, got ${opts.gradClip}`);
    if ((opts.warmupSteps || opts.warmupRatio) && !lrSchedule) opts.lrSchedule = 'constant';
    if (v.task !== undefined) {
      if (!['lm', 'classify', 'instruct'].includes(v.task as string)) throw new UsageError(`--task must be lm, classify or instruct, got '${v.task}'`);
      opts.task = v.task as RunOptions['task'];
    }
    if (v['val-data'] !== undefined) {
      if (opts.task !== 'classify') throw new UsageError('--val-data is for --task classify');
      opts.valData = resolveCorpus(v['val-data'] as string);
    }
    const loraFlags = ['lora-alpha', 'lora-dropout', 'lora-targets', 'rslora', 'base-dtype'].filter((k) => v[k] !== undefined);
    if (v['lora-r'] === undefined && loraFlags.length) throw new UsageError(`--${loraFlags[0]} sets up a LoRA adapter: give --lora-r R too`);
    if (v['lora-r'] !== undefined) {
      if (!v.model) throw new UsageError('--lora-r adapts a trained model: give --model DIR (the base)');
      const base = readConfig(JSON.parse(readFileSync(join(v.model as string, 'config.json'), 'utf8')), join(v.model as string, 'config.json')).arch;
      const targets = listFlag(v, 'lora-targets') ?? (base.loraTargets ? [...base.loraTargets] : undefined);
      if (!targets) throw new UsageError(`--lora-targets is needed for ${base.name} models (PEFT has no default targets for them)`);
      opts.lora = {
        r: num(v, 'lora-r', undefined, { int: true, min: 1 }),
        alpha: num(v, 'lora-alpha', 8, { min: 1e-9 }),
        dropout: num(v, 'lora-dropout', 0, { min: 0, max: 0.99 }),
        targets,
        rslora: !!v.rslora,
      };
      if (v.out === undefined) opts.out = 'runs/lora';
      if (v['base-dtype'] !== undefined) {
        if (v['base-dtype'] !== 'f32' && v['base-dtype'] !== 'f16') throw new UsageError(`--base-dtype must be f32 or f16, got '${v['base-dtype']}'`);
        opts.baseDtype = v['base-dtype'] as 'f32' | 'f16';
      }
    }
    const gpu = await getGpu();
    // on a CPU adapter GPT-2's 50,257-id head makes a step take seconds: learn a small BPE from the text instead
    if (ownBpeDefault && gpu.info.isCpu) opts.tokenizer = OWN_BPE;
    // Ctrl-C / SIGTERM: the current step finishes, a checkpoint is saved, the resume command printed (exit 130)
    const stop = catchStopSignals();
    try {
      const res = await runTraining(gpu, opts, resume, { stopRequested: stop.requested });
      return res.interrupted && !res.outOfTime ? 130 : 0;
    } finally {
      stop.dispose();
    }
  },
};
export default cmd;
