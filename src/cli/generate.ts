// `wgpt generate`: load a checkpoint folder (wgpt or Hugging Face) of a causal LM, stream a continuation.
import { type Command, UsageError, num } from './command.js';
import { getGpu } from '../gpu/device.js';
import { loadModelDir } from '../train/tokenizer-spec.js';
import { generate, streamDecoder, asCausalLM } from '../model/generate.js';
import { skippedLine } from '../model/model.js';

const cmd: Command = {
  summary: 'generate text from a checkpoint (greedy at --temperature 0; KV cache; streams tokens)',
  usage: 'wgpt generate --model DIR --prompt "…" [--max-new-tokens 50] [--temperature 0.8] [--top-k 40] [--top-p 1] [--seed 123] [--no-cache] [--tokenizer SPEC]',
  options: {
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
    model: ['DIR', 'checkpoint folder (wgpt run or Hugging Face GPT-2); required'],
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
    const gpu = await getGpu();
    const { model: loaded, tokenizer, skipped } = loadModelDir(gpu, v.model as string, v.tokenizer as string | undefined);
    const model = asCausalLM(loaded, `--model ${v.model}`);
    if (skipped.length) process.stderr.write(`wgpt: ${skippedLine(skipped)}\n`);
    const prompt = tokenizer.encode(v.prompt as string, { allowedSpecial: 'all' });
    const dec = streamDecoder((ids) => tokenizer.decode(ids));
    process.stdout.write(v.prompt as string);
    const t0 = performance.now();
    let n = 0;
    for await (const id of generate(model, prompt, { maxNewTokens: maxNew, temperature, topK, topP, seed, eotId: tokenizer.eotId, useCache: !v['no-cache'] })) {
      process.stdout.write(dec.push(id));
      n++;
    }
    process.stdout.write(dec.flush() + '\n');
    const s = (performance.now() - t0) / 1000;
    process.stderr.write(`wgpt: ${n} tokens in ${s.toFixed(2)} s (${(n / s).toFixed(1)} tokens/s${v['no-cache'] ? ', no KV cache' : ''})\n`);
  },
};
export default cmd;
