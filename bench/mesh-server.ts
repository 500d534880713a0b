// The server side of the mesh benchmark (bench/mesh.ts), run as a child process because in
// production callers never share the server's event loop. It serves one no-op RPC twice, with the
// same mTLS certificate: on a plain grpc.Server with a raw handler ("bare"), and on a Clearmesh
// server behind the full RPC runtime ("runtime"). It reports both ports over IPC, then exits when
// the parent says stop or goes away.
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { devNull } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { ServerStop } from './server-child.js';
import { createLogger, logDestination, type Logger } from '../services/mesh/src/logger.js';
import { Registry } from 'prom-client';
import {
  AuthorizationPolicy,
  defaultPolicyPath,
} from '../services/mesh/src/authorization-policy.js';
import { trustDomainDefault } from '../services/mesh/src/dev-pki.js';
import { meshMethodPaths } from '../services/mesh/src/service-catalog.js';
import {
  methodPathsOf,
  serviceRegistration,
  startMeshServer,
} from '../services/mesh/src/server.js';
import { readTlsIdentity, serverCredentials } from '../services/mesh/src/tls.js';

/** Bench messages are raw bytes: the codec costs nothing, so only the RPC path is measured. */
export type BenchMessage = Buffer;
export const emptyMessage: BenchMessage = Buffer.alloc(0);
const identityCodec = (message: BenchMessage): BenchMessage => message;

/** One unary no-op RPC; bare and runtime use this very definition on both sides. */
export const BenchService = {
  noop: {
    path: '/clearmesh.bench.v1.BenchService/Noop',
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: identityCodec,
    requestDeserialize: identityCodec,
    responseSerialize: identityCodec,
    responseDeserialize: identityCodec,
  },
};

/** The identities the benchmark uses: payment calling ledger, a production-shaped pair. */
export const serverIdentityName = 'ledger';
export const clientIdentityName = 'payment';
export const serverSpiffeId = `spiffe://${trustDomainDefault}/service/${serverIdentityName}`;

export interface ServerReady {
  readonly kind: 'ready';
  readonly barePort: number;
  readonly runtimePort: number;
}

const loopback = '127.0.0.1';

/** A plain grpc.Server with library defaults and a raw handler: the baseline. */
async function startBareServer(
  credentials: grpc.ServerCredentials,
): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  server.addService(BenchService, {
    noop: (_call: unknown, callback: grpc.sendUnaryData<BenchMessage>) => {
      callback(null, emptyMessage);
    },
  });
  return { server, port: await bind(server, `${loopback}:0`, credentials) };
}

function bind(
  server: grpc.Server,
  address: string,
  credentials: grpc.ServerCredentials,
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (error, port) => {
      if (error === null) resolve(port);
      else reject(error);
    });
  });
}

/** The default policy plus one rule: service/payment may call the bench service. */
function benchPolicy(): AuthorizationPolicy {
  const document = JSON.parse(readFileSync(defaultPolicyPath, 'utf8')) as { rules: unknown[] };
  document.rules.push({
    principals: [`service/${clientIdentityName}`],
    methods: ['/clearmesh.bench.v1.BenchService/*'],
  });
  const knownMethods = [...meshMethodPaths, ...methodPathsOf([BenchService])];
  return AuthorizationPolicy.parse(document, knownMethods, 'bench policy');
}

/**
 * The services' own logger (services/mesh/src/logger.ts) at info, so every RPC pays for building,
 * serialising and writing its log line as in production; the null device takes the writes
 * without a terminal or a pipe reader adding noise.
 */
function benchLogger(): Logger {
  return createLogger('bench', {
    level: process.env['BENCH_LOG_LEVEL'] ?? 'info',
    destination: logDestination(devNull),
  });
}

async function main(certsDirectory: string): Promise<void> {
  const identity = readTlsIdentity(certsDirectory, serverIdentityName);
  const bare = await startBareServer(serverCredentials(identity));
  const runtime = await startMeshServer({
    address: { host: loopback, port: 0 },
    credentials: serverCredentials(identity),
    services: [serviceRegistration(BenchService, { noop: () => Promise.resolve(emptyMessage) })],
    policy: benchPolicy(),
    trustDomain: trustDomainDefault,
    registry: new Registry(),
    logger: benchLogger(),
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    bare.server.forceShutdown();
    // Exit rather than wait for the loop to empty: quick, and --cpu-prof still writes its profile.
    void runtime.shutdown(0).then(() => process.exit(0));
  };
  process.on('message', (message: Partial<ServerStop>) => {
    if (message.kind === 'stop') stop();
  });
  // The parent is gone (crashed, or Ctrl-C): nobody will send stop.
  process.on('disconnect', stop);
  const ready: ServerReady = { kind: 'ready', barePort: bare.port, runtimePort: runtime.port };
  process.send?.(ready);
}

const isEntryPoint =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntryPoint) {
  const certsDirectory = process.argv[2];
  if (certsDirectory === undefined) {
    console.error('usage: mesh-server.ts <certificates folder> (started by bench/mesh.ts)');
    process.exit(2);
  }
  main(certsDirectory).catch((error: unknown) => {
    console.error('bench server failed to start:', error);
    process.exit(1);
  });
}
