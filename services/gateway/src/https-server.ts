// The partner-facing HTTPS listener (HTTP/2 with HTTP/1.1 fallback via ALPN). Until grpc-web
// translation lands, every gRPC path answers a grpc-web trailers-only UNIMPLEMENTED, so partner
// clients already see well-formed gRPC statuses; /healthz reports whether the gateway serves.
import * as grpc from '@grpc/grpc-js';
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

export interface GatewayServer {
  readonly address: string;
  shutdown(graceMs: number): Promise<void>;
}

const grpcPathPattern = /^\/[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*\.[A-Z]\w*\/[A-Z]\w*$/;

export async function startGatewayServer(options: {
  address: HostPort;
  identity: TlsIdentity;
  logger: Logger;
}): Promise<GatewayServer> {
  let serving = true;
  const server: Http2SecureServer = createSecureServer(
    {
      allowHTTP1: true,
      cert: options.identity.certPem,
      key: options.identity.keyPem,
      minVersion: 'TLSv1.2',
    },
    (request, response) => {
      route(request, response, serving);
    },
  );
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
  options.logger.info({ address }, 'HTTPS server listening');
  return {
    address,
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

function route(request: Http2ServerRequest, response: Http2ServerResponse, serving: boolean): void {
  const path = request.url.split('?')[0] ?? '';
  if (request.method === 'GET' && path === '/healthz') {
    response.writeHead(serving ? 200 : 503, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ status: serving ? 'SERVING' : 'NOT_SERVING' }));
    return;
  }
  if (request.method === 'POST' && grpcPathPattern.test(path)) {
    // A trailers-only grpc-web response: the status travels in the headers, the body is empty.
    request.resume();
    response.writeHead(200, {
      'content-type': 'application/grpc-web+proto',
      'grpc-status': String(grpc.status.UNIMPLEMENTED),
      'grpc-message': encodeURIComponent(`${path} is not implemented`),
    });
    response.end();
    return;
  }
  response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
}
