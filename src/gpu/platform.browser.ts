// Browser platform: navigator.gpu. Swapped in for platform.ts by the esbuild bundle.
// Leaves out: any fallback (the browser picks its adapter; Chrome uses SwiftShader itself when needed).
export const platformName = 'browser';
export const SWIFTSHADER_ICD = '';

export interface AdapterResult {
  /** null: none found (`tried` says why) */
  adapter: GPUAdapter | null;
  fellBack: boolean;
  tried: string[];
}

export async function requestAdapter(opts: { forceFallback?: boolean; power?: GPUPowerPreference } = {}): Promise<AdapterResult> {
  const nav = (globalThis as { navigator?: Navigator }).navigator;
  if (!nav || !('gpu' in nav) || !nav.gpu) {
    return {
      adapter: null,
      fellBack: false,
      tried: ['navigator.gpu is missing: this browser has no WebGPU (use Chrome 113+, served from https:// or http://localhost)'],
    };
  }
  const adapter = await nav.gpu.requestAdapter({ powerPreference: opts.power ?? 'high-performance' });
  if (!adapter) return { adapter: null, fellBack: false, tried: ['navigator.gpu.requestAdapter() returned null'] };
  return { adapter, fellBack: false, tried: [] };
}

export const fixHint = 'enable WebGPU in this browser (chrome://flags/#enable-unsafe-webgpu, or a recent Chrome)';

export function note(line: string): void {
  console.info(line);
}

export function gpuEntryPoint(): GPU | null {
  return (globalThis as { navigator?: Navigator }).navigator?.gpu ?? null;
}

/** The browser delivers GPU promises from its own event loop: nothing to do. */
export function gpuWait<T>(p: Promise<T>): Promise<T> {
  return p;
}

/** No environment in a browser: compile times are read from gpu.counters instead. */
export const logCompile = false;
