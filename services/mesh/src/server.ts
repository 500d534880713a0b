// A gRPC server of the mesh: mTLS only, grpc.health.v1.Health on every server, explicit limits,
// and a graceful drain (health NOT_SERVING, stop accepting, let in-flight calls finish within a
// grace period, then cut the rest).
import * as grpc from '@grpc/grpc-js';
import { formatAddress, type HostPort } from './config.js';
import { HealthService, HealthStatusBoard } from './health.js';
import type { Logger } from './logger.js';

export interface ServiceRegistration {
  /** Fully qualified service name, e.g. clearmesh.ledger.v1.LedgerService. */
  readonly name: string;
  readonly definition: grpc.ServiceDefinition;
  readonly implementation: grpc.UntypedServiceImplementation;
}

export interface MeshServerOptions {
  readonly address: HostPort;
  readonly credentials: grpc.ServerCredentials;
  readonly services: readonly ServiceRegistration[];
  readonly logger: Logger;
}

export interface MeshServer {
  /** The bound port: the configured one, or the one the OS chose for port 0. */
  readonly port: number;
  readonly address: string;
  readonly health: HealthStatusBoard;
  /** Drains: NOT_SERVING, refuse new calls, wait up to `graceMs` for in-flight ones, then cut. */
  shutdown(graceMs: number): Promise<void>;
}

// Limits set explicitly rather than inherited from library defaults (SPEC §4).
export const messageSizeMaxBytes = 4 * 1024 * 1024;
export const metadataSizeMaxBytes = 16 * 1024;
export const concurrentStreamsMax = 256;

export async function startMeshServer(options: MeshServerOptions): Promise<MeshServer> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': messageSizeMaxBytes,
    'grpc.max_send_message_length': messageSizeMaxBytes,
    'grpc.max_metadata_size': metadataSizeMaxBytes,
    'grpc.max_concurrent_streams': concurrentStreamsMax,
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 10_000,
  });
  const health = new HealthStatusBoard(options.services.map((service) => service.name));
  server.addService(HealthService, health.implementation);
  for (const service of options.services)
    server.addService(service.definition, service.implementation);

  const requested = formatAddress(options.address);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(requested, options.credentials, (error, boundPort) => {
      if (error === null) resolve(boundPort);
      else reject(error);
    });
  });
  const address = formatAddress({ host: options.address.host, port });
  options.logger.info({ address }, 'gRPC server listening (mTLS)');

  return {
    port,
    address,
    health,
    shutdown: (graceMs) => drain(server, health, graceMs, options.logger),
  };
}

async function drain(
  server: grpc.Server,
  health: HealthStatusBoard,
  graceMs: number,
  logger: Logger,
): Promise<void> {
  health.drain();
  const finished = new Promise<void>((resolve) => {
    server.tryShutdown(() => {
      resolve();
    });
  });
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'grace-over'>((resolve) => {
    timer = setTimeout(() => {
      resolve('grace-over');
    }, graceMs);
  });
  const outcome = await Promise.race([finished, graceOver]);
  clearTimeout(timer);
  if (outcome === 'grace-over') {
    logger.warn({ graceMs }, 'drain grace period over; cancelling calls still in flight');
    server.forceShutdown();
  }
}

/**
 * Handlers for a service whose RPCs are not built yet: every method answers UNIMPLEMENTED, so the
 * contract is served (and discoverable) while the behaviour lands RPC by RPC.
 */
export function unimplementedService(
  definition: grpc.ServiceDefinition,
): grpc.UntypedServiceImplementation {
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    const status = {
      code: grpc.status.UNIMPLEMENTED,
      details: `${method.path} is not implemented`,
    };
    implementation[name] = method.responseStream
      ? (call: grpc.ServerWritableStream<unknown, unknown>) => {
          call.emit('error', status);
        }
      : (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
          callback(status);
        };
  }
  return implementation;
}
