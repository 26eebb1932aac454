// The tokenizer panel's Korean WordPiece: fetches the bundled Korean corpus, trains the course's BertWordPieceTokenizer
// (vocab 30000, limit_alphabet 6000, no lowercasing) in the page, and offers it as a tokenizer option.
// Leaves out: using it as the model's tokenizer (the GPT below keeps its byte-level BPE).
import { trainWordPiece, type Tokenizer, type WordPiece } from '../tokenizer/index.js';

let wp: WordPiece | null = null;
let failed = '';

/** The chips show vocabulary strings ("##다", "[UNK]"); longer id lists decode with the WordPiece decoder. */
function chipView(t: WordPiece): Tokenizer {
  return {
    name: t.name,
    vocabSize: t.vocabSize,
    specialTokens: t.specialTokens,
    encode: (text) => t.encode(text),
    decode: (ids) => (ids.length === 1 ? t.idToToken(ids[0]) : t.decode(ids)),
  };
}

const label = () => (wp ? `WordPiece trained on the Korean Debian FAQ (${wp.vocabSize.toLocaleString('en-US')} ids, the course's)` : failed ? `WordPiece (Korean): ${failed}` : 'WordPiece trained on the Korean Debian FAQ (training…)');

/** The tokenizer-panel option (for registerTokenizer); starts fetching and training the vocabulary. */
export function koreanWordPieceOption(): { value: string; label: () => string; get: () => Tokenizer | null } {
  void train();
  let view: Tokenizer | null = null;
  return { value: 'wordpiece-ko', label, get: () => (wp ? (view ??= chipView(wp)) : null) };
}

async function train(): Promise<void> {
  try {
    const res = await fetch('/debian-faq-ko.txt');
    if (!res.ok) throw new Error(`cannot fetch /debian-faq-ko.txt (HTTP ${res.status})`);
    const ko = await res.text();
    wp = trainWordPiece(ko, { vocabSize: 30000, limitAlphabet: 6000, name: 'debian-faq-ko' }).tokenizer;
  } catch (e) {
    failed = String((e as Error).message ?? e).split('\n')[0];
  }
  const sel = document.getElementById('tok-kind') as HTMLSelectElement | null;
  const opt = sel && [...sel.options].find((o) => o.value === 'wordpiece-ko');
  if (opt) opt.textContent = label();
  if (sel && sel.value === 'wordpiece-ko') sel.dispatchEvent(new Event('change'));
}
