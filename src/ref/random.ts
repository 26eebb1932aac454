// CPU reference of wgpt's counter-based dropout hash (shaders/prelude.wgsl keep_hash), the oracle of
// attention and elementwise dropout masks. Leaves out: everything else random (tests seed their own RNG).

/** PCG hash on u32 (same as the prelude's pcg). */
export function pcgRef(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** The dropout keep test for counter idx: kept iff keep_hash(idx, seed) ≥ thr. */
export function keepRef(idx: number, seed: number, thr: number): boolean {
  const h = pcgRef((pcgRef((idx + pcgRef(seed >>> 0)) >>> 0) ^ (seed >>> 0)) >>> 0);
  return h >= thr;
}
