// Browser-test bundle entry: the real page plus hooks that run a subset of the kernel checks in the
// page (ops vs their CPU references, with the same atol + rtol·|ref| rule as the Node tests).
import '../../src/web/main.ts';
import { getGpu } from '../../src/gpu/device.ts';
import { Tensor, IdBatch, backward } from '../../src/autograd/tensor.ts';
import { matmul, linear } from '../../src/ops/matmul.ts';
import { gelu } from '../../src/ops/elementwise.ts';
import { embedding } from '../../src/ops/embedding.ts';
import { layerNorm } from '../../src/ops/layernorm.ts';
import { crossEntropy } from '../../src/ops/loss.ts';
import { attentionQKV } from '../../src/ops/attention.ts';
import { matmulRef } from '../../src/ref/matmul.ts';
import { geluRef, gatherRef, scatterRef } from '../../src/ref/elementwise.ts';
import { layerNormRef } from '../../src/ref/layernorm.ts';
import { crossEntropyRef } from '../../src/ref/loss.ts';
import { attentionQKVRef } from '../../src/ref/attention.ts';
import { compareClose, randn } from '../close.ts';

async function kernelChecks(): Promise<Record<string, { ok: boolean; maxAbs: number; message: string }>> {
  const gpu = await getGpu();
  const out: Record<string, { ok: boolean; maxAbs: number; message: string }> = {};
  const check = (name: string, a: ArrayLike<number>, r: ArrayLike<number>, atol = 1e-5, rtol = 1e-5) => {
    const c = compareClose(a, r, atol, rtol);
    out[name] = { ok: c.ok, maxAbs: c.maxAbs, message: c.message };
  };
  await gpu.scope(async () => {
    const [M, N, K] = [17, 33, 5];
    const a = randn(M * K, 1), b = randn(K * N, 2);
    check('matmul 17x33x5', await matmul(Tensor.from(gpu, a, [M, K]), Tensor.from(gpu, b, [K, N])).toArray(), matmulRef(a, b, M, N, K));
    const x = randn(3 * 17, 3, -6, 6);
    check('gelu', await gelu(Tensor.from(gpu, x, [3, 17])).toArray(), geluRef(x), 1e-6);
    const w = randn(7, 4, 0.5, 1.5), bb = randn(7, 5), lx = randn(5 * 7, 6, -3, 3);
    check('layerNorm 5x7', await layerNorm(Tensor.from(gpu, lx, [5, 7]), Tensor.from(gpu, w, [7]), Tensor.from(gpu, bb, [7])).toArray(), layerNormRef(lx, w, bb, 5, 7).y);
    const ids = [3, 1, 3, 0, 6, 3];
    const W = randn(7 * 5, 7);
    const wt = Tensor.from(gpu, W, [7, 5], { requiresGrad: true });
    const dy = randn(6 * 5, 8);
    const e = embedding(IdBatch.from(gpu, ids, [6], 7), wt);
    check('embedding gather', await e.toArray(), gatherRef(ids, W, 5), 0, 0);
    backward(e, Tensor.from(gpu, dy, [6, 5]));
    check('embedding scatter-add', await wt.grad!.toArray(), scatterRef(ids, dy, 7, 5), 1e-6, 1e-6);
    const lg = randn(4 * 9, 9, -3, 3);
    const t = [1, 8, -100, 0];
    check('cross-entropy', [await crossEntropy(Tensor.from(gpu, lg, [4, 9]), t).item()], [crossEntropyRef(lg, t, 4, 9).loss]);
    const [B, T, H, hd] = [2, 5, 3, 4];
    const qkv = randn(B * T * 3 * H * hd, 10);
    check('attention B2 T5 H3 hd4', await attentionQKV(Tensor.from(gpu, qkv, [B, T, 3 * H * hd]), H, { causal: true }).toArray(), attentionQKVRef(qkv, B, T, H * hd, H, { causal: true }).out);
    const lin = linear(Tensor.from(gpu, a, [M, K]), Tensor.from(gpu, b, [K, N]));
    check('linear', await lin.toArray(), matmulRef(a, b, M, N, K));
  });
  return out;
}

(window as unknown as { wgptTests: unknown }).wgptTests = { kernelChecks };
