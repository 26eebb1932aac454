// Node file access for modules that must also bundle for the browser (src/tokenizer): bytes of a file, what a path
// is, path joining, an atomic write. The browser build swaps this file for files.browser.ts (src/gpu/esbuild.ts), where paths do not exist.
// Writing is src/io/atomic.ts's crash-safe writeFileAtomic, passed through. Leaves out: directories, streams.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export { writeFileAtomic } from '../io/atomic.js';

/** true under Node; false in the browser build */
export const hasFileSystem = true;

/** The bytes of a file; the error is one line naming the path. */
export function readFileBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${path}: no such file` : `cannot read ${path}: ${String((e as Error).message).split('\n')[0]}`);
  }
}

/** 'file', 'dir', or null when nothing is there. */
export function pathKind(path: string): 'file' | 'dir' | null {
  try {
    const s = statSync(path);
    return s.isDirectory() ? 'dir' : 'file';
  } catch {
    return null;
  }
}

export const joinPath = (dir: string, name: string): string => join(dir, name);
export const dirName = (path: string): string => dirname(path);
/** A file: URL (import.meta.url-relative data) as a path. */
export const urlToPath = (url: URL): string => fileURLToPath(url);
