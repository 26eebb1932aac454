// The bench suites behind `wgpt bench` / `npm run bench`: gather vs one-hot matmul, matmul vs
// tfjs-webgpu, memory-bound kernels vs a copy kernel, train step, generation with/without KV cache, BPE.
// Every comparison is measured side by side in the same run on the same adapter.
import type { Gpu } from '../src/gpu/device.ts';
import { gpuWait } from '../src/gpu/device.ts';
import { Tensor, IdBatch, noGrad } from '../src/autograd/tensor.ts';
import { embedding, oneHot, encodeScatter } from '../src/ops/embedding.ts';
import { encodeMatmul } from '../src/ops/matmul.ts';
import { encodeCopy } from '../src/ops/elementwise.ts';
import { layerNorm } from '../src/ops/layernorm.ts';
import { softmax } from '../src/ops/softmax.ts';
import { attention, attentionQKV } from '../src/ops/attention.ts';
import { gelu } from '../src/ops/unary.ts';
import { backward } from '../src/autograd/tensor.ts';
import { GPT } from '../src/model/gpt.ts';
import { PRESETS } from '../src/model/config.ts';
import { countParams } from '../src/model/params.ts';
import { Trainer } from '../src/train/trainer.ts';
import { generate } from '../src/model/generate.ts';
import { type Record_, timeGpu, timeWall, rec, bytesStr, stats } from './harness.ts';
import { tfjsWebgpu } from './peer.ts';

export interface SuiteOptions {
  quick: boolean;
  runs?: number;
  log?: (line: string) => void;
}

const G = 1e9;
const arena = (gpu: Gpu, f: () => void) => () => {
  gpu.pool.beginArena();
  try {
    f();
  } finally {
    gpu.pool.endArena();
  }
};
function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296 - 0.5;
  }
  return out;
}

/** GB/s of a plain copy kernel on this adapter: the memory roof the other kernels are held against. */
export async function copyRoof(gpu: Gpu, o: SuiteOptions): Promise<Record_> {
  const n = 8 << 20;
  return gpu.scope(async () => {
    const a = gpu.buffer(n * 4);
    const b = gpu.buffer(n * 4);
    const t = await timeGpu(gpu, () => encodeCopy(gpu, a, b, n, 0), { runs: o.runs ?? 7 });
    // a roof is the best the adapter did: its bandwidth comes from the fastest run, not the median
    return rec('kernels', `copy ${n} f32 (memory roof, GB/s from the fastest run)`, t, { gbps: (8 * n) / (t.min / 1e3) / G });
  });
}

/** Gather vs one-hot·W, forward and backward, at one size. Chunks the one-hot matrix past the binding limit. */
async function gatherPair(gpu: Gpu, V: number, B: number, T: number, C: number, o: SuiteOptions, out: Record_[]): Promise<void> {
  const R = B * T;
  const runs = o.runs ?? (o.quick ? 3 : 5);
  await gpu.scope(async () => {
    const W = Tensor.from(gpu, rand(V * C, 1), [V, C]);
    const ids = Array.from({ length: R }, (_, i) => (i * 7919 + 13) % V);
    const idb = IdBatch.from(gpu, ids, [R], V);
    const dy = gpu.buffer(rand(R * C, 2));
    const wgrad = gpu.buffer(V * C * 4);
    const limit = gpu.limits.maxStorageBufferBindingSize;
    const rowsPerChunk = Math.max(1, Math.min(R, Math.floor(limit / (V * 4))));
    const chunks = Math.ceil(R / rowsPerChunk);
    const ohBytes = R * V * 4;
    const flops = 2 * R * V * C;
    const gatherBytes = 2 * R * C * 4 + R * 4;
    const size = `V=${V} B=${B} T=${T} C=${C}`;
    const note = chunks > 1 ? `one-hot in ${chunks} chunks of ${rowsPerChunk} rows (binding limit ${bytesStr(limit)})` : undefined;
    // one-hot rows [r0, r0+n) as their own IdBatch so each chunk fits the binding limit
    const chunkIds = Array.from({ length: chunks }, (_, c) => IdBatch.from(gpu, ids.slice(c * rowsPerChunk, (c + 1) * rowsPerChunk), [Math.min(rowsPerChunk, R - c * rowsPerChunk)], V));
    const outBuf = gpu.buffer(R * C * 4);
    const fwdG = await timeGpu(gpu, arena(gpu, () => embedding(idb, W)), { runs });
    const fwdO = await timeGpu(
      gpu,
      arena(gpu, () => {
        chunkIds.forEach((cid, c) => {
          const oh = oneHot(cid, V);
          encodeMatmul(gpu, { a: oh.buffer, b: W.buffer, c: outBuf, M: cid.size, N: C, K: V, sAm: V, sAk: 1, sBk: C, sBn: 1, oC: c * rowsPerChunk * C });
        });
      }),
      { runs: Math.max(2, Math.ceil(runs / 2)) },
    );
    out.push(rec('gather', `${size} forward: gather`, fwdG, { gbps: gatherBytes / (fwdG.median / 1e3) / G }));
    out.push(rec('gather', `${size} forward: one-hot·W`, fwdO, { gflops: flops / (fwdO.median / 1e3) / G, flops, onehot_bytes: bytesStr(ohBytes), note }));
    out.push(rec('gather', `${size} forward: speedup`, fwdG, { baseline: 'one-hot·W', speedup: fwdO.median / fwdG.median }));
    const bwdG = await timeGpu(gpu, arena(gpu, () => encodeScatter(gpu, idb.ids, dy, wgrad, V, C)), { runs });
    const bwdO = await timeGpu(
      gpu,
      arena(gpu, () => {
        chunkIds.forEach((cid, c) => {
          const oh = oneHot(cid, V);
          // dW (V, C) += onehotᵀ (V, n) · dY (n, C)
          encodeMatmul(gpu, { a: oh.buffer, b: dy, c: wgrad, M: V, N: C, K: cid.size, sAm: 1, sAk: V, sBk: C, sBn: 1, oB: c * rowsPerChunk * C, acc: 1 });
        });
      }),
      { runs: Math.max(2, Math.ceil(runs / 2)) },
    );
    out.push(rec('gather', `${size} backward: scatter-add`, bwdG, { gbps: gatherBytes / (bwdG.median / 1e3) / G }));
    out.push(rec('gather', `${size} backward: one-hotᵀ·dY`, bwdO, { gflops: flops / (bwdO.median / 1e3) / G, flops, onehot_bytes: bytesStr(ohBytes), note }));
    out.push(rec('gather', `${size} backward: speedup`, bwdG, { baseline: 'one-hotᵀ·dY', speedup: bwdO.median / bwdG.median }));
    o.log?.(`gather ${size}: forward ${(fwdO.median / fwdG.median).toFixed(0)}×, backward ${(bwdO.median / bwdG.median).toFixed(0)}×`);
    chunkIds.forEach((c) => c.dispose());
    idb.dispose();
  });
}

export async function benchGather(gpu: Gpu, o: SuiteOptions): Promise<Record_[]> {
  const out: Record_[] = [];
  await gatherPair(gpu, 50257, 8, 4, 256, o, out);
  if (!o.quick) await gatherPair(gpu, 50257, 2, 256, 768, o, out);
  else {
    // quick: the gather side alone at the book's shape (its bandwidth is the number that matters there)
    await gpu.scope(async () => {
      const [V, R, C] = [50257, 512, 768];
      const W = Tensor.from(gpu, rand(V * C, 1), [V, C]);
      const idb = IdBatch.from(gpu, Array.from({ length: R }, (_, i) => (i * 7919 + 13) % V), [R], V);
      const t = await timeGpu(gpu, arena(gpu, () => embedding(idb, W)), { runs: o.runs ?? 5 });
      out.push(rec('gather', `V=${V} B=2 T=256 C=${C} forward: gather`, t, { gbps: (2 * R * C * 4 + R * 4) / (t.median / 1e3) / G, note: 'one-hot·W (40 GFLOP) not run in --quick' }));
      idb.dispose();
    });
  }
  for (const V of o.quick ? [1000, 8000] : [1000, 2000, 4000, 8000, 16000, 32000]) await gatherPair(gpu, V, 8, 4, 256, o, out);
  return out;
}

/**
 * tfjs-webgpu on the same adapter (navigator.gpu = the GPU object wgpt's adapter came from): a function that
 * prepares an M×K · K×N product and returns one timed run (matMul + readback of the result's data).
 */
async function tfjsMatmul(): Promise<((n: [number, number, number]) => { once: () => Promise<void>; dispose: () => void }) | string> {
  const tf = await tfjsWebgpu();
  if (typeof tf === 'string') return tf;
  return ([M, N, K]) => {
    const a = tf.randomNormal([M, K]);
    const b = tf.randomNormal([K, N]);
    return {
      once: async () => {
        const c = tf.matMul(a, b);
        await gpuWait(c.data()); // awaited as wgpt's readbacks are (no spinning poll)
        c.dispose();
      },
      dispose: () => {
        a.dispose();
        b.dispose();
      },
    };
  };
}

/**
 * wgpt's matmul vs tfjs-webgpu's, both on the wall clock including submit and a readback (tfjs reads the whole
 * result, wgpt 4 bytes). Stable ratio under a shared machine's load: 2 warm-ups each, then the runs alternate
 * wgpt / tfjs, and the speedup is the median of the per-pair ratios (a load change hits both halves of a pair).
 */
export async function benchMatmul(gpu: Gpu, o: SuiteOptions): Promise<Record_[]> {
  const out: Record_[] = [];
  const sizes: [number, number, number][] = o.quick ? [[256, 256, 256], [512, 512, 512], [1024, 1024, 1024]] : [[256, 256, 256], [512, 512, 512], [1024, 1024, 1024], [512, 2304, 768], [512, 768, 3072]];
  const tf = await tfjsMatmul();
  for (const [M, N, K] of sizes) {
    // --quick (the 3-minute budget): 3 pairs at 1024³, where one tfjs-webgpu run takes seconds on a CPU adapter
    const runs = o.runs ?? (o.quick ? (M >= 1024 ? 3 : 5) : 7);
    const flops = 2 * M * N * K;
    const name = `M=${M} N=${N} K=${K}`;
    await gpu.scope(async () => {
      const a = gpu.buffer(rand(M * K, 3));
      const b = gpu.buffer(rand(K * N, 4));
      const c = gpu.buffer(M * N * 4);
      const ours = async () => {
        encodeMatmul(gpu, { a, b, c, M, N, K, sAm: K, sAk: 1, sBk: N, sBn: 1 });
        await gpu.read(c, 4);
      };
      const peer = typeof tf === 'string' ? null : tf([M, N, K]);
      const timed = async (f: () => Promise<void>) => {
        const t0 = performance.now();
        await f();
        return performance.now() - t0;
      };
      for (let i = 0; i < (o.quick && M >= 1024 ? 1 : 2); i++) {
        await ours();
        if (peer) await peer.once();
      }
      const tw: number[] = [];
      const tt: number[] = [];
      for (let i = 0; i < runs; i++) {
        tw.push(await timed(ours));
        if (peer) tt.push(await timed(peer.once));
      }
      peer?.dispose();
      const t = { ...stats(tw), runs, timer: 'wall' };
      out.push(rec('matmul', `${name} wgpt`, t, { gflops: flops / (t.median / 1e3) / G }));
      if (typeof tf === 'string') out.push({ suite: 'matmul', name: `${name} tfjs-webgpu`, median_ms: NaN, min_ms: NaN, max_ms: NaN, runs: 0, note: tf });
      else {
        const p = { ...stats(tt), runs, timer: 'wall' };
        const ratios = stats(tt.map((x, i) => x / tw[i]));
        out.push(rec('matmul', `${name} tfjs-webgpu`, p, { gflops: flops / (p.median / 1e3) / G }));
        out.push(rec('matmul', `${name} speedup`, t, { baseline: 'tfjs-webgpu', speedup: ratios.median, speedup_range: `${ratios.min.toFixed(2)}–${ratios.max.toFixed(2)}`, note: `median of ${runs} alternating pairs` }));
      }
    });
    o.log?.(`matmul ${name}: ${out.filter((r) => r.name.startsWith(name)).map((r) => (r.speedup ? `${(r.speedup as number).toFixed(2)}×` : `${r.name.split(' ').pop()} ${(r.gflops as number).toFixed(2)} GFLOP/s`)).join(', ')}`);
  }
  return out;
}

export async function benchKernels(gpu: Gpu, o: SuiteOptions): Promise<Record_[]> {
  const out: Record_[] = [];
  const roof = await copyRoof(gpu, o);
  out.push(roof);
  const roofGbps = roof.gbps as number;
  const runs = o.runs ?? (o.quick ? 3 : 5);
  const add = (name: string, t: Awaited<ReturnType<typeof timeGpu>>, bytes: number) => {
    const gbps = bytes / (t.median / 1e3) / G;
    out.push(rec('kernels', name, t, { gbps, of_copy: `${((100 * gbps) / roofGbps).toFixed(0)}%` }));
  };
  await gpu.scope(async () => {
    const [R, C] = [512, 768];
    const x = Tensor.from(gpu, rand(R * C, 5), [R, C], { requiresGrad: true });
    const w = Tensor.param(gpu, rand(C, 6), [C], 'w');
    const b = Tensor.param(gpu, rand(C, 7), [C], 'b');
    add(`layernorm R=${R} C=${C} forward`, await timeGpu(gpu, arena(gpu, () => noGrad(() => layerNorm(x, w, b))), { runs }), (2 * R * C + 2 * C + 2 * R) * 4);
    const dy = Tensor.from(gpu, rand(R * C, 8), [R, C]);
    add(`layernorm R=${R} C=${C} backward`, await timeGpu(gpu, arena(gpu, () => {
      const y = layerNorm(x, w, b);
      x.grad = null;
      backward(y, dy);
    }), { runs }), (7 * R * C + 4 * C) * 4);
    w.dispose();
    b.dispose();
    // GPT-2's MLP activation on [R, 4C]: read x, write y; backward reads x and dy, writes dx
    const h = Tensor.from(gpu, rand(R * 4 * C, 13), [R, 4 * C], { requiresGrad: true });
    add(`gelu ${R}×${4 * C} forward`, await timeGpu(gpu, arena(gpu, () => noGrad(() => gelu(h))), { runs }), 2 * R * 4 * C * 4);
    const dh = Tensor.from(gpu, rand(R * 4 * C, 14), [R, 4 * C]);
    add(`gelu ${R}×${4 * C} forward+backward`, await timeGpu(gpu, arena(gpu, () => {
      h.grad = null;
      backward(gelu(h), dh);
    }), { runs }), 5 * R * 4 * C * 4);
    const [rows, N] = [4096, 256];
    const s = Tensor.from(gpu, rand(rows * N, 9), [rows, N], { requiresGrad: true });
    add(`softmax ${rows}×${N} forward`, await timeGpu(gpu, arena(gpu, () => noGrad(() => softmax(s))), { runs }), 2 * rows * N * 4);
    const ds = Tensor.from(gpu, rand(rows * N, 10), [rows, N]);
    add(`softmax ${rows}×${N} forward+backward`, await timeGpu(gpu, arena(gpu, () => {
      s.grad = null;
      backward(softmax(s), ds);
    }), { runs }), 5 * rows * N * 4);
    const [B, T, H, hd] = o.quick ? [1, 128, 12, 64] : [1, 256, 12, 64];
    const Cq = H * hd;
    const qkv = Tensor.from(gpu, rand(B * T * 3 * Cq, 11), [B, T, 3 * Cq], { requiresGrad: true });
    const dout = Tensor.from(gpu, rand(B * T * Cq, 12), [B, T, Cq]);
    const attBytes = (B * T * 4 * Cq + 2 * B * H * T * T) * 4;
    const tf = await timeGpu(gpu, arena(gpu, () => noGrad(() => attentionQKV(qkv, H, { causal: true }))), { runs });
    add(`attention B=${B} T=${T} H=${H} hd=${hd} forward`, tf, attBytes);
    out[out.length - 1].gflops = (2 * B * H * T * T * hd) / (tf.median / 1e3) / G; // causal half of the two matmuls
    const tb = await timeGpu(gpu, arena(gpu, () => {
      qkv.grad = null;
      backward(attentionQKV(qkv, H, { causal: true }), dout);
    }), { runs });
    add(`attention B=${B} T=${T} H=${H} hd=${hd} forward+backward`, tb, attBytes * 3);
    // the general op as BERT uses it: separate q, k, v, bidirectional, the last eighth of the keys padded
    const [q, k, v] = [13, 14, 15].map((seed) => Tensor.from(gpu, rand(B * T * Cq, seed), [B, T, Cq], { requiresGrad: true }));
    const keyMask = Array.from({ length: B * T }, (_, i) => (i % T < T - T / 8 ? 1 : 0));
    const tg = await timeGpu(gpu, arena(gpu, () => {
      for (const t of [q, k, v]) t.grad = null;
      backward(attention(q, k, v, { heads: H, keyMask }), dout);
    }), { runs });
    add(`attention (q, k, v) bidirectional + keyMask B=${B} T=${T} H=${H} hd=${hd} forward+backward`, tg, attBytes * 3);
  });
  return out;
}

export async function benchTrain(gpu: Gpu, o: SuiteOptions): Promise<Record_[]> {
  const out: Record_[] = [];
  const cases: [string, number, number][] = [['tiny', 4, 32], ['small', 4, 64], ['book-124m', 2, 256]];
  gpu.pool.trim(); // peak figures below count this suite's buffers, not earlier suites' free lists
  for (const [preset, B, T] of cases) {
    if (o.quick && preset === 'book-124m') {
      out.push({ suite: 'train', name: `${preset} B=${B} T=${T} V=50257`, median_ms: NaN, min_ms: NaN, max_ms: NaN, runs: 0, note: 'not run in --quick (hundreds of GFLOP per step on a CPU adapter)' });
      continue;
    }
    const cfg = { ...PRESETS[preset], context_length: T, dropout: 0 };
    const model = GPT.init(gpu, cfg, 1);
    const trainer = new Trainer(model, { lr: 1e-4, weightDecay: 0.1, seed: 1 });
    const x = Int32Array.from({ length: B * T }, (_, i) => (i * 7919) % cfg.vocab_size);
    const y = Int32Array.from({ length: B * T }, (_, i) => (i * 7919 + 1) % cfg.vocab_size);
    let step = 0;
    gpu.pool.resetPeak();
    const before = gpu.pool.stats().allocatedBytes;
    const runs = o.runs ?? (preset === 'book-124m' ? 1 : o.quick ? 2 : 3);
    const t = await timeWall(() => trainer.step({ x, y, B, T }, step++), { runs, warmup: 1 });
    const peak = gpu.pool.stats().peakBytes;
    out.push(rec('train', `${preset} B=${B} T=${T} V=${cfg.vocab_size}`, t, { tokens_per_s: (B * T) / (t.median / 1e3), params: countParams(cfg), peak_pool: bytesStr(peak), model_and_optimizer: bytesStr(before) }));
    o.log?.(`train ${preset}: ${((B * T) / (t.median / 1e3)).toFixed(0)} tokens/s`);
    trainer.optimizer.dispose();
    model.dispose();
    gpu.pool.trim();
  }
  return out;
}

export async function benchGenerate(gpu: Gpu, o: SuiteOptions): Promise<Record_[]> {
  const out: Record_[] = [];
  const n = o.quick ? 128 : 256;
  const cfg = { ...PRESETS.small, vocab_size: 1024, context_length: 512 };
  const model = GPT.init(gpu, cfg, 2);
  const prompt = [1, 2, 3, 4];
  const times: Record<string, number> = {};
  // warm-up: compile every pipeline of both paths first (the first forward costs ~1 s of shader compiles)
  for (const useCache of [true, false]) for await (const _ of generate(model, prompt, { maxNewTokens: 3, temperature: 0, useCache }));
  for (const useCache of [true, false]) {
    const t = await timeWall(async () => {
      let k = 0;
      for await (const _ of generate(model, prompt, { maxNewTokens: n, temperature: 0, useCache })) k++;
      if (k !== n) throw new Error(`generated ${k} of ${n} tokens`);
    }, { runs: 1, warmup: 0 });
    times[String(useCache)] = t.median;
    out.push(rec('generate', `small (V=1024, context 512) ${n} new tokens, ${useCache ? 'KV cache' : 'no cache'}`, t, { tokens_per_s: n / (t.median / 1e3) }));
  }
  out.push({ suite: 'generate', name: `${n} new tokens: speedup`, median_ms: Math.round(times.true * 1000) / 1000, min_ms: NaN, max_ms: NaN, runs: 1, baseline: 'no cache', speedup: times.false / times.true, note: o.quick ? 'quick: 128 tokens, not 256' : undefined });
  model.dispose();
  return out;
}

/** LSTM layer forward+backward vs PyTorch CPU nn.LSTM (bench/lstm.ts). */
export { benchLstm } from './lstm.ts';
