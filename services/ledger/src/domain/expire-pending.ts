// Expiry of pending transfers, for the expiry job. A pending transfer with a timeout expires at
// createdAt + timeoutSeconds: from that instant it can be neither posted nor voided, whether or
// not the job has run. The job then releases its amount from both accounts' pending balances.
// Frozen and closed accounts do not stop an expiry: it only gives money back.
import { assertBalancesInRange, releaseHold } from './balances.js';
import type { LedgerAccountState, PendingTransferChange, StoredTransfer } from './types.js';

/** True once a pending transfer's timeout has passed (expiresAt <= now). */
export function isExpired(transfer: StoredTransfer, now: Date): boolean {
  return transfer.expiresAt !== null && transfer.expiresAt.getTime() <= now.getTime();
}

export interface ExpiryOutcome {
  /** The pending transfers that expire now, in the order given. */
  readonly pendingTransfersExpired: readonly PendingTransferChange[];
  /** The accounts whose pending balances were released, with their final balances. */
  readonly accountsChanged: readonly LedgerAccountState[];
}

/**
 * Expires every transfer of `pending` that is still PENDING and whose timeout has passed;
 * others are ignored. `accounts` must hold the debit and credit account of each of them.
 */
export function expirePendingTransfers(
  pending: readonly StoredTransfer[],
  accounts: ReadonlyMap<string, LedgerAccountState>,
  now: Date,
): ExpiryOutcome {
  const changed = new Map<string, LedgerAccountState>();
  const expired: PendingTransferChange[] = [];
  const account = (id: string): LedgerAccountState => {
    const found = changed.get(id) ?? accounts.get(id);
    if (found === undefined) throw new Error(`account ${id} of a pending transfer is not loaded`);
    return found;
  };
  for (const transfer of pending) {
    if (transfer.pendingState !== 'PENDING' || !isExpired(transfer, now)) continue;
    const debit = account(transfer.debitAccountId);
    const credit = account(transfer.creditAccountId);
    for (const released of releaseHold(debit, credit, transfer.amount, 0n)) {
      assertBalancesInRange(released);
      changed.set(released.id, released);
    }
    expired.push({ id: transfer.id, pendingState: 'EXPIRED' });
  }
  return { pendingTransfersExpired: expired, accountsChanged: [...changed.values()] };
}
