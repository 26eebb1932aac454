// The documentation's code blocks and their doc-test marks (the line right before a fence):
//   <!-- doc-test: run -->          a js/ts block test/package.test.ts runs with node against the installed tarball
//   <!-- doc-test: sh -->           `npx wgpt …` lines test/package.test.ts runs there, in order; each must exit 0
//   <!-- doc-test: skip (why) -->   not runnable, with the reason
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The documentation files: README.md, CHANGELOG.md, docs/*.md. */
export function docFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => join('docs', f));
  return ['README.md', 'CHANGELOG.md', ...docs];
}

export interface DocBlock {
  file: string;
  line: number;
  lang: string;
  mark: string | null;
  code: string;
}

/** Every fenced block of a markdown text, with the `<!-- doc-test: … -->` mark on the line right before it. */
export function docBlocks(file: string, md: string): DocBlock[] {
  const lines = md.split('\n');
  const out: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    let j = i + 1;
    while (j < lines.length && !/^```\s*$/.test(lines[j])) j++;
    const m = /^<!-- doc-test: (.*?) -->$/.exec(lines[i - 1] ?? '');
    out.push({ file, line: i + 1, lang: open[1], mark: m ? m[1] : null, code: lines.slice(i + 1, j).join('\n') });
    i = j;
  }
  return out;
}

/** All blocks of all documentation files, in order (README first). */
export function allDocBlocks(): DocBlock[] {
  return docFiles().flatMap((f) => docBlocks(f, readFileSync(join(ROOT, f), 'utf8')));
}

