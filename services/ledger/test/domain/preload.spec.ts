// What the storage layer loads and locks for a batch: exactly the rows the engine may read, lower
// case, deduplicated and sorted, so that every writer locks rows in the same order.
import { expect } from 'chai';
import {
  accountIdsToLoad,
  accountInputIdsToLoad,
  transferIdsToLoad,
  type StoredTransfer,
} from '../../src/domain/index.js';
import {
  accountInput,
  NO_TRANSFER_FLAGS,
  NOW,
  resolutionInput,
  transferInput,
  uuid,
} from './fixtures.js';

describe('preload keys', () => {
  const requests = [
    [
      transferInput({
        id: uuid(30).toUpperCase(),
        debitAccountId: uuid(3),
        creditAccountId: uuid(1),
      }),
      resolutionInput('post', uuid(20), { id: uuid(31) }),
    ],
    [transferInput({ id: 'bad', debitAccountId: 'bad', creditAccountId: uuid(1).toUpperCase() })],
  ];

  it('loads every valid transfer id and pending_id of every request, sorted', () => {
    expect(transferIdsToLoad(requests)).to.deep.equal([uuid(20), uuid(30), uuid(31)]);
  });

  it('loads the named accounts and both accounts of each loaded pending transfer', () => {
    const pending: StoredTransfer = {
      id: uuid(20),
      debitAccountId: uuid(5),
      creditAccountId: uuid(2),
      amount: 1n,
      currency: 'USD',
      flags: { ...NO_TRANSFER_FLAGS, pending: true },
      pendingId: '',
      timeoutSeconds: 0,
      code: 0,
      reference: '',
      createdAt: NOW,
      pendingState: 'PENDING',
      expiresAt: null,
    };
    expect(accountIdsToLoad(requests, new Map())).to.deep.equal([uuid(1), uuid(3)]);
    expect(accountIdsToLoad(requests, new Map([[uuid(20), pending]]))).to.deep.equal([
      uuid(1),
      uuid(2),
      uuid(3),
      uuid(5),
    ]);
  });

  it('loads the valid ids of a CreateAccounts request', () => {
    const inputs = [accountInput({ id: uuid(2) }), accountInput({ id: 'x' }), accountInput()];
    expect(accountInputIdsToLoad(inputs)).to.deep.equal([uuid(1), uuid(2)]);
  });
});
