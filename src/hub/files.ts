// The files of one model, wherever they are: a folder on disk (Node, hub/folder.ts), a snapshot of the Hub cache (the
// same), or bytes fetched by the page (hub/browser.ts). The loader core (load.ts, weights.ts, tokenizer.ts) reads a
// model only through this interface, so it is browser-safe. Leaves out: writing (saving is Node-only, folder.ts).

export interface FileSource {
  /** the folder, snapshot or repository the files come from (for messages) */
  where: string;
  /** whether the model has this file (a path relative to the model's root, '/'-separated) */
  has(name: string): boolean;
  /** the file's bytes; throws a one-line error naming it when it cannot be read */
  read(name: string): Uint8Array;
  /** the file names, when the source can list them (messages name what a folder holds) */
  list(): string[];
}

/** A source over bytes already in memory (the page's fetched files, tests). */
export function memorySource(files: Map<string, Uint8Array>, where: string): FileSource {
  return {
    where,
    has: (n) => files.has(n),
    read(n) {
      const b = files.get(n);
      if (!b) throw new Error(`${where} has no ${n}`);
      return b;
    },
    list: () => [...files.keys()],
  };
}

/** A file's text as UTF-8 (invalid bytes are an error naming the file). */
export function readText(src: FileSource, name: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(src.read(name));
  } catch (e) {
    if (e instanceof TypeError) throw new Error(`${join(src.where, name)} is not valid UTF-8`);
    throw e;
  }
}

/** A JSON file of the source (its errors name the file). */
export function readJson(src: FileSource, name: string): unknown {
  const text = readText(src, name);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${join(src.where, name)} is not valid JSON (${String((e as Error).message).split('\n')[0]})`);
  }
}

/** `where/name` for messages. */
export function join(where: string, name: string): string {
  return where.endsWith('/') ? where + name : `${where}/${name}`;
}
