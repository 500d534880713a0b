// Which rows a batch reads, so the storage layer can load and lock exactly those before calling
// the engine. Ids come out lower case, without duplicates, in ascending order: locking rows in one
// global order (transfers first, then accounts, each by id) keeps concurrent writers from
// deadlocking. Malformed ids are skipped: the engine refuses those transfers without a lookup.
import type { LedgerAccountInput, StoredTransfer, TransferInput } from './types.js';
import { parseUuid } from '../../../mesh/src/uuid.js';

function sortedUnique(ids: Iterable<string>): string[] {
  return [...new Set(ids)].sort();
}

function* validIds(texts: Iterable<string>): Generator<string> {
  for (const text of texts) {
    const id = parseUuid(text);
    if (id !== undefined) yield id;
  }
}

function* allTransfers(requests: readonly (readonly TransferInput[])[]): Generator<TransferInput> {
  for (const request of requests) yield* request;
}

/**
 * Transfer ids to load, with their recorded failures: every transfer's id (idempotency) and
 * pending_id (the pending transfer posted or voided).
 */
export function transferIdsToLoad(requests: readonly (readonly TransferInput[])[]): string[] {
  const texts: string[] = [];
  for (const input of allTransfers(requests)) texts.push(input.id, input.pendingId);
  return sortedUnique(validIds(texts));
}

/**
 * Account ids to load and lock: every debit and credit account named by the transfers, plus
 * both accounts of every loaded transfer named as a pending_id, since a post or void that leaves
 * its accounts empty moves money on those.
 */
export function accountIdsToLoad(
  requests: readonly (readonly TransferInput[])[],
  loadedTransfers: ReadonlyMap<string, StoredTransfer>,
): string[] {
  const ids: string[] = [];
  for (const input of allTransfers(requests)) {
    ids.push(...validIds([input.debitAccountId, input.creditAccountId]));
    const pendingId = parseUuid(input.pendingId);
    const pending = pendingId === undefined ? undefined : loadedTransfers.get(pendingId);
    if (pending !== undefined) ids.push(pending.debitAccountId, pending.creditAccountId);
  }
  return sortedUnique(ids);
}

/** Account ids a CreateAccounts request may collide with. */
export function accountInputIdsToLoad(inputs: readonly LedgerAccountInput[]): string[] {
  return sortedUnique(validIds(inputs.map((input) => input.id)));
}
