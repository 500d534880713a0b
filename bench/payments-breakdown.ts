// The second half of the payments benchmark's report: where a payment's time and CPU went during
// the measured window, from counters read before and after it — the services' /metrics (means of
// their histograms: exact, unlike percentiles from buckets), /proc's CPU ticks, and Postgres's and
// Redis's own counters. Cheap enough to read on every run, so every run says what limited it.
import { sampleSum } from './mesh-processes.js';
import { formatMs, formatRate } from './report-format.js';
import type { WaitProfile } from './postgres-waits.js';
import type { CpuUsage } from './resource-usage.js';

export interface WindowCounters {
  /** SUCCEEDED payments in the window. */
  readonly payments: number;
  readonly clientMeanMs: number;
  readonly cpu: CpuUsage;
  /** Role (payment, ledger, account) → its /metrics text at the window's start and end. */
  readonly metricsBefore: ReadonlyMap<string, string>;
  readonly metricsAfter: ReadonlyMap<string, string>;
  /** In the scratch database, all services together. */
  readonly postgresTransactions: number;
  /** The whole server's WAL. */
  readonly walBytes: number;
  /** The whole Redis. */
  readonly redisCommands: number;
  /** The scratch database's backends, sampled through the window. */
  readonly postgresWaits: WaitProfile;
}

type Labels = Readonly<Record<string, string>>;

export function printBreakdown(counters: WindowCounters): void {
  printTimes(counters);
  printCpu(counters);
  printPostgresWaits(counters.postgresWaits);
  const perPayment = (value: number): string => (value / counters.payments).toFixed(1);
  console.log(
    `per payment: ${perPayment(counters.postgresTransactions)} Postgres transactions (commits ` +
      `and rollbacks in the scratch database, read-only statements included), ` +
      `${formatRate(counters.walBytes / counters.payments)} WAL bytes, ` +
      `${perPayment(counters.redisCommands)} Redis commands`,
  );
}

function printTimes(counters: WindowCounters): void {
  const delta = (role: string, name: string, labels: Labels = {}): number =>
    sampleSum(counters.metricsAfter.get(role) ?? '', name, labels) -
    sampleSum(counters.metricsBefore.get(role) ?? '', name, labels);
  const meanMs = (role: string, histogram: string, labels: Labels = {}): number =>
    (1_000 * delta(role, `${histogram}_sum`, labels)) / delta(role, `${histogram}_count`, labels);
  const createPayment = { grpc_method: 'CreatePayment' };
  const createTransfers = { grpc_method: 'CreateTransfers' };
  const payerLock = { lock: 'payer_account' };
  const batches = delta('ledger', 'clearmesh_ledger_batch_transfers_count');
  const windowSeconds = counters.cpu.elapsedMs / 1_000;
  const lockAttempts = delta('payment', 'clearmesh_payment_lock_acquisitions_total', payerLock);
  const lockContended = delta('payment', 'clearmesh_payment_lock_acquisitions_total', {
    ...payerLock,
    outcome: 'contended',
  });
  const accountLookups = delta('account', 'grpc_server_handling_seconds_count', {
    grpc_method: 'GetAccount',
  });
  console.log(`where a payment's time goes (means over the window, from the services' /metrics):`);
  const line = (what: string, valueMs: number): void => {
    console.log(`    ${what.padEnd(46)} ${formatMs(valueMs).padStart(6)} ms`);
  };
  line('CreatePayment, as the client waited', counters.clientMeanMs);
  line(
    'CreatePayment, as the payment service handled it',
    meanMs('payment', 'grpc_server_handling_seconds', createPayment),
  );
  line(
    '  its CreateTransfers call to the ledger',
    meanMs('payment', 'grpc_client_handling_seconds', createTransfers),
  );
  line(
    '  CreateTransfers, as the ledger handled it',
    meanMs('ledger', 'grpc_server_handling_seconds', createTransfers),
  );
  line('  ledger commit (BEGIN to COMMIT)', meanMs('ledger', 'clearmesh_ledger_commit_seconds'));
  line('  payer lock wait', meanMs('payment', 'clearmesh_payment_lock_wait_seconds', payerLock));
  console.log(
    `    ledger batches: ${formatRate(batches / windowSeconds)}/s of ` +
      `${(delta('ledger', 'clearmesh_ledger_batch_transfers_sum') / batches).toFixed(1)} ` +
      `transfers; payer lock contended on ${((100 * lockContended) / lockAttempts).toFixed(1)}% ` +
      `of acquisitions; GetAccount calls (account cache misses): ${formatRate(accountLookups)}`,
  );
}

function printCpu(counters: WindowCounters): void {
  const { cpu } = counters;
  console.log(
    `CPU in the window: cores busy on average (of ${cpu.machineCores.toFixed(1)}), and CPU ms per payment:`,
  );
  const windowSeconds = cpu.elapsedMs / 1_000;
  const line = (what: string, cores: number): void => {
    const perPaymentMs = (1_000 * cores * windowSeconds) / counters.payments;
    console.log(
      `    ${what.padEnd(14)} ${cores.toFixed(2).padStart(5)}  ${formatMs(perPaymentMs).padStart(6)} ms`,
    );
  };
  for (const [group, cores] of cpu.coresByGroup) line(group, cores);
  line('other', cpu.otherCores);
  line('machine busy', cpu.machineBusyCores);
  // The CPU one payment costs everywhere it goes (not "other"), and the rate that cost allows.
  const pathCores = cpu.machineBusyCores - cpu.otherCores;
  const pathMsPerPayment = (1_000 * pathCores * windowSeconds) / counters.payments;
  console.log(
    `    at ${formatMs(pathMsPerPayment)} ms of CPU per payment, ${cpu.machineCores.toFixed(1)} ` +
      `cores allow at most ${formatRate((1_000 * cpu.machineCores) / pathMsPerPayment)} ` +
      `payments/s; the run was ${busyVerdict(cpu.machineBusyCores / cpu.machineCores)}`,
  );
}

function busyVerdict(busyShare: number): string {
  const percent = `${(100 * busyShare).toFixed(0)}% busy`;
  return busyShare >= 0.85 ? `CPU-bound (${percent})` : `not CPU-bound (${percent})`;
}

/**
 * A backend waiting on Lock:object is usually queued behind NOTIFY: Postgres lets one notifying
 * transaction commit at a time, server-wide, and holds that lock through its WAL flush.
 */
function printPostgresWaits(waits: WaitProfile): void {
  const busiest = waits.averageBackends.slice(0, 6);
  const total = waits.averageBackends.reduce((sum, [, backends]) => sum + backends, 0);
  const states = busiest.map(([what, backends]) => `${what} ${backends.toFixed(1)}`);
  console.log(
    `Postgres backends of the scratch database, busy on average: ${total.toFixed(1)} ` +
      `(${states.join(', ')}; ${formatRate(waits.samples)} samples)`,
  );
}
