// CORS for partners' browser apps: only configured origins (exact, or `scheme://host:*` for any
// port), credentials allowed, and the gRPC status headers exposed so that a browser client can
// read a trailers-only status. Preflights are answered here and never reach the mesh.
export const allowedRequestHeaders = [
  'authorization',
  'content-type',
  'grpc-timeout',
  'traceparent',
  'tracestate',
  'x-grpc-web',
  'x-user-agent',
] as const;

export const exposedResponseHeaders = [
  'grpc-status',
  'grpc-message',
  'grpc-status-details-bin',
] as const;

const preflightMaxAgeSeconds = 600;

export class CorsPolicy {
  private readonly exact = new Set<string>();
  /** `scheme://host:` prefixes of `scheme://host:*` entries. */
  private readonly anyPort: string[] = [];

  constructor(origins: readonly string[]) {
    for (const origin of origins) {
      if (origin.endsWith(':*')) this.anyPort.push(origin.slice(0, -1));
      else this.exact.add(origin);
    }
  }

  allows(origin: string): boolean {
    if (this.exact.has(origin)) return true;
    return this.anyPort.some(
      (prefix) => origin.startsWith(prefix) && /^\d{1,5}$/.test(origin.slice(prefix.length)),
    );
  }

  /** Headers of an actual (non-preflight) response to an allowed `origin`. */
  responseHeaders(origin: string | undefined): Record<string, string> {
    if (origin === undefined || !this.allows(origin)) return {};
    return {
      'access-control-allow-origin': origin,
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': exposedResponseHeaders.join(', '),
      vary: 'Origin',
    };
  }

  /** Headers of a preflight answer to an allowed `origin`. */
  preflightHeaders(origin: string): Record<string, string> {
    return {
      'access-control-allow-origin': origin,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'POST, GET, OPTIONS',
      'access-control-allow-headers': allowedRequestHeaders.join(', '),
      'access-control-max-age': String(preflightMaxAgeSeconds),
      vary: 'Origin',
    };
  }
}
