// pytorch_model.bin as torch.save writes it (issue #27): the zip format and the legacy stream, fp32/fp16/bf16, a tied
// head sharing wte's storage, a non-contiguous view, sharded indexes — every folder's GPT logits equal the safetensors
// folder's; the restricted unpickler refuses any other global by name and runs nothing. Fixtures: gen_torch_bin.py.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getGpu } from '../src/gpu/device.ts';
import { IdBatch, noGrad } from '../src/autograd/tensor.ts';
import { loadCheckpoint } from '../src/hub/folder.ts';
import { parseTorchStateDict } from '../src/io/torch.ts';
import { isTuple, unpickle, tuple } from '../src/io/pickle.ts';
import { readZip } from '../src/io/zip.ts';
import { asCausalLM } from '../src/model/generate.ts';
import { FIXTURES, throwsMsg } from './helpers.ts';

const D = join(FIXTURES, 'torch_bin');
const tmp = mkdtempSync(join(tmpdir(), 'wgpt-torchbin-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));
const bytes = (p: string) => new Uint8Array(readFileSync(join(D, p)));

async function logitsOf(dir: string): Promise<{ data: Float32Array; weightFile: string }> {
  const gpu = await getGpu();
  const ck = loadCheckpoint(dir);
  const model = asCausalLM(ck.arch.create(gpu, ck.config, ck.params), 'test');
  try {
    const ids = [3, 17, 63, 0, 41, 5, 5, 12, 60, 1];
    const data = await gpu.scope(() => noGrad(async () => model.logits(IdBatch.from(gpu, ids, [2, 5], 64)).toArray()));
    return { data, weightFile: ck.weightFile };
  } finally {
    (model as unknown as { dispose(): void }).dispose();
  }
}

function same(a: Float32Array, b: Float32Array, what: string): void {
  assert.is(a.length, b.length, what);
  let bad = -1;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) (bad = i), (i = a.length);
  assert.is(bad, -1, `${what}: logit ${bad} differs (${a[bad]} vs ${b[bad]})`);
}

test('every torch format gives the safetensors folder\'s logits exactly (fp32, and fp16/bf16 against the same values as F16/BF16 safetensors)', async () => {
  const ref = await logitsOf(join(D, 'st'));
  assert.is(ref.weightFile, 'model.safetensors');
  for (const [dir, file] of [['zip', 'pytorch_model.bin'], ['legacy', 'pytorch_model.bin'], ['sharded', 'pytorch_model.bin.index.json'], ['st_sharded', 'model.safetensors.index.json']]) {
    const got = await logitsOf(join(D, dir));
    assert.is(got.weightFile, file, dir);
    same(got.data, ref.data, dir);
  }
  same((await logitsOf(join(D, 'fp16'))).data, (await logitsOf(join(D, 'st16'))).data, 'fp16');
  same((await logitsOf(join(D, 'bf16'))).data, (await logitsOf(join(D, 'stbf16'))).data, 'bf16');
  // and the upcast values are close to the fp32 model (a check that the halves were decoded, not zeroed)
  const h = (await logitsOf(join(D, 'fp16'))).data;
  let maxd = 0;
  for (let i = 0; i < h.length; i++) maxd = Math.max(maxd, Math.abs(h[i] - ref.data[i]));
  assert.ok(maxd > 0 && maxd < 0.05, `fp16 logits within 0.05 of fp32 (max |diff| ${maxd})`);
});

test('tied weights: lm_head.weight and transformer.wte.weight are one storage, decoded once and shared', () => {
  for (const f of ['zip', 'legacy', 'fp16']) {
    const m = parseTorchStateDict(bytes(`${f}/pytorch_model.bin`), f);
    const a = m.get('lm_head.weight')!.data;
    const b = m.get('transformer.wte.weight')!.data;
    assert.ok(a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.length === 64 * 16, `${f}: the same values, not a copy`);
    assert.equal(m.get('transformer.h.0.mlp.c_fc.weight')!.shape, [16, 64]);
    assert.equal(m.get('transformer.h.0.attn.bias')!.shape, [1, 1, 16, 16]);
  }
  // the non-contiguous c_fc view was gathered in row-major order: equal to the safetensors copy
  const st = loadCheckpoint(join(D, 'st')).params.get('h.0.mlp.c_fc.weight')!.data;
  const zip = parseTorchStateDict(bytes('zip/pytorch_model.bin')).get('transformer.h.0.mlp.c_fc.weight')!.data;
  same(zip, st, 'strided view');
});

test('a pickle naming any other global is refused by that name, and nothing runs', () => {
  const marker = '/tmp/wgpt-pickle-ran';
  rmSync(marker, { force: true });
  throwsMsg(() => parseTorchStateDict(bytes('evil_system.bin'), 'evil_system.bin'), /^evil_system.bin: refused global 'posix.system': wgpt's unpickler knows only a state_dict's globals .*; nothing was executed$/);
  throwsMsg(() => parseTorchStateDict(bytes('evil_eval.bin'), 'evil_eval.bin'), /^evil_eval.bin: refused global 'builtins.eval'/);
  assert.not.ok(existsSync(marker), 'the os.system call did not run');
  // protocol-4 STACK_GLOBAL names are checked the same way
  const enc = new TextEncoder();
  const s = (x: string) => [0x8c, x.length, ...enc.encode(x)];
  const p4 = new Uint8Array([0x80, 0x04, ...s('subprocess'), ...s('Popen'), 0x93, ...s('ls'), 0x85, 0x52, 0x2e]);
  throwsMsg(() => unpickle(p4, { globals: {}, where: 'p4' }), /^p4: refused global 'subprocess.Popen'/);
  // INST/OBJ (constructing a class by name without GLOBAL) are refused outright
  throwsMsg(() => unpickle(new Uint8Array([0x28, 0x69, ...enc.encode('os\nsystem\n'), 0x2e]), { globals: {}, where: 'inst' }), /^inst: INST\/OBJ opcode at byte 1/);
  // through the loader: one line naming the file and the global
  const evil = join(tmp, 'evil');
  cpSync(join(D, 'zip'), evil, { recursive: true });
  writeFileSync(join(evil, 'pytorch_model.bin'), bytes('evil_system.bin'));
  throwsMsg(() => loadCheckpoint(evil), new RegExp(`^${evil}/pytorch_model.bin: refused global 'posix.system'`));
});

test('zip: compressed entries are refused by name; truncated files and broken indexes are one line', () => {
  throwsMsg(() => parseTorchStateDict(bytes('deflated.bin'), 'deflated.bin'), /^zip: entry '.*data.pkl' is compressed \(method 8\); wgpt reads stored entries, as torch.save writes them$/);
  const z = bytes('zip/pytorch_model.bin');
  assert.ok(readZip(z).entries.size > 5);
  throwsMsg(() => parseTorchStateDict(z.subarray(0, z.length - 30), 'cut.bin'), /^zip: no end-of-central-directory record/);
  const l = bytes('legacy/pytorch_model.bin');
  throwsMsg(() => parseTorchStateDict(l.subarray(0, l.length - 10), 'cut.bin'), /^cut.bin: storage '\d+' \(\d+ bytes\) runs past the end of the file$/);
  const sh = join(tmp, 'sharded');
  cpSync(join(D, 'sharded'), sh, { recursive: true });
  const idx = JSON.parse(readFileSync(join(sh, 'pytorch_model.bin.index.json'), 'utf8'));
  idx.weight_map['transformer.ln_f.bias'] = '../../etc/passwd';
  writeFileSync(join(sh, 'pytorch_model.bin.index.json'), JSON.stringify(idx));
  throwsMsg(() => loadCheckpoint(sh), /weight_map entry 'transformer.ln_f.bias' names "..\/..\/etc\/passwd", not a shard file beside the index/);
  idx.weight_map['transformer.ln_f.bias'] = 'pytorch_model-00001-of-00002.bin';
  writeFileSync(join(sh, 'pytorch_model.bin.index.json'), JSON.stringify(idx));
  throwsMsg(() => loadCheckpoint(sh), /tensor 'transformer.ln_f.bias' is mapped to pytorch_model-00001-of-00002.bin but found in pytorch_model-00002-of-00002.bin/);
  rmSync(join(sh, 'pytorch_model-00002-of-00002.bin'));
  throwsMsg(() => loadCheckpoint(sh), /names shard pytorch_model-00002-of-00002.bin, which .* does not have/);
  // tuples are frozen tagged objects, lists plain arrays: the unpickler's values tell them apart
  const t12 = tuple([1, 2]);
  assert.ok(Object.isFrozen(t12) && Object.isFrozen(t12.items) && isTuple(t12));
  const pickled = unpickle(new Uint8Array([0x80, 0x02, 0x4b, 0x01, 0x4b, 0x02, 0x86, 0x2e]), { globals: {} }).value; // (1, 2)
  assert.ok(isTuple(pickled) && !Array.isArray(pickled));
  assert.equal(isTuple(pickled) ? pickled.items : null, [1, 2]);
  const listed = unpickle(new Uint8Array([0x80, 0x02, 0x5d, 0x28, 0x4b, 0x01, 0x4b, 0x02, 0x65, 0x2e]), { globals: {} }).value; // [1, 2]
  assert.ok(Array.isArray(listed) && !isTuple(listed));
  assert.equal(listed, [1, 2]);
});

test('mutated and truncated torch files: every outcome is a parse or one-line Error (400 seeded cases)', () => {
  let seed = 27;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  let parsed = 0;
  let refused = 0;
  for (const f of ['zip/pytorch_model.bin', 'legacy/pytorch_model.bin']) {
    const orig = bytes(f);
    for (let i = 0; i < 200; i++) {
      const b = orig.slice(0, rnd() < 0.2 ? Math.floor(rnd() * orig.length) : orig.length);
      // flips inside the pickle and headers (the first 2 kB) are the interesting ones
      for (let k = 0; k < 1 + Math.floor(rnd() * 4); k++) b[Math.floor(rnd() * Math.min(b.length, rnd() < 0.7 ? 2048 : b.length))] = Math.floor(rnd() * 256);
      try {
        parseTorchStateDict(b, 'fuzz');
        parsed++;
      } catch (e) {
        assert.ok(e instanceof Error, `${f} case ${i}: threw a non-Error`);
        assert.not.ok((e as Error).message.includes('\n'), `${f} case ${i}: multi-line: ${(e as Error).message}`);
        refused++;
      }
    }
  }
  console.log(`  fuzz: ${parsed} parsed (flips in raw tensor bytes), ${refused} refused with one line`);
  assert.ok(refused > 100);
});

test.run();
