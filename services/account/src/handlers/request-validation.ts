// Request-level checks shared by the account handlers: INVALID_ARGUMENT with proto field names,
// and the one NOT_FOUND that unknown and invisible accounts share.
import * as grpc from '@grpc/grpc-js';
import { MeshError } from '../../../mesh/src/errors.js';
import { parseUuid, type Violation } from '../domain/index.js';

export function refuseViolations(violations: readonly Violation[]): void {
  if (violations.length > 0) throw MeshError.invalidArgument(violations);
}

/** The lower-case UUID, or INVALID_ARGUMENT on `field`. */
export function requireUuid(text: string, field: string): string {
  const id = parseUuid(text);
  if (id === undefined) {
    throw MeshError.invalidArgument([{ field, description: 'must be a UUID (not nil or max)' }]);
  }
  return id;
}

/** Unknown and invisible accounts answer alike, so a partner learns nothing by probing. */
export function accountNotFound(accountId: string): MeshError {
  return new MeshError(
    grpc.status.NOT_FOUND,
    'ACCOUNT_NOT_FOUND',
    `account ${accountId} not found`,
  );
}

export function partnerNotFound(partnerId: string): MeshError {
  return new MeshError(
    grpc.status.NOT_FOUND,
    'PARTNER_NOT_FOUND',
    `partner ${partnerId} not found`,
  );
}
