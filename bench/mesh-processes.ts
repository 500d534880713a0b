// The mesh as the payments benchmark runs it: the ledger, account and payment services as real
// processes, each started from its own main.ts exactly as `npm start` would, over one scratch
// database (each service in its own schema), with listen and metrics ports chosen by the system.
// Their settings come from the parent's environment (DATABASE_POOL_MAX, PAYMENT_*, LEDGER_*…), so
// a tuning can be tried without editing code; only addresses, database, certificates and the
// Redis key prefix are the benchmark's. Logs go to the null device, as the other benchmarks'
// servers do, unless a folder is given to keep them in.
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { ReadyMessage } from '../services/mesh/src/lifecycle.js';
import { processDefaults } from '../services/mesh/src/topology.js';
import { startServerChild, type ServerChild } from './server-child.js';

export type MeshProcessRole = 'ledger' | 'account' | 'payment';

export interface MeshProcess {
  readonly role: MeshProcessRole;
  readonly pid: number;
  /** host:port of the gRPC server. */
  readonly address: string;
  /** host:port of the plain-HTTP /metrics endpoint. */
  readonly metricsAddress: string;
}

export interface MeshProcesses {
  readonly ledger: MeshProcess;
  readonly account: MeshProcess;
  readonly payment: MeshProcess;
  /** SIGTERM to each, payment first: each drains and exits 0. */
  stop(): Promise<void>;
}

export interface MeshProcessesOptions {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** Put before every lock key the payment service sets, so the run shares Redis with no one. */
  readonly redisKeyPrefix: string;
  readonly certsDirectory: string;
  /** Keep each process's log there as <role>.log; default: the null device. */
  readonly logDirectory: string | undefined;
  /** Run each process under node --cpu-prof, writing its profile there. */
  readonly cpuProfileDirectory: string | undefined;
}

/** Start-up includes migrations, so allow more than a bench server's bare start. */
const processWaitMaxMs = 60_000;
const loopbackAnyPort = '127.0.0.1:0';

/** Starts ledger, then account (it calls the ledger), then payment (it calls both). */
export async function startMeshProcesses(options: MeshProcessesOptions): Promise<MeshProcesses> {
  const children: ServerChild<ReadyMessage>[] = [];
  const stop = async (): Promise<void> => {
    for (const child of children.reverse()) await child.stop();
  };
  try {
    const start = async (role: MeshProcessRole, env: NodeJS.ProcessEnv): Promise<MeshProcess> => {
      const child = await startMeshProcess(role, env, options);
      children.push(child);
      const { address, metricsAddress } = child.ready;
      return { role, pid: child.pid, address, metricsAddress };
    };
    const ledger = await start('ledger', {});
    const account = await start('account', { LEDGER_ADDR: ledger.address });
    const payment = await start('payment', {
      LEDGER_ADDR: ledger.address,
      ACCOUNT_ADDR: account.address,
      REDIS_URL: options.redisUrl,
      PAYMENT_REDIS_PREFIX: options.redisKeyPrefix,
      PAYMENT_INSTANCE_ID: 'bench-payment',
    });
    return { ledger, account, payment, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startMeshProcess(
  role: MeshProcessRole,
  roleEnv: NodeJS.ProcessEnv,
  options: MeshProcessesOptions,
): Promise<ServerChild<ReadyMessage>> {
  const prefix = processDefaults[role].envPrefix;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: options.databaseUrl,
    [`${prefix}_DATABASE_URL`]: options.databaseUrl,
    [`${prefix}_ADDR`]: loopbackAnyPort,
    [`${prefix}_METRICS_ADDR`]: loopbackAnyPort,
    CERTS_DIR: options.certsDirectory,
    ...roleEnv,
  };
  const profiling =
    options.cpuProfileDirectory === undefined
      ? []
      : ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDirectory];
  const logFile =
    options.logDirectory === undefined
      ? undefined
      : openSync(join(options.logDirectory, `${role}.log`), 'a');
  try {
    return await startServerChild<ReadyMessage>(
      new URL(`../services/${role}/src/main.ts`, import.meta.url),
      {
        name: `bench ${role} process${options.logDirectory === undefined ? ' (set BENCH_LOG_DIR to keep its log)' : ''}`,
        arguments: [],
        nodeFlags: profiling,
        env,
        stdout: logFile ?? 'ignore',
        stopSignal: 'SIGTERM',
        waitMaxMs: processWaitMaxMs,
      },
    );
  } finally {
    // The child has its own copy of the descriptor.
    if (logFile !== undefined) closeSync(logFile);
  }
}

/** The Prometheus text of a process's /metrics. */
export async function scrapeMetrics(process: MeshProcess): Promise<string> {
  const response = await fetch(`http://${process.metricsAddress}/metrics`);
  if (!response.ok) throw new Error(`${process.role} /metrics answered ${response.status}`);
  return response.text();
}

/**
 * The sum of the samples of `name` whose labels include `labels`, in Prometheus text: enough to
 * read counters and histogram _sum/_count without a parser dependency.
 */
export function sampleSum(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!rest.startsWith('{') && !rest.startsWith(' ')) continue;
    const labelText = rest.startsWith('{') ? rest.slice(1, rest.lastIndexOf('}')) : '';
    const found = new Map(
      [...labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((match) => [match[1], match[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => found.get(key) === value)) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}
