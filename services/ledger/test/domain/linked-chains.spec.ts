// Linked chains succeed or fail as a unit, and group commit keeps requests apart: a chain never
// spans two requests, and each request's results are those of running the requests in order.
import { expect } from 'chai';
import { TRANSFERS_PER_REQUEST_MAX } from '../../src/domain/index.js';
import {
  accountState,
  customerAccount,
  InMemoryLedgerStore,
  resolutionInput,
  statusesOf,
  transferInput,
  uuid,
} from './fixtures.js';

const SETTLEMENT = uuid(1);
const OTHER_SETTLEMENT = uuid(2);
const CUSTOMER = uuid(3);
const linked = { linked: true };

function newStore(): InMemoryLedgerStore {
  return new InMemoryLedgerStore([
    accountState(SETTLEMENT),
    accountState(OTHER_SETTLEMENT),
    customerAccount(CUSTOMER),
  ]);
}

describe('linked chains', () => {
  let store: InMemoryLedgerStore;
  beforeEach(() => {
    store = newStore();
  });

  it('creates every member of a chain that succeeds, later members seeing earlier ones', () => {
    const results = store.createTransfers([
      transferInput({ id: uuid(1000), creditAccountId: CUSTOMER, amount: 40n, flags: linked }),
      transferInput({ id: uuid(1001), debitAccountId: CUSTOMER, amount: 40n }),
    ]);
    expect(statusesOf(results)).to.deep.equal(['CREATED', 'CREATED']);
    expect(store.account(CUSTOMER)).to.include({ creditsPosted: 40n, debitsPosted: 40n });
  });

  it('undoes the whole chain when a member fails, and leaves the transfers around it alone', () => {
    const results = store.createTransfers([
      transferInput({ id: uuid(1000), amount: 5n }),
      transferInput({ id: uuid(1001), creditAccountId: CUSTOMER, amount: 40n, flags: linked }),
      transferInput({ id: uuid(1002), debitAccountId: CUSTOMER, amount: 41n, flags: linked }),
      transferInput({ id: uuid(1003), amount: 7n }),
      transferInput({ id: uuid(1004), amount: 9n }),
    ]);
    expect(statusesOf(results)).to.deep.equal([
      'CREATED',
      'LINKED_EVENT_FAILED',
      'EXCEEDS_CREDITS',
      'LINKED_EVENT_FAILED',
      'CREATED',
    ]);
    expect(results[1]?.transfer).to.equal(undefined);
    expect(store.account(CUSTOMER)).to.include({ creditsPosted: 0n, debitsPosted: 0n });
    expect(store.account(SETTLEMENT).debitsPosted).to.equal(14n);
    expect([...store.transfers.keys()]).to.deep.equal([uuid(1000), uuid(1004)]);
  });

  it('records the failing member of a chain but leaves the other members’ ids free', () => {
    store.createTransfers([
      transferInput({ id: uuid(1000), flags: linked }),
      transferInput({ id: uuid(1001), debitAccountId: CUSTOMER, amount: 1n }),
    ]);
    expect([...store.failures.keys()]).to.deep.equal([uuid(1001)]);
    const retry = store.createTransfers([
      transferInput({ id: uuid(1000), flags: linked }),
      transferInput({ id: uuid(1001), debitAccountId: CUSTOMER, amount: 1n }),
    ]);
    expect(statusesOf(retry)).to.deep.equal(['LINKED_EVENT_FAILED', 'ID_ALREADY_FAILED']);
    expect(statusesOf(store.createTransfers([transferInput({ id: uuid(1000) })]))).to.deep.equal([
      'CREATED',
    ]);
  });

  it('does not record a validation failure inside a chain', () => {
    const results = store.createTransfers([
      transferInput({ id: uuid(1000), flags: linked }),
      transferInput({ id: uuid(1001), amount: 0n }),
    ]);
    expect(statusesOf(results)).to.deep.equal(['LINKED_EVENT_FAILED', 'AMOUNT_MUST_BE_POSITIVE']);
    expect(store.failures.size).to.equal(0);
  });

  it('does not break a chain on EXISTS: a retried chain answers EXISTS throughout', () => {
    const head = transferInput({ id: uuid(1000), flags: linked });
    const chain = [head, transferInput({ id: uuid(1001) })];
    store.createTransfers(chain);
    expect(statusesOf(store.createTransfers(chain))).to.deep.equal(['EXISTS', 'EXISTS']);
    const results = store.createTransfers([
      transferInput({ id: uuid(1002), flags: linked }),
      head,
      transferInput({ id: uuid(1003) }),
    ]);
    expect(statusesOf(results)).to.deep.equal(['CREATED', 'EXISTS', 'CREATED']);
  });

  it('answers LINKED_EVENT_FAILED to an EXISTS member of a chain that fails', () => {
    store.createTransfers([
      transferInput({ id: uuid(1000), flags: linked }),
      transferInput({ id: uuid(1001) }),
    ]);
    const results = store.createTransfers([
      transferInput({ id: uuid(1000), flags: linked }),
      transferInput({ id: uuid(1002), debitAccountId: CUSTOMER }),
    ]);
    expect(statusesOf(results)).to.deep.equal(['LINKED_EVENT_FAILED', 'EXCEEDS_CREDITS']);
    expect(results[0]?.transfer).to.equal(undefined);
  });

  it('undoes a hold and its post made inside a chain that fails', () => {
    const results = store.createTransfers([
      transferInput({ id: uuid(1000), flags: { linked: true, pending: true } }),
      resolutionInput('post', uuid(1000), { id: uuid(1001), flags: linked }),
      transferInput({ id: uuid(1002), currency: 'EUR' }),
    ]);
    expect(statusesOf(results)).to.deep.equal([
      'LINKED_EVENT_FAILED',
      'LINKED_EVENT_FAILED',
      'CURRENCY_MISMATCH',
    ]);
    expect(store.transfers.size).to.equal(0);
    expect(store.account(SETTLEMENT)).to.include({ debitsPending: 0n, debitsPosted: 0n });
  });

  it('leaves a stored hold pending when the chain that posted it fails', () => {
    store.createTransfers([transferInput({ id: uuid(1000), flags: { pending: true } })]);
    const results = store.createTransfers([
      resolutionInput('post', uuid(1000), { id: uuid(1001), flags: linked }),
      transferInput({ id: uuid(1002), debitAccountId: CUSTOMER }),
    ]);
    expect(statusesOf(results)).to.deep.equal(['LINKED_EVENT_FAILED', 'EXCEEDS_CREDITS']);
    expect(store.transfer(uuid(1000)).pendingState).to.equal('PENDING');
    expect(store.lastWrites?.pendingTransfersChanged).to.deep.equal([]);
    expect(store.lastWrites?.accountsChanged).to.deep.equal([]);
    expect(store.account(SETTLEMENT)).to.include({ debitsPending: 100n, debitsPosted: 0n });
  });

  it('lets an id of a failed chain be created later in the same batch', () => {
    const results = store.createTransfers([
      transferInput({ id: uuid(1000), flags: linked }),
      transferInput({ id: uuid(1001), amount: -1n }),
      transferInput({ id: uuid(1000) }),
    ]);
    expect(statusesOf(results)).to.deep.equal([
      'LINKED_EVENT_FAILED',
      'AMOUNT_MUST_BE_POSITIVE',
      'CREATED',
    ]);
  });

  it('answers an open chain without evaluating it: LINKED_EVENT_FAILED, then CHAIN_OPEN last', () => {
    const results = store.createTransfers([
      transferInput({ id: uuid(1000) }),
      transferInput({ id: uuid(1001), flags: linked }),
      transferInput({ id: uuid(1002), debitAccountId: CUSTOMER, flags: linked }),
      transferInput({ id: 'bad', flags: linked }),
    ]);
    expect(statusesOf(results)).to.deep.equal([
      'CREATED',
      'LINKED_EVENT_FAILED',
      'LINKED_EVENT_FAILED',
      'LINKED_EVENT_CHAIN_OPEN',
    ]);
    expect(store.failures.size).to.equal(0);
    expect(store.transfers.size).to.equal(1);
  });

  it('undoes a chain of the maximum request size that fails on its last transfer', () => {
    const chain = Array.from({ length: TRANSFERS_PER_REQUEST_MAX }, (_, index) =>
      transferInput({ id: uuid(10_000 + index), amount: 1n, flags: linked }),
    );
    chain[chain.length - 1] = transferInput({ id: uuid(9999), debitAccountId: CUSTOMER });
    const results = store.createTransfers(chain);
    expect(results.filter((result) => result.status === 'LINKED_EVENT_FAILED')).to.have.length(
      TRANSFERS_PER_REQUEST_MAX - 1,
    );
    expect(store.transfers.size).to.equal(0);
    expect(store.account(SETTLEMENT).debitsPosted).to.equal(0n);
  });
});

describe('group commit', () => {
  it('answers each request as if the requests had run one after another', () => {
    const store = newStore();
    const [first, second] = store.createTransferRequests([
      [transferInput({ id: uuid(1000), creditAccountId: CUSTOMER, amount: 30n })],
      [
        transferInput({ id: uuid(1001), debitAccountId: CUSTOMER, amount: 30n }),
        transferInput({ id: uuid(1000), creditAccountId: CUSTOMER, amount: 30n }),
      ],
    ]);
    expect(statusesOf(first ?? [])).to.deep.equal(['CREATED']);
    expect(statusesOf(second ?? [])).to.deep.equal(['CREATED', 'EXISTS']);
    expect(second?.map((result) => result.index)).to.deep.equal([0, 1]);
  });

  it('never lets a chain span two requests', () => {
    const store = newStore();
    const [first, second] = store.createTransferRequests([
      [transferInput({ id: uuid(1000), flags: linked })],
      [transferInput({ id: uuid(1001), debitAccountId: CUSTOMER })],
    ]);
    expect(statusesOf(first ?? [])).to.deep.equal(['LINKED_EVENT_CHAIN_OPEN']);
    expect(statusesOf(second ?? [])).to.deep.equal(['EXCEEDS_CREDITS']);
  });
});
