// Code points where Node 20.20's Unicode tables (ICU 78, Unicode 17) and Hugging Face tokenizers 0.23.2's (its Rust
// crates' older tables) disagree, for the components in this folder: found by running both on every code point
// (test/fixtures/gen_hf_unicode.ts writes this file: normalizeString / preTokenizeString of each char).
// wgpt follows Hugging Face on them. Another JS engine's Unicode version can add differences. Browser-safe.
// Leaves out: BertNormalizer / BertPreTokenizer and ByteLevel, whose lists live in bert-text.ts and hf-bpe.ts.

/** marks (\p{M}) Hugging Face's StripAccents keeps */
export const STRIP_NOT = '\u07FD\u0897-\u089F\u08CA-\u08D3\u09FE\u0AFA-\u0AFF\u0B55\u0C04\u0C3C\u0CF3\u0D00\u0D3B-\u0D3C\u0D81\u0EBA\u0ECE\u1715\u180F\u1ABF-\u1ADD\u1AE0-\u1AEB\u1CF7\u1DF6-\u1DFA\uA82C\uA8FF\u{10D24}-\u{10D27}\u{10D69}-\u{10D6D}\u{10EAB}-\u{10EAC}\u{10EFA}-\u{10EFF}\u{10F46}-\u{10F50}\u{10F82}-\u{10F85}\u{11070}\u{11073}-\u{11074}\u{110C2}\u{11145}-\u{11146}\u{111C9}\u{111CE}-\u{111CF}\u{11241}\u{1133B}\u{113B8}-\u{113C0}\u{113C2}\u{113C5}\u{113C7}-\u{113CA}\u{113CC}-\u{113D0}\u{113D2}\u{113E1}-\u{113E2}\u{1145E}\u{1182C}-\u{1183A}\u{11930}-\u{11935}\u{11937}-\u{11938}\u{1193B}-\u{1193E}\u{11940}\u{11942}-\u{11943}\u{119D1}-\u{119D7}\u{119DA}-\u{119E0}\u{119E4}\u{11A01}-\u{11A0A}\u{11A33}-\u{11A39}\u{11A3B}-\u{11A3E}\u{11A47}\u{11A51}-\u{11A5B}\u{11A8A}-\u{11A99}\u{11B60}-\u{11B67}\u{11D31}-\u{11D36}\u{11D3A}\u{11D3C}-\u{11D3D}\u{11D3F}-\u{11D45}\u{11D47}\u{11D8A}-\u{11D8E}\u{11D90}-\u{11D91}\u{11D93}-\u{11D97}\u{11EF3}-\u{11EF6}\u{11F00}-\u{11F01}\u{11F03}\u{11F34}-\u{11F3A}\u{11F3E}-\u{11F42}\u{11F5A}\u{13440}\u{13447}-\u{13455}\u{1611E}-\u{1612F}\u{16F4F}\u{16F7F}-\u{16F87}\u{16FE4}\u{16FF0}-\u{16FF1}\u{1CF00}-\u{1CF2D}\u{1CF30}-\u{1CF46}\u{1E08F}\u{1E130}-\u{1E136}\u{1E2AE}\u{1E2EC}-\u{1E2EF}\u{1E4EC}-\u{1E4EF}\u{1E5EE}-\u{1E5EF}\u{1E6E3}\u{1E6E6}\u{1E6EE}-\u{1E6EF}\u{1E6F5}';
/** non-marks in Node's tables that Hugging Face's StripAccents removes */
export const STRIP_EXTRA = '\u1CF2-\u1CF3';
/** chars Hugging Face's NFD leaves as they are (decompositions newer than its tables) */
export const NFD_NOT = '\u{105C9}\u{105E4}\u{11383}\u{11385}\u{1138E}\u{11391}\u{113C5}\u{113C7}-\u{113C8}\u{11938}\u{16121}-\u{16128}\u{16D68}-\u{16D6A}';
/** … its NFKD */
export const NFKD_NOT = '\u32FF\uA7F1-\uA7F4\uAB69\u{105C9}\u{105E4}\u{10781}-\u{10785}\u{10787}-\u{107B0}\u{107B2}-\u{107BA}\u{11383}\u{11385}\u{1138E}\u{11391}\u{113C5}\u{113C7}-\u{113C8}\u{11938}\u{16121}-\u{16128}\u{16D68}-\u{16D6A}\u{1CCD6}-\u{1CCF9}\u{1E030}-\u{1E06D}\u{1F16C}\u{1FBF0}-\u{1FBF9}';
/** … its NFKC */
export const NFKC_NOT = '\u32FF\uA7F1-\uA7F4\uAB69\u{10781}-\u{10785}\u{10787}-\u{107B0}\u{107B2}-\u{107BA}\u{1CCD6}-\u{1CCF9}\u{1E030}-\u{1E06D}\u{1F16C}\u{1FBF0}-\u{1FBF9}';
/** … its NFC */
export const NFC_NOT = '';
/** Rust regex's \w (the Whitespace pre-tokenizer, single_word added tokens) leaves out, though Node's tables have them */
export const WORD_NOT = '\u088F\u0C5C\u0CDC\u1ACF-\u1ADD\u1AE0-\u1AEB\uA7CE-\uA7CF\uA7D2\uA7D4\uA7F1\u{10940}-\u{10959}\u{10EC5}-\u{10EC7}\u{10EFA}-\u{10EFB}\u{11B60}-\u{11B67}\u{11DB0}-\u{11DDB}\u{11DE0}-\u{11DE9}\u{16EA0}-\u{16EB8}\u{16EBB}-\u{16ED3}\u{16FF2}-\u{16FF6}\u{187F8}-\u{187FF}\u{18D09}-\u{18D1E}\u{18D80}-\u{18DF2}\u{1E6C0}-\u{1E6DE}\u{1E6E0}-\u{1E6F5}\u{1E6FE}-\u{1E6FF}\u{2B73A}-\u{2B73F}\u{2CEA2}-\u{2CEAD}\u{323B0}-\u{33479}';
/** Rust regex's \w has, though Node's tables do not */
export const WORD_EXTRA = '';
/** char::is_numeric (the Digits pre-tokenizer) leaves out, though Node's \p{N} has them */
export const NUMERIC_NOT = '';
/** char::is_numeric has, though Node's \p{N} does not */
export const NUMERIC_EXTRA = '';
