// GPT-2's tokenizer two ways: the reference through js-tiktoken (bundled gpt2 ranks, works offline), and our own
// ByteBpe loaded with the same ranks (for the equality tests, the benchmark and `wgpt-gpt2`). Browser-safe.
// Leaves out: the other tiktoken encodings (cl100k, o200k…), which js-tiktoken/lite lets a bundle skip.
import { Tiktoken } from 'js-tiktoken/lite';
import gpt2Ranks from 'js-tiktoken/ranks/gpt2';
import { type EncodeOptions, type Tokenizer, allowedSpecialSet, assertWellFormed, checkIds } from './types.js';
import { ByteBpe, GPT2_PATTERN } from './bpe.js';

export const GPT2_VOCAB = 50257;
export const GPT2_EOT = 50256;

function base64Bytes(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** id → bytes for GPT-2's 50,256 ordinary tokens, from js-tiktoken's compressed rank table ("<x> <offset> <b64> <b64> …" lines). */
export function gpt2TokenBytes(): Uint8Array[] {
  if (gpt2Ranks.pat_str !== GPT2_PATTERN) throw new Error('js-tiktoken gpt2 pattern differs from wgpt GPT2_PATTERN');
  const out: Uint8Array[] = [];
  for (const line of gpt2Ranks.bpe_ranks.split('\n')) {
    if (!line) continue;
    const [, offStr, ...toks] = line.split(' ');
    const off = Number.parseInt(offStr, 10);
    toks.forEach((t, i) => (out[off + i] = base64Bytes(t)));
  }
  for (let i = 0; i < out.length; i++) if (!out[i]) throw new Error(`js-tiktoken gpt2 ranks have no token ${i}`);
  return out;
}

let ownGpt2: ByteBpe | null = null;
/** Our encoder with GPT-2's ranks (built once, ~0.1 s). */
export function gpt2Bpe(): ByteBpe {
  ownGpt2 ??= new ByteBpe(gpt2TokenBytes(), { ...gpt2Ranks.special_tokens }, 'wgpt-gpt2');
  return ownGpt2;
}

let tiktoken: Tiktoken | null = null;
function tk(): Tiktoken {
  tiktoken ??= new Tiktoken(gpt2Ranks);
  return tiktoken;
}

/** GPT-2 BPE through js-tiktoken. */
export class Gpt2Tokenizer implements Tokenizer {
  readonly name = 'gpt2';
  readonly vocabSize = GPT2_VOCAB;
  readonly eotId = GPT2_EOT;
  readonly specialTokens: Record<string, number> = { '<|endoftext|>': GPT2_EOT };

  encode(text: string, opts: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') throw new Error(`encode: expected a string, got ${typeof text}`);
    assertWellFormed(text);
    const allowed = allowedSpecialSet(text, this.specialTokens, opts.allowedSpecial, this.name);
    return tk().encode(text, [...allowed], []);
  }

  decode(ids: ArrayLike<number>): string {
    checkIds(ids, this.vocabSize, this.name);
    // js-tiktoken decodes with a default TextDecoder, which drops a leading byte-order mark; a leading 'a' (id 64)
    // keeps it, and is one UTF-16 unit that nothing after it can change, so slice(1) removes exactly it.
    return tk().decode([64, ...Array.from(ids)]).slice(1);
  }
}
