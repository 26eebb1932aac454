// Shared CLI plumbing: every command declares its usage line and options; parsing is strict, so an
// unknown flag or a missing value ends with the usage line and exit code 2. Leaves out: subcommand help pages.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  /** one-line summary for `wgpt --help` */
  summary: string;
  /** usage line, e.g. `wgpt info [--json]` */
  usage: string;
  options: Options;
  /** positional arguments allowed? */
  positionals?: boolean;
  run(values: Record<string, string | boolean | string[] | undefined>, positionals: string[]): Promise<number | void>;
}

/** An error that should print the command's usage line too (exit 2). */
export class UsageError extends Error {}

export function parse(cmd: Command, argv: string[]) {
  try {
    return parseArgs({ args: argv, options: cmd.options, allowPositionals: !!cmd.positionals, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]);
  }
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
  if (opts.min !== undefined && v < opts.min) throw new UsageError(`--${name} must be ≥ ${opts.min}, got ${raw}`);
  if (opts.max !== undefined && v > opts.max) throw new UsageError(`--${name} must be ≤ ${opts.max}, got ${raw}`);
  return v;
}
