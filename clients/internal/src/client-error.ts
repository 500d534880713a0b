// The error a client call rejects with: the gRPC code, the ErrorInfo reason and BadRequest field
// violations decoded from grpc-status-details-bin, and the original error as cause.
import * as grpc from '@grpc/grpc-js';
import { decodeStatusDetails, type StatusDetails } from '../../../services/mesh/src/errors.js';

export class ClientError extends Error {
  override readonly name = 'ClientError';

  constructor(
    readonly code: grpc.status,
    /** ErrorInfo.reason, or '' when the status carried none (e.g. a local deadline). */
    readonly reason: string,
    message: string,
    readonly details: StatusDetails,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static fromServiceError(error: grpc.ServiceError): ClientError {
    const details = decodeStatusDetails(error.metadata);
    return new ClientError(error.code, details.errorInfo?.reason ?? '', error.details, details, {
      cause: error,
    });
  }

  static circuitOpen(target: string, cause: unknown): ClientError {
    return new ClientError(
      grpc.status.UNAVAILABLE,
      'CIRCUIT_OPEN',
      `circuit breaker for ${target} is open`,
      { errorInfo: undefined, badRequest: undefined },
      { cause },
    );
  }
}
