// grpc.health.v1.Health backed by a status board. The empty service name is the whole server;
// draining sets every entry to NOT_SERVING (so load balancers stop sending new calls) and ends
// open Watch streams, which would otherwise hold the shutdown for its whole grace period.
import * as grpc from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthService,
  type HealthCheckResponse,
} from '../../../gen/grpc-js/health/v1/health.js';
import { MeshError } from './errors.js';
import type { ServiceHandlers } from './rpc-runtime.js';

export { ServingStatus, HealthService };

interface Watcher {
  notify(): void;
}

export class HealthStatusBoard {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Set<Watcher>();
  private draining = false;

  constructor(services: readonly string[]) {
    for (const service of ['', ...services]) this.statuses.set(service, ServingStatus.SERVING);
  }

  set(service: string, status: ServingStatus): void {
    if (this.statuses.get(service) === status) return;
    this.statuses.set(service, status);
    for (const watcher of this.watchers) watcher.notify();
  }

  drain(): void {
    this.draining = true;
    for (const service of [...this.statuses.keys()]) this.set(service, ServingStatus.NOT_SERVING);
  }

  status(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  readonly handlers: ServiceHandlers<typeof HealthService> = {
    check: (request) => {
      const status = this.statuses.get(request.service);
      if (status === undefined) {
        return Promise.reject(
          new MeshError(grpc.status.NOT_FOUND, 'SERVICE_NOT_FOUND', 'unknown service'),
        );
      }
      return Promise.resolve({ status });
    },
    list: () => {
      const statuses: Record<string, HealthCheckResponse> = {};
      for (const [service, status] of this.statuses) statuses[service] = { status };
      return Promise.resolve({ statuses });
    },
    watch: (request, context) => this.watch(request.service, context.signal),
  };

  /** The current status, then every change, until the caller leaves or the server drains. */
  private async *watch(service: string, signal: AbortSignal): AsyncGenerator<HealthCheckResponse> {
    let wake: (() => void) | undefined;
    const watcher: Watcher = { notify: () => wake?.() };
    const onAbort = (): void => wake?.();
    this.watchers.add(watcher);
    signal.addEventListener('abort', onAbort);
    try {
      let sent: ServingStatus | undefined;
      for (;;) {
        const status = this.statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN;
        if (status !== sent) {
          sent = status;
          yield { status };
        }
        if (this.draining || signal.aborted) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      this.watchers.delete(watcher);
      signal.removeEventListener('abort', onAbort);
    }
  }
}
