// A real gateway for integration tests: the real account service and ledger (in-process, real
// mTLS, the run's database), a payment stand-in (a real mesh server presenting service/payment,
// whose handlers are written here so that streams, errors and deadlines are deterministic before
// and independent of the real payment service), and the gateway on 127.0.0.1:0 calling both
// through the internal SDK as service/gateway, its rate limits shared in the run's Redis (under a
// prefix of the mesh's own; further replicas share them). Raw HTTPS helpers speak HTTP/1.1 or
// HTTP/2.
import * as grpc from '@grpc/grpc-js';
import { EventEmitter, once } from 'node:events';
import { connect, constants as http2constants } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { Registry } from 'prom-client';
import {
  createAccountClient,
  createPaymentClient,
  type AccountClient,
  type PaymentClient,
} from '../../../clients/internal/src/index.js';
import {
  CaptureMethod,
  PaymentFailureReason,
  PaymentStatus,
  type Payment,
} from '../../../gen/grpc-js/clearmesh/payment/v1/payment.js';
import { PaymentServiceService } from '../../../gen/grpc-js/clearmesh/payment/v1/payment_service.js';
import { meshCredentialsFor } from '../../../test/harness/test-clients.js';
import { testRun } from '../../../test/harness/test-run.js';
import { silentLogger, testPolicy } from '../../../test/harness/test-server.js';
import {
  startAccountTestMesh,
  type AccountTestMesh,
} from '../../account/test/account-test-mesh.js';
import { MeshError } from '../../mesh/src/errors.js';
import type { CallContext, PartnerIdentity } from '../../mesh/src/rpc-runtime.js';
import {
  notImplementedHandlers,
  serviceRegistration,
  startMeshServer,
  type MeshServer,
} from '../../mesh/src/server.js';
import { connectRedis } from '../../mesh/src/redis-client.js';
import { serverCredentials } from '../../mesh/src/tls.js';
import { gatewayConfigDefaults, type GatewayConfig } from '../src/config.js';
import { startGateway } from '../src/gateway.js';
import type { GatewayServer } from '../src/https-server.js';

export interface RecordedCall {
  readonly method: string;
  readonly principal: string;
  readonly partner: PartnerIdentity | undefined;
  readonly deadline: Date;
  /** When the stand-in's handler started. */
  readonly receivedAtMs: number;
  readonly request: unknown;
}

export interface GatewayTestMesh {
  readonly accounts: AccountTestMesh;
  readonly admin: AccountClient;
  readonly gateway: GatewayServer;
  readonly baseUrl: string;
  readonly registry: Registry;
  /** Calls that reached the payment stand-in, oldest first. */
  readonly paymentCalls: RecordedCall[];
  /** Emits 'waiting' when a slow stand-in call waits for its end, and 'aborted' (the method name)
   * when it learns that the call was cancelled. */
  readonly paymentEvents: EventEmitter;
  createPartner(scopes: readonly string[]): Promise<PartnerCredential>;
  /** Another gateway replica over the same services and rate limits; stopped with the mesh. */
  startReplica(): Promise<{ readonly baseUrl: string }>;
  stop(): Promise<void>;
}

export interface PartnerCredential {
  readonly partnerId: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** The payment every stand-in RPC answers, with the requested id. */
export function standInPayment(paymentId: string, status: PaymentStatus): Payment {
  return {
    paymentId,
    idempotencyKey: 'key-1',
    payerAccountId: '018f0000-0000-7000-8000-000000000001',
    payeeAccountId: '018f0000-0000-7000-8000-000000000002',
    amount: { amount: 12_345n, currency: 'EUR' },
    amountCaptured: { amount: 0n, currency: 'EUR' },
    amountRefunded: { amount: 0n, currency: 'EUR' },
    captureMethod: CaptureMethod.CAPTURE_METHOD_AUTOMATIC,
    status,
    failureReason: PaymentFailureReason.PAYMENT_FAILURE_REASON_UNSPECIFIED,
    ledgerTransferIds: [],
    createdAt: new Date('2026-01-01T00:00:00Z'),
    updatedAt: new Date('2026-01-01T00:00:00Z'),
    description: 'stand-in',
    reference: '',
    metadata: {},
  };
}

/** How many updates (of about 1 KB) WatchPayment of the payment id `many` streams. */
export const manyUpdates = 1_000;

const notFound = (): MeshError =>
  new MeshError(grpc.status.NOT_FOUND, 'PAYMENT_NOT_FOUND', 'no such payment');

function paymentStandIn(calls: RecordedCall[], events: EventEmitter) {
  const record = (method: string, request: unknown, context: CallContext): void => {
    calls.push({
      method,
      principal: context.principal.id,
      partner: context.partner,
      deadline: context.deadline,
      receivedAtMs: Date.now(),
      request,
    });
  };
  return serviceRegistration(PaymentServiceService, {
    ...notImplementedHandlers(PaymentServiceService),
    getPayment: async (request, context) => {
      record('GetPayment', request, context);
      if (request.paymentId === 'missing') throw notFound();
      if (request.paymentId === 'slow') {
        // Answers only when the call ends: the deadline the gateway propagated, or a cancel.
        const aborted = once(context.signal, 'abort');
        events.emit('waiting', 'GetPayment');
        await aborted;
        events.emit('aborted', 'GetPayment');
      }
      return { payment: standInPayment(request.paymentId, PaymentStatus.PAYMENT_STATUS_SUCCEEDED) };
    },
    createPayment: (request, context) => {
      record('CreatePayment', request, context);
      return Promise.resolve({
        payment: standInPayment('created', PaymentStatus.PAYMENT_STATUS_SUCCEEDED),
      });
    },
    watchPayment: async function* (request, context) {
      record('WatchPayment', request, context);
      if (request.paymentId === 'missing') throw notFound();
      yield { payment: standInPayment(request.paymentId, PaymentStatus.PAYMENT_STATUS_PENDING) };
      if (request.paymentId === 'many') {
        // Far more than the HTTP/2 windows hold: the gateway must wait for the partner to read.
        for (let update = 0; update < manyUpdates; update += 1) {
          const payment = standInPayment(request.paymentId, PaymentStatus.PAYMENT_STATUS_PENDING);
          yield { payment: { ...payment, description: `update ${update} ${'.'.repeat(1_000)}` } };
        }
        return;
      }
      if (request.paymentId === 'forever') {
        // Never final: waits until the call is cancelled.
        await once(context.signal, 'abort');
        events.emit('aborted', 'WatchPayment');
        return;
      }
      if (request.paymentId === 'fails-midway') {
        throw new MeshError(grpc.status.FAILED_PRECONDITION, 'INVALID_STATE', 'stand-in failure');
      }
      yield {
        payment: standInPayment(request.paymentId, PaymentStatus.PAYMENT_STATUS_REQUIRES_CAPTURE),
      };
      yield { payment: standInPayment(request.paymentId, PaymentStatus.PAYMENT_STATUS_SUCCEEDED) };
    },
  });
}

export async function startGatewayTestMesh(
  options: {
    schema: string;
    config?: Partial<GatewayConfig>;
  } = { schema: 'gateway_test' },
): Promise<GatewayTestMesh> {
  const { pki } = testRun();
  const accounts = await startAccountTestMesh({ schema: options.schema });
  const paymentCalls: RecordedCall[] = [];
  const paymentEvents = new EventEmitter();
  const payment: MeshServer = await startMeshServer({
    address: { host: '127.0.0.1', port: 0 },
    credentials: serverCredentials(pki.identity('payment')),
    services: [paymentStandIn(paymentCalls, paymentEvents)],
    policy: testPolicy(),
    trustDomain: pki.trustDomain,
    registry: new Registry(),
    logger: silentLogger,
  });
  const registry = new Registry();
  const account: AccountClient = createAccountClient({
    address: accounts.accountAddress,
    credentials: meshCredentialsFor('gateway', 'service/account'),
    registry,
  });
  const paymentClient: PaymentClient = createPaymentClient({
    address: payment.address,
    credentials: meshCredentialsFor('gateway', 'service/payment'),
    registry,
  });
  const redis = connectRedis(
    testRun().redis.url,
    { name: 'test rate limit Redis', whileDown: 'rate limits are per replica' },
    { commandTimeoutMs: 1_000, registry },
  );
  // Until it is ready every limit would be decided locally, and tests count shared decisions.
  await once(redis, 'ready');
  const config = {
    ...gatewayConfigDefaults,
    rateLimitKeyPrefix: `${testRun().redis.keyPrefix}${options.schema}:ratelimit:`,
    ...options.config,
  };
  const startReplica = (replicaRegistry: Registry): Promise<GatewayServer> =>
    startGateway({
      address: { host: '127.0.0.1', port: 0 },
      identity: pki.identity('gateway'),
      config,
      account,
      payment: paymentClient,
      redis,
      registry: replicaRegistry,
      logger: silentLogger,
    });
  const gateway = await startReplica(registry);
  const replicas: GatewayServer[] = [];
  const admin = accounts.clientAs('admin');
  return {
    accounts,
    admin,
    gateway,
    baseUrl: `https://127.0.0.1:${gateway.port}`,
    registry,
    paymentCalls,
    paymentEvents,
    createPartner: async (scopes) => {
      const created = await admin.call.createPartner({
        displayName: 'Test bank',
        scopes: [...scopes],
      });
      if (created.partner === undefined) throw new Error('CreatePartner answered no partner');
      return {
        partnerId: created.partner.partnerId,
        clientId: created.partner.clientId,
        clientSecret: created.clientSecret,
      };
    },
    startReplica: async () => {
      const replica = await startReplica(new Registry());
      replicas.push(replica);
      return { baseUrl: `https://127.0.0.1:${replica.port}` };
    },
    stop: async () => {
      for (const replica of replicas) await replica.shutdown(0);
      await gateway.shutdown(0);
      redis.disconnect();
      account.close();
      paymentClient.close();
      await payment.shutdown(0);
      await accounts.stop();
    },
  };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export interface RawRequest {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as it is; an array is sent in separate writes (chunks on the wire). */
  readonly body?: Buffer | string | readonly (Buffer | string)[];
  readonly http2?: boolean;
}

/** One HTTPS exchange over HTTP/1.1 (default) or HTTP/2, trusting the run's mesh CA. */
export function rawRequest(url: string, request: RawRequest = {}): Promise<RawResponse> {
  const bodyParts = request.body === undefined ? [] : [request.body].flat();
  const ca = testRun().pki.identity('admin').caPem;
  if (request.http2 === true) return http2Request(url, request, bodyParts, ca);
  return new Promise((resolve, reject) => {
    const outgoing = httpsRequest(
      url,
      { method: request.method ?? 'POST', headers: request.headers, ca, agent: false },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () => {
          resolve({
            status: incoming.statusCode ?? 0,
            headers: incoming.headers,
            body: Buffer.concat(chunks),
          });
        });
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    for (const part of bodyParts) outgoing.write(part);
    outgoing.end();
  });
}

function http2Request(
  url: string,
  request: RawRequest,
  bodyParts: readonly (Buffer | string)[],
  ca: Buffer,
): Promise<RawResponse> {
  const target = new URL(url);
  const session = connect(target.origin, { ca });
  return new Promise<RawResponse>((resolve, reject) => {
    session.on('error', reject);
    const stream = session.request({
      [http2constants.HTTP2_HEADER_METHOD]: request.method ?? 'POST',
      [http2constants.HTTP2_HEADER_PATH]: target.pathname,
      ...request.headers,
    });
    let status = 0;
    let headers: Record<string, string | string[] | undefined> = {};
    const chunks: Buffer[] = [];
    stream.on('response', (received) => {
      status = Number(received[':status']);
      headers = received;
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      resolve({ status, headers, body: Buffer.concat(chunks) });
    });
    stream.on('error', reject);
    for (const part of bodyParts) stream.write(part);
    stream.end();
  }).finally(() => {
    session.close();
  });
}

/** POST /oauth/token with client_secret_basic; the parsed JSON and status. */
export async function requestToken(
  baseUrl: string,
  credential: Pick<PartnerCredential, 'clientId' | 'clientSecret'>,
  form: Record<string, string> = { grant_type: 'client_credentials' },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const basic = Buffer.from(
    `${encodeURIComponent(credential.clientId)}:${encodeURIComponent(credential.clientSecret)}`,
  ).toString('base64');
  const response = await rawRequest(`${baseUrl}/oauth/token`, {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${basic}`,
    },
    body: new URLSearchParams(form).toString(),
  });
  return {
    status: response.status,
    body: JSON.parse(response.body.toString()) as Record<string, unknown>,
  };
}

/** A token with all the partner's scopes (or `scope`), failing the test if none is issued. */
export async function accessTokenFor(
  baseUrl: string,
  credential: Pick<PartnerCredential, 'clientId' | 'clientSecret'>,
  scope?: string,
): Promise<string> {
  const form: Record<string, string> = { grant_type: 'client_credentials' };
  if (scope !== undefined) form['scope'] = scope;
  const { status, body } = await requestToken(baseUrl, credential, form);
  if (status !== 200 || typeof body['access_token'] !== 'string') {
    throw new Error(`no token: ${status} ${JSON.stringify(body)}`);
  }
  return body['access_token'];
}
