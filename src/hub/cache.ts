// The Hugging Face Hub cache on disk (Node), in huggingface_hub's own layout so Python and wgpt share downloads:
// {HF_HUB_CACHE | HF_HOME/hub | $XDG_CACHE_HOME/huggingface/hub | ~/.cache/huggingface/hub}/models--ORG--NAME/
//   blobs/{etag}                 file contents, named by their etag (sha256 for LFS files, git blob sha1 otherwise)
//   blobs/{etag}.incomplete      a download in progress (resumed with a Range request)
//   refs/{revision}              the commit a branch or tag pointed to when last resolved
//   snapshots/{commit}/{path}    relative symlinks into blobs (copies where the file system refuses links)
//   .no_exist/{commit}/{path}    empty files recording that the repository has no such file at that commit
//   .locks/models--ORG--NAME/{etag}.wgpt.lock   wgpt's lock on a blob being downloaded (pid inside)
// Leaves out: datasets and spaces (models only), huggingface_hub's flock-based .lock files, cache pruning.
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';

/** The cache root, as huggingface_hub computes it from the environment. */
export function hubCacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HUGGINGFACE_HUB_CACHE) return env.HUGGINGFACE_HUB_CACHE;
  const home = env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
  return join(home, 'hub');
}

/** `models--ORG--NAME` (huggingface_hub's repo_folder_name for a model). */
export function repoFolderName(repo: string): string {
  return ['models', ...repo.split('/')].join('--');
}

const COMMIT = /^[0-9a-f]{40}$/;

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
export const isCommitHash = (rev: string) => COMMIT.test(rev);

/** One repository's folder in the cache. */
export class RepoCache {
  readonly dir: string;
  constructor(
    readonly root: string,
    readonly repo: string,
  ) {
    this.dir = join(root, repoFolderName(repo));
  }

  /** The commit `revision` resolves to from the cache alone (a commit hash is itself), or null. */
  commitOf(revision: string): string | null {
    if (isCommitHash(revision)) return existsSync(join(this.dir, 'snapshots', revision)) ? revision : null;
    const ref = join(this.dir, 'refs', revision);
    if (!existsSync(ref)) return null;
    const c = readFileSync(ref, 'utf8').trim();
    return isCommitHash(c) ? c : null;
  }

  snapshotDir(commit: string): string {
    return join(this.dir, 'snapshots', commit);
  }

  /** Whether the snapshot has `path` (a link whose blob exists, or a copied file). */
  hasFile(commit: string, path: string): boolean {
    return existsSync(join(this.snapshotDir(commit), path));
  }

  /** Whether an earlier lookup recorded that the repository has no `path` at `commit`. */
  knownMissing(commit: string, path: string): boolean {
    return existsSync(join(this.dir, '.no_exist', commit, path));
  }

  recordMissing(commit: string, path: string): void {
    const p = join(this.dir, '.no_exist', commit, path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, '');
  }

  /** Records that `revision` (a branch or tag) points at `commit`. */
  writeRef(revision: string, commit: string): void {
    if (isCommitHash(revision)) return;
    const p = join(this.dir, 'refs', revision);
    mkdirSync(dirname(p), { recursive: true });
    const tmp = `${p}.tmp-${process.pid}`;
    writeFileSync(tmp, commit);
    renameSync(tmp, p);
  }

  /**
   * Takes the lock on downloading `etag` among wgpt processes (.locks/models--ORG--NAME/{etag}.wgpt.lock holding the
   * owner's pid; a lock whose process is gone is taken over) and returns its release. Waits while a live process holds
   * it (`onWait` once). huggingface_hub's own `{etag}.lock` (an flock) is left alone.
   */
  async lockBlob(etag: string, onWait?: () => void): Promise<() => void> {
    const dir = join(this.root, '.locks', repoFolderName(this.repo));
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${etag}.wgpt.lock`);
    const me = `${process.pid} ${Math.random().toString(36).slice(2)}`;
    let told = false;
    for (;;) {
      try {
        writeFileSync(path, me, { flag: 'wx' });
        return () => {
          try {
            if (readFileSync(path, 'utf8') === me) rmSync(path, { force: true });
          } catch {
            /* already gone */
          }
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      let pid = NaN;
      try {
        pid = Number(readFileSync(path, 'utf8').split(' ')[0]);
      } catch {
        continue; // released meanwhile
      }
      if (!alive(pid)) {
        rmSync(path, { force: true });
        continue;
      }
      if (!told) onWait?.();
      told = true;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  blobPath(etag: string): string {
    return join(this.dir, 'blobs', etag);
  }

  incompletePath(etag: string): string {
    return this.blobPath(etag) + '.incomplete';
  }

  /** Puts snapshots/{commit}/{path} in place: a relative symlink to the blob, or a copy where links fail. */
  linkSnapshot(commit: string, path: string, etag: string): string {
    const dst = join(this.snapshotDir(commit), path);
    mkdirSync(dirname(dst), { recursive: true });
    try {
      if (lstatSync(dst)) rmSync(dst, { force: true });
    } catch {
      /* absent */
    }
    const blob = this.blobPath(etag);
    try {
      symlinkSync(relative(dirname(dst), blob), dst);
    } catch {
      copyFileSync(blob, dst);
    }
    return dst;
  }

  /** The files of a snapshot, '/'-separated (what offline mode can offer). */
  snapshotFiles(commit: string): string[] {
    const root = this.snapshotDir(commit);
    const out: string[] = [];
    const walk = (d: string) => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        let st;
        try {
          st = statSync(p);
        } catch {
          continue; // a dangling link (its blob was deleted): not a file we have
        }
        if (st.isDirectory()) walk(p);
        else out.push(relative(root, p).split('\\').join('/'));
      }
    };
    if (existsSync(root)) walk(root);
    return out.sort();
  }
}
