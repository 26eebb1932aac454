// Seeded random well-formed text for the tokenizer tests (shared by bpe, data and fuzz tests). Leaves out: lone surrogates
// (not valid Unicode; the fuzz test makes those on purpose).

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
