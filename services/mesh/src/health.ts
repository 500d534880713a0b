// grpc.health.v1.Health backed by a status board. The empty service name is the whole server;
// draining sets every entry to NOT_SERVING so that load balancers stop sending new calls.
import * as grpc from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthService,
  type HealthCheckRequest,
  type HealthCheckResponse,
  type HealthListResponse,
  type HealthServer,
} from '../../../gen/grpc-js/health/v1/health.js';

export { ServingStatus, HealthService };

interface Watcher {
  send(status: ServingStatus): void;
  end(): void;
}

export class HealthStatusBoard {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Map<string, Set<Watcher>>();

  constructor(services: readonly string[]) {
    for (const service of ['', ...services]) this.statuses.set(service, ServingStatus.SERVING);
  }

  set(service: string, status: ServingStatus): void {
    if (this.statuses.get(service) === status) return;
    this.statuses.set(service, status);
    for (const watcher of this.watchers.get(service) ?? []) watcher.send(status);
  }

  /**
   * Marks every service NOT_SERVING, the first step of a graceful drain, then ends open Watch
   * streams: they would otherwise count as in-flight calls and hold the shutdown for its grace.
   */
  drain(): void {
    for (const service of [...this.statuses.keys()]) this.set(service, ServingStatus.NOT_SERVING);
    for (const watchers of this.watchers.values()) {
      for (const watcher of watchers) watcher.end();
      watchers.clear();
    }
  }

  status(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  readonly implementation: HealthServer = {
    check: (
      call: grpc.ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
      callback: grpc.sendUnaryData<HealthCheckResponse>,
    ) => {
      const status = this.statuses.get(call.request.service);
      if (status === undefined) {
        callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
        return;
      }
      callback(null, { status });
    },
    list: (_call, callback: grpc.sendUnaryData<HealthListResponse>) => {
      const statuses: Record<string, HealthCheckResponse> = {};
      for (const [service, status] of this.statuses) statuses[service] = { status };
      callback(null, { statuses });
    },
    watch: (call: grpc.ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) => {
      const service = call.request.service;
      const watcher: Watcher = {
        send: (status) => call.write({ status }),
        end: () => call.end(),
      };
      watcher.send(this.statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN);
      const watchers = this.watchers.get(service) ?? new Set<Watcher>();
      this.watchers.set(service, watchers);
      watchers.add(watcher);
      call.on('cancelled', () => watchers.delete(watcher));
      call.on('close', () => watchers.delete(watcher));
    },
  };
}
