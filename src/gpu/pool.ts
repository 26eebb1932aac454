// Storage-buffer pool: power-of-two size classes (min 256 B), every size rounded up to 4 bytes,
// size 0 allowed (gets the smallest class). Buffers are released explicitly (release / arena scope),
// never left to the garbage collector. Leaves out: defragmentation, cross-device sharing.

export const STORAGE_USAGE = 0x80 /* STORAGE */ | 0x04 /* COPY_SRC */ | 0x08; /* COPY_DST */

export function roundUp4(bytes: number): number {
  if (!Number.isFinite(bytes) || bytes < 0) throw new Error(`buffer size must be a non-negative number, got ${bytes}`);
  return Math.max(4, Math.ceil(bytes / 4) * 4);
}

export function sizeClass(bytes: number): number {
  const b = roundUp4(bytes);
  let c = 256;
  while (c < b) c *= 2;
  return c;
}

export interface PoolStats {
  /** bytes held by buffers currently handed out */
  inUseBytes: number;
  /** bytes held by buffers parked in the free lists */
  freeBytes: number;
  /** total bytes allocated from the device (in use + free) */
  allocatedBytes: number;
  /** high-water mark of allocatedBytes */
  peakBytes: number;
  buffers: number;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private live = new Map<GPUBuffer, number>();
  private allocated = 0;
  private peak = 0;
  private inUse = 0;
  /** stack of arenas: each collects the buffers acquired while it is the innermost scope */
  private arenas: Set<GPUBuffer>[] = [];

  /**
   * Called before the pool destroys buffers (trim, dispose): the device submits work it has recorded but not yet
   * submitted, which may still use them (destroying first makes that submit a validation error).
   */
  beforeDestroy: () => void = () => {};

  constructor(private device: GPUDevice, private maxBufferSize: number, private maxBinding: number) {}

  /**
   * Returns a buffer of at least `bytes` (rounded up to 4 and to its size class); never a free buffer in `avoid`
   * (Gpu.buffer passes the buffers its unsubmitted work uses, so uploading into the new buffer needs no submit).
   */
  acquire(bytes: number, label = 'wgpt', avoid?: ReadonlySet<GPUBuffer>): GPUBuffer {
    const need = roundUp4(bytes);
    if (need > this.maxBinding) {
      throw new Error(`buffer of ${need} bytes (${label}) exceeds this adapter's maxStorageBufferBindingSize ${this.maxBinding}; split the tensor or use smaller shapes`);
    }
    let cls = sizeClass(need);
    if (cls > this.maxBinding) cls = need; // near the limit: exact size rather than the next power of two
    const list = this.free.get(cls);
    let buf: GPUBuffer | undefined;
    if (list && avoid) {
      for (let i = list.length - 1; i >= 0 && !buf; i--) if (!avoid.has(list[i])) buf = list.splice(i, 1)[0];
    } else buf = list && list.pop();
    if (!buf) {
      buf = this.device.createBuffer({ size: cls, usage: STORAGE_USAGE, label });
      this.allocated += cls;
      if (this.allocated > this.peak) this.peak = this.allocated;
    }
    this.live.set(buf, cls);
    this.inUse += cls;
    const arena = this.arenas[this.arenas.length - 1];
    if (arena) arena.add(buf);
    return buf;
  }

  /** Returns the buffer to its free list. Releasing a buffer twice or a foreign buffer throws. */
  release(buf: GPUBuffer): void {
    const cls = this.live.get(buf);
    if (cls === undefined) throw new Error('BufferPool.release: buffer is not live in this pool (double release?)');
    this.live.delete(buf);
    this.inUse -= cls;
    for (const a of this.arenas) a.delete(buf);
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    list.push(buf);
  }

  isLive(buf: GPUBuffer): boolean {
    return this.live.has(buf);
  }

  /** Marks a buffer as surviving the current arena (e.g. a parameter created inside a step). */
  keep(buf: GPUBuffer): void {
    for (const a of this.arenas) a.delete(buf);
  }

  /** Opens an arena: every buffer acquired until `endArena` is released then, unless kept. */
  beginArena(): void {
    this.arenas.push(new Set());
  }

  endArena(): void {
    const a = this.arenas.pop();
    if (!a) throw new Error('BufferPool.endArena without beginArena');
    for (const b of a) if (this.live.has(b)) this.release(b);
  }

  /** Destroys the free buffers (the device memory really goes back). */
  trim(): void {
    if (this.free.size) this.beforeDestroy();
    for (const [cls, list] of this.free) {
      for (const b of list) {
        b.destroy();
        this.allocated -= cls;
      }
    }
    this.free.clear();
  }

  stats(): PoolStats {
    let freeBytes = 0;
    let n = this.live.size;
    for (const [cls, list] of this.free) {
      freeBytes += cls * list.length;
      n += list.length;
    }
    return { inUseBytes: this.inUse, freeBytes, allocatedBytes: this.allocated, peakBytes: this.peak, buffers: n };
  }

  resetPeak(): void {
    this.peak = this.allocated;
  }

  destroyAll(): void {
    this.beforeDestroy();
    this.trim();
    for (const [b, cls] of this.live) {
      b.destroy();
      this.allocated -= cls;
    }
    this.live.clear();
    this.inUse = 0;
  }
}
