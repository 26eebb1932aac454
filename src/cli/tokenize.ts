// `wgpt tokenize`: text → token ids (list, JSON, count, or a .bin token file) and ids → text, with any wgpt tokenizer.
// Leaves out: showing merges step by step (see `wgpt bpe-train` for making a BPE).
import { readFileSync, statSync } from 'node:fs';
import { type Command, UsageError } from './command.js';
import { tokenizerFromSpec, parseAllowedSpecial } from '../tokenizer/node.js';
import { loadTokenizerOf } from '../hub/node.js';
import { readTextFileStrict, tokenizeFile, tokenizeToBin, writeTokenFile } from '../data/node.js';
import { decodeUtf8Strict } from '../util/utf8.js';
import { type Tokenizer, WordPiece, HfByteLevelBpe, HfTokenizer, isFullTokenizer } from '../tokenizer/index.js';
import { resolveCorpus } from '../data/corpora.js';

/** The vocabulary strings of `ids` (WordPiece "##x", byte-level BPE "Ġthe"), else each id decoded alone. */
function tokenStrings(tok: Tokenizer, ids: number[]): string[] {
  if (tok instanceof WordPiece) return ids.map((i) => tok.vocab[i]);
  if (tok instanceof HfByteLevelBpe) return ids.map((i) => tok.idToToken[i] ?? '');
  if (tok instanceof HfTokenizer) return ids.map((i) => tok.idToToken(i) ?? '');
  return ids.map((i) => tok.decode([i]));
}

const cmd: Command = {
  summary: 'text → token ids (--ids JSON, --tokens, --count, --write-bin OUT.bin) or ids → text (--decode)',
  usage:
    'wgpt tokenize [--tokenizer gpt2|wgpt-gpt2|simple-v1|simple-v2|BPE.json|PATH/tokenizer.json|PATH/vocab.txt|DIR | --model DIR|NAME] [--vocab-from CORPUS] [--allowed-special all|TOKEN,…] ' +
    '[--add-special-tokens] (--text "…" | FILE) [--ids | --tokens | --count | --decode | --write-bin OUT.bin]   ' +
    "(FILE: one JSON array for the whole file; --add-special-tokens: the post-processor's [CLS] … [SEP] / <s> … </s>; " +
    'simple-*: vocabulary from --vocab-from, else FILE, else the bundled the-verdict.txt; no flag: one "id<TAB>token" line per token)',
  options: {
    tokenizer: { type: 'string' },
    model: { type: 'string' },
    'vocab-from': { type: 'string' },
    'allowed-special': { type: 'string' },
    text: { type: 'string' },
    ids: { type: 'boolean' },
    tokens: { type: 'boolean' },
    'add-special-tokens': { type: 'boolean' },
    count: { type: 'boolean' },
    decode: { type: 'boolean' },
    'write-bin': { type: 'string' },
  },
  help: {
    tokenizer: ['SPEC', 'gpt2, wgpt-gpt2 (same ids, our encoder), simple-v1, simple-v2, a wgpt BPE file, a Hugging Face tokenizer.json or vocab.txt, or a tokenizer folder (tokenizer.json, vocab.txt + configs, the Marian files; docs/tokenizers.md)', 'gpt2'],
    model: ['DIR|NAME', "the tokenizer a model carries: a folder, or a model on the Hub (its config and tokenizer files only are downloaded)"],
    'vocab-from': ['CORPUS', 'text the simple-* vocabulary is built from', 'FILE, else the bundled the-verdict.txt'],
    'allowed-special': ['all|TOK,…', 'special tokens encoded as their ids (others are plain text)', 'none'],
    text: ['"…"', 'the text to tokenize (instead of FILE)'],
    ids: ['', 'print the ids as one JSON array (a FILE: one array for the whole file)'],
    tokens: ['', 'print the tokens (vocabulary strings: "##다", "Ġthe") as one JSON array'],
    'add-special-tokens': ['', "add the post-processor's special tokens ([CLS] … [SEP], <s> … </s>) as Hugging Face's encode does", 'off'],
    count: ['', 'print only the number of tokens'],
    decode: ['', 'read ids (JSON array or comma-separated) and print the text'],
    'write-bin': ['OUT.bin', 'write the ids as an llm.c-style .bin token file (streams big files)'],
  },
  positionals: true,
  async run(v, pos) {
    const modes = ['ids', 'tokens', 'count', 'decode', 'write-bin'].filter((m) => v[m] !== undefined);
    if (modes.length > 1) throw new UsageError(`choose one of --${modes.join(', --')}`);
    if (pos.length > 1) throw new UsageError(`one input FILE, got ${pos.length}: ${pos.join(' ')}`);
    if (pos.length === 1 && v.text !== undefined) throw new UsageError('give --text or FILE, not both');
    if (pos.length === 0 && v.text === undefined) throw new UsageError('nothing to tokenize: give --text "…" or a FILE');
    const file = pos[0] === undefined ? undefined : resolveCorpus(pos[0]);
    if (file !== undefined) {
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        throw new Error(`cannot read ${file}: no such file`);
      }
      if (size === 0) throw new Error(`${file} is empty: nothing to tokenize`);
    }
    if (v.model !== undefined && (v.tokenizer !== undefined || v['vocab-from'] !== undefined)) throw new UsageError('--model reads the model\'s own tokenizer: give --model or --tokenizer/--vocab-from, not both');
    const tok = v.model !== undefined ? await loadTokenizerOf(v.model as string) : tokenizerFromSpec(v.tokenizer as string | undefined, { vocabFrom: v['vocab-from'] === undefined ? undefined : resolveCorpus(v['vocab-from'] as string), fallbackCorpus: file });
    const allowedSpecial = parseAllowedSpecial(v['allowed-special'] as string | undefined);
    const addSpecial = !!v['add-special-tokens'];
    if (addSpecial && !(isFullTokenizer(tok) && tok.numSpecialTokensToAdd(false) > 0)) throw new UsageError(`--add-special-tokens needs a tokenizer whose post-processor adds special tokens ([CLS]/[SEP], <s>/</s>); ${tok.name} has none`);
    if (addSpecial && (v.decode || v['write-bin'] !== undefined)) throw new UsageError('--add-special-tokens applies to --ids, --tokens, --count and the listing');
    // with special tokens: Hugging Face's encode (a tokenizer.json's stored truncation and padding apply)
    const encode = (text: string) => (addSpecial && isFullTokenizer(tok) ? tok.encodeFull(text).ids : tok.encode(text, { allowedSpecial }));

    if (v.decode) {
      const src = file !== undefined ? decodeUtf8Strict(readFileSync(file), file) : (v.text as string);
      let ids: unknown;
      try {
        ids = JSON.parse(src);
      } catch {
        throw new Error('--decode expects a JSON array of token ids, e.g. [40, 367, 2885]');
      }
      if (!Array.isArray(ids)) throw new Error('--decode expects a JSON array of token ids, e.g. [40, 367, 2885]');
      process.stdout.write(tok.decode(ids as number[]) + '\n');
      return 0;
    }

    const out = v['write-bin'] as string | undefined;
    if (out !== undefined) {
      if (!out) throw new UsageError('--write-bin needs an output path');
      if (file !== undefined) {
        const r = tokenizeToBin(file, out, tok, { allowedSpecial });
        if (r.tokens === 0) throw new Error(`${file} has no tokens`);
        console.log(`wrote ${r.tokens} tokens (uint${r.width * 8}, ${tok.name}, vocab ${tok.vocabSize}) from ${r.bytes} bytes to ${out}`);
      } else {
        const ids = tok.encode(v.text as string, { allowedSpecial });
        writeTokenFile(out, ids, tok.vocabSize);
        console.log(`wrote ${ids.length} tokens (${tok.name}) to ${out}`);
      }
      return 0;
    }

    let ids: number[];
    if (file !== undefined) {
      if (v.count && !addSpecial) {
        const r = tokenizeFile(file, tok, { allowedSpecial, onIds: () => {} });
        console.log(String(r.tokens));
        return 0;
      }
      ids = encode(readTextFileStrict(file));
    } else ids = encode(v.text as string);
    if (v.count) console.log(String(ids.length));
    else if (v.ids) console.log(JSON.stringify(ids));
    else if (v.tokens) console.log(JSON.stringify(tokenStrings(tok, ids)));
    else {
      const strs = tokenStrings(tok, ids);
      const lines = ids.map((id, k) => `${id}\t${JSON.stringify(strs[k])}`);
      process.stdout.write(lines.join('\n') + (lines.length ? '\n' : ''));
    }
    return 0;
  },
};
export default cmd;
