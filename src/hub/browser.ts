// Models by name in the browser (the page): the Hub's files fetched with `fetch` and kept in Cache Storage, keyed by
// their commit-pinned resolve URL, so a model downloads once; LFS files checked against the sha256 the model info
// lists (/api/models/{repo}/revision/{rev}?blobs=true). Then the same core as Node (load.ts, tokenizer.ts).
// Leaves out: resuming a cut download (a fetch restarts), private models in the page (no token is stored).
import type { Gpu } from '../gpu/device.js';
import type { Model } from '../model/model.js';
import { type Tokenizer, loadTokenizer } from '../tokenizer/index.js';
import { type FileSource, memorySource } from './files.js';
import { type LoadedCheckpoint, loadFromSource } from './load.js';
import { DEFAULT_ENDPOINT, infoUrl, parseModelRef, refText, resolveUrl } from './ref.js';
import { tokenizerOfSource } from './tokenizer.js';
import { neededFiles, shardsOf } from './weights.js';

export interface BrowserHubOptions {
  /** default https://huggingface.co */
  endpoint?: string;
  /** Cache Storage bucket (default "wgpt-hub") */
  cacheName?: string;
  /** the cache only (no request) */
  offline?: boolean;
  /** bytes of the file being fetched so far */
  onProgress?: (file: string, done: number, total: number) => void;
}

export interface FetchedModel {
  source: FileSource;
  commit: string;
  /** files read from Cache Storage, and files fetched from the network */
  fromCache: string[];
  fetched: string[];
}

interface Info {
  sha: string;
  siblings: { rfilename: string; size?: number; lfs?: { sha256?: string; size?: number } }[];
}

async function openCache(name: string): Promise<Cache | null> {
  const c = (globalThis as { caches?: CacheStorage }).caches;
  if (!c) return null; // not a secure context: no Cache Storage, every load fetches
  return c.open(name);
}

async function hex(buf: ArrayBuffer): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function readBody(res: Response, path: string, total: number, onProgress?: BrowserHubOptions['onProgress']): Promise<Uint8Array<ArrayBuffer>> {
  if (!res.body || !onProgress) return new Uint8Array(await res.arrayBuffer());
  const parts: Uint8Array[] = [];
  let n = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    n += value.length;
    onProgress(path, n, total);
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}

/** The files the loader needs of a model on the Hub: from Cache Storage when there, else fetched (and kept). */
export async function fetchModelFiles(name: string, o: BrowserHubOptions = {}): Promise<FetchedModel> {
  const ref = parseModelRef(name);
  if (!ref) throw new Error(`'${name}' is not a model name (ORG/NAME[@REVISION] or a legacy id such as gpt2)`);
  const endpoint = (o.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const cache = await openCache(o.cacheName ?? 'wgpt-hub');
  const iUrl = `${infoUrl(endpoint, ref)}?blobs=true`;
  let info: Info | null = null;
  if (!o.offline) {
    try {
      const res = await fetch(iUrl);
      if (res.status === 401 || res.status === 404) {
        const code = res.headers.get('x-error-code');
        throw new Error(code === 'RevisionNotFound' ? `${ref.repo} has no revision '${ref.revision}'` : `no model '${ref.repo}' on ${endpoint} (or it is private or gated)`);
      }
      if (!res.ok) throw new Error(`${endpoint} answered HTTP ${res.status} for ${refText(ref)}`);
      info = (await res.clone().json()) as Info;
      await cache?.put(iUrl, res);
    } catch (e) {
      if (!(e instanceof TypeError)) throw e; // a network failure is a TypeError: fall back to the cached info below
    }
  }
  if (!info) {
    const hit = await cache?.match(iUrl);
    if (!hit) throw new Error(`cannot reach ${endpoint} and ${refText(ref)} is not in this browser's cache`);
    info = (await hit.json()) as Info;
  }
  if (typeof info.sha !== 'string' || !Array.isArray(info.siblings)) throw new Error(`${endpoint}: the model info of ${refText(ref)} is malformed`);
  const commit = info.sha;
  const listing = info.siblings.map((s) => s.rfilename);
  const lfs = new Map(info.siblings.map((s) => [s.rfilename, s.lfs?.sha256 ?? null]));
  const sizes = new Map(info.siblings.map((s) => [s.rfilename, s.lfs?.size ?? s.size ?? 0]));
  const files = new Map<string, Uint8Array>();
  const fromCache: string[] = [];
  const fetched: string[] = [];
  const get = async (path: string) => {
    const url = resolveUrl(endpoint, { repo: ref.repo, revision: commit }, path);
    const hit = await cache?.match(url);
    if (hit) {
      files.set(path, new Uint8Array(await hit.arrayBuffer()));
      fromCache.push(path);
      return;
    }
    if (o.offline) throw new Error(`${refText(ref)}/${path} is not in this browser's cache (offline)`);
    const res = await fetch(url);
    if (res.status === 404) throw new Error(`${refText(ref)} has no file ${path}`);
    if (!res.ok) throw new Error(`${endpoint} answered HTTP ${res.status} for ${refText(ref)}/${path}`);
    const bytes = await readBody(res, path, sizes.get(path) ?? 0, o.onProgress);
    const want = lfs.get(path);
    if (want) {
      const got = await hex(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      if (got !== want) throw new Error(`${refText(ref)}/${path}: sha256 ${got} does not match the Hub's ${want}; the file was refused`);
    }
    await cache?.put(url, new Response(bytes));
    files.set(path, bytes);
    fetched.push(path);
  };
  const { files: needed, weight } = neededFiles(refText(ref), listing);
  for (const f of needed) await get(f);
  if (weight?.endsWith('.index.json')) {
    const idx = JSON.parse(new TextDecoder().decode(files.get(weight)!)) as unknown;
    for (const shard of shardsOf(idx, `${refText(ref)}/${weight}`).files) await get(shard);
  }
  return { source: memorySource(files, `${endpoint}/${ref.repo}@${commit.slice(0, 10)}`), commit, fromCache, fetched };
}

/**
 * Model + tokenizer of a model on the Hub, in the browser. `tokenizer` is null when the files carry none that fits the
 * model (`tokenizerProblem` says why): the model still runs on ids.
 */
export async function loadModelByName(gpu: Gpu, name: string, o: BrowserHubOptions = {}): Promise<{ model: Model; tokenizer: Tokenizer | null; tokenizerProblem?: string; checkpoint: LoadedCheckpoint; files: FetchedModel }> {
  const files = await fetchModelFiles(name, o);
  const checkpoint = loadFromSource(files.source);
  let tokenizer = tokenizerOfSource(files.source);
  let tokenizerProblem: string | undefined;
  if (!tokenizer && checkpoint.arch.modelType === 'gpt2') tokenizer = loadTokenizer('gpt2');
  const vocab = checkpoint.arch.vocabSize(checkpoint.config);
  if (!tokenizer) tokenizerProblem = `${name} has no tokenizer files wgpt reads`;
  else if (tokenizer.vocabSize > vocab) {
    tokenizerProblem = `the tokenizer of ${name} has ${tokenizer.vocabSize} ids but the model's vocab_size is ${vocab}`;
    tokenizer = null;
  }
  return { model: checkpoint.arch.create(gpu, checkpoint.config, checkpoint.params), tokenizer, tokenizerProblem, checkpoint, files };
}
