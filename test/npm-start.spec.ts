// `npm start` brings the whole mesh up: four processes that answer over mTLS (health, and
// UNIMPLEMENTED for RPCs not built yet), an HTTPS gateway, metrics, migrated schemas, and a clean
// exit 0 on SIGTERM. Ports are free ones picked by the OS, so the test never collides with a
// running mesh.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { once } from 'node:events';
import { request as httpsRequest } from 'node:https';
import pg from 'pg';
import { CaptureMethod, PaymentStatus } from '../gen/grpc-js/clearmesh/payment/v1/payment.js';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthClient,
} from '../gen/grpc-js/health/v1/health.js';
import { migrations as accountMigrations } from '../services/account/migrations/index.js';
import { migrations as ledgerMigrations } from '../services/ledger/migrations/index.js';
import { clientCredentials } from '../services/mesh/src/tls.js';
import { Registry } from 'prom-client';
import {
  createAccountClient,
  createLedgerClient,
  createPaymentClient,
} from '../clients/internal/src/index.js';
import { AccountKind } from '../gen/grpc-js/clearmesh/account/v1/account.js';
import { migrations as paymentMigrations } from '../services/payment/migrations/index.js';
import {
  meshEnvironment,
  startSupervisedMesh,
  type SupervisedMesh,
} from './harness/mesh-processes.js';
import { testRun } from './harness/test-run.js';
import { unaryCall } from './harness/test-server.js';

/** SNI must be a DNS name; servers are checked by SPIFFE ID, not by this name. */
const sniLocalhost = { 'grpc.ssl_target_name_override': 'localhost' };

async function startMesh(): Promise<SupervisedMesh> {
  const env = await meshEnvironment({
    services: ['account', 'ledger', 'payment', 'gateway'],
    drainGraceMs: 2000,
  });
  env['PAYMENT_REDIS_PREFIX'] = `${testRun().redis.keyPrefix}npm-start:`;
  return startSupervisedMesh(env);
}

function httpsGet(
  url: string,
  caPem: Buffer,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      url,
      { ca: caPem, method: init.method ?? 'GET', headers: init.headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString(),
          });
        });
      },
    );
    request.on('error', reject);
    request.end();
  });
}

describe('npm start', function () {
  this.timeout(120_000);
  let mesh: SupervisedMesh;
  const clients: grpc.Client[] = [];

  before(async () => {
    mesh = await startMesh();
  });

  after(async () => {
    for (const client of clients) client.close();
    // A failed start leaves no mesh; the start's own error is the one to see.
    const child = (mesh as SupervisedMesh | undefined)?.child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });

  it('prints the address of every process', () => {
    expect([...mesh.addresses.keys()].sort()).to.deep.equal([
      'account',
      'gateway',
      'ledger',
      'payment',
    ]);
  });

  for (const name of ['account', 'ledger', 'payment']) {
    it(`serves health over mTLS as service/${name}`, async () => {
      const { pki } = testRun();
      const address = mesh.addresses.get(name)?.address ?? '';
      const client = new HealthClient(
        address,
        clientCredentials(pki.identity('admin'), `spiffe://${pki.trustDomain}/service/${name}`),
        sniLocalhost,
      );
      clients.push(client);
      const response = await unaryCall(client.check.bind(client), { service: '' });
      expect(response.status).to.equal(ServingStatus.SERVING);
    });
  }

  it('opens an account and pays into it through the account, ledger and payment processes', async () => {
    const { pki } = testRun();
    const registry = new Registry();
    const account = createAccountClient({
      address: mesh.addresses.get('account')?.address ?? '',
      credentials: clientCredentials(
        pki.identity('admin'),
        `spiffe://${pki.trustDomain}/service/account`,
      ),
      registry,
    });
    const ledger = createLedgerClient({
      address: mesh.addresses.get('ledger')?.address ?? '',
      credentials: clientCredentials(
        pki.identity('admin'),
        `spiffe://${pki.trustDomain}/service/ledger`,
      ),
      registry,
    });
    const payment = createPaymentClient({
      address: mesh.addresses.get('payment')?.address ?? '',
      credentials: clientCredentials(
        pki.identity('admin'),
        `spiffe://${pki.trustDomain}/service/payment`,
      ),
      registry,
    });
    try {
      const { account: opened } = await account.call.openAccount({
        requestId: `npm-start-${testRun().runId}`,
        ownerId: 'owner-1',
        currency: 'EUR',
        kind: AccountKind.ACCOUNT_KIND_CUSTOMER,
        overdraftLimit: 0n,
        displayName: 'smoke',
        metadata: {},
      });
      const accountId = opened?.accountId ?? '';
      const { accounts } = await ledger.call.lookupAccounts({ accountIds: [accountId] });
      expect(accounts.map((found) => [found.id, found.currency])).to.deep.equal([
        [accountId, 'EUR'],
      ]);
      const { account: read } = await account.call.getAccount({ accountId });
      expect(read?.balance).to.deep.equal({ posted: 0n, pending: 0n, available: 0n });

      // Money moves through payment → account and ledger, each a real process over mTLS.
      const { account: settlement } = await account.call.openAccount({
        requestId: `npm-start-settlement-${testRun().runId}`,
        ownerId: 'clearmesh',
        currency: 'EUR',
        kind: AccountKind.ACCOUNT_KIND_SETTLEMENT,
        overdraftLimit: 0n,
        displayName: 'settlement',
        metadata: {},
      });
      const paid = await payment.call.createPayment({
        idempotencyKey: `npm-start-fund-${testRun().runId}`,
        payerAccountId: settlement?.accountId ?? '',
        payeeAccountId: accountId,
        amount: { amount: 1_250n, currency: 'EUR' },
        captureMethod: CaptureMethod.CAPTURE_METHOD_AUTOMATIC,
        authorizationTtlSeconds: 0,
        description: 'smoke',
        reference: '',
        metadata: {},
      });
      expect(paid.payment?.status).to.equal(PaymentStatus.PAYMENT_STATUS_SUCCEEDED);
      const { account: funded } = await account.call.getAccount({ accountId });
      expect(funded?.balance?.posted).to.equal(1_250n);
    } finally {
      account.close();
      ledger.close();
      payment.close();
    }
  });

  it('answers HTTPS on the gateway, with grpc-web statuses on gRPC paths', async () => {
    const { pki } = testRun();
    const base = `https://${mesh.addresses.get('gateway')?.address ?? ''}`;
    const caPem = pki.identity('admin').caPem;
    const health = await httpsGet(`${base}/healthz`, caPem);
    expect(health.status).to.equal(200);
    expect(JSON.parse(health.body)).to.deep.equal({ status: 'SERVING' });
    const call = await httpsGet(`${base}/clearmesh.payment.v1.PaymentService/GetPayment`, caPem, {
      method: 'POST',
      headers: { 'content-type': 'application/grpc-web+proto' },
    });
    expect(call.status).to.equal(200);
    // No bearer token: the gateway refuses before forwarding.
    expect(call.headers['grpc-status']).to.equal(String(grpc.status.UNAUTHENTICATED));
  });

  it('serves Prometheus metrics on each metrics port', async () => {
    for (const [name, { metrics }] of mesh.addresses) {
      const response = await fetch(`http://${metrics}/metrics`);
      const body = await response.text();
      expect(response.status, name).to.equal(200);
      expect(body, name).to.match(/^process_cpu_user_seconds_total\{service="\w+"\} /m);
    }
  });

  it('has applied every migration of each schema', async () => {
    const client = new pg.Client({ connectionString: testRun().database.url });
    await client.connect();
    try {
      const expected = {
        account: accountMigrations,
        ledger: ledgerMigrations,
        payment: paymentMigrations,
      };
      for (const [schema, migrations] of Object.entries(expected)) {
        const result = await client.query<{ name: string }>(
          `SELECT name FROM ${pg.escapeIdentifier(schema)}.knex_migrations ORDER BY id`,
        );
        expect(
          result.rows.map((row) => row.name),
          schema,
        ).to.deep.equal(migrations.map((migration) => migration.name));
      }
    } finally {
      await client.end();
    }
  });

  it('stops every process and exits 0 on SIGTERM', async () => {
    const exited = once(mesh.child, 'exit');
    mesh.child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).to.equal(0);
    expect(mesh.output).to.include('stopped');
    for (const { metrics } of mesh.addresses.values()) {
      const refused = await fetch(`http://${metrics}/metrics`).then(
        () => false,
        () => true,
      );
      expect(refused, metrics).to.equal(true);
    }
  });
});
