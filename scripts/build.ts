// `npm run build` (also run by `npm pack` through prepack): compiles src/ to dist/ for the npm package —
// one ESM .js per source file (WGSL inlined as {file, code}, imports left as they are), .d.ts from tsc,
// the browser page prebuilt (dist/wgpt.browser.js + dist/web/index.html) and the bundled corpus copied.
// Leaves out: the bench command (its suites live in bench/, outside the package) and source maps.
import * as esbuild from 'esbuild';
import { readFile } from 'node:fs/promises';
import { cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundle } from '../src/gpu/esbuild.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
/** Source files that do not go into the package. */
const SKIP = [/^web\//, /^ref\//, /\.d\.ts$/, /^cli\/bench\.ts$/, /^gpu\/platform\.browser\.ts$/];

function sources(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (p.endsWith('.ts') && !SKIP.some((re) => re.test(relative(SRC, p)))) out.push(p);
  }
  return out;
}

// Each file is its own bundle whose only inlined imports are the shaders: .wgsl files and the kernel generators beside
// them (shaders/*.ts); every other import stays an import (a relative one renamed .ts → .js), so dist/ mirrors src/ and
// lazy imports stay lazy.
const perFile: esbuild.Plugin = {
  name: 'wgpt-per-file',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point' || args.path.endsWith('.wgsl')) return undefined;
      // a generator in shaders/ (imported from src/ as ../../shaders/x.ts, or by another generator as ./x.ts)
      if (/(^|\/)shaders\/[^/]+\.ts$/.test(args.path) || (args.importer.includes(`${join(ROOT, 'shaders')}`) && args.path.startsWith('./'))) return undefined;
      return { path: args.path.replace(/\.ts$/, '.js'), external: true };
    });
    build.onLoad({ filter: /\.wgsl$/ }, async (args) => ({
      contents: `export default ${JSON.stringify({ file: relative(ROOT, args.path), code: await readFile(args.path, 'utf8') })};`,
      loader: 'js',
    }));
  },
};

const t0 = performance.now();
rmSync(DIST, { recursive: true, force: true });
const entries = sources(SRC);
await esbuild.build({
  entryPoints: entries,
  outbase: SRC,
  outdir: DIST,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  plugins: [perFile],
});
// the bin: the CLI without the TypeScript loader
writeFileSync(join(DIST, 'cli', 'wgpt.js'), "#!/usr/bin/env node\n// The `wgpt` command of the npm package (compiled; src/cli/wgpt.js runs the sources).\nawait (await import('./main.js')).run();\n");
chmodSync(join(DIST, 'cli', 'wgpt.js'), 0o755);
// data the modules read beside themselves: the bundled corpus and the page
mkdirSync(join(DIST, 'data'), { recursive: true });
cpSync(join(SRC, 'data', 'the-verdict.txt'), join(DIST, 'data', 'the-verdict.txt'));
// the Korean corpus of the WordPiece tokenizer (page, KOREAN_CORPUS) travels with its notice and provenance
cpSync(join(SRC, 'data', 'debian-faq-ko.txt'), join(DIST, 'data', 'debian-faq-ko.txt'));
cpSync(join(SRC, 'data', 'README.md'), join(DIST, 'data', 'README.md'));
// the English–Korean pairs for the seq2seq and Marian examples (`--data ko-en`, PARALLEL_CORPUS)
cpSync(join(SRC, 'data', 'ko-en.tsv'), join(DIST, 'data', 'ko-en.tsv'));
// the NSMC sample of the classification example (`--data nsmc-train --val-data nsmc-test`), with its licence note
cpSync(join(SRC, 'data', 'nsmc'), join(DIST, 'data', 'nsmc'), { recursive: true });
// the fonts the PNG figures are drawn with (src/plot/render.ts), with their licences
cpSync(join(SRC, 'plot', 'fonts'), join(DIST, 'plot', 'fonts'), { recursive: true });
mkdirSync(join(DIST, 'web'), { recursive: true });
cpSync(join(SRC, 'web', 'index.html'), join(DIST, 'web', 'index.html'));
writeFileSync(join(DIST, 'wgpt.browser.js'), await buildBundle({ entry: join(SRC, 'web', 'main.ts'), minify: true }));
// declarations: tsc emits them even when it finds type errors; those are reported here (and fail `npm run
// typecheck`), but do not stop the build: the JavaScript above does not depend on them
try {
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'pipe' });
} catch (e) {
  const out = String((e as { stdout?: Buffer }).stdout ?? '').split('\n').filter((l) => /error TS/.test(l));
  if (!out.length) throw e;
  console.warn(`wgpt build: tsc found ${out.length} type error(s); declarations emitted anyway (npm run typecheck lists them). First: ${out[0]}`);
}
// tsc emits for the whole tree (src/ imports the kernel generators in shaders/): src's declarations go to dist/, the
// generators' are not needed (their code is inlined, and no public type names them)
const TYPES = join(DIST, '.types');
cpSync(join(TYPES, 'src'), DIST, { recursive: true });
rmSync(TYPES, { recursive: true, force: true });
console.log(`wgpt build: ${entries.length} modules + .d.ts + browser bundle → dist/ in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
