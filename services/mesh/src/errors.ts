// The one error type of the mesh and its wire form. A MeshError carries a gRPC code, an ErrorInfo
// reason (domain `clearmesh`), BadRequest field violations for INVALID_ARGUMENT, and a cause that
// stays in the logs. Anything else thrown by a handler becomes INTERNAL with a generic message.
import * as grpc from '@grpc/grpc-js';
import { Any } from '../../../gen/grpc-js/google/protobuf/any.js';
import {
  BadRequest,
  ErrorInfo,
  type BadRequest_FieldViolation,
} from '../../../gen/grpc-js/google/rpc/error_details.js';
import { Status } from '../../../gen/grpc-js/google/rpc/status.js';

export const errorDomain = 'clearmesh';
export const statusDetailsKey = 'grpc-status-details-bin';

const errorInfoTypeUrl = 'type.googleapis.com/google.rpc.ErrorInfo';
const badRequestTypeUrl = 'type.googleapis.com/google.rpc.BadRequest';

/** Every reason docs/errors.md lists. */
export type ErrorReason =
  | 'VALIDATION_FAILED'
  | 'ACCOUNT_NOT_FOUND'
  | 'PAYMENT_NOT_FOUND'
  | 'PARTNER_NOT_FOUND'
  | 'POLICY_DENIED'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'INVALID_STATE'
  | 'ACCOUNT_NOT_EMPTY'
  | 'IDEMPOTENCY_KEY_IN_USE'
  | 'CIRCUIT_OPEN'
  | 'DEPENDENCY_UNAVAILABLE'
  | 'SHUTTING_DOWN'
  | 'RATE_LIMITED'
  | 'REQUEST_TOO_LARGE'
  | 'INVALID_CLIENT'
  | 'INVALID_PEER_IDENTITY'
  | 'DEADLINE_EXCEEDED'
  | 'METHOD_NOT_EXPOSED'
  | 'NOT_IMPLEMENTED'
  | 'SERVICE_NOT_FOUND'
  | 'INTERNAL_ERROR';

export interface FieldViolation {
  /** Proto field name, dotted for nesting: `amount.currency`. */
  readonly field: string;
  readonly description: string;
}

export interface MeshErrorOptions {
  readonly metadata?: Readonly<Record<string, string>>;
  readonly fieldViolations?: readonly FieldViolation[];
  readonly cause?: unknown;
}

export class MeshError extends Error {
  override readonly name = 'MeshError';
  readonly metadata: Readonly<Record<string, string>>;
  readonly fieldViolations: readonly FieldViolation[];

  constructor(
    readonly code: grpc.status,
    readonly reason: ErrorReason,
    message: string,
    options: MeshErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.metadata = options.metadata ?? {};
    this.fieldViolations = options.fieldViolations ?? [];
  }

  static invalidArgument(violations: readonly FieldViolation[]): MeshError {
    const summary = violations.map((violation) => `${violation.field}: ${violation.description}`);
    return new MeshError(grpc.status.INVALID_ARGUMENT, 'VALIDATION_FAILED', summary.join('; '), {
      fieldViolations: violations,
    });
  }

  /** A MeshError as it is; anything else as INTERNAL with a generic message and the cause kept. */
  static from(error: unknown): MeshError {
    if (error instanceof MeshError) return error;
    return new MeshError(grpc.status.INTERNAL, 'INTERNAL_ERROR', 'internal error', {
      cause: error,
    });
  }

  /** The status a server sends: code, message and details in grpc-status-details-bin. */
  toStatus(): Partial<grpc.StatusObject> & { code: grpc.status } {
    const metadata = new grpc.Metadata();
    metadata.set(statusDetailsKey, encodeStatusDetails(this));
    return { code: this.code, details: this.message, metadata };
  }
}

function encodeStatusDetails(error: MeshError): Buffer {
  const details: Any[] = [
    {
      typeUrl: errorInfoTypeUrl,
      value: Buffer.from(
        ErrorInfo.encode({
          reason: error.reason,
          domain: errorDomain,
          metadata: { ...error.metadata },
        }).finish(),
      ),
    },
  ];
  if (error.fieldViolations.length > 0) {
    const fieldViolations: BadRequest_FieldViolation[] = error.fieldViolations.map((violation) => ({
      field: violation.field,
      description: violation.description,
      reason: '',
      localizedMessage: undefined,
    }));
    details.push({
      typeUrl: badRequestTypeUrl,
      value: Buffer.from(BadRequest.encode({ fieldViolations }).finish()),
    });
  }
  return Buffer.from(Status.encode({ code: error.code, message: error.message, details }).finish());
}

export interface StatusDetails {
  readonly errorInfo: ErrorInfo | undefined;
  readonly badRequest: BadRequest | undefined;
}

/** Reads ErrorInfo and BadRequest back from a failed call's trailers (clients and tests). */
export function decodeStatusDetails(metadata: grpc.Metadata | undefined): StatusDetails {
  const raw = metadata?.get(statusDetailsKey)[0];
  if (raw === undefined || typeof raw === 'string')
    return { errorInfo: undefined, badRequest: undefined };
  const status = Status.decode(raw);
  let errorInfo: ErrorInfo | undefined;
  let badRequest: BadRequest | undefined;
  for (const detail of status.details) {
    if (detail.typeUrl === errorInfoTypeUrl) errorInfo = ErrorInfo.decode(detail.value);
    if (detail.typeUrl === badRequestTypeUrl) badRequest = BadRequest.decode(detail.value);
  }
  return { errorInfo, badRequest };
}

// go-grpc-prometheus labels codes by Go's codes.Code.String(): dashboards match these names.
const codeNames: Readonly<Record<grpc.status, string>> = {
  [grpc.status.OK]: 'OK',
  [grpc.status.CANCELLED]: 'Canceled',
  [grpc.status.UNKNOWN]: 'Unknown',
  [grpc.status.INVALID_ARGUMENT]: 'InvalidArgument',
  [grpc.status.DEADLINE_EXCEEDED]: 'DeadlineExceeded',
  [grpc.status.NOT_FOUND]: 'NotFound',
  [grpc.status.ALREADY_EXISTS]: 'AlreadyExists',
  [grpc.status.PERMISSION_DENIED]: 'PermissionDenied',
  [grpc.status.RESOURCE_EXHAUSTED]: 'ResourceExhausted',
  [grpc.status.FAILED_PRECONDITION]: 'FailedPrecondition',
  [grpc.status.ABORTED]: 'Aborted',
  [grpc.status.OUT_OF_RANGE]: 'OutOfRange',
  [grpc.status.UNIMPLEMENTED]: 'Unimplemented',
  [grpc.status.INTERNAL]: 'Internal',
  [grpc.status.UNAVAILABLE]: 'Unavailable',
  [grpc.status.DATA_LOSS]: 'DataLoss',
  [grpc.status.UNAUTHENTICATED]: 'Unauthenticated',
};

export function codeName(code: grpc.status): string {
  return codeNames[code];
}
