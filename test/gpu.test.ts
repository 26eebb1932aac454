// Foundation tests: device acquisition, pool, uniforms from reflection, readback, compile errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import preludeWgsl from '../shaders/prelude.wgsl';
import { GRID_WG } from '../src/gpu/kernel.ts';
import { getGpu } from '../src/gpu/device.ts';
import { selfCheck } from '../src/gpu/selfcheck.ts';
import { Tensor } from '../src/autograd/tensor.ts';
import { matmul } from '../src/ops/matmul.ts';
import { reflectKernel, packUniforms } from '../src/gpu/kernel.ts';
import { roundUp4, sizeClass } from '../src/gpu/pool.ts';
import selfcheckWgsl from '../shaders/selfcheck.wgsl';
import { assertClose, compareClose, randn } from './helpers.ts';

test('allclose helper reports the first mismatch by index and passes within tolerance', () => {
  const ok = compareClose([1, 2, 3], [1, 2, 3.000001], 1e-5, 0);
  assert.ok(ok.ok);
  const bad = compareClose([1, 2, 3.5, NaN], [1, 2, 3, 4], 1e-5, 1e-5);
  assert.not.ok(bad.ok);
  assert.is(bad.mismatches, 2);
  assert.match(bad.message, /\[2\] got 3.5 want 3/);
  assert.match(bad.message, /\[3\] got NaN/);
  assert.throws(() => assertClose([1], [2], { name: 'x' }), /x: 1\/1 elements differ/);
  assert.not.ok(compareClose([1, 2], [1], 1, 1).ok);
  // rtol scales with |ref|
  assert.ok(compareClose([1001], [1000], 0, 1e-3).ok);
  assert.not.ok(compareClose([1001], [1000], 0, 1e-4).ok);
});

test('device: an adapter is acquired and described; SwiftShader is reported as CPU', async () => {
  const gpu = await getGpu();
  assert.ok(gpu.device);
  assert.type(gpu.info.description, 'string');
  if (/swiftshader/i.test(gpu.info.architecture + gpu.info.description)) assert.ok(gpu.info.isCpu);
  assert.ok(gpu.limits.maxStorageBufferBindingSize >= 128 << 20);
  assert.is(await getGpu(), gpu, 'getGpu returns the process-wide device');
});

test('self-check kernel runs and verifies on the host', async () => {
  const r = await selfCheck(await getGpu(), 70_001);
  assert.ok(r.ok, `self-check max err ${r.maxErr}`);
});

test('pool: sizes rounded to 4, size 0 handled, buffers reused, arena releases deterministically', async () => {
  const gpu = await getGpu();
  assert.is(roundUp4(0), 4);
  assert.is(roundUp4(5), 8);
  assert.is(sizeClass(257), 512);
  assert.throws(() => roundUp4(-1), /non-negative/);
  const before = gpu.pool.stats();
  const a = gpu.pool.acquire(0);
  assert.ok(a.size >= 4);
  gpu.pool.release(a);
  const b = gpu.pool.acquire(3);
  assert.is(b, a, 'same size class is reused');
  gpu.pool.release(b);
  assert.throws(() => gpu.pool.release(b), /double release/);
  await gpu.scope(() => {
    gpu.pool.acquire(1000);
    gpu.pool.acquire(5000);
  });
  const after = gpu.pool.stats();
  assert.is(after.inUseBytes, before.inUseBytes, 'arena released everything it acquired');
  assert.throws(() => gpu.pool.acquire(gpu.limits.maxStorageBufferBindingSize + 4), /exceeds this adapter's maxStorageBufferBindingSize/);
});

test('loader: uniform layout comes from reflection; named params are packed at reflected offsets', () => {
  const layout = reflectKernel({
    shader: {
      file: 'inline.wgsl',
      code: `struct P { a: u32, b: f32, v: vec2<u32>, w: vec3f }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> o: array<f32>;
@compute @workgroup_size(1) fn main() { o[0] = p.b + f32(p.a + p.v.x) + p.w.z; }`,
    },
  });
  const u = layout.bindings.find((b) => b.kind === 'uniform')!;
  assert.equal(u.members!.map((m) => [m.name, m.offset]), [['a', 0], ['b', 4], ['v', 8], ['w', 16]]);
  const bytes = new DataView(packUniforms(layout, u, { a: 7, b: 0.5, v: [1, 2], w: [3, 4, 5] }));
  assert.is(bytes.getUint32(0, true), 7);
  assert.is(bytes.getFloat32(4, true), 0.5);
  assert.is(bytes.getUint32(12, true), 2);
  assert.is(bytes.getFloat32(24, true), 5);
  assert.throws(() => packUniforms(layout, u, { a: 1, b: 1, v: [1, 2] }), /p\.w was not given/);
  assert.throws(() => packUniforms(layout, u, { a: 1, b: 1, v: [1, 2], w: [1, 2, 3], zz: 1 }), /no member 'zz'/);
  assert.throws(() => packUniforms(layout, u, { a: -1, b: 1, v: [1, 2], w: [1, 2, 3] }), /does not fit in u32/);
  assert.equal(layout.bindings.map((b) => [b.name, b.kind]), [['p', 'uniform'], ['o', 'storage']]);
});

test('dispatch: named buffers, upload/readback round trip, grid over >65535 workgroups', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const k = gpu.kernel({ shader: selfcheckWgsl, constants: { WG: 1 } });
    const n = 70_000; // 70,000 workgroups of 1: needs the 2-D grid
    const x = randn(n, 1);
    const xb = gpu.buffer(x);
    const yb = gpu.buffer(n * 4);
    const wg = gpu.grid(n, 1);
    assert.ok(wg[1] > 1);
    gpu.dispatch(k, { buffers: { x: xb, y: yb }, params: { n, a: 1, b: 0 }, workgroups: wg });
    assertClose(await gpu.readF32(yb, n), x, { atol: 0, rtol: 0, name: 'copy via kernel' });
    assert.throws(() => gpu.dispatch(k, { buffers: { x: xb }, params: { n, a: 1, b: 0 }, workgroups: 1 }), /storage buffer 'y' was not given/);
    assert.throws(() => gpu.dispatch(k, { buffers: { x: xb, y: yb, z: yb }, params: { n, a: 1, b: 0 }, workgroups: 1 }), /no binding named z/);
    // odd byte counts are padded on upload and trimmed on readback
    const odd = gpu.buffer(new Uint8Array([1, 2, 3, 4, 5]));
    assert.equal([...new Uint8Array(await gpu.read(odd, 5))], [1, 2, 3, 4, 5]);
  });
});

test('pool.trim() submits recorded work before it destroys free buffers that work uses (bench peer-train: "used in submit while destroyed")', async () => {
  const gpu = await getGpu();
  const k = gpu.kernel({ shader: selfcheckWgsl, constants: { WG: 1 } });
  const x = gpu.buffer(new Float32Array([1, 2, 3, 4]));
  const y = gpu.buffer(16);
  await gpu.sync();
  // recorded, not submitted: then both buffers go back to the pool and the pool is trimmed
  gpu.dispatch(k, { buffers: { x, y }, params: { n: 4, a: 2, b: 1 }, workgroups: 4 });
  gpu.pool.release(x);
  gpu.pool.release(y);
  gpu.pool.trim();
  await gpu.sync(); // throws the device's validation error if a destroyed buffer was submitted
  const z = gpu.buffer(new Float32Array([5]));
  assert.equal(Array.from(await gpu.readF32(z, 1)), [5]);
  gpu.pool.release(z);
});

/** The message gpu.compile throws for a shader that must not compile. */
async function compileError(file: string, code: string): Promise<string> {
  const gpu = await getGpu();
  try {
    await gpu.compile({ shader: { file, code } });
  } catch (e) {
    return (e as Error).message;
  }
  return assert.unreachable(`${file} compiled`) as never;
}

test('a broken shader reports its file, line, column and message', async () => {
  const gpu = await getGpu();
  const code = 'struct P { n: u32 }\n@group(0) @binding(0) var<uniform> p: P;\n@group(0) @binding(1) var<storage, read_write> o: array<f32>;\n@compute @workgroup_size(1) fn main() {\n  o[0] = undefined_thing + 1.0;\n}\n';
  assert.match(await compileError('shaders/broken.wgsl', code), /^shaders\/broken\.wgsl:5:\d+: error: .*undefined_thing/m);
  // the device is still usable afterwards
  const r = await selfCheck(gpu, 100);
  assert.ok(r.ok);
});

test('//!include prelude: the prelude is spliced in, and errors after it still name the file\'s own line', async () => {
  const gpu = await getGpu();
  const code = '// uses the prelude\n//!include prelude\n@group(0) @binding(0) var<storage, read_write> o: array<f32>;\n@compute @workgroup_size(1) fn main() {\n  o[0] = neg_inf();\n  o[1] = undefined_thing;\n}\n';
  assert.match(await compileError('shaders/inc.wgsl', code), /^shaders\/inc\.wgsl:6:\d+: error: .*undefined_thing/m);
  const ok = await gpu.compile({ shader: { file: 'shaders/inc-ok.wgsl', code: code.replace('  o[1] = undefined_thing;\n', '') } });
  const buf = gpu.buffer(8);
  gpu.dispatch(ok, { buffers: { o: buf }, workgroups: 1 });
  assert.is((await gpu.readF32(buf, 1))[0], -Infinity, 'neg_inf() from the prelude ran');
  assert.throws(() => gpu.kernel({ shader: { file: 'shaders/bad-inc.wgsl', code: '//!include nothing\n' } }), /shaders\/bad-inc\.wgsl:1: unknown include 'nothing' \(known: prelude, matmul_row\)/);
});

test('the prelude\'s GRID_WG is Gpu.grid\'s default workgroup size, and flat_index covers a grid split over y', async () => {
  const gpu = await getGpu();
  const m = /const GRID_WG: u32 = (\d+)u;/.exec(preludeWgsl.code);
  assert.ok(m, 'prelude declares GRID_WG');
  assert.is(Number(m![1]), GRID_WG);
  const code = '//!include prelude\n@group(0) @binding(0) var<storage, read_write> o: array<u32>;\n@compute @workgroup_size(GRID_WG) fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {\n  let i = flat_index(gid, nwg);\n  if (i < arrayLength(&o)) { o[i] = i + 1u; }\n}\n';
  const k = await gpu.compile({ shader: { file: 'shaders/flat-test.wgsl', code } });
  const n = 1000;
  const buf = gpu.buffer(n * 4);
  const [x, y] = gpu.grid(n);
  gpu.dispatch(k, { buffers: { o: buf }, workgroups: [Math.ceil(x / 2), 2] });
  const got = await gpu.readU32(buf, n);
  assert.ok(got.every((v, i) => v === i + 1), 'every index written once');
  assert.is(y, 1);
});

test('waiting on the GPU does not spin: Dawn\'s poll sleeps between tries, JS setImmediate callbacks pass through, setImmediate is restored', async () => {
  const gpu = await getGpu();
  const n = 384;
  const a = Tensor.from(gpu, randn(n * n, 1), [n, n]);
  const b = Tensor.from(gpu, randn(n * n, 2), [n, n]);
  await gpu.sync();
  const original = globalThis.setImmediate;
  const polls = { native: 0, js: 0 };
  let jsRan = false;
  // count what is queued through setImmediate during the wait (our wrapper calls through this counter)
  globalThis.setImmediate = function (fn: (...args: unknown[]) => void, ...args: unknown[]) {
    if (/\[native code\]/.test(Function.prototype.toString.call(fn))) polls.native++;
    else polls.js++;
    return original(fn, ...args);
  } as typeof setImmediate;
  const counter = globalThis.setImmediate;
  const spin = process.env.WGPT_GPU_WAIT === 'spin';
  let ab: Tensor | null = null;
  let c: Tensor | null = null;
  let ms = 0;
  try {
    ab = matmul(a, b);
    c = matmul(ab, b);
    const t0 = performance.now();
    const waited = gpu.sync();
    if (!spin) assert.is.not(globalThis.setImmediate, counter, 'a wrapper is installed while the wait is pending');
    setImmediate(() => { jsRan = true; });
    await waited;
    ms = performance.now() - t0;
  } finally {
    const restored = globalThis.setImmediate;
    globalThis.setImmediate = original;
    assert.is(restored, counter, 'the previous setImmediate is put back when the wait ends');
    c?.dispose();
    ab?.dispose();
    a.dispose();
    b.dispose();
  }
  assert.ok(jsRan, 'a JS callback queued during the wait ran');
  assert.is(polls.js, 1);
  // each of Dawn's polls sleeps ≥ 50 µs first: at most ms / 0.05 (+ slack) polls, where a spinning poll runs thousands per ms
  if (spin) return;
  assert.ok(polls.native <= ms / 0.05 + 20, `${polls.native} polls in ${ms.toFixed(1)} ms`);
  if (ms > 20) assert.ok(polls.native >= 1, 'Dawn polled through the wrapper');
});

test.run();
