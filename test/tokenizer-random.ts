// Seeded random well-formed text for the tokenizer tests (shared by bpe, data and fuzz tests). Leaves out: lone surrogates
// (not valid Unicode; the fuzz test makes those on purpose).
import { rng } from './close.ts';

/** Random well-formed string: ASCII, whitespace, Latin-1, CJK, Hangul, astral (emoji and beyond), contractions. */
export function randomText(r: () => number, maxLen: number): string {
  const pools: (() => string)[] = [
    () => String.fromCharCode(0x20 + Math.floor(r() * 95)),
    () => [' ', '  ', '\t', '\n', '\r\n', '\r', '\u00a0', '\u3000', '\u2028', '\v', '\f'][Math.floor(r() * 11)],
    () => ["'s", "'t", "'re", "'ll", "'d", "'m", "'ve", "'S"][Math.floor(r() * 8)],
    () => String.fromCharCode(0xa0 + Math.floor(r() * 0x160)),
    () => String.fromCharCode(0x4e00 + Math.floor(r() * 0x5000)),
    () => String.fromCharCode(0xac00 + Math.floor(r() * 0x2ba4)),
    () => String.fromCodePoint(0x1f300 + Math.floor(r() * 0x700)),
    () => String.fromCodePoint(0x10000 + Math.floor(r() * 0xfffff)),
    () => String.fromCharCode(0x30 + Math.floor(r() * 10)).repeat(1 + Math.floor(r() * 5)),
    () => 'abcdefghijklmnopqrstuvwxyz'.slice(Math.floor(r() * 20)).slice(0, 1 + Math.floor(r() * 8)),
  ];
  const n = Math.floor(r() * maxLen);
  let s = '';
  for (let i = 0; i < n; i++) s += pools[Math.floor(r() * pools.length)]();
  return s;
}

/** Random strings: the shared generator plus control chars, odd whitespace, combining accents, BERT punctuation, specials. */
export function wordPieceRandomTexts(n: number, seed: number): string[] {
  const r = rng(seed);
  const extra = ['\u0000', '\u0001', '\u001f', '\u007f', '\u200b', '\u200d', '\u0085', '\ufeff', '\u00ad', '\ue000', '\u{f0000}', '\ufffd', '\u2028', '\u2029', '\u3000', '\u00a0', '\u1680', '\u202f', '\t', '\r\n', 'e\u0301', 'Å', 'ñ', '\u{1F600}', '\u{1F1F0}\u{1F1F7}', '한국어', '中文', 'カタカナ', '\u{2B920}', '\u{2B81F}', '…', '«', '»', '€', '×', '—', '。', '、', '$', '^', '`', '[MASK]', '[CLS]x', "isn't", "I'm"];
  const out: string[] = [];
  while (out.length < n) {
    let s = randomText(r, 40);
    const k = Math.floor(r() * 5);
    for (let j = 0; j < k; j++) {
      const p = Math.floor(r() * (s.length + 1));
      if (p > 0 && p < s.length && s.charCodeAt(p) >= 0xdc00 && s.charCodeAt(p) <= 0xdfff) continue;
      s = s.slice(0, p) + extra[Math.floor(r() * extra.length)] + s.slice(p);
    }
    out.push(s);
  }
  return out;
}

