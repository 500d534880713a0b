// An isolated Postgres database per test run, on the server DATABASE_URL names (default: the local
// one), dropped at the end of the run even when connections are still open.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ensureDatabase } from '../../services/mesh/src/database.js';
import { databaseUrlDefault } from '../../services/mesh/src/topology.js';

export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(runId: string): Promise<TestDatabase> {
  const url = new URL(process.env['DATABASE_URL'] || databaseUrlDefault);
  const name = `clearmesh_test_${runId}`;
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const maintenance = new URL(url);
      maintenance.pathname = '/postgres';
      const client = new pg.Client({ connectionString: maintenance.toString() });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

export function newRunId(): string {
  return `${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}
