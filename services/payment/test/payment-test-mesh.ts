// A real payment service over a real account service and ledger for integration tests, each
// behind the real mesh runtime with mTLS, in schemas of their own in the run's database. The
// payment service calls the account service and the ledger through the internal SDK as
// service/payment, and takes its locks in a real Redis (the run's, under the run's key prefix, or
// a private one a fault test restarts).
import { Registry } from 'prom-client';
import {
  createAccountClient,
  createPaymentClient,
  createLedgerClient,
  type AccountClient,
  type CallOptions,
  type PaymentClient,
} from '../../../clients/internal/src/index.js';
import { AccountKind } from '../../../gen/grpc-js/clearmesh/account/v1/account.js';
import { CaptureMethod, type Payment } from '../../../gen/grpc-js/clearmesh/payment/v1/payment.js';
import { meshCredentialsFor } from '../../../test/harness/test-clients.js';
import { testRun } from '../../../test/harness/test-run.js';
import { silentLogger } from '../../../test/harness/test-server.js';
import {
  startAccountTestMesh,
  type AccountTestMesh,
} from '../../account/test/account-test-mesh.js';
import { AuthorizationPolicy, defaultPolicyPath } from '../../mesh/src/authorization-policy.js';
import { connectDatabase, migrateSchema, type Knex } from '../../mesh/src/database.js';
import type { PartnerIdentity } from '../../mesh/src/rpc-runtime.js';
import { meshMethodPaths } from '../../mesh/src/service-catalog.js';
import { startMeshServer, type MeshServer } from '../../mesh/src/server.js';
import { serverCredentials } from '../../mesh/src/tls.js';
import { migrations } from '../migrations/index.js';
import { paymentConfigDefaults } from '../src/config.js';
import { connectLockRedis } from '../src/coordination/index.js';
import type { PaymentHooks } from '../src/payment-processor.js';
import {
  createPaymentService,
  type PaymentService,
  type PaymentServiceOptions,
} from '../src/payment-service.js';

export interface PaymentTestMesh {
  readonly db: Knex;
  readonly accounts: AccountTestMesh;
  readonly payment: PaymentService;
  readonly registry: Registry;
  readonly paymentAddress: string;
  /** A PaymentService client as a dev identity; no retries, so tests see every answer. */
  paymentAs(identity: string, options?: { timeoutMs?: number }): PaymentClient;
  /** An AccountService client as a dev identity. */
  accountAs(identity: string): AccountClient;
  /** Opens an account as client/admin and answers its id. */
  openAccount(options?: {
    owner?: string;
    currency?: string;
    kind?: 'CUSTOMER' | 'SETTLEMENT';
    overdraft?: bigint;
  }): Promise<string>;
  /** Pays `amount` into `accountId` from a SETTLEMENT account of its currency, as client/admin. */
  fund(accountId: string, amount: bigint, currency?: string): Promise<Payment>;
  /** The ledger balance (credits − debits, posted) and the amount held of an account. */
  balances(accountId: string): Promise<{ posted: bigint; held: bigint }>;
  stop(): Promise<void>;
}

let sequence = 0;

export async function startPaymentTestMesh(options: {
  schema: string;
  /** Redis for locks; the run's shared Redis by default. */
  redisUrl?: string;
  config?: Partial<PaymentServiceOptions['config']>;
  hooks?: PaymentHooks;
}): Promise<PaymentTestMesh> {
  const run = testRun();
  const accounts = await startAccountTestMesh({ schema: `${options.schema}_account` });
  const db = connectDatabase(run.database.url, {
    schema: options.schema,
    poolMax: 10,
    applicationName: `test-${options.schema}`,
  });
  await migrateSchema(db, options.schema, migrations);
  const registry = new Registry();
  const redis = connectLockRedis(options.redisUrl ?? run.redis.url, {
    commandTimeoutMs: 200,
    registry,
  });
  const clients: { close(): void }[] = [];
  const ledger = createLedgerClient({
    address: accounts.ledgerAddress,
    credentials: meshCredentialsFor('payment', 'service/ledger'),
    registry,
    defaultTimeoutMs: 5_000,
    breaker: { resetTimeoutMs: 200 },
  });
  const accountClient = createAccountClient({
    address: accounts.accountAddress,
    credentials: meshCredentialsFor('payment', 'service/account'),
    registry,
    defaultTimeoutMs: 5_000,
  });
  clients.push(ledger, accountClient);
  const payment = createPaymentService({
    db,
    redis,
    logger: silentLogger,
    registry,
    accounts: accountClient,
    ledger,
    config: {
      ...paymentConfigDefaults,
      databaseUrl: run.database.url,
      pageTokenSecret: 'payment-tests-page-token-secret',
      redisKeyPrefix: `${run.redis.keyPrefix}${options.schema}:`,
      instanceId: `test-${options.schema}`,
      recoveryIntervalMs: 0,
      ...options.config,
    },
    ...(options.hooks === undefined ? {} : { hooks: options.hooks }),
  });
  await payment.start();
  const server: MeshServer = await startMeshServer({
    address: { host: '127.0.0.1', port: 0 },
    credentials: serverCredentials(run.pki.identity('payment')),
    services: [payment.registration],
    policy: AuthorizationPolicy.load(defaultPolicyPath, meshMethodPaths),
    trustDomain: run.pki.trustDomain,
    registry: new Registry(),
    logger: silentLogger,
  });
  const paymentAs = (identity: string, clientOptions: { timeoutMs?: number } = {}) => {
    const client = createPaymentClient({
      address: server.address,
      credentials: meshCredentialsFor(identity, 'service/payment'),
      registry: new Registry(),
      defaultTimeoutMs: clientOptions.timeoutMs ?? 10_000,
      retry: { attemptsMax: 1 },
    });
    clients.push(client);
    return client;
  };
  const admin = paymentAs('admin');
  const accountAdmin = accounts.clientAs('admin');
  const settlements = new Map<string, string>();
  const openAccount: PaymentTestMesh['openAccount'] = async (account = {}) => {
    sequence += 1;
    const response = await accountAdmin.call.openAccount({
      requestId: `${options.schema}-open-${sequence}`,
      ownerId: account.owner ?? 'owner-1',
      currency: account.currency ?? 'EUR',
      kind:
        account.kind === 'SETTLEMENT'
          ? AccountKind.ACCOUNT_KIND_SETTLEMENT
          : AccountKind.ACCOUNT_KIND_CUSTOMER,
      overdraftLimit: account.overdraft ?? 0n,
      displayName: '',
      metadata: {},
    });
    if (response.account === undefined) throw new Error('no account opened');
    return response.account.accountId;
  };
  return {
    db,
    accounts,
    payment,
    registry,
    paymentAddress: server.address,
    paymentAs,
    accountAs: (identity) => accounts.clientAs(identity),
    openAccount,
    fund: async (accountId, amount, currency = 'EUR') => {
      let settlement = settlements.get(currency);
      if (settlement === undefined) {
        settlement = await openAccount({ owner: 'clearmesh', currency, kind: 'SETTLEMENT' });
        settlements.set(currency, settlement);
      }
      sequence += 1;
      const response = await admin.call.createPayment({
        idempotencyKey: `${options.schema}-fund-${sequence}`,
        payerAccountId: settlement,
        payeeAccountId: accountId,
        amount: { amount, currency },
        captureMethod: CaptureMethod.CAPTURE_METHOD_AUTOMATIC,
        authorizationTtlSeconds: 0,
        description: 'funding',
        reference: '',
        metadata: {},
      });
      if (response.payment === undefined) throw new Error('no funding payment');
      return response.payment;
    },
    balances: async (accountId) => {
      const { accounts: found } = await accounts.ledgerAdmin.call.lookupAccounts({
        accountIds: [accountId],
      });
      const ledgerAccount = found[0];
      if (ledgerAccount === undefined) throw new Error(`no ledger account ${accountId}`);
      return {
        posted: ledgerAccount.creditsPosted - ledgerAccount.debitsPosted,
        held: ledgerAccount.debitsPending,
      };
    },
    stop: async () => {
      for (const client of clients) client.close();
      await server.shutdown(1_000);
      await payment.stop();
      redis.disconnect();
      await db.destroy();
      await accounts.stop();
    },
  };
}

/** Call options of a gateway call acting for `partnerId` with `scopes`. */
export function asPartner(
  partnerId: string,
  scopes: readonly string[] = ['payments:read', 'payments:write'],
): CallOptions {
  const partner: PartnerIdentity = { partnerId, scopes };
  return { partner };
}
