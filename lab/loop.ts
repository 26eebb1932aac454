// Scratch: run `big` at 1024³ in a loop for argv[2] seconds (for perf/gdb).
import { getGpu } from '../src/gpu/device.ts';
import { encodeMatmul } from '../src/ops/matmul.ts';
const gpu = await getGpu();
gpu.setPolicy({ tiers: 'best' });
const M = 1024, N = 1024, K = 1024;
const a = gpu.buffer(new Float32Array(M * K).fill(0.5)), b = gpu.buffer(new Float32Array(K * N).fill(0.25)), c = gpu.buffer(M * N * 4);
encodeMatmul(gpu, { a, b, c, M, N, K, block: 'big' }); await gpu.sync();
console.log('ready', process.pid);
const end = Date.now() + Number(process.argv[2] ?? 20) * 1000;
while (Date.now() < end) { encodeMatmul(gpu, { a, b, c, M, N, K, block: 'big' }); await gpu.sync(); }
process.exit(0);
