// Shared CLI plumbing: every command declares its usage line, its options (parseArgs' table) and, beside them,
// one line of help per flag; parsing is strict (an unknown flag or a missing value ends with the usage line and
// exit code 2, with "did you mean" for near misses), negative numbers are values, not flags, and
// `wgpt COMMAND --help` is rendered from the same tables for every command. Leaves out: short flags, subcommands.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Help for one flag: [value name ('' for a switch), one-line description, default when not given]. */
export type FlagHelp = [arg: string, description: string, def?: string];

export interface Command {
  /** one-line summary for `wgpt --help` */
  summary: string;
  /** usage line, e.g. `wgpt info [--json]` */
  usage: string;
  options: Options;
  /** one line of help per flag of `options` (rendered by `wgpt COMMAND --help`) */
  help?: Record<string, FlagHelp>;
  /** positional arguments allowed? */
  positionals?: boolean;
  run(values: Record<string, string | boolean | string[] | undefined>, positionals: string[]): Promise<number | void>;
}

/** An error that should print the command's usage line too (exit 2). */
export class UsageError extends Error {}

/** Edit distance with adjacent transpositions (optimal string alignment): small strings, flag and command names. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The closest of `names` to `typed` when it is a plausible typo (or a prefix of exactly one), else null. */
export function didYouMean(typed: string, names: string[]): string | null {
  const prefixed = names.filter((n) => n.startsWith(typed));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | null = null;
  let bestD = Infinity;
  for (const n of names) {
    const d = editDistance(typed, n);
    if (d < bestD) [best, bestD] = [n, d];
  }
  return best !== null && bestD <= Math.max(1, Math.floor(Math.min(typed.length, best.length) / 3)) ? best : null;
}

const NEGATIVE = /^-(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/**
 * Joins a value-taking flag with a following negative number (`--steps -5` → `--steps=-5`) so the number is
 * the flag's value (and meets the range check) instead of being read as an unknown flag.
 */
function joinNegatives(cmd: Command, argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : null;
    if (name && cmd.options[name]?.type === 'string' && i + 1 < argv.length && NEGATIVE.test(argv[i + 1])) {
      out.push(`${a}=${argv[++i]}`);
    } else out.push(a);
  }
  return out;
}

export function parse(cmd: Command, argv: string[]) {
  try {
    return parseArgs({ args: joinNegatives(cmd, argv), options: cmd.options, allowPositionals: !!cmd.positionals, strict: true });
  } catch (e) {
    let msg = (e as Error).message.split('\n')[0];
    const unknown = /^Unknown option '--([^'=]+)'/.exec(msg);
    if (unknown) {
      const near = didYouMean(unknown[1], Object.keys(cmd.options));
      // parseArgs' own hint ("To specify a positional argument starting with a '-' …") is noise here
      msg = `Unknown option '--${unknown[1]}'${near ? `; did you mean --${near}?` : ''}`;
    }
    throw new UsageError(msg);
  }
}

/** `wgpt COMMAND --help`: the usage line, the summary, and every flag with its value, description and default. */
export function renderHelp(name: string, cmd: Command): string {
  const rows = Object.entries(cmd.options).map(([flag, o]) => {
    const [arg, desc, def] = cmd.help?.[flag] ?? [o.type === 'string' ? 'VALUE' : '', '(no description)'];
    return [`--${flag}${arg ? ` ${arg}` : ''}`, `${desc}${def !== undefined ? ` (default: ${def})` : ''}`];
  });
  const w = Math.min(28, Math.max(0, ...rows.map((r) => r[0].length)));
  const lines = [`usage: ${cmd.usage}`, '', `${cmd.summary}`];
  if (rows.length) lines.push('', 'options:', ...rows.map(([f, d]) => `  ${f.padEnd(w)}  ${d}`));
  lines.push(`  ${'--help'.padEnd(w)}  this help`);
  return lines.join('\n');
}

/** Parses a numeric flag: integer (and bounds) checked, message names the flag. */
export function num(values: Record<string, unknown>, name: string, def: number | undefined, opts: { int?: boolean; min?: number; max?: number } = {}): number {
  const raw = values[name];
  if (raw === undefined) {
    if (def === undefined) throw new UsageError(`--${name} is required`);
    return def;
  }
  const v = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${name} must be a number, got '${raw}'`);
  if (opts.int && !Number.isInteger(v)) throw new UsageError(`--${name} must be an integer, got ${raw}`);
  // past 2^53 a double no longer holds every integer (1e20 + 1 === 1e20): a count that large is a typo, not a request
  if (opts.int && !Number.isSafeInteger(v)) throw new UsageError(`--${name} must be an integer of magnitude at most 2^53 − 1 (9007199254740991), got ${raw}`);
  if (opts.min !== undefined && v < opts.min) throw new UsageError(`--${name} must be ≥ ${opts.min}, got ${raw}`);
  if (opts.max !== undefined && v > opts.max) throw new UsageError(`--${name} must be ≤ ${opts.max}, got ${raw}`);
  return v;
}
