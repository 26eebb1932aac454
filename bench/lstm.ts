// LSTM and GRU layer bench: forward + backward tokens/s and dispatches per time step of wgpt's recurrent kernels,
// beside PyTorch CPU nn.LSTM / nn.GRU at the same sizes (bench/lstm_torch.py, run when /usr/bin/python3 has torch;
// "not run" otherwise). Leaves out: inference-only timing, the RNN-tanh cell (same kernels).
import type { Gpu } from '../src/gpu/device.ts';
import { Tensor, backward } from '../src/autograd/tensor.ts';
import { rnn, initRnnWeights, RNN_CELLS, type RnnConfig } from '../src/ops/rnn.ts';
import { mulberry32 } from '../src/data/index.ts';
import { type Record_, timeWall, rec } from './harness.ts';

export interface LstmBenchOptions {
  quick: boolean;
  runs?: number;
  log?: (line: string) => void;
}

/** Runs bench/lstm_torch.py; returns its JSON or the reason it did not run. */
async function torchBaseline(args: string[]): Promise<{ median_ms: number; min_ms: number; max_ms: number; tokens_per_s: number; torch: string; threads: number } | string> {
  try {
    const { execFileSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const script = fileURLToPath(new URL('./lstm_torch.py', import.meta.url));
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
    } catch {
      return 'not run: torch is not installed for /usr/bin/python3';
    }
    const out = execFileSync('/usr/bin/python3', [script, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(out.trim().split('\n').pop()!);
  } catch (e) {
    return `not run: ${(e as Error).message.split('\n')[0]}`;
  }
}

export async function benchLstm(gpu: Gpu, o: LstmBenchOptions): Promise<Record_[]> {
  const out: Record_[] = [];
  for (const cell of ['lstm', 'gru'] as const) out.push(...(await benchCell(gpu, o, cell)));
  return out;
}

async function benchCell(gpu: Gpu, o: LstmBenchOptions, cell: 'lstm' | 'gru'): Promise<Record_[]> {
  const out: Record_[] = [];
  const [I, H, L, N] = o.quick ? [64, 64, 16, 8] : [128, 128, 32, 16];
  const runs = o.runs ?? (o.quick ? 3 : 5);
  const cfg: RnnConfig = { cell, inputSize: I, hiddenSize: H, numLayers: 1 };
  const torchName = RNN_CELLS[cell].torch;
  const name = `${cell.toUpperCase()} I=${I} H=${H} L=${L} N=${N} forward+backward`;
  const weights = initRnnWeights(gpu, cfg, mulberry32(1));
  const xs = new Float32Array(L * N * I).map((_, i) => Math.sin(i));
  let perStep = { fwd: 0, bwd: 0, fwdTotal: 0, bwdTotal: 0 };
  const step = async () =>
    gpu.scope(async () => {
      const x = Tensor.from(gpu, xs, [L, N, I], { requiresGrad: true });
      const d0 = gpu.dispatchCount;
      const r = rnn(x, weights, cfg);
      const d1 = gpu.dispatchCount;
      // backward from the output with dout = 1 (BPTT through every step; h_n/c_n get no extra gradient)
      backward(r.output, Tensor.from(gpu, new Float32Array(r.output.size).fill(1), r.output.shape));
      const d2 = gpu.dispatchCount;
      await gpu.sync();
      perStep = { fwd: (d1 - d0) / L, bwd: (d2 - d1) / L, fwdTotal: d1 - d0, bwdTotal: d2 - d1 };
    });
  const t = await timeWall(step, { runs, warmup: 1 });
  const toks = (L * N) / (t.median / 1e3);
  out.push(rec('lstm', `${name}: wgpt`, t, {
    tokens_per_s: toks,
    dispatches: `${perStep.fwdTotal} fwd + ${perStep.bwdTotal} bwd for ${L} steps (1 + 1 per step, rest per layer)`,
  }));
  o.log?.(`${cell} wgpt: ${toks.toFixed(0)} tokens/s, ${perStep.fwdTotal} forward + ${perStep.bwdTotal} backward dispatches for ${L} steps`);
  const tb = await torchBaseline(['--cell', cell, '--input', String(I), '--hidden', String(H), '--seq', String(L), '--batch', String(N), '--runs', String(runs)]);
  if (typeof tb === 'string') out.push({ suite: 'lstm', name: `${name}: PyTorch CPU ${torchName}`, median_ms: NaN, min_ms: NaN, max_ms: NaN, runs: 0, note: tb });
  else {
    out.push(rec('lstm', `${name}: PyTorch ${tb.torch} CPU ${torchName} (${tb.threads} threads)`, { median: tb.median_ms, min: tb.min_ms, max: tb.max_ms, runs, timer: 'wall' }, { tokens_per_s: tb.tokens_per_s }));
    out.push(rec('lstm', `${name}: wgpt ÷ PyTorch`, t, { baseline: 'PyTorch CPU', speedup: tb.median_ms / t.median }));
    o.log?.(`${cell} PyTorch CPU: ${tb.tokens_per_s.toFixed(0)} tokens/s`);
  }
  for (const w of Object.values(weights)) w.dispose();
  return out;
}
