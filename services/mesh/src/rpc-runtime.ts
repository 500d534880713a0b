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
  /**
   * The same state as `signal`, to poll: code that only asks "is the caller still there?" reads
   * this and spares the call an AbortController (built on first use of `signal`, ~8 µs with the
   * abort that ends it).
   */
  readonly abortState: AbortState;
  readonly trace: TraceContext;
  readonly metadata: grpc.Metadata;
  readonly logger: Logger;
}

/** What an AbortSignal says, without its events: whether, and why, the call has ended. */
export interface AbortState {
  readonly aborted: boolean;
  readonly reason: unknown;
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
  const method = {
    metrics: runtime.metrics.method(path, 'unary'),
    logger: runtime.logger.child({ method: path }),
  };
  return (call, callback) => {
    const started = new UnaryCall(path, call, runtime, method, callback);
    const context = started.context;
    if (context === undefined) {
      started.finish(started.refusal);
      return;
    }
    let pending: Promise<unknown>;
    try {
      pending = handler(call.request, context);
    } catch (error) {
      // A handler that throws before returning its promise is answered like one that rejects.
      started.finish(error);
      return;
    }
    pending.then(
      (response) => {
        started.finish(undefined, response);
      },
      (error: unknown) => {
        started.finish(error);
      },
    );
  };
}

function serverStream(
  path: string,
  handler: ServerStreamHandler<unknown, unknown>,
  runtime: RpcRuntime,
): grpc.handleServerStreamingCall<unknown, unknown> {
  const method = {
    metrics: runtime.metrics.method(path, 'server_stream'),
    logger: runtime.logger.child({ method: path }),
  };
  return (call) => {
    const started = new StreamCall(path, call, runtime, method);
    const context = started.context;
    if (context === undefined) {
      started.finish(started.refusal);
      return;
    }
    (async () => {
      for await (const message of handler(call.request, context)) {
        // finish() aborts the signal: after a deadline or a cancel, stop writing.
        if (context.signal.aborted) return;
        method.metrics.messageSent();
        // Under back-pressure wait for drain, but not past the call's end (it never drains then).
        if (!call.write(message)) {
          await once(call, 'drain', { signal: context.signal }).catch(() => undefined);
        }
      }
    })().then(
      () => {
        started.finish(undefined);
      },
      (error: unknown) => {
        started.finish(error);
      },
    );
  };
}

type IncomingCall =
  grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;

/**
 * Cancellation of one call. Its AbortController is made only if a handler asks for the signal:
 * most only poll (`abortState`, this object) or never look, and an AbortController per call (with
 * the event its abort() dispatches) is measurable.
 */
class Cancellation implements AbortState {
  private controller: AbortController | undefined;
  private endedBy: MeshError | undefined;

  get aborted(): boolean {
    return this.endedBy !== undefined;
  }

  get reason(): MeshError | undefined {
    return this.endedBy;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.endedBy !== undefined) this.controller.abort(this.endedBy);
    }
    return this.controller.signal;
  }

  abort(reason: MeshError): void {
    if (this.endedBy !== undefined) return;
    this.endedBy = reason;
    this.controller?.abort(reason);
  }
}

const callFinished = new MeshError(grpc.status.CANCELLED, 'INTERNAL_ERROR', 'the call has ended');
const callCancelled = new MeshError(
  grpc.status.CANCELLED,
  'INTERNAL_ERROR',
  'cancelled by the caller',
);

/**
 * What a handler sees of its call. A class, not an object literal: its lazy getters then live on
 * the prototype, whereas getters in a literal are new closures per call, which V8 keeps in the
 * object's hidden class, so those objects cannot share one.
 */
class ServerCallContext implements CallContext {
  constructor(
    readonly method: string,
    readonly principal: Principal,
    readonly partner: PartnerIdentity | undefined,
    readonly deadline: Date,
    readonly trace: TraceContext,
    readonly logger: Logger,
    private readonly call: IncomingCall,
    private readonly cancellation: Cancellation,
  ) {}

  get metadata(): grpc.Metadata {
    return this.call.metadata;
  }

  // Read on demand: most calls never need it, and getPeer() builds a string.
  get peerAddress(): string {
    return this.call.getPeer();
  }

  get signal(): AbortSignal {
    return this.cancellation.signal;
  }

  get abortState(): AbortState {
    return this.cancellation;
  }
}

/** Per method, made once: the method's metrics, and a logger with the method bound in. */
interface MethodRuntime {
  readonly metrics: MethodMetrics;
  readonly logger: Logger;
}

type Status = ReturnType<MeshError['toStatus']>;

/**
 * One call from its arrival: checks it (identity, policy, partner, deadline), then ends it exactly
 * once (log line, metrics, answer), whether the handler settles, the deadline passes or the caller
 * cancels. Per-call state lives in fields, not closures: this is every RPC's path.
 */
abstract class StartedCall {
  /** Undefined when the call was refused before the handler: see `refusal`. */
  readonly context: CallContext | undefined;
  readonly refusal: MeshError | undefined;
  private readonly startedAt = performance.now();
  private readonly trace: TraceContext;
  private readonly cancellation = new Cancellation();
  private readonly onCancelled: () => void;
  private principal: Principal | undefined;
  private timer: NodeJS.Timeout | undefined;
  private deadlineMs = Infinity;
  private finished = false;

  constructor(
    path: string,
    private readonly call: IncomingCall,
    runtime: RpcRuntime,
    protected readonly method: MethodRuntime,
    deadlineMaxMs: number,
  ) {
    method.metrics.started();
    method.metrics.messageReceived();
    this.trace = childSpan(parseTraceparent(call.metadata.get(traceparentKey)[0]));
    // on(), not once(): once() wraps the listener, and finish() removes it either way.
    this.onCancelled = this.cancelled.bind(this);
    call.on('cancelled', this.onCancelled);
    try {
      const principal = runtime.identity.resolve(call);
      this.principal = principal;
      authorize(runtime, principal, path);
      const partner = partnerOf(call.metadata, principal);
      const callerDeadline = call.getDeadline();
      const callerMs = callerDeadline instanceof Date ? callerDeadline.getTime() : callerDeadline;
      this.deadlineMs = Math.min(callerMs, Date.now() + deadlineMaxMs);
      // grpc-js enforces the caller's own deadline; a timer is needed only where our cap is earlier.
      if (this.deadlineMs < callerMs) {
        this.timer = setTimeout(() => {
          this.abort(deadlineExceeded());
        }, this.deadlineMs - Date.now());
      }
      this.context = new ServerCallContext(
        path,
        principal,
        partner,
        new Date(this.deadlineMs),
        this.trace,
        method.logger,
        call,
        this.cancellation,
      );
    } catch (error) {
      this.refusal = MeshError.from(error);
    }
  }

  /** Ends the call, once: records the outcome, then answers. Later ends are dropped. */
  finish(error: unknown, response?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    this.call.removeListener('cancelled', this.onCancelled);
    const failure = error === undefined ? undefined : MeshError.from(error);
    const code = failure?.code ?? grpc.status.OK;
    const durationMs = performance.now() - this.startedAt;
    this.method.metrics.handled(code, durationMs / 1000);
    logCall(this.method.logger, {
      principal: this.principal,
      code,
      durationMs,
      trace: this.trace,
      failure,
    });
    this.cancellation.abort(callFinished);
    this.answer(failure?.toStatus(), response);
  }

  /** Sends the outcome: `status` undefined is OK. */
  protected abstract answer(status: Status | undefined, response: unknown): void;

  /** The call ended early (deadline or the caller's cancel): stop the handler, answer that. */
  private abort(reason: MeshError): void {
    this.cancellation.abort(reason);
    this.finish(reason);
  }

  // grpc-js ends a call whose caller's deadline passed, or that the caller cancelled, with
  // 'cancelled'; which of the two it was shows in the clock.
  private cancelled(): void {
    this.abort(Date.now() >= this.deadlineMs ? deadlineExceeded() : callCancelled);
  }
}

class UnaryCall extends StartedCall {
  constructor(
    path: string,
    call: grpc.ServerUnaryCall<unknown, unknown>,
    runtime: RpcRuntime,
    method: MethodRuntime,
    private readonly callback: grpc.sendUnaryData<unknown>,
  ) {
    super(path, call, runtime, method, runtime.deadlineMaxMs);
  }

  protected answer(status: Status | undefined, response: unknown): void {
    if (status === undefined) {
      this.method.metrics.messageSent();
      this.callback(null, response);
    } else this.callback(status);
  }
}

class StreamCall extends StartedCall {
  constructor(
    path: string,
    private readonly stream: grpc.ServerWritableStream<unknown, unknown>,
    runtime: RpcRuntime,
    method: MethodRuntime,
  ) {
    super(path, stream, runtime, method, runtime.streamDeadlineMaxMs);
  }

  protected answer(status: Status | undefined): void {
    if (status === undefined) this.stream.end();
    else this.stream.emit('error', status);
  }
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
