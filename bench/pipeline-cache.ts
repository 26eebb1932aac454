// Does anything keep compiled pipelines across processes? Creates the same `big` matmul pipeline (the slowest kernel
// to compile on SwiftShader) in fresh processes, twice each: in Node through Dawn (the `webgpu` package), and in
// Chromium (playwright-core, one persistent profile reused by both launches, so its GPU disk cache could serve the
// second), and prints the compile times and what the profile's cache folders hold. Leaves out: GPUs (none here).
// Run: node --import ./src/register.mjs bench/pipeline-cache.ts
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { resolveShader } from '../src/gpu/kernel.ts';
import matmulWgsl from '../shaders/matmul.wgsl';

const CODE = resolveShader(matmulWgsl).code;
const CONSTANTS = { WX: 8, WY: 8, TA: 1, TB: 0, VA: 1, VB: 1, BW: 8 };

/** Browser- and Node-side: compile the pipeline once, return ms. */
const compileOnce = async (gpu: GPU, code: string, constants: Record<string, number>): Promise<number> => {
  const adapter = await gpu.requestAdapter();
  const device = await adapter!.requestDevice();
  const module = device.createShaderModule({ code });
  const t0 = performance.now();
  await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'big', constants } });
  const ms = performance.now() - t0;
  device.destroy();
  return ms;
};

function du(dir: string): { files: number; bytes: number; names: string[] } {
  let files = 0;
  let bytes = 0;
  const names = new Set<string>();
  const walk = (d: string, depth: number) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p, depth + 1);
      else {
        files++;
        bytes += st.size;
      }
      if (depth === 0 || (depth === 1 && /cache/i.test(d))) names.add(n);
    }
  };
  if (existsSync(dir)) walk(dir, 0);
  return { files, bytes, names: [...names] };
}

if (process.argv[2] === '--node-child') {
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  process.env.VK_ICD_FILENAMES ||= '/usr/lib/chromium/vk_swiftshader_icd.json';
  const gpu = create(process.env.DAWN_FLAGS ? [process.env.DAWN_FLAGS] : []);
  console.log(JSON.stringify({ ms: await compileOnce(gpu, CODE, CONSTANTS) }));
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
console.log('Node (Dawn, webgpu npm), two fresh processes:');
for (let i = 1; i <= 2; i++) {
  const r = spawnSync(process.execPath, ['--import', './src/register.mjs', self, '--node-child'], { encoding: 'utf8' });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  console.log(`  process ${i}: ${line ? `${JSON.parse(line).ms.toFixed(0)} ms` : `failed: ${r.stderr.trim().split('\n').pop()}`}`);
}

const { chromium } = await import('playwright-core');
const { createServer } = await import('node:http');
// WebGPU needs a secure context: an empty page on localhost
const server = createServer((_, res) => res.end('<!doctype html><title>wgpt pipeline cache</title>'));
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const url = `http://localhost:${(server.address() as { port: number }).port}/`;
const profile = mkdtempSync(join(tmpdir(), 'wgpt-cache-profile-'));
console.log(`Chromium (${process.env.WGPT_CHROMIUM || '/usr/bin/chromium'}), three launches sharing the profile ${profile}:`);
try {
  for (let i = 1; i <= 3; i++) {
    const ctx = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.WGPT_CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
    const page = await ctx.newPage();
    await page.goto(url);
    const info = await page.evaluate(async () => {
      const a = await navigator.gpu?.requestAdapter();
      return a ? `${a.info.vendor} ${a.info.architecture} ${a.info.description}` : 'no adapter';
    });
    // the page evaluates the same function body as the Node child
    const ms = await page.evaluate(
      ([src, code, constants]) => new Function('gpu', 'code', 'constants', `return (${src})(gpu, code, constants)`)(navigator.gpu, code, constants),
      [compileOnce.toString(), CODE, CONSTANTS] as const,
    );
    await ctx.close();
    const dawn = du(join(profile, 'DawnWebGPUCache'));
    console.log(`  launch ${i} (${info}): ${(ms as number).toFixed(0)} ms; DawnWebGPUCache now ${dawn.files} files, ${(dawn.bytes / 1e3).toFixed(0)} kB`);
  }
} finally {
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
