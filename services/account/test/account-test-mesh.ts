// A real account service and a real ledger for integration tests, each behind the real mesh
// runtime with mTLS, in schemas of their own in the run's database and migrated with their real
// migrations. The account service calls the ledger through the internal SDK as service/account.
// The ledger can be stopped and started again on the same port and database, as a crashed and
// restarted ledger process would be.
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import {
  createAccountClient,
  createLedgerClient,
  type AccountClient,
  type LedgerClient,
} from '../../../clients/internal/src/index.js';
import type { PartnerIdentity } from '../../mesh/src/rpc-runtime.js';
import { meshCredentialsFor } from '../../../test/harness/test-clients.js';
import { testRun } from '../../../test/harness/test-run.js';
import { silentLogger } from '../../../test/harness/test-server.js';
import { AuthorizationPolicy, defaultPolicyPath } from '../../mesh/src/authorization-policy.js';
import { connectDatabase, migrateSchema, type Knex } from '../../mesh/src/database.js';
import type { CallOptions } from '../../../clients/internal/src/index.js';
import { meshMethodPaths } from '../../mesh/src/service-catalog.js';
import {
  startMeshServer,
  type MeshServer,
  type ServiceRegistration,
} from '../../mesh/src/server.js';
import { serverCredentials } from '../../mesh/src/tls.js';
import { migrations as ledgerMigrations } from '../../ledger/migrations/index.js';
import { ledgerConfigDefaults } from '../../ledger/src/config.js';
import { createLedgerService, type LedgerService } from '../../ledger/src/ledger-service.js';
import { migrations as accountMigrations } from '../migrations/index.js';
import {
  createAccountService,
  type AccountService,
  type AccountServiceOptions,
} from '../src/account-service.js';
import { accountConfigDefaults } from '../src/config.js';
import type { SigningKeySecrets } from '../src/signing-key-seal.js';

const pageTokenSecret = 'account-tests-page-token-secret';
/** What the test account services seal their private signing keys under. */
export const testSigningKeySecrets: SigningKeySecrets = {
  current: 'account-tests-signing-key-secret-0123456789',
  previous: undefined,
};
/** scrypt N for tests: far below the 2^15 default (which the environment cannot lower below
 * 2^14), so that hashing does not dominate the run. */
export const TEST_SECRET_HASH_COST = 2 ** 10;

export interface AccountTestMesh {
  /** The account service's own database pool (its schema). */
  readonly db: Knex;
  /** The ledger's database pool (its schema). */
  readonly ledgerDb: Knex;
  readonly account: AccountService;
  readonly accountAddress: string;
  /** Where the ledger listens (the same across stopLedger/startLedger). */
  readonly ledgerAddress: string;
  /** As client/admin, straight to the ledger: for checks and for moving money in tests. */
  readonly ledgerAdmin: LedgerClient;
  /** An AccountService client as a dev identity (admin, demo, gateway, payment, …). */
  clientAs(identity: string): AccountClient;
  /** The running ledger service (its writer, expiry job and clock), for tests that drive it. */
  ledgerService(): LedgerService;
  stopLedger(): Promise<void>;
  /** A new ledger process on the same port and database. */
  startLedger(): Promise<void>;
  stop(): Promise<void>;
}

/** The default policy, optionally letting service/gateway change account status too. */
function policy(gatewayChangesStatus: boolean): AuthorizationPolicy {
  const document = JSON.parse(readFileSync(defaultPolicyPath, 'utf8')) as { rules: unknown[] };
  if (gatewayChangesStatus) {
    document.rules.push({
      principals: ['service/gateway'],
      methods: [
        '/clearmesh.account.v1.AccountService/FreezeAccount',
        '/clearmesh.account.v1.AccountService/UnfreezeAccount',
        '/clearmesh.account.v1.AccountService/CloseAccount',
      ],
    });
  }
  return AuthorizationPolicy.parse(document, meshMethodPaths, 'account test policy');
}

interface RunningLedger {
  readonly service: LedgerService;
  readonly server: MeshServer;
}

export async function startAccountTestMesh(options: {
  schema: string;
  gatewayChangesStatus?: boolean;
  /** Settings of the account service beyond the test defaults. */
  config?: Partial<AccountServiceOptions['config']>;
  clock?: () => Date;
}): Promise<AccountTestMesh> {
  const { pki, database } = testRun();
  const connect = (schema: string): Knex =>
    connectDatabase(database.url, { schema, poolMax: 10, applicationName: `test-${schema}` });
  const ledgerSchema = `${options.schema}_ledger`;
  const ledgerDb = connect(ledgerSchema);
  await migrateSchema(ledgerDb, ledgerSchema, ledgerMigrations);
  const db = connect(options.schema);
  await migrateSchema(db, options.schema, accountMigrations);
  const meshPolicy = policy(options.gatewayChangesStatus ?? false);
  const serve = (identity: string, port: number, services: readonly ServiceRegistration[]) =>
    startMeshServer({
      address: { host: '127.0.0.1', port },
      credentials: serverCredentials(pki.identity(identity)),
      services,
      policy: meshPolicy,
      trustDomain: pki.trustDomain,
      registry: new Registry(),
      logger: silentLogger,
    });

  let ledgerPort = 0;
  let ledger: RunningLedger | undefined;
  const startLedger = async (): Promise<void> => {
    const service = createLedgerService({
      db: ledgerDb,
      logger: silentLogger,
      registry: new Registry(),
      config: { ...ledgerConfigDefaults, pageTokenSecret, expiryIntervalMs: 0 },
    });
    service.start();
    const server = await serve('ledger', ledgerPort, [service.registration]);
    ledgerPort = server.port;
    ledger = { service, server };
  };
  const stopLedger = async (): Promise<void> => {
    if (ledger === undefined) return;
    const stopping = ledger;
    ledger = undefined;
    await stopping.server.shutdown(0);
    await stopping.service.stop();
  };
  await startLedger();
  const ledgerAddress = `127.0.0.1:${ledgerPort}`;

  const clients: { close(): void }[] = [];
  const ledgerClient = createLedgerClient({
    address: ledgerAddress,
    credentials: meshCredentialsFor('account', 'service/ledger'),
    registry: new Registry(),
    defaultTimeoutMs: 5_000,
    retry: { attemptsMax: 1 },
    // A stopped ledger opens the breaker; tests restart it and should not wait long for it.
    breaker: { resetTimeoutMs: 200 },
  });
  clients.push(ledgerClient);
  const account = createAccountService({
    db,
    logger: silentLogger,
    ledger: ledgerClient,
    config: {
      ...accountConfigDefaults,
      pageTokenSecret,
      recoveryIntervalMs: 0,
      recoveryGraceMs: 0,
      recoveryBatchMax: 100,
      secretHashCost: TEST_SECRET_HASH_COST,
      signingKeySecrets: testSigningKeySecrets,
      ...options.config,
    },
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const accountServer = await serve('account', 0, [account.registration]);
  const ledgerAdmin = createLedgerClient({
    address: ledgerAddress,
    credentials: meshCredentialsFor('admin', 'service/ledger'),
    registry: new Registry(),
    defaultTimeoutMs: 5_000,
    retry: { attemptsMax: 1 },
  });
  clients.push(ledgerAdmin);
  return {
    db,
    ledgerDb,
    account,
    accountAddress: accountServer.address,
    ledgerAddress,
    ledgerAdmin,
    clientAs: (identity) => {
      const client = createAccountClient({
        address: accountServer.address,
        credentials: meshCredentialsFor(identity, 'service/account'),
        registry: new Registry(),
        defaultTimeoutMs: 10_000,
        retry: { attemptsMax: 1 },
      });
      clients.push(client);
      return client;
    },
    ledgerService: () => {
      if (ledger === undefined) throw new Error('the ledger is stopped');
      return ledger.service;
    },
    stopLedger,
    startLedger,
    stop: async () => {
      for (const client of clients) client.close();
      await accountServer.shutdown(1_000);
      await account.stop();
      await stopLedger();
      await Promise.all([db.destroy(), ledgerDb.destroy()]);
    },
  };
}

/** Call options of a gateway call acting for `partnerId` with `scopes`. */
export function asPartner(
  partnerId: string,
  scopes: readonly string[] = ['accounts:read', 'accounts:write'],
): CallOptions {
  const partner: PartnerIdentity = { partnerId, scopes };
  return { partner };
}
