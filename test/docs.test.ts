// The documentation as a checked artefact: docs/cli.md equals what scripts/cli-docs.ts renders from the
// commands' tables; every fenced code block in README.md, CHANGELOG.md and docs/*.md carries a doc-test mark
// (run: a js block test/package.test.ts runs against the installed tarball; sh: commands it runs there, each
// must exit 0; skip (why): not runnable, with the reason); relative links resolve; README ≤ 350 lines.
// Leaves out: running the blocks (test/package.test.ts does, against one shared install).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { allDocBlocks, docFiles } from './doc-blocks.ts';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCliDocs, CLI_DOC } from '../scripts/cli-docs.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

test('docs/cli.md is what scripts/cli-docs.ts renders from the commands (regenerate: node --import ./src/register.mjs scripts/cli-docs.ts)', async () => {
  const want = await renderCliDocs();
  const have = readFileSync(CLI_DOC, 'utf8');
  if (have !== want) {
    const a = have.split('\n'), b = want.split('\n');
    const i = a.findIndex((l, k) => l !== b[k]);
    assert.unreachable(`docs/cli.md is stale at line ${i + 1}: have ${JSON.stringify(a[i])}, the tables give ${JSON.stringify(b[i])}`);
  }
  for (const name of ['train', 'generate', 'translate', 'walk']) assert.match(have, new RegExp(`^## wgpt ${name}$`, 'm'));
});

test('every code block in README.md, CHANGELOG.md and docs/ is run by a test or marked not runnable with a reason', () => {
  const blocks = allDocBlocks();
  assert.ok(blocks.length >= 20, `only ${blocks.length} blocks found`);
  const bad = blocks.filter((b) => !(b.mark === 'run' && /^(js|ts)$/.test(b.lang)) && !(b.mark === 'sh' && b.lang === 'sh') && !/^skip \(.{8,}\)$/.test(b.mark ?? ''));
  assert.is(bad.length, 0, `unmarked or mismarked blocks: ${bad.slice(0, 8).map((b) => `${b.file}:${b.line} (${b.mark ?? 'no mark'})`).join(', ')}`);
  const counts = { run: 0, sh: 0, skip: 0 };
  for (const b of blocks) counts[b.mark!.split(' ')[0] as keyof typeof counts]++;
  console.log(`  ${blocks.length} code blocks in ${docFiles().length} files: ${counts.run} run, ${counts.sh} sh, ${counts.skip} skipped with a reason`);
  // sh blocks hold commands only, one a line, that run from an installed package
  for (const b of blocks.filter((x) => x.mark === 'sh'))
    for (const l of b.code.split('\n').filter((x) => x.trim() && !x.startsWith('#')))
      assert.match(l, /^npx wgpt /, `${b.file}:${b.line}: an sh block runs \`npx wgpt …\` lines only, got ${JSON.stringify(l)}`);
});

test('relative links in the documentation resolve; README.md stays a front door (≤ 350 lines)', () => {
  const broken: string[] = [];
  for (const f of docFiles()) {
    const md = readFileSync(join(ROOT, f), 'utf8');
    for (const m of md.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1].split('#')[0];
      if (!target || /^[a-z]+:/.test(target)) continue;
      if (!existsSync(join(ROOT, dirname(f), target))) broken.push(`${f}: ${m[1]}`);
    }
  }
  assert.equal(broken, [], `broken links: ${broken.join(', ')}`);
  const n = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length;
  console.log(`  README.md: ${n} lines`);
  assert.ok(n <= 350, `README.md has ${n} lines`);
});

test.run();
