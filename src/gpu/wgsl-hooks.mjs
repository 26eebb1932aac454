// Node module-loader hook: `import s from '../shaders/x.wgsl'` gives { file: 'shaders/x.wgsl', code }.
// The esbuild bundle does the same with the plugin in src/gpu/esbuild.ts.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export async function load(url, context, next) {
  if (!url.endsWith('.wgsl')) return next(url, context);
  const path = fileURLToPath(url);
  const code = await readFile(path, 'utf8');
  const i = path.lastIndexOf('/shaders/');
  const file = i >= 0 ? path.slice(i + 1) : path;
  return { format: 'module', shortCircuit: true, source: `export default ${JSON.stringify({ file, code })};` };
}
