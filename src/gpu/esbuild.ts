// Browser bundling (Node side): esbuild with .wgsl imports loaded as {file, code} (the same shape the
// Node loader hook gives), platform.ts swapped for platform.browser.ts and files.ts for files.browser.ts. Refuses node: imports.
// Leaves out: CSS/asset pipelines (the page is one HTML file and one JS bundle).
import * as esbuild from 'esbuild';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const wgpt: esbuild.Plugin = {
  name: 'wgpt',
  setup(build) {
    build.onLoad({ filter: /\.wgsl$/ }, async (args) => {
      const code = await readFile(args.path, 'utf8');
      const file = relative(ROOT, args.path);
      return { contents: `export default ${JSON.stringify({ file, code })};`, loader: 'js' };
    });
    // the only Node/browser difference lives in src/gpu/platform*.ts
    build.onResolve({ filter: /\/platform\.js$/ }, (args) => {
      if (!args.importer.includes(`${join('src', 'gpu')}`)) return undefined;
      return { path: join(dirname(args.importer), 'platform.browser.ts') };
    });
    // file reads (src/gpu/files.ts, imported by browser-safe modules such as src/tokenizer) have no browser equivalent
    build.onResolve({ filter: /gpu\/files\.js$/ }, (args) => ({ path: join(dirname(args.importer), args.path.replace(/\.js$/, '.browser.ts')) }));
    build.onResolve({ filter: /^wgsl_reflect$/ }, () => ({ path: join(ROOT, 'node_modules/wgsl_reflect/wgsl_reflect.module.js') }));
    build.onResolve({ filter: /^node:/ }, (args) => ({
      errors: [{ text: `${relative(ROOT, args.importer)} imports ${args.path}, which does not exist in the browser` }],
    }));
  },
};

export interface BundleOptions {
  entry: string;
  minify?: boolean;
}

/** Bundles `entry` (ESM, es2022) for the browser and returns the JavaScript text. */
export async function buildBundle(o: BundleOptions): Promise<string> {
  const res = await esbuild.build({
    entryPoints: [o.entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    minify: !!o.minify,
    sourcemap: false,
    logLevel: 'silent',
    plugins: [wgpt],
    define: { 'process.env.WGPT_QUIET': 'undefined' },
  }).catch((e: { errors?: esbuild.Message[] }) => {
    const first = e.errors?.[0];
    throw new Error(`browser bundle failed: ${first ? `${first.location?.file ?? ''}:${first.location?.line ?? ''} ${first.text}` : String(e)}`);
  });
  return res.outputFiles[0].text;
}
