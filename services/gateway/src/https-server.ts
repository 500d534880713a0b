// The partner-facing HTTPS listener (HTTP/2 with HTTP/1.1 fallback via ALPN) and its routes:
// /healthz, CORS preflights, POST /oauth/token, GET /.well-known/jwks.json, and grpc-web on the
// gRPC paths. Header sizes are bounded (HTTP/2 SETTINGS and HTTP/1 parser limits, and a check of
// the sum here); a request from a browser origin that is not allowed is refused before any work.
import {
  createSecureServer,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2';
import type { Socket } from 'node:net';
import { formatAddress, type HostPort } from '../../mesh/src/config.js';
import type { Logger } from '../../mesh/src/logger.js';
import type { TlsIdentity } from '../../mesh/src/tls.js';
import type { AccessTokenVerifier } from './access-tokens.js';
import type { CorsPolicy } from './cors.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { serveGrpcWeb, type GrpcWebDependencies } from './grpc-web-call.js';
import { serveTokenRequest, type TokenEndpointDependencies } from './oauth-token.js';

export interface GatewayServer {
  readonly address: string;
  readonly port: number;
  shutdown(graceMs: number): Promise<void>;
}

export interface GatewayRoutes {
  readonly grpcWeb: GrpcWebDependencies;
  readonly tokenEndpoint: TokenEndpointDependencies;
  readonly verifier: AccessTokenVerifier;
  readonly cors: CorsPolicy;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly headerBytesMax: number;
}

const grpcPathPattern = /^\/[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*\.[A-Z]\w*\/[A-Z]\w*$/;
/** Concurrent HTTP/2 streams per connection: a partner's browser needs few. */
const concurrentStreamsMax = 100;

export async function startGatewayServer(options: {
  address: HostPort;
  identity: TlsIdentity;
  routes: GatewayRoutes;
}): Promise<GatewayServer> {
  let serving = true;
  const { routes } = options;
  const server: Http2SecureServer = createSecureServer(
    {
      allowHTTP1: true,
      cert: options.identity.certPem,
      key: options.identity.keyPem,
      minVersion: 'TLSv1.2',
      maxSessionMemory: 10,
      settings: {
        maxHeaderListSize: routes.headerBytesMax,
        maxConcurrentStreams: concurrentStreamsMax,
      },
    },
    (request, response) => {
      route(routes, request, response, serving).catch((error: unknown) => {
        routes.logger.error({ err: error }, 'request failed');
        if (!response.headersSent) response.writeHead(500);
        response.end();
      });
    },
  );
  // HTTP/1.1 connections are parsed by node:http, which reads its header limit from the server.
  (server as unknown as { maxHeaderSize: number }).maxHeaderSize = routes.headerBytesMax;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.address.port, options.address.host, resolve);
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : options.address.port;
  const address = formatAddress({ host: options.address.host, port });
  routes.logger.info({ address }, 'HTTPS server listening');
  return {
    address,
    port,
    shutdown: async (graceMs) => {
      serving = false;
      const closed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      const timer = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}

async function route(
  routes: GatewayRoutes,
  request: Http2ServerRequest,
  response: Http2ServerResponse,
  serving: boolean,
): Promise<void> {
  const { metrics, cors } = routes;
  const path = request.url.split('?')[0] ?? '';
  const origin = request.headers.origin;
  if (request.method === 'GET' && path === '/healthz') {
    const status = serving ? 200 : 503;
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ status: serving ? 'SERVING' : 'NOT_SERVING' }));
    metrics.httpRequest('healthz', status);
    return;
  }
  if (headerBytesOf(request) > routes.headerBytesMax) {
    refuse(response, 431, 'request headers too large\n');
    metrics.httpRequest('headers_too_large', 431);
    return;
  }
  if (origin !== undefined && !cors.allows(origin)) {
    refuse(response, 403, 'origin not allowed\n');
    metrics.httpRequest('forbidden_origin', 403);
    return;
  }
  if (request.method === 'OPTIONS') {
    request.resume();
    const status = origin === undefined ? 400 : 204;
    response.writeHead(status, origin === undefined ? {} : cors.preflightHeaders(origin));
    response.end();
    metrics.httpRequest('preflight', status);
    return;
  }
  const corsHeaders = cors.responseHeaders(origin);
  if (request.method === 'POST' && path === '/oauth/token') {
    const status = await serveTokenRequest(routes.tokenEndpoint, request, response, corsHeaders);
    metrics.httpRequest('oauth_token', status);
    return;
  }
  if (request.method === 'GET' && path === '/.well-known/jwks.json') {
    await serveJwks(routes, response, corsHeaders);
    return;
  }
  if (request.method === 'POST' && grpcPathPattern.test(path)) {
    await serveGrpcWeb(routes.grpcWeb, request, response, path, corsHeaders);
    metrics.httpRequest('grpc_web', response.statusCode);
    return;
  }
  refuse(response, 404, 'not found\n');
  metrics.httpRequest('not_found', 404);
}

async function serveJwks(
  routes: GatewayRoutes,
  response: Http2ServerResponse,
  corsHeaders: Readonly<Record<string, string>>,
): Promise<void> {
  let status = 200;
  try {
    const json = await routes.verifier.jwksJson();
    response.writeHead(200, {
      'content-type': 'application/jwk-set+json',
      'cache-control': 'public, max-age=300',
      ...corsHeaders,
    });
    response.end(json);
  } catch (error) {
    routes.logger.error({ err: error }, 'JWKS unavailable');
    status = 503;
    response.writeHead(503, { 'content-type': 'text/plain', ...corsHeaders });
    response.end('JWKS unavailable\n');
  }
  routes.metrics.httpRequest('jwks', status);
}

function refuse(response: Http2ServerResponse, status: number, text: string): void {
  response.req.resume();
  response.writeHead(status, { 'content-type': 'text/plain' });
  response.end(text);
}

function headerBytesOf(request: Http2ServerRequest): number {
  let bytes = 0;
  for (const field of request.rawHeaders) bytes += field.length;
  return bytes;
}
