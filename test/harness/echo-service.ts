// A test-only gRPC service that runs through the real mesh runtime: it echoes what the runtime
// told it (principal, partner, remaining deadline, trace id) and can be told to wait or fail, so
// tests can observe identity, deadlines, drains, breakers and retries on real calls. Messages are
// JSON in the protobuf bytes slot; nothing about the runtime depends on their encoding.
import * as grpc from '@grpc/grpc-js';
import { MeshError, type ErrorReason } from '../../services/mesh/src/errors.js';
import type { ServiceHandlers } from '../../services/mesh/src/rpc-runtime.js';

export interface EchoRequest {
  readonly text?: string;
  /** Wait this long (or until the call is cancelled) before answering. */
  readonly delayMs?: number;
  /** Fail with this code and reason instead of answering. */
  readonly fail?: { code: grpc.status; reason: ErrorReason };
  /** Throw a plain Error with this message (must become a generic INTERNAL). */
  readonly crash?: string;
}

export interface EchoResponse {
  readonly text: string;
  readonly principal: string;
  readonly partnerId: string | null;
  readonly scopes: readonly string[];
  readonly deadlineRemainingMs: number;
  readonly traceId: string;
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

export const echoHandlers: ServiceHandlers<typeof EchoService> = {
  echo: async (request, context) => {
    if (request.delayMs !== undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, request.delayMs);
        context.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (request.fail !== undefined)
      throw new MeshError(request.fail.code, request.fail.reason, 'told to fail');
    if (request.crash !== undefined) throw new Error(request.crash);
    return {
      text: request.text ?? '',
      principal: context.principal.id,
      partnerId: context.partner?.partnerId ?? null,
      scopes: context.partner?.scopes ?? [],
      deadlineRemainingMs: context.deadline.getTime() - Date.now(),
      traceId: context.trace.traceId,
    };
  },
  count: function* (request) {
    for (let n = 1; n <= request.to; n += 1) yield { n };
  },
};
