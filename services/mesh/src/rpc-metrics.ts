// RPC metrics under the go-grpc-prometheus names and labels, so that existing gRPC dashboards
// and alerts work unchanged: started / handled{grpc_code} / handling_seconds, server and client.
// Label children are cached per method: a labels() lookup per call would be measurable.
import type * as grpc from '@grpc/grpc-js';
import { Counter, Histogram, type Registry } from 'prom-client';
import { codeName } from './errors.js';

export type GrpcType = 'unary' | 'server_stream' | 'client_stream' | 'bidi_stream';

const handlingBuckets = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const methodLabels = ['grpc_type', 'grpc_service', 'grpc_method'] as const;

export interface MethodMetrics {
  started(): void;
  messageReceived(): void;
  messageSent(): void;
  handled(code: grpc.status, seconds: number): void;
}

export class RpcMetrics {
  private readonly startedTotal: Counter<(typeof methodLabels)[number]>;
  private readonly handledTotal: Counter<(typeof methodLabels)[number] | 'grpc_code'>;
  private readonly handlingSeconds: Histogram<(typeof methodLabels)[number]>;
  private readonly messagesReceived: Counter<(typeof methodLabels)[number]>;
  private readonly messagesSent: Counter<(typeof methodLabels)[number]>;
  private readonly methods = new Map<string, MethodMetrics>();

  constructor(registry: Registry, side: 'server' | 'client') {
    const prefix = `grpc_${side}`;
    const registers = [registry];
    this.startedTotal = new Counter({
      name: `${prefix}_started_total`,
      help: `Total number of RPCs started on the ${side}.`,
      labelNames: methodLabels,
      registers,
    });
    this.handledTotal = new Counter({
      name: `${prefix}_handled_total`,
      help: `Total number of RPCs completed on the ${side}, regardless of success or failure.`,
      labelNames: [...methodLabels, 'grpc_code'],
      registers,
    });
    this.handlingSeconds = new Histogram({
      name: `${prefix}_handling_seconds`,
      help: `Histogram of response latency (seconds) of gRPC calls handled by the ${side}.`,
      labelNames: methodLabels,
      buckets: handlingBuckets,
      registers,
    });
    this.messagesReceived = new Counter({
      name: `${prefix}_msg_received_total`,
      help: `Total number of RPC stream messages received on the ${side}.`,
      labelNames: methodLabels,
      registers,
    });
    this.messagesSent = new Counter({
      name: `${prefix}_msg_sent_total`,
      help: `Total number of gRPC stream messages sent by the ${side}.`,
      labelNames: methodLabels,
      registers,
    });
  }

  /** Metrics of one method, `path` = /package.Service/Method. */
  method(path: string, type: GrpcType): MethodMetrics {
    const cached = this.methods.get(path);
    if (cached !== undefined) return cached;
    const slash = path.lastIndexOf('/');
    const labels = {
      grpc_type: type,
      grpc_service: path.slice(1, slash),
      grpc_method: path.slice(slash + 1),
    };
    const started = this.startedTotal.labels(labels);
    const received = this.messagesReceived.labels(labels);
    const sent = this.messagesSent.labels(labels);
    const histogram = this.handlingSeconds.labels(labels);
    const handledByCode = new Map<grpc.status, Counter.Internal>();
    const metrics: MethodMetrics = {
      started: () => {
        started.inc();
      },
      messageReceived: () => {
        received.inc();
      },
      messageSent: () => {
        sent.inc();
      },
      handled: (code, seconds) => {
        let handled = handledByCode.get(code);
        if (handled === undefined) {
          handled = this.handledTotal.labels({ ...labels, grpc_code: codeName(code) });
          handledByCode.set(code, handled);
        }
        handled.inc();
        histogram.observe(seconds);
      },
    };
    this.methods.set(path, metrics);
    return metrics;
  }
}
