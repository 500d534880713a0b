// One opossum circuit breaker per downstream service. Only failures that say the downstream is
// unhealthy count (SPEC §4): UNKNOWN, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNIMPLEMENTED,
// INTERNAL, UNAVAILABLE, DATA_LOSS. A caller's bad request or a business refusal never opens it.
import * as grpc from '@grpc/grpc-js';
import CircuitBreaker from 'opossum';
import { Counter, Gauge, type Registry } from 'prom-client';
import { ClientError } from './client-error.js';

export const breakerFailureCodes: ReadonlySet<grpc.status> = new Set([
  grpc.status.UNKNOWN,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.UNIMPLEMENTED,
  grpc.status.INTERNAL,
  grpc.status.UNAVAILABLE,
  grpc.status.DATA_LOSS,
]);

export interface BreakerOptions {
  /** Percentage of counted failures in the rolling window that opens the breaker. */
  readonly errorThresholdPercentage: number;
  /** Calls needed in the window before the breaker may open. */
  readonly volumeThreshold: number;
  readonly rollingWindowMs: number;
  /** How long the breaker stays open before a half-open probe. */
  readonly resetTimeoutMs: number;
}

export const breakerOptionsDefault: BreakerOptions = {
  errorThresholdPercentage: 50,
  volumeThreshold: 10,
  rollingWindowMs: 10_000,
  resetTimeoutMs: 5_000,
};

export type BreakerState = 'closed' | 'half_open' | 'open';
const stateValues: Readonly<Record<BreakerState, number>> = { closed: 0, half_open: 1, open: 2 };

interface BreakerMetrics {
  readonly state: Gauge<'target'>;
  readonly transitions: Counter<'target' | 'state'>;
}

const metricsByRegistry = new WeakMap<Registry, BreakerMetrics>();

function breakerMetrics(registry: Registry): BreakerMetrics {
  let metrics = metricsByRegistry.get(registry);
  if (metrics === undefined) {
    metrics = {
      state: new Gauge({
        name: 'clearmesh_circuit_breaker_state',
        help: 'State of the circuit breaker to a downstream service: 0 closed, 1 half-open, 2 open.',
        labelNames: ['target'],
        registers: [registry],
      }),
      transitions: new Counter({
        name: 'clearmesh_circuit_breaker_transitions_total',
        help: 'Circuit breaker state changes, by the state entered.',
        labelNames: ['target', 'state'],
        registers: [registry],
      }),
    };
    metricsByRegistry.set(registry, metrics);
  }
  return metrics;
}

export class ServiceBreaker {
  private readonly breaker: CircuitBreaker<[() => Promise<unknown>]>;

  constructor(
    readonly target: string,
    options: BreakerOptions,
    registry: Registry,
  ) {
    this.breaker = new CircuitBreaker((attempt: () => Promise<unknown>) => attempt(), {
      name: target,
      timeout: false,
      errorThresholdPercentage: options.errorThresholdPercentage,
      volumeThreshold: options.volumeThreshold,
      rollingCountTimeout: options.rollingWindowMs,
      resetTimeout: options.resetTimeoutMs,
      // Latency percentiles and snapshot events would be computed on every call's path; the
      // breaker needs only its failure counts (latency lives in grpc_client_handling_seconds).
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      // true = "not a failure": only the codes above count against the downstream.
      errorFilter: (error: unknown) =>
        !(error instanceof ClientError && breakerFailureCodes.has(error.code)),
    });
    const metrics = breakerMetrics(registry);
    const enter = (state: BreakerState): void => {
      metrics.state.set({ target }, stateValues[state]);
      metrics.transitions.inc({ target, state });
    };
    metrics.state.set({ target }, stateValues.closed);
    this.breaker.on('open', () => {
      enter('open');
    });
    this.breaker.on('halfOpen', () => {
      enter('half_open');
    });
    this.breaker.on('close', () => {
      enter('closed');
    });
  }

  get state(): BreakerState {
    if (this.breaker.opened) return 'open';
    return this.breaker.halfOpen ? 'half_open' : 'closed';
  }

  /** Runs `attempt` through the breaker; while open, rejects at once with CIRCUIT_OPEN. */
  run<T>(attempt: () => Promise<T>): Promise<T> {
    return (this.breaker.fire(attempt) as Promise<T>).catch((error: unknown) => {
      if ((error as { code?: unknown } | null)?.code === 'EOPENBREAKER') {
        throw ClientError.circuitOpen(this.target, error);
      }
      throw error;
    });
  }

  /** Resolves the next time the breaker enters `state` (tests and tools await transitions). */
  next(state: BreakerState): Promise<void> {
    const event = state === 'half_open' ? 'halfOpen' : state === 'open' ? 'open' : 'close';
    return new Promise((resolve) =>
      this.breaker.once(event, () => {
        resolve();
      }),
    );
  }

  shutdown(): void {
    this.breaker.shutdown();
  }
}
