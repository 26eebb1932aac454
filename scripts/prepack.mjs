// `npm pack` / `npm publish` run this first (prepack; plain Node, no dependencies): dist/ is built from the
// sources, which needs the dev dependencies (tsx, esbuild, typescript). In a fresh clone they are missing, so it
// installs them first and says so in one line, rather than failing with a module-not-found stack trace.
// Leaves out: installing anything but npm packages (the build needs no GPU).
import { existsSync, readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const missing = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((d) => !existsSync(join(root, 'node_modules', d, 'package.json')));
try {
  if (missing.length) {
    console.error(`wgpt prepack: building dist/ needs the dev dependencies (missing: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}); running npm ci first`);
    execSync('npm ci --no-audit --no-fund --loglevel=error --ignore-scripts', { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  execSync(`"${process.execPath}" --import ./src/register.mjs scripts/build.ts`, { cwd: root, stdio: ['ignore', 2, 'inherit'] });
} catch (e) {
  console.error(`wgpt prepack: could not build dist/ (${String(e.message).split('\n')[0]}); run \`npm ci && npm run build\` in ${root}, then npm pack again`);
  process.exit(1);
}
