import { getGpu, type Gpu } from '../src/gpu/device.ts';
import { Tensor } from '../src/autograd/tensor.ts';
import { backward } from '../src/autograd/tensor.ts';
import { attentionQKV, attentionQKVWithProbs } from '../src/ops/attention.ts';
const gpu = await getGpu();
gpu.setPolicy({ tiers: 'best' });
const [B, T, H, hd] = JSON.parse(process.argv[2] ?? '[4,64,4,32]');
const pols = JSON.parse(process.argv[3]);
const C = H * hd;
const rnd = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + s) * 0.5);
const qkv = Tensor.from(gpu, rnd(B * T * 3 * C, 1), [B, T, 3 * C], { requiresGrad: true } as any);
const g = Tensor.from(gpu, rnd(B * T * C, 2), [B, T, C]);
let p_: any = {};
async function once(bwd: boolean) { await gpu.scope(() => { qkv.grad?.dispose?.(); (qkv as any).grad = null; const o = (p_ as any).probs ? attentionQKVWithProbs(qkv, H, { causal: true }).out : attentionQKV(qkv, H, { causal: true }); if (bwd) backward(o, g); }); }
async function cpu(fn: () => Promise<void>, reps: number) { const c0 = process.cpuUsage(); for (let i = 0; i < reps; i++) await fn(); await gpu.sync(); const c = process.cpuUsage(c0); return (c.user + c.system) / 1000 / reps; }
const res: number[][][] = pols.map(() => [[], []]);
for (const p of pols) { p_ = p; } for (const p of pols) await gpu.withPolicy(((p_ = p), (({ probs, ...r }: any) => r)(p)), async () => { await once(true); await gpu.sync(); });
for (let r = 0; r < 7; r++) for (let s0 = 0; s0 < pols.length; s0++) { const s = r % 2 ? pols.length - 1 - s0 : s0; p_ = pols[s]; await gpu.withPolicy((({ probs, ...r }: any) => r)(pols[s]), async () => { res[s][0].push(await cpu(() => once(false), 20)); res[s][1].push(await cpu(() => once(true), 10)); }); }
const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
pols.forEach((p: any, s: number) => console.log(JSON.stringify(p), 'fwd cpu', med(res[s][0]).toFixed(3), 'fwd+bwd cpu', med(res[s][1]).toFixed(3)));
process.exit(0);
