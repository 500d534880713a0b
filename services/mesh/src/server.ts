// A gRPC server of the mesh: mTLS only, every service behind the RPC runtime (identity, policy,
// deadlines, logs, metrics, error boundary), grpc.health.v1.Health, explicit limits, and a
// graceful drain (health NOT_SERVING, refuse new calls, let in-flight calls finish within a grace
// period, then cut the rest).
import * as grpc from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import type { AuthorizationPolicy } from './authorization-policy.js';
import { formatAddress, type HostPort } from './config.js';
import { MeshError } from './errors.js';
import { HealthService, HealthStatusBoard } from './health.js';
import { PeerIdentityResolver } from './identity.js';
import type { Logger } from './logger.js';
import { RpcMetrics } from './rpc-metrics.js';
import { implementService, type RpcRuntime, type ServiceHandlers } from './rpc-runtime.js';

export interface ServiceRegistration {
  /** Fully qualified service name, e.g. clearmesh.ledger.v1.LedgerService. */
  readonly name: string;
  readonly definition: grpc.ServiceDefinition;
  bind(runtime: RpcRuntime): grpc.UntypedServiceImplementation;
}

/** A service and its typed handlers, to be served behind the runtime. */
export function serviceRegistration<Definition extends grpc.ServiceDefinition>(
  definition: Definition,
  handlers: ServiceHandlers<Definition>,
): ServiceRegistration {
  const firstPath = Object.values(definition)[0]?.path ?? '/unknown/';
  return {
    name: firstPath.slice(1, firstPath.lastIndexOf('/')),
    definition,
    bind: (runtime) => implementService(definition, handlers, runtime),
  };
}

/** Handlers for a service whose RPCs are not built yet: each answers UNIMPLEMENTED. */
export function notImplementedHandlers<Definition extends grpc.ServiceDefinition>(
  definition: Definition,
): ServiceHandlers<Definition> {
  const handlers: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition)) {
    const error = (): MeshError =>
      new MeshError(
        grpc.status.UNIMPLEMENTED,
        'NOT_IMPLEMENTED',
        `${method.path} is not implemented`,
      );
    handlers[name] = method.responseStream
      ? () => ({
          [Symbol.iterator]: () => ({
            next: () => {
              throw error();
            },
          }),
        })
      : () => Promise.reject(error());
  }
  return handlers as ServiceHandlers<Definition>;
}

export interface MeshServerOptions {
  readonly address: HostPort;
  readonly credentials: grpc.ServerCredentials;
  readonly services: readonly ServiceRegistration[];
  readonly policy: AuthorizationPolicy;
  readonly trustDomain: string;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly deadlineMaxMs?: number;
  readonly streamDeadlineMaxMs?: number;
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
export const deadlineMaxMsDefault = 30_000;
export const streamDeadlineMaxMsDefault = 60 * 60_000;

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
    // No channelz service is served, so its per-call bookkeeping (a tracker object with five
    // closures and Date stamps per call) would be paid for nothing; /metrics covers the same.
    'grpc.enable_channelz': 0,
  });
  const runtime: RpcRuntime = {
    identity: new PeerIdentityResolver(options.trustDomain),
    policy: options.policy,
    metrics: new RpcMetrics(options.registry, 'server'),
    logger: options.logger,
    deadlineMaxMs: options.deadlineMaxMs ?? deadlineMaxMsDefault,
    streamDeadlineMaxMs: options.streamDeadlineMaxMs ?? streamDeadlineMaxMsDefault,
  };
  const health = new HealthStatusBoard(options.services.map((service) => service.name));
  const registrations = [serviceRegistration(HealthService, health.handlers), ...options.services];
  for (const service of registrations) server.addService(service.definition, service.bind(runtime));

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

/** Every method path of the given service definitions (for validating policies). */
export function methodPathsOf(definitions: readonly grpc.ServiceDefinition[]): string[] {
  return definitions.flatMap((definition) =>
    Object.values(definition).map((method) => method.path),
  );
}
