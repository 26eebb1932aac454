// Runs `wgpt …` command lines inside the test process (src/cli/main.ts's main), capturing what they print: for CLI
// cases where the process boundary is not what is tested, so they share one process, one device and its compiled
// pipelines instead of paying node + Dawn + SwiftShader start-up per case. Leaves out: signals, exit codes of
// process.exit (commands return their code). Output is captured and, as for a spawned CLI with pipes, not a TTY.
import { main } from '../src/cli/main.ts';

let queue: Promise<unknown> = Promise.resolve();

/**
 * One command line, in `cwd` (the process changes directory for the run) and with `env` set on process.env for it
 * (restored after), as runWgpt takes them; runs are serialised (they share the console, the directory, the env).
 */
export function runCli(argv: string[], o: string | { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<{ code: number; out: string; err: string }> {
  const { cwd, env } = typeof o === 'string' ? { cwd: o, env: undefined } : o;
  const job = queue.then(async () => {
    const dir = process.cwd();
    if (cwd) process.chdir(cwd);
    // as the spawned CLI in tests runs: no adapter status line (unless env says otherwise)
    const saved: Record<string, string | undefined> = { WGPT_QUIET: process.env.WGPT_QUIET };
    process.env.WGPT_QUIET = '1';
    for (const [k, v] of Object.entries(env ?? {})) {
      if (!(k in saved)) saved[k] = process.env[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    let out = '';
    let err = '';
    const w = { out: process.stdout.write, err: process.stderr.write, log: console.log, error: console.error, warn: console.warn };
    const cap = (add: (s: string) => void) => ((chunk: unknown, ...rest: unknown[]) => {
      add(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof process.stdout.write;
    // and, as for a spawned CLI with piped output, no terminal (no progress bar)
    const tty = [process.stdout.isTTY, process.stderr.isTTY];
    process.stdout.isTTY = process.stderr.isTTY = false;
    process.stdout.write = cap((s) => (out += s));
    process.stderr.write = cap((s) => (err += s));
    console.log = (...a: unknown[]) => void (out += a.map(String).join(' ') + '\n');
    console.error = console.warn = (...a: unknown[]) => void (err += a.map(String).join(' ') + '\n');
    try {
      const code = await main(argv);
      return { code, out, err };
    } finally {
      if (cwd) process.chdir(dir);
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      [process.stdout.isTTY, process.stderr.isTTY] = tty;
      process.stdout.write = w.out;
      process.stderr.write = w.err;
      console.log = w.log;
      console.error = w.error;
      console.warn = w.warn;
    }
  });
  queue = job.catch(() => undefined);
  return job;
}
