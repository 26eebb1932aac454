// Set-up step run before `npm start` and `npm test` (plain Node, no dependencies): installs what is
// missing and says so in one line; costs a few milliseconds when everything is there.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd) => execSync(cmd, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });

// 1. npm dependencies: every dependency named in package.json must be in node_modules.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const deps = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
const missing = deps.filter((d) => !existsSync(join(root, 'node_modules', d, 'package.json')));
if (missing.length) {
  console.log(`wgpt setup: installing npm dependencies (npm ci; missing: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''})`);
  run('npm ci --no-audit --no-fund --loglevel=error');
}

// 2. A WebGPU adapter on Linux: a GPU (device node + Vulkan loader), or SwiftShader from Debian's chromium.
if (process.platform === 'linux') {
  const libDirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'];
  const hasVulkan = libDirs.some((d) => existsSync(join(d, 'libvulkan.so.1')));
  let gpuNode = existsSync('/dev/nvidia0') || existsSync('/dev/dxg');
  try { gpuNode ||= readdirSync('/dev/dri').some((n) => n.startsWith('renderD')); } catch { /* none */ }
  const icd = process.env.WGPT_SWIFTSHADER_ICD || '/usr/lib/chromium/vk_swiftshader_icd.json';
  const hasSwiftShader = existsSync(icd);
  // Chromium is also what the browser tests drive.
  const hasChromium = existsSync('/usr/bin/chromium');
  if (!hasVulkan || (!gpuNode && !hasSwiftShader) || !hasChromium) {
    const cmd = 'apt-get install -y chromium libvulkan1';
    const why = !hasVulkan ? 'no libvulkan.so.1' : !gpuNode && !hasSwiftShader ? 'no GPU and no SwiftShader' : 'no /usr/bin/chromium (browser tests)';
    if (process.getuid && process.getuid() === 0) {
      console.log(`wgpt setup: ${why}; running: ${cmd}`);
      run('apt-get update -qq');
      execSync(`DEBIAN_FRONTEND=noninteractive ${cmd} -qq`, { stdio: ['ignore', 'ignore', 'inherit'] });
    } else {
      console.error(`wgpt setup: ${why}. Run as root: ${cmd}`);
      process.exit(1);
    }
  }
}

// 3. dist/ (what `npx wgpt` and `import 'wgpt'` run): built when missing or older than a source file (~1 s).
const newest = (dir) => readdirSync(dir, { withFileTypes: true }).reduce((m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0);
const built = join(root, 'dist', 'index.js');
if (!existsSync(built) || statSync(built).mtimeMs < Math.max(newest(join(root, 'src')), newest(join(root, 'shaders')))) {
  console.log(`wgpt setup: ${existsSync(built) ? 'sources changed since the last build' : 'no dist/ yet'}; running npm run build`);
  try {
    run('npm run build --silent');
  } catch {
    // npm start / npm test run the sources: a failed build only leaves dist/ (npx wgpt, import 'wgpt') as it was
    console.error('wgpt setup: npm run build failed (see above); dist/ is not updated, continuing from sources');
  }
}
