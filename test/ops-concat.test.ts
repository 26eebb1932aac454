// concat along the last axis (src/ops/concat.ts): values against a host loop, shape errors, finite differences.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu } from '../src/gpu/device.ts';
import { Tensor } from '../src/autograd/tensor.ts';
import { concat } from '../src/ops/concat.ts';
import { randn, report, throwsMsg } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';

test('concat along the last axis: values and finite differences', async () => {
  const gpu = await getGpu();
  await gpu.scope(async () => {
    const a = randn(3 * 2 * 5, 1);
    const b = randn(3 * 2 * 4, 2);
    const y = await concat([Tensor.from(gpu, a, [3, 2, 5]), Tensor.from(gpu, b, [3, 2, 4])]).toArray();
    const want = new Float32Array(3 * 2 * 9);
    for (let r = 0; r < 6; r++) {
      want.set(a.subarray(r * 5, r * 5 + 5), r * 9);
      want.set(b.subarray(r * 4, r * 4 + 4), r * 9 + 5);
    }
    assert.equal(Array.from(y), Array.from(want));
    throwsMsg(() => concat([Tensor.from(gpu, a, [3, 2, 5]), Tensor.from(gpu, b, [2, 3, 4])]), /concat: shape mismatch: \[3, 2, 5\] and \[2, 3, 4\]/);
  });
  const errs = await gradCheck(gpu, 'concat', [{ data: randn(7 * 3, 3), shape: [7, 3] }, { data: randn(7 * 2, 4), shape: [7, 2] }], (xs) => concat(xs));
  report('concat finite differences', Math.max(...errs));
});

test.run();
