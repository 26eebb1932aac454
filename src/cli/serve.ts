// `wgpt serve` / `npm run web`: bundles the page with esbuild (in memory) and serves it on localhost
// (WebGPU needs a secure context: http://localhost is one). Leaves out: TLS, caching, file watching.
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Command, num } from './command.js';
import { BUNDLED_CORPUS, KOREAN_CORPUS } from '../tokenizer/node.js';
import { resolveCheckpointDir } from '../hub/folder.js';
import { resolveModelDir } from '../hub/node.js';
import { join } from 'node:path';

const WEB = fileURLToPath(new URL('../web/', import.meta.url));
/** The page's bundle prebuilt by `npm run build` (dist/wgpt.browser.js); from sources it is bundled on start. */
const PREBUILT = fileURLToPath(new URL('../wgpt.browser.js', import.meta.url));

export interface ServeOptions {
  port?: number;
  host?: string;
  /** bundle entry (default src/web/main.ts; the browser tests add their hooks) */
  entry?: string;
  /** a BERT folder served under /bert/ for the page's encoder view (src/web/encoder.ts) */
  bert?: string;
}

export async function startServer(o: ServeOptions = {}): Promise<{ url: string; close(): Promise<void>; server: Server }> {
  // esbuild is a devDependency: loaded only when there is no prebuilt bundle (running from sources) or a test entry
  const js = !o.entry && existsSync(PREBUILT)
    ? readFileSync(PREBUILT)
    : await (await import('../gpu/esbuild.js')).buildBundle({ entry: o.entry ?? WEB + 'main.ts' });
  const html = readFileSync(WEB + 'index.html');
  const verdict = readFileSync(BUNDLED_CORPUS);
  const routes: Record<string, [string, string | Buffer]> = {
    '/': ['text/html; charset=utf-8', html],
    '/index.html': ['text/html; charset=utf-8', html],
    '/wgpt.js': ['text/javascript; charset=utf-8', js],
    '/the-verdict.txt': ['text/plain; charset=utf-8', verdict],
    // the tokenizer panel's Korean WordPiece is trained from it (the page says so if it is missing)
    ...(existsSync(KOREAN_CORPUS) ? { '/debian-faq-ko.txt': ['text/plain; charset=utf-8', readFileSync(KOREAN_CORPUS)] as [string, Buffer] } : {}),
  };
  // the encoder view's BERT folder: /bert/index.json lists the files served (none without --bert), so the page never 404s
  const bertFiles: string[] = [];
  if (o.bert) {
    const dir = resolveCheckpointDir(await resolveModelDir(o.bert));
    if (!existsSync(join(dir, 'config.json'))) throw new Error(`--bert ${o.bert} has no config.json`);
    for (const [f, type] of [['config.json', 'application/json'], ['model.safetensors', 'application/octet-stream'], ['pytorch_model.bin', 'application/octet-stream'], ['tokenizer.json', 'application/json'], ['vocab.txt', 'text/plain; charset=utf-8'], ['tokenizer_config.json', 'application/json']]) {
      if (!existsSync(join(dir, f))) continue;
      routes[`/bert/${f}`] = [type, readFileSync(join(dir, f))];
      bertFiles.push(f);
    }
  }
  routes['/bert/index.json'] = ['application/json', JSON.stringify({ files: bertFiles })];
  const server = createServer((req, res) => {
    const r = routes[(req.url ?? '/').split('?')[0]];
    if (!r) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': r[0], 'cache-control': 'no-store' }).end(r[1]);
  });
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code === 'EADDRINUSE' ? `port ${o.port} is already in use (try --port 0 for any free port)` : e.message)));
    server.listen(o.port ?? 8080, host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  return {
    url: `http://localhost:${port}/`,
    server,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const cmd: Command = {
  summary: 'serve the browser page (tokens, embeddings, training, generation, attention) on localhost',
  usage: 'wgpt serve [--port 8080] [--host 127.0.0.1] [--bert DIR|NAME]',
  options: { port: { type: 'string' }, host: { type: 'string' }, bert: { type: 'string' } },
  help: {
    port: ['N', 'port to listen on (0: any free port)', '8080'],
    host: ['ADDR', 'address to listen on', '127.0.0.1'],
    bert: ['DIR|NAME', 'a BERT folder (Hugging Face or wgpt), or a BERT on the Hub (bert-base-cased), for the page\'s encoder view'],
  },
  async run(v) {
    const s = await startServer({ port: num(v, 'port', 8080, { int: true, min: 0, max: 65535 }), host: v.host as string | undefined, bert: v.bert as string | undefined });
    console.log(`wgpt: serving the page at ${s.url} (open it in Chrome; Ctrl-C to stop)`);
    await new Promise(() => {});
  },
};
export default cmd;
