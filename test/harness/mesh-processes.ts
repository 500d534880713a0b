// The mesh as real processes, for tests that need it whole: the environment that points services
// at the run's PKI, database and Redis on free ports, and the supervisor (`npm start`) started with
// it, parsed for the addresses it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { freePort } from './free-port.js';
import { testRun } from './test-run.js';

/** Deaths during start-up after which the start fails instead of waiting for a restart. */
const startDeathsMax = 3;

export type MeshProcessName = 'account' | 'ledger' | 'payment' | 'gateway';

/**
 * The environment of a mesh of `services` on free ports with the run's PKI, database and Redis.
 * Ports are chosen here, before any process starts: a service dials its downstream at the address
 * the downstream listens on (LEDGER_ADDR), which port 0 would not tell it, and a restarted process
 * listens where its earlier life did.
 */
export async function meshEnvironment(options: {
  readonly services: readonly MeshProcessName[];
  readonly drainGraceMs: number;
}): Promise<NodeJS.ProcessEnv> {
  const run = testRun();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CERTS_DIR: run.pki.directory,
    DATABASE_URL: run.database.url,
    REDIS_URL: run.redis.url,
    DRAIN_GRACE_MS: String(options.drainGraceMs),
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
  };
  for (const service of options.services) {
    const prefix = service.toUpperCase();
    env[`${prefix}_ADDR`] = `127.0.0.1:${await freePort()}`;
    env[`${prefix}_METRICS_ADDR`] = `127.0.0.1:${await freePort()}`;
  }
  return env;
}

export interface SupervisedMesh {
  readonly child: ChildProcess;
  /** Every line the supervisor and its services wrote, stdout and stderr. */
  readonly output: readonly string[];
  /** Per process: host:port of its gRPC (or HTTPS) listener and of its /metrics. */
  readonly addresses: ReadonlyMap<string, { readonly address: string; readonly metrics: string }>;
  /** SIGTERM, and the exit (a no-op once it has exited). */
  stop(): Promise<void>;
}

/**
 * Runs `npm start`'s supervisor with `env` and resolves once it says the mesh is up. The
 * supervisor exiting, or a process dying again and again during start-up, fails the start with the
 * output so far.
 */
export async function startSupervisedMesh(env: NodeJS.ProcessEnv): Promise<SupervisedMesh> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/supervisor/src/main.ts'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const addresses = new Map<string, { address: string; metrics: string }>();
  const running = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`npm start exited (${code}) before the mesh was up:\n${output.join('\n')}`));
    });
    let deaths = 0;
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
      output.push(line);
      // The supervisor restarts a process that dies; a free port taken meanwhile by some other
      // socket (EADDRINUSE) is gone on the next try. A process that keeps dying is a failure
      // here, not something to wait out.
      if (/ exited \(/.test(line) && ++deaths >= startDeathsMax) {
        reject(new Error(`a process died ${deaths} times:\n${output.join('\n')}`));
      }
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      output.push(line);
      const row = /^\s+(\w+)\s+(?:grpcs|https):\/\/(\S+)\s+metrics http:\/\/(\S+)\/metrics/.exec(
        line,
      );
      if (row?.[1] !== undefined && row[2] !== undefined && row[3] !== undefined) {
        addresses.set(row[1], { address: row[2], metrics: row[3] });
      }
      if (line.startsWith('Press Ctrl-C to stop.')) resolve();
    });
  });
  try {
    await running;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    child,
    output,
    addresses,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
