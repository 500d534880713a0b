// Clients for tests: the internal SDK's client for the echo service (as production code would
// call it), and a raw grpc-js call for tests that must see the wire without the SDK in between.
import * as grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import {
  ClientError,
  createMeshClient,
  read,
  type BreakerOptions,
  type MeshClient,
  type RetryOptions,
} from '../../clients/internal/src/index.js';
import { clientCredentials, type TlsIdentity } from '../../services/mesh/src/tls.js';
import { EchoClient, EchoService, type EchoRequest, type EchoResponse } from './echo-service.js';
import { testRun } from './test-run.js';

export type EchoMeshClient = MeshClient<typeof EchoService>;

export function meshCredentialsFor(
  identity: string | TlsIdentity,
  server: string = 'service/ledger',
): grpc.ChannelCredentials {
  const { pki } = testRun();
  const tls = typeof identity === 'string' ? pki.identity(identity) : identity;
  return clientCredentials(tls, `spiffe://${pki.trustDomain}/${server}`);
}

/** The SDK's client for the echo service at `address`, calling as `identity` (default admin). */
export function echoMeshClient(
  address: string,
  options: {
    identity?: string;
    server?: string;
    registry?: Registry;
    breaker?: Partial<BreakerOptions>;
    retry?: Partial<RetryOptions>;
    rule?: 'read' | 'never';
  } = {},
): EchoMeshClient {
  return createMeshClient(EchoService, options.rule === 'never' ? {} : { echo: read }, {
    address,
    target: 'echo',
    credentials: meshCredentialsFor(options.identity ?? 'admin', options.server),
    registry: options.registry ?? new Registry(),
    ...(options.breaker === undefined ? {} : { breaker: options.breaker }),
    ...(options.retry === undefined ? {} : { retry: options.retry }),
  });
}

/** One echo call straight through grpc-js; closes its channel afterwards. */
export async function rawEcho(
  address: string,
  credentials: grpc.ChannelCredentials,
  request: EchoRequest,
  options: { deadlineMs?: number | null; metadata?: Record<string, string> } = {},
): Promise<EchoResponse> {
  const client = new EchoClient(address, credentials, {
    'grpc.ssl_target_name_override': 'localhost',
  });
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
  const deadline =
    options.deadlineMs === null ? Infinity : Date.now() + (options.deadlineMs ?? 5_000);
  try {
    return await new Promise<EchoResponse>((resolve, reject) => {
      client.makeUnaryRequest(
        EchoService.echo.path,
        EchoService.echo.requestSerialize,
        EchoService.echo.responseDeserialize,
        request,
        metadata,
        { deadline },
        (error, response) => {
          if (error === null && response !== undefined) resolve(response);
          else reject(error ?? new Error('no response'));
        },
      );
    });
  } finally {
    client.close();
  }
}

/** The ClientError a call of the SDK failed with; fails the test if it succeeded. */
export async function clientErrorOf(call: Promise<unknown>): Promise<ClientError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof ClientError))
    throw new Error(`expected a ClientError, got ${String(error)}`);
  return error;
}
