// Hugging Face's ByteLevel regex (Oniguruma) and wgpt's JS regexes: the code points their Unicode tables disagree on,
// and GPT-2's pattern as Hugging Face runs it. Browser-safe. (A module of its own so hf-bpe.ts and the ./hf/ registries
// share it without an import cycle.) Leaves out: the other components' tables (./unicode.ts, ../bert-text.ts).
import { GPT2_PATTERN } from '../bpe.js';

// Hugging Face's ByteLevel regex (Oniguruma) differs from JS's in two ways, found by running both on every code point:
// `\s` is Unicode White_Space (JS's `\s` also takes U+FEFF and leaves out U+0085), and its tables predate Unicode 17, so letters and digits
// Node 20 knows from Unicode 17 are not \p{L} / \p{N} there. wgpt follows Hugging Face on both.
export const L_NOT = '\u088F\u0C5C\u0CDC\uA7CE-\uA7CF\uA7D2\uA7D4\uA7F1\u{10940}-\u{10959}\u{10EC5}-\u{10EC7}\u{11DB0}-\u{11DDB}\u{16EA0}-\u{16EB8}\u{16EBB}-\u{16ED3}\u{16FF2}-\u{16FF3}\u{187F8}-\u{187FF}\u{18D09}-\u{18D1E}\u{18D80}-\u{18DF2}\u{1E6C0}-\u{1E6DE}\u{1E6E0}-\u{1E6E2}\u{1E6E4}-\u{1E6E5}\u{1E6E7}-\u{1E6ED}\u{1E6F0}-\u{1E6F4}\u{1E6FE}-\u{1E6FF}\u{2B73A}-\u{2B73F}\u{2CEA2}-\u{2CEAD}\u{323B0}-\u{33479}';
export const N_NOT = '\u{11DE0}-\u{11DE9}\u{16FF4}-\u{16FF6}';
/** Chars where wgpt's own ByteBpe (JS's GPT-2 regex, tiktoken's behaviour) and Hugging Face's ByteLevel pre-tokenizer split differently */
export const BYTELEVEL_SPLIT_DIFFERS = new RegExp(`[\\uFEFF\\u0085${L_NOT}${N_NOT}]`, 'u');
/** GPT-2's pattern as Hugging Face runs it (its ByteLevel pre-tokenizer), for a `v`-flag RegExp */
export const HF_PATTERN = GPT2_PATTERN.replaceAll('\\s', '\\p{White_Space}')
  .replaceAll('\\S', '\\P{White_Space}')
  .replaceAll('\\p{L}', `[\\p{L}--[${L_NOT}]]`)
  .replaceAll('\\p{N}', `[\\p{N}--[${N_NOT}]]`);

