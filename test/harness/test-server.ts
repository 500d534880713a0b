// Starts a real mesh server on 127.0.0.1:0 with the run's real certificates, and opens real
// channels to it. Callers stop what they start (after hooks), so no test leaks a listener.
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import {
  AuthorizationPolicy,
  defaultPolicyPath,
} from '../../services/mesh/src/authorization-policy.js';
import { meshMethodPaths } from '../../services/mesh/src/service-catalog.js';
import {
  methodPathsOf,
  serviceRegistration,
  startMeshServer,
  type MeshServer,
  type ServiceRegistration,
} from '../../services/mesh/src/server.js';
import { serverCredentials } from '../../services/mesh/src/tls.js';
import { createEchoHandlers, EchoService } from './echo-service.js';
import { testRun } from './test-run.js';

export const silentLogger = pino({ level: process.env['LOG_LEVEL'] ?? 'silent' });

export const echoRegistration = (
  ...options: Parameters<typeof createEchoHandlers>
): ServiceRegistration => serviceRegistration(EchoService, createEchoHandlers(...options));

/**
 * The default policy plus the test EchoService for service/payment, service/gateway and
 * client/tester (client/admin may call everything already; client/demo may not call Echo).
 */
export function testPolicy(): AuthorizationPolicy {
  const document = JSON.parse(readFileSync(defaultPolicyPath, 'utf8')) as { rules: unknown[] };
  document.rules.push({
    principals: ['service/payment', 'service/gateway', 'client/tester'],
    methods: ['/clearmesh.test.v1.EchoService/*'],
  });
  return AuthorizationPolicy.parse(
    document,
    [...meshMethodPaths, ...methodPathsOf([EchoService])],
    'test policy',
  );
}

export interface TestServer extends MeshServer {
  readonly registry: Registry;
}

export async function startTestServer(options: {
  services?: readonly ServiceRegistration[];
  /** Which dev identity the server presents; default ledger. */
  identity?: string;
  credentials?: grpc.ServerCredentials;
  deadlineMaxMs?: number;
}): Promise<TestServer> {
  const registry = new Registry();
  const server = await startMeshServer({
    address: { host: '127.0.0.1', port: 0 },
    credentials:
      options.credentials ??
      serverCredentials(testRun().pki.identity(options.identity ?? 'ledger')),
    services: options.services ?? [echoRegistration()],
    policy: testPolicy(),
    trustDomain: testRun().pki.trustDomain,
    registry,
    logger: silentLogger,
    ...(options.deadlineMaxMs === undefined ? {} : { deadlineMaxMs: options.deadlineMaxMs }),
  });
  return { ...server, registry };
}

type UnaryMethod<Request, Response> = (
  request: Request,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (error: grpc.ServiceError | null, response: Response) => void,
) => grpc.ClientUnaryCall;

/** One unary call as a promise, with a deadline (every call in the mesh has one). */
export function unaryCall<Request, Response>(
  method: UnaryMethod<Request, Response>,
  request: Request,
  deadlineMs = 5_000,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    method(
      request,
      new grpc.Metadata(),
      { deadline: Date.now() + deadlineMs },
      (error, response) => {
        if (error === null) resolve(response);
        else reject(error);
      },
    );
  });
}

/** The error a raw grpc-js call failed with; fails the test if the call succeeded. */
export async function serviceErrorOf(call: Promise<unknown>): Promise<grpc.ServiceError> {
  const outcome = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (outcome === undefined) throw new Error('expected the call to fail, but it succeeded');
  if (typeof (outcome as Partial<grpc.ServiceError>).code !== 'number') {
    throw new Error('expected a failure with a gRPC status', { cause: outcome });
  }
  return outcome as grpc.ServiceError;
}

/** The status code a call failed with; fails the test if the call succeeded. */
export async function statusOf(call: Promise<unknown>): Promise<grpc.status> {
  return (await serviceErrorOf(call)).code;
}
