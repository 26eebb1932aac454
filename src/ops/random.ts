// Host side of wgpt's counter-based randomness (the hash itself is keep_hash in shaders/prelude.wgsl):
// the dropout keep threshold shared by attention dropout and elementwise dropout. Leaves out: RNG state
// (masks are pure functions of (seed, index); callers derive per-step seeds themselves).

/** Dropout keep threshold on a u32 hash: an element is kept iff hash ≥ round(p·2³²). */
export function dropThreshold(p: number): number {
  return Math.min(0xffffffff, Math.round(p * 2 ** 32));
}
