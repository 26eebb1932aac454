// `wgpt bench peer-train`: the same GPT (same config, the very same initial weights, same AdamW, same batches of
// the-verdict.txt) trained by wgpt, by tfjs-core + tfjs-backend-webgpu on the same Dawn adapter, and by PyTorch CPU
// (bench/gpt_torch.py, when /usr/bin/python3 has torch): tokens/s and the loss after the same number of steps.
// Leaves out: dropout (0 in the presets), gradient clipping, LR schedules, mixed precision.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Gpu } from '../src/gpu/device.ts';
import { gpuEntryPoint, gpuWait } from '../src/gpu/device.ts';
import { GPT } from '../src/model/gpt.ts';
import { PRESETS, type GPTConfig } from '../src/model/config.ts';
import type { ParamMap } from '../src/model/model.ts';
import { Trainer } from '../src/train/trainer.ts';
import { Gpt2Tokenizer } from '../src/tokenizer/gpt2.ts';
import { readTextFileStrict } from '../src/data/node.ts';
import { BUNDLED_CORPUS } from '../src/tokenizer/node.ts';
import { type Record_, stats } from './harness.ts';

export interface PeerOptions {
  quick: boolean;
  /** optimizer steps per engine (the first is a warm-up, not timed) */
  steps?: number;
  log?: (line: string) => void;
}

/** AdamW settings shared by all three engines (torch.optim.AdamW semantics). */
const OPT = { lr: 1e-3, betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0.1 };

export interface PeerCase {
  preset: string;
  /** 'gpt2': GPT-2 ids (V = 50257); 'dense': the verdict's distinct GPT-2 ids renumbered 0…U−1 (V = U) */
  vocab: 'gpt2' | 'dense';
  B: number;
  T: number;
}

/** the-verdict.txt as GPT-2 ids, or renumbered densely (first occurrence order). */
export function verdictTokens(vocab: PeerCase['vocab']): { ids: Int32Array; V: number } {
  const ids = new Gpt2Tokenizer().encode(readTextFileStrict(BUNDLED_CORPUS));
  if (vocab === 'gpt2') return { ids: Int32Array.from(ids), V: 50257 };
  const map = new Map<number, number>();
  const out = Int32Array.from(ids, (id) => {
    let m = map.get(id);
    if (m === undefined) map.set(id, (m = map.size));
    return m;
  });
  return { ids: out, V: map.size };
}

/** Batch `step`: B windows of T+1 tokens at fixed, spread-out offsets (the same for every engine). */
export function batchAt(ids: Int32Array, B: number, T: number, step: number): { x: Int32Array; y: Int32Array } {
  const x = new Int32Array(B * T);
  const y = new Int32Array(B * T);
  const span = ids.length - T - 1;
  for (let b = 0; b < B; b++) {
    const o = ((step * B + b) * 997) % span;
    x.set(ids.subarray(o, o + T), b * T);
    y.set(ids.subarray(o + 1, o + T + 1), b * T);
  }
  return { x, y };
}

interface EngineRun {
  engine: string;
  losses: number[];
  /** ms per step, steps 2…N */
  stepMs: number[];
  note?: string;
}

/** One in-process engine: step s trains on batch s and returns its loss. */
interface Stepper {
  engine: string;
  step(s: number): Promise<number>;
  dispose(): void;
}

function wgptStepper(gpu: Gpu, cfg: GPTConfig, init: ParamMap, data: Int32Array, c: PeerCase): Stepper {
  const model = GPT.fromParams(gpu, cfg, init);
  const trainer = new Trainer(model, { lr: OPT.lr, betas: OPT.betas, eps: OPT.eps, weightDecay: OPT.weightDecay, seed: 1 });
  return {
    engine: 'wgpt',
    step: (s) => {
      const { x, y } = batchAt(data, c.B, c.T, s);
      return trainer.step({ x, y, B: c.B, T: c.T }, s);
    },
    dispose: () => {
      trainer.optimizer.dispose();
      model.dispose();
      gpu.pool.trim();
    },
  };
}

/**
 * Steps the in-process engines in turn, step by step (the order alternates), so a change in the machine's load
 * hits all of them; per engine the losses and the step times of steps 2…N.
 */
async function runInterleaved(makers: (() => Stepper)[], steps: number): Promise<EngineRun[]> {
  const engines = makers.map((m) => m());
  const runs: EngineRun[] = engines.map((e) => ({ engine: e.engine, losses: [], stepMs: [] }));
  try {
    for (let s = 0; s < steps; s++) {
      const order = s % 2 ? [...engines.keys()].reverse() : [...engines.keys()];
      for (const i of order) {
        const t0 = performance.now();
        runs[i].losses.push(await engines[i].step(s));
        if (s > 0) runs[i].stepMs.push(performance.now() - t0);
      }
    }
  } finally {
    for (const e of engines) e.dispose();
  }
  return runs;
}

type TF = typeof import('@tensorflow/tfjs-core');

/**
 * tfjs-core's Node entry (a CJS bundle) registers no gradients; the @tensorflow/tfjs union package imports
 * dist/register_all_gradients.js, an ES module tree Node cannot load (directory imports). esbuild bundles it into
 * one file; its registrations land in tfjs's global gradient registry and engine, which every copy shares.
 */
async function registerTfjsGradients(): Promise<void> {
  const esbuild = await import('esbuild');
  const { createRequire } = await import('node:module');
  const { pathToFileURL } = await import('node:url');
  const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  const dir = mkdtempSync(join(tmpdir(), 'wgpt-tfjs-'));
  try {
    const outfile = join(dir, 'grads.mjs');
    await esbuild.build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', outfile, logLevel: 'error' });
    await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** tfjs-webgpu on the adapter wgpt uses (navigator.gpu = wgpt's GPU entry point). */
export async function tfjsWebgpu(): Promise<TF | string> {
  try {
    const g = globalThis as unknown as { navigator?: Record<string, unknown> };
    if (!g.navigator) g.navigator = {};
    if (!(g.navigator as { gpu?: unknown }).gpu) Object.defineProperty(g.navigator, 'gpu', { value: gpuEntryPoint(), configurable: true });
    const tf = await import('@tensorflow/tfjs-core');
    await registerTfjsGradients();
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) return 'tfjs-webgpu backend did not initialise';
    await tf.ready();
    return tf;
  } catch (e) {
    return `tfjs-webgpu could not run: ${(e as Error).message.split('\n')[0]}`;
  }
}

/**
 * The GPT in tfjs ops: gather embeddings, LayerNorm from moments, fused-qkv causal attention (additive −1e9 mask,
 * softmax), tanh GELU, untied or tied head, cross-entropy as mean(logsumexp − picked logit); gradients by
 * tf.variableGrads; AdamW = decoupled decay p ← p·(1 − lr·wd) then tf.train.adam (same bias correction and eps).
 */
function tfjsStepper(tf: TF, cfg: GPTConfig, init: ParamMap, data: Int32Array, c: PeerCase): Stepper {
  const { B, T } = c;
  const C = cfg.d_model;
  const H = cfg.n_heads;
  const hd = C / H;
  const V = cfg.vocab_size;
  const vars = new Map<string, import('@tensorflow/tfjs-core').Variable>();
  for (const [name, t] of init) vars.set(name, tf.variable(tf.tensor(t.data, t.shape), true, name));
  const p = (n: string) => vars.get(n)!;
  const mask = tf.tensor2d(Float32Array.from({ length: T * T }, (_, i) => ((i % T) > Math.floor(i / T) ? -1e9 : 0)), [T, T]);
  const pos = tf.range(0, T, 1, 'int32');
  const ln = (x: import('@tensorflow/tfjs-core').Tensor, pre: string) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, cfg.layernorm_eps))), p(pre + '.weight')), p(pre + '.bias'));
  };
  const gelu = (x: import('@tensorflow/tfjs-core').Tensor) =>
    tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))));
  const lossFn = (x: Int32Array, y: Int32Array) => () => {
    let h = tf.add(tf.reshape(tf.gather(p('wte.weight'), tf.tensor1d(x, 'int32')), [B, T, C]), tf.gather(p('wpe.weight'), pos)) as import('@tensorflow/tfjs-core').Tensor;
    h = tf.reshape(h, [B * T, C]);
    for (let i = 0; i < cfg.n_layers; i++) {
      const pre = `h.${i}.`;
      let a = tf.matMul(ln(h, pre + 'ln_1'), p(pre + 'attn.c_attn.weight'));
      if (cfg.qkv_bias) a = tf.add(a, p(pre + 'attn.c_attn.bias'));
      const [q, k, v] = tf.split(a, 3, 1).map((t) => tf.transpose(tf.reshape(t, [B, T, H, hd]), [0, 2, 1, 3]));
      const att = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)), mask));
      const o = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B * T, C]);
      h = tf.add(h, tf.add(tf.matMul(o, p(pre + 'attn.c_proj.weight')), p(pre + 'attn.c_proj.bias')));
      const m = gelu(tf.add(tf.matMul(ln(h, pre + 'ln_2'), p(pre + 'mlp.c_fc.weight')), p(pre + 'mlp.c_fc.bias')));
      h = tf.add(h, tf.add(tf.matMul(m, p(pre + 'mlp.c_proj.weight')), p(pre + 'mlp.c_proj.bias')));
    }
    const logits = tf.matMul(ln(h, 'ln_f'), cfg.tie_embeddings ? p('wte.weight') : p('lm_head.weight'), false, true);
    const idx = tf.tensor1d(Int32Array.from(y, (t, r) => r * V + t), 'int32');
    const picked = tf.gather(tf.reshape(logits, [-1]), idx);
    return tf.mean(tf.sub(tf.logSumExp(logits, 1), picked)) as import('@tensorflow/tfjs-core').Scalar;
  };
  const adam = tf.train.adam(OPT.lr, OPT.betas[0], OPT.betas[1], OPT.eps);
  return {
    engine: 'tfjs-webgpu',
    step: async (s) => {
      const { x, y } = batchAt(data, B, T, s);
      const loss = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(lossFn(x, y));
        for (const [, v] of vars) v.assign(tf.mul(v, 1 - OPT.lr * OPT.weightDecay));
        adam.applyGradients(grads as unknown as Parameters<typeof adam.applyGradients>[0]);
        return value;
      });
      // awaited like wgpt's own readbacks (no spinning poll): the two engines wait on the GPU the same way
      const l = (await gpuWait(loss.data()))[0];
      loss.dispose();
      return l;
    },
    dispose: () => {
      adam.dispose();
      for (const v of vars.values()) v.dispose();
      mask.dispose();
      pos.dispose();
    },
  };
}

/** bench/gpt_torch.py on the same config, initial weights and batches; its JSON or why it did not run. */
async function runTorch(cfg: GPTConfig, init: ParamMap, data: Int32Array, c: PeerCase, steps: number): Promise<EngineRun | string> {
  const { execFileSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return 'not run: torch is not installed for /usr/bin/python3';
  }
  const dir = mkdtempSync(join(tmpdir(), 'wgpt-peer-'));
  try {
    const names = [...init.keys()];
    const total = names.reduce((s, n) => s + init.get(n)!.data.length, 0);
    const flat = new Float32Array(total);
    let off = 0;
    for (const n of names) {
      flat.set(init.get(n)!.data, off);
      off += init.get(n)!.data.length;
    }
    writeFileSync(join(dir, 'params.f32'), Buffer.from(flat.buffer));
    const batches = Array.from({ length: steps }, (_, s) => batchAt(data, c.B, c.T, s));
    const spec = { config: cfg, B: c.B, T: c.T, steps, opt: OPT, params: names.map((n) => ({ name: n, shape: init.get(n)!.shape })), batches: batches.map((b) => ({ x: [...b.x], y: [...b.y] })) };
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
    const script = fileURLToPath(new URL('./gpt_torch.py', import.meta.url));
    const out = execFileSync('/usr/bin/python3', [script, dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 24 });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { losses: number[]; step_ms: number[]; torch: string; threads: number };
    return { engine: `PyTorch ${r.torch} CPU (${r.threads} threads)`, losses: r.losses, stepMs: r.step_ms };
  } catch (e) {
    return `not run: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchPeer(gpu: Gpu, o: PeerOptions): Promise<Record_[]> {
  const out: Record_[] = [];
  const cases: PeerCase[] = [
    { preset: 'tiny', vocab: 'dense', B: 4, T: 32 },
    { preset: 'small', vocab: 'dense', B: 4, T: 64 },
    ...(o.quick ? [] : [{ preset: 'tiny', vocab: 'gpt2', B: 4, T: 32 } as PeerCase, { preset: 'small', vocab: 'gpt2', B: 4, T: 64 } as PeerCase]),
  ];
  const steps = o.steps ?? (o.quick ? 6 : 12);
  const tf = await tfjsWebgpu();
  for (const c of cases) {
    const { ids, V } = verdictTokens(c.vocab);
    const cfg: GPTConfig = { ...PRESETS[c.preset], vocab_size: V, context_length: c.T, dropout: 0 };
    // one initial state for every engine: wgpt's seeded GPT-2 init (normal(0, 0.02) weights, zero biases, LN 1/0)
    const seed = GPT.init(gpu, cfg, 7);
    const init = await seed.exportParams();
    seed.dispose();
    const name = `${c.preset} B=${c.B} T=${c.T} V=${V}${c.vocab === 'dense' ? ' (verdict ids renumbered)' : ''}, ${steps} steps AdamW lr ${OPT.lr} wd ${OPT.weightDecay}`;
    const runs: (EngineRun | { engine: string; note: string })[] = [];
    // wgpt and tfjs-webgpu share the process and the adapter: stepped in turn; PyTorch runs after, in its own process
    const makers: (() => Stepper)[] = [() => wgptStepper(gpu, cfg, init, ids, c)];
    if (typeof tf !== 'string') makers.push(() => tfjsStepper(tf, cfg, init, ids, c));
    try {
      runs.push(...(await runInterleaved(makers, steps)));
    } catch (e) {
      if (makers.length === 1) throw e;
      // tfjs failed: wgpt alone, and the reason in the tfjs row
      runs.push(...(await runInterleaved(makers.slice(0, 1), steps)), { engine: 'tfjs-webgpu', note: `failed: ${(e as Error).message.split('\n')[0]}` });
    }
    if (typeof tf === 'string') runs.push({ engine: 'tfjs-webgpu', note: tf });
    const tr = await runTorch(cfg, init, ids, c, steps);
    runs.push(typeof tr === 'string' ? { engine: 'PyTorch CPU', note: tr } : tr);
    const tokens = c.B * c.T;
    let wgptTps = NaN;
    const wgptRun = runs.find((r): r is EngineRun => r.engine === 'wgpt' && 'losses' in r);
    for (const r of runs) {
      if (!('losses' in r)) {
        out.push({ suite: 'peer', name: `${name}: ${r.engine}`, median_ms: NaN, min_ms: NaN, max_ms: NaN, runs: 0, note: r.note });
        continue;
      }
      const st = stats(r.stepMs);
      const tps = tokens / (st.median / 1e3);
      if (r.engine === 'wgpt') wgptTps = tps;
      const first = r.losses[0];
      const last = r.losses[r.losses.length - 1];
      out.push({
        suite: 'peer', name: `${name}: ${r.engine}`, median_ms: st.median, min_ms: st.min, max_ms: st.max, runs: r.stepMs.length, timer: 'wall',
        tokens_per_s: tps, loss_first: first.toFixed(4), loss_last: last.toFixed(4), learns: last < first ? 'yes' : 'NO',
        wgpt_speedup: r.engine === 'wgpt' ? undefined : wgptTps / tps,
        // same-process peer: the median over steps of (peer step ms ÷ wgpt step ms), the steps run in turn
        wgpt_speedup_paired: r.engine === 'tfjs-webgpu' && wgptRun ? stats(r.stepMs.map((m, i) => m / wgptRun.stepMs[i])).median : undefined,
      });
      o.log?.(`peer ${c.preset} V=${V} ${r.engine}: ${tps.toFixed(0)} tokens/s, loss ${first.toFixed(4)} → ${last.toFixed(4)}`);
    }
  }
  return out;
}
