// A test-only gRPC service that runs through the real mesh runtime: it echoes what the runtime
// told it (principal, partner, remaining deadline, trace id) and can be told to wait or fail, so
// tests can observe identity, deadlines, drains, breakers and retries on real calls. Messages are
// JSON in the protobuf bytes slot; nothing about the runtime depends on their encoding.
import * as grpc from '@grpc/grpc-js';
import { MeshError, type ErrorReason } from '../../services/mesh/src/errors.js';
import type { ServiceHandlers } from '../../services/mesh/src/rpc-runtime.js';
import type { MeshClient } from '../../clients/internal/src/index.js';

export interface EchoRequest {
  readonly text?: string;
  /** Wait this long (or until the call is cancelled) before answering. */
  readonly delayMs?: number;
  /** Fail with this code and reason instead of answering. */
  readonly fail?: { code: grpc.status; reason: ErrorReason };
  /** Throw a plain Error with this message (must become a generic INTERNAL). */
  readonly crash?: string;
  /** Fail the first `times` calls carrying this key with `code` / `reason`, then answer. */
  readonly failFirst?: { key: string; times: number; code: grpc.status; reason: ErrorReason };
  /** Also call the downstream echo server, passing this call's context on. */
  readonly relay?: boolean;
}

export interface EchoResponse {
  readonly text: string;
  readonly principal: string;
  readonly partnerId: string | null;
  readonly scopes: readonly string[];
  readonly deadlineRemainingMs: number;
  /** The server's effective deadline, as epoch milliseconds. */
  readonly deadlineAtMs: number;
  readonly traceId: string;
  /** How many calls with the request's failFirst key the server has seen, this one included. */
  readonly attempt: number;
  readonly downstream: EchoResponse | null;
}

const json = {
  serialize: (value: unknown): Buffer => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer): unknown => JSON.parse(bytes.toString()),
};

function method<Request, Response>(name: string, responseStream: boolean) {
  return {
    path: `/clearmesh.test.v1.EchoService/${name}`,
    requestStream: false as const,
    responseStream,
    requestSerialize: (value: Request) => json.serialize(value),
    requestDeserialize: (bytes: Buffer) => json.deserialize(bytes) as Request,
    responseSerialize: (value: Response) => json.serialize(value),
    responseDeserialize: (bytes: Buffer) => json.deserialize(bytes) as Response,
  };
}

export const EchoService = {
  echo: { ...method<EchoRequest, EchoResponse>('Echo', false), responseStream: false as const },
  count: { ...method<{ to: number }, { n: number }>('Count', true), responseStream: true as const },
};

export const EchoClient = grpc.makeGenericClientConstructor(EchoService, 'EchoService');

/** What tests can observe of the echo server's calls. */
export interface EchoHooks {
  /** As each echo starts: a call is in flight on the server. */
  onStart?(request: EchoRequest): void;
  /** A delayed echo learned that its call ended early (the runtime has recorded it by then). */
  onAbort?(request: EchoRequest): void;
}

/** The echo server's handlers; `downstream` is the client a relay call goes through. */
export function createEchoHandlers(
  downstream?: MeshClient<typeof EchoService>,
  hooks: EchoHooks = {},
): ServiceHandlers<typeof EchoService> {
  const attempts = new Map<string, number>();
  return {
    echo: async (request, context) => {
      hooks.onStart?.(request);
      if (request.delayMs !== undefined) {
        const aborted = await waitOrAbort(request.delayMs, context.signal);
        if (aborted) hooks.onAbort?.(request);
      }
      if (request.fail !== undefined) {
        throw new MeshError(request.fail.code, request.fail.reason, 'told to fail');
      }
      if (request.crash !== undefined) throw new Error(request.crash);
      let attempt = 1;
      if (request.failFirst !== undefined) {
        const { key, times, code, reason } = request.failFirst;
        attempt = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, attempt);
        if (attempt <= times) throw new MeshError(code, reason, `failing attempt ${attempt}`);
      }
      let relayed: EchoResponse | null = null;
      if (request.relay === true) {
        if (downstream === undefined) throw new Error('relay requested but no downstream');
        relayed = await downstream.call.echo({ text: request.text ?? '' }, { context });
      }
      return {
        text: request.text ?? '',
        principal: context.principal.id,
        partnerId: context.partner?.partnerId ?? null,
        scopes: context.partner?.scopes ?? [],
        deadlineRemainingMs: context.deadline.getTime() - Date.now(),
        deadlineAtMs: context.deadline.getTime(),
        traceId: context.trace.traceId,
        attempt,
        downstream: relayed,
      };
    },
    count: function* (request) {
      for (let n = 1; n <= request.to; n += 1) yield { n };
    },
  };
}

/** Waits `delayMs`; answers true if the call ended first (deadline, cancel). */
function waitOrAbort(delayMs: number, signal: AbortSignal): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      resolve(false);
    }, delayMs);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
