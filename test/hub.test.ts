// Models by name (issue #27) against a loopback stand-in of the Hub (hub-server.ts): download into huggingface_hub's
// cache layout (blobs, refs, snapshots as relative links), only the files the loader needs, the 302 to the CDN, a cut
// connection resumed with Range, a lying sha256 refused with nothing left, offline reuse, unknown repo / revision /
// file, no network; and a cache as Python's huggingface_hub writes it, built by hand here, read as it is.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadModel, type HubOptions } from '../src/hub/download.ts';
import { resolveModelDir } from '../src/hub/node.ts';
import { hubCacheDir, repoFolderName } from '../src/hub/cache.ts';
import { parseModelRef } from '../src/hub/ref.ts';
import { loadCheckpoint } from '../src/hub/folder.ts';
import { startHub, folderFiles, type StandInHub } from './hub-server.ts';
import { FIXTURES } from './helpers.ts';
import { runCli } from './cli-inproc.ts';

const root = mkdtempSync(join(tmpdir(), 'wgpt-hub-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshCache = () => join(root, `cache-${++n}`);
const TB = join(FIXTURES, 'torch_bin');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The tiny GPT as a Hub repo: safetensors + a pytorch_model.bin beside it (not downloaded) + files wgpt never reads. */
function tinyRepo(repo = 'wgpt-test/tiny-gpt2') {
  const files = folderFiles(join(TB, 'st'));
  files.set('pytorch_model.bin', new Uint8Array(readFileSync(join(TB, 'zip', 'pytorch_model.bin'))));
  files.set('README.md', new TextEncoder().encode('# tiny\n'));
  files.set('tf_model.h5', new Uint8Array(16));
  files.set('generation_config.json', new TextEncoder().encode(JSON.stringify({ bos_token_id: 50256, eos_token_id: 50256 })));
  return { repo, files };
}

async function withHub<T>(repos: Parameters<typeof startHub>[0], faults: Parameters<typeof startHub>[1], fn: (hub: StandInHub, o: (extra?: HubOptions) => HubOptions & { lines: string[] }) => Promise<T>): Promise<T> {
  const hub = await startHub(repos, faults, 60_000);
  try {
    const cacheDir = freshCache();
    return await fn(hub, (extra = {}) => {
      const lines: string[] = [];
      return Object.assign({ endpoint: hub.endpoint, cacheDir, progress: false, log: (l: string) => lines.push(l), ...extra }, { lines });
    });
  } finally {
    await hub.close();
  }
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function rejects(p: Promise<unknown>, re: RegExp): Promise<string> {
  try {
    await p;
  } catch (e) {
    const msg = (e as Error).message;
    assert.not.ok(msg.includes('\n'), `one line: ${msg}`);
    assert.match(msg, re);
    return msg;
  }
  throw new Error(`expected a rejection matching ${re}`);
}

test('cache root as huggingface_hub computes it; repo ids and revisions', () => {
  assert.is(hubCacheDir({ HF_HUB_CACHE: '/a' }), '/a');
  assert.is(hubCacheDir({ HF_HOME: '/h' }), '/h/hub');
  assert.is(hubCacheDir({ XDG_CACHE_HOME: '/x' }), '/x/huggingface/hub');
  assert.ok(hubCacheDir({}).endsWith('/.cache/huggingface/hub'));
  assert.is(repoFolderName('Helsinki-NLP/opus-mt-ko-en'), 'models--Helsinki-NLP--opus-mt-ko-en');
  assert.is(repoFolderName('gpt2'), 'models--gpt2');
  assert.equal(parseModelRef('gpt2'), { repo: 'gpt2', revision: 'main' });
  assert.equal(parseModelRef('Helsinki-NLP/opus-mt-ko-en@v1.0'), { repo: 'Helsinki-NLP/opus-mt-ko-en', revision: 'v1.0' });
  for (const bad of ['./runs/x', '/abs/path', 'a/b/c', 'a--b/c', '../x', 'x@', 'a b']) assert.is(parseModelRef(bad), null, bad);
});

test('download: the needed files only, into blobs/refs/snapshots with relative links; the token goes to the Hub, not the CDN', async () => {
  await withHub([tinyRepo()], {}, async (hub, opts) => {
    const o = opts({ token: 'hf_secret' });
    const snap = await downloadModel({ repo: 'wgpt-test/tiny-gpt2', revision: 'main' }, o);
    const commit = hub.commitOf('wgpt-test/tiny-gpt2');
    const repoDir = join(o.cacheDir!, 'models--wgpt-test--tiny-gpt2');
    assert.is(snap, join(repoDir, 'snapshots', commit));
    assert.is(readFileSync(join(repoDir, 'refs', 'main'), 'utf8'), commit);
    assert.equal(readdirSync(snap).sort(), ['config.json', 'generation_config.json', 'model.safetensors'], 'not pytorch_model.bin, README.md or tf_model.h5');
    const st = new Uint8Array(readFileSync(join(TB, 'st', 'model.safetensors')));
    assert.ok(lstatSync(join(snap, 'model.safetensors')).isSymbolicLink());
    assert.is(readlinkSync(join(snap, 'model.safetensors')), `../../blobs/${sha256(st)}`, 'LFS blob named by its sha256, linked relatively');
    const cfg = new Uint8Array(readFileSync(join(TB, 'st', 'config.json')));
    const sha1 = createHash('sha1').update(`blob ${cfg.length}\0`).update(cfg).digest('hex');
    assert.is(readlinkSync(join(snap, 'config.json')), `../../blobs/${sha1}`, 'small file blob named by its git sha1 ETag');
    assert.ok(hub.requests.some((r) => r.server === 'cdn' && r.method === 'GET'), 'the LFS file came from the CDN after the 302');
    for (const r of hub.requests) assert.is(r.auth, r.server === 'hub' ? 'Bearer hf_secret' : undefined, `${r.server} ${r.url}`);
    assert.ok(o.lines.some((l) => /^downloaded wgpt-test\/tiny-gpt2\/model.safetensors: .* kB in .* s \(.*\/s\)$/.test(l)), o.lines.join(' | '));
    // the snapshot is a model folder like any other
    const ck = loadCheckpoint(snap);
    const ref = loadCheckpoint(join(TB, 'st'));
    for (const [k, p] of ref.params) assert.equal(ck.params.get(k)!.data, p.data, k);
    // a second call reuses the cache: one info request, no file traffic
    const before = hub.requests.length;
    assert.is(await downloadModel({ repo: 'wgpt-test/tiny-gpt2', revision: 'main' }, o), snap);
    assert.equal(hub.requests.slice(before).map((r) => r.url), [`/api/models/wgpt-test/tiny-gpt2/revision/main`]);
    // offline: no request at all
    const b2 = hub.requests.length;
    assert.is(await downloadModel({ repo: 'wgpt-test/tiny-gpt2', revision: 'main' }, { ...o, offline: true }), snap);
    assert.is(hub.requests.length, b2, 'HF_HUB_OFFLINE sends nothing');
    // a commit hash as the revision resolves offline too
    assert.is(await downloadModel({ repo: 'wgpt-test/tiny-gpt2', revision: commit }, { ...o, offline: true }), snap);
  });
});

test('a connection cut mid-file is resumed with a Range request; an .incomplete left by an earlier run is resumed too', async () => {
  await withHub([tinyRepo()], { cutOnce: ['model.safetensors'] }, async (hub, opts) => {
    const o = opts();
    const snap = await downloadModel({ repo: 'wgpt-test/tiny-gpt2', revision: 'main' }, o);
    const gets = hub.requests.filter((r) => r.server === 'cdn' && r.method === 'GET');
    assert.is(gets.length, 2, 'one cut GET, one resumed GET');
    assert.match(gets[1].range ?? '', /^bytes=\d+-$/);
    assert.ok(Number(/\d+/.exec(gets[1].range!)![0]) > 1000, 'resumed where the cut left off');
    assert.ok(o.lines.some((l) => /model.safetensors: connection lost after .*; resuming/.test(l)), o.lines.join(' | '));
    assert.equal(readFileSync(join(snap, 'model.safetensors')), readFileSync(join(TB, 'st', 'model.safetensors')));
  });
  await withHub([tinyRepo()], {}, async (hub, opts) => {
    const o = opts();
    const st = new Uint8Array(readFileSync(join(TB, 'st', 'model.safetensors')));
    const blobs = join(o.cacheDir!, 'models--wgpt-test--tiny-gpt2', 'blobs');
    mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, `${sha256(st)}.incomplete`), st.subarray(0, 5000));
    const snap = await downloadModel({ repo: 'wgpt-test/tiny-gpt2', revision: 'main' }, o);
    const gets = hub.requests.filter((r) => r.server === 'cdn' && r.method === 'GET');
    assert.equal(gets.map((g) => g.range), ['bytes=5000-']);
    assert.ok(o.lines.includes('resuming wgpt-test/tiny-gpt2/model.safetensors at 5.0 kB'), o.lines.join(' | '));
    assert.equal(readFileSync(join(snap, 'model.safetensors')), Buffer.from(st));
  });
});

test('a transfer that goes silent is treated as cut and resumed; a renamed repository is followed by its relative redirect', async () => {
  await withHub([tinyRepo()], { stallOnce: ['model.safetensors'], renamed: { 'old-org/tiny': 'wgpt-test/tiny-gpt2' } }, async (hub, opts) => {
    const o = opts({ idleMs: 400 });
    const snap = await downloadModel({ repo: 'wgpt-test/tiny-gpt2', revision: 'main' }, o);
    const gets = hub.requests.filter((r) => r.server === 'cdn' && r.method === 'GET');
    assert.is(gets.length, 2);
    assert.match(gets[1].range ?? '', /^bytes=\d+-$/);
    assert.ok(o.lines.some((l) => /model.safetensors: connection lost after .* \(no data for 0.4 s\); resuming/.test(l)), o.lines.join(' | '));
    assert.equal(readFileSync(join(snap, 'model.safetensors')), readFileSync(join(TB, 'st', 'model.safetensors')));
    // the old name reaches the same files (cached under the name asked for, as huggingface_hub does)
    const old = await downloadModel({ repo: 'old-org/tiny', revision: 'main' }, o);
    assert.ok(old.includes('models--old-org--tiny'), old);
    assert.equal(readdirSync(old).sort(), readdirSync(snap).sort());
  });
});

test('two downloads of the same model at once: one fetches each blob, the other waits for it (the lock in .locks/)', async () => {
  await withHub([tinyRepo()], {}, async (hub, opts) => {
    const a = opts();
    const b = opts();
    const [sa, sb] = await Promise.all([downloadModel({ repo: 'wgpt-test/tiny-gpt2', revision: 'main' }, a), downloadModel({ repo: 'wgpt-test/tiny-gpt2', revision: 'main' }, b)]);
    assert.is(sa, sb);
    assert.is(hub.requests.filter((r) => r.server === 'cdn' && r.method === 'GET').length, 1, 'the LFS file was fetched once');
    assert.ok([...a.lines, ...b.lines].some((l) => l.startsWith('waiting for another wgpt process downloading wgpt-test/tiny-gpt2/')), [...a.lines, ...b.lines].join(' | '));
    assert.is([...a.lines, ...b.lines].filter((l) => l.startsWith('downloaded ')).length, 3, 'each of the three files downloaded once');
    assert.equal(readdirSync(join(a.cacheDir!, '.locks', 'models--wgpt-test--tiny-gpt2')), [], 'locks released');
    assert.equal(readFileSync(join(sa, 'model.safetensors')), readFileSync(join(TB, 'st', 'model.safetensors')));
  });
});

test('a sha256 that does not match X-Linked-Etag: refused, nothing left in the cache', async () => {
  await withHub([tinyRepo()], { lieSha: ['model.safetensors'] }, async (_hub, opts) => {
    const o = opts();
    await rejects(downloadModel({ repo: 'wgpt-test/tiny-gpt2', revision: 'main' }, o), /^wgpt-test\/tiny-gpt2\/model.safetensors: sha256 [0-9a-f]{64} does not match the Hub's [0-9a-f]{64}; the file was refused and nothing was kept in the cache$/);
    const repoDir = join(o.cacheDir!, 'models--wgpt-test--tiny-gpt2');
    const blobs = readdirSync(join(repoDir, 'blobs'));
    assert.ok(blobs.length === 2 && blobs.every((b) => /^[0-9a-f]{40}$/.test(b)), `only the two JSON files' blobs: ${blobs}`);
    const snaps = readdirSync(join(repoDir, 'snapshots'));
    assert.not.ok(readdirSync(join(repoDir, 'snapshots', snaps[0])).includes('model.safetensors'));
    assert.not.ok(existsSync(join(repoDir, 'refs', 'main')), 'no ref to a snapshot that is not complete');
  });
});

test('unknown repo, revision and file; weights wgpt does not read; no network; offline without a cache', async () => {
  const tfOnly = { repo: 'wgpt-test/tf-only', files: new Map([['config.json', readFileSync(join(TB, 'st', 'config.json'))], ['tf_model.h5', new Uint8Array(8)], ['flax_model.msgpack', new Uint8Array(8)]]) };
  const phantom = { ...tinyRepo('wgpt-test/phantom'), phantom: ['tokenizer.json'] };
  const sharded = { repo: 'wgpt-test/sharded', files: folderFiles(join(TB, 'st_sharded')) };
  const brokenShards = { repo: 'wgpt-test/broken-shards', files: folderFiles(join(TB, 'st_sharded')) };
  brokenShards.files.delete('model-00002-of-00002.safetensors');
  await withHub([tinyRepo(), tfOnly, phantom, sharded, brokenShards], {}, async (hub, opts) => {
    const o = opts();
    await rejects(downloadModel({ repo: 'nobody/nothing', revision: 'main' }, o), new RegExp(`^no model 'nobody/nothing' on ${hub.endpoint} \\(or it is private or gated: set HF_TOKEN\\)$`));
    await rejects(downloadModel({ repo: 'wgpt-test/tiny-gpt2', revision: 'v9' }, o), /^wgpt-test\/tiny-gpt2 has no revision 'v9'$/);
    await rejects(downloadModel({ repo: 'wgpt-test/tf-only', revision: 'main' }, o), /^wgpt-test\/tf-only has no weight file wgpt reads \(it has tf_model.h5, flax_model.msgpack: TensorFlow\/Flax\/ONNX\/GGUF weights are not read\); wgpt reads model.safetensors, model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json$/);
    await rejects(downloadModel({ repo: 'wgpt-test/phantom', revision: 'main' }, o), /^wgpt-test\/phantom has no file tokenizer.json$/);
    const commit = hub.commitOf('wgpt-test/phantom');
    assert.ok(existsSync(join(o.cacheDir!, 'models--wgpt-test--phantom', '.no_exist', commit, 'tokenizer.json')), 'the missing file is recorded as huggingface_hub does');
    const snap = await downloadModel({ repo: 'wgpt-test/sharded', revision: 'main' }, o);
    assert.equal(readdirSync(snap).sort(), ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json']);
    await rejects(downloadModel({ repo: 'wgpt-test/broken-shards', revision: 'main' }, o), /^wgpt-test\/broken-shards\/model.safetensors.index.json names shard model-00002-of-00002.safetensors, which the repository does not have$/);
  });
  // no server at all: the refused connection is one line that names the offline switch
  const port = await closedPort();
  const dead = { endpoint: `http://127.0.0.1:${port}`, cacheDir: freshCache(), progress: false, log: () => {} };
  await rejects(downloadModel({ repo: 'gpt2', revision: 'main' }, dead), new RegExp(`^cannot reach http://127.0.0.1:${port} \\(ECONNREFUSED\\); HF_HUB_OFFLINE=1 uses the cache only$`));
  await rejects(downloadModel({ repo: 'gpt2', revision: 'main' }, { ...dead, offline: true }), /^gpt2 is not in the cache \(.*\) and HF_HUB_OFFLINE=1 forbids downloading$/);
  // a relative path that does not exist reads as a name too: both are said
  await rejects(resolveModelDir('runs/nope', dead), new RegExp(`^no folder runs/nope here, and cannot reach http://127.0.0.1:${port} `));
});

test("a cache written by Python's huggingface_hub (built by hand: links, a copied file, refs, .no_exist) is read as it is", async () => {
  const cacheDir = freshCache();
  const commit = 'a'.repeat(39) + 'b';
  const repoDir = join(cacheDir, 'models--openai-community--tiny');
  mkdirSync(join(repoDir, 'blobs'), { recursive: true });
  mkdirSync(join(repoDir, 'refs'), { recursive: true });
  mkdirSync(join(repoDir, 'snapshots', commit), { recursive: true });
  mkdirSync(join(repoDir, '.no_exist', commit), { recursive: true });
  writeFileSync(join(repoDir, 'refs', 'main'), commit); // huggingface_hub writes the bare hash, no newline
  writeFileSync(join(repoDir, '.no_exist', commit, 'tokenizer.json'), '');
  const st = readFileSync(join(TB, 'st', 'model.safetensors'));
  writeFileSync(join(repoDir, 'blobs', sha256(st)), st);
  symlinkSync(`../../blobs/${sha256(st)}`, join(repoDir, 'snapshots', commit, 'model.safetensors'));
  // config.json as a plain copy (what huggingface_hub does where symlinks are unavailable)
  copyFileSync(join(TB, 'st', 'config.json'), join(repoDir, 'snapshots', commit, 'config.json'));
  const o = { cacheDir, offline: true, progress: false, log: () => {} };
  const snap = await downloadModel({ repo: 'openai-community/tiny', revision: 'main' }, o);
  assert.is(snap, join(repoDir, 'snapshots', commit));
  const ck = loadCheckpoint(snap);
  assert.is(ck.arch.modelType, 'gpt2');
  assert.is(ck.weightFile, 'model.safetensors');
  // online against a Hub whose main is that commit: nothing is downloaded again
  const files = folderFiles(join(TB, 'st'));
  const hub = await startHub([{ repo: 'openai-community/tiny', files, commit }], {}, 30_000);
  try {
    assert.is(await downloadModel({ repo: 'openai-community/tiny', revision: 'main' }, { ...o, offline: false, endpoint: hub.endpoint }), snap);
    assert.equal(hub.requests.map((r) => r.url), ['/api/models/openai-community/tiny/revision/main']);
  } finally {
    await hub.close();
  }
  // a dangling link (blob deleted) is not a file the cache has
  rmSync(join(repoDir, 'blobs', sha256(st)));
  await rejects(downloadModel({ repo: 'openai-community/tiny', revision: 'main' }, o), /the cached openai-community\/tiny has no weight file wgpt reads.*HF_HUB_OFFLINE=1 forbids downloading$/);
});

test('the CLI by name: HF_ENDPOINT + HF_HUB_CACHE, a progress bar on stderr, logits equal to the folder\'s; HF_HUB_OFFLINE=1 reuses the cache', async () => {
  const hub = await startHub([tinyRepo()], {}, 120_000);
  try {
    const env = { HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: freshCache(), HF_TOKEN: 'hf_from_env', WGPT_PROGRESS: '1', WGPT_QUIET: '0' };
    const byName = join(root, 'by-name.f32');
    const byDir = join(root, 'by-dir.f32');
    const a = await runCli(['logits', '--model', 'wgpt-test/tiny-gpt2', '--ids', '1,2,3;4,5,6', '--out', byName], { env });
    assert.is(a.code, 0, a.err);
    assert.match(a.err, /model.safetensors \[#+\.*\] [\d.]+ kB\/[\d.]+ kB {2}[\d.]+ [kMG]?B\/s {2}ETA \d+s/);
    assert.match(a.err, /wgpt: downloaded wgpt-test\/tiny-gpt2\/model.safetensors: /);
    for (const r of hub.requests) assert.is(r.auth, r.server === 'hub' ? 'Bearer hf_from_env' : undefined, `HF_TOKEN: ${r.server} ${r.url}`);
    const b = await runCli(['logits', '--model', join(TB, 'st'), '--ids', '1,2,3;4,5,6', '--out', byDir]);
    assert.is(b.code, 0, b.err);
    assert.equal(readFileSync(byName), readFileSync(byDir));
    const before = hub.requests.length;
    const c = await runCli(['logits', '--model', 'wgpt-test/tiny-gpt2', '--ids', '1,2,3', '--out', byName], { env: { ...env, HF_HUB_OFFLINE: '1' } });
    assert.is(c.code, 0, c.err);
    assert.is(hub.requests.length, before, 'offline: no request');
    const d = await runCli(['logits', '--model', 'wgpt-test/nothing', '--ids', '1', '--out', byName], { env });
    assert.is(d.code, 1);
    assert.is(d.err, `wgpt logits: no folder wgpt-test/nothing here, and no model 'wgpt-test/nothing' on ${hub.endpoint} (or it is private or gated: set HF_TOKEN)\n`);
    // wgpt download: the snapshot path on stdout; --list shows the cache
    const dl = await runCli(['download', 'wgpt-test/tiny-gpt2'], { env });
    assert.is(dl.code, 0, dl.err);
    assert.match(dl.out, new RegExp(`^${env.HF_HUB_CACHE}/models--wgpt-test--tiny-gpt2/snapshots/${hub.commitOf('wgpt-test/tiny-gpt2')}\n$`));
    const ls = await runCli(['download', '--list'], { env });
    assert.match(ls.out, /^wgpt-test\/tiny-gpt2 +0\.0 MB {2}1 snapshot {2}main=[0-9a-f]{10}\n$/);
    const bad = await runCli(['download', 'a b'], { env });
    assert.is(bad.code, 2);
    assert.match(bad.err, /^wgpt download: 'a b' is not a model name: repo ids use letters/);
    const e = await runCli(['logits', '--model', 'gpt2@v9', '--ids', '1', '--out', byName], { env });
    assert.is(e.err, `wgpt logits: no model 'gpt2' on ${hub.endpoint} (or it is private or gated: set HF_TOKEN)\n`);
  } finally {
    await hub.close();
  }
});

test.run();
