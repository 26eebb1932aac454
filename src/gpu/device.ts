// The Gpu: one WebGPU device, a buffer pool, a pipeline cache and a command recorder that batches
// dispatches into one encoder until a readback or an explicit flush. Works the same on Dawn (Node)
// and in Chrome; platform.ts is the only file that differs. Leaves out: multiple devices/queues.
import { requestAdapter, fixHint, note, platformName, gpuEntryPoint, gpuWait, logCompile } from './platform.js';

export { gpuEntryPoint };
/**
 * Awaits a promise that the GPU resolves (work done, a buffer mapped), e.g. another library's readback on this
 * adapter, the way wgpt's own waits do: under Node, without Dawn's poll spinning a CPU core meanwhile.
 */
export { gpuWait };
import { BufferPool, roundUp4 } from './pool.js';
import { type KernelDef, type KernelLayout, type UniformValue, reflectKernel, packUniforms, formatCompileMessages, resolveShader, GRID_WG } from './kernel.js';

export interface AdapterSummary {
  platform: string;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** true for a software (CPU) adapter such as SwiftShader */
  isCpu: boolean;
  /** true when wgpt fell back to SwiftShader because no GPU adapter was found */
  fellBack: boolean;
  /** the adapter's smallest and largest subgroup sizes (0 where it does not say: no `subgroups`, an older browser) */
  subgroupMinSize: number;
  subgroupMaxSize: number;
}

export class Kernel {
  constructor(
    readonly layout: KernelLayout,
    /** null: a planning stand-in (gpu.plan), which only its layout is read from and which is never dispatched */
    readonly pipeline: GPUComputePipeline | null,
    readonly bindGroupLayout: GPUBindGroupLayout | null,
  ) {}
  get workgroupSize() {
    return this.layout.workgroupSize;
  }
}

export interface DispatchArgs {
  /** storage buffers by the WGSL variable name */
  buffers: Record<string, GPUBuffer>;
  /** uniform struct values by member name (for the kernel's single uniform binding) */
  params?: Record<string, UniformValue>;
  /** number of workgroups: x or [x, y, z] */
  workgroups: number | [number, number?, number?];
  /** what this dispatch is (e.g. a matmul's shape): shown beside the kernel in profiles */
  label?: string;
}

/**
 * Work counters, always on (integer increments and a few clock reads per submit/wait). Read a delta
 * around a piece of work: `const c0 = { ...gpu.counters }; …; diffCounters(gpu.counters, c0)`.
 */
export interface GpuCounters {
  /** compute dispatches recorded (empty ones skipped) */
  dispatches: number;
  /** compute passes begun */
  passes: number;
  /** queue.submit calls */
  submits: number;
  /** buffer-to-buffer copies and clears recorded */
  copies: number;
  clears: number;
  /** queue.writeBuffer calls: host data (uploads) and uniform values (one per dispatch with params) */
  uploads: number;
  uploadBytes: number;
  uniformWrites: number;
  /** buffer mapAsync readbacks and their bytes */
  readbacks: number;
  readbackBytes: number;
  /** onSubmittedWorkDone waits (gpu.sync) */
  syncs: number;
  /** wall ms the host spent awaiting the GPU (mapAsync + onSubmittedWorkDone) */
  waitMs: number;
  /** wall ms spent inside queue.submit */
  submitMs: number;
  /** pipelines created synchronously (gpu.kernel's cache misses): the host waits for each */
  pipelines: number;
  /** wall ms the host spent creating pipelines synchronously (SwiftShader compiles inside the call) */
  compileMs: number;
  /** pipelines created in the background (createComputePipelineAsync: warm-up plans, best tiers) */
  asyncPipelines: number;
  /** wall ms from request to ready of the background pipelines, summed (off the host's path) */
  asyncCompileMs: number;
}

export function zeroCounters(): GpuCounters {
  return { dispatches: 0, passes: 0, submits: 0, copies: 0, clears: 0, uploads: 0, uploadBytes: 0, uniformWrites: 0, readbacks: 0, readbackBytes: 0, syncs: 0, waitMs: 0, submitMs: 0, pipelines: 0, compileMs: 0, asyncPipelines: 0, asyncCompileMs: 0 };
}

/** after − before, member by member. */
export function diffCounters(after: GpuCounters, before: GpuCounters): GpuCounters {
  const out = zeroCounters();
  for (const k of Object.keys(out) as (keyof GpuCounters)[]) out[k] = after[k] - before[k];
  return out;
}

/** One kernel's share of a profiled piece of work. */
export interface ProfileEntry {
  /** shader file name without directory and extension, e.g. `matmul` */
  family: string;
  /** `file:entry`, then the dispatch's label when it has one */
  kernel: string;
  dispatches: number;
  /** GPU ms summed over its dispatches (timestamp queries, or the fallback's approximation) */
  gpuMs: number;
}

export interface ProfileResult {
  /** how GPU time was taken */
  method: 'timestamp-query' | 'submit-per-dispatch';
  entries: ProfileEntry[];
  /** host ms spent inside gpu.dispatch (bind group + pass encoding), summed */
  encodeMs: number;
}

interface ProfileState {
  method: ProfileResult['method'];
  labels: string[];
  encodeMs: number;
  /** timestamp mode: the query set being filled, its next free index, resolved batches waiting to be read */
  querySet: GPUQuerySet | null;
  next: number;
  batches: { staging: GPUBuffer; labels: string[]; querySet: GPUQuerySet }[];
  pendingLabels: string[];
  /** fallback mode: per dispatch, its submit time and a promise of its completion time */
  done: { label: string; submitted: number; finished: Promise<number> }[];
}

const PROFILE_QUERIES = 4096;

/**
 * Tuning choices of one device, set when it is created (defaultPolicy) and read at each dispatch; a test or bench
 * that wants other kernels changes its own device's policy (gpu.withPolicy), never a process-wide setting.
 */
export interface KernelPolicy {
  /** matmul kernels: 'regblock' (register blocks; CPU adapters) or 'tiled' (shared-memory tiles; GPUs) */
  matmul: 'regblock' | 'tiled';
  /**
   * flash attention tiles: WG invocations per workgroup (forward, dq, dk/dv), decodeWG for KV-cache decode (B·H
   * invocations per token: small workgroups idle fewer lanes); RQ query rows per invocation (forward, decode prefill,
   * dq), RK key rows (dk/dv), each at most budget / ⌈hd/4⌉. One workgroup size per kernel and head size: each size is a
   * pipeline of its own, compiled once per process. dsBytes: the backward stores ds for every (query, key) pair and
   * forms dq as one product (instead of flash_dq's recomputation) when B·H·Tq·Tk·4 bytes are at most this (0: never).
   */
  flash: { WG: number; decodeWG: number; RQ: number; RK: number; budget: number; dsBytes: number };
  /**
   * Kernels with tiers (a cheap one that compiles fast and the best one, computing the same bits: matmul's `main`
   * and `big`, flash attention at 1 and at RQ/RK rows per invocation): 'progressive' runs the cheap tier until the
   * best, compiled in the background, is ready; 'best' compiles the best tier at once (steady-state benchmarks);
   * 'cheap' never upgrades.
   */
  tiers: 'progressive' | 'best' | 'cheap';
  /**
   * how the register-blocked matmul's `big` entry shares A's rows: 'subgroup' (the quad form: a workgroup of 4 = one
   * quad, A's rows by quad swaps in 64 × 64 blocks, no barriers: SwiftShader, whose subgroups are 4 wide) or
   * 'workgroup' (workgroup memory, 32-row blocks)
   */
  bigTile: 'workgroup' | 'subgroup';
}

/**
 * The policy a new device starts with: register blocks and progressive tiers on CPU adapters (with the quad form of `big`
 * where the device has `subgroups`: SwiftShader's are 4 wide), tiles on GPUs.
 */
export function defaultPolicy(info: Pick<AdapterSummary, 'isCpu'> & Partial<Pick<AdapterSummary, 'subgroupMinSize'>>, features: ReadonlySet<string> = new Set()): KernelPolicy {
  return {
    matmul: info.isCpu ? 'regblock' : 'tiled',
    // chosen by measurement on SwiftShader (docs/perf.md, issue #19); GPUs compile fast, so they start at the best tier
    // dsBytes: the ds buffer for short sequences on CPU adapters (measured there, issue #26); a GPU keeps FlashAttention's
    // recomputation (arithmetic is cheap there, memory traffic is not; not measured: no GPU here)
    flash: { WG: 32, decodeWG: 8, RQ: 4, RK: 4, budget: 32, dsBytes: info.isCpu ? 8 << 20 : 0 },
    tiers: info.isCpu ? 'progressive' : 'best',
    // a workgroup of 4 must be one subgroup (lanes 0 … 3): subgroups of at least 4 (SwiftShader's are exactly 4)
    bigTile: info.isCpu && features.has('subgroups') && (info.subgroupMinSize ?? 0) >= 4 ? 'subgroup' : 'workgroup',
  };
}

/** Optional features the engine uses when the adapter offers them. */
export const WANTED_FEATURES = ['timestamp-query', 'subgroups', 'shader-f16'] as const;

export class Gpu {
  readonly pool: BufferPool;
  readonly features: Set<string>;
  readonly limits: GPUSupportedLimits;
  readonly info: AdapterSummary;
  /** set when the device is lost; every later call throws it */
  lost: string | null = null;
  private errors: string[] = [];
  private compileChecks: Promise<string | null>[] = [];
  private pipelines = new Map<string, Kernel>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private uniformsInFlight: GPUBuffer[] = [];
  /** storage buffers the recorded-but-unsubmitted commands use: an upload into one of them must submit first */
  private pendingUse = new Set<GPUBuffer>();
  private uniformFree = new Map<number, GPUBuffer[]>();
  /** work counters since creation (see GpuCounters) */
  readonly counters: GpuCounters = zeroCounters();
  private profiling: ProfileState | null = null;

  /** dispatches recorded since creation (for tests and bench) */
  get dispatchCount(): number {
    return this.counters.dispatches;
  }

  /** this device's kernel choices (see KernelPolicy); change through withPolicy */
  readonly policy: KernelPolicy;

  constructor(readonly adapter: GPUAdapter, readonly device: GPUDevice, info: AdapterSummary, policy?: Partial<KernelPolicy>) {
    this.info = info;
    const d = defaultPolicy(info, new Set([...device.features]));
    this.policy = { ...d, ...policy, flash: { ...d.flash, ...policy?.flash } };
    this.limits = device.limits;
    this.features = new Set([...device.features]);
    this.pool = new BufferPool(device, device.limits.maxBufferSize, device.limits.maxStorageBufferBindingSize);
    // recorded work that uses a buffer is submitted before the pool destroys it (trim after a disposed optimizer)
    this.pool.beforeDestroy = () => {
      if (this.encoder || this.pass) this.flush();
    };
    device.lost.then((i) => {
      this.lost = `GPU device lost (${i.reason}): ${i.message || 'no message'}`;
    });
    // preventDefault keeps Dawn/Chrome from also dumping the error on stderr/console: we report it.
    device.addEventListener('uncapturederror', (ev) => {
      const e = ev as GPUUncapturedErrorEvent;
      e.preventDefault();
      this.errors.push(e.error.message);
    });
  }

  /** Throws the first pending error: device loss, shader compile error, or an uncaptured WebGPU error. */
  async checkErrors(): Promise<void> {
    if (this.lost) throw new Error(this.lost);
    if (this.compileChecks.length) {
      const res = await Promise.all(this.compileChecks);
      this.compileChecks = [];
      const bad = res.filter((x): x is string => !!x);
      if (bad.length) {
        this.errors = [];
        throw new Error(bad.join('\n'));
      }
    }
    if (this.errors.length) {
      const e = this.errors;
      this.errors = [];
      throw new Error(`WebGPU error: ${e[0].split('\n')[0]}${e.length > 1 ? ` (+${e.length - 1} more)` : ''}`);
    }
  }

  private assertAlive(): void {
    if (this.lost) throw new Error(this.lost);
  }

  /** Changes some policy fields of this device; returns the whole previous policy (give it back to restore it). */
  setPolicy(patch: Partial<KernelPolicy>): KernelPolicy {
    const saved: KernelPolicy = { ...this.policy, flash: { ...this.policy.flash } };
    for (const k of Object.keys(patch)) if (!(k in saved)) throw new Error(`setPolicy: unknown policy field '${k}' (${Object.keys(saved).join(', ')})`);
    if (patch.matmul !== undefined && patch.matmul !== 'regblock' && patch.matmul !== 'tiled') throw new Error(`setPolicy: unknown matmul variant '${patch.matmul}' (regblock or tiled)`);
    if (patch.tiers !== undefined && !['progressive', 'best', 'cheap'].includes(patch.tiers)) throw new Error(`setPolicy: unknown tiers '${patch.tiers}' (progressive, best or cheap)`);
    if (patch.bigTile !== undefined && patch.bigTile !== 'workgroup' && patch.bigTile !== 'subgroup') throw new Error(`setPolicy: unknown bigTile '${patch.bigTile}' (workgroup or subgroup)`);
    if (patch.bigTile === 'subgroup' && (!this.features.has('subgroups') || this.info.subgroupMinSize < 4)) throw new Error(`setPolicy: bigTile 'subgroup' needs the adapter's 'subgroups' feature with subgroups of at least 4 (this one: ${this.features.has('subgroups') ? `min size ${this.info.subgroupMinSize}` : 'no subgroups'})`);
    Object.assign(this.policy, patch, patch.flash ? { flash: { ...this.policy.flash, ...patch.flash } } : {});
    return saved;
  }

  /** Runs fn with some policy fields changed on this device, restoring them afterwards (tests and benches). */
  async withPolicy<T>(patch: Partial<KernelPolicy>, fn: () => Promise<T> | T): Promise<T> {
    const saved = this.setPolicy(patch);
    try {
      return await fn();
    } finally {
      this.setPolicy(saved);
    }
  }

  private keyOf(def: KernelDef): string {
    return `${def.shader.file}\0${def.entry ?? ''}\0${JSON.stringify(def.constants ?? {})}\0${def.shader.code}`;
  }

  /** Reflection, module and layouts of a kernel (what a pipeline is created from); queues the compile-error check. */
  private prepare(def: KernelDef): { layout: KernelLayout; bgl: GPUBindGroupLayout; desc: GPUComputePipelineDescriptor } {
    this.assertAlive();
    const layout = reflectKernel(def);
    const shader = resolveShader(def.shader);
    const module = this.device.createShaderModule({ code: shader.code, label: def.shader.file });
    this.compileChecks.push(
      module.getCompilationInfo().then((info) => {
        const errs = info.messages.filter((m) => m.type === 'error');
        return errs.length ? formatCompileMessages(shader, errs) : null;
      }),
    );
    const bgl = this.device.createBindGroupLayout({
      label: `${def.shader.file}:${layout.entry}`,
      entries: layout.bindings.map((b) => ({
        binding: b.binding,
        visibility: 4 /* COMPUTE */,
        buffer: { type: b.kind },
      })),
    });
    const desc: GPUComputePipelineDescriptor = {
      label: `${def.shader.file}:${layout.entry}`,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [bgl] }),
      compute: { module, entryPoint: layout.entry, constants: def.constants },
    };
    return { layout, bgl, desc };
  }

  /** Creates (or returns the cached) pipeline for a shader entry point + constants. */
  kernel(def: KernelDef): Kernel {
    const key = this.keyOf(def);
    const hit = this.pipelines.get(key);
    if (hit) return hit;
    if (this.planning) return this.planKernel(def);
    // queued for the background but not started: compile it here instead (once)
    const q = this.asyncQueue.findIndex((x) => x.key === key);
    if (q >= 0) {
      this.asyncQueue.splice(q, 1);
      this.asyncKeys.delete(key);
    }
    const { layout, bgl, desc } = this.prepare(def);
    const t0 = performance.now();
    const pipeline = this.device.createComputePipeline(desc);
    const ms = performance.now() - t0;
    this.counters.compileMs += ms;
    this.counters.pipelines++;
    this.quietWaits = 0;
    if (logCompile) note(`wgpt: compiled ${def.shader.file}:${layout.entry} ${JSON.stringify(def.constants ?? {})} in ${ms.toFixed(0)} ms`);
    const k = new Kernel(layout, pipeline, bgl);
    this.pipelines.set(key, k);
    return k;
  }

  /** true when kernel(def) would not compile (created, synchronously or in the background) */
  hasKernel(def: KernelDef): boolean {
    return this.pipelines.has(this.keyOf(def));
  }

  /** set while plan() runs: the kernels asked for, cheapest tier first (see plan) */
  private planning: { now: KernelDef[]; later: KernelDef[]; keys: Set<string>; asks: Map<string, number> } | null = null;

  /**
   * Runs fn — the work of one step, e.g. a forward and backward on a batch of the real shape — without running
   * anything on the GPU: kernel() and kernelTier() record what they would create (not created), dispatch, copy, zero and
   * upload do nothing, read() returns zeros; buffers fn acquires are released when it ends. Returns the kernels fn
   * needs at once (a tiered kernel's cheapest tier, or the only one under policy 'best') and those it wants later
   * (best tiers fn asks for at least twice), neither already created. fn must not keep host state that depends on
   * what it read.
   */
  async plan(fn: () => unknown): Promise<{ now: KernelDef[]; later: KernelDef[] }> {
    if (this.planning) throw new Error('plan: already planning');
    this.flush();
    const p = (this.planning = { now: [], later: [], keys: new Set<string>(), asks: new Map<string, number>() });
    try {
      await this.scope(async () => {
        await fn();
      });
    } finally {
      this.planning = null;
    }
    // a best tier asked for once (a prompt's prefill) is not worth compiling ahead: kernelTier's rule
    return { now: p.now, later: p.later.filter((d) => (p.asks.get(this.keyOf(d)) ?? 0) >= 2) };
  }

  /**
   * A warm-up plan: plans fn (see plan), then creates what it needs in the background — the kernels needed at once
   * first, then the best tiers — while the caller prepares its data. Resolves (with the counts) when the kernels
   * needed at once exist; the best tiers keep compiling in the background (gpu.whenWarm).
   */
  async warmUp(fn: () => unknown): Promise<{ now: number; later: number }> {
    const { now, later } = await this.plan(fn);
    for (const d of now) this.enqueue(d, false);
    // the best tiers only after every kernel needed at once (they may take 10× longer each)
    const ready = this.whenWarm();
    this.pump();
    await ready;
    // queued, started once the first step is done (quietWaits): a compile running now would hold SwiftShader's
    // compiler lock while the first step creates anything the plan did not foresee, and take a core from its work
    for (const d of later) this.enqueue(d, false);
    this.quietWaits = 0;
    return { now: now.length, later: later.length };
  }

  private planKernel(def: KernelDef, later = false): Kernel {
    const p = this.planning!;
    const key = this.keyOf(def);
    if (later) p.asks.set(key, (p.asks.get(key) ?? 0) + 1);
    if (!this.pipelines.has(key) && !p.keys.has(key)) {
      p.keys.add(key);
      (later ? p.later : p.now).push(def);
    }
    // a stand-in: layouts only (dispatch does nothing while planning)
    return new Kernel(reflectKernel(def), null, null);
  }

  /**
   * host waits (read, sync) since a pipeline was last created or warmed: queued best tiers start compiling at the
   * second quiet wait, so a first step (or a prompt's prefill) runs on every core, and they compile beside the steps
   * after it
   */
  private quietWaits = 0;

  /** at a host wait: start the background queue once the work has gone quiet (see quietWaits) */
  private waitPump(): void {
    if (++this.quietWaits >= 2) this.pump();
  }

  private asyncQueue: { key: string; def: KernelDef }[] = [];
  private asyncKeys = new Set<string>();
  private asyncRunning = 0;
  private tierAsks = new Map<string, number>();
  private asyncIdle: (() => void)[] = [];

  /**
   * Creates pipelines in the background (createComputePipelineAsync), one at a time: SwiftShader's compiler takes a
   * process-wide lock, so several at once only queue inside Dawn (measured: 4 `big` matmuls concurrently 2.2 s, one
   * after another 2.3 s, the same CPU time). kernel() of a def still queued compiles it at once, as without this.
   * Resolves when every requested pipeline exists. The warm-up plans (src/ops/warmup.ts) call it.
   */
  warm(defs: KernelDef[]): Promise<void> {
    for (const def of defs) this.enqueue(def, false);
    this.pump();
    return this.whenWarm();
  }

  /** Starts whatever is queued for the background and resolves when nothing is queued or running. */
  whenWarm(): Promise<void> {
    this.pump();
    if (this.asyncRunning === 0 && this.asyncQueue.length === 0) return Promise.resolve();
    return new Promise((res) => this.asyncIdle.push(res));
  }

  private enqueue(def: KernelDef, front: boolean): void {
    const key = this.keyOf(def);
    if (this.pipelines.has(key) || this.asyncKeys.has(key)) return;
    this.asyncKeys.add(key);
    if (front) this.asyncQueue.unshift({ key, def });
    else this.asyncQueue.push({ key, def });
  }

  private pump(): void {
    while (this.asyncRunning === 0 && this.asyncQueue.length && !this.lost) {
      const { key, def } = this.asyncQueue.shift()!;
      if (this.pipelines.has(key)) {
        this.asyncKeys.delete(key);
        continue;
      }
      let prep: ReturnType<Gpu['prepare']>;
      try {
        prep = this.prepare(def);
      } catch (e) {
        this.asyncKeys.delete(key);
        this.errors.push((e as Error).message);
        continue;
      }
      this.asyncRunning++;
      const t0 = performance.now();
      gpuWait(this.device.createComputePipelineAsync(prep.desc))
        .then((pipeline) => {
          const ms = performance.now() - t0;
          this.counters.asyncCompileMs += ms;
          this.counters.asyncPipelines++;
          if (logCompile) note(`wgpt: compiled ${def.shader.file}:${prep.layout.entry} ${JSON.stringify(def.constants ?? {})} in the background in ${ms.toFixed(0)} ms`);
          if (!this.pipelines.has(key)) this.pipelines.set(key, new Kernel(prep.layout, pipeline, prep.bgl));
        })
        .catch((e: Error) => {
          // a compile error is also reported by the module's compilation info (checkErrors)
          if (!this.lost) this.errors.push(`background pipeline ${def.shader.file}:${prep.layout.entry}: ${e.message}`);
        })
        .finally(() => {
          this.asyncRunning--;
          this.asyncKeys.delete(key);
          this.pump();
          if (this.asyncRunning === 0 && this.asyncQueue.length === 0) for (const r of this.asyncIdle.splice(0)) r();
        });
    }
  }

  /**
   * The kernel for one of `tiers` (best first; every tier computes the same bits, which the op's tests check) and its
   * index, by this device's policy: 'best' → tiers[0]; 'cheap' → the last; 'progressive' → the first tier already
   * created, else the last (compiled now: the cheapest); the best tier is queued for the background once asked for a
   * second time (a kernel a loop reuses, not a one-off such as a prompt's prefill) and compiles from the second host
   * wait (read, sync) after the last pipeline was created (quietWaits): starting it earlier would hold SwiftShader's
   * compiler lock while this step's cheap tiers compile, and take a core from the first step's work.
   */
  kernelTier(tiers: KernelDef[]): { kernel: Kernel; tier: number } {
    const mode = this.policy.tiers;
    if (tiers.length === 1 || mode === 'best') return { kernel: this.kernel(tiers[0]), tier: 0 };
    const last = tiers.length - 1;
    if (this.planning && mode === 'progressive') {
      const ready = tiers.findIndex((t) => this.pipelines.has(this.keyOf(t)));
      if (ready === 0) return { kernel: this.pipelines.get(this.keyOf(tiers[0]))!, tier: 0 };
      this.planKernel(tiers[0], true);
      return ready > 0 ? { kernel: this.pipelines.get(this.keyOf(tiers[ready]))!, tier: ready } : { kernel: this.planKernel(tiers[last]), tier: last };
    }
    if (mode === 'cheap') return { kernel: this.kernel(tiers[last]), tier: last };
    for (let i = 0; i < tiers.length; i++) {
      const hit = this.pipelines.get(this.keyOf(tiers[i]));
      if (!hit) continue;
      if (i > 0) this.askBest(tiers[0]);
      return { kernel: hit, tier: i };
    }
    this.askBest(tiers[0]);
    return { kernel: this.kernel(tiers[last]), tier: last };
  }

  private askBest(def: KernelDef): void {
    const key = this.keyOf(def);
    const n = (this.tierAsks.get(key) ?? 0) + 1;
    this.tierAsks.set(key, n);
    if (n === 2) this.enqueue(def, false);
  }

  /** Like kernel(), but waits for the compiler and throws `file:line:col: error: ...` at once. */
  async compile(def: KernelDef): Promise<Kernel> {
    const k = this.kernel(def);
    await this.checkErrors();
    return k;
  }

  private uniformBuffer(bytes: ArrayBuffer): GPUBuffer {
    const size = bytes.byteLength;
    const list = this.uniformFree.get(size);
    const buf = (list && list.pop()) || this.device.createBuffer({ size, usage: 0x40 /* UNIFORM */ | 0x08 /* COPY_DST */, label: 'uniform' });
    // The uniform buffer is not referenced by any unsubmitted command, so writing it now is ordered
    // correctly before the encoder that reads it.
    this.device.queue.writeBuffer(buf, 0, bytes);
    this.counters.uniformWrites++;
    this.uniformsInFlight.push(buf);
    return buf;
  }

  private getPass(): GPUComputePassEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    if (!this.pass) {
      const t = this.timing;
      if (t && t.next + 2 <= t.capacity) {
        this.pass = this.encoder.beginComputePass({ timestampWrites: { querySet: t.querySet, beginningOfPassWriteIndex: t.next, endOfPassWriteIndex: t.next + 1 } });
        t.next += 2;
      } else {
        if (t) t.overflow = true;
        this.pass = this.encoder.beginComputePass();
      }
      this.counters.passes++;
    }
    return this.pass;
  }

  private timing: { querySet: GPUQuerySet; next: number; capacity: number; overflow: boolean } | null = null;

  /**
   * GPU time (ms) of the compute passes `fn` records, from timestamp queries; null when the adapter has
   * no `timestamp-query` (callers then time submit → onSubmittedWorkDone on the wall clock).
   */
  async timeGpu(fn: () => void): Promise<number | null> {
    if (!this.features.has('timestamp-query')) return null;
    this.flush();
    const capacity = 256;
    const querySet = this.device.createQuerySet({ type: 'timestamp', count: capacity });
    this.timing = { querySet, next: 0, capacity, overflow: false };
    try {
      fn();
      const enc = this.getEncoder();
      const n = this.timing.next;
      if (n === 0) return 0;
      const resolved = this.device.createBuffer({ size: n * 8, usage: 0x0200 /* QUERY_RESOLVE */ | 0x04 /* COPY_SRC */ });
      try {
        enc.resolveQuerySet(querySet, 0, n, resolved, 0);
        const overflow = this.timing.overflow;
        this.timing = null;
        const bytes = await this.read(resolved, n * 8);
        if (overflow) return null;
        const ts = new BigInt64Array(bytes);
        let ns = 0n;
        for (let i = 0; i < n; i += 2) ns += ts[i + 1] - ts[i];
        return Number(ns) / 1e6;
      } finally {
        resolved.destroy();
      }
    } finally {
      this.timing = null;
      querySet.destroy();
    }
  }

  private getEncoder(): GPUCommandEncoder {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }

  /** Records one dispatch. Buffers and params are matched to the shader's bindings by name. */
  dispatch(k: Kernel, args: DispatchArgs): void {
    this.assertAlive();
    if (this.planning) return;
    const { layout, pipeline, bindGroupLayout } = k;
    if (!pipeline || !bindGroupLayout) throw new Error(`${layout.file}:${layout.entry}: a kernel made while planning was dispatched after the plan ended (get the kernel again)`);
    const entries: GPUBindGroupEntry[] = [];
    const given = new Set(Object.keys(args.buffers));
    for (const b of layout.bindings) {
      if (b.kind === 'uniform') {
        if (!args.params) throw new Error(`${layout.file}:${layout.entry}: uniform '${b.name}' needs params`);
        entries.push({ binding: b.binding, resource: { buffer: this.uniformBuffer(packUniforms(layout, b, args.params)) } });
      } else {
        const buf = args.buffers[b.name];
        if (!buf) throw new Error(`${layout.file}:${layout.entry}: storage buffer '${b.name}' was not given (given: ${[...given].join(', ') || 'none'})`);
        given.delete(b.name);
        entries.push({ binding: b.binding, resource: { buffer: buf } });
        this.pendingUse.add(buf);
      }
    }
    if (given.size) throw new Error(`${layout.file}:${layout.entry}: no binding named ${[...given].join(', ')}`);
    const wg = typeof args.workgroups === 'number' ? [args.workgroups, 1, 1] : [args.workgroups[0], args.workgroups[1] ?? 1, args.workgroups[2] ?? 1];
    const maxWg = this.limits.maxComputeWorkgroupsPerDimension;
    for (const w of wg) {
      if (!Number.isInteger(w) || w < 0) throw new Error(`${layout.file}:${layout.entry}: bad workgroup count ${wg.join('x')}`);
      if (w > maxWg) throw new Error(`${layout.file}:${layout.entry}: ${w} workgroups in one dimension exceeds the limit ${maxWg}; use grid()`);
    }
    if (wg[0] * wg[1] * wg[2] === 0) return;
    const prof = this.profiling;
    const t0 = prof ? performance.now() : 0;
    const bg = this.device.createBindGroup({ layout: bindGroupLayout, entries });
    const pass = prof ? this.profiledPass(prof, `${layout.file}:${layout.entry}${args.label ? ` ${args.label}` : ''}`) : this.getPass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(wg[0], wg[1], wg[2]);
    this.counters.dispatches++;
    if (prof) {
      pass.end();
      this.pass = null;
      prof.encodeMs += performance.now() - t0;
      if (prof.method === 'submit-per-dispatch') {
        const submitted = performance.now();
        this.flush();
        const label = prof.labels[prof.labels.length - 1];
        prof.done.push({ label, submitted, finished: this.device.queue.onSubmittedWorkDone().then(() => performance.now()) });
      }
    }
  }

  /** Profile mode: every dispatch gets its own compute pass, with begin/end timestamps when the adapter has them. */
  private profiledPass(prof: ProfileState, label: string): GPUComputePassEncoder {
    const enc = this.getEncoder();
    prof.labels.push(label);
    this.counters.passes++;
    if (prof.method !== 'timestamp-query') return (this.pass = enc.beginComputePass());
    if (!prof.querySet || prof.next + 2 > PROFILE_QUERIES) {
      this.resolveProfile(prof, enc);
      prof.querySet = this.device.createQuerySet({ type: 'timestamp', count: PROFILE_QUERIES });
      prof.next = 0;
    }
    prof.pendingLabels.push(label);
    const p = enc.beginComputePass({ timestampWrites: { querySet: prof.querySet!, beginningOfPassWriteIndex: prof.next, endOfPassWriteIndex: prof.next + 1 } });
    prof.next += 2;
    return (this.pass = p);
  }

  /** Resolves the filled part of the profile query set into a staging buffer read at endProfile. */
  private resolveProfile(prof: ProfileState, enc: GPUCommandEncoder): void {
    if (!prof.querySet || prof.next === 0) return;
    const n = prof.next;
    const resolved = this.device.createBuffer({ size: n * 8, usage: 0x0200 /* QUERY_RESOLVE */ | 0x04 /* COPY_SRC */ });
    const staging = this.device.createBuffer({ size: n * 8, usage: 0x01 /* MAP_READ */ | 0x08 /* COPY_DST */ });
    enc.resolveQuerySet(prof.querySet, 0, n, resolved, 0);
    enc.copyBufferToBuffer(resolved, 0, staging, 0, n * 8);
    prof.batches.push({ staging, labels: prof.pendingLabels, querySet: prof.querySet });
    this.profileTemp.push(resolved);
    prof.pendingLabels = [];
    prof.querySet = null;
    prof.next = 0;
  }

  private profileTemp: GPUBuffer[] = [];

  /**
   * Starts profiling: until endProfile(), each dispatch runs in its own compute pass and its GPU time is
   * taken with timestamp queries ('timestamp-query'), or, without that feature, each dispatch is submitted
   * alone and timed from submit to onSubmittedWorkDone on the wall clock ('submit-per-dispatch',
   * approximate). Profiling changes how work is batched: take counts from an unprofiled run.
   */
  beginProfile(): void {
    if (this.profiling) throw new Error('beginProfile: already profiling');
    this.flush();
    const method = this.features.has('timestamp-query') ? 'timestamp-query' : 'submit-per-dispatch';
    this.profiling = { method, labels: [], encodeMs: 0, querySet: null, next: 0, batches: [], pendingLabels: [], done: [] };
  }

  /** Ends profiling; waits for the GPU and returns per-kernel dispatch counts and GPU ms, slowest first. */
  async endProfile(): Promise<ProfileResult> {
    const prof = this.profiling;
    if (!prof) throw new Error('endProfile: not profiling');
    this.flush();
    this.profiling = null;
    const per = new Map<string, ProfileEntry>();
    const add = (label: string, ms: number) => {
      let e = per.get(label);
      if (!e) {
        // the shader file names the family (`shaders/attention.wgsl + generated code` → attention)
        const file = label.split(' ')[0].replace(/:[^:]*$/, '');
        const family = file.replace(/^.*\//, '').replace(/\.wgsl$/, '');
        per.set(label, (e = { family, kernel: label, dispatches: 0, gpuMs: 0 }));
      }
      e.dispatches++;
      e.gpuMs += ms;
    };
    try {
      if (prof.method === 'timestamp-query') {
        for (const b of prof.batches) {
          await gpuWait(b.staging.mapAsync(1 /* READ */));
          const ts = new BigInt64Array(b.staging.getMappedRange().slice(0));
          b.staging.unmap();
          b.labels.forEach((l, i) => add(l, Math.max(0, Number(ts[2 * i + 1] - ts[2 * i])) / 1e6));
        }
      } else {
        let prevEnd = 0;
        for (const d of prof.done) {
          const end = await gpuWait(d.finished);
          add(d.label, end - Math.max(prevEnd, d.submitted));
          prevEnd = end;
        }
      }
      await this.checkErrors();
    } finally {
      for (const b of prof.batches) {
        b.staging.destroy();
        b.querySet.destroy();
      }
      for (const b of this.profileTemp) b.destroy();
      this.profileTemp = [];
    }
    return { method: prof.method, entries: [...per.values()].sort((a, b) => b.gpuMs - a.gpuMs), encodeMs: prof.encodeMs };
  }

  /**
   * Spreads `n` invocations of a 1-D kernel with `wgSize` threads per workgroup over x (and y when
   * x would exceed the per-dimension limit). Kernels recover the flat index as
   * `gid.x + gid.y * nwg.x * WG` where nwg is @builtin(num_workgroups) (the prelude's flat_index for the default
   * WG = GRID_WG = 64), and must bounds-check it.
   */
  grid(n: number, wgSize: number = GRID_WG): [number, number] {
    const groups = Math.ceil(n / wgSize);
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (groups <= max) return [groups, 1];
    const y = Math.ceil(groups / max);
    return [Math.ceil(groups / y), y];
  }

  /** Records a buffer-to-buffer copy (bytes rounded up to 4). */
  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number, srcOffset = 0, dstOffset = 0): void {
    this.assertAlive();
    if (bytes <= 0 || this.planning) return;
    this.getEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, roundUp4(bytes));
    this.counters.copies++;
    this.pendingUse.add(src).add(dst);
  }

  /** Records a fill with zeros. */
  zero(buf: GPUBuffer, bytes = buf.size, offset = 0): void {
    this.assertAlive();
    if (bytes <= 0 || this.planning) return;
    this.getEncoder().clearBuffer(buf, offset, roundUp4(bytes));
    this.counters.clears++;
    this.pendingUse.add(buf);
  }

  /** Submits everything recorded so far. */
  flush(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    if (this.encoder) {
      if (this.profiling) this.resolveProfile(this.profiling, this.encoder);
      const t0 = performance.now();
      this.device.queue.submit([this.encoder.finish()]);
      this.counters.submitMs += performance.now() - t0;
      this.counters.submits++;
      this.encoder = null;
    }
    this.pendingUse.clear();
    for (const b of this.uniformsInFlight) {
      let l = this.uniformFree.get(b.size);
      if (!l) this.uniformFree.set(b.size, (l = []));
      l.push(b);
    }
    this.uniformsInFlight = [];
  }

  /** Waits until the GPU has finished all submitted work; throws pending errors. */
  async sync(): Promise<void> {
    this.flush();
    this.waitPump();
    const t0 = performance.now();
    await gpuWait(this.device.queue.onSubmittedWorkDone());
    this.counters.waitMs += performance.now() - t0;
    this.counters.syncs++;
    await this.checkErrors();
  }

  /** Allocates a pooled storage buffer holding `data` (or `bytes` zeros). */
  buffer(data: ArrayBufferView | number, label?: string): GPUBuffer {
    if (typeof data === 'number') {
      const b = this.pool.acquire(data, label);
      this.zero(b, roundUp4(data));
      return b;
    }
    // a buffer the recorded work does not use: the upload then needs no submit (one command buffer per step)
    const b = this.pool.acquire(data.byteLength, label, this.encoder ? this.pendingUse : undefined);
    this.upload(b, data);
    return b;
  }

  /** Writes host data into a buffer, ordered after everything recorded before this call. */
  upload(buf: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    this.assertAlive();
    if (data.byteLength === 0 || this.planning) return;
    // queue.writeBuffer takes effect before the next submit; recorded-but-unsubmitted commands that
    // use this buffer must go first, so submit them now (only then: a step stays one command buffer).
    if (this.encoder && this.pendingUse.has(buf)) this.flush();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.counters.uploads++;
    this.counters.uploadBytes += bytes.byteLength;
    if (bytes.byteLength % 4 === 0) this.device.queue.writeBuffer(buf, offset, bytes);
    else {
      const padded = new Uint8Array(roundUp4(bytes.byteLength));
      padded.set(bytes);
      this.device.queue.writeBuffer(buf, offset, padded);
    }
  }

  /** Reads `bytes` from a buffer back to the host (submits pending work first). */
  async read(buf: GPUBuffer, bytes: number = buf.size, offset = 0): Promise<ArrayBuffer> {
    this.assertAlive();
    if (bytes === 0 || this.planning) return new ArrayBuffer(bytes);
    const size = roundUp4(bytes);
    if (offset + size > buf.size) throw new Error(`read of ${size} bytes at ${offset} overruns a buffer of ${buf.size} bytes`);
    const staging = this.device.createBuffer({ size, usage: 0x01 /* MAP_READ */ | 0x08 /* COPY_DST */, label: 'readback' });
    try {
      this.getEncoder().copyBufferToBuffer(buf, offset, staging, 0, size);
      this.counters.copies++;
      this.flush();
      this.waitPump();
      const t0 = performance.now();
      try {
        await gpuWait(staging.mapAsync(1 /* READ */));
        this.counters.readbacks++;
        this.counters.readbackBytes += size;
        this.counters.waitMs += performance.now() - t0;
      } catch (e) {
        await this.checkErrors();
        throw new Error(`readback failed: ${(e as Error).message}`);
      }
      const out = staging.getMappedRange().slice(0, bytes);
      staging.unmap();
      await this.checkErrors();
      return out;
    } finally {
      staging.destroy();
    }
  }

  async readF32(buf: GPUBuffer, n: number, offset = 0): Promise<Float32Array> {
    return new Float32Array(await this.read(buf, n * 4, offset));
  }

  async readU32(buf: GPUBuffer, n: number, offset = 0): Promise<Uint32Array> {
    return new Uint32Array(await this.read(buf, n * 4, offset));
  }

  /** Runs fn inside a pool arena: buffers acquired inside are released when it ends (unless kept). */
  async scope<T>(fn: () => Promise<T> | T): Promise<T> {
    this.pool.beginArena();
    try {
      return await fn();
    } finally {
      this.pool.endArena();
    }
  }

  destroy(): void {
    this.flush();
    this.pool.destroyAll();
    for (const l of this.uniformFree.values()) for (const b of l) b.destroy();
    this.uniformFree.clear();
    this.device.destroy();
  }
}

let current: Promise<Gpu> | null = null;

export interface GpuOptions {
  /** policy fields to change from defaultPolicy(adapter) */
  policy?: Partial<KernelPolicy>;
  /** skip the default adapter and use SwiftShader directly (Node only) */
  forceFallback?: boolean;
  power?: GPUPowerPreference;
}

/** Acquires the process-wide Gpu (once). Node: default adapter, then SwiftShader. Browser: navigator.gpu. */
export function getGpu(opts: GpuOptions = {}): Promise<Gpu> {
  if (!current) {
    current = acquire(opts);
    current.catch(() => {
      current = null;
    });
  }
  return current;
}

export async function acquire(opts: GpuOptions = {}): Promise<Gpu> {
  const res = await requestAdapter(opts);
  if (!res.adapter) {
    throw new Error(`no WebGPU adapter: tried ${res.tried.join('; ')}. Fix: ${fixHint}`);
  }
  const adapter = res.adapter;
  const ai = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info ?? ({} as GPUAdapterInfo);
  const desc = `${ai.description ?? ''}`;
  const isCpu =
    res.fellBack ||
    /swiftshader|llvmpipe|lavapipe|software|microsoft basic/i.test(`${desc} ${ai.device ?? ''} ${ai.vendor ?? ''} ${ai.architecture ?? ''}`) ||
    !!(ai as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  if (res.fellBack) note(`wgpt: no GPU adapter found; falling back to the SwiftShader CPU adapter (slow, for tests and small models)`);
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const L = adapter.limits;
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: L.maxStorageBufferBindingSize,
    maxBufferSize: L.maxBufferSize,
    maxComputeWorkgroupStorageSize: L.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: L.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: L.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupSizeY: L.maxComputeWorkgroupSizeY,
    maxComputeWorkgroupsPerDimension: L.maxComputeWorkgroupsPerDimension,
    maxStorageBuffersPerShaderStage: L.maxStorageBuffersPerShaderStage,
  };
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits, label: 'wgpt' });
  const info: AdapterSummary = {
    platform: platformName,
    vendor: ai.vendor ?? '',
    architecture: ai.architecture ?? '',
    device: ai.device ?? '',
    description: desc,
    isCpu,
    fellBack: res.fellBack,
    subgroupMinSize: Number((ai as { subgroupMinSize?: number }).subgroupMinSize ?? 0),
    subgroupMaxSize: Number((ai as { subgroupMaxSize?: number }).subgroupMaxSize ?? 0),
  };
  return new Gpu(adapter, device, info, opts.policy);
}
