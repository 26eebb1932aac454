// `wgpt tokenizer-train`: learn a WordPiece (BERT, the course's BertWordPieceTokenizer) or a byte-level BPE from one
// or more corpora and write it as a Hugging Face tokenizer.json (plus vocab.txt for WordPiece), atomically, after
// reloading the written text and checking it encodes the corpus the same. Leaves out: streaming corpora larger than memory.
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Command, UsageError, num } from './command.js';
import { trainWordPiece, trainBpe, wordPieceToHfJson, byteBpeToHfJson, parseHfTokenizerJson, DEFAULT_SPECIAL_TOKENS } from '../tokenizer/index.js';
import { readTextFileStrict } from '../data/node.js';
import { writeFileAtomic } from '../io/atomic.js';
import { ProgressBar } from '../util/progress.js';
import { resolveCorpus } from '../data/corpora.js';

const cmd: Command = {
  summary: 'learn a WordPiece or byte-level BPE from corpora and write a Hugging Face tokenizer.json',
  usage:
    'wgpt tokenizer-train [--type wordpiece|bpe] --vocab-size N [--min-frequency F] [--limit-alphabet A] ' +
    '[--special-tokens "[PAD],[UNK],[CLS],[SEP],[MASK]"] [--lowercase] CORPUS... --out DIR/tokenizer.json   ' +
    '(wordpiece: defaults min-frequency 2, limit-alphabet 1000, the five BERT specials, no lowercasing; vocab.txt and tokenizer_config.json written beside; ' +
    'bpe: GPT-2 pre-tokenization, special tokens default <|endoftext|>)',
  options: {
    type: { type: 'string' },
    'vocab-size': { type: 'string' },
    'min-frequency': { type: 'string' },
    'limit-alphabet': { type: 'string' },
    'special-tokens': { type: 'string' },
    lowercase: { type: 'boolean' },
    out: { type: 'string' },
  },
  help: {
    type: ['wordpiece|bpe', "WordPiece (BERT's BertWordPieceTokenizer) or wgpt's byte-level BPE", 'wordpiece'],
    'vocab-size': ['N', 'target vocabulary size: specials + alphabet + "##" symbols + merges (bpe: 256 bytes + merges + specials)'],
    'min-frequency': ['F', 'stop when the most frequent pair occurs fewer times', '2'],
    'limit-alphabet': ['A', 'wordpiece: keep at most A distinct characters (the rarest are dropped)', '1000'],
    'special-tokens': ['T,…', 'special tokens, ids 0… in this order (comma-separated; "" for none)', '[PAD],[UNK],[CLS],[SEP],[MASK] (bpe: <|endoftext|>)'],
    lowercase: ['', 'wordpiece: lowercase and strip accents (an uncased BERT)', 'off (cased, the course)'],
    out: ['DIR/tokenizer.json', 'where to write the Hugging Face tokenizer.json (vocab.txt and tokenizer_config.json go beside it for wordpiece)'],
  },
  positionals: true,
  async run(v, pos) {
    const type = (v.type as string | undefined) ?? 'wordpiece';
    if (type !== 'wordpiece' && type !== 'bpe') throw new UsageError(`--type must be wordpiece or bpe, got '${type}'`);
    if (pos.length === 0) throw new UsageError('at least one CORPUS file is required');
    const out = v.out as string | undefined;
    if (!out) throw new UsageError('--out DIR/tokenizer.json is required');
    const vocabSize = num(v, 'vocab-size', undefined, { int: true, min: 1 });
    const minFrequency = num(v, 'min-frequency', type === 'wordpiece' ? 2 : 2, { int: true, min: 0 });
    const limitAlphabet = v['limit-alphabet'] === undefined ? undefined : num(v, 'limit-alphabet', undefined, { int: true, min: 0 });
    if (type === 'bpe' && limitAlphabet !== undefined) throw new UsageError('--limit-alphabet applies to --type wordpiece only (a byte-level BPE has 256 byte symbols)');
    if (type === 'bpe' && v.lowercase) throw new UsageError('--lowercase applies to --type wordpiece only');
    const specialFlag = v['special-tokens'] as string | undefined;
    const specials = specialFlag === undefined ? (type === 'wordpiece' ? DEFAULT_SPECIAL_TOKENS : ['<|endoftext|>']) : specialFlag === '' ? [] : specialFlag.split(',');
    if (specials.some((s) => s === '')) throw new UsageError(`--special-tokens has an empty entry: ${JSON.stringify(specialFlag)}`);
    const texts = pos.map((name) => {
      const p = resolveCorpus(name);
      let size: number;
      try {
        size = statSync(p).size;
      } catch {
        throw new Error(`cannot read corpus ${p}: no such file`);
      }
      if (size === 0) throw new Error(`corpus ${p} is empty`);
      return readTextFileStrict(p);
    });
    const bytes = texts.reduce((s, t) => s + new TextEncoder().encode(t).length, 0);
    const bar = new ProgressBar(vocabSize);
    const t0 = performance.now();
    let json: string;
    let files: Record<string, string>;
    let summary: string;
    if (type === 'wordpiece') {
      const r = trainWordPiece(texts, {
        vocabSize,
        minFrequency,
        limitAlphabet: limitAlphabet ?? 1000,
        specialTokens: specials,
        normalizer: { cleanText: true, handleChineseChars: true, stripAccents: v.lowercase ? null : false, lowercase: !!v.lowercase },
        name: pos[0].split('/').pop(),
        onProgress: (n) => bar.update(n, { vocab: String(n) }),
      });
      bar.done();
      json = wordPieceToHfJson(r.tokenizer);
      // tokenizer_config.json says whether the vocab.txt is cased (BertTokenizer lowercases a bare vocab.txt)
      const config = { do_lower_case: !!v.lowercase, strip_accents: v.lowercase ? null : false, tokenize_chinese_chars: true, tokenizer_class: 'BertTokenizer' };
      files = { [out]: json, [join(dirname(out), 'vocab.txt')]: r.tokenizer.toVocabTxt(), [join(dirname(out), 'tokenizer_config.json')]: JSON.stringify(config) + '\n' };
      summary = `WordPiece: ${r.tokenizer.vocabSize} tokens (${specials.length} special, ${r.alphabet} alphabet of ${r.charsSeen} chars seen, ${r.merges} merges) from ${r.totalWords} words (${r.uniqueWords} distinct)${r.stoppedEarly ? `; stopped early: no pair occurs ${Math.max(1, minFrequency)}+ times` : ''}`;
    } else {
      const r = trainBpe(texts.join('\n'), { vocabSize, special: specials, minFrequency: Math.max(1, minFrequency), name: pos[0].split('/').pop(), onProgress: (m) => bar.update(256 + m, { merges: String(m) }) });
      bar.done();
      json = byteBpeToHfJson(r.bpe);
      files = { [out]: json };
      summary = `byte-level BPE: ${r.bpe.vocabSize} tokens (256 bytes, ${r.merges} merges, ${specials.length} special) from ${r.totalWords} pre-tokens (${r.uniqueWords} distinct)${r.stoppedEarly ? ' (stopped early)' : ''}`;
    }
    const secs = (performance.now() - t0) / 1000;
    // reload what will be written and check it encodes the corpus identically before anything touches the disk
    const back = parseHfTokenizerJson(json, out);
    let n = 0;
    for (const t of texts) n += back.encode(t).length;
    mkdirSync(dirname(out), { recursive: true });
    for (const [path, text] of Object.entries(files)) writeFileAtomic(path, text);
    console.log(`${summary} in ${secs.toFixed(2)} s`);
    console.log(`${pos.join(', ')}: ${bytes} bytes → ${n} tokens (${(bytes / Math.max(1, n)).toFixed(2)} bytes/token)`);
    console.log(`wrote ${Object.keys(files).join(' and ')}`);
    return 0;
  },
};
export default cmd;
