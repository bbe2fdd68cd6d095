/**
 * The shape every `opengkh` subcommand has. Commands live one per file and are listed in `commands.ts`;
 * `main.ts` finds the longest matching name, parses flags strictly (an unknown flag is a usage error,
 * exit 2) and prints `--help`.
 */
import type { ParseArgsConfig } from 'node:util';

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

export interface Command {
  /** Words after `opengkh`, e.g. `config check`. */
  name: string;
  /** One line in English / Russian for the command list. */
  summary: string;
  /** Usage line(s) and details shown by `--help`. */
  help: string;
  options: Options;
  /** How many positional arguments are allowed. */
  positionals?: { min: number; max: number; names?: string[] };
  run(values: Values, positionals: string[], io: Io): Promise<number>;
}

/** A flag's value as string, or undefined. */
export function str(v: Values, k: string): string | undefined {
  const x = v[k];
  return typeof x === 'string' ? x : undefined;
}

/** A flag's value as integer; throws a usage error naming the flag when not an integer. */
export function int(v: Values, k: string): number | undefined {
  const s = str(v, k);
  if (s === undefined) return undefined;
  if (!/^-?\d+$/.test(s)) throw new UsageError(`--${k}: expected an integer, found "${s}"`);
  return Number(s);
}

/** Wrong flags, arguments or subcommand: the CLI prints the one-line reason and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
