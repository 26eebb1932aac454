// Browser stand-in for files.ts: there is no file system, so a path is an error that says to pass the file's contents.
// Leaves out: fetching (the page fetches files itself and hands over their text or bytes).
export const hasFileSystem = false;

export function readFileBytes(path: string): Uint8Array {
  throw new Error(`cannot read ${path} in the browser: pass the file's contents instead of a path`);
}

export function pathKind(_path: string): 'file' | 'dir' | null {
  return null;
}

export const joinPath = (dir: string, name: string): string => (dir === '' ? name : `${dir.replace(/\/+$/, '')}/${name}`);
export const dirName = (path: string): string => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) || '/' : '.');
export const urlToPath = (url: URL): string => url.pathname;

export function writeFileAtomic(path: string, _data: Uint8Array | string): void {
  throw new Error(`cannot write ${path} in the browser`);
}
