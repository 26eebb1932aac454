// `wgpt generate`: load a causal LM (a folder, or a model on the Hub by name), stream a continuation.
import { type Command, UsageError, num } from './command.js';
import { getGpu, type GpuCounters } from '../gpu/device.js';
import { loadModel, resolveModelDir } from '../hub/node.js';
import { generate, streamDecoder, asCausalLM } from '../model/generate.js';
import { skippedLine } from '../model/model.js';
import { ADAPTER_OPTION, ADAPTER_HELP, applyAdapter } from './adapter.js';
import { warmUpGeneration } from '../train/warmup.js';

const cmd: Command = {
  summary: 'generate text from a checkpoint (greedy at --temperature 0; KV cache; streams tokens)',
  usage: 'wgpt generate --model DIR|ORG/NAME --prompt "…" [--max-new-tokens 50] [--temperature 0.8] [--top-k 40] [--top-p 1] [--seed 123] [--no-cache] [--tokenizer SPEC] [--adapter DIR]',
  options: {
    ...ADAPTER_OPTION,
    model: { type: 'string' },
    prompt: { type: 'string' },
    'max-new-tokens': { type: 'string' },
    temperature: { type: 'string' },
    'top-k': { type: 'string' },
    'top-p': { type: 'string' },
    seed: { type: 'string' },
    'no-cache': { type: 'boolean' },
    tokenizer: { type: 'string' },
  },
  help: {
    ...ADAPTER_HELP,
    model: ['DIR|NAME', 'checkpoint folder (wgpt run or Hugging Face GPT-2), or a model on the Hub (gpt2, ORG/NAME[@REV]: downloaded into the Hugging Face cache); required'],
    prompt: ['"…"', 'text to continue; required'],
    'max-new-tokens': ['N', 'tokens to generate', '50'],
    temperature: ['X', 'sampling temperature (0: greedy)', '0.8'],
    'top-k': ['K', 'sample among the K most likely tokens (0: all)', '40'],
    'top-p': ['P', 'nucleus sampling: smallest set with probability ≥ P', '1'],
    seed: ['N', 'sampling seed', '123'],
    'no-cache': ['', 'recompute the whole window per token (no KV cache)'],
    tokenizer: ['SPEC', 'override the checkpoint\'s tokenizer', 'the checkpoint\'s'],
  },
  async run(v) {
    if (!v.model) throw new UsageError('--model is required');
    if (v.prompt === undefined) throw new UsageError('--prompt is required');
    const maxNew = num(v, 'max-new-tokens', 50, { int: true, min: 0 });
    const temperature = num(v, 'temperature', 0.8, { min: 0 });
    const topK = num(v, 'top-k', 40, { int: true, min: 0 });
    const topP = num(v, 'top-p', 1, { min: 0, max: 1 });
    const seed = num(v, 'seed', 123, { int: true, min: 0 });
    const dir = await resolveModelDir(v.model as string); // a wrong name fails before any GPU work
    const gpu = await getGpu();
    const { model: loaded, tokenizer, skipped } = await loadModel(gpu, dir, { tokenizer: v.tokenizer as string | undefined });
    applyAdapter(gpu, loaded, v.adapter);
    const model = asCausalLM(loaded, `--model ${v.model}`);
    if (skipped.length) process.stderr.write(`wgpt: ${skippedLine(skipped)}\n`);
    const prompt = tokenizer.encode(v.prompt as string, { allowedSpecial: 'all' });
    const dec = streamDecoder((ids) => tokenizer.decode(ids));
    process.stdout.write(v.prompt as string);
    const sample = { maxNewTokens: maxNew, temperature, topK, topP, seed, eotId: tokenizer.eotId, useCache: !v['no-cache'] };
    const t0 = performance.now();
    const c0 = { ...gpu.counters };
    // the warm-up plan: the prefill's and a decode step's kernels, created in the background (src/train/warmup.ts)
    if (maxNew > 0) await warmUpGeneration(model, prompt, sample);
    let n = 0;
    let t1 = t0;
    let c1 = c0;
    for await (const id of generate(model, prompt, sample)) {
      process.stdout.write(dec.push(id));
      if (++n === 1) {
        t1 = performance.now();
        c1 = { ...gpu.counters };
      }
    }
    process.stdout.write(dec.flush() + '\n');
    process.stderr.write(`wgpt: ${generationSummary(n, t0, t1, performance.now(), c0, c1, gpu.counters)}${v['no-cache'] ? ' (no KV cache)' : ''}\n`);
  },
};

/**
 * `N tokens in X s: the first after F s (C s of it compiling K kernels), then N−1 in Y s (R tokens/s)`: the
 * throughput apart from the first token, which carries the prompt and the kernels' compile time (#25).
 */
export function generationSummary(n: number, t0: number, t1: number, t2: number, c0: GpuCounters, c1: GpuCounters, c2: GpuCounters): string {
  const s = (t2 - t0) / 1000;
  if (n === 0) return `0 tokens in ${s.toFixed(2)} s`;
  const first = (t1 - t0) / 1000;
  // host-side and background compiles until the first token (the warm-up plan's run in the background, one at a time)
  const compile = (c1.compileMs - c0.compileMs + c1.asyncCompileMs - c0.asyncCompileMs) / 1000;
  const kernels = c1.pipelines - c0.pipelines + c1.asyncPipelines - c0.asyncPipelines;
  const head = `${n} token${n === 1 ? '' : 's'} in ${s.toFixed(2)} s: the first after ${first.toFixed(2)} s (${compile.toFixed(2)} s of it compiling ${kernels} kernel${kernels === 1 ? '' : 's'})`;
  if (n === 1) return head;
  const rest = (t2 - t1) / 1000;
  const later = c2.pipelines - c1.pipelines;
  const lateCompile = later ? `, ${((c2.compileMs - c1.compileMs) / 1000).toFixed(2)} s of it compiling ${later} more` : '';
  return `${head}, then ${n - 1} in ${rest.toFixed(2)} s (${((n - 1) / rest).toFixed(1)} tokens/s${lateCompile})`;
}
export default cmd;
