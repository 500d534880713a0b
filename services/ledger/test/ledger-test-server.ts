// A real ledger for integration tests: the service (writer, expiry job, handlers) over a schema of
// its own in the run's database, migrated with the real migrations, behind the real mesh runtime
// on 127.0.0.1:0 with mTLS, called through the internal SDK's client as client/admin. Each spec
// file starts its own, in its own schema, so files never see each other's rows.
import { Registry } from 'prom-client';
import { createLedgerClient, type LedgerClient } from '../../../clients/internal/src/index.js';
import { meshCredentialsFor } from '../../../test/harness/test-clients.js';
import { testRun } from '../../../test/harness/test-run.js';
import {
  silentLogger,
  startTestServer,
  type TestServer,
} from '../../../test/harness/test-server.js';
import { connectDatabase, migrateSchema, type Knex } from '../../mesh/src/database.js';
import { migrations } from '../migrations/index.js';
import { ledgerConfigDefaults, type LedgerConfig } from '../src/config.js';
import type { TimeSource } from '../src/ledger-clock.js';
import { createLedgerService, type LedgerService } from '../src/ledger-service.js';

export interface LedgerTestServer {
  readonly db: Knex;
  readonly schema: string;
  readonly service: LedgerService;
  readonly server: TestServer;
  /** The registry the ledger's own metrics are on. */
  readonly registry: Registry;
  /** As client/admin. */
  readonly client: LedgerClient;
  /** A client calling as another dev identity (payment, account, demo, …). */
  clientAs(identity: string): LedgerClient;
  stop(): Promise<void>;
}

export const testPageTokenSecret = 'ledger-tests-page-token-secret';

export async function startLedgerTestServer(options: {
  schema: string;
  config?: Partial<LedgerConfig>;
  timeSource?: TimeSource;
}): Promise<LedgerTestServer> {
  const db = connectDatabase(testRun().database.url, {
    schema: options.schema,
    poolMax: 10,
    applicationName: `clearmesh-ledger-test-${options.schema}`,
  });
  await migrateSchema(db, options.schema, migrations);
  const registry = new Registry();
  const service = createLedgerService({
    db,
    logger: silentLogger,
    registry,
    config: { ...ledgerConfigDefaults, pageTokenSecret: testPageTokenSecret, ...options.config },
    ...(options.timeSource === undefined ? {} : { timeSource: options.timeSource }),
  });
  service.start();
  const server = await startTestServer({ services: [service.registration] });
  const clients: LedgerClient[] = [];
  const clientAs = (identity: string): LedgerClient => {
    const client = createLedgerClient({
      address: server.address,
      credentials: meshCredentialsFor(identity, 'service/ledger'),
      registry: new Registry(),
      defaultTimeoutMs: 20_000,
      // Tests count calls and batches: a retry would blur both.
      retry: { attemptsMax: 1 },
    });
    clients.push(client);
    return client;
  };
  const client = clientAs('admin');
  return {
    db,
    schema: options.schema,
    service,
    server,
    registry,
    client,
    clientAs,
    stop: async () => {
      for (const opened of clients) opened.close();
      await server.shutdown(1_000);
      await service.stop();
      await db.destroy();
    },
  };
}
