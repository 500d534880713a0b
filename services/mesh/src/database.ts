// Postgres access shared by the services: one knex pool per process bound to the service's own
// schema, BIGINT parsed as bigint (money never passes through a JS number), and forward-only
// migrations listed in code so that they run the same under tsx, tests and a compiled build.
import knexModule from 'knex';
import type { Knex } from 'knex';
import pg from 'pg';

export type { Knex };

// int8 (BIGINT) → bigint for every connection of this process. Without this, pg returns strings.
pg.types.setTypeParser(pg.types.builtins.INT8, (text) => BigInt(text));

export interface Migration {
  /** Sorted by name: a timestamp prefix, then what it does (20261129000000_create_schema). */
  readonly name: string;
  up(db: Knex): Promise<void>;
}

export function connectDatabase(
  url: string,
  options: { schema: string; poolMax: number; applicationName: string },
): Knex {
  return knexModule({
    client: 'pg',
    connection: { connectionString: url, application_name: options.applicationName },
    searchPath: [options.schema],
    pool: { min: 0, max: options.poolMax },
  });
}

/** Creates `schema` if missing and applies its pending migrations, under knex's migration lock. */
export async function migrateSchema(
  db: Knex,
  schema: string,
  migrations: readonly Migration[],
): Promise<string[]> {
  await db.raw('CREATE SCHEMA IF NOT EXISTS ??', [schema]);
  const source: Knex.MigrationSource<Migration> = {
    getMigrations: () =>
      Promise.resolve([...migrations].sort((a, b) => a.name.localeCompare(b.name))),
    getMigrationName: (migration) => migration.name,
    getMigration: (migration) =>
      Promise.resolve({
        up: (knex: Knex) => migration.up(knex),
        // knex insists on a down; ours are forward-only, so rolling back is refused loudly.
        down: () => Promise.reject(new Error(`${migration.name} is forward-only`)),
      }),
  };
  const [, applied] = (await db.migrate.latest({
    migrationSource: source,
    schemaName: schema,
    tableName: 'knex_migrations',
    disableMigrationsListValidation: false,
  })) as [number, string[]];
  return applied;
}

/** Creates the database named in `url` when the server does not have it yet. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (name === '') throw new Error('DATABASE_URL names no database');
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount !== 0) return false;
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    return true;
  } catch (error) {
    // Another process created it between our check and our CREATE: that is the outcome we wanted.
    if ((error as { code?: string }).code === '42P04') return false;
    throw error;
  } finally {
    await client.end();
  }
}

/** True when a Postgres server answers at `url`'s host and port (any database, any error after connect). */
export async function postgresAnswers(url: string, timeoutMs: number): Promise<boolean> {
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({
    connectionString: maintenance.toString(),
    connectionTimeoutMillis: timeoutMs,
  });
  try {
    await client.connect();
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    // Connection-level failures mean nothing answers; anything else means a server is there.
    return !['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', undefined].includes(code);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The first migration of every schema. The runner creates the schema itself; a service's tables
 * arrive in its own later migrations, so this one only records the starting point.
 */
export const baselineMigration: Migration = {
  name: '20261129000000_baseline',
  up: () => Promise.resolve(),
};
