// Downloads a model by name from the Hugging Face Hub (or HF_ENDPOINT) into huggingface_hub's cache (cache.ts), the
// files the loader needs and no others: config.json, generation_config.json, the first weight file in transformers'
// order (and its shards), the tokenizer files. The protocol as huggingface_hub speaks it: the model's commit and file
// list from /api/models/{repo}/revision/{rev}; per file HEAD /{repo}/resolve/{commit}/{path} (ETag or X-Linked-Etag,
// X-Linked-Size, a 302 to the CDN for LFS files), then GET with Range to resume a blobs/{etag}.incomplete; LFS files
// checked against their sha256 (a mismatch keeps nothing). HF_HUB_OFFLINE=1: the cache only. HF_TOKEN: bearer token.
// Written here rather than on npm's @huggingface/hub: see docs/hub.md. Leaves out: uploads, xet transfers, locks
// with Python processes downloading the same blob at the same moment (wgpt processes lock each other out), parallel
// file downloads.
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { RepoCache, hubCacheDir } from './cache.js';
import { DEFAULT_ENDPOINT, type ModelRef, infoUrl, refText, resolveUrl } from './ref.js';
import { FOREIGN_WEIGHTS, neededFiles, noWeightsMessage, pickWeightFile, shardsOf } from './weights.js';
import { formatDuration } from '../util/progress.js';

export interface HubOptions {
  /** default HF_ENDPOINT, else https://huggingface.co */
  endpoint?: string;
  /** default HF_TOKEN (or HUGGING_FACE_HUB_TOKEN) */
  token?: string;
  /** default HF_HUB_OFFLINE (1/true/yes/on) */
  offline?: boolean;
  /** default hubCacheDir() */
  cacheDir?: string;
  /** a progress bar on stderr (default: when stderr is a terminal, or WGPT_PROGRESS=1) */
  progress?: boolean;
  /** status lines (default: stderr unless WGPT_QUIET=1) */
  log?: (line: string) => void;
  /** times a cut download is resumed within one call (default 3) */
  retries?: number;
  /** a transfer silent this long counts as cut and is resumed (default 60 s) */
  idleMs?: number;
  /** false: config and tokenizer files only (`wgpt tokenize --model NAME`); default true */
  weights?: boolean;
}

/** A download that receives nothing for this long is treated as cut (and resumed). */
const IDLE_MS = 60_000;
const truthy = (v: string | undefined) => !!v && /^(1|true|yes|on)$/i.test(v);
const OFFLINE_HINT = 'HF_HUB_OFFLINE=1 uses the cache only';

function settings(o: HubOptions) {
  const env = process.env;
  return {
    endpoint: (o.endpoint ?? env.HF_ENDPOINT ?? DEFAULT_ENDPOINT).replace(/\/+$/, ''),
    token: o.token ?? env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN,
    offline: o.offline ?? truthy(env.HF_HUB_OFFLINE),
    cacheDir: o.cacheDir ?? hubCacheDir(),
    progress: o.progress ?? (!!process.stderr.isTTY || env.WGPT_PROGRESS === '1'),
    log: o.log ?? ((line: string) => (env.WGPT_QUIET === '1' ? undefined : void process.stderr.write(`wgpt: ${line}\n`))),
    retries: o.retries ?? 3,
    idleMs: o.idleMs ?? IDLE_MS,
    weights: o.weights ?? true,
  };
}
type Settings = ReturnType<typeof settings>;

/** A request that failed before an HTTP answer (DNS, refused, reset, timeout). */
class NetworkError extends Error {}

function causeText(e: unknown): string {
  const c = (e as { cause?: { code?: string; message?: string } })?.cause;
  return c?.code ?? c?.message ?? String((e as Error)?.message ?? e).split('\n')[0];
}

async function request(s: Settings, url: string, init: RequestInit & { auth?: boolean; timeoutMs?: number } = {}): Promise<Response> {
  // (an abort of `init.signal` mid-request is a network failure too: NetworkError below)
  const headers = new Headers(init.headers);
  headers.set('user-agent', 'wgpt (huggingface_hub-compatible cache)');
  if (init.auth !== false && s.token) headers.set('authorization', `Bearer ${s.token}`);
  try {
    return await fetch(url, { ...init, headers, redirect: 'manual', signal: init.timeoutMs ? AbortSignal.timeout(init.timeoutMs) : init.signal });
  } catch (e) {
    throw new NetworkError(`cannot reach ${new URL(url).origin} (${causeText(e)}); ${OFFLINE_HINT}`);
  }
}

/** The one-line error for a Hub answer that is not a success. */
function hubError(s: Settings, ref: ModelRef, res: Response, path?: string): Error {
  const code = res.headers.get('x-error-code') ?? '';
  const what = path ? `${refText(ref)}/${path}` : refText(ref);
  if (code === 'RepositoryNotFound' || (!path && (res.status === 401 || res.status === 404) && !code)) return new Error(`no model '${ref.repo}' on ${s.endpoint} (or it is private or gated: set HF_TOKEN)`);
  if (code === 'GatedRepo') return new Error(`${ref.repo} is gated: accept its terms on ${s.endpoint} and set HF_TOKEN`);
  if (code === 'RevisionNotFound') return new Error(`${ref.repo} has no revision '${ref.revision}'`);
  if (code === 'EntryNotFound' || res.status === 404) return new Error(`${refText(ref)} has no file ${path}`);
  if (res.status === 401 || res.status === 403) return new Error(`${s.endpoint} refused ${what} (HTTP ${res.status}${s.token ? ', with HF_TOKEN' : '; set HF_TOKEN'})`);
  return new Error(`${s.endpoint} answered HTTP ${res.status} for ${what}`);
}

/** A response's headers followed through relative redirects only (renamed repos); an absolute one (the CDN) stops. */
async function head(s: Settings, ref: ModelRef, url: string, path: string): Promise<{ res: Response; location: string | null }> {
  for (let hops = 0; hops < 5; hops++) {
    const res = await request(s, url, { method: 'HEAD', headers: { 'accept-encoding': 'identity' }, timeoutMs: 10_000 });
    if (res.status >= 300 && res.status < 400) {
      const loc = res.headers.get('location');
      if (!loc) throw new Error(`${s.endpoint} redirected ${refText(ref)}/${path} without a Location`);
      if (/^[a-z]+:\/\//i.test(loc) && new URL(loc).origin !== new URL(url).origin) return { res, location: loc };
      url = new URL(loc, url).toString();
      continue;
    }
    if (!res.ok) throw hubError(s, ref, res, path);
    return { res, location: null };
  }
  throw new Error(`too many redirects for ${refText(ref)}/${path}`);
}

/** A file body as stored (no content coding, so byte counts and Range offsets are the file's), from `have` on. */
const getHeaders = (have: number): Record<string, string> => ({ 'accept-encoding': 'identity', ...(have > 0 ? { range: `bytes=${have}-` } : {}) });

const cleanEtag = (e: string | null) => (e ?? '').replace(/^W\//, '').replace(/^"|"$/g, '');

class ByteProgress {
  private t0 = performance.now();
  private last = 0;
  constructor(
    private s: Settings,
    private name: string,
    private total: number,
    private start: number,
  ) {}
  update(done: number, force = false): void {
    if (!this.s.progress) return;
    const now = performance.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const w = 20;
    const rate = (done - this.start) / Math.max(1e-3, (now - this.t0) / 1000);
    const eta = rate > 0 ? (this.total - done) / rate : NaN;
    const line = `${this.name} [${'#'.repeat(Math.round(frac * w))}${'.'.repeat(w - Math.round(frac * w))}] ${mb(done)}/${this.total >= 0 ? mb(this.total) : '?'}  ${mb(rate)}/s  ETA ${formatDuration(eta)}`;
    process.stderr.write(process.stderr.isTTY ? `\r${line.slice(0, (process.stderr.columns || 120) - 1)}\x1b[K` : `${line}\n`);
  }
  finish(done: number): void {
    if (!this.s.progress) return;
    this.update(done, true);
    if (process.stderr.isTTY) process.stderr.write('\n');
  }
  summary(done: number): string {
    const sec = (performance.now() - this.t0) / 1000;
    return `${mb(done - this.start)} in ${sec.toFixed(1)} s (${mb((done - this.start) / Math.max(sec, 1e-3))}/s)`;
  }
}

function mb(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Appends the response body to `path`; returns the bytes now in the file. Throws NetworkError when the body is cut. */
async function appendBody(res: Response, path: string, have: number, onBytes: (n: number) => void, idleMs: number): Promise<number> {
  const out = createWriteStream(path, { flags: have > 0 ? 'a' : 'w' });
  let n = have;
  let failed: unknown = null;
  try {
    if (!res.body) throw new TypeError('the response has no body');
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value: chunk } = await reader.read();
        if (done) break;
        try {
          if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
          n += chunk.length;
          onBytes(n);
        } catch (e) {
          // as `for await` does when its body throws: the stream is cancelled (the connection let go) first
          await reader.cancel().catch(() => {});
          throw e;
        }
      }
    } finally {
      reader.releaseLock();
    }
  } catch (e) {
    failed = e;
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  if (failed) throw new NetworkError(`connection lost after ${mb(n)} (${(failed as Error)?.name === 'AbortError' ? `no data for ${idleMs / 1000} s` : causeText(failed)})`);
  return n;
}

/** Downloads one file of `commit` into the cache (skipped when the snapshot has it); returns its snapshot path. */
async function downloadFile(s: Settings, cache: RepoCache, ref: ModelRef, commit: string, path: string): Promise<string> {
  if (cache.hasFile(commit, path)) return `${cache.snapshotDir(commit)}/${path}`;
  const at: ModelRef = { repo: ref.repo, revision: commit };
  const url = resolveUrl(s.endpoint, at, path);
  let meta;
  try {
    meta = await head(s, ref, url, path);
  } catch (e) {
    if ((e as Error).message.endsWith(`has no file ${path}`)) cache.recordMissing(commit, path);
    throw e;
  }
  const h = meta.res.headers;
  const etag = cleanEtag(h.get('x-linked-etag') ?? h.get('etag'));
  if (!/^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(etag)) throw new Error(`${s.endpoint} gave ${refText(ref)}/${path} no usable ETag (${JSON.stringify(etag)})`);
  const sizeHeader = h.get('x-linked-size') ?? h.get('content-length');
  const size = sizeHeader !== null && /^\d+$/.test(sizeHeader) ? Number(sizeHeader) : -1;
  const blob = cache.blobPath(etag);
  const release = existsSync(blob) ? null : await cache.lockBlob(etag, () => s.log(`waiting for another wgpt process downloading ${refText(ref)}/${path}`));
  try {
    if (release && !existsSync(blob)) await fetchBlob(s, cache, ref, path, url, meta.location, etag, size);
  } finally {
    release?.();
  }
  return cache.linkSnapshot(commit, path, etag);
}

/** Downloads one blob into blobs/{etag} (through .incomplete, resumed, checked); the caller holds its lock. */
async function fetchBlob(s: Settings, cache: RepoCache, ref: ModelRef, path: string, url: string, location: string | null, etag: string, size: number): Promise<void> {
  const blob = cache.blobPath(etag);
  mkdirSync(dirname(blob), { recursive: true });
  const part = cache.incompletePath(etag);
  const getUrl = location ?? url;
  // the token goes to the Hub, not to a CDN on another origin
  const auth = new URL(getUrl).origin === new URL(url).origin;
  let have = existsSync(part) ? statSync(part).size : 0;
  if (size >= 0 && have > size) {
    rmSync(part);
    have = 0;
  }
  if (have > 0) s.log(`resuming ${refText(ref)}/${path} at ${mb(have)}`);
  const bar = new ByteProgress(s, path, size, have);
  for (let attempt = 0; ; attempt++) {
    if (size >= 0 && have === size) break;
    // a transfer that stays silent for IDLE_MS is a cut connection (resumed like one)
    const ctl = new AbortController();
    let idle = setTimeout(() => ctl.abort(), s.idleMs);
    const alive = () => {
      clearTimeout(idle);
      idle = setTimeout(() => ctl.abort(), s.idleMs);
    };
    let res: Response;
    try {
      res = await request(s, getUrl, { headers: getHeaders(have), auth, signal: ctl.signal });
      for (let hops = 0; res.status >= 300 && res.status < 400 && hops < 5; hops++) {
        const loc = res.headers.get('location');
        if (!loc) break;
        const next = new URL(loc, getUrl).toString();
        res = await request(s, next, { headers: getHeaders(have), auth: auth && new URL(next).origin === new URL(url).origin, signal: ctl.signal });
      }
    } catch (e) {
      clearTimeout(idle);
      if (!(e instanceof NetworkError) || attempt >= s.retries) throw e;
      s.log(`${path}: ${(e as Error).message.split(';')[0]}; retrying`);
      continue;
    }
    if (res.status === 416 && size >= 0 && have === size) {
      clearTimeout(idle);
      break;
    }
    if (res.status !== 200 && res.status !== 206) {
      clearTimeout(idle);
      throw hubError(s, ref, res, path);
    }
    if (res.status === 200) have = 0; // the server ignored the Range: start over
    try {
      have = await appendBody(res, part, have, (n) => (alive(), bar.update(n)), s.idleMs);
      clearTimeout(idle);
      if (size < 0 || have >= size) break;
      throw new NetworkError(`the download stopped at ${mb(have)} of ${mb(size)}`);
    } catch (e) {
      clearTimeout(idle);
      have = existsSync(part) ? statSync(part).size : 0; // what reached the disk before the cut
      if (!(e instanceof NetworkError) || attempt >= s.retries) {
        bar.finish(have);
        throw new Error(`downloading ${refText(ref)}/${path}: ${(e as Error).message}; run the command again to resume (${mb(have)} kept)`);
      }
      s.log(`${path}: ${(e as Error).message}; resuming`);
    }
  }
  bar.finish(have);
  if (size >= 0 && have !== size) {
    rmSync(part, { force: true });
    throw new Error(`downloading ${refText(ref)}/${path}: got ${have} bytes, the Hub announced ${size}; nothing was kept in the cache`);
  }
  if (etag.length === 64) {
    const got = await sha256File(part);
    if (got !== etag) {
      rmSync(part, { force: true });
      throw new Error(`${refText(ref)}/${path}: sha256 ${got} does not match the Hub's ${etag}; the file was refused and nothing was kept in the cache`);
    }
  }
  renameSync(part, blob);
  s.log(`downloaded ${refText(ref)}/${path}: ${bar.summary(have)}`);
}

/** Shard names of an index already in the snapshot. */
function shardNames(snapshot: string, index: string): string[] {
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(`${snapshot}/${index}`, 'utf8'));
  } catch (e) {
    throw new Error(`${snapshot}/${index} is not valid JSON (${String((e as Error).message).split('\n')[0]})`);
  }
  return shardsOf(j, `${snapshot}/${index}`).files;
}

/** The snapshot folder of `ref` in the cache, with every file the loader needs (offline: from the cache alone). */
function offlineSnapshot(s: Settings, cache: RepoCache, ref: ModelRef, why: string): string {
  const commit = cache.commitOf(ref.revision);
  if (!commit) throw new Error(`${refText(ref)} is not in the cache (${s.cacheDir})${why}`);
  const have = cache.snapshotFiles(commit);
  if (!have.includes('config.json')) throw new Error(`the cached ${refText(ref)} (snapshot ${commit.slice(0, 12)}) has no config.json${why}`);
  if (s.weights && !pickWeightFile(have)) throw new Error(`${noWeightsMessage(`the cached ${refText(ref)}`, have)}${why}`);
  return cache.snapshotDir(commit);
}

/**
 * Makes sure the cache holds what the loader needs of `ref` and returns the snapshot folder
 * (…/models--ORG--NAME/snapshots/COMMIT). Offline (HF_HUB_OFFLINE=1), or when the Hub cannot be reached and the cache
 * has the revision, the cached snapshot is used.
 */
export async function downloadModel(ref: ModelRef, opts: HubOptions = {}): Promise<string> {
  const s = settings(opts);
  const cache = new RepoCache(s.cacheDir, ref.repo);
  if (s.offline) return offlineSnapshot(s, cache, ref, ' and HF_HUB_OFFLINE=1 forbids downloading');
  let res: Response;
  try {
    res = await request(s, infoUrl(s.endpoint, ref), { timeoutMs: 10_000 });
    // a renamed repository answers with a relative redirect to its new name: followed (same origin only)
    for (let hops = 0; res.status >= 300 && res.status < 400 && hops < 5; hops++) {
      const loc = res.headers.get('location');
      if (!loc) break;
      const next = new URL(loc, infoUrl(s.endpoint, ref));
      if (next.origin !== new URL(s.endpoint).origin) break;
      res = await request(s, next.toString(), { timeoutMs: 10_000 });
    }
  } catch (e) {
    if (!(e instanceof NetworkError) || !cache.commitOf(ref.revision)) throw e;
    s.log(`${(e as Error).message.split(';')[0]}: using the cached ${refText(ref)}`);
    return offlineSnapshot(s, cache, ref, '');
  }
  if (!res.ok) throw hubError(s, ref, res);
  let info: { sha?: unknown; siblings?: { rfilename?: unknown }[] };
  try {
    info = (await res.json()) as typeof info;
  } catch {
    throw new Error(`${s.endpoint} answered the model info of ${refText(ref)} with something that is not JSON`);
  }
  const commit = info.sha;
  if (typeof commit !== 'string' || !/^[0-9a-f]{40}$/.test(commit)) throw new Error(`${s.endpoint}: the model info of ${refText(ref)} has no commit sha`);
  const listing = (info.siblings ?? []).map((x) => x.rfilename).filter((x): x is string => typeof x === 'string');
  if (!listing.includes('config.json')) {
    const foreign = listing.filter((n) => FOREIGN_WEIGHTS.includes(n));
    throw new Error(`${refText(ref)} has no config.json${foreign.length ? ` (it has ${foreign.join(', ')})` : ''}; wgpt reads transformers-style model repositories`);
  }
  const { files, weight } = neededFiles(refText(ref), listing, s.weights);
  for (const f of files) await downloadFile(s, cache, ref, commit, f);
  if (weight?.endsWith('.index.json')) {
    for (const shard of shardNames(cache.snapshotDir(commit), weight)) {
      if (!listing.includes(shard)) throw new Error(`${refText(ref)}/${weight} names shard ${shard}, which the repository does not have`);
      await downloadFile(s, cache, ref, commit, shard);
    }
  }
  cache.writeRef(ref.revision, commit);
  return cache.snapshotDir(commit);
}
