// Whether a transfer sent again is the one already stored under its id (EXISTS) or another one
// (EXISTS_WITH_DIFFERENT_FIELDS). As results.proto says, fields are compared after UUIDs are
// lower-cased and after a post or void has taken its empty fields and a 0 amount from its pending
// transfer, so a retry that spells a post the way it was first sent always matches.
import type { StoredTransfer, TransferInput } from './types.js';
import { normalizeUuid } from '../../../mesh/src/uuid.js';

/** How the engine finds the pending transfer that a stored post or void resolved. */
export interface TransferLookup {
  transfer(id: string): StoredTransfer | undefined;
}

export function hasSameFields(
  input: TransferInput,
  stored: StoredTransfer,
  lookup: TransferLookup,
): boolean {
  const pendingId = normalizeUuid(input.pendingId);
  const resolves =
    (input.flags.postPendingTransfer || input.flags.voidPendingTransfer) &&
    pendingId !== '' &&
    pendingId === stored.pendingId;
  const pending = resolves ? lookup.transfer(pendingId) : undefined;
  if (resolves && pending === undefined) {
    throw new Error(`pending transfer ${pendingId} of stored transfer ${stored.id} is not loaded`);
  }
  const debitAccountId =
    pending !== undefined && input.debitAccountId === ''
      ? pending.debitAccountId
      : normalizeUuid(input.debitAccountId);
  const creditAccountId =
    pending !== undefined && input.creditAccountId === ''
      ? pending.creditAccountId
      : normalizeUuid(input.creditAccountId);
  const currency =
    pending !== undefined && input.currency === '' ? pending.currency : input.currency;
  const amount = pending !== undefined && input.amount === 0n ? pending.amount : input.amount;
  return (
    debitAccountId === stored.debitAccountId &&
    creditAccountId === stored.creditAccountId &&
    amount === stored.amount &&
    currency === stored.currency &&
    input.flags.linked === stored.flags.linked &&
    input.flags.pending === stored.flags.pending &&
    input.flags.postPendingTransfer === stored.flags.postPendingTransfer &&
    input.flags.voidPendingTransfer === stored.flags.voidPendingTransfer &&
    pendingId === stored.pendingId &&
    input.timeoutSeconds === stored.timeoutSeconds &&
    input.code === stored.code &&
    input.reference === stored.reference
  );
}
