// A loopback stand-in of the Hugging Face Hub for tests (issue #27): serves folders as model repositories over the
// protocol huggingface_hub speaks — /api/models/{repo}/revision/{rev} (commit + file list), HEAD/GET
// /{repo}/resolve/{rev}/{path} (ETag; LFS files answer 302 to a CDN on ANOTHER origin with X-Linked-Etag and
// X-Linked-Size), X-Error-Code RepositoryNotFound / RevisionNotFound / EntryNotFound — plus faults on demand: a cut
// connection, a lying sha256, a phantom file. 127.0.0.1 only, ephemeral ports, closes itself after `lifetimeMs`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface StandInRepo {
  repo: string;
  files: Map<string, Uint8Array>;
  /** 40-hex commit (default: a hash of the repo name and file contents) */
  commit?: string;
  /** names listed by the API whose resolve answers 404 (a file deleted after listing) */
  phantom?: string[];
}

export interface Faults {
  /** LFS paths whose first CDN GET sends about half the bytes and then destroys the socket */
  cutOnce?: string[];
  /** LFS paths whose X-Linked-Etag names another sha256 */
  lieSha?: string[];
  /** LFS paths whose first CDN GET sends about half the bytes and then goes silent (the socket stays open) */
  stallOnce?: string[];
  /** old repo name → new one: the Hub answers 307 with a relative Location, as for a renamed repository */
  renamed?: Record<string, string>;
}

export interface LoggedRequest {
  method: string;
  url: string;
  server: 'hub' | 'cdn';
  range?: string;
  auth?: string;
}

export interface StandInHub {
  /** http://127.0.0.1:PORT (what HF_ENDPOINT is set to) */
  endpoint: string;
  requests: LoggedRequest[];
  commitOf(repo: string): string;
  close(): Promise<void>;
}

/** Files of a folder as a repo's files (relative '/'-paths). */
export function folderFiles(dir: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p).split('\\').join('/'), new Uint8Array(readFileSync(p)));
    }
  };
  walk(dir);
  return out;
}

const isLfs = (path: string) => /\.(safetensors|bin|spm|h5|msgpack|onnx)$/.test(path);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const gitSha1 = (b: Uint8Array) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  // CORS as the Hub sends it, so the page (another origin) can fetch and read the headers
  const server = createServer((req, res) => {
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-expose-headers', 'x-repo-commit, x-linked-etag, x-linked-size, x-error-code, etag, content-range');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'access-control-allow-headers': 'authorization, range, content-type', 'access-control-allow-methods': 'GET, HEAD' });
      return res.end();
    }
    handler(req, res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` })));
}

export async function startHub(repos: StandInRepo[], faults: Faults = {}, lifetimeMs = 120_000): Promise<StandInHub> {
  const byName = new Map<string, StandInRepo & { commit: string }>();
  for (const r of repos) {
    const h = createHash('sha1').update(r.repo);
    for (const [k, v] of [...r.files].sort()) h.update(k).update(v);
    byName.set(r.repo, { ...r, commit: r.commit ?? h.digest('hex') });
  }
  const blobs = new Map<string, Uint8Array>();
  for (const r of byName.values()) for (const [p, b] of r.files) if (isLfs(p)) blobs.set(sha256(b), b);
  const cut = new Set(faults.cutOnce ?? []);
  const cutSha = new Set<string>();
  const stall = new Set(faults.stallOnce ?? []);
  const stallSha = new Set<string>();
  const requests: LoggedRequest[] = [];
  const log = (req: IncomingMessage, server: 'hub' | 'cdn') =>
    requests.push({ method: req.method ?? '', url: req.url ?? '', server, range: req.headers.range, auth: req.headers.authorization });
  const error = (res: ServerResponse, status: number, code: string) => {
    res.writeHead(status, { 'x-error-code': code, 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: code }));
  };
  /** The repo a path starts with (one or two segments), and the rest. */
  const splitRepo = (parts: string[], marker: string): { repo?: StandInRepo & { commit: string }; rest: string[]; name: string } => {
    const i = parts.indexOf(marker);
    const name = parts.slice(0, i < 0 ? parts.length : i).join('/');
    return { repo: byName.get(name), rest: i < 0 ? [] : parts.slice(i + 1), name };
  };

  const cdn = await listen((req, res) => {
    log(req, 'cdn');
    const sha = (req.url ?? '').replace(/^\/blob\//, '').split('?')[0];
    const b = blobs.get(sha);
    if (!b) return error(res, 404, 'NoSuchKey');
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m) start = Number(m[1]);
    if (start > b.length) {
      res.writeHead(416, { 'content-range': `bytes */${b.length}` });
      return res.end();
    }
    res.writeHead(m ? 206 : 200, { 'content-length': String(b.length - start), 'accept-ranges': 'bytes', ...(m ? { 'content-range': `bytes ${start}-${b.length - 1}/${b.length}` } : {}) });
    if (req.method === 'HEAD') return res.end();
    if (stallSha.has(sha) && !m) {
      stallSha.delete(sha);
      res.write(b.subarray(0, Math.floor(b.length / 2))); // …and nothing more until the client gives up
      return;
    }
    if (cutSha.has(sha) && !m) {
      cutSha.delete(sha);
      // about half the bytes, flushed, then the connection dies
      const half = b.subarray(start, start + Math.floor((b.length - start) / 2));
      res.write(half, () => setTimeout(() => req.socket.destroy(), 20));
      return;
    }
    res.end(b.subarray(start));
  });

  const hub = await listen((req, res) => {
    log(req, 'hub');
    const url = new URL(req.url ?? '/', 'http://x');
    for (const [from, to] of Object.entries(faults.renamed ?? {})) {
      const at = url.pathname.indexOf(`/${from}/`);
      if (at === 0 || (at > 0 && url.pathname.startsWith('/api/models'))) {
        res.writeHead(307, { location: url.pathname.replace(`/${from}/`, `/${to}/`) + url.search });
        return res.end();
      }
    }
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === 'api' && parts[1] === 'models') {
      const { repo, rest } = splitRepo(parts.slice(2), 'revision');
      if (!repo) return error(res, 401, 'RepositoryNotFound');
      const rev = rest.join('/') || 'main';
      if (rev !== 'main' && rev !== repo.commit) return error(res, 404, 'RevisionNotFound');
      res.writeHead(200, { 'content-type': 'application/json' });
      // ?blobs=true adds sizes and LFS sha256s, as the Hub's API does
      const blobsInfo = url.searchParams.get('blobs') === 'true';
      const sib = (rfilename: string) => {
        const b = repo.files.get(rfilename);
        if (!blobsInfo || !b) return { rfilename };
        return { rfilename, size: b.length, ...(isLfs(rfilename) ? { lfs: { sha256: sha256(b), size: b.length } } : {}) };
      };
      return res.end(JSON.stringify({ id: repo.repo, sha: repo.commit, siblings: [...repo.files.keys(), ...(repo.phantom ?? [])].map(sib) }));
    }
    const { repo, rest } = splitRepo(parts, 'resolve');
    if (!repo) return error(res, 401, 'RepositoryNotFound');
    const [rev, ...pathParts] = rest;
    if (rev !== 'main' && rev !== repo.commit) return error(res, 404, 'RevisionNotFound');
    const path = pathParts.join('/');
    const b = repo.files.get(path);
    if (!b) return error(res, 404, 'EntryNotFound');
    const common = { 'x-repo-commit': repo.commit, etag: `"${gitSha1(b)}"` };
    if (isLfs(path)) {
      const sha = sha256(b);
      if (cut.has(path)) {
        cut.delete(path);
        cutSha.add(sha);
      }
      if (stall.has(path)) {
        stall.delete(path);
        stallSha.add(sha);
      }
      const claimed = faults.lieSha?.includes(path) ? sha256(new TextEncoder().encode(`not ${path}`)) : sha;
      res.writeHead(302, { ...common, location: `${cdnUrl}/blob/${sha}?sig=x`, 'x-linked-etag': `"${claimed}"`, 'x-linked-size': String(b.length), 'content-length': '0' });
      return res.end();
    }
    res.writeHead(200, { ...common, 'content-length': String(b.length) });
    res.end(req.method === 'HEAD' ? undefined : b);
  });
  const cdnUrl = cdn.url;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const s of [hub.server, cdn.server]) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  };
  // bounded: never outlives the test run
  const timer = setTimeout(() => void close(), lifetimeMs);
  timer.unref();
  return { endpoint: hub.url, requests, commitOf: (r) => byName.get(r)!.commit, close };
}
