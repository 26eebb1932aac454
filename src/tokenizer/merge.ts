// The BPE merge loop shared by both BPE readers (src/tokenizer/hf-bpe.ts, the byte-level fast path, and
// src/tokenizer/hf/models.ts, every tokenizer.json BPE): Hugging Face's Word::merge_all without dropout — the symbols
// of one word as a linked list, a min-heap of candidate pairs keyed by (rank, position), the lowest rank first and the
// leftmost on ties, an entry skipped when popped if its pair no longer merges into the id it expects. Leaves out: BPE dropout (refused by
// the readers).

/** Ids and ranks are packed as x·MERGE_SPAN + y: ids below 2^24, ranks below MAX_MERGES. */
export const MERGE_SPAN = 1 << 24;
/** Heap keys are rank·2^32 + position, exact in a double while rank < 2^21. */
export const MAX_MERGES = 1 << 21;

/** The key of the pair (a, b) in a merge table. */
export const pairKey = (a: number, b: number): number => a * MERGE_SPAN + b;

/** A merge table entry: the pair's rank and the id of the merged token, packed. */
export const mergeValue = (rank: number, id: number): number => rank * MERGE_SPAN + id;

/**
 * Merges the symbols `sym` of one word by `merges` (pairKey(a, b) → mergeValue(rank, id)) until no listed pair is
 * left; returns the ids (`sym` itself when it has fewer than two symbols).
 */
export function mergeWord(sym: ArrayLike<number>, merges: ReadonlyMap<number, number>): number[] {
  const n = sym.length;
  if (n < 2) return Array.from(sym);
  const id = Int32Array.from(sym);
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  const alive = new Uint8Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  const heap = new MinHeap(n); // rank·2^32 + pos; the merged id each entry expects alongside
  const want = new Map<number, number>();
  const push = (pos: number) => {
    const j = next[pos];
    if (j < 0) return;
    const m = merges.get(pairKey(id[pos], id[j]));
    if (m === undefined) return;
    const rank = Math.floor(m / MERGE_SPAN);
    const key = rank * 4294967296 + pos;
    heap.push(key);
    want.set(key, m - rank * MERGE_SPAN);
  };
  for (let i = 0; i < n - 1; i++) push(i);
  while (heap.size > 0) {
    const key = heap.pop();
    const pos = key % 4294967296;
    if (!alive[pos]) continue;
    const j = next[pos];
    if (j < 0) continue;
    // stale when the pair at pos no longer merges into the id the entry expects (Hugging Face compares the new id only)
    const m = merges.get(pairKey(id[pos], id[j]));
    const nid = want.get(key)!;
    if (m === undefined || m % MERGE_SPAN !== nid) continue;
    id[pos] = nid;
    alive[j] = 0;
    next[pos] = next[j];
    if (next[j] >= 0) prev[next[j]] = pos;
    if (prev[pos] >= 0) push(prev[pos]);
    push(pos);
  }
  const out: number[] = [];
  for (let i = 0; i >= 0; i = next[i]) out.push(id[i]);
  return out;
}

/** Binary min-heap of doubles. */
export class MinHeap {
  private a: Float64Array;
  size = 0;
  constructor(cap: number) {
    this.a = new Float64Array(Math.max(16, cap));
  }
  push(v: number): void {
    if (this.size === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    const a = this.a;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] <= v) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = v;
  }
  pop(): number {
    const a = this.a;
    const top = a[0];
    const v = a[--this.size];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= this.size) break;
      if (c + 1 < this.size && a[c + 1] < a[c]) c++;
      if (a[c] >= v) break;
      a[i] = a[c];
      i = c;
    }
    a[i] = v;
    return top;
  }
}
