// The clearmesh CLI as a function: argv in, exit code out, output through injected streams, so
// that main.ts and the tests run exactly the same code. It finds the command by its words, parses
// its flags strictly with node:util parseArgs, connects to the mesh only if the command calls it,
// and turns every failure into one line: a gRPC error as `error: CODE REASON: message` (exit 1), a
// bad command line as `usage: …` and a bad setting as `error: …` (exit 2).
import * as grpc from '@grpc/grpc-js';
import { parseArgs } from 'node:util';
import { ClientError } from '../../internal/src/index.js';
import { ConfigError, type Environment } from '../../../services/mesh/src/config.js';
import {
  exitOk,
  exitRefused,
  exitUsage,
  Flags,
  type Command,
  type OptionSpecs,
} from './command.js';
import { accountCommands } from './commands/accounts.js';
import { demoCommands } from './commands/demo.js';
import { ledgerCommands } from './commands/ledger.js';
import { partnerCommands } from './commands/partners.js';
import { paymentCommands } from './commands/payments.js';
import { connectMesh, type MeshConnection } from './mesh-connection.js';
import { Output, stringifyJson, type OutputStreams } from './output.js';
import { UsageError } from './usage-error.js';

export const commands: readonly Command[] = [
  ...accountCommands,
  ...partnerCommands,
  ...paymentCommands,
  ...ledgerCommands,
  ...demoCommands,
];

const globalOptions: OptionSpecs = {
  json: { type: 'boolean' },
  identity: { type: 'string' },
  'timeout-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

/** Deadline of each unary call unless --timeout-ms says otherwise. */
const timeoutMsDefault = 10_000;

export interface CliOptions {
  readonly env: Environment;
  readonly streams: OutputStreams;
}

export async function runCli(argv: readonly string[], options: CliOptions): Promise<number> {
  const json = argv.includes('--json');
  const out = new Output(options.streams, json);
  let mesh: MeshConnection | undefined;
  try {
    const { command, rest } = findCommand(argv);
    if (command === undefined) {
      const wantsHelp = rest.length === 0 || rest[0] === 'help' || rest.includes('--help');
      const help = helpText(rest.filter((word) => !word.startsWith('-') && word !== 'help'));
      if (wantsHelp && argv.length > 0) {
        options.streams.stdout(help);
        return exitOk;
      }
      options.streams.stderr(help);
      return exitUsage;
    }
    const parsed = parseArgs({
      args: [...rest],
      options: { ...globalOptions, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    if (parsed.values['help'] === true) {
      options.streams.stdout(commandHelp(command));
      return exitOk;
    }
    if (parsed.positionals.length !== command.positionals.length) {
      throw new UsageError(
        `${command.words.join(' ')} takes ${describePositionals(command)}, ` +
          `not ${parsed.positionals.length === 0 ? 'none' : parsed.positionals.join(' ')}`,
      );
    }
    const flags = new Flags(parsed.values, parsed.positionals);
    const identity = flags.string('identity') ?? 'admin';
    const timeoutMs = flags.integer('timeout-ms', { min: 1, max: 86_400_000 }) ?? timeoutMsDefault;
    return await command.run({
      flags,
      out,
      env: options.env,
      mesh: () => (mesh ??= connectMesh({ env: options.env, identity, timeoutMs })),
    });
  } catch (error) {
    return reportError(out, error);
  } finally {
    mesh?.close();
  }
}

/** The command named by the first one or two words that are not flags, and the rest of argv. */
function findCommand(argv: readonly string[]): { command?: Command; rest: readonly string[] } {
  const words: number[] = [];
  for (let index = 0; index < argv.length && words.length < 2; index += 1) {
    const token = argv[index] ?? '';
    if (token === '--') break;
    if (token.startsWith('-')) {
      // A global flag's value in the next token is not a command word.
      if ((token === '--identity' || token === '--timeout-ms') && index + 1 < argv.length) {
        index += 1;
      }
      continue;
    }
    words.push(index);
  }
  const wordAt = (position: number): string | undefined => {
    const index = words[position];
    return index === undefined ? undefined : argv[index];
  };
  for (const count of [2, 1]) {
    const name = words.slice(0, count).map((_, position) => wordAt(position));
    const command = commands.find(
      (candidate) =>
        candidate.words.length === count &&
        candidate.words.every((word, position) => word === name[position]),
    );
    if (command !== undefined) {
      const used = new Set(words.slice(0, count));
      return { command, rest: argv.filter((_, index) => !used.has(index)) };
    }
  }
  return { rest: argv };
}

function reportError(out: Output, error: unknown): number {
  if (error instanceof UsageError || isParseArgsError(error)) {
    if (out.json) out.error(stringifyJson({ error: { kind: 'usage', message: error.message } }));
    else out.error(`usage: ${error.message} (clearmesh help)`);
    return exitUsage;
  }
  if (error instanceof ConfigError) {
    // A setting (CERTS_DIR, an address) the CLI cannot run with: the caller's to fix, as usage.
    if (out.json) out.error(stringifyJson({ error: { kind: 'config', message: error.message } }));
    else out.error(`error: ${error.message}`);
    return exitUsage;
  }
  if (error instanceof ClientError) {
    const code = grpc.status[error.code];
    const message = error.message.trim();
    const violations = (error.details.badRequest?.fieldViolations ?? []).map(
      (violation) => `${violation.field}: ${violation.description}`,
    );
    if (out.json) {
      out.error(
        stringifyJson({
          error: { code, reason: error.reason, message: error.message, violations },
        }),
      );
    } else {
      const reason = error.reason === '' ? '' : ` ${error.reason}`;
      // The message usually names the violations already; add only those it does not.
      const unsaid = violations.filter((violation) => !message.includes(violation));
      const fields = unsaid.length === 0 ? '' : ` (${unsaid.join('; ')})`;
      out.error(`error: ${code}${reason}: ${message}${fields}`);
    }
    return exitRefused;
  }
  // A bug or an answer the contract does not allow: say what, without pretending it is the mesh's.
  const message = error instanceof Error ? error.message : String(error);
  out.error(
    out.json ? stringifyJson({ error: { kind: 'internal', message } }) : `error: ${message}`,
  );
  return exitRefused;
}

function isParseArgsError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

function describePositionals(command: Command): string {
  if (command.positionals.length === 0) return 'no arguments';
  return command.positionals.map((name) => `<${name}>`).join(' ');
}

function commandHelp(command: Command): string {
  return (
    `clearmesh ${command.words.join(' ')} ${command.synopsis}\n  ${command.summary}\n\n` +
    globalHelp
  );
}

const globalHelp =
  'Every command takes --json (machine-readable output), --identity <name> (certificate in\n' +
  'CERTS_DIR, default admin) and --timeout-ms <ms> (default 10000). Amounts are decimal major\n' +
  'units of the currency (12.34 EUR, 100 JPY); with --minor they are whole minor units.\n' +
  'The mesh is found by ACCOUNT_TARGET / LEDGER_TARGET / PAYMENT_TARGET (else the _ADDR ones),\n' +
  'CERTS_DIR (default .dev/certs) and TRUST_DOMAIN, as the services find each other.\n' +
  'Exit codes: 0 done, 1 refused by the mesh (or a FAILED payment, a ledger mismatch), 2 usage.\n';

/** All commands, or those whose words start with `prefix` (clearmesh accounts --help). */
export function helpText(prefix: readonly string[]): string {
  const matching = commands.filter((command) =>
    prefix.every((word, position) => command.words[position] === word),
  );
  const shown = matching.length === 0 ? commands : matching;
  const unknown = matching.length === 0 && prefix.length > 0;
  const lines = shown.map(
    (command) =>
      `  ${`${command.words.join(' ')} ${command.synopsis}`.trimEnd()}\n      ${command.summary}`,
  );
  return (
    (unknown ? `unknown command: ${prefix.join(' ')}\n\n` : '') +
    `usage: clearmesh <command> [flags]\n\n${lines.join('\n')}\n\n${globalHelp}`
  );
}
