// RPC metrics under the go-grpc-prometheus names and labels, so that existing gRPC dashboards
// and alerts work unchanged: started / handled{grpc_code} / handling_seconds / msg counters, for
// server and client. They sit on every call's path, so each method keeps plain numbers that are
// turned into Prometheus samples only when scraped (prom-client hashes labels on every inc()).
import type * as grpc from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import { codeName } from './errors.js';

export type GrpcType = 'unary' | 'server_stream' | 'client_stream' | 'bidi_stream';

export const handlingBucketsSeconds = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

export interface MethodMetrics {
  started(): void;
  messageReceived(): void;
  messageSent(): void;
  handled(code: grpc.status, seconds: number): void;
}

type Labels = Readonly<Record<string, string>>;

interface MethodCounts {
  readonly labels: Labels;
  started: number;
  received: number;
  sent: number;
  readonly handledByCode: Map<grpc.status, number>;
  /** Non-cumulative counts per bucket; the last slot is above the largest bound. */
  readonly bucketCounts: number[];
  sumSeconds: number;
  count: number;
}

interface Sample {
  readonly value: number;
  readonly labels: Labels;
  readonly sharedLabels?: Labels;
  readonly metricName?: string;
}

/** A metric as prom-client's Registry reads it: name, help, type and samples at scrape time. */
class ScrapedMetric {
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram',
    private readonly samples: () => Sample[],
  ) {}

  get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: Sample[];
  }> {
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.samples(),
    });
  }

  reset(): void {
    // Counters only go up; resetting them would break rate() for scrapers.
  }
}

export class RpcMetrics {
  private readonly methods = new Map<string, { counts: MethodCounts; metrics: MethodMetrics }>();

  constructor(registry: Registry, side: 'server' | 'client') {
    const prefix = `grpc_${side}`;
    const all = (): MethodCounts[] => [...this.methods.values()].map((entry) => entry.counts);
    const counter = (name: string, help: string, pick: (counts: MethodCounts) => number) =>
      new ScrapedMetric(name, help, 'counter', () =>
        all().map((counts) => ({ value: pick(counts), labels: counts.labels })),
      );
    const metrics = [
      counter(
        `${prefix}_started_total`,
        `Total number of RPCs started on the ${side}.`,
        (c) => c.started,
      ),
      new ScrapedMetric(
        `${prefix}_handled_total`,
        `Total number of RPCs completed on the ${side}, regardless of success or failure.`,
        'counter',
        () =>
          all().flatMap((counts) =>
            [...counts.handledByCode].map(([code, value]) => ({
              value,
              labels: { ...counts.labels, grpc_code: codeName(code) },
            })),
          ),
      ),
      new ScrapedMetric(
        `${prefix}_handling_seconds`,
        `Histogram of response latency (seconds) of gRPC calls handled by the ${side}.`,
        'histogram',
        () => all().flatMap((counts) => histogramSamples(`${prefix}_handling_seconds`, counts)),
      ),
      counter(
        `${prefix}_msg_received_total`,
        `Total number of RPC stream messages received on the ${side}.`,
        (c) => c.received,
      ),
      counter(
        `${prefix}_msg_sent_total`,
        `Total number of gRPC stream messages sent by the ${side}.`,
        (c) => c.sent,
      ),
    ];
    for (const metric of metrics) registry.registerMetric(metric as never);
  }

  /** Metrics of one method, `path` = /package.Service/Method. */
  method(path: string, type: GrpcType): MethodMetrics {
    const cached = this.methods.get(path);
    if (cached !== undefined) return cached.metrics;
    const slash = path.lastIndexOf('/');
    const counts: MethodCounts = {
      labels: {
        grpc_type: type,
        grpc_service: path.slice(1, slash),
        grpc_method: path.slice(slash + 1),
      },
      started: 0,
      received: 0,
      sent: 0,
      handledByCode: new Map(),
      bucketCounts: new Array<number>(handlingBucketsSeconds.length + 1).fill(0),
      sumSeconds: 0,
      count: 0,
    };
    const metrics: MethodMetrics = {
      started: () => {
        counts.started += 1;
      },
      messageReceived: () => {
        counts.received += 1;
      },
      messageSent: () => {
        counts.sent += 1;
      },
      handled: (code, seconds) => {
        counts.handledByCode.set(code, (counts.handledByCode.get(code) ?? 0) + 1);
        let bucket = 0;
        while (
          bucket < handlingBucketsSeconds.length &&
          seconds > (handlingBucketsSeconds[bucket] ?? 0)
        ) {
          bucket += 1;
        }
        counts.bucketCounts[bucket] = (counts.bucketCounts[bucket] ?? 0) + 1;
        counts.sumSeconds += seconds;
        counts.count += 1;
      },
    };
    this.methods.set(path, { counts, metrics });
    return metrics;
  }
}

function histogramSamples(name: string, counts: MethodCounts): Sample[] {
  const samples: Sample[] = [];
  let cumulative = 0;
  handlingBucketsSeconds.forEach((bound, index) => {
    cumulative += counts.bucketCounts[index] ?? 0;
    samples.push({
      value: cumulative,
      labels: { le: String(bound) },
      sharedLabels: counts.labels,
      metricName: `${name}_bucket`,
    });
  });
  samples.push(
    {
      value: counts.count,
      labels: { le: '+Inf' },
      sharedLabels: counts.labels,
      metricName: `${name}_bucket`,
    },
    {
      value: counts.sumSeconds,
      labels: {},
      sharedLabels: counts.labels,
      metricName: `${name}_sum`,
    },
    { value: counts.count, labels: {}, sharedLabels: counts.labels, metricName: `${name}_count` },
  );
  return samples;
}
