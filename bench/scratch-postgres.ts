// The benchmarks' Postgres: scratch databases created and dropped on the server the benchmark is
// pointed at (BENCH_DATABASE_URL), so a run never touches dev or test data, and the baseline every
// database benchmark is a ratio to: pgbench's TPC-B on a fresh scale-10 database of that server,
// measured in the same run for the same duration.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { formatRate } from './report-format.js';

/** The server Postgres (BENCH_DATABASE_URL); scratch databases are created next to its own. */
export const benchServerUrl =
  process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const pgbenchDatabase = 'clearmesh_bench_pgbench';
const pgbenchScale = 10;
const pgbenchClients = 32;
const pgbenchThreads = 2;

/** The URL of `database` on the benchmark's server. */
export function databaseUrl(database: string): string {
  const url = new URL(benchServerUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function onServer<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: benchServerUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(name: string): Promise<void> {
  await onServer((client) =>
    client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`),
  );
}

/** A scratch database, empty: one a crashed run left behind is dropped first. */
export async function recreateDatabase(name: string): Promise<void> {
  await dropDatabase(name);
  await onServer((client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
}

/** pgbench's TPC-B-like script on a fresh scale-10 database for `durationMs`; answers tps. */
export async function runPgbench(durationMs: number): Promise<number> {
  const run = promisify(execFile);
  const target = databaseUrl(pgbenchDatabase);
  await recreateDatabase(pgbenchDatabase);
  try {
    await run('pgbench', ['-i', '-q', '-s', String(pgbenchScale), target]);
    const { stdout } = await run('pgbench', [
      ...['-c', String(pgbenchClients), '-j', String(pgbenchThreads)],
      ...['-T', String(durationMs / 1_000), '-n', target],
    ]);
    const tps = /tps = ([\d.]+)/.exec(stdout)?.[1];
    if (tps === undefined) throw new Error(`pgbench printed no tps:\n${stdout}`);
    return Number(tps);
  } finally {
    await dropDatabase(pgbenchDatabase);
  }
}

/** The baseline's report line, the same in every benchmark. */
export function describePgbench(tps: number, durationMs: number): string {
  return (
    `pgbench TPC-B (scale ${pgbenchScale}, ${pgbenchClients} clients, ${pgbenchThreads} ` +
    `threads, ${durationMs / 1_000} s): ${formatRate(tps)} tps`
  );
}
