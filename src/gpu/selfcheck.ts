// Runs a small kernel and verifies its result on the host: used by `wgpt info` and the tests.
import selfcheckWgsl from '../../shaders/selfcheck.wgsl';
import type { Gpu } from './device.js';

export async function selfCheck(gpu: Gpu, n = 100_003): Promise<{ ok: boolean; maxErr: number; n: number; ms: number }> {
  const t0 = performance.now();
  return gpu.scope(async () => {
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = Math.fround(Math.sin(i) * 3);
    const k = gpu.kernel({ shader: selfcheckWgsl, constants: { WG: 64 } });
    const xb = gpu.buffer(x);
    const yb = gpu.buffer(n * 4);
    gpu.dispatch(k, { buffers: { x: xb, y: yb }, params: { n, a: 2.5, b: -1 }, workgroups: gpu.grid(n, 64) });
    const y = await gpu.readF32(yb, n);
    let maxErr = 0;
    for (let i = 0; i < n; i++) {
      const ref = Math.fround(2.5 * x[i] - 1);
      const e = Math.abs(y[i] - ref);
      if (!(e <= maxErr)) maxErr = Number.isNaN(e) ? Infinity : e;
    }
    return { ok: maxErr <= 1e-5, maxErr, n, ms: performance.now() - t0 };
  });
}
