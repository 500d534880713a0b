// `npm run bench:mesh`: what the Clearmesh runtime costs per call. The same unary no-op RPC runs
// (1) through the full runtime — server: mTLS, SPIFFE identity, authorization policy, deadline,
// trace context, one pino log line, go-grpc-prometheus metrics, error boundary; client: the
// internal SDK with its circuit breaker, retry rule, deadline, trace header and client metrics —
// and (2) through bare grpc-js: a plain grpc.Server with a raw handler, and a plain grpc.Client
// calling makeUnaryRequest with no deadline, metadata or wrapper.
//
// Why the baseline is fair: both use the same certificates over mTLS, the same service definition
// with a zero-cost codec (empty Buffer in and out), one HTTP/2 connection each, and the same server
// process, forked as in production: client and server share the machine's cores but not an event
// loop. Only what the runtime adds differs, so runtime/bare is its price.
//
// Ordering: interleaved repeats. At each concurrency both channels are opened and warmed up, then
// the measured time is cut into rounds of `roundMs` per side, bare and runtime alternating (and
// alternating who goes first), so drift of a shared machine (other processes, thermal) hits both
// sides of a ratio alike. The spread of the per-round ratios is printed as a noise gauge.
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createMeshClient } from '../clients/internal/src/mesh-client.js';
import { read } from '../clients/internal/src/retry-policy.js';
import { ConfigError } from '../services/mesh/src/config.js';
import { ensureDevPki } from '../services/mesh/src/dev-pki.js';
import { clientCredentials, readTlsIdentity, type TlsIdentity } from '../services/mesh/src/tls.js';
import { bareNoopClient } from './bare-noop-client.js';
import { percentile, runRound, type BenchClient, type Round } from './closed-loop.js';
import {
  BenchService,
  clientIdentityName,
  emptyMessage,
  serverSpiffeId,
  type ServerReady,
} from './mesh-server.js';
import { startServerChild, type ServerChild } from './server-child.js';
import { describe, formatMs, formatRate, readBenchDurationMs } from './report-format.js';

/** Per side and concurrency, on a fresh channel, before anything is measured. */
const warmupMs = 1_000;
/**
 * Measured time per side and concurrency (BENCH_SECONDS, default 10: on a shared 2-core machine
 * 5 s runs of the same code spread by ±0.05 in ratio).
 */
const durationMs = readBenchDurationMs('bench:mesh', 10);
/** One uninterrupted stretch of one side; `durationMs / roundMs` rounds per side. */
const roundMs = 1_000;
const roundCount = durationMs / roundMs;
const concurrencies = [1, 64] as const;
const sides = ['bare', 'runtime'] as const;
const ratioTarget = 0.85;
/** Any longer wait for the server child (start-up, or exit after stop) means it is stuck. */
const serverWaitMaxMs = 30_000;
/** Optional: a folder where the server child writes a V8 CPU profile (node --cpu-prof). */
const serverCpuProfileDirectory = process.env['BENCH_SERVER_CPU_PROF_DIR'];
/** Optional: which cases to run, e.g. `runtime:64` to profile one; default all four. */
const casesFilter = process.env['BENCH_CASES'];

type Side = (typeof sides)[number];

interface Measurement {
  readonly side: Side;
  readonly concurrency: number;
  readonly callsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly roundCallsPerSecond: readonly number[];
  readonly failures: number;
  readonly firstFailure: unknown;
}

async function main(): Promise<void> {
  const wanted = selectedCases();
  const workDirectory = await mkdtemp(join(tmpdir(), 'clearmesh-bench-'));
  // Ctrl-C: the throwaway PKI (private keys included) must not outlive the run either.
  const interrupted = (): void => {
    rmSync(workDirectory, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  let server: ServerChild<ServerReady> | undefined;
  try {
    const certsDirectory = join(workDirectory, 'certs');
    await ensureDevPki(certsDirectory);
    server = await startMeshServerChild(certsDirectory);
    const identity = readTlsIdentity(certsDirectory, clientIdentityName);
    printHeader();
    const results: Measurement[] = [];
    for (const concurrency of concurrencies) {
      const chosen = sides.filter((side) => wanted(side, concurrency));
      if (chosen.length === 0) continue;
      const measured = await runConcurrency(concurrency, chosen, server.ready, identity);
      printConcurrency(concurrency, measured);
      results.push(...measured);
    }
    printSummary(results);
  } finally {
    await server?.stop();
    await rm(workDirectory, { recursive: true, force: true });
    process.removeListener('SIGINT', interrupted);
  }
}

function selectedCases(): (side: Side, concurrency: number) => boolean {
  if (casesFilter === undefined || casesFilter === '') return () => true;
  const wanted = new Set(casesFilter.split(','));
  const known = concurrencies.flatMap((concurrency) =>
    sides.map((side) => `${side}:${concurrency}`),
  );
  if (!known.some((name) => wanted.has(name))) {
    throw new ConfigError(`BENCH_CASES=${casesFilter} selects nothing: expected e.g. runtime:64`);
  }
  return (side, concurrency) => wanted.has(`${side}:${concurrency}`);
}

/** Forks bench/mesh-server.ts and waits for the ports it reports over IPC. */
function startMeshServerChild(certsDirectory: string): Promise<ServerChild<ServerReady>> {
  const profiling =
    serverCpuProfileDirectory === undefined
      ? []
      : ['--cpu-prof', '--cpu-prof-dir', serverCpuProfileDirectory];
  return startServerChild<ServerReady>(new URL('./mesh-server.ts', import.meta.url), {
    name: 'bench server',
    arguments: [certsDirectory],
    nodeFlags: profiling,
    waitMaxMs: serverWaitMaxMs,
  });
}

async function runConcurrency(
  concurrency: number,
  chosen: readonly Side[],
  server: ServerReady,
  identity: TlsIdentity,
): Promise<Measurement[]> {
  const entries = chosen.map((side) => ({
    side,
    client: openClient(side, server, identity),
    rounds: [] as Round[],
  }));
  try {
    for (const entry of entries) await runRound(entry.client, concurrency, warmupMs);
    for (let index = 0; index < roundCount; index += 1) {
      // Who goes first alternates too, so neither side always runs right after the other.
      const order = index % 2 === 0 ? entries : [...entries].reverse();
      for (const entry of order) {
        entry.rounds.push(await runRound(entry.client, concurrency, roundMs));
      }
    }
    return entries.map((entry) => summarise(entry.side, concurrency, entry.rounds));
  } finally {
    for (const entry of entries) entry.client.close();
  }
}

function openClient(side: Side, server: ServerReady, identity: TlsIdentity): BenchClient {
  return side === 'bare'
    ? bareNoopClient(server.barePort, identity)
    : runtimeClient(server.runtimePort, identity);
}

/** The internal SDK as services use it: breaker, `read` retry rule, default deadline, metrics. */
function runtimeClient(port: number, identity: TlsIdentity): BenchClient {
  const client = createMeshClient(
    BenchService,
    { noop: read },
    {
      address: `127.0.0.1:${port}`,
      target: 'bench',
      credentials: clientCredentials(identity, serverSpiffeId),
      registry: new Registry(),
    },
  );
  return {
    call: () => client.call.noop(emptyMessage),
    close: () => {
      client.close();
    },
  };
}

function summarise(side: Side, concurrency: number, rounds: readonly Round[]): Measurement {
  const sorted = Float64Array.from(rounds.flatMap((round) => round.latenciesMs)).sort();
  const elapsedMs = rounds.reduce((sum, round) => sum + round.elapsedMs, 0);
  return {
    side,
    concurrency,
    callsPerSecond: sorted.length / (elapsedMs / 1_000),
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    roundCallsPerSecond: rounds.map(
      (round) => round.latenciesMs.length / (round.elapsedMs / 1_000),
    ),
    failures: rounds.reduce((sum, round) => sum + round.failures, 0),
    firstFailure: rounds.find((round) => round.failures > 0)?.firstFailure,
  };
}

function printHeader(): void {
  console.log(
    `mesh benchmark: unary no-op over mTLS, server in a child process, ` +
      `${availableParallelism()} cores shared, node ${process.versions.node}; per side and ` +
      `concurrency: ${warmupMs / 1_000} s warm-up, then ${roundCount} × ${roundMs / 1_000} s ` +
      `rounds alternating bare and runtime`,
  );
}

function printConcurrency(concurrency: number, measured: readonly Measurement[]): void {
  console.log(`concurrency ${concurrency}:`);
  for (const result of measured) {
    const failed =
      result.failures === 0
        ? ''
        : `  ${result.failures} calls FAILED (first: ${describe(result.firstFailure)})`;
    console.log(
      `  ${result.side.padEnd(7)} ${formatRate(result.callsPerSecond).padStart(6)} calls/s  ` +
        `p50 ${formatMs(result.p50Ms)} ms  p99 ${formatMs(result.p99Ms)} ms${failed}`,
    );
  }
  const [bare, runtime] = [
    find(measured, 'bare', concurrency),
    find(measured, 'runtime', concurrency),
  ];
  if (bare === undefined || runtime === undefined) return;
  const roundRatios = runtime.roundCallsPerSecond.map(
    (rate, index) => rate / (bare.roundCallsPerSecond[index] ?? Number.NaN),
  );
  console.log(
    `  per-round ratio runtime/bare: ${Math.min(...roundRatios).toFixed(2)}` +
      `–${Math.max(...roundRatios).toFixed(2)}`,
  );
}

/** One line per concurrency with both sides measured: the ratio runtime/bare against the target. */
function printSummary(results: readonly Measurement[]): void {
  for (const concurrency of concurrencies) {
    const bare = find(results, 'bare', concurrency);
    const runtime = find(results, 'runtime', concurrency);
    if (bare === undefined || runtime === undefined) continue;
    const ratio = runtime.callsPerSecond / bare.callsPerSecond;
    const verdict = ratio >= ratioTarget ? 'OK' : 'BELOW TARGET';
    console.log(
      `concurrency ${concurrency}: ` +
        `bare ${formatRate(bare.callsPerSecond)} calls/s (p99 ${formatMs(bare.p99Ms)} ms), ` +
        `runtime ${formatRate(runtime.callsPerSecond)} calls/s (p99 ${formatMs(runtime.p99Ms)} ms), ` +
        `ratio ${ratio.toFixed(2)} (target ≥ ${ratioTarget}) ${verdict}`,
    );
  }
}

function find(
  results: readonly Measurement[],
  side: Side,
  concurrency: number,
): Measurement | undefined {
  return results.find((result) => result.side === side && result.concurrency === concurrency);
}

// A benchmark reports: a ratio below target still exits 0. Only a broken set-up exits 1.
main().catch((error: unknown) => {
  console.error(`bench:mesh failed: ${describe(error)}`);
  process.exitCode = 1;
});
