// `npm run bench:payments`: how many payments per second the whole path sustains — a client
// calling CreatePayment as client/admin over mTLS, the payment service (durable idempotency key,
// Redis locks per key and per payer, fenced writes) calling the ledger (group commit) — at 64 in
// flight, against two baselines measured in the same run: pgbench's TPC-B on the same Postgres,
// and the bare grpc-js mTLS no-op rate of one hop on the same cores.
//
// Why it is fair: the services are the real processes (their own main.ts, default settings, one
// log line per RPC), over a scratch database and under a Redis key prefix of their own; 1,000
// funded payers drawn uniformly, so the per-payer lock does not serialize payments; every payment
// has a fresh idempotency key and AUTOMATIC capture, and counts only when it SUCCEEDED. Beside the
// rate it prints what is cheap to read where the time and CPU go: the processes' /metrics,
// /proc's CPU ticks, Postgres's transaction and WAL counters and Redis's command count.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import {
  createAccountClient,
  createPaymentClient,
  meshClientCredentials,
  type AccountClient,
  type PaymentClient,
} from '../clients/internal/src/index.js';
import { AccountKind } from '../gen/grpc-js/clearmesh/account/v1/account.js';
import {
  CaptureMethod,
  PaymentStatus,
  paymentFailureReasonToJSON,
  paymentStatusToJSON,
} from '../gen/grpc-js/clearmesh/payment/v1/payment.js';
import { ensureDevPki, trustDomainDefault } from '../services/mesh/src/dev-pki.js';
import { readTlsIdentity } from '../services/mesh/src/tls.js';
import { redisUrlDefault } from '../services/mesh/src/topology.js';
import { bareNoopClient } from './bare-noop-client.js';
import { percentile, runRound, type BenchClient, type Round } from './closed-loop.js';
import { clientIdentityName, type ServerReady } from './mesh-server.js';
import {
  scrapeMetrics,
  startMeshProcesses,
  type MeshProcess,
  type MeshProcesses,
} from './mesh-processes.js';
import { printBreakdown, type WindowCounters } from './payments-breakdown.js';
import { startWaitSampler } from './postgres-waits.js';
import { describe, formatMs, formatRate, readBenchDurationMs } from './report-format.js';
import { cpuUsageBetween, takeCpuSnapshot, type CpuGroups } from './resource-usage.js';
import {
  benchServerUrl,
  databaseUrl,
  describePgbench,
  dropDatabase,
  onServer,
  recreateDatabase,
  runPgbench,
} from './scratch-postgres.js';
import { startServerChild } from './server-child.js';

/** Measured time of pgbench, of the no-op and of the payments (BENCH_SECONDS, default 10). */
const durationMs = readBenchDurationMs('bench:payments', 10);
/** Before the no-op and the payments are measured: JIT, pools, channels, caches warm. */
const warmupMs = 2_000;
/** A backend publishes its statistics at most once a second: wait before reading them. */
const statisticsSettleMs = 1_500;
/** How often the scratch database's backends are sampled during the measured window. */
const waitSampleIntervalMs = 50;
const concurrency = 64;
const customerAccountCount = 1_000;
/** Each payer starts with this much: 600 s at 5,000 payments/s of ≤ 100 cannot drain it. */
const fundingMinor = 100_000_000n;
const amountMaxMinor = 100;
const currency = 'USD';
/** Set-up calls in flight when opening accounts. */
const openConcurrency = 16;
/**
 * Funding payments in flight, each worker paying from a settlement account of its own: from one
 * account they would queue on its payer lock, one at a time.
 */
const fundingConcurrency = 8;
const paymentsDatabase = 'clearmesh_bench_payments';
const redisUrl = process.env['BENCH_REDIS_URL'] ?? redisUrlDefault;
const logDirectory = process.env['BENCH_LOG_DIR'];
const cpuProfileDirectory = process.env['BENCH_CPU_PROF_DIR'];
const ratioTarget = 1.0;
const p99TargetMs = 50;
const serverWaitMaxMs = 30_000;

interface Rate {
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failures: number;
  readonly firstFailure: unknown;
}

interface Clients {
  readonly payments: PaymentClient;
  readonly accounts: AccountClient;
  close(): void;
}

async function main(): Promise<void> {
  printHeader();
  const pgbenchTps = await runPgbench(durationMs);
  console.log(describePgbench(pgbenchTps, durationMs));
  const workDirectory = await mkdtemp(join(tmpdir(), 'clearmesh-bench-'));
  const interrupted = (): void => {
    rmSync(workDirectory, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  const certsDirectory = join(workDirectory, 'certs');
  let mesh: MeshProcesses | undefined;
  let clients: Clients | undefined;
  try {
    await ensureDevPki(certsDirectory);
    const bare = await measureBareNoop(certsDirectory);
    console.log(
      `bare grpc-js no-op over mTLS, ${concurrency} in flight: ` +
        `${formatRate(bare.perSecond)} calls/s  ${describeLatency(bare)}`,
    );
    await recreateDatabase(paymentsDatabase);
    mesh = await startMeshProcesses({
      databaseUrl: databaseUrl(paymentsDatabase),
      redisUrl,
      redisKeyPrefix: `clearmesh:bench:${randomUUID()}:`,
      certsDirectory,
      logDirectory,
      cpuProfileDirectory,
    });
    clients = openClients(certsDirectory, mesh);
    const customers = await prepareAccounts(clients);
    await runPayments(mesh, clients.payments, customers, pgbenchTps);
  } finally {
    clients?.close();
    await mesh?.stop();
    await dropDatabase(paymentsDatabase);
    await rm(workDirectory, { recursive: true, force: true });
    process.removeListener('SIGINT', interrupted);
  }
}

// ---------------------------------------------------------------------------------------------
// Baseline: one bare hop

/** The bare side of bench/mesh.ts at 64 in flight: plain grpc-js, same certificates, one hop. */
async function measureBareNoop(certsDirectory: string): Promise<Rate> {
  const server = await startServerChild<ServerReady>(new URL('./mesh-server.ts', import.meta.url), {
    name: 'bench server',
    arguments: [certsDirectory],
    waitMaxMs: serverWaitMaxMs,
  });
  const client = bareNoopClient(
    server.ready.barePort,
    readTlsIdentity(certsDirectory, clientIdentityName),
  );
  try {
    await runRound(client, concurrency, warmupMs);
    return rateOf(await runRound(client, concurrency, durationMs));
  } finally {
    client.close();
    await server.stop();
  }
}

function rateOf(round: Round): Rate {
  const sorted = Float64Array.from(round.latenciesMs).sort();
  return {
    perSecond: sorted.length / (round.elapsedMs / 1_000),
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    failures: round.failures,
    firstFailure: round.firstFailure,
  };
}

// ---------------------------------------------------------------------------------------------
// The mesh's clients and accounts

/** client/admin, as an operator's tool calls the mesh: one channel per service, no retries. */
function openClients(certsDirectory: string, mesh: MeshProcesses): Clients {
  const identity = { certsDirectory, identity: 'admin', trustDomain: trustDomainDefault };
  const paymentCredentials = meshClientCredentials(identity, 'service/payment');
  const accountCredentials = meshClientCredentials(identity, 'service/account');
  // No retries: every payment is one call, and every failure shows in the report.
  const payments = createPaymentClient({
    address: mesh.payment.address,
    credentials: paymentCredentials.credentials,
    registry: new Registry(),
    retry: { attemptsMax: 1 },
  });
  const accounts = createAccountClient({
    address: mesh.account.address,
    credentials: accountCredentials.credentials,
    registry: new Registry(),
  });
  return {
    payments,
    accounts,
    close: () => {
      payments.close();
      accounts.close();
      paymentCredentials.close();
      accountCredentials.close();
    },
  };
}

/**
 * The customers, each funded by a payment from a SETTLEMENT account (the admin may pay from one),
 * as operators would. Answers the customers' ids.
 */
async function prepareAccounts(clients: Clients): Promise<string[]> {
  const startedAt = performance.now();
  const runId = randomUUID();
  const open = async (index: number, kind: AccountKind): Promise<string> => {
    const response = await clients.accounts.call.openAccount({
      requestId: `bench-${runId}-${index}`,
      ownerId: kind === AccountKind.ACCOUNT_KIND_SETTLEMENT ? 'clearmesh' : `bench-${index}`,
      currency,
      kind,
      overdraftLimit: 0n,
      displayName: '',
      metadata: {},
    });
    if (response.account === undefined) throw new Error('OpenAccount answered no account');
    return response.account.accountId;
  };
  const indexes = Array.from({ length: customerAccountCount }, (_unused, index) => index);
  const customers = await mapConcurrently(indexes, openConcurrency, (index) =>
    open(index, AccountKind.ACCOUNT_KIND_CUSTOMER),
  );
  const workers = Array.from({ length: fundingConcurrency }, (_unused, worker) => worker);
  await mapConcurrently(workers, fundingConcurrency, async (worker) => {
    const settlement = await open(-1 - worker, AccountKind.ACCOUNT_KIND_SETTLEMENT);
    for (let index = worker; index < customers.length; index += fundingConcurrency) {
      const customer = customers[index] ?? '';
      const payment = await pay(clients.payments, settlement, customer, fundingMinor);
      if (payment.status !== PaymentStatus.PAYMENT_STATUS_SUCCEEDED) {
        throw new Error(`funding ${customer} ended ${paymentStatusToJSON(payment.status)}`);
      }
    }
  });
  console.log(
    `set-up: ${formatRate(customers.length)} ${currency} customer accounts opened and funded ` +
      `with ${fundingMinor.toLocaleString('en-US')} minor units each, through the mesh, in ` +
      `${((performance.now() - startedAt) / 1_000).toFixed(1)} s`,
  );
  return customers;
}

async function pay(client: PaymentClient, payer: string, payee: string, amount: bigint) {
  const response = await client.call.createPayment({
    idempotencyKey: randomUUID(),
    payerAccountId: payer,
    payeeAccountId: payee,
    amount: { amount, currency },
    captureMethod: CaptureMethod.CAPTURE_METHOD_AUTOMATIC,
    authorizationTtlSeconds: 0,
    description: '',
    reference: '',
    metadata: {},
  });
  if (response.payment === undefined) throw new Error('CreatePayment answered no payment');
  return response.payment;
}

/** `work` over `items` with at most `limit` running at once; answers in the items' order. */
async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) {
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// ---------------------------------------------------------------------------------------------
// The measured payments

/**
 * Payments between two different customers drawn uniformly, 1 to amountMaxMinor each. A payment
 * that did not succeed rejects, so that only SUCCEEDED ones count; every outcome is tallied.
 */
function paymentTraffic(
  client: PaymentClient,
  customers: readonly string[],
): BenchClient & { readonly outcomes: Map<string, number> } {
  const outcomes = new Map<string, number>();
  const pick = (): string => customers[Math.floor(Math.random() * customers.length)] ?? '';
  return {
    outcomes,
    call: async () => {
      const payer = pick();
      let payee = pick();
      while (payee === payer) payee = pick();
      const amount = BigInt(1 + Math.floor(Math.random() * amountMaxMinor));
      const payment = await pay(client, payer, payee, amount);
      const outcome =
        payment.status === PaymentStatus.PAYMENT_STATUS_FAILED
          ? `FAILED ${paymentFailureReasonToJSON(payment.failureReason)}`
          : paymentStatusToJSON(payment.status).replace('PAYMENT_STATUS_', '');
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      if (outcome !== 'SUCCEEDED') throw new Error(`payment ${outcome}`);
    },
    close: () => undefined,
  };
}

async function runPayments(
  mesh: MeshProcesses,
  client: PaymentClient,
  customers: readonly string[],
  pgbenchTps: number,
): Promise<void> {
  const traffic = paymentTraffic(client, customers);
  await runRound(traffic, concurrency, warmupMs);
  traffic.outcomes.clear();
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    await delay(statisticsSettleMs);
    const storesBefore = await readStoreCounters(redis);
    const processesBefore = await readProcessCounters(mesh);
    const waits = await startWaitSampler(benchServerUrl, paymentsDatabase, waitSampleIntervalMs);
    const round = await runRound(traffic, concurrency, durationMs);
    const postgresWaits = await waits.stop();
    const processesAfter = await readProcessCounters(mesh);
    await delay(statisticsSettleMs);
    const storesAfter = await readStoreCounters(redis);
    const rate = rateOf(round);
    printPayments(rate, traffic.outcomes, pgbenchTps);
    const counters: WindowCounters = {
      payments: round.latenciesMs.length,
      clientMeanMs: mean(round.latenciesMs),
      cpu: cpuUsageBetween(processesBefore.cpu, processesAfter.cpu),
      metricsBefore: processesBefore.metrics,
      metricsAfter: processesAfter.metrics,
      postgresTransactions: storesAfter.postgresTransactions - storesBefore.postgresTransactions,
      walBytes: storesAfter.walBytes - storesBefore.walBytes,
      redisCommands: storesAfter.redisCommands - storesBefore.redisCommands,
      postgresWaits,
    };
    printBreakdown(counters);
  } finally {
    redis.disconnect();
  }
}

/**
 * Postgres counts its backends serving the scratch database and its own background processes
 * (WAL writer, checkpointer…), not the backends of other databases on a shared server.
 */
async function cpuGroups(mesh: MeshProcesses): Promise<CpuGroups> {
  const postgres = await onServer(async (client) => {
    const result = await client.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 OR backend_type <> 'client backend'`,
      [paymentsDatabase],
    );
    return result.rows.map((row) => row.pid);
  });
  return {
    pids: new Map([
      ['bench client', [process.pid]],
      ['payment', [mesh.payment.pid]],
      ['ledger', [mesh.ledger.pid]],
      ['account', [mesh.account.pid]],
      ['postgres', postgres],
    ]),
    programs: new Map([['redis', 'redis-server']]),
  };
}

async function readProcessCounters(mesh: MeshProcesses) {
  const cpu = await takeCpuSnapshot(await cpuGroups(mesh));
  const roles: MeshProcess[] = [mesh.payment, mesh.ledger, mesh.account];
  const texts = await Promise.all(roles.map((role) => scrapeMetrics(role)));
  const metrics = new Map(roles.map((role, index) => [role.role, texts[index] ?? '']));
  return { cpu, metrics };
}

/** Counters of the scratch database (all services) and of the whole Redis. */
async function readStoreCounters(redis: Redis) {
  const row = await onServer(async (client) => {
    const result = await client.query<{ transactions: string; wal_bytes: string }>(
      `SELECT (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1)
                AS transactions,
              pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS wal_bytes`,
      [paymentsDatabase],
    );
    return result.rows[0];
  });
  const commands = /total_commands_processed:(\d+)/.exec(await redis.info('stats'))?.[1];
  return {
    postgresTransactions: Number(row?.transactions ?? Number.NaN),
    walBytes: Number(row?.wal_bytes ?? Number.NaN),
    redisCommands: Number(commands ?? Number.NaN),
  };
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

// ---------------------------------------------------------------------------------------------
// Output

function printHeader(): void {
  console.log(
    `payments benchmark: client → payment → ledger as real processes over mTLS, ` +
      `${formatRate(customerAccountCount)} funded payers, ${concurrency} in flight, ` +
      `${durationMs / 1_000} s per measurement after ${warmupMs / 1_000} s warm-up, ` +
      `${availableParallelism()} cores shared, node ${process.versions.node}`,
  );
}

function describeLatency(rate: Rate): string {
  const failed =
    rate.failures === 0
      ? ''
      : `  ${formatRate(rate.failures)} FAILED (first: ${describe(rate.firstFailure)})`;
  return `p50 ${formatMs(rate.p50Ms)} ms  p99 ${formatMs(rate.p99Ms)} ms${failed}`;
}

function printPayments(rate: Rate, outcomes: ReadonlyMap<string, number>, pgbenchTps: number) {
  console.log(
    `payments (AUTOMATIC capture, uniform payer and payee, fresh key each): ` +
      `${formatRate(rate.perSecond)} payments/s  ${describeLatency(rate)}`,
  );
  const tallied = [...outcomes].map(([outcome, count]) => `${outcome} ${formatRate(count)}`);
  console.log(`    outcomes: ${tallied.join(', ')}`);
  const ratio = rate.perSecond / pgbenchTps;
  const verdict = (ok: boolean): string => (ok ? 'OK' : 'BELOW TARGET');
  console.log(
    `payments/s ÷ TPC-B tps: ${ratio.toFixed(2)} (target ≥ ${ratioTarget.toFixed(1)}) ` +
      `${verdict(ratio >= ratioTarget)}; p99 ${formatMs(rate.p99Ms)} ms (target ≤ ` +
      `${p99TargetMs} ms) ${verdict(rate.p99Ms <= p99TargetMs)}`,
  );
}

// A benchmark reports: a ratio below target still exits 0. Only a broken set-up exits 1.
main().catch((error: unknown) => {
  console.error(`bench:payments failed: ${describe(error)}`);
  process.exitCode = 1;
});
