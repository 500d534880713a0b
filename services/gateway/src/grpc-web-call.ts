// One grpc-web call, from the partner's HTTP request to the mesh and back: size limits, bearer
// token, scope, rate limit, frame decoding, then a call through the internal SDK as
// service/gateway (breaker, retries of reads and keyed writes, the partner in metadata, the
// partner's grpc-timeout as the deadline), and the answer framed back, trailers last.
//
// Why a hand-written framing layer rather than @connectrpc/connect-node: connect-node serves
// binary grpc-web but not the -text mode Google's browser client sends, and serving through it
// would mean implementing every RPC against protoc-gen-es types only to convert them to the
// ts-proto types the internal SDK takes. grpc-web framing is a few dozen lines; the gRPC side,
// where the hard parts are (mTLS, breaker, retries, deadlines, metrics), stays in the SDK.
import * as grpc from '@grpc/grpc-js';
import { once } from 'node:events';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type {
  AccountClient,
  CallOptions,
  PaymentClient,
} from '../../../clients/internal/src/index.js';
import { ClientError } from '../../../clients/internal/src/index.js';
import { codeName, MeshError, statusDetailsKey, type ErrorReason } from '../../mesh/src/errors.js';
import type { Logger } from '../../mesh/src/logger.js';
import { childSpan, parseTraceparent } from '../../mesh/src/trace-context.js';
import { TokenRejection, type AccessTokenVerifier, type VerifiedToken } from './access-tokens.js';
import type { GatewayConfig } from './config.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import {
  compressedFlag,
  dataFlag,
  decodeBase64Chunks,
  decodeFrames,
  encodeFrame,
  encodeTrailersFrame,
  parseGrpcTimeout,
  responseContentType,
  statusFields,
  webEncodingOf,
  type WebEncoding,
  type WebStatus,
} from './grpc-web-framing.js';
import type { PartnerRoute } from './partner-routes.js';
import type { RateLimiter } from './rate-limiter.js';
import { readBody } from './request-body.js';

export interface GrpcWebDependencies {
  readonly routes: ReadonlyMap<string, PartnerRoute>;
  readonly account: AccountClient;
  readonly payment: PaymentClient;
  readonly verifier: AccessTokenVerifier;
  readonly limiter: RateLimiter;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly config: Pick<
    GatewayConfig,
    'requestBodyMaxBytes' | 'unaryDeadlineMaxMs' | 'streamDeadlineMaxMs'
  >;
}

type ForwardedCall = (
  request: unknown,
  options: CallOptions,
) => Promise<unknown> | AsyncIterable<unknown>;

/** Serves a POST to a gRPC path. Never rejects: every failure is answered as a gRPC status. */
export async function serveGrpcWeb(
  dependencies: GrpcWebDependencies,
  request: Http2ServerRequest,
  response: Http2ServerResponse,
  path: string,
  corsHeaders: Readonly<Record<string, string>>,
): Promise<void> {
  const encoding = webEncodingOf(request.headers['content-type']);
  if (encoding === undefined) {
    request.resume();
    response.writeHead(415, { 'content-type': 'text/plain', ...corsHeaders });
    response.end('expected application/grpc-web, application/grpc-web+proto or -text\n');
    return;
  }
  const answer = new GrpcWebResponse(response, encoding, corsHeaders);
  const route = dependencies.routes.get(path);
  if (route === undefined) {
    request.resume();
    const refusal = failure(
      grpc.status.UNIMPLEMENTED,
      'METHOD_NOT_EXPOSED',
      `${path} is not exposed`,
    );
    answer.finish(webStatusOf(refusal));
    return;
  }
  await new PartnerCall(dependencies, route, request, answer).run();
}

class PartnerCall {
  private readonly startedAt = performance.now();
  private readonly cancel = new AbortController();
  private partner: VerifiedToken | undefined;

  constructor(
    private readonly dependencies: GrpcWebDependencies,
    private readonly route: PartnerRoute,
    private readonly request: Http2ServerRequest,
    private readonly answer: GrpcWebResponse,
  ) {}

  async run(): Promise<void> {
    const { metrics, logger } = this.dependencies;
    const methodMetrics = metrics.rpc.method(
      this.route.path,
      this.route.streaming ? 'server_stream' : 'unary',
    );
    methodMetrics.started();
    // The partner went away: cancel the downstream call (a WatchPayment would otherwise wait).
    this.answer.onClose(() => {
      this.cancel.abort();
    });
    const trace = childSpan(parseTraceparent(headerOf(this.request, 'traceparent')));
    let status: WebStatus = { code: grpc.status.OK, message: '' };
    let reason: string | undefined;
    try {
      await this.forward(trace, () => {
        methodMetrics.messageSent();
      });
    } catch (error) {
      ({ status, reason } = toWebStatus(error, logger, this.route.path));
    }
    this.answer.finish(status);
    const durationMs = performance.now() - this.startedAt;
    methodMetrics.handled(status.code, durationMs / 1_000);
    logger.info(
      {
        method: this.route.path,
        partner: this.partner?.partnerId,
        code: codeName(status.code),
        reason,
        durationMs: Math.round(durationMs * 1000) / 1000,
        traceId: trace.traceId,
      },
      'grpc-web call',
    );
  }

  private async forward(
    trace: ReturnType<typeof childSpan>,
    onMessageSent: () => void,
  ): Promise<void> {
    const { config } = this.dependencies;
    const encoding = this.answer.encoding;
    // Base64 is 4 characters per 3 bytes, plus up to 2 padding characters per chunk.
    const rawBodyMaxBytes =
      encoding === 'text'
        ? Math.ceil(config.requestBodyMaxBytes / 3) * 4 + 1_024
        : config.requestBodyMaxBytes;
    const declaredLength = Number(this.request.headers['content-length'] ?? '0');
    if (declaredLength > rawBodyMaxBytes) {
      this.request.resume();
      throw requestTooLarge(config.requestBodyMaxBytes);
    }
    const timeoutMs = parseGrpcTimeout(headerOf(this.request, 'grpc-timeout'));
    if (timeoutMs === 'invalid') {
      this.request.resume();
      throw MeshError.invalidArgument([
        { field: 'grpc-timeout', description: 'must be 1 to 8 digits and a unit of H M S m u n' },
      ]);
    }
    this.partner = await this.authenticate();
    await this.authorize(this.partner);
    const body = await readBody(this.request, rawBodyMaxBytes).catch((error: unknown) => {
      throw new MeshError(grpc.status.CANCELLED, 'INTERNAL_ERROR', 'the request was cut short', {
        cause: error,
      });
    });
    if (body === undefined) throw requestTooLarge(config.requestBodyMaxBytes);
    const message = this.decodeRequest(body);
    const refusal = this.route.refusal?.(message, this.partner);
    if (refusal !== undefined) throw refusal;
    const deadlineMaxMs = this.route.streaming
      ? config.streamDeadlineMaxMs
      : config.unaryDeadlineMaxMs;
    const deadline = new Date(Date.now() + Math.min(timeoutMs ?? deadlineMaxMs, deadlineMaxMs));
    const options: CallOptions = {
      partner: { partnerId: this.partner.partnerId, scopes: this.partner.scopes },
      context: { deadline, trace },
      signal: this.cancel.signal,
    };
    const call = this.forwardedCall();
    const serialize = this.route.definition.responseSerialize;
    if (this.route.streaming) {
      for await (const reply of call(message, options) as AsyncIterable<unknown>) {
        await this.answer.message(serialize(reply));
        onMessageSent();
      }
    } else {
      const reply = await (call(message, options) as Promise<unknown>);
      await this.answer.message(serialize(reply));
      onMessageSent();
    }
  }

  private async authenticate(): Promise<VerifiedToken> {
    const authorization = headerOf(this.request, 'authorization') ?? '';
    const bearer = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(authorization);
    if (bearer?.[1] === undefined) {
      this.request.resume();
      this.dependencies.metrics.tokenRejected('missing');
      throw invalidToken('an access token is required: authorization: Bearer <token>');
    }
    try {
      return await this.dependencies.verifier.verify(bearer[1]);
    } catch (error) {
      this.request.resume();
      if (!(error instanceof TokenRejection)) {
        throw new MeshError(
          grpc.status.UNAVAILABLE,
          'DEPENDENCY_UNAVAILABLE',
          'access tokens cannot be verified right now',
          { cause: error },
        );
      }
      this.dependencies.metrics.tokenRejected(error.reason);
      throw invalidToken(error.message);
    }
  }

  private async authorize(partner: VerifiedToken): Promise<void> {
    if (!partner.scopes.includes(this.route.scope)) {
      this.request.resume();
      throw new MeshError(
        grpc.status.PERMISSION_DENIED,
        'POLICY_DENIED',
        `the access token lacks the scope ${this.route.scope}`,
        { metadata: { required_scope: this.route.scope } },
      );
    }
    const decision = await this.dependencies.limiter.take(partner.partnerId);
    if (!decision.allowed) {
      this.request.resume();
      this.dependencies.metrics.rateLimit('grpc_web');
      throw new MeshError(
        grpc.status.RESOURCE_EXHAUSTED,
        'RATE_LIMITED',
        'the partner exceeded its request rate',
        { metadata: { retry_after_ms: String(decision.retryAfterMs) } },
      );
    }
  }

  private decodeRequest(body: Buffer): unknown {
    const bytes =
      this.answer.encoding === 'text' ? decodeBase64Chunks(body.toString('ascii')) : body;
    if (bytes === undefined) throw malformedBody('the -text body is not base64');
    if (bytes.length > this.dependencies.config.requestBodyMaxBytes) {
      throw requestTooLarge(this.dependencies.config.requestBodyMaxBytes);
    }
    const frames = decodeFrames(bytes);
    if (frames === undefined) throw malformedBody('the body ends inside a grpc-web frame');
    const [frame, ...rest] = frames;
    if (frame === undefined || rest.length > 0) {
      throw malformedBody('a request carries exactly one message');
    }
    if ((frame.flags & compressedFlag) !== 0) {
      throw failure(
        grpc.status.UNIMPLEMENTED,
        'NOT_IMPLEMENTED',
        'compressed messages are not supported',
      );
    }
    if (frame.flags !== dataFlag) throw malformedBody('a request frame must be a data frame');
    try {
      return this.route.definition.requestDeserialize(frame.payload);
    } catch {
      throw malformedBody(`the message is not a ${this.route.path} request`);
    }
  }

  private forwardedCall(): ForwardedCall {
    const client =
      this.route.target === 'account' ? this.dependencies.account : this.dependencies.payment;
    const call = (client.call as unknown as Record<string, ForwardedCall | undefined>)[
      this.route.clientMethod
    ];
    if (call === undefined) throw new Error(`the SDK has no ${this.route.clientMethod}`);
    return call;
  }
}

/** The HTTP side of one grpc-web answer: headers once, data frames, then the status. */
class GrpcWebResponse {
  private headersSent = false;
  private ended = false;

  constructor(
    private readonly response: Http2ServerResponse,
    readonly encoding: WebEncoding,
    private readonly corsHeaders: Readonly<Record<string, string>>,
  ) {}

  /** `listener` runs if the connection or stream closes before this answer has ended. */
  onClose(listener: () => void): void {
    // Our own flag: after a client's RST_STREAM the HTTP/2 compatibility layer reports the
    // response as finished, so writableFinished cannot tell a cut-off answer from a full one.
    this.response.once('close', () => {
      if (!this.ended) listener();
    });
  }

  async message(bytes: Uint8Array): Promise<void> {
    if (this.closed)
      throw failure(grpc.status.CANCELLED, 'INTERNAL_ERROR', 'the partner went away');
    if (!this.headersSent) {
      this.headersSent = true;
      this.response.writeHead(200, this.headers());
    }
    if (!this.response.write(this.encode(encodeFrame(dataFlag, bytes)))) {
      // Back-pressure: wait for drain, or for the partner to go away; then drop both listeners
      // (a long WatchPayment would otherwise gather one per slow write).
      const settled = new AbortController();
      const { signal } = settled;
      await Promise.race([
        once(this.response, 'drain', { signal }),
        once(this.response, 'close', { signal }),
      ]).finally(() => {
        settled.abort();
      });
    }
  }

  /** Trailers as the last frame; before any message, a trailers-only answer (status in headers). */
  finish(status: WebStatus): void {
    if (this.closed) return;
    this.ended = true;
    if (!this.headersSent) {
      this.headersSent = true;
      this.response.writeHead(200, { ...this.headers(), ...statusFields(status) });
      this.response.end();
      return;
    }
    this.response.end(this.encode(encodeTrailersFrame(status)));
  }

  private get closed(): boolean {
    return this.response.writableEnded || this.response.destroyed;
  }

  private headers(): Record<string, string> {
    return {
      'content-type': responseContentType(this.encoding),
      'grpc-accept-encoding': 'identity',
      'cache-control': 'no-store',
      ...this.corsHeaders,
    };
  }

  /** In -text mode every frame is its own padded base64 chunk, as the protocol allows. */
  private encode(frame: Buffer): Buffer | string {
    return this.encoding === 'text' ? frame.toString('base64') : frame;
  }
}

function headerOf(request: Http2ServerRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function failure(code: grpc.status, reason: ErrorReason, message: string): MeshError {
  return new MeshError(code, reason, message);
}

function invalidToken(message: string): MeshError {
  return new MeshError(grpc.status.UNAUTHENTICATED, 'INVALID_CLIENT', message, {
    metadata: { credential: 'access_token' },
  });
}

function requestTooLarge(limitBytes: number): MeshError {
  return new MeshError(
    grpc.status.RESOURCE_EXHAUSTED,
    'REQUEST_TOO_LARGE',
    `the request exceeds ${limitBytes} bytes`,
    { metadata: { limit_bytes: String(limitBytes) } },
  );
}

function malformedBody(description: string): MeshError {
  return MeshError.invalidArgument([{ field: 'body', description }]);
}

/** Statuses a downstream answered without details (grpc-js's own, or a local deadline). */
const genericMessages: Partial<Record<grpc.status, [ErrorReason, string]>> = {
  [grpc.status.DEADLINE_EXCEEDED]: ['DEADLINE_EXCEEDED', 'deadline exceeded'],
  [grpc.status.UNAVAILABLE]: ['DEPENDENCY_UNAVAILABLE', 'the service is unavailable'],
  [grpc.status.CANCELLED]: ['INTERNAL_ERROR', 'the call was cancelled'],
  [grpc.status.RESOURCE_EXHAUSTED]: ['REQUEST_TOO_LARGE', 'a message exceeds the size limit'],
};

function toWebStatus(
  error: unknown,
  logger: Logger,
  method: string,
): { status: WebStatus; reason: string | undefined } {
  if (error instanceof ClientError) {
    const raw = (error.cause as { metadata?: grpc.Metadata } | undefined)?.metadata?.get(
      statusDetailsKey,
    )[0];
    if (Buffer.isBuffer(raw)) {
      // The service's own status, details and all, passes through unchanged.
      return {
        status: { code: error.code, message: error.message, details: raw },
        reason: error.reason,
      };
    }
    // grpc-js's own statuses name internal addresses: answer a generic message instead.
    const [reason, message] =
      error.reason === 'CIRCUIT_OPEN'
        ? (['CIRCUIT_OPEN', 'the service is unavailable (circuit open)'] as const)
        : (genericMessages[error.code] ?? ['INTERNAL_ERROR', 'internal error']);
    const code =
      genericMessages[error.code] === undefined && error.reason !== 'CIRCUIT_OPEN'
        ? grpc.status.INTERNAL
        : error.code;
    if (code === grpc.status.INTERNAL)
      logger.error({ err: error, method }, 'downstream call failed');
    return { status: webStatusOf(failure(code, reason, message)), reason };
  }
  const meshError = MeshError.from(error);
  if (meshError.code === grpc.status.INTERNAL) {
    logger.error({ err: meshError.cause ?? meshError, method }, 'grpc-web call failed');
  }
  return { status: webStatusOf(meshError), reason: meshError.reason };
}

function webStatusOf(error: MeshError): WebStatus {
  const status = error.toStatus();
  const details = status.metadata?.get(statusDetailsKey)[0];
  return {
    code: error.code,
    message: error.message,
    details: Buffer.isBuffer(details) ? details : undefined,
  };
}
