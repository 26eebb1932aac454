// `wgpt logits`: forward pass on given id rows, logits written as raw little-endian float32 (B, T, V).
import { type Command, UsageError } from './command.js';
import { getGpu } from '../gpu/device.js';
import { loadModelOnly } from '../train/tokenizer-spec.js';
import { IdBatch, noGrad } from '../autograd/tensor.js';
import { writeFileAtomic } from '../io/atomic.js';

export function parseIdRows(s: string): number[][] {
  const rows = s.split(';').map((r, i) => {
    const parts = r.split(',').map((x) => x.trim());
    return parts.map((x, j) => {
      if (!/^-?\d+$/.test(x)) throw new UsageError(`--ids: '${x}' (row ${i + 1}, item ${j + 1}) is not an integer`);
      return Number(x);
    });
  });
  const T = rows[0].length;
  rows.forEach((r, i) => {
    if (r.length !== T) throw new UsageError(`--ids: row ${i + 1} has ${r.length} ids, row 1 has ${T}; rows must be the same length`);
  });
  return rows;
}

const cmd: Command = {
  summary: 'write the logits of id rows as raw float32 (B, T, V)',
  usage: 'wgpt logits --model DIR --ids "1,2,3;4,5,6" --out FILE',
  options: { model: { type: 'string' }, ids: { type: 'string' }, out: { type: 'string' } },
  help: {
    model: ['DIR', 'checkpoint folder; required'],
    ids: ['"1,2;3,4"', 'rows of token ids (rows split by ;, all the same length); required'],
    out: ['FILE', 'raw little-endian float32 logits (B, T, V); required'],
  },
  async run(v) {
    if (!v.model) throw new UsageError('--model is required');
    if (!v.ids) throw new UsageError('--ids is required');
    if (!v.out) throw new UsageError('--out is required');
    const rows = parseIdRows(v.ids as string);
    const B = rows.length;
    const T = rows[0].length;
    const gpu = await getGpu();
    const model = loadModelOnly(gpu, v.model as string);
    const V = model.config.vocab_size;
    const data = await gpu.scope(() =>
      noGrad(async () => {
        const ids = IdBatch.from(gpu, rows.flat(), [B, T], V);
        return model.forward(ids).toArray();
      }),
    );
    writeFileAtomic(v.out as string, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    console.log(`logits [${B}, ${T}, ${V}] float32 little-endian → ${v.out}`);
  },
};
export default cmd;
