// Runs `wgpt …` command lines inside the test process (src/cli/main.ts's main), capturing what they print: for CLI
// cases where the process boundary is not what is tested, so they share one process, one device and its compiled
// pipelines instead of paying node + Dawn + SwiftShader start-up per case. Leaves out: signals, exit codes of
// process.exit (commands return their code), TTY detection (stdout/stderr are whatever the test runner has).
import { main } from '../src/cli/main.ts';

let queue: Promise<unknown> = Promise.resolve();

/** One command line; runs are serialised (they share the console). */
export function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const job = queue.then(async () => {
    let out = '';
    let err = '';
    const w = { out: process.stdout.write, err: process.stderr.write, log: console.log, error: console.error, warn: console.warn };
    const cap = (add: (s: string) => void) => ((chunk: unknown, ...rest: unknown[]) => {
      add(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof process.stdout.write;
    process.stdout.write = cap((s) => (out += s));
    process.stderr.write = cap((s) => (err += s));
    console.log = (...a: unknown[]) => void (out += a.map(String).join(' ') + '\n');
    console.error = console.warn = (...a: unknown[]) => void (err += a.map(String).join(' ') + '\n');
    try {
      const code = await main(argv);
      return { code, out, err };
    } finally {
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
