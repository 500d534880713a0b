// The gateway's metrics on its /metrics port: grpc-web calls under the go-grpc-prometheus server
// names (the gateway is the gRPC server partners see), its forwarded calls as grpc_client_* (the
// internal SDK records those), and what only the gateway knows: HTTP requests by route and
// status, rate-limit rejections (and decisions made without Redis), refused access tokens.
import { Counter, type Registry } from 'prom-client';
import { RpcMetrics } from '../../mesh/src/rpc-metrics.js';

export type HttpRoute =
  | 'grpc_web'
  | 'oauth_token'
  | 'jwks'
  | 'healthz'
  | 'preflight'
  | 'not_found'
  | 'forbidden_origin'
  | 'headers_too_large';

export class GatewayMetrics {
  readonly rpc: RpcMetrics;
  private readonly httpRequests: Counter<'route' | 'status'>;
  private readonly rateLimited: Counter<'route'>;
  private readonly rateLimitLocal: Counter<'route'>;
  private readonly tokenRejections: Counter<'reason'>;

  constructor(registry: Registry) {
    this.rpc = new RpcMetrics(registry, 'server');
    this.httpRequests = new Counter({
      name: 'clearmesh_gateway_http_requests_total',
      help: 'HTTP requests answered by the gateway, by route and HTTP status.',
      labelNames: ['route', 'status'],
      registers: [registry],
    });
    this.rateLimited = new Counter({
      name: 'clearmesh_gateway_rate_limited_total',
      help: 'Requests refused by a rate limit (grpc-web per partner, oauth_token per address).',
      labelNames: ['route'],
      registers: [registry],
    });
    this.rateLimitLocal = new Counter({
      name: 'clearmesh_gateway_rate_limit_local_total',
      help: 'Rate limit decisions this replica made alone because Redis did not answer.',
      labelNames: ['route'],
      registers: [registry],
    });
    this.tokenRejections = new Counter({
      name: 'clearmesh_gateway_token_rejections_total',
      help: 'Bearer tokens refused, by reason (expired, signature, unknown_key, claim_iss, …).',
      labelNames: ['reason'],
      registers: [registry],
    });
  }

  httpRequest(route: HttpRoute, status: number): void {
    this.httpRequests.inc({ route, status: String(status) });
  }

  rateLimit(route: 'grpc_web' | 'oauth_token'): void {
    this.rateLimited.inc({ route });
  }

  rateLimitDecidedLocally(route: 'grpc_web' | 'oauth_token'): void {
    this.rateLimitLocal.inc({ route });
  }

  tokenRejected(reason: string): void {
    this.tokenRejections.inc({ reason });
  }
}
