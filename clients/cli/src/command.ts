// The shape of one CLI command: its words (`accounts open`), flags in node:util parseArgs form, how
// many positional arguments it takes, and an async run that answers the exit code (0 done, 1 the
// mesh answered but refused: a FAILED payment, a ledger mismatch). Flags are read through Flags,
// which turns a missing or malformed flag into a UsageError (exit 2).
import { randomUUID } from 'node:crypto';
import type { ParseArgsConfig } from 'node:util';
import type { Environment } from '../../../services/mesh/src/config.js';
import type { MeshConnection } from './mesh-connection.js';
import type { Output } from './output.js';
import { UsageError } from './usage-error.js';

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

export const exitOk = 0;
/** The mesh refused the call, or answered with a refusal (FAILED payment, integrity mismatch). */
export const exitRefused = 1;
export const exitUsage = 2;

export interface Command {
  /** The words that name it: ['accounts', 'open']. */
  readonly words: readonly string[];
  /** Positional arguments and flags as help shows them: '<id> [--reason <text>]'. */
  readonly synopsis: string;
  readonly summary: string;
  readonly options: OptionSpecs;
  /** Names of the positional arguments, all required. */
  readonly positionals: readonly string[];
  run(context: CommandContext): Promise<number>;
}

export interface CommandContext {
  readonly flags: Flags;
  readonly out: Output;
  readonly env: Environment;
  /** The mesh, connected on first use. */
  mesh(): MeshConnection;
}

type ParsedValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export class Flags {
  constructor(
    private readonly values: ParsedValues,
    private readonly args: readonly string[],
  ) {}

  string(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === 'string' ? value : undefined;
  }

  required(name: string): string {
    const value = this.string(name);
    if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
    return value;
  }

  boolean(name: string): boolean {
    return this.values[name] === true;
  }

  /** A whole number flag within limits (page sizes, seconds, milliseconds). */
  integer(name: string, limits: { min: number; max: number }): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = /^\d{1,15}$/.test(text) ? Number(text) : NaN;
    if (!(value >= limits.min && value <= limits.max)) {
      throw new UsageError(
        `--${name} ${text}: expected a whole number ${limits.min}–${limits.max}`,
      );
    }
    return value;
  }

  /** The index-th positional argument (checked present by the runner). */
  positional(index: number): string {
    const value = this.args[index];
    if (value === undefined) throw new UsageError(`missing argument ${index + 1}`);
    return value;
  }

  /** --key when given, else a fresh key that is shown so a retry can pass the same one. */
  idempotencyKey(out: Output): string {
    const given = this.string('key');
    if (given !== undefined) return given;
    const generated = `cli-${randomUUID()}`;
    out.note(`idempotency key ${generated} (retry with --key ${generated})`);
    return generated;
  }
}

/** The --key flag every write takes. */
export const keyOption: OptionSpecs = { key: { type: 'string' } };
