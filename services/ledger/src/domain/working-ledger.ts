// The engine's state during one batch: the preloaded view plus an overlay of what the batch has
// changed so far, so that every transfer sees the effects of the ones before it. Inside a linked
// chain each overlay change is logged with the value it replaced; a failed chain is undone by
// replaying that log backwards, which costs the chain's length, never the batch's or the view's.
// Recorded failures are not part of the log: a chain's failure stays recorded when it is undone.
import { assertBalancesInRange, sameBalances } from './balances.js';
import type { CreateTransferStatus } from './statuses.js';
import type {
  LedgerAccountState,
  LedgerView,
  PendingTransferChange,
  StoredTransfer,
  TransferFailure,
} from './types.js';

/** What one batch writes, in one database transaction. */
export interface TransferWrites {
  /** New transfers, in the order applied, each in its final state at the end of the batch. */
  readonly transfersCreated: readonly StoredTransfer[];
  /** Pending transfers stored before this batch that it posted or voided. */
  readonly pendingTransfersChanged: readonly PendingTransferChange[];
  /** Ids whose first attempt failed with a recorded status, in order. */
  readonly failuresRecorded: readonly TransferFailure[];
  /** Every account whose balances differ from the view's, with its final balances. */
  readonly accountsChanged: readonly LedgerAccountState[];
}

/** An overlay entry as it was before a change; undefined: the view's row showed through. */
type UndoEntry =
  | {
      readonly kind: 'account';
      readonly id: string;
      readonly previous: LedgerAccountState | undefined;
    }
  | {
      readonly kind: 'transfer';
      readonly id: string;
      readonly previous: StoredTransfer | undefined;
    };

export class WorkingLedger {
  private readonly accounts = new Map<string, LedgerAccountState>();
  private readonly transfers = new Map<string, StoredTransfer>();
  private readonly failures = new Map<string, TransferFailure>();
  private readonly createdIds: string[] = [];
  private undoLog: UndoEntry[] | undefined;
  private createdCountAtChainStart = 0;

  constructor(
    private readonly view: LedgerView,
    readonly now: Date,
  ) {}

  account(id: string): LedgerAccountState | undefined {
    return this.accounts.get(id) ?? this.view.accounts.get(id);
  }

  transfer(id: string): StoredTransfer | undefined {
    return this.transfers.get(id) ?? this.view.transfers.get(id);
  }

  failure(id: string): TransferFailure | undefined {
    return this.failures.get(id) ?? this.view.failures.get(id);
  }

  putAccount(account: LedgerAccountState): void {
    assertBalancesInRange(account);
    const previous = this.accounts.get(account.id);
    this.undoLog?.push({ kind: 'account', id: account.id, previous });
    this.accounts.set(account.id, account);
  }

  insertTransfer(transfer: StoredTransfer): void {
    if (this.transfer(transfer.id) !== undefined) {
      throw new Error(`transfer ${transfer.id} inserted twice`);
    }
    this.undoLog?.push({ kind: 'transfer', id: transfer.id, previous: undefined });
    this.transfers.set(transfer.id, transfer);
    this.createdIds.push(transfer.id);
  }

  /** Replaces a stored or created transfer: a pending transfer changing state. */
  replaceTransfer(transfer: StoredTransfer): void {
    const previous = this.transfers.get(transfer.id);
    this.undoLog?.push({ kind: 'transfer', id: transfer.id, previous });
    this.transfers.set(transfer.id, transfer);
  }

  recordFailure(id: string, status: CreateTransferStatus): void {
    this.failures.set(id, { id, status });
  }

  beginChain(): void {
    if (this.undoLog !== undefined) throw new Error('a linked chain is already open');
    this.undoLog = [];
    this.createdCountAtChainStart = this.createdIds.length;
  }

  commitChain(): void {
    this.undoLog = undefined;
  }

  rollbackChain(): void {
    const log = this.undoLog;
    if (log === undefined) throw new Error('no linked chain to roll back');
    for (let index = log.length - 1; index >= 0; index -= 1) {
      const entry = log[index];
      if (entry === undefined) continue;
      const overlay: Map<string, unknown> =
        entry.kind === 'account' ? this.accounts : this.transfers;
      if (entry.previous === undefined) overlay.delete(entry.id);
      else overlay.set(entry.id, entry.previous);
    }
    this.createdIds.length = this.createdCountAtChainStart;
    this.undoLog = undefined;
  }

  writes(): TransferWrites {
    if (this.undoLog !== undefined) throw new Error('a linked chain is still open');
    return {
      transfersCreated: this.createdIds.map((id) => this.createdTransfer(id)),
      pendingTransfersChanged: this.pendingTransfersChanged(),
      failuresRecorded: [...this.failures.values()],
      accountsChanged: this.accountsChanged(),
    };
  }

  private createdTransfer(id: string): StoredTransfer {
    const transfer = this.transfers.get(id);
    if (transfer === undefined) throw new Error(`created transfer ${id} lost`);
    return transfer;
  }

  private pendingTransfersChanged(): PendingTransferChange[] {
    const changes: PendingTransferChange[] = [];
    for (const [id, transfer] of this.transfers) {
      const before = this.view.transfers.get(id);
      if (before === undefined || before.pendingState === transfer.pendingState) continue;
      if (transfer.pendingState === null || transfer.pendingState === 'PENDING') {
        throw new Error(`pending transfer ${id} went back to ${String(transfer.pendingState)}`);
      }
      changes.push({ id, pendingState: transfer.pendingState });
    }
    return changes;
  }

  private accountsChanged(): LedgerAccountState[] {
    const changed: LedgerAccountState[] = [];
    for (const [id, account] of this.accounts) {
      const before = this.view.accounts.get(id);
      if (before === undefined || !sameBalances(before, account)) changed.push(account);
    }
    return changed;
  }
}
