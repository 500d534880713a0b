// Turns typed async handlers into grpc-js handlers with everything the mesh promises for every
// RPC: the caller's identity, default-deny authorization, partner metadata only from the gateway,
// an effective deadline, trace context, one log line and the go-grpc-prometheus metrics, and a
// single error boundary (MeshError → its status; anything else → INTERNAL, cause logged).
import * as grpc from '@grpc/grpc-js';
import { once } from 'node:events';
import type { AuthorizationPolicy } from './authorization-policy.js';
import { MeshError } from './errors.js';
import type { PeerIdentityResolver, Principal } from './identity.js';
import type { Logger } from './logger.js';
import type { MethodMetrics, RpcMetrics } from './rpc-metrics.js';
import { childSpan, parseTraceparent, traceparentKey, type TraceContext } from './trace-context.js';

export const partnerIdKey = 'x-clearmesh-partner-id';
export const partnerScopesKey = 'x-clearmesh-scopes';

/** The partner a gateway call acts for (SPEC §4). */
export interface PartnerIdentity {
  readonly partnerId: string;
  readonly scopes: readonly string[];
}

export interface CallContext {
  /** /package.Service/Method */
  readonly method: string;
  readonly principal: Principal;
  /** The caller's network address (ip:port), for audit trails. */
  readonly peerAddress: string;
  readonly partner: PartnerIdentity | undefined;
  /** The caller's deadline, capped at the server's maximum; pass it on to downstream calls. */
  readonly deadline: Date;
  /** Aborted when the caller cancels or the deadline passes. */
  readonly signal: AbortSignal;
  readonly trace: TraceContext;
  readonly metadata: grpc.Metadata;
  readonly logger: Logger;
}

export type UnaryHandler<Request, Response> = (
  request: Request,
  context: CallContext,
) => Promise<Response>;
export type ServerStreamHandler<Request, Response> = (
  request: Request,
  context: CallContext,
) => AsyncIterable<Response> | Iterable<Response>;

type RequestOf<M> = M extends { requestDeserialize: (bytes: Buffer) => infer Request }
  ? Request
  : never;
type ResponseOf<M> = M extends { responseSerialize: (value: infer Response) => Buffer }
  ? Response
  : never;

/** The typed handlers of a generated service definition: unary → Promise, server stream → AsyncIterable. */
export type ServiceHandlers<Definition> = {
  [Method in keyof Definition]: Definition[Method] extends { responseStream: true }
    ? ServerStreamHandler<RequestOf<Definition[Method]>, ResponseOf<Definition[Method]>>
    : UnaryHandler<RequestOf<Definition[Method]>, ResponseOf<Definition[Method]>>;
};

export interface RpcRuntime {
  readonly identity: PeerIdentityResolver;
  readonly policy: AuthorizationPolicy;
  readonly metrics: RpcMetrics;
  readonly logger: Logger;
  /** Unary calls: the deadline applied when the caller sets none, and the cap on any deadline. */
  readonly deadlineMaxMs: number;
  /** The same for server streams (WatchPayment, Health.Watch), which live longer by design. */
  readonly streamDeadlineMaxMs: number;
}

const partnerIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;
const scopePattern = /^[\x21\x23-\x5b\x5d-\x7e]{1,64}$/;

export function implementService<Definition extends grpc.ServiceDefinition>(
  definition: Definition,
  handlers: ServiceHandlers<Definition>,
  runtime: RpcRuntime,
): grpc.UntypedServiceImplementation {
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(definition)) {
    const method = definition[name] as grpc.MethodDefinition<unknown, unknown>;
    const handler = handlers[name] as unknown;
    if (method.requestStream) throw new Error(`${method.path}: client streaming is not supported`);
    implementation[name] = method.responseStream
      ? serverStream(method.path, handler as ServerStreamHandler<unknown, unknown>, runtime)
      : unary(method.path, handler as UnaryHandler<unknown, unknown>, runtime);
  }
  return implementation;
}

function unary(
  path: string,
  handler: UnaryHandler<unknown, unknown>,
  runtime: RpcRuntime,
): grpc.handleUnaryCall<unknown, unknown> {
  const metrics = runtime.metrics.method(path, 'unary');
  const logger = runtime.logger.child({ method: path });
  return (call, callback) => {
    const started = beginCall(path, call, runtime, { metrics, logger }, runtime.deadlineMaxMs);
    let finished = false;
    const finish = (error: unknown, response?: unknown): void => {
      if (finished) return;
      finished = true;
      const status = started.end(error);
      if (status === undefined) {
        metrics.messageSent();
        callback(null, response);
      } else callback(status);
    };
    if (started.context === undefined) {
      finish(started.refusal);
      return;
    }
    started.onAbort = (reason) => {
      finish(reason);
    };
    let pending: Promise<unknown>;
    try {
      pending = handler(call.request, started.context);
    } catch (error) {
      // A handler that throws before returning its promise is answered like one that rejects.
      finish(error);
      return;
    }
    pending.then(
      (response) => {
        finish(undefined, response);
      },
      (error: unknown) => {
        finish(error);
      },
    );
  };
}

function serverStream(
  path: string,
  handler: ServerStreamHandler<unknown, unknown>,
  runtime: RpcRuntime,
): grpc.handleServerStreamingCall<unknown, unknown> {
  const metrics = runtime.metrics.method(path, 'server_stream');
  const logger = runtime.logger.child({ method: path });
  return (call) => {
    const started = beginCall(
      path,
      call,
      runtime,
      { metrics, logger },
      runtime.streamDeadlineMaxMs,
    );
    let finished = false;
    const finish = (error: unknown): void => {
      if (finished) return;
      finished = true;
      const status = started.end(error);
      if (status === undefined) call.end();
      else call.emit('error', status);
    };
    const context = started.context;
    if (context === undefined) {
      finish(started.refusal);
      return;
    }
    started.onAbort = (reason) => {
      finish(reason);
    };
    (async () => {
      for await (const message of handler(call.request, context)) {
        // finish() aborts the signal: after a deadline or a cancel, stop writing.
        if (context.signal.aborted) return;
        metrics.messageSent();
        // Under back-pressure wait for drain, but not past the call's end (it never drains then).
        if (!call.write(message)) {
          await once(call, 'drain', { signal: context.signal }).catch(() => undefined);
        }
      }
    })().then(
      () => {
        finish(undefined);
      },
      (error: unknown) => {
        finish(error);
      },
    );
  };
}

interface StartedCall {
  /** Undefined when the call was refused before the handler: see `refusal`. */
  readonly context: CallContext | undefined;
  readonly refusal: MeshError | undefined;
  /** The call ended early (deadline or the caller's cancel): record and answer that. */
  onAbort: (reason: MeshError) => void;
  /** Records the outcome (log line, metrics); answers the status to send, or undefined for OK. */
  end(error: unknown): ReturnType<MeshError['toStatus']> | undefined;
}

type IncomingCall =
  grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;

/**
 * Cancellation of one call, made only if a handler asks for the signal: most never do, and an
 * AbortController per call (with the DOMException that abort() builds) is measurable.
 */
class Cancellation {
  private controller: AbortController | undefined;
  private reason: MeshError | undefined;

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.reason !== undefined) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: MeshError): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}

const callFinished = new MeshError(grpc.status.CANCELLED, 'INTERNAL_ERROR', 'the call has ended');
const callCancelled = new MeshError(
  grpc.status.CANCELLED,
  'INTERNAL_ERROR',
  'cancelled by the caller',
);

function beginCall(
  path: string,
  call: IncomingCall,
  runtime: RpcRuntime,
  /** Per method, made once: the method's metrics, and a logger with the method bound in. */
  method: { metrics: MethodMetrics; logger: Logger },
  deadlineMaxMs: number,
): StartedCall {
  const { metrics, logger } = method;
  const startedAt = performance.now();
  metrics.started();
  metrics.messageReceived();
  const trace = childSpan(parseTraceparent(call.metadata.get(traceparentKey)[0]));
  const cancellation = new Cancellation();
  let principal: Principal | undefined;
  let context: CallContext | undefined;
  let refusal: MeshError | undefined;
  let timer: NodeJS.Timeout | undefined;
  let deadlineMs = Infinity;
  // grpc-js ends a call whose caller's deadline passed, or that the caller cancelled, with
  // 'cancelled'; which of the two it was shows in the clock.
  const onCancelled = (): void => {
    const reason = Date.now() >= deadlineMs ? deadlineExceeded() : callCancelled;
    cancellation.abort(reason);
    started.onAbort(reason);
  };
  const started: StartedCall = {
    get context() {
      return context;
    },
    get refusal() {
      return refusal;
    },
    onAbort: () => undefined,
    end: (error) => {
      clearTimeout(timer);
      call.removeListener('cancelled', onCancelled);
      const failure = error === undefined ? undefined : MeshError.from(error);
      const code = failure?.code ?? grpc.status.OK;
      const durationMs = performance.now() - startedAt;
      metrics.handled(code, durationMs / 1000);
      logCall(logger, { principal, code, durationMs, trace, failure });
      cancellation.abort(callFinished);
      return failure?.toStatus();
    },
  };
  // on(), not once(): once() wraps the listener, and end() removes it either way.
  call.on('cancelled', onCancelled);
  try {
    principal = runtime.identity.resolve(call);
    authorize(runtime, principal, path);
    const partner = partnerOf(call.metadata, principal);
    const callerDeadline = call.getDeadline();
    const callerMs = callerDeadline instanceof Date ? callerDeadline.getTime() : callerDeadline;
    deadlineMs = Math.min(callerMs, Date.now() + deadlineMaxMs);
    const deadline = new Date(deadlineMs);
    // grpc-js enforces the caller's own deadline; a timer is needed only where our cap is earlier.
    if (deadlineMs < callerMs) {
      timer = setTimeout(() => {
        const reason = deadlineExceeded();
        cancellation.abort(reason);
        started.onAbort(reason);
      }, deadlineMs - Date.now());
    }
    context = {
      method: path,
      principal,
      // Read on demand: most calls never need it, and getPeer() builds a string.
      get peerAddress() {
        return call.getPeer();
      },
      partner,
      deadline,
      get signal() {
        return cancellation.signal;
      },
      trace,
      metadata: call.metadata,
      logger,
    };
  } catch (error) {
    refusal = MeshError.from(error);
  }
  return started;
}

function authorize(runtime: RpcRuntime, principal: Principal, path: string): void {
  if (runtime.policy.allows(principal, path)) return;
  throw new MeshError(
    grpc.status.PERMISSION_DENIED,
    'POLICY_DENIED',
    `${principal.id} may not call ${path}`,
  );
}

function partnerOf(metadata: grpc.Metadata, principal: Principal): PartnerIdentity | undefined {
  const partnerIds = metadata.get(partnerIdKey);
  const scopes = metadata.get(partnerScopesKey);
  if (partnerIds.length === 0 && scopes.length === 0) return undefined;
  if (principal.id !== 'service/gateway') {
    throw new MeshError(
      grpc.status.PERMISSION_DENIED,
      'POLICY_DENIED',
      `${partnerIdKey} and ${partnerScopesKey} are accepted only from service/gateway`,
    );
  }
  const partnerId = partnerIds[0];
  const scopeText = scopes[0] ?? '';
  const scopeList =
    typeof scopeText === 'string' ? scopeText.split(' ').filter((scope) => scope !== '') : [];
  if (
    partnerIds.length !== 1 ||
    scopes.length > 1 ||
    typeof partnerId !== 'string' ||
    !partnerIdPattern.test(partnerId) ||
    !scopeList.every((scope) => scopePattern.test(scope))
  ) {
    throw MeshError.invalidArgument([
      { field: partnerIdKey, description: 'malformed partner metadata' },
    ]);
  }
  return { partnerId, scopes: scopeList };
}

function deadlineExceeded(): MeshError {
  return new MeshError(grpc.status.DEADLINE_EXCEEDED, 'DEADLINE_EXCEEDED', 'deadline exceeded');
}

function logCall(
  logger: Logger,
  call: {
    principal: Principal | undefined;
    code: grpc.status;
    durationMs: number;
    trace: TraceContext;
    failure: MeshError | undefined;
  },
): void {
  // The method is bound in the logger (serialised once per method, not once per call).
  const line = {
    principal: call.principal?.id,
    code: grpc.status[call.code],
    reason: call.failure?.reason,
    durationMs: Math.round(call.durationMs * 1000) / 1000,
    traceId: call.trace.traceId,
  };
  if (call.failure?.code === grpc.status.INTERNAL) {
    logger.error({ ...line, err: call.failure.cause ?? call.failure }, 'rpc failed');
  } else if (
    call.failure?.reason === 'POLICY_DENIED' ||
    call.failure?.code === grpc.status.UNAUTHENTICATED
  ) {
    logger.warn(line, 'rpc refused');
  } else {
    logger.info(line, 'rpc');
  }
}
