// Every CreateTransferStatus and CreateAccountStatus of results.proto is answered by the real
// service over gRPC for the input that calls for it, and every failed item changes nothing. Time
// is driven through the service's clock so that an expired hold needs no sleeping.
import { expect } from 'chai';
import { LedgerAccountStatus } from '../../../gen/grpc-js/clearmesh/ledger/v1/ledger_account.js';
import { CreateTransferStatus } from '../../../gen/grpc-js/clearmesh/ledger/v1/results.js';
import { CREATE_ACCOUNT_STATUSES, CREATE_TRANSFER_STATUSES } from '../src/domain/index.js';
import {
  accountStatusNames,
  ledgerAccount,
  openAccounts,
  resolution,
  transfer,
  transferStatusNames,
  type TransferFields,
} from './ledger-builders.js';
import { startLedgerTestServer, type LedgerTestServer } from './ledger-test-server.js';
import type { Transfer } from '../../../gen/grpc-js/clearmesh/ledger/v1/transfer.js';
import type { LedgerAccount } from '../../../gen/grpc-js/clearmesh/ledger/v1/ledger_account.js';

const AMOUNT_MAX = 2n ** 63n - 1n;

describe('ledger statuses through the gRPC server', () => {
  let ledger: LedgerTestServer;
  let clockOffsetMs = 0;
  const seenTransfer = new Set<string>();
  const seenAccount = new Set<string>();
  let source: LedgerAccount;
  let target: LedgerAccount;

  before(async () => {
    ledger = await startLedgerTestServer({
      schema: 'ledger_statuses',
      timeSource: () => Date.now() + clockOffsetMs,
    });
    source = ledgerAccount();
    target = ledgerAccount();
    await openAccounts(ledger.client, [source, target]);
  });

  after(async () => {
    await ledger.stop();
  });

  async function send(...transfers: Transfer[]): Promise<string[]> {
    const { results } = await ledger.client.call.createTransfers({ transfers });
    const names = transferStatusNames(results);
    for (const name of names) seenTransfer.add(name);
    return names;
  }

  async function createAccounts(...accounts: LedgerAccount[]): Promise<string[]> {
    const { results } = await ledger.client.call.createAccounts({ accounts });
    const names = accountStatusNames(results);
    for (const name of names) seenAccount.add(name);
    return names;
  }

  function move(fields: TransferFields = {}): Transfer {
    return transfer({ debitAccountId: source.id, creditAccountId: target.id, ...fields });
  }

  async function balancesOf(...accounts: LedgerAccount[]): Promise<unknown[]> {
    const found = await ledger.client.call.lookupAccounts({
      accountIds: accounts.map((a) => a.id),
    });
    return found.accounts.map(
      ({ id, debitsPending, debitsPosted, creditsPending, creditsPosted }) => ({
        id,
        ...{ debitsPending, debitsPosted, creditsPending, creditsPosted },
      }),
    );
  }

  it('answers CREATED with the stored transfer, and EXISTS with the original for a retry', async () => {
    const first = move({ reference: 'invoice 7', code: 42 });
    const { results } = await ledger.client.call.createTransfers({ transfers: [first] });
    expect(transferStatusNames(results)).to.deep.equal(['CREATED']);
    const stored = results[0]?.transfer;
    expect(stored?.id).to.equal(first.id);
    expect(stored?.createdAt).to.be.instanceOf(Date);
    const retry = await ledger.client.call.createTransfers({
      transfers: [{ ...first, id: first.id.toUpperCase() }],
    });
    expect(transferStatusNames(retry.results)).to.deep.equal(['EXISTS']);
    expect(retry.results[0]?.transfer).to.deep.equal(stored);
    expect(await send(first, { ...first, amount: 101n })).to.deep.equal([
      'EXISTS',
      'EXISTS_WITH_DIFFERENT_FIELDS',
    ]);
  });

  it("answers each malformed field's status and changes nothing", async () => {
    const before = await balancesOf(source, target);
    const cases: [string, Transfer][] = [
      ['CREATED_AT_MUST_NOT_BE_SET', move({ createdAt: new Date() })],
      ['INVALID_ID', move({ id: 'not-a-uuid' })],
      [
        'FLAGS_ARE_MUTUALLY_EXCLUSIVE',
        move({ flags: { pending: true, voidPendingTransfer: true } }),
      ],
      ['INVALID_DEBIT_ACCOUNT_ID', move({ debitAccountId: 'x' })],
      ['INVALID_CREDIT_ACCOUNT_ID', move({ creditAccountId: '' })],
      ['ACCOUNTS_MUST_BE_DIFFERENT', move({ creditAccountId: source.id.toUpperCase() })],
      ['PENDING_ID_MUST_BE_EMPTY', move({ pendingId: source.id })],
      ['PENDING_ID_REQUIRED', resolution('post', '')],
      ['INVALID_PENDING_ID', resolution('void', '00000000-0000-0000-0000-000000000000')],
      ['TIMEOUT_RESERVED_FOR_PENDING_TRANSFER', move({ timeoutSeconds: 5 })],
      ['AMOUNT_MUST_BE_POSITIVE', move({ amount: 0n })],
      ['INVALID_CURRENCY', move({ currency: 'usd' })],
      ['INVALID_REFERENCE', move({ reference: 'r'.repeat(129) })],
    ];
    const self = resolution('post', '');
    cases.push(['PENDING_ID_MUST_BE_DIFFERENT', { ...self, pendingId: self.id }]);
    for (const [status, input] of cases) expect(await send(input), status).to.deep.equal([status]);
    expect(await balancesOf(source, target)).to.deep.equal(before);
    // None of these is recorded: the id may be used again once the fields are right.
    const corrected = cases[0]?.[1];
    if (corrected === undefined) throw new Error('no case');
    expect(await send({ ...corrected, createdAt: undefined })).to.deep.equal(['CREATED']);
  });

  it('records failures against the ledger state, so a retry answers ID_ALREADY_FAILED', async () => {
    const [euro, frozen, closed, customer, creditLimited] = await openAccounts(ledger.client, [
      ledgerAccount({ currency: 'EUR' }),
      ledgerAccount(),
      ledgerAccount(),
      ledgerAccount({ kind: 'customer' }),
      ledgerAccount({ kind: 'creditLimited' }),
    ]);
    if (!euro || !frozen || !closed || !customer || !creditLimited) throw new Error('no accounts');
    const status = (id: string, value: LedgerAccountStatus) =>
      ledger.client.call.setAccountStatus({ accountId: id, status: value });
    await status(frozen.id, LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_FROZEN);
    await status(closed.id, LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_CLOSED);
    const unknown = ledgerAccount();
    const cases: [string, Transfer][] = [
      ['DEBIT_ACCOUNT_NOT_FOUND', move({ debitAccountId: unknown.id })],
      ['CREDIT_ACCOUNT_NOT_FOUND', move({ creditAccountId: unknown.id })],
      ['CURRENCY_MISMATCH', move({ creditAccountId: euro.id })],
      ['ACCOUNT_FROZEN', move({ creditAccountId: frozen.id })],
      ['ACCOUNT_CLOSED', move({ debitAccountId: closed.id })],
      ['EXCEEDS_CREDITS', move({ debitAccountId: customer.id })],
      ['EXCEEDS_DEBITS', move({ creditAccountId: creditLimited.id })],
    ];
    for (const [expected, input] of cases) {
      expect(await send(input), expected).to.deep.equal([expected]);
      expect(await send(input), `${expected} retried`).to.deep.equal(['ID_ALREADY_FAILED']);
      const { results } = await ledger.client.call.createTransfers({ transfers: [input] });
      // The retry says why the first attempt failed, for callers re-driving a lost answer.
      expect(
        CreateTransferStatus[results[0]?.originalStatus ?? 0],
        `${expected} original status`,
      ).to.equal(`CREATE_TRANSFER_STATUS_${expected}`);
    }
    const found = await ledger.client.call.lookupTransfers({
      transferIds: cases.map(([, input]) => input.id),
    });
    expect(found.transfers).to.deep.equal([]);
  });

  it('answers OVERFLOW when a balance would pass 2^63-1', async () => {
    const [from, to] = await openAccounts(ledger.client, [ledgerAccount(), ledgerAccount()]);
    if (!from || !to) throw new Error('no accounts');
    const big = { debitAccountId: from.id, creditAccountId: to.id, amount: AMOUNT_MAX };
    expect(await send(transfer(big), transfer({ ...big, amount: 1n }))).to.deep.equal([
      'CREATED',
      'OVERFLOW',
    ]);
  });

  it('answers the statuses of posting and voiding holds', async () => {
    const hold = move({ amount: 50n, flags: { pending: true } });
    const plain = move();
    const [, other] = await openAccounts(ledger.client, [ledgerAccount(), ledgerAccount()]);
    if (!other) throw new Error('no account');
    expect(await send(hold, plain)).to.deep.equal(['CREATED', 'CREATED']);
    const cases: [string, Transfer][] = [
      ['PENDING_TRANSFER_NOT_FOUND', resolution('post', move().id)],
      ['PENDING_TRANSFER_NOT_PENDING', resolution('post', plain.id)],
      [
        'PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID',
        resolution('post', hold.id, { debitAccountId: other.id }),
      ],
      [
        'PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID',
        resolution('void', hold.id, { creditAccountId: other.id }),
      ],
      ['EXCEEDS_PENDING_TRANSFER_AMOUNT', resolution('post', hold.id, { amount: 51n })],
      ['PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT', resolution('void', hold.id, { amount: 20n })],
    ];
    for (const [expected, input] of cases)
      expect(await send(input), expected).to.deep.equal([expected]);
    expect(await send(resolution('post', hold.id, { amount: 30n }))).to.deep.equal(['CREATED']);
    expect(await send(resolution('void', hold.id))).to.deep.equal([
      'PENDING_TRANSFER_ALREADY_POSTED',
    ]);
    const voided = move({ flags: { pending: true } });
    expect(await send(voided, resolution('void', voided.id))).to.deep.equal(['CREATED', 'CREATED']);
    expect(await send(resolution('post', voided.id))).to.deep.equal([
      'PENDING_TRANSFER_ALREADY_VOIDED',
    ]);
  });

  it('answers PENDING_TRANSFER_EXPIRED once the timeout has passed, before the job runs', async () => {
    const hold = move({ flags: { pending: true }, timeoutSeconds: 30 });
    expect(await send(hold)).to.deep.equal(['CREATED']);
    clockOffsetMs += 30_000;
    expect(await send(resolution('post', hold.id))).to.deep.equal(['PENDING_TRANSFER_EXPIRED']);
  });

  it('answers LINKED_EVENT_FAILED and LINKED_EVENT_CHAIN_OPEN, applying nothing of a failed chain', async () => {
    const before = await balancesOf(source, target);
    const chain = [move({ flags: { linked: true } }), move({ amount: -1n })];
    expect(await send(...chain)).to.deep.equal(['LINKED_EVENT_FAILED', 'AMOUNT_MUST_BE_POSITIVE']);
    expect(await send(move(), move({ flags: { linked: true } }))).to.deep.equal([
      'CREATED',
      'LINKED_EVENT_CHAIN_OPEN',
    ]);
    const after = await balancesOf(source, target);
    expect(after).to.not.deep.equal(before);
    const found = await ledger.client.call.lookupTransfers({ transferIds: chain.map((t) => t.id) });
    expect(found.transfers).to.deep.equal([]);
  });

  it('answers every CreateAccountStatus', async () => {
    const existing = ledgerAccount();
    const cases: [string, LedgerAccount][] = [
      ['CREATED', existing],
      ['EXISTS', { ...existing, id: existing.id.toUpperCase() }],
      ['EXISTS_WITH_DIFFERENT_FIELDS', { ...existing, currency: 'EUR' }],
      ['CREATED_AT_MUST_NOT_BE_SET', ledgerAccount({ createdAt: new Date() })],
      ['INVALID_ID', ledgerAccount({ id: 'nope' })],
      [
        'FLAGS_ARE_MUTUALLY_EXCLUSIVE',
        ledgerAccount({
          flags: { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: true },
        }),
      ],
      ['INVALID_CURRENCY', ledgerAccount({ currency: 'XXX' })],
      [
        'OVERDRAFT_LIMIT_MUST_NOT_BE_NEGATIVE',
        ledgerAccount({ kind: 'customer', overdraftLimit: -1n }),
      ],
      [
        'OVERDRAFT_LIMIT_REQUIRES_DEBITS_MUST_NOT_EXCEED_CREDITS',
        ledgerAccount({ overdraftLimit: 5n }),
      ],
      ['BALANCES_MUST_BE_ZERO', ledgerAccount({ creditsPosted: 1n })],
      [
        'INVALID_STATUS',
        ledgerAccount({ status: LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_FROZEN }),
      ],
    ];
    expect(await createAccounts(...cases.map(([, account]) => account))).to.deep.equal(
      cases.map(([status]) => status),
    );
    const found = await ledger.client.call.lookupAccounts({
      accountIds: cases.flatMap(([, account]) => (account.id === 'nope' ? [] : [account.id])),
    });
    // Only the first was created; the retry and the conflicting one name it again.
    expect(found.accounts.map((account) => account.id)).to.deep.equal(Array(3).fill(existing.id));
    expect(found.accounts[2]?.currency).to.equal('USD');
  });

  it('has produced every status of results.proto', () => {
    expect(CREATE_TRANSFER_STATUSES.filter((status) => !seenTransfer.has(status))).to.deep.equal(
      [],
    );
    expect(CREATE_ACCOUNT_STATUSES.filter((status) => !seenAccount.has(status))).to.deep.equal([]);
  });
});
