// Beam search's state reorder for the encoder–decoders (Marian, rnn-seq2seq): row r of a kept tensor continues old row
// from[r] (also expands B sources to B·beams rows). One gather per tensor through the embedding op, the row ids
// uploaded once per reorder and per block count. Leaves out: in-place permutation (a gather into a new buffer is
// one dispatch and keeps the old rows readable until the caller frees them).
import type { Gpu } from '../gpu/device.js';
import { Tensor, IdBatch } from '../autograd/tensor.js';
import { embedding } from '../ops/embedding.js';

export interface RowGather {
  /**
   * buf holds `groups` blocks of B rows of `width` floats (e.g. an RNN's h of every layer: groups = layers); returns
   * [groups·R, width] where row r of each block is row from[r] of the same block. The caller owns the result.
   */
  rows(buf: GPUBuffer, width: number, groups?: number): Tensor;
  /** frees the uploaded row ids */
  dispose(): void;
}

/** Checks `from` (each in 0…B−1, one line naming `where` otherwise) and returns the gatherer for it. */
export function rowGather(gpu: Gpu, from: readonly number[], B: number, where: string): RowGather {
  for (const f of from) if (!(Number.isInteger(f) && f >= 0 && f < B)) throw new Error(`${where}.reorder: row ${f} is not in 0…${B - 1}`);
  const R = from.length;
  const ids = new Map<number, IdBatch>();
  return {
    rows(buf, width, groups = 1) {
      let id = ids.get(groups);
      if (!id) {
        id = IdBatch.from(gpu, Array.from({ length: groups * R }, (_, i) => Math.floor(i / R) * B + from[i % R]), [groups * R], groups * B, 'row');
        ids.set(groups, id);
      }
      return embedding(id, new Tensor(gpu, [groups * B, width], buf));
    },
    dispose() {
      for (const id of ids.values()) id.dispose();
      ids.clear();
    },
  };
}
