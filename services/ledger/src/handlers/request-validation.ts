// Request-level checks shared by the ledger's handlers. These are for a malformed request as a
// whole (INVALID_ARGUMENT with the proto field name); a malformed item of CreateTransfers or
// CreateAccounts is the engine's business and gets its own status instead.
import * as grpc from '@grpc/grpc-js';
import { MeshError } from '../../../mesh/src/errors.js';
import { parseUuid } from '../domain/index.js';

/**
 * `countMax` is the domain's own limit (TRANSFERS_PER_REQUEST_MAX, ACCOUNTS_PER_REQUEST_MAX): the
 * engine asserts it, so a request the handler let past it would fail its whole batch.
 */
export function requireItemCount(count: number, field: string, countMax: number): void {
  if (count === 0) throw MeshError.invalidArgument([{ field, description: 'must not be empty' }]);
  if (count > countMax) {
    throw MeshError.invalidArgument([
      { field, description: `has ${count} items; at most ${countMax} are allowed` },
    ]);
  }
}

/** The lower-case UUID, or INVALID_ARGUMENT on `field`. */
export function requireUuid(text: string, field: string): string {
  const id = parseUuid(text);
  if (id === undefined) {
    throw MeshError.invalidArgument([{ field, description: 'must be a UUID (not nil or max)' }]);
  }
  return id;
}

/** Every id of a lookup, lower case; every malformed one is reported. */
export function requireUuids(texts: readonly string[], field: string, countMax: number): string[] {
  requireItemCount(texts.length, field, countMax);
  const ids: string[] = [];
  const malformed: number[] = [];
  texts.forEach((text, index) => {
    const id = parseUuid(text);
    if (id === undefined) malformed.push(index);
    else ids.push(id);
  });
  if (malformed.length > 0) {
    const shown = malformed.slice(0, 10).join(', ');
    throw MeshError.invalidArgument([
      { field, description: `items at ${shown} are not UUIDs (nil and max are refused)` },
    ]);
  }
  return ids;
}

export function accountNotFound(id: string): MeshError {
  return new MeshError(
    grpc.status.NOT_FOUND,
    'ACCOUNT_NOT_FOUND',
    `ledger account ${id} not found`,
  );
}
