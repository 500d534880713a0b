// The benchmarks' servers run in a child process of their own, as in production: forked under
// tsx, reporting readiness over IPC, and stopped by a message (or, for the services' own main.ts,
// by SIGTERM) so that they exit cleanly (a CPU profile is written only on a clean exit).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What the parent sends to stop a server child. */
export interface ServerStop {
  readonly kind: 'stop';
}

export interface ServerChild<Ready> {
  /** The first message the child sent: its ports. */
  readonly ready: Ready;
  readonly pid: number;
  stop(): Promise<void>;
}

export interface ServerChildOptions {
  /** For error messages: "bench server", "bench ledger server". */
  readonly name: string;
  readonly arguments: readonly string[];
  /** Extra node flags, e.g. --cpu-prof. */
  readonly nodeFlags?: readonly string[];
  /** The child's environment; default the parent's. */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the child's stdout goes: the parent's (default), nowhere, or an open file. */
  readonly stdout?: 'inherit' | 'ignore' | number;
  /** Stop with this signal instead of the stop message: a service's main.ts drains on SIGTERM. */
  readonly stopSignal?: NodeJS.Signals;
  /** How long start and stop may take. */
  readonly waitMaxMs: number;
}

/** Forks `entry` under tsx and waits for the first IPC message, its readiness. */
export async function startServerChild<Ready>(
  entry: URL,
  options: ServerChildOptions,
): Promise<ServerChild<Ready>> {
  const child = fork(fileURLToPath(entry), [...options.arguments], {
    execArgv: ['--import', import.meta.resolve('tsx'), ...(options.nodeFlags ?? [])],
    stdio: ['ignore', options.stdout ?? 'inherit', 'inherit', 'ipc'],
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  const ready = await withTimeout(
    new Promise<Ready>((resolve, reject) => {
      child.once('message', (message: Ready) => {
        resolve(message);
      });
      child.once('exit', (code) => {
        reject(new Error(`${options.name} exited (${code}) before it was ready`));
      });
    }),
    `${options.name} start`,
    options.waitMaxMs,
  ).catch((error: unknown) => {
    child.kill();
    throw error;
  });
  return { ready, pid: child.pid ?? 0, stop: () => stopServerChild(child, exited, options) };
}

async function stopServerChild(
  child: ChildProcess,
  exited: Promise<void>,
  options: ServerChildOptions,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (options.stopSignal === undefined) {
    const stop: ServerStop = { kind: 'stop' };
    child.send(stop);
  } else {
    child.kill(options.stopSignal);
  }
  await withTimeout(exited, `${options.name} stop`, options.waitMaxMs).catch(() =>
    child.kill('SIGKILL'),
  );
}

function withTimeout<T>(promise: Promise<T>, what: string, waitMaxMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what}: no answer in ${waitMaxMs} ms`));
    }, waitMaxMs);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}
