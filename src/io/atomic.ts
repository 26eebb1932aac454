// Crash-safe writes (Node only): a file via temp file + fsync + rename, and a whole folder via a temp folder
// swapped in by two renames, so a kill -9 at any moment leaves a complete old or a complete new copy.
// Leaves out: locking against two processes writing the same target at once (not supported), Windows' rename quirks.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

function tempSuffix(): string {
  return `.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/** fsync a directory so a rename inside it is durable; some platforms cannot open a directory: skipped there. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // EISDIR/EPERM/EINVAL on platforms without directory fsync: the rename is still atomic, only durability differs.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function writeAndSync(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const fd = openSync(path, 'wx');
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, Math.min(bytes.length - off, 1 << 30));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function oneLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0];
}

/**
 * Writes `data` to `path` atomically: `<path>.tmp-<pid>-<rand>` in the same folder, fsync, rename over `path`,
 * fsync the folder. Readers see the old file or the new one, never a partial one. The folder must exist.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = path + tempSuffix();
  try {
    writeAndSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw new Error(`cannot write ${path}: ${oneLine(e)}`);
  }
  fsyncDir(dirname(resolve(path)));
}

function isPidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The folder a reader should use for `target`: itself, or `<target>.old` when a swap was interrupted; null if neither. */
export function resolveFolder(target: string): string | null {
  if (existsSync(target)) return target;
  const old = resolve(target) + '.old';
  if (existsSync(old) && statSync(old).isDirectory()) return old;
  return null;
}

/**
 * Writes a folder atomically: every file goes into `<target>.tmp-<pid>-<rand>/` (each fsynced), then
 *   1. `<target>` → `<target>.old`   2. temp → `<target>`   3. remove `<target>.old`.
 * Guarantee (process killed at any instant, including kill -9): `<target>` is either absent or a complete
 * folder (old or new); if it is absent, `<target>.old` is the complete previous folder — readers use
 * `resolveFolder`, and the next write puts `.old` back first. Temp folders left by dead processes are removed
 * by the next write. A power loss is covered as far as the file system honours fsync of files and folders.
 * Files already in `<target>` that are not in `files` are NOT carried over (the folder is replaced whole).
 * A reader racing a write may find only `.old`, then see it removed; loadCheckpoint retries `<target>` once.
 */
export function writeFolderAtomic(target: string, files: Map<string, Uint8Array | string> | Record<string, Uint8Array | string>): void {
  const entries = files instanceof Map ? [...files] : Object.entries(files);
  for (const [name] of entries) {
    if (!name || name !== basename(name) || name === '.' || name === '..') throw new Error(`writeFolderAtomic: file name '${name}' must be a plain name without folders`);
  }
  const abs = resolve(target);
  const parent = dirname(abs);
  const base = basename(abs);
  const old = abs + '.old';
  try {
    mkdirSync(parent, { recursive: true });
  } catch (e) {
    throw new Error(`cannot create folder ${parent}: ${oneLine(e)}`);
  }
  if (existsSync(abs) && !statSync(abs).isDirectory()) throw new Error(`cannot write checkpoint folder ${target}: a file with that name exists`);
  removeStaleTemps(parent, base);

  const tmp = abs + tempSuffix();
  try {
    mkdirSync(tmp);
    for (const [name, data] of entries) writeAndSync(join(tmp, name), data);
    fsyncDir(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`cannot write ${target}: ${oneLine(e)}`);
  }

  try {
    // An earlier swap was interrupted between its two renames: put the complete previous folder back first.
    if (!existsSync(abs) && existsSync(old)) renameSync(old, abs);
    // `.old` beside a complete target is a leftover of an interrupted clean-up.
    if (existsSync(old)) rmSync(old, { recursive: true, force: true });
    if (existsSync(abs)) renameSync(abs, old);
    fsyncDir(parent);
    renameSync(tmp, abs);
    fsyncDir(parent);
  } catch (e) {
    throw new Error(`cannot swap in ${target} (the previous copy is in ${existsSync(abs) ? target : target + '.old'}): ${oneLine(e)}`);
  }
  rmSync(old, { recursive: true, force: true });
}

/** Removes `<base>.tmp-<pid>-*` folders/files in `parent` whose writing process is gone. */
function removeStaleTemps(parent: string, base: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  const prefix = base + '.tmp-';
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const pid = Number(n.slice(prefix.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isPidAlive(pid)) continue;
    rmSync(join(parent, n), { recursive: true, force: true });
  }
}
