// Node platform: acquires a WebGPU adapter through Dawn (the `webgpu` package), falling back to
// SwiftShader (a Vulkan CPU driver shipped by Debian's chromium) when no GPU adapter exists.
// The browser build swaps this file for platform.browser.ts (see src/gpu/esbuild.ts). Nothing
// outside src/gpu/ may import `webgpu` or touch process/navigator for GPU purposes.
import { create, globals } from 'webgpu';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';

export const platformName = 'node';

/** Where SwiftShader's Vulkan ICD lives; override with WGPT_SWIFTSHADER_ICD. */
export const SWIFTSHADER_ICD = process.env.WGPT_SWIFTSHADER_ICD || '/usr/lib/chromium/vk_swiftshader_icd.json';

// The object returned by create() must stay referenced for the life of the process: if the GC
// collects it, Dawn segfaults or hangs. Every instance ever created is kept here.
const keepAlive: GPU[] = [];
let globalsInstalled = false;

export interface AdapterResult {
  /** null: none found (`tried` says why) */
  adapter: GPUAdapter | null;
  /** true when we had to fall back to the SwiftShader CPU driver. */
  fellBack: boolean;
  /** human-readable lines saying what was tried (for error messages and `wgpt info`). */
  tried: string[];
}

function dawnFlags(): string[] {
  const flags: string[] = [];
  // Opt-in speed: disables Dawn's bounds clamping. Our kernels check bounds themselves, but we keep
  // robustness on by default so a bug can never read outside a buffer silently.
  if (process.env.WGPT_UNSAFE_FAST === '1') flags.push('enable-dawn-features=disable_robustness');
  return flags;
}

let chosen: GPU | null = null;

async function tryCreate(power: GPUPowerPreference): Promise<GPUAdapter | null> {
  const gpu = create(dawnFlags());
  keepAlive.push(gpu);
  try {
    const a = await gpu.requestAdapter({ powerPreference: power });
    if (a) chosen = gpu;
    return a;
  } catch {
    return null;
  }
}

/**
 * The GPU object wgpt's adapter came from: what `navigator.gpu` is in a browser. Lets a library that
 * expects navigator.gpu (the bench's tfjs-webgpu baseline) run on the same adapter. Null before getGpu().
 */
export function gpuEntryPoint(): GPU | null {
  return chosen;
}

/**
 * On Linux, the Vulkan ICDs installed system-wide minus Mesa's lavapipe (Dawn refuses it with a
 * warning on stderr). Returns null where the loader's defaults should be left alone (not Linux).
 */
function hardwareIcds(): string[] | null {
  if (process.platform !== 'linux') return null;
  const out: string[] = [];
  for (const dir of ['/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d']) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) if (n.endsWith('.json') && !/^lvp_icd/.test(n)) out.push(`${dir}/${n}`);
  }
  return out;
}

/** Linux GPU drivers need a device node; without one, probing them only prints loader noise. */
function hasGpuDeviceNode(): boolean {
  try {
    if (readdirSync('/dev/dri').some((n) => n.startsWith('renderD'))) return true;
  } catch {
    /* no /dev/dri */
  }
  return existsSync('/dev/nvidia0') || existsSync('/dev/dxg');
}

/** Lavapipe and friends print noise on stderr when probed; silence stderr writes from JS meanwhile. */
export async function requestAdapter(opts: { forceFallback?: boolean; power?: GPUPowerPreference } = {}): Promise<AdapterResult> {
  if (!globalsInstalled) {
    Object.assign(globalThis, globals);
    globalsInstalled = true;
  }
  const tried: string[] = [];
  const power = opts.power ?? 'high-performance';
  const envIcd = process.env.VK_ICD_FILENAMES;
  // Mesa's lavapipe prints XDG_RUNTIME_DIR errors when loaded; give it a valid directory.
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = tmpdir();
  if (!opts.forceFallback && process.env.WGPT_FORCE_SWIFTSHADER !== '1') {
    const icds = envIcd === undefined && !process.env.VK_DRIVER_FILES ? hardwareIcds() : null;
    if (icds && icds.length === 0) {
      tried.push('default Dawn adapter: no Vulkan GPU driver installed (lavapipe is skipped: Dawn refuses it)');
    } else if (icds && !hasGpuDeviceNode()) {
      tried.push('default Dawn adapter: no GPU device node (/dev/dri/renderD*, /dev/nvidia*, /dev/dxg)');
    } else {
      if (icds) process.env.VK_ICD_FILENAMES = icds.join(':');
      const a = await tryCreate(power);
      if (a) return { adapter: a, fellBack: false, tried };
      tried.push(`default Dawn adapter${envIcd ? ` (VK_ICD_FILENAMES=${envIcd})` : ''}: none found`);
    }
  }
  if (!existsSync(SWIFTSHADER_ICD)) {
    tried.push(`SwiftShader: ${SWIFTSHADER_ICD} does not exist`);
    return { adapter: null, fellBack: true, tried };
  }
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const a = await tryCreate(power);
  if (a) return { adapter: a, fellBack: true, tried };
  tried.push(`SwiftShader via ${SWIFTSHADER_ICD}: no adapter (is libvulkan1 installed?)`);
  if (envIcd === undefined) delete process.env.VK_ICD_FILENAMES; else process.env.VK_ICD_FILENAMES = envIcd;
  return { adapter: null, fellBack: true, tried };
}

export const fixHint =
  'install a GPU driver with Vulkan support, or the CPU fallback: apt-get install -y chromium libvulkan1 ' +
  '(or set WGPT_SWIFTSHADER_ICD to a vk_swiftshader_icd.json)';

// Dawn's Node binding polls for finished GPU work by re-queueing a native callback with globalThis.setImmediate
// for as long as any of its promises (mapAsync, onSubmittedWorkDone, …) is pending: the main thread spins at 100%
// of a core. On a CPU adapter that core is taken from SwiftShader's worker threads (measured on 2 cores: the workers
// ran at ~60% each beside the spinning main thread). While one of our waits is pending, `gpuWait` puts a wrapper in
// setImmediate's place that sleeps the thread (Atomics.wait) before re-queueing a *native* callback — Dawn's poll;
// any JS callback passes straight through. The sleep grows with the wait's age (50 µs … 1 ms, age/16), so a short
// wait (a generated token) is answered within ~6% of its length and a long one (a training step) costs ~no CPU.
// WGPT_GPU_WAIT=spin keeps Dawn's own polling (for side-by-side measurements).
let waiting = 0;
/** start times of the waits pending now: a poll sleeps by the age of the youngest (a background compile's long wait
 * must not slow a token's short one) */
const waitStarts: number[] = [];
let savedSetImmediate: typeof setImmediate | null = null;
const loadSetImmediate = globalThis.setImmediate; // for a caller that kept the wrapper past the wait
const sleepCell = new Int32Array(new SharedArrayBuffer(4));
const nativeSource = /\{\s*\[native code\]\s*\}\s*$/;

function politeSetImmediate(this: unknown, fn: (...args: unknown[]) => void, ...args: unknown[]) {
  if (waiting > 0 && typeof fn === 'function' && nativeSource.test(Function.prototype.toString.call(fn))) {
    const ms = Math.min(1, Math.max(0.05, (performance.now() - waitStarts[waitStarts.length - 1]) / 16));
    Atomics.wait(sleepCell, 0, 0, ms);
  }
  return (savedSetImmediate ?? loadSetImmediate).call(globalThis, fn, ...args);
}

/** Awaits a promise that Dawn resolves (GPU work done, a buffer mapped) without spinning a CPU core meanwhile. */
export async function gpuWait<T>(p: Promise<T>): Promise<T> {
  if (process.env.WGPT_GPU_WAIT === 'spin') return p;
  const start = performance.now();
  waitStarts.push(start);
  if (waiting++ === 0) {
    savedSetImmediate = globalThis.setImmediate;
    globalThis.setImmediate = politeSetImmediate as typeof setImmediate;
  }
  try {
    return await p;
  } finally {
    waitStarts.splice(waitStarts.lastIndexOf(start), 1);
    if (--waiting === 0) {
      if (globalThis.setImmediate === (politeSetImmediate as unknown)) globalThis.setImmediate = savedSetImmediate!;
      savedSetImmediate = null;
    }
  }
}

/** WGPT_LOG_COMPILE=1: one stderr line per pipeline created, with its compile time */
export const logCompile = process.env.WGPT_LOG_COMPILE === '1';

/** Writes one status line to stderr (Node) or the console (browser). */
export function note(line: string): void {
  if (process.env.WGPT_QUIET !== '1') process.stderr.write(line + '\n');
}
