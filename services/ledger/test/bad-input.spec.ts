// Bad input changes nothing: a malformed request as a whole is INVALID_ARGUMENT /
// VALIDATION_FAILED with the proto field named in BadRequest, a malformed item gets its own
// status, and afterwards every balance, every stored transfer and CheckIntegrity's totals are
// exactly what they were.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { ClientError } from '../../../clients/internal/src/index.js';
import {
  LedgerAccountStatus,
  type LedgerAccount,
} from '../../../gen/grpc-js/clearmesh/ledger/v1/ledger_account.js';
import {
  ledgerAccount,
  openAccounts,
  sendTransfers,
  transfer,
  type TransferFields,
} from './ledger-builders.js';
import { startLedgerTestServer, type LedgerTestServer } from './ledger-test-server.js';

/** A number the enum does not name, as a client built from another version could send. */
function unknownStatus(number: number): LedgerAccountStatus {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- the point of the test
  return number;
}

describe('ledger bad input', () => {
  let ledger: LedgerTestServer;
  let source: LedgerAccount;
  let target: LedgerAccount;

  before(async () => {
    ledger = await startLedgerTestServer({ schema: 'ledger_bad_input' });
    source = ledgerAccount();
    target = ledgerAccount({ kind: 'customer' });
    await openAccounts(ledger.client, [source, target]);
    const funding = transfer({ debitAccountId: source.id, creditAccountId: target.id });
    expect(await sendTransfers(ledger.client, [funding])).to.deep.equal(['CREATED']);
  });

  after(async () => {
    await ledger.stop();
  });

  /** Everything bad input must leave alone. */
  async function snapshot(): Promise<unknown> {
    const accountIds = [source.id, target.id];
    const [accounts, integrity, history] = await Promise.all([
      ledger.client.call.lookupAccounts({ accountIds }),
      ledger.client.call.checkIntegrity({}),
      ledger.client.call.listAccountTransfers({
        accountId: source.id,
        since: undefined,
        until: undefined,
        pageSize: 500,
        pageToken: '',
        reverse: false,
      }),
    ]);
    return { accounts, integrity, history };
  }

  async function refusal(call: Promise<unknown>): Promise<{ code: grpc.status; fields: string[] }> {
    try {
      await call;
    } catch (error) {
      if (!(error instanceof ClientError)) throw error;
      const fields = (error.details.badRequest?.fieldViolations ?? []).map((v) => v.field);
      const reasons: Partial<Record<grpc.status, string>> = {
        [grpc.status.INVALID_ARGUMENT]: 'VALIDATION_FAILED',
        [grpc.status.NOT_FOUND]: 'ACCOUNT_NOT_FOUND',
      };
      expect(error.reason).to.equal(reasons[error.code]);
      return { code: error.code, fields };
    }
    throw new Error('expected the call to be refused');
  }

  function invalid(field: string): { code: grpc.status; fields: string[] } {
    return { code: grpc.status.INVALID_ARGUMENT, fields: [field] };
  }

  function move(fields: TransferFields = {}) {
    return transfer({ debitAccountId: source.id, creditAccountId: target.id, ...fields });
  }

  it('refuses empty and oversized requests as a whole', async () => {
    const before = await snapshot();
    const { call } = ledger.client;
    const tooMany = Array.from({ length: 8191 }, () => move({ amount: 1n }));
    expect(await refusal(call.createTransfers({ transfers: [] }))).to.deep.equal(
      invalid('transfers'),
    );
    expect(await refusal(call.createTransfers({ transfers: tooMany }))).to.deep.equal(
      invalid('transfers'),
    );
    expect(await refusal(call.createAccounts({ accounts: [] }))).to.deep.equal(invalid('accounts'));
    const tooManyAccounts = Array.from({ length: 8191 }, () => ledgerAccount());
    expect(await refusal(call.createAccounts({ accounts: tooManyAccounts }))).to.deep.equal(
      invalid('accounts'),
    );
    expect(await refusal(call.lookupAccounts({ accountIds: [] }))).to.deep.equal(
      invalid('account_ids'),
    );
    expect(await refusal(call.lookupTransfers({ transferIds: [] }))).to.deep.equal(
      invalid('transfer_ids'),
    );
    expect(await snapshot()).to.deep.equal(before);
  });

  it('refuses malformed ids, unknown enum values and bad pages in reads and status changes', async () => {
    const { call } = ledger.client;
    const malformed = ['', 'not-a-uuid', '00000000-0000-0000-0000-000000000000', `${source.id}0`];
    for (const id of malformed) {
      expect(await refusal(call.lookupAccounts({ accountIds: [source.id, id] }))).to.deep.equal(
        invalid('account_ids'),
      );
      expect(await refusal(call.lookupTransfers({ transferIds: [id] }))).to.deep.equal(
        invalid('transfer_ids'),
      );
      expect(
        await refusal(call.getAccountBalances({ accountId: id, asOf: undefined })),
      ).to.deep.equal(invalid('account_id'));
      expect(
        await refusal(
          call.setAccountStatus({
            accountId: id,
            status: LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_FROZEN,
          }),
        ),
      ).to.deep.equal(invalid('account_id'));
    }
    const before = await snapshot();
    const statuses = [0, 4, 99, -1].map(unknownStatus);
    for (const status of statuses) {
      expect(await refusal(call.setAccountStatus({ accountId: source.id, status }))).to.deep.equal(
        invalid('status'),
      );
    }
    const list = {
      accountId: source.id,
      since: undefined,
      until: undefined,
      pageToken: '',
      reverse: false,
    };
    expect(await refusal(call.listAccountTransfers({ ...list, pageSize: -1 }))).to.deep.equal(
      invalid('page_size'),
    );
    const since = new Date();
    const until = new Date(since.getTime() - 1);
    expect(
      await refusal(call.listAccountTransfers({ ...list, since, until, pageSize: 0 })),
    ).to.deep.equal(invalid('until'));
    expect(
      await refusal(call.listAccountTransfers({ ...list, pageSize: 0, pageToken: 'garbage' })),
    ).to.deep.equal(invalid('page_token'));
    const future = new Date(Date.now() + 60_000);
    expect(
      await refusal(call.getAccountBalances({ accountId: source.id, asOf: future })),
    ).to.deep.equal(invalid('as_of'));
    expect(await snapshot()).to.deep.equal(before);
  });

  it('answers NOT_FOUND / ACCOUNT_NOT_FOUND for an unknown account', async () => {
    const { call } = ledger.client;
    const unknown = ledgerAccount().id;
    const notFound = { code: grpc.status.NOT_FOUND, fields: [] };
    expect(
      await refusal(
        call.setAccountStatus({
          accountId: unknown,
          status: LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_FROZEN,
        }),
      ),
    ).to.deep.equal(notFound);
    expect(
      await refusal(call.getAccountBalances({ accountId: unknown, asOf: undefined })),
    ).to.deep.equal(notFound);
    expect(
      await refusal(
        call.listAccountTransfers({
          accountId: unknown,
          since: undefined,
          until: undefined,
          pageSize: 0,
          pageToken: '',
          reverse: false,
        }),
      ),
    ).to.deep.equal(notFound);
    expect((await call.lookupAccounts({ accountIds: [unknown] })).accounts).to.deep.equal([]);
  });

  it('gives malformed transfers their own status and changes nothing', async () => {
    const before = await snapshot();
    const statuses = await sendTransfers(ledger.client, [
      move({ id: 'not-a-uuid' }),
      move({ id: '' }),
      move({ debitAccountId: 'abc' }),
      move({ creditAccountId: '' }),
      move({ amount: 0n }),
      move({ amount: -5n }),
      move({ amount: -(2n ** 63n) }),
      move({ currency: 'usd' }),
      move({ currency: 'ABC' }),
      move({ currency: 'XTS' }),
      move({ currency: '' }),
      move({ debitAccountId: ledgerAccount().id }),
      move({ currency: 'EUR' }),
    ]);
    expect(statuses).to.deep.equal([
      'INVALID_ID',
      'INVALID_ID',
      'INVALID_DEBIT_ACCOUNT_ID',
      'INVALID_CREDIT_ACCOUNT_ID',
      'AMOUNT_MUST_BE_POSITIVE',
      'AMOUNT_MUST_BE_POSITIVE',
      'AMOUNT_MUST_BE_POSITIVE',
      'INVALID_CURRENCY',
      'INVALID_CURRENCY',
      'INVALID_CURRENCY',
      'INVALID_CURRENCY',
      'DEBIT_ACCOUNT_NOT_FOUND',
      'CURRENCY_MISMATCH',
    ]);
    expect(await snapshot()).to.deep.equal(before);
  });

  it('gives malformed accounts their own status, unknown enum values included, and creates none', async () => {
    const bad = [
      ledgerAccount({ id: 'nope' }),
      ledgerAccount({ currency: 'usd' }),
      ledgerAccount({ currency: 'EURO' }),
      ledgerAccount({ status: unknownStatus(42) }),
      ledgerAccount({ status: LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_UNSPECIFIED }),
    ];
    const { results } = await ledger.client.call.createAccounts({ accounts: bad });
    expect(results.map((result) => result.status)).to.deep.equal([3, 7, 7, 11, 11]);
    const found = await ledger.client.call.lookupAccounts({
      accountIds: bad.slice(1).map((a) => a.id),
    });
    expect(found.accounts).to.deep.equal([]);
  });
});
