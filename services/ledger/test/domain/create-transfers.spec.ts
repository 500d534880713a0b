// CreateTransfers rules, one behaviour per test: every CreateTransferStatus is produced at least
// once (checked after the suite), balances move as SPEC §3.2 says, and precedence follows
// results.proto. The engine runs through an in-memory store that preloads only what preload.ts
// names, as the storage layer will.
import { expect } from 'chai';
import {
  AMOUNT_MAX,
  CREATE_TRANSFER_STATUSES,
  type CreateTransferStatus,
  type TransferResult,
} from '../../src/domain/index.js';
import {
  accountState,
  customerAccount,
  InMemoryLedgerStore,
  MAX_UUID,
  NIL_UUID,
  NOW,
  resolutionInput,
  secondsAfter,
  transferInput,
  uuid,
} from './fixtures.js';

const SETTLEMENT = uuid(1);
const OTHER_SETTLEMENT = uuid(2);
const CUSTOMER = uuid(3);
const CREDIT_LIMITED = uuid(4);
const EURO = uuid(5);
const MISSING = uuid(9);

const seen = new Set<CreateTransferStatus>();

function expectStatus(result: TransferResult | undefined, status: CreateTransferStatus): void {
  expect(result?.status).to.equal(status);
  seen.add(status);
}

function expectStatuses(results: readonly TransferResult[], statuses: CreateTransferStatus[]) {
  expect(results.map((result) => result.status)).to.deep.equal(statuses);
  for (const status of statuses) seen.add(status);
}

function newStore(): InMemoryLedgerStore {
  return new InMemoryLedgerStore([
    accountState(SETTLEMENT),
    accountState(OTHER_SETTLEMENT),
    customerAccount(CUSTOMER, { overdraftLimit: 50n }),
    accountState(CREDIT_LIMITED, {
      flags: { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: true },
    }),
    accountState(EURO, { currency: 'EUR' }),
  ]);
}

function one(store: InMemoryLedgerStore, fields: Parameters<typeof transferInput>[0]) {
  return store.createTransfers([transferInput(fields)])[0];
}

describe('applyTransfers', () => {
  let store: InMemoryLedgerStore;
  beforeEach(() => {
    store = newStore();
  });

  after(() => {
    const missing = CREATE_TRANSFER_STATUSES.filter((status) => !seen.has(status));
    expect(missing, 'statuses no test produced').to.deep.equal([]);
  });

  describe('creating', () => {
    it('answers CREATED, moves posted balances and returns the stored transfer', () => {
      const result = one(store, { amount: 250n, code: 7, reference: 'invoice 12' });
      expectStatus(result, 'CREATED');
      expect(result?.index).to.equal(0);
      expect(result?.transfer).to.include({
        id: uuid(1000),
        debitAccountId: SETTLEMENT,
        creditAccountId: OTHER_SETTLEMENT,
        amount: 250n,
        currency: 'USD',
        pendingId: '',
        code: 7,
        reference: 'invoice 12',
        pendingState: null,
        expiresAt: null,
      });
      expect(result?.transfer?.createdAt.getTime()).to.equal(NOW.getTime());
      expect(store.account(SETTLEMENT).debitsPosted).to.equal(250n);
      expect(store.account(OTHER_SETTLEMENT).creditsPosted).to.equal(250n);
    });

    it('stores ids in lower case when they were sent in upper case', () => {
      const result = one(store, {
        id: uuid(1000).toUpperCase(),
        debitAccountId: SETTLEMENT.toUpperCase(),
      });
      expectStatus(result, 'CREATED');
      expect(result?.transfer?.id).to.equal(uuid(1000));
      expect(store.transfer(uuid(1000)).debitAccountId).to.equal(SETTLEMENT);
    });

    it('lets a later transfer of the batch spend what an earlier one credited', () => {
      const results = store.createTransfers([
        transferInput({ id: uuid(1000), creditAccountId: CUSTOMER, amount: 100n }),
        transferInput({ id: uuid(1001), debitAccountId: CUSTOMER, amount: 150n }),
        transferInput({ id: uuid(1002), debitAccountId: CUSTOMER, amount: 1n }),
      ]);
      expectStatuses(results, ['CREATED', 'CREATED', 'EXCEEDS_CREDITS']);
      expect(results.map((result) => result.index)).to.deep.equal([0, 1, 2]);
      expect(store.account(CUSTOMER)).to.include({ creditsPosted: 100n, debitsPosted: 150n });
    });

    it('answers a second transfer with the same id in the same batch as a retry', () => {
      const results = store.createTransfers([transferInput(), transferInput()]);
      expectStatuses(results, ['CREATED', 'EXISTS']);
      expect(results[1]?.transfer).to.equal(results[0]?.transfer);
      expect(store.account(SETTLEMENT).debitsPosted).to.equal(100n);
    });
  });

  describe('identity', () => {
    it('answers CREATED_AT_MUST_NOT_BE_SET before anything else about the transfer', () => {
      expectStatus(
        one(store, { createdAtSet: true, id: 'nonsense' }),
        'CREATED_AT_MUST_NOT_BE_SET',
      );
    });

    it('answers INVALID_ID for an empty, malformed, nil or max id', () => {
      for (const id of ['', 'not-a-uuid', uuid(1000).slice(1), NIL_UUID, MAX_UUID, ` ${uuid(7)}`]) {
        expectStatus(one(store, { id }), 'INVALID_ID');
      }
      expect(store.transfers.size + store.failures.size).to.equal(0);
    });
  });

  describe('idempotency', () => {
    it('answers EXISTS with the original transfer for a retry with the same fields', () => {
      const first = one(store, { reference: 'r' });
      const retry = store.createTransfers(
        [transferInput({ reference: 'r' })],
        secondsAfter(NOW, 60),
      );
      expectStatus(retry[0], 'EXISTS');
      expect(retry[0]?.transfer).to.deep.equal(first?.transfer);
      expect(store.account(SETTLEMENT).debitsPosted).to.equal(100n);
    });

    it('answers EXISTS for a retry that spells the ids in upper case', () => {
      one(store, {});
      const retry = one(store, {
        id: uuid(1000).toUpperCase(),
        creditAccountId: OTHER_SETTLEMENT.toUpperCase(),
      });
      expectStatus(retry, 'EXISTS');
    });

    it('answers EXISTS_WITH_DIFFERENT_FIELDS for a retry with another amount, code or flag', () => {
      one(store, {});
      expectStatus(one(store, { amount: 101n }), 'EXISTS_WITH_DIFFERENT_FIELDS');
      expectStatus(one(store, { code: 1 }), 'EXISTS_WITH_DIFFERENT_FIELDS');
      expectStatus(one(store, { flags: { pending: true } }), 'EXISTS_WITH_DIFFERENT_FIELDS');
      expect(store.account(SETTLEMENT).debitsPosted).to.equal(100n);
    });

    it('answers EXISTS even after the account has been frozen since the first attempt', () => {
      one(store, {});
      store.setAccountStatus(SETTLEMENT, 'FROZEN');
      expectStatus(one(store, {}), 'EXISTS');
    });

    it('compares a retried post after taking its empty fields and 0 amount from the pending', () => {
      one(store, { id: uuid(1000), flags: { pending: true }, amount: 80n });
      const post = resolutionInput('post', uuid(1000), { id: uuid(1001) });
      expectStatus(store.createTransfers([post])[0], 'CREATED');
      const spelledOut = resolutionInput('post', uuid(1000).toUpperCase(), {
        id: uuid(1001),
        debitAccountId: SETTLEMENT,
        creditAccountId: OTHER_SETTLEMENT,
        currency: 'USD',
        amount: 80n,
      });
      expectStatus(store.createTransfers([spelledOut])[0], 'EXISTS');
      expectStatus(store.createTransfers([post])[0], 'EXISTS');
    });

    it('answers EXISTS_WITH_DIFFERENT_FIELDS when a partial post is retried as a full one', () => {
      one(store, { id: uuid(1000), flags: { pending: true }, amount: 80n });
      const partial = resolutionInput('post', uuid(1000), { id: uuid(1001), amount: 30n });
      expectStatus(store.createTransfers([partial])[0], 'CREATED');
      const full = resolutionInput('post', uuid(1000), { id: uuid(1001) });
      expectStatus(store.createTransfers([full])[0], 'EXISTS_WITH_DIFFERENT_FIELDS');
    });

    it('answers ID_ALREADY_FAILED forever for an id that failed on funds', () => {
      expectStatus(one(store, { debitAccountId: CUSTOMER, amount: 51n }), 'EXCEEDS_CREDITS');
      one(store, { id: uuid(1001), creditAccountId: CUSTOMER, amount: 1000n });
      expectStatus(one(store, { debitAccountId: CUSTOMER, amount: 51n }), 'ID_ALREADY_FAILED');
      expectStatus(one(store, { amount: 1n }), 'ID_ALREADY_FAILED');
      expect(store.failures.get(uuid(1000))?.status).to.equal('EXCEEDS_CREDITS');
    });

    it('answers ID_ALREADY_FAILED to a failed id repeated in the same batch', () => {
      const results = store.createTransfers([
        transferInput({ debitAccountId: MISSING }),
        transferInput(),
      ]);
      expectStatuses(results, ['DEBIT_ACCOUNT_NOT_FOUND', 'ID_ALREADY_FAILED']);
    });

    it('leaves the id free after a validation failure, so corrected fields are created', () => {
      const results = store.createTransfers([
        transferInput({ amount: 0n }),
        transferInput({ amount: 5n }),
      ]);
      expectStatuses(results, ['AMOUNT_MUST_BE_POSITIVE', 'CREATED']);
      expect(store.failures.size).to.equal(0);
    });
  });

  describe("the transfer's own fields", () => {
    it('answers FLAGS_ARE_MUTUALLY_EXCLUSIVE for pending together with post or void', () => {
      for (const flags of [
        { pending: true, postPendingTransfer: true },
        { pending: true, voidPendingTransfer: true },
        { postPendingTransfer: true, voidPendingTransfer: true },
      ]) {
        expectStatus(one(store, { flags }), 'FLAGS_ARE_MUTUALLY_EXCLUSIVE');
      }
    });

    it('answers INVALID_DEBIT_ACCOUNT_ID for a malformed, nil or missing debit account id', () => {
      for (const debitAccountId of ['x', NIL_UUID, MAX_UUID, '']) {
        expectStatus(one(store, { debitAccountId }), 'INVALID_DEBIT_ACCOUNT_ID');
      }
    });

    it('answers INVALID_CREDIT_ACCOUNT_ID for a malformed or missing credit account id', () => {
      for (const creditAccountId of ['x', MAX_UUID, '']) {
        expectStatus(one(store, { creditAccountId }), 'INVALID_CREDIT_ACCOUNT_ID');
      }
      const post = resolutionInput('post', uuid(7), { creditAccountId: 'nope' });
      expectStatus(store.createTransfers([post])[0], 'INVALID_CREDIT_ACCOUNT_ID');
    });

    it('answers ACCOUNTS_MUST_BE_DIFFERENT when both ids name one account in any case', () => {
      const result = one(store, { creditAccountId: SETTLEMENT.toUpperCase() });
      expectStatus(result, 'ACCOUNTS_MUST_BE_DIFFERENT');
    });

    it('answers PENDING_ID_MUST_BE_EMPTY for a pending_id on a transfer that resolves nothing', () => {
      expectStatus(one(store, { pendingId: uuid(7) }), 'PENDING_ID_MUST_BE_EMPTY');
      expectStatus(
        one(store, { pendingId: 'x', flags: { pending: true } }),
        'PENDING_ID_MUST_BE_EMPTY',
      );
    });

    it('answers PENDING_ID_REQUIRED for a post or void without pending_id', () => {
      expectStatus(store.createTransfers([resolutionInput('post', '')])[0], 'PENDING_ID_REQUIRED');
      expectStatus(store.createTransfers([resolutionInput('void', '')])[0], 'PENDING_ID_REQUIRED');
    });

    it('answers INVALID_PENDING_ID for a malformed, nil or max pending_id', () => {
      for (const pendingId of ['x', NIL_UUID, MAX_UUID]) {
        expectStatus(
          store.createTransfers([resolutionInput('void', pendingId)])[0],
          'INVALID_PENDING_ID',
        );
      }
    });

    it('answers PENDING_ID_MUST_BE_DIFFERENT when a post names itself', () => {
      const post = resolutionInput('post', uuid(1000).toUpperCase(), { id: uuid(1000) });
      expectStatus(store.createTransfers([post])[0], 'PENDING_ID_MUST_BE_DIFFERENT');
    });

    it('answers TIMEOUT_RESERVED_FOR_PENDING_TRANSFER for a timeout on anything but a hold', () => {
      expectStatus(one(store, { timeoutSeconds: 5 }), 'TIMEOUT_RESERVED_FOR_PENDING_TRANSFER');
      const post = resolutionInput('post', uuid(7), { timeoutSeconds: 5 });
      expectStatus(store.createTransfers([post])[0], 'TIMEOUT_RESERVED_FOR_PENDING_TRANSFER');
    });

    it('answers AMOUNT_MUST_BE_POSITIVE for a negative amount, or 0 outside a post or void', () => {
      expectStatus(one(store, { amount: 0n }), 'AMOUNT_MUST_BE_POSITIVE');
      expectStatus(one(store, { amount: -1n }), 'AMOUNT_MUST_BE_POSITIVE');
      expectStatus(one(store, { amount: 0n, flags: { pending: true } }), 'AMOUNT_MUST_BE_POSITIVE');
      const post = resolutionInput('post', uuid(7), { amount: -5n });
      expectStatus(store.createTransfers([post])[0], 'AMOUNT_MUST_BE_POSITIVE');
    });

    it('answers INVALID_CURRENCY for lower case, an X-code, or an empty currency on a transfer', () => {
      for (const currency of ['usd', 'XXX', 'XAU', 'XDR', 'US', '']) {
        expectStatus(one(store, { currency }), 'INVALID_CURRENCY');
      }
    });

    it('answers INVALID_REFERENCE above 128 code points or with a control character', () => {
      expectStatus(one(store, { reference: 'x'.repeat(129) }), 'INVALID_REFERENCE');
      expectStatus(one(store, { reference: 'a\nb' }), 'INVALID_REFERENCE');
      expectStatus(one(store, { reference: 'a\u0085b' }), 'INVALID_REFERENCE');
      expectStatus(one(store, { reference: '\u007f' }), 'INVALID_REFERENCE');
    });

    it('accepts a reference of 128 characters outside the basic plane', () => {
      expectStatus(one(store, { reference: '😀'.repeat(128) }), 'CREATED');
    });

    it('checks own fields in the numeric order of results.proto', () => {
      const everythingWrong = transferInput({
        debitAccountId: 'x',
        creditAccountId: 'y',
        pendingId: 'z',
        timeoutSeconds: 1,
        amount: 0n,
        currency: 'usd',
        reference: '\n',
      });
      expectStatus(store.createTransfers([everythingWrong])[0], 'INVALID_DEBIT_ACCOUNT_ID');
      const fewerWrong = {
        ...everythingWrong,
        debitAccountId: SETTLEMENT,
        creditAccountId: CUSTOMER,
      };
      expectStatus(store.createTransfers([fewerWrong])[0], 'PENDING_ID_MUST_BE_EMPTY');
      expectStatus(
        store.createTransfers([{ ...fewerWrong, pendingId: '' }])[0],
        'TIMEOUT_RESERVED_FOR_PENDING_TRANSFER',
      );
    });
  });

  describe('account lookups', () => {
    it('answers DEBIT_ACCOUNT_NOT_FOUND and records it', () => {
      expectStatus(
        one(store, { debitAccountId: MISSING, creditAccountId: MISSING.replace('9', '8') }),
        'DEBIT_ACCOUNT_NOT_FOUND',
      );
      expect(store.failures.get(uuid(1000))?.status).to.equal('DEBIT_ACCOUNT_NOT_FOUND');
    });

    it('answers CREDIT_ACCOUNT_NOT_FOUND and records it', () => {
      expectStatus(one(store, { creditAccountId: MISSING }), 'CREDIT_ACCOUNT_NOT_FOUND');
      expect(store.failures.has(uuid(1000))).to.equal(true);
    });

    it('answers CURRENCY_MISMATCH when the currency is not the accounts’ or they differ', () => {
      expectStatus(one(store, { id: uuid(1000), currency: 'EUR' }), 'CURRENCY_MISMATCH');
      expectStatus(one(store, { id: uuid(1001), creditAccountId: EURO }), 'CURRENCY_MISMATCH');
      const results = store.createTransfers([
        transferInput({
          id: uuid(1002),
          debitAccountId: EURO,
          creditAccountId: SETTLEMENT,
          currency: 'EUR',
        }),
      ]);
      expectStatus(results[0], 'CURRENCY_MISMATCH');
    });
  });

  describe('pending transfers', () => {
    function hold(amount: bigint, fields: Parameters<typeof transferInput>[0] = {}) {
      return one(store, { id: uuid(1000), amount, flags: { pending: true }, ...fields });
    }

    it('reserves a hold in debits_pending and credits_pending', () => {
      const result = hold(70n, { timeoutSeconds: 30 });
      expectStatus(result, 'CREATED');
      expect(result?.transfer?.pendingState).to.equal('PENDING');
      expect(result?.transfer?.expiresAt?.getTime()).to.equal(secondsAfter(NOW, 30).getTime());
      expect(store.account(SETTLEMENT)).to.include({ debitsPending: 70n, debitsPosted: 0n });
      expect(store.account(OTHER_SETTLEMENT)).to.include({
        creditsPending: 70n,
        creditsPosted: 0n,
      });
    });

    it('posts the whole hold for amount 0, taking accounts and currency from it', () => {
      hold(70n);
      const result = store.createTransfers([
        resolutionInput('post', uuid(1000), { id: uuid(1001) }),
      ])[0];
      expectStatus(result, 'CREATED');
      expect(result?.transfer).to.include({
        debitAccountId: SETTLEMENT,
        creditAccountId: OTHER_SETTLEMENT,
        currency: 'USD',
        amount: 70n,
        pendingId: uuid(1000),
      });
      expect(store.transfer(uuid(1000)).pendingState).to.equal('POSTED');
      expect(store.account(SETTLEMENT)).to.include({ debitsPending: 0n, debitsPosted: 70n });
      expect(store.account(OTHER_SETTLEMENT)).to.include({
        creditsPending: 0n,
        creditsPosted: 70n,
      });
      expect(store.lastWrites?.pendingTransfersChanged).to.deep.equal([
        { id: uuid(1000), pendingState: 'POSTED' },
      ]);
    });

    it('posts part of a hold and releases the rest', () => {
      hold(70n);
      const post = resolutionInput('post', uuid(1000), { id: uuid(1001), amount: 20n });
      expectStatus(store.createTransfers([post])[0], 'CREATED');
      expect(store.account(SETTLEMENT)).to.include({ debitsPending: 0n, debitsPosted: 20n });
      expect(store.account(OTHER_SETTLEMENT)).to.include({
        creditsPending: 0n,
        creditsPosted: 20n,
      });
    });

    it('posts the whole hold when the amount sent equals it', () => {
      hold(70n);
      const post = resolutionInput('post', uuid(1000), { id: uuid(1001), amount: 70n });
      expectStatus(store.createTransfers([post])[0], 'CREATED');
      expect(store.transfer(uuid(1000)).pendingState).to.equal('POSTED');
      expect(store.account(SETTLEMENT)).to.include({ debitsPending: 0n, debitsPosted: 70n });
      expect(store.account(OTHER_SETTLEMENT)).to.include({
        creditsPending: 0n,
        creditsPosted: 70n,
      });
    });

    it('voids a hold, releasing its whole amount', () => {
      hold(70n);
      const result = store.createTransfers([
        resolutionInput('void', uuid(1000), { id: uuid(1001), amount: 70n }),
      ])[0];
      expectStatus(result, 'CREATED');
      expect(result?.transfer?.amount).to.equal(70n);
      expect(store.transfer(uuid(1000)).pendingState).to.equal('VOIDED');
      expect(store.account(SETTLEMENT)).to.include({ debitsPending: 0n, debitsPosted: 0n });
    });

    it('posts a hold created earlier in the same batch', () => {
      const results = store.createTransfers([
        transferInput({ id: uuid(1000), flags: { pending: true } }),
        resolutionInput('post', uuid(1000), { id: uuid(1001) }),
      ]);
      expectStatuses(results, ['CREATED', 'CREATED']);
      expect(store.transfer(uuid(1000)).pendingState).to.equal('POSTED');
      expect(store.lastWrites?.pendingTransfersChanged).to.deep.equal([]);
      expect(store.account(SETTLEMENT)).to.include({ debitsPending: 0n, debitsPosted: 100n });
    });

    it('answers PENDING_TRANSFER_NOT_FOUND for an unknown pending_id', () => {
      expectStatus(
        store.createTransfers([resolutionInput('post', uuid(7))])[0],
        'PENDING_TRANSFER_NOT_FOUND',
      );
      expect(store.failures.size).to.equal(1);
    });

    it('answers PENDING_TRANSFER_NOT_PENDING when pending_id names a plain transfer', () => {
      one(store, { id: uuid(1000) });
      const post = resolutionInput('post', uuid(1000), { id: uuid(1001) });
      expectStatus(store.createTransfers([post])[0], 'PENDING_TRANSFER_NOT_PENDING');
    });

    it('answers PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID and _CREDIT_ACCOUNT_ID', () => {
      hold(70n);
      const debit = resolutionInput('post', uuid(1000), {
        id: uuid(1001),
        debitAccountId: CUSTOMER,
      });
      expectStatus(
        store.createTransfers([debit])[0],
        'PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID',
      );
      const credit = resolutionInput('void', uuid(1000), {
        id: uuid(1002),
        creditAccountId: CUSTOMER,
      });
      expectStatus(
        store.createTransfers([credit])[0],
        'PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID',
      );
    });

    it('answers EXCEEDS_PENDING_TRANSFER_AMOUNT for a post above the hold', () => {
      hold(70n);
      const post = resolutionInput('post', uuid(1000), { id: uuid(1001), amount: 71n });
      expectStatus(store.createTransfers([post])[0], 'EXCEEDS_PENDING_TRANSFER_AMOUNT');
      expect(store.account(SETTLEMENT).debitsPending).to.equal(70n);
    });

    it('answers PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT for a void of part of a hold', () => {
      hold(70n);
      const voidPart = resolutionInput('void', uuid(1000), { id: uuid(1001), amount: 20n });
      expectStatus(store.createTransfers([voidPart])[0], 'PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT');
    });

    it('answers PENDING_TRANSFER_ALREADY_POSTED and _ALREADY_VOIDED to a second resolution', () => {
      hold(70n);
      hold(30n, { id: uuid(1001) });
      const results = store.createTransfers([
        resolutionInput('post', uuid(1000), { id: uuid(1002) }),
        resolutionInput('void', uuid(1000), { id: uuid(1003) }),
        resolutionInput('void', uuid(1001), { id: uuid(1004) }),
        resolutionInput('post', uuid(1001), { id: uuid(1005) }),
      ]);
      expectStatuses(results, [
        'CREATED',
        'PENDING_TRANSFER_ALREADY_POSTED',
        'CREATED',
        'PENDING_TRANSFER_ALREADY_VOIDED',
      ]);
    });

    it('answers PENDING_TRANSFER_EXPIRED once the timeout has passed, before the job has run', () => {
      hold(70n, { timeoutSeconds: 10 });
      const late = secondsAfter(NOW, 10);
      const post = resolutionInput('post', uuid(1000), { id: uuid(1001) });
      expectStatus(store.createTransfers([post], late)[0], 'PENDING_TRANSFER_EXPIRED');
      const voided = resolutionInput('void', uuid(1000), { id: uuid(1002) });
      expectStatus(store.createTransfers([voided], late)[0], 'PENDING_TRANSFER_EXPIRED');
      expect(store.account(SETTLEMENT).debitsPending).to.equal(70n);
    });

    it('posts a hold one millisecond before it expires', () => {
      hold(70n, { timeoutSeconds: 10 });
      const justInTime = new Date(secondsAfter(NOW, 10).getTime() - 1);
      const post = resolutionInput('post', uuid(1000), { id: uuid(1001) });
      expectStatus(store.createTransfers([post], justInTime)[0], 'CREATED');
    });

    it('answers PENDING_TRANSFER_EXPIRED after the expiry job released the hold', () => {
      hold(70n, { timeoutSeconds: 1 });
      store.expirePending(secondsAfter(NOW, 2));
      const voided = resolutionInput('void', uuid(1000), { id: uuid(1001) });
      expectStatus(store.createTransfers([voided])[0], 'PENDING_TRANSFER_EXPIRED');
      expect(store.account(SETTLEMENT).debitsPending).to.equal(0n);
    });
  });

  describe('account state', () => {
    it('answers ACCOUNT_CLOSED for a transfer to a closed account', () => {
      store.setAccountStatus(OTHER_SETTLEMENT, 'CLOSED');
      expectStatus(one(store, {}), 'ACCOUNT_CLOSED');
      expect(store.failures.get(uuid(1000))?.status).to.equal('ACCOUNT_CLOSED');
    });

    it('answers ACCOUNT_FROZEN for a transfer from a frozen account, and for a post', () => {
      one(store, { id: uuid(1000), flags: { pending: true } });
      store.setAccountStatus(SETTLEMENT, 'FROZEN');
      expectStatus(one(store, { id: uuid(1001) }), 'ACCOUNT_FROZEN');
      const post = resolutionInput('post', uuid(1000), { id: uuid(1002) });
      expectStatus(store.createTransfers([post])[0], 'ACCOUNT_FROZEN');
    });

    it('prefers ACCOUNT_CLOSED to ACCOUNT_FROZEN', () => {
      store.setAccountStatus(SETTLEMENT, 'FROZEN');
      store.setAccountStatus(OTHER_SETTLEMENT, 'CLOSED');
      expectStatus(one(store, {}), 'ACCOUNT_CLOSED');
    });

    it('voids a hold on a frozen account', () => {
      one(store, { id: uuid(1000), flags: { pending: true } });
      store.setAccountStatus(OTHER_SETTLEMENT, 'FROZEN');
      const voided = resolutionInput('void', uuid(1000), { id: uuid(1001) });
      expectStatus(store.createTransfers([voided])[0], 'CREATED');
      expect(store.account(OTHER_SETTLEMENT).creditsPending).to.equal(0n);
    });
  });

  describe('balances', () => {
    it('answers EXCEEDS_CREDITS when a customer debit passes credits plus overdraft', () => {
      one(store, { id: uuid(1000), creditAccountId: CUSTOMER, amount: 100n });
      expectStatus(
        one(store, { id: uuid(1001), debitAccountId: CUSTOMER, amount: 151n }),
        'EXCEEDS_CREDITS',
      );
      expect(store.account(CUSTOMER).debitsPosted).to.equal(0n);
    });

    it('lets a customer spend exactly its credits plus its overdraft limit', () => {
      one(store, { id: uuid(1000), creditAccountId: CUSTOMER, amount: 100n });
      expectStatus(
        one(store, { id: uuid(1001), debitAccountId: CUSTOMER, amount: 150n }),
        'CREATED',
      );
    });

    it('counts holds against a customer’s funds but never refuses their post', () => {
      one(store, {
        id: uuid(1000),
        debitAccountId: CUSTOMER,
        amount: 50n,
        flags: { pending: true },
      });
      expectStatus(
        one(store, { id: uuid(1001), debitAccountId: CUSTOMER, amount: 1n }),
        'EXCEEDS_CREDITS',
      );
      const post = resolutionInput('post', uuid(1000), { id: uuid(1002) });
      expectStatus(store.createTransfers([post])[0], 'CREATED');
      expect(store.account(CUSTOMER)).to.include({ debitsPosted: 50n, debitsPending: 0n });
    });

    it('does not count pending credits as funds', () => {
      one(store, {
        id: uuid(1000),
        creditAccountId: CUSTOMER,
        amount: 500n,
        flags: { pending: true },
      });
      expectStatus(
        one(store, { id: uuid(1001), debitAccountId: CUSTOMER, amount: 51n }),
        'EXCEEDS_CREDITS',
      );
    });

    it('answers EXCEEDS_DEBITS when credits would pass debits, with no overdraft on that side', () => {
      one(store, { id: uuid(1000), debitAccountId: CREDIT_LIMITED, amount: 40n });
      expectStatus(
        one(store, { id: uuid(1001), creditAccountId: CREDIT_LIMITED, amount: 40n }),
        'CREATED',
      );
      expectStatus(
        one(store, { id: uuid(1002), creditAccountId: CREDIT_LIMITED, amount: 1n }),
        'EXCEEDS_DEBITS',
      );
    });

    it('answers OVERFLOW when a balance would pass 2^63-1, before any limit', () => {
      expectStatus(one(store, { id: uuid(1000), amount: AMOUNT_MAX }), 'CREATED');
      expectStatus(one(store, { id: uuid(1001), amount: 1n }), 'OVERFLOW');
      expectStatus(
        one(store, { id: uuid(1002), amount: 1n, flags: { pending: true } }),
        'OVERFLOW',
      );
      // The customer has no funds either, but OVERFLOW (35) precedes EXCEEDS_CREDITS (36).
      const both = one(store, { id: uuid(1003), debitAccountId: CUSTOMER, amount: 51n });
      expectStatus(both, 'OVERFLOW');
      expect(store.account(SETTLEMENT).debitsPosted).to.equal(AMOUNT_MAX);
    });

    it('answers OVERFLOW when pending plus posted would pass 2^63-1', () => {
      one(store, { id: uuid(1000), amount: AMOUNT_MAX - 10n, flags: { pending: true } });
      expectStatus(one(store, { id: uuid(1001), amount: 11n }), 'OVERFLOW');
      expectStatus(one(store, { id: uuid(1002), amount: 10n }), 'CREATED');
    });

    it('does not count credits_posted plus a maximal overdraft as an overflow', () => {
      store.accounts.set(
        uuid(6),
        customerAccount(uuid(6), { overdraftLimit: AMOUNT_MAX, creditsPosted: 5n }),
      );
      expectStatus(one(store, { debitAccountId: uuid(6), amount: 10n }), 'CREATED');
    });
  });

  describe('linked chains', () => {
    it('answers LINKED_EVENT_FAILED to the other members of a chain that failed', () => {
      const results = store.createTransfers([
        transferInput({ id: uuid(1000), flags: { linked: true } }),
        transferInput({ id: uuid(1001), debitAccountId: CUSTOMER, amount: 51n }),
      ]);
      expectStatuses(results, ['LINKED_EVENT_FAILED', 'EXCEEDS_CREDITS']);
      expect(store.account(SETTLEMENT).debitsPosted).to.equal(0n);
    });

    it('answers LINKED_EVENT_CHAIN_OPEN to the last transfer when it is linked', () => {
      const results = store.createTransfers([
        transferInput({ id: uuid(1000) }),
        transferInput({ id: uuid(1001), flags: { linked: true } }),
      ]);
      expectStatuses(results, ['CREATED', 'LINKED_EVENT_CHAIN_OPEN']);
    });
  });
});
