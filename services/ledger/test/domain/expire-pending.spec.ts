// The expiry job: pending transfers whose timeout has passed release their amounts, whatever the
// accounts' status; anything else is left alone.
import { expect } from 'chai';
import {
  expirePendingTransfers,
  isExpired,
  type LedgerAccountState,
  type StoredTransfer,
} from '../../src/domain/index.js';
import {
  accountState,
  InMemoryLedgerStore,
  NO_TRANSFER_FLAGS,
  NOW,
  secondsAfter,
  transferInput,
  uuid,
} from './fixtures.js';

const DEBIT = uuid(1);
const CREDIT = uuid(2);

function hold(id: string, amount: bigint, expiresAt: Date | null): StoredTransfer {
  return {
    id,
    debitAccountId: DEBIT,
    creditAccountId: CREDIT,
    amount,
    currency: 'USD',
    flags: { ...NO_TRANSFER_FLAGS, pending: true },
    pendingId: '',
    timeoutSeconds: expiresAt === null ? 0 : 10,
    code: 0,
    reference: '',
    createdAt: NOW,
    pendingState: 'PENDING',
    expiresAt,
  };
}

function accounts(pending: bigint): Map<string, LedgerAccountState> {
  return new Map([
    [DEBIT, accountState(DEBIT, { debitsPending: pending, status: 'FROZEN' })],
    [CREDIT, accountState(CREDIT, { creditsPending: pending, status: 'CLOSED' })],
  ]);
}

describe('expirePendingTransfers', () => {
  it('expires holds whose expiresAt is at or before now and releases them, frozen or not', () => {
    const due = hold(uuid(100), 30n, NOW);
    const alsoDue = hold(uuid(101), 12n, secondsAfter(NOW, -5));
    const outcome = expirePendingTransfers([due, alsoDue], accounts(42n), NOW);
    expect(outcome.pendingTransfersExpired).to.deep.equal([
      { id: uuid(100), pendingState: 'EXPIRED' },
      { id: uuid(101), pendingState: 'EXPIRED' },
    ]);
    expect(outcome.accountsChanged).to.have.length(2);
    expect(outcome.accountsChanged[0]).to.include({ id: DEBIT, debitsPending: 0n });
    expect(outcome.accountsChanged[1]).to.include({ id: CREDIT, creditsPending: 0n });
  });

  it('leaves alone holds not yet due, without a timeout, or no longer pending', () => {
    const notDue = hold(uuid(100), 1n, new Date(NOW.getTime() + 1));
    const never = hold(uuid(101), 1n, null);
    const posted: StoredTransfer = { ...hold(uuid(102), 1n, NOW), pendingState: 'POSTED' };
    const outcome = expirePendingTransfers([notDue, never, posted], accounts(2n), NOW);
    expect(outcome).to.deep.equal({ pendingTransfersExpired: [], accountsChanged: [] });
  });

  it('treats a hold as expired from its expiresAt instant on', () => {
    const due = hold(uuid(100), 1n, NOW);
    expect(isExpired(due, new Date(NOW.getTime() - 1))).to.equal(false);
    expect(isExpired(due, NOW)).to.equal(true);
    expect(isExpired(hold(uuid(101), 1n, null), secondsAfter(NOW, 1e6))).to.equal(false);
  });

  it('lets the customer spend released funds after the job has run', () => {
    const store = new InMemoryLedgerStore([accountState(DEBIT), accountState(CREDIT)]);
    store.createTransfers([
      transferInput({ id: uuid(100), amount: 5n, timeoutSeconds: 3, flags: { pending: true } }),
    ]);
    store.expirePending(secondsAfter(NOW, 2));
    expect(store.transfer(uuid(100)).pendingState).to.equal('PENDING');
    store.expirePending(secondsAfter(NOW, 3));
    expect(store.transfer(uuid(100)).pendingState).to.equal('EXPIRED');
    expect(store.account(DEBIT).debitsPending).to.equal(0n);
    expect(store.account(CREDIT).creditsPending).to.equal(0n);
  });
});
