// The corpora that ship with wgpt (src/data/ in a clone, dist/data/ in the package), reachable by name wherever a
// command takes a corpus file (`--data the-verdict`): a path that exists is always read as a path first.
// Sources and licences: src/data/README.md. Leaves out: downloading corpora.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (f: string) => fileURLToPath(new URL(`./${f}`, import.meta.url));

/** name → file and one line on what it is (the CLI's help and docs list them). */
export const CORPORA: Record<string, { path: string; about: string }> = {
  'the-verdict': { path: here('the-verdict.txt'), about: "Edith Wharton's The Verdict, the course's English text (20,479 characters, public domain)" },
  'debian-faq-ko': { path: here('debian-faq-ko.txt'), about: 'the Korean Debian FAQ, one paragraph a line (185 kB)' },
  'ko-en': { path: here('ko-en.tsv'), about: "995 English–Korean sentence pairs from Debian packages' Korean gettext catalogs (source<TAB>target)" },
  'nsmc-train': { path: here('nsmc/train.tsv'), about: 'NSMC sample: 3,000 Korean movie reviews labelled negative/positive (text<TAB>label, CC0)' },
  'nsmc-test': { path: here('nsmc/test.tsv'), about: 'NSMC sample: 1,000 held-out Korean movie reviews labelled negative/positive (text<TAB>label, CC0)' },
};

/** the parallel corpus (English<TAB>Korean) for the seq2seq and Marian examples */
export const PARALLEL_CORPUS = CORPORA['ko-en'].path;

/** `p` itself when it exists (or is not a corpus name), else the bundled corpus of that name (`the-verdict`, `the-verdict.txt`). */
export function resolveCorpus(p: string): string {
  if (existsSync(p)) return p;
  const name = p.replace(/\.(txt|tsv)$/, '');
  return CORPORA[name]?.path ?? p;
}

/** One line naming the bundled corpora, for error messages and help. */
export const CORPUS_NAMES = Object.keys(CORPORA).join(', ');
