// What a failed call to the account or ledger service means to the payment service's caller: an
// open breaker is UNAVAILABLE / CIRCUIT_OPEN, an unreachable service UNAVAILABLE /
// DEPENDENCY_UNAVAILABLE, a deadline stays a deadline. The operation stays RUNNING, so a retry
// with the same key or the recovery worker finishes it. Anything else is a bug of ours.
import * as grpc from '@grpc/grpc-js';
import { ClientError } from '../../../clients/internal/src/index.js';
import { MeshError } from '../../mesh/src/errors.js';

export function dependencyFailure(error: unknown, dependency: 'account' | 'ledger'): unknown {
  if (!(error instanceof ClientError)) return error;
  if (error.code === grpc.status.UNAVAILABLE) {
    const reason = error.reason === 'CIRCUIT_OPEN' ? 'CIRCUIT_OPEN' : 'DEPENDENCY_UNAVAILABLE';
    return new MeshError(
      grpc.status.UNAVAILABLE,
      reason,
      `the ${dependency} service is unavailable; retry`,
      {
        cause: error,
      },
    );
  }
  if (error.code === grpc.status.DEADLINE_EXCEEDED) {
    return new MeshError(
      grpc.status.DEADLINE_EXCEEDED,
      'DEADLINE_EXCEEDED',
      `the ${dependency} service did not answer within the deadline`,
      { cause: error },
    );
  }
  return error;
}

/** Whether `error` (from dependencyFailure) says the dependency could not be reached at all. */
export function isDependencyUnreachable(error: unknown): boolean {
  return (
    error instanceof MeshError &&
    (error.code === grpc.status.UNAVAILABLE || error.code === grpc.status.DEADLINE_EXCEEDED)
  );
}
