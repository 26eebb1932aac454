// What every registered architecture gets for free (one loop over ARCHITECTURES): a fresh model of its smallest
// preset → save → load gives the identical forward output; its Hugging Face names round-trip (the table's names
// through paramsFromHF unchanged); a bad config value is refused in one line naming the key.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARCHITECTURES } from '../src/model/architectures.ts';
import { initModel, paramsFromHF, isRowLogits, isSequenceClassifier, isEncoderDecoderLM, type Model, type Architecture } from '../src/model/model.ts';
import { saveCheckpoint, loadCheckpoint } from '../src/hub/folder.ts';
import { getGpu } from '../src/gpu/device.ts';
import { IdBatch, noGrad } from '../src/autograd/tensor.ts';

const V = 40;
const smallest = (a: Architecture) => Object.keys(a.presets).includes('tiny') ? 'tiny' : a.defaultPreset;

/** Some output of the model on a fixed small input (whatever its capabilities give). */
async function output(m: Model): Promise<Float32Array> {
  const gpu = m.gpu;
  return gpu.scope(() =>
    noGrad(async () => {
      const ids = IdBatch.from(gpu, [4, 5, 6, 7, 8, 9], [2, 3], V);
      if (isRowLogits(m)) return m.rowLogits(ids).toArray();
      if (isSequenceClassifier(m)) return m.classify(ids, [1, 1, 1, 1, 1, 0]).toArray();
      if (isEncoderDecoderLM(m)) {
        const st = m.encode(ids, [3, 2]);
        try {
          return await m.decodeStep(st, IdBatch.from(gpu, [m.decoderStartId, m.decoderStartId], [2, 1], m.targetVocabSize), 0).toArray();
        } finally {
          st.dispose();
        }
      }
      throw new Error(`${m.arch.name}: no capability to read an output from`);
    }),
  );
}

for (const arch of ARCHITECTURES) {
  test(`${arch.name}: init → save → load → identical output; HF names round-trip; bad config value named`, async () => {
    const gpu = await getGpu();
    const config = arch.freshConfig({ preset: smallest(arch), vocabSize: V, specialTokens: { '</s>': 2, '<pad>': 1, '[PAD]': 0 } });
    // HF names: the table's names, read back through the mapping, are the table's names (nothing skipped)
    const table = arch.paramTable(config);
    const tensors = new Map(table.map((p) => [p.name, { dtype: 'F32', shape: p.shape, data: new Float32Array(p.shape.reduce((a, b) => a * b, 1)) }]));
    const back = paramsFromHF(tensors, table, arch.hf, config, 'model.safetensors');
    assert.equal([...back.params.keys()], table.map((p) => p.name));
    assert.equal(back.skipped, []);
    // a bad value of the first numeric key: one line naming it
    const hf = arch.configToHF(config);
    const key = Object.keys(hf).find((k) => typeof hf[k] === 'number' && Number.isInteger(hf[k]) && k.includes('vocab'))!;
    assert.ok(key, 'a vocab key exists');
    let msg = '';
    try {
      arch.configFromHF({ ...hf, [key]: -3 }, 'config.json');
    } catch (e) {
      msg = String((e as Error).message);
    }
    assert.ok(msg.includes(key) && !msg.includes('\n'), `one line naming ${key}: ${msg}`);
    // init → save → load → identical output
    const m = initModel(arch, gpu, config, 7);
    const dir = mkdtempSync(join(tmpdir(), 'wgpt-conf-'));
    try {
      const before = await output(m);
      saveCheckpoint(join(dir, 'ck'), m.config, await m.exportParams(), { arch });
      const ck = loadCheckpoint(join(dir, 'ck'));
      assert.is(ck.arch, arch);
      const m2 = ck.arch.create(gpu, ck.config, ck.params);
      try {
        assert.equal(Array.from(await output(m2)), Array.from(before));
      } finally {
        m2.dispose();
      }
    } finally {
      m.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
