// `npm run bench:ledger`: how many transfers per second the ledger applies, against what this
// Postgres does for pgbench's TPC-B in the same run. Cases:
//   (a)  batches of 1,000 transfers over 100,000 accounts, through the store's batch write
//        (applyTransferBatch, one writer, no gRPC) — and the same as CreateTransfers requests of
//        1,000 through the real server;
//   (b)  single-transfer CreateTransfers RPCs, 64 in flight, uniform random accounts, through the
//        real server: mTLS, SPIFFE identity, default policy, metrics, logs, group commit;
//   (c)  as (b), with both accounts of a transfer drawn from a Zipf (s = 1.0) distribution, so a
//        few accounts are in most transfers.
//
// Why the baseline is fair: pgbench runs against the same Postgres, just before, for the same
// duration, so the machine's state (disk, other load) is the one the ledger sees. A transfer
// counts only when it is applied (CREATED); every other status is counted and printed. The
// server is a child process, as in production: client and server share the machine's cores but
// not an event loop. Everything runs in scratch databases created and dropped by the run.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createLedgerClient, type LedgerClient } from '../clients/internal/src/index.js';
import { createTransferStatusToJSON } from '../gen/grpc-js/clearmesh/ledger/v1/results.js';
import type { Transfer } from '../gen/grpc-js/clearmesh/ledger/v1/transfer.js';
import { migrations } from '../services/ledger/migrations/index.js';
import type { LedgerAccountInput, TransferInput } from '../services/ledger/src/domain/index.js';
import { applyTransferBatch, createAccountBatch } from '../services/ledger/src/store/index.js';
import { ConfigError } from '../services/mesh/src/config.js';
import { connectDatabase, migrateSchema, type Knex } from '../services/mesh/src/database.js';
import { ensureDevPki } from '../services/mesh/src/dev-pki.js';
import { clientCredentials, readTlsIdentity } from '../services/mesh/src/tls.js';
import {
  clientIdentityName,
  ledgerSchema,
  serverSpiffeId,
  type ServerReady,
} from './ledger-server.js';
import { percentile } from './closed-loop.js';
import {
  databaseUrl,
  describePgbench,
  dropDatabase,
  recreateDatabase,
  runPgbench,
} from './scratch-postgres.js';
import { startServerChild, type ServerChild } from './server-child.js';
import { describe, formatMs, formatRate, readBenchDurationMs } from './report-format.js';

/** Measured time per case, pgbench included (BENCH_SECONDS, default 10). */
const durationMs = readBenchDurationMs('bench:ledger', 10);
/** Per case, before anything is measured: plans cached, pages in memory, channels open. */
const warmupMs = 1_000;
/** Optional: which cases to run, e.g. `pgbench,a` while tuning the store; default all. */
const casesFilter = process.env['BENCH_CASES'];
const ledgerDatabase = 'clearmesh_bench_ledger';
const customerAccountCount = 100_000;
const transfersPerBatch = 1_000;
/** CreateTransfers requests of transfersPerBatch in flight in the RPC form of (a). */
const batchRequestConcurrency = 4;
const singleTransferConcurrency = 64;
const zipfExponent = 1.0;
/** Each customer starts with this much, so random transfers of ≤ transferAmountMax rarely fail. */
const customerFundingMinor = 1_000_000n;
const transferAmountMaxMinor = 100;
/** CreateAccounts and the funding transfers go in chunks of this many (the request maximum). */
const setupChunkMax = 8_190;
const currency = 'USD';
const batchRatioTarget = 10;
const singleRatioTarget = 1.5;
/** (c) against (b): hot accounts may cost something, not everything. */
const hotShareTarget = 0.5;
/** Any longer wait for the server child (start-up, or exit after stop) means it is stuck. */
const serverWaitMaxMs = 30_000;
const caseNames = ['pgbench', 'a', 'a-rpc', 'b', 'c'] as const;

type CaseName = (typeof caseNames)[number];
type AccountPicker = () => number;

/** What one case measured. `applied` counts CREATED transfers only. */
interface Measurement {
  readonly applied: number;
  readonly statuses: ReadonlyMap<string, number>;
  readonly elapsedMs: number;
  /** Per call (or per batch for the store), send to answer. */
  readonly latenciesMs: readonly number[];
  readonly failures: number;
  readonly firstFailure: unknown;
}

interface Ledger {
  readonly db: Knex;
  /** Customer account ids; index 0 … customerAccountCount-1. */
  readonly customers: readonly string[];
}

async function main(): Promise<void> {
  const wanted = selectedCases();
  printHeader();
  const pgbenchTps = wanted('pgbench') ? await runPgbench(durationMs) : undefined;
  if (pgbenchTps !== undefined) console.log(describePgbench(pgbenchTps, durationMs));
  const workDirectory = await mkdtemp(join(tmpdir(), 'clearmesh-bench-'));
  const interrupted = (): void => {
    rmSync(workDirectory, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  await recreateDatabase(ledgerDatabase);
  let ledger: Ledger | undefined;
  let server: ServerChild<ServerReady> | undefined;
  try {
    ledger = await prepareLedger();
    const results = new Map<CaseName, Measurement>();
    if (wanted('a')) results.set('a', await runStoreBatches(ledger));
    report('a', results, pgbenchTps);
    if (['a-rpc', 'b', 'c'].some((name) => wanted(name as CaseName))) {
      const certsDirectory = join(workDirectory, 'certs');
      await ensureDevPki(certsDirectory);
      server = await startLedgerServerChild(certsDirectory, databaseUrl(ledgerDatabase));
      const client = openClient(certsDirectory, server.ready.port);
      try {
        for (const name of ['a-rpc', 'b', 'c'] as const) {
          if (!wanted(name)) continue;
          results.set(name, await runRpcCase(name, client, ledger.customers));
          report(name, results, pgbenchTps);
        }
      } finally {
        client.close();
      }
    }
  } finally {
    await server?.stop();
    await ledger?.db.destroy();
    await dropDatabase(ledgerDatabase);
    await rm(workDirectory, { recursive: true, force: true });
    process.removeListener('SIGINT', interrupted);
  }
}

function selectedCases(): (name: CaseName) => boolean {
  if (casesFilter === undefined || casesFilter === '') return () => true;
  const wanted = new Set(casesFilter.split(','));
  if (!caseNames.some((name) => wanted.has(name))) {
    throw new ConfigError(`BENCH_CASES=${casesFilter} selects nothing: expected e.g. pgbench,a`);
  }
  return (name) => wanted.has(name);
}

// ---------------------------------------------------------------------------------------------
// The ledger: schema, accounts, funding

/**
 * Migrates the scratch database, creates one settlement account (no limits) and the customer
 * accounts (debits must not exceed credits), and funds every customer from the settlement.
 */
async function prepareLedger(): Promise<Ledger> {
  const startedAt = performance.now();
  const db = connectDatabase(databaseUrl(ledgerDatabase), {
    schema: ledgerSchema,
    poolMax: 2,
    applicationName: 'clearmesh-bench-ledger-client',
  });
  await migrateSchema(db, ledgerSchema, migrations);
  const settlement = randomUUID();
  const customers = Array.from({ length: customerAccountCount }, () => randomUUID());
  await createAccounts(db, [accountInput(settlement, false)]);
  for (const chunk of chunks(customers, setupChunkMax)) {
    await createAccounts(
      db,
      chunk.map((id) => accountInput(id, true)),
    );
  }
  for (const chunk of chunks(customers, setupChunkMax)) {
    const funding = chunk.map((id) => transferInput(settlement, id, customerFundingMinor));
    const outcome = await applyTransferBatch(db, [funding], new Date());
    const refused = outcome.results.flat().filter((result) => result.status !== 'CREATED');
    if (refused.length > 0) throw new Error(`funding refused: ${refused[0]?.status}`);
  }
  // Fresh statistics, as autovacuum would have them on a ledger that has been running a while.
  await db.raw('VACUUM ANALYZE');
  console.log(
    `ledger: ${formatRate(customers.length)} customer accounts funded with ` +
      `${customerFundingMinor.toLocaleString('en-US')} minor units each, in ${formatSeconds(performance.now() - startedAt)} s`,
  );
  return { db, customers };
}

async function createAccounts(db: Knex, inputs: readonly LedgerAccountInput[]): Promise<void> {
  const outcome = await createAccountBatch(db, inputs, new Date());
  const refused = outcome.results.filter((result) => result.status !== 'CREATED');
  if (refused.length > 0) throw new Error(`account creation refused: ${refused[0]?.status}`);
}

function accountInput(id: string, customer: boolean): LedgerAccountInput {
  return {
    id,
    currency,
    flags: { debitsMustNotExceedCredits: customer, creditsMustNotExceedDebits: false },
    overdraftLimit: 0n,
    status: 'OPEN',
    debitsPending: 0n,
    debitsPosted: 0n,
    creditsPending: 0n,
    creditsPosted: 0n,
    createdAtSet: false,
  };
}

function transferInput(debitAccountId: string, creditAccountId: string, amount: bigint) {
  return {
    id: randomUUID(),
    debitAccountId,
    creditAccountId,
    amount,
    currency,
    flags: {
      linked: false,
      pending: false,
      postPendingTransfer: false,
      voidPendingTransfer: false,
    },
    pendingId: '',
    timeoutSeconds: 0,
    code: 1,
    reference: '',
    createdAtSet: false,
  } satisfies TransferInput;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_unused, index) =>
    items.slice(index * size, (index + 1) * size),
  );
}

// ---------------------------------------------------------------------------------------------
// Traffic: uniform and Zipf account pickers, random transfers

/** mulberry32: a small seeded generator, so runs draw the same traffic. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uniformPicker(count: number, random: () => number): AccountPicker {
  return () => Math.floor(random() * count);
}

/**
 * Zipf over `count` accounts: rank k (1-based) has weight 1/k^s. Sampling is a binary search of
 * the cumulative weights; ranks map to accounts through a seeded shuffle, so the hot accounts are
 * scattered over the id space rather than the first ones created.
 */
function zipfPicker(count: number, exponent: number, random: () => number): AccountPicker {
  const cumulative = new Float64Array(count);
  let total = 0;
  for (let rank = 1; rank <= count; rank += 1) {
    total += 1 / rank ** exponent;
    cumulative[rank - 1] = total;
  }
  const accountOfRank = Uint32Array.from({ length: count }, (_unused, index) => index);
  for (let index = count - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [accountOfRank[index], accountOfRank[other]] = [
      itemAt(accountOfRank, other),
      itemAt(accountOfRank, index),
    ];
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = count - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (itemAt(cumulative, middle) < target) low = middle + 1;
      else high = middle;
    }
    return itemAt(accountOfRank, low);
  };
}

/** A transfer between two different customers, 1 to transferAmountMaxMinor minor units. */
function randomTransfer(
  customers: readonly string[],
  pick: AccountPicker,
  random: () => number,
): TransferInput {
  const debit = pick();
  let credit = pick();
  while (credit === debit) credit = pick();
  const amount = BigInt(1 + Math.floor(random() * transferAmountMaxMinor));
  return transferInput(itemAt(customers, debit), itemAt(customers, credit), amount);
}

function toProto(transfer: TransferInput): Transfer {
  return {
    id: transfer.id,
    debitAccountId: transfer.debitAccountId,
    creditAccountId: transfer.creditAccountId,
    amount: transfer.amount,
    currency: transfer.currency,
    flags: transfer.flags,
    pendingId: transfer.pendingId,
    timeoutSeconds: transfer.timeoutSeconds,
    code: transfer.code,
    reference: transfer.reference,
    createdAt: undefined,
  };
}

/** An index known to be in range; a miss is a bug in the benchmark. */
function itemAt<T>(values: ArrayLike<T>, index: number): T {
  const value = values[index];
  if (value === undefined) throw new Error(`index ${index} outside 0…${values.length - 1}`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Cases

/** Tallies of one case, filled as answers arrive. */
class Tally {
  readonly statuses = new Map<string, number>();
  readonly latenciesMs: number[] = [];
  failures = 0;
  firstFailure: unknown;

  count(status: string): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
  }

  fail(error: unknown): void {
    this.failures += 1;
    this.firstFailure ??= error;
  }

  measurement(elapsedMs: number): Measurement {
    return {
      applied: this.statuses.get('CREATED') ?? 0,
      statuses: this.statuses,
      elapsedMs,
      latenciesMs: this.latenciesMs,
      failures: this.failures,
      firstFailure: this.firstFailure,
    };
  }
}

/** (a): one writer calls applyTransferBatch back to back, one batch of 1,000 at a time. */
async function runStoreBatches(ledger: Ledger): Promise<Measurement> {
  const random = seededRandom(1);
  const pick = uniformPicker(ledger.customers.length, random);
  const runFor = async (windowMs: number): Promise<Measurement> => {
    const tally = new Tally();
    const startedAt = performance.now();
    for (let sentAt = startedAt; sentAt < startedAt + windowMs; sentAt = performance.now()) {
      const batch = Array.from({ length: transfersPerBatch }, () =>
        randomTransfer(ledger.customers, pick, random),
      );
      const outcome = await applyTransferBatch(ledger.db, [batch], new Date());
      tally.latenciesMs.push(performance.now() - sentAt);
      for (const result of outcome.results.flat()) tally.count(result.status);
    }
    return tally.measurement(performance.now() - startedAt);
  };
  await runFor(warmupMs);
  return runFor(durationMs);
}

/** (a) through gRPC, (b) and (c): workers send → await → send until the window is over. */
async function runRpcCase(
  name: 'a-rpc' | 'b' | 'c',
  client: LedgerClient,
  customers: readonly string[],
): Promise<Measurement> {
  const random = seededRandom(name.charCodeAt(0));
  const pick =
    name === 'c'
      ? zipfPicker(customers.length, zipfExponent, random)
      : uniformPicker(customers.length, random);
  const [concurrency, size] =
    name === 'a-rpc'
      ? [batchRequestConcurrency, transfersPerBatch]
      : [singleTransferConcurrency, 1];
  const runFor = async (windowMs: number): Promise<Measurement> => {
    const tally = new Tally();
    const startedAt = performance.now();
    const worker = async (): Promise<void> => {
      for (let sentAt = startedAt; sentAt < startedAt + windowMs; sentAt = performance.now()) {
        const transfers = Array.from({ length: size }, () =>
          toProto(randomTransfer(customers, pick, random)),
        );
        try {
          const response = await client.call.createTransfers({ transfers });
          tally.latenciesMs.push(performance.now() - sentAt);
          for (const result of response.results) {
            tally.count(
              createTransferStatusToJSON(result.status).replace('CREATE_TRANSFER_STATUS_', ''),
            );
          }
        } catch (error) {
          tally.fail(error);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return tally.measurement(performance.now() - startedAt);
  };
  await runFor(warmupMs);
  return runFor(durationMs);
}

// ---------------------------------------------------------------------------------------------
// The server child and its client

/** Forks bench/ledger-server.ts and waits for the port it reports over IPC. */
function startLedgerServerChild(
  certsDirectory: string,
  url: string,
): Promise<ServerChild<ServerReady>> {
  return startServerChild<ServerReady>(new URL('./ledger-server.ts', import.meta.url), {
    name: 'bench ledger server',
    arguments: [certsDirectory, url],
    waitMaxMs: serverWaitMaxMs,
  });
}

/** The internal SDK's ledger client as service/payment calls it: one channel, default rules. */
function openClient(certsDirectory: string, port: number): LedgerClient {
  const identity = readTlsIdentity(certsDirectory, clientIdentityName);
  return createLedgerClient({
    address: `127.0.0.1:${port}`,
    credentials: clientCredentials(identity, serverSpiffeId),
    registry: new Registry(),
  });
}

// ---------------------------------------------------------------------------------------------
// Output

const caseTitles: Record<Exclude<CaseName, 'pgbench'>, string> = {
  a: `(a) store batches of ${formatRate(transfersPerBatch)}, one writer`,
  'a-rpc': `(a) RPC requests of ${formatRate(transfersPerBatch)}, ${batchRequestConcurrency} in flight`,
  b: `(b) 1-transfer RPCs, ${singleTransferConcurrency} in flight, uniform`,
  c: `(c) 1-transfer RPCs, ${singleTransferConcurrency} in flight, Zipf s=${zipfExponent.toFixed(1)}`,
};

function printHeader(): void {
  console.log(
    `ledger benchmark: ${formatRate(customerAccountCount)} customer accounts, ` +
      `${durationMs / 1_000} s per case after ${warmupMs / 1_000} s warm-up, server in a child ` +
      `process, ${availableParallelism()} cores shared, node ${process.versions.node}; ` +
      `transfers/s counts CREATED transfers only`,
  );
}

/** One line per case: rate, ratio to TPC-B, target verdict, latency, statuses. */
function report(
  name: Exclude<CaseName, 'pgbench'>,
  results: ReadonlyMap<CaseName, Measurement>,
  pgbenchTps: number | undefined,
): void {
  const result = results.get(name);
  if (result === undefined) return;
  const rate = result.applied / (result.elapsedMs / 1_000);
  const ratio = pgbenchTps === undefined ? Number.NaN : rate / pgbenchTps;
  const sorted = Float64Array.from(result.latenciesMs).sort();
  const latencyOf = name === 'a' ? 'per batch' : 'per call';
  console.log(
    `${caseTitles[name]}: ${formatRate(rate)} transfers/s, ${ratio.toFixed(2)}× TPC-B` +
      `${verdict(name, ratio, rate, results)}; ${latencyOf} p50 ${formatMs(percentile(sorted, 0.5))} ` +
      `ms, p99 ${formatMs(percentile(sorted, 0.99))} ms`,
  );
  const statuses = [...result.statuses].map(([status, count]) => `${status} ${formatRate(count)}`);
  const failed =
    result.failures === 0
      ? ''
      : `; ${result.failures} calls FAILED (first: ${describe(result.firstFailure)})`;
  console.log(`    statuses: ${statuses.join(', ')}${failed}`);
}

function verdict(
  name: Exclude<CaseName, 'pgbench'>,
  ratio: number,
  rate: number,
  results: ReadonlyMap<CaseName, Measurement>,
): string {
  const judged = (value: number, target: number, unit: string): string =>
    ` (target ≥ ${target}${unit}) ${value >= target ? 'OK' : 'BELOW TARGET'}`;
  if (name === 'a') return judged(ratio, batchRatioTarget, '×');
  if (name === 'b') return judged(ratio, singleRatioTarget, '×');
  if (name === 'a-rpc') return ' (no target)';
  const uniform = results.get('b');
  if (uniform === undefined) return ' (no (b) to compare)';
  const share = rate / (uniform.applied / (uniform.elapsedMs / 1_000));
  return `, ${share.toFixed(2)} of (b)${judged(share, hotShareTarget, ' of (b)')}`;
}

function formatSeconds(valueMs: number): string {
  return (valueMs / 1_000).toFixed(1);
}

// A benchmark reports: a ratio below target still exits 0. Only a broken set-up exits 1.
main().catch((error: unknown) => {
  console.error(`bench:ledger failed: ${describe(error)}`);
  process.exitCode = 1;
});
