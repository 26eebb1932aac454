// BERT's text pipeline before the vocabulary: BertNormalizer (clean_text, handle_chinese_chars, strip_accents, lowercase)
// and BertPreTokenizer (split on whitespace, isolate punctuation), as Hugging Face tokenizers does it. Browser-safe.
// Leaves out: offsets/alignments (wgpt returns ids and strings, not character spans).
//
// Character classes (Hugging Face's Rust code, see course-part2.md §1.1–1.2):
//   control  = general category Cc ∪ Cf ∪ Co, minus \t \n \r (removed by clean_text, with U+0000 and U+FFFD)
//   space    = Unicode White_Space (Rust char::is_whitespace) — mapped to ' ' by clean_text, split on by the pre-tokenizer
//   punct    = the 32 ASCII punctuation chars or general category P* — each one is its own pre-token
//   chinese  = the CJK ideograph blocks below (Hangul, kana not included) — surrounded by spaces
// JS regexes with the `u` flag read these categories from the engine's Unicode tables (Node 20.20: ICU 78, Unicode 17);
// the Rust crate Hugging Face uses (unicode_categories) has older tables: code points assigned since then can differ.

export interface BertNormalizerOptions {
  /** remove control chars, map every whitespace char to ' ' (default true) */
  cleanText?: boolean;
  /** put spaces around CJK ideographs (default true) */
  handleChineseChars?: boolean;
  /** NFD, then drop combining marks (default: same as `lowercase`, as in Hugging Face) */
  stripAccents?: boolean | null;
  /** lowercase every char (default true, Hugging Face's default; BERT-cased and the course use false) */
  lowercase?: boolean;
}

// Code points where Node 20's tables (ICU 78, Unicode 17) and Hugging Face tokenizers 0.23.2's Rust tables disagree,
// found by running both on every code point (see test/wordpiece.test.ts): wgpt follows Hugging Face on them, so ids
// match in Node. They are characters assigned or re-categorised since Unicode 8–9. Another JS engine's Unicode
// version can add differences; none of them occur in the bundled corpora.
/** Cf in Node, not a control for Hugging Face (kept by clean_text) */
const CONTROL_NOT = '\u0890-\u0891\u08E2\u{110CD}\u{13430}-\u{1343F}';
/** Mn in Node, not a nonspacing mark for Hugging Face (kept by strip_accents) */
const MARK_NOT = '\u07FD\u0897-\u089F\u08CA-\u08E1\u09FE\u0AFA-\u0AFF\u0B55\u0C04\u0C3C\u0D00\u0D3B-\u0D3C\u0D81\u0EBA\u0ECE\u180F\u1885-\u1886\u1ABF-\u1ADD\u1AE0-\u1AEB\u1DF6-\u1DFB\uA82C\uA8C5\uA8FF\uA9BD\u{10D24}-\u{10D27}\u{10D69}-\u{10D6D}\u{10EAB}-\u{10EAC}\u{10EFA}-\u{10EFF}\u{10F46}-\u{10F50}\u{10F82}-\u{10F85}\u{11070}\u{11073}-\u{11074}\u{110C2}\u{111C9}\u{111CF}\u{1123E}\u{11241}\u{1133B}\u{113BB}-\u{113C0}\u{113CE}\u{113D0}\u{113D2}\u{113E1}-\u{113E2}\u{11438}-\u{1143F}\u{11442}-\u{11444}\u{11446}\u{1145E}\u{1182F}-\u{11837}\u{11839}-\u{1183A}\u{1193B}-\u{1193C}\u{1193E}\u{11943}\u{119D4}-\u{119D7}\u{119DA}-\u{119DB}\u{119E0}\u{11A01}-\u{11A0A}\u{11A33}-\u{11A38}\u{11A3B}-\u{11A3E}\u{11A47}\u{11A51}-\u{11A56}\u{11A59}-\u{11A5B}\u{11A8A}-\u{11A96}\u{11A98}-\u{11A99}\u{11B60}\u{11B62}-\u{11B64}\u{11B66}\u{11C30}-\u{11C36}\u{11C38}-\u{11C3D}\u{11C3F}\u{11C92}-\u{11CA7}\u{11CAA}-\u{11CB0}\u{11CB2}-\u{11CB3}\u{11CB5}-\u{11CB6}\u{11D31}-\u{11D36}\u{11D3A}\u{11D3C}-\u{11D3D}\u{11D3F}-\u{11D45}\u{11D47}\u{11D90}-\u{11D91}\u{11D95}\u{11D97}\u{11EF3}-\u{11EF4}\u{11F00}-\u{11F01}\u{11F36}-\u{11F3A}\u{11F40}\u{11F42}\u{11F5A}\u{13440}\u{13447}-\u{13455}\u{1611E}-\u{16129}\u{1612D}-\u{1612F}\u{16F4F}\u{16FE4}\u{1CF00}-\u{1CF2D}\u{1CF30}-\u{1CF46}\u{1E000}-\u{1E006}\u{1E008}-\u{1E018}\u{1E01B}-\u{1E021}\u{1E023}-\u{1E024}\u{1E026}-\u{1E02A}\u{1E08F}\u{1E130}-\u{1E136}\u{1E2AE}\u{1E2EC}-\u{1E2EF}\u{1E4EC}-\u{1E4EF}\u{1E5EE}-\u{1E5EF}\u{1E6E3}\u{1E6E6}\u{1E6EE}-\u{1E6EF}\u{1E6F5}\u{1E944}-\u{1E94A}';
/** nonspacing marks for Hugging Face that Node calls Mc (removed by strip_accents) */
const MARK_EXTRA = '\\u1734\\u{1171E}';
/** canonical decompositions newer than Hugging Face's NFD tables: left whole by strip_accents */
const NFD_NOT = '\\u{105C9}\\u{105E4}\\u{11383}\\u{11385}\\u{1138E}\\u{11391}\\u{113C5}\\u{113C7}\\u{113C8}\\u{11938}\\u{16121}-\\u{16128}\\u{16D68}-\\u{16D6A}';
/** P* in Node, not punctuation for Hugging Face (not split off) */
const PUNCT_NOT = '\u061D\u09FD\u0A76\u0C77\u0C84\u1B4E-\u1B4F\u1B7D-\u1B7F\u2E43-\u2E4F\u2E52-\u2E5D\u{10D6E}\u{10EAD}\u{10ED0}\u{10F55}-\u{10F59}\u{10F86}-\u{10F89}\u{113D4}-\u{113D5}\u{113D7}-\u{113D8}\u{1144B}-\u{1144F}\u{1145A}-\u{1145B}\u{1145D}\u{11660}-\u{1166C}\u{116B9}\u{1183B}\u{11944}-\u{11946}\u{119E2}\u{11A3F}-\u{11A46}\u{11A9A}-\u{11A9C}\u{11A9E}-\u{11AA2}\u{11B00}-\u{11B09}\u{11BE1}\u{11C41}-\u{11C45}\u{11C70}-\u{11C71}\u{11EF7}-\u{11EF8}\u{11F43}-\u{11F4F}\u{11FFF}\u{12FF1}-\u{12FF2}\u{16D6D}-\u{16D6F}\u{16E97}-\u{16E9A}\u{16FE2}\u{1E5FF}\u{1E95E}-\u{1E95F}';
/** punctuation for Hugging Face that Node no longer calls P* (U+166D is So, U+111C9 is Mn since Unicode 11–12) */
const PUNCT_EXTRA = '\\u166D\\u{111C9}';
// ASCII punctuation (is_ascii_punctuation) + P*, as a `v`-flag class (set difference)
/** Hugging Face's punctuation (is_ascii_punctuation ∪ P*, with its Unicode tables) as a `v`-flag class */
export const PUNCT = `[[\\p{P}--[${PUNCT_NOT}]]\\x21-\\x2F\\x3A-\\x40\\x5B-\\x60\\x7B-\\x7E${PUNCT_EXTRA}]`;

const CONTROL = new RegExp(`[[\\0\\uFFFD\\p{Cc}\\p{Cf}\\p{Co}]--[\\t\\n\\r${CONTROL_NOT}]]`, 'gv');
const SPACE = /\p{White_Space}/gu;
const CHINESE = /[\u4E00-\u9FFF\u3400-\u4DBF\u{20000}-\u{2A6DF}\u{2A700}-\u{2B73F}\u{2B740}-\u{2B81F}\u{2B920}-\u{2CEAF}\uF900-\uFAFF\u{2F800}-\u{2FA1F}]/gu;
const MARK = new RegExp(`[[\\p{Mn}--[${MARK_NOT}]]${MARK_EXTRA}]`, 'gv');
/** runs of chars Hugging Face's NFD tables decompose like Node's */
export const NFD_RUN = new RegExp(`[^${NFD_NOT}]+`, 'gu');
/** one pre-token: a run of chars that are neither whitespace nor punctuation, or a single punctuation char */
const PRE_TOKEN = new RegExp(`[^\\p{White_Space}${PUNCT}]+|${PUNCT}`, 'gv');

/** A normalizer function with its options resolved (Hugging Face's defaults: everything on). */
export function bertNormalizer(o: BertNormalizerOptions = {}): (text: string) => string {
  const cleanText = o.cleanText ?? true;
  const chinese = o.handleChineseChars ?? true;
  const lowercase = o.lowercase ?? true;
  const strip = o.stripAccents ?? lowercase;
  return (text: string) => {
    let s = text;
    if (cleanText) s = s.replace(CONTROL, '').replace(SPACE, ' ');
    if (chinese) s = s.replace(CHINESE, ' $& ');
    if (strip) s = s.replace(NFD_RUN, (run) => run.normalize('NFD')).replace(MARK, '');
    if (lowercase) s = lowerEachChar(s);
    return s;
  };
}

/** Lowercases char by char (Rust's char::to_lowercase): no context rules such as Greek final sigma. */
function lowerEachChar(s: string): string {
  let out = '';
  for (const c of s) out += c.toLowerCase();
  return out;
}

/** Resolved options, as written in tokenizer.json's BertNormalizer (strip_accents may be null there). */
export function resolveBertNormalizer(o: BertNormalizerOptions = {}): Required<BertNormalizerOptions> {
  const lowercase = o.lowercase ?? true;
  return { cleanText: o.cleanText ?? true, handleChineseChars: o.handleChineseChars ?? true, stripAccents: o.stripAccents ?? lowercase, lowercase };
}

/** BertPreTokenizer: whitespace is dropped, every punctuation char stands alone. */
export function bertPreTokenize(text: string): string[] {
  return text.match(PRE_TOKEN) ?? [];
}
