// Unary activations (tanh, sigmoid, SiLU, ReLU, GELU erf, GELU tanh) vs f64 CPU references at odd
// sizes, forward and backward (= and +=), finite at |x| up to 3e38, finite differences, PyTorch fixture,
// and activation() for Hugging Face names.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu } from '../src/gpu/device.ts';
import { Tensor, backward } from '../src/autograd/tensor.ts';
import { unary, activation, gelu, geluErf, relu, silu, sigmoid, tanh, type UnaryName } from '../src/ops/unary.ts';
import { add } from '../src/ops/elementwise.ts';
import { unaryRef, unaryBwdRef } from '../src/ref/unary.ts';
import { assertClose, randn, fixture, report, throwsMsg } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';

type F = { tensors: Record<string, { shape: number[]; data: number[] }> };
const NAMES: UnaryName[] = ['tanh', 'sigmoid', 'silu', 'relu', 'gelu_erf', 'gelu_tanh'];

test('unary forward and backward vs f64 reference, odd sizes', async () => {
  const gpu = await getGpu();
  for (const name of NAMES) {
    for (const n of [1, 3, 17, 65, 1000]) {
      await gpu.scope(async () => {
        const x = randn(n, n * 7 + name.length, -8, 8);
        const dy = randn(n, n + 1);
        const xt = Tensor.from(gpu, x, [n], { requiresGrad: true });
        const y = unary(xt, name);
        report(`${name} fwd vs ref`, assertClose(await y.toArray(), unaryRef(name, x), { atol: 1e-6, rtol: 2e-6, name: `${name} n=${n}` }));
        backward(y, Tensor.from(gpu, dy, [n]));
        report(`${name} bwd vs ref`, assertClose(await xt.grad!.toArray(), unaryBwdRef(name, x, dy), { atol: 1e-6, rtol: 1e-5, name: `${name} bwd n=${n}` }));
      });
    }
  }
});

test('unary near 0 (relative accuracy) and at |x| up to 3e38 (finite, the limits)', async () => {
  const gpu = await getGpu();
  const small = [1e-7, -1e-7, 1e-4, -3e-4, 0.01, -0.02];
  const big = [-3e38, -1e30, -1e4, -100, -30, 30, 100, 1e4, 1e30, 3e38];
  for (const name of NAMES) {
    await gpu.scope(async () => {
      const xs = Tensor.from(gpu, small, [small.length]);
      // near 0 every activation is ~linear (or ~constant): relative error matters
      report(`${name} near 0 vs ref`, assertClose(await unary(xs, name).toArray(), unaryRef(name, small), { atol: 1e-12, rtol: 2e-5, name: `${name} near 0` }));
      const xt = Tensor.from(gpu, big, [big.length], { requiresGrad: true });
      const y = unary(xt, name);
      const yv = await y.toArray();
      assert.ok(yv.every(Number.isFinite), `${name} at large |x| is finite: ${[...yv]}`);
      assertClose(yv, unaryRef(name, big), { atol: 1e-6, rtol: 1e-6, name: `${name} at large |x|` });
      backward(y, Tensor.from(gpu, new Float32Array(big.length).fill(1), [big.length]));
      const g = await xt.grad!.toArray();
      assert.ok(g.every(Number.isFinite), `${name}' at large |x| is finite: ${[...g]}`);
      assertClose(g, unaryBwdRef(name, big, new Float32Array(big.length).fill(1)), { atol: 1e-6, rtol: 1e-6, name: `${name}' at large |x|` });
    });
  }
});

test('unary backward accumulates (+=) when the input already has a gradient; size 0', async () => {
  const gpu = await getGpu();
  for (const name of NAMES) {
    await gpu.scope(async () => {
      // y = f(x) + x: one backward writes x.grad, the other accumulates into it
      const x = randn(17, 8, -3, 3);
      const dy = randn(17, 9);
      const xt = Tensor.from(gpu, x, [17], { requiresGrad: true });
      backward(add(unary(xt, name), xt), Tensor.from(gpu, dy, [17]));
      const want = unaryBwdRef(name, x, dy).map((v, i) => v + dy[i]);
      assertClose(await xt.grad!.toArray(), want, { atol: 1e-6, rtol: 1e-5, name: `d(${name}(x) + x)` });
      const e = Tensor.from(gpu, [], [2, 0], { requiresGrad: true });
      const ye = unary(e, name);
      assert.equal(ye.shape, [2, 0]);
      assert.is((await ye.toArray()).length, 0);
      backward(ye, Tensor.from(gpu, [], [2, 0]));
      assert.is((await e.grad!.toArray()).length, 0);
    });
  }
});

test('the vec4 entries (n a multiple of 4: forward4, backward4 = and +=) give the scalar entries\' bits (n = 4k + 1)', async () => {
  const gpu = await getGpu();
  // 4100 elements: 1025 vec4s over PER = 8 rounds of 64 lanes, so the last workgroup runs a partial round
  const n = 4100;
  for (const name of NAMES) {
    await gpu.scope(async () => {
      const x = randn(n + 1, 31 + name.length, -9, 9);
      const dy = randn(n + 1, 32);
      const run = async (m: number) => {
        const xt = Tensor.from(gpu, x.slice(0, m), [m], { requiresGrad: true });
        const y = unary(xt, name);
        // y + x: the second backward accumulates (+=) into x.grad
        backward(add(y, xt), Tensor.from(gpu, dy.slice(0, m), [m]));
        return { y: (await y.toArray()).slice(0, n), g: (await xt.grad!.toArray()).slice(0, n) };
      };
      const [v4, s] = [await run(n), await run(n + 1)];
      assert.equal([...v4.y], [...s.y], `${name} forward4 = forward, bit for bit`);
      assert.equal([...v4.g], [...s.g], `${name} backward4 (=, +=) = backward, bit for bit`);
    });
  }
});

test('finite differences: every activation', async () => {
  const gpu = await getGpu();
  const errs: number[] = [];
  for (const name of NAMES) {
    // keep ReLU's inputs away from its kink at 0
    const x = randn(17, 40 + name.length, -4, 4).map((v) => (name === 'relu' && Math.abs(v) < 0.05 ? v + 0.1 : v));
    errs.push(...(await gradCheck(gpu, name, [{ data: x, shape: [17] }], ([t]) => unary(t, name), { eps: 1e-3 })));
  }
  report('unary gradcheck', Math.max(...errs));
});

test('PyTorch fixture: tanh, sigmoid, silu, relu, gelu (erf), gelu (tanh) forward and backward; erf GELU on a dense grid', async () => {
  const gpu = await getGpu();
  const g = fixture<F>('unary.json').tensors;
  for (const name of NAMES) {
    await gpu.scope(async () => {
      const x = Tensor.from(gpu, g[`${name}_x`].data, g[`${name}_x`].shape, { requiresGrad: true });
      const y = unary(x, name);
      report(`${name} fwd (torch)`, assertClose(await y.toArray(), g[`${name}_out`].data, { atol: 1e-6, rtol: 1e-6, name: `${name} out` }));
      backward(y, Tensor.from(gpu, g[`${name}_grad_out`].data, g[`${name}_grad_out`].shape));
      report(`${name} grad (torch)`, assertClose(await x.grad!.toArray(), g[`${name}_grad_x`].data, { atol: 1e-6, rtol: 1e-5, name: `${name} grad` }));
    });
  }
  await gpu.scope(async () => {
    const d = g.dense_x;
    const x = Tensor.from(gpu, d.data, d.shape, { requiresGrad: true });
    const y = geluErf(x);
    const out = await y.toArray();
    // against torch's own f32 kernel (its erf has ~1e-7 absolute error) and against f64 (libm erf)
    report('gelu_erf dense vs torch f32', assertClose(out, g.dense_gelu_erf_f32.data, { atol: 1e-6, rtol: 1e-6, name: 'gelu_erf dense f32' }));
    report('gelu_erf dense vs torch f64', assertClose(out, g.dense_gelu_erf_f64.data, { atol: 1e-7, rtol: 1e-6, name: 'gelu_erf dense f64' }));
    backward(y, Tensor.from(gpu, new Float32Array(d.data.length).fill(1), d.shape));
    report('gelu_erf dense grad vs torch f64', assertClose(await x.grad!.toArray(), g.dense_gelu_erf_grad_f64.data, { atol: 1e-6, rtol: 1e-6, name: 'gelu_erf dense grad f64' }));
  });
});

test('activation(): Hugging Face names map to the ops; unknown names are one line listing the known', () => {
  assert.is(activation('gelu'), geluErf);
  assert.is(activation('gelu_new'), gelu);
  assert.is(activation('gelu_pytorch_tanh'), gelu);
  assert.is(activation('gelu_python'), geluErf);
  assert.is(activation('gelu_fast'), gelu);
  assert.is(activation('relu'), relu);
  assert.is(activation('silu'), silu);
  assert.is(activation('swish'), silu);
  assert.is(activation('tanh'), tanh);
  assert.is(activation('sigmoid'), sigmoid);
  throwsMsg(() => activation('mish'), /^activation: unknown activation 'mish' \(known: gelu, gelu_python, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, silu, swish, tanh, sigmoid\)$/);
  throwsMsg(() => activation('toString'), /unknown activation 'toString'/);
});

test.run();
