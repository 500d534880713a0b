// GetAccount and ListAccounts through a real account server and a real ledger: the balance is the
// ledger's, live (posted, pending and available as SPEC §3.1 derives them); listings are oldest
// first in keyset pages whose tokens are bound to the caller and to owner_id; a partner sees only
// its own accounts, and another owner's account is NOT_FOUND exactly like a missing id.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { AccountClient } from '../../../clients/internal/src/index.js';
import type { Account } from '../../../gen/grpc-js/clearmesh/account/v1/account.js';
import { sendTransfers, transfer } from '../../ledger/test/ledger-builders.js';
import {
  expectRefusal,
  openRequest,
  refusalOf,
  openAs,
  openSettlement,
} from './account-fixtures.js';
import { asPartner, startAccountTestMesh, type AccountTestMesh } from './account-test-mesh.js';

const { INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED } = grpc.status;

describe('GetAccount and ListAccounts', () => {
  let mesh: AccountTestMesh;
  let admin: AccountClient;
  let demo: AccountClient;
  let gateway: AccountClient;
  let settlement: Account;

  before(async () => {
    mesh = await startAccountTestMesh({ schema: 'account_read' });
    admin = mesh.clientAs('admin');
    demo = mesh.clientAs('demo');
    gateway = mesh.clientAs('gateway');
    settlement = await openSettlement(admin);
  });

  after(async () => {
    await mesh.stop();
  });

  const open = (fields: Parameters<typeof openRequest>[0] = {}): Promise<Account> =>
    openAs(admin, fields);

  it('answers the live balance: posted, pending and available with the overdraft', async () => {
    const account = await open({ overdraftLimit: 1_000n });
    const between = (debit: Account, credit: Account, amount: bigint, pending = false) =>
      transfer({
        debitAccountId: debit.accountId,
        creditAccountId: credit.accountId,
        amount,
        flags: { pending },
      });
    expect(
      await sendTransfers(mesh.ledgerAdmin, [
        between(settlement, account, 500n),
        between(account, settlement, 200n),
        between(account, settlement, 120n, true),
        between(settlement, account, 30n, true),
      ]),
    ).to.deep.equal(['CREATED', 'CREATED', 'CREATED', 'CREATED']);
    const { account: read } = await demo.call.getAccount({ accountId: account.accountId });
    expect(read?.balance).to.deep.equal({ posted: 300n, pending: -90n, available: 1_180n });
    expect(read).to.deep.include({
      accountId: account.accountId,
      createdAt: account.createdAt,
      updatedAt: account.updatedAt,
    });
  });

  it('accepts an upper-case id and answers it in lower case', async () => {
    const account = await open();
    const { account: read } = await admin.call.getAccount({
      accountId: account.accountId.toUpperCase(),
    });
    expect(read?.accountId).to.equal(account.accountId);
  });

  for (const [name, accountId] of [
    ['an empty id', ''],
    ['a malformed id', 'not-a-uuid'],
    ['a UUID without dashes', randomUUID().replaceAll('-', '')],
    ['the nil UUID', '00000000-0000-0000-0000-000000000000'],
  ] as const) {
    it(`refuses ${name} with INVALID_ARGUMENT on account_id`, async () => {
      await expectRefusal(
        admin.call.getAccount({ accountId }),
        INVALID_ARGUMENT,
        'VALIDATION_FAILED',
        ['account_id'],
      );
    });
  }

  it('answers NOT_FOUND for an unknown id', async () => {
    await expectRefusal(
      admin.call.getAccount({ accountId: randomUUID() }),
      NOT_FOUND,
      'ACCOUNT_NOT_FOUND',
    );
  });

  it("hides another owner's account from a partner exactly as a missing one", async () => {
    const others = await open({ ownerId: 'partner-b' });
    const partner = asPartner('partner-a');
    const foreign = await refusalOf(
      gateway.call.getAccount({ accountId: others.accountId }, partner),
    );
    const missing = await refusalOf(gateway.call.getAccount({ accountId: randomUUID() }, partner));
    expect(foreign).to.deep.equal(missing);
    expect([foreign.code, foreign.reason]).to.deep.equal([NOT_FOUND, 'ACCOUNT_NOT_FOUND']);
    const own = await gateway.call.openAccount(openRequest({ ownerId: 'partner-a' }), partner);
    const { account } = await gateway.call.getAccount(
      { accountId: own.account?.accountId ?? '' },
      partner,
    );
    expect(account?.ownerId).to.equal('partner-a');
  });

  it('refuses a partner without accounts:read', async () => {
    await expectRefusal(
      gateway.call.getAccount(
        { accountId: settlement.accountId },
        asPartner('p', ['payments:read']),
      ),
      PERMISSION_DENIED,
      'POLICY_DENIED',
    );
  });

  it('lists an owner’s accounts oldest first in pages, with balances', async () => {
    const ownerId = `lister-${randomUUID()}`;
    const opened: Account[] = [];
    for (let index = 0; index < 5; index += 1) opened.push(await open({ ownerId }));
    const seen: Account[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = await demo.call.listAccounts({ ownerId, pageSize: 2, pageToken });
      expect(page.accounts.length).to.be.at.most(2);
      seen.push(...page.accounts);
      pageToken = page.nextPageToken;
      pages += 1;
    } while (pageToken !== '');
    expect(pages).to.equal(3);
    expect(seen).to.deep.equal(opened);
  });

  it('lists every account for internal callers when no owner is given', async () => {
    const ownerId = `everyone-${randomUUID()}`;
    const account = await open({ ownerId });
    const { accounts } = await admin.call.listAccounts({
      ownerId: '',
      pageSize: 500,
      pageToken: '',
    });
    const ids = accounts.map((listed) => listed.accountId);
    expect(ids).to.include(account.accountId).and.to.include(settlement.accountId);
    expect(ids).to.deep.equal([...ids].sort());
  });

  it('uses 50 for page_size 0 and clamps a page_size above 500', async () => {
    const ownerId = `many-${randomUUID()}`;
    await Promise.all(Array.from({ length: 51 }, () => open({ ownerId })));
    const defaults = await admin.call.listAccounts({ ownerId, pageSize: 0, pageToken: '' });
    expect(defaults.accounts).to.have.length(50);
    expect(defaults.nextPageToken).to.not.equal('');
    const clamped = await admin.call.listAccounts({ ownerId, pageSize: 100_000, pageToken: '' });
    expect(clamped.accounts).to.have.length(51);
    expect(clamped.nextPageToken).to.equal('');
  });

  it('refuses a negative page_size, a bad owner_id and foreign or forged page tokens', async () => {
    const ownerId = `tokens-${randomUUID()}`;
    await open({ ownerId });
    await open({ ownerId });
    const { nextPageToken } = await admin.call.listAccounts({
      ownerId,
      pageSize: 1,
      pageToken: '',
    });
    const invalid = (call: Promise<unknown>, field: string) =>
      expectRefusal(call, INVALID_ARGUMENT, 'VALIDATION_FAILED', [field]);
    await invalid(admin.call.listAccounts({ ownerId, pageSize: -1, pageToken: '' }), 'page_size');
    await invalid(
      admin.call.listAccounts({ ownerId: 'a b', pageSize: 0, pageToken: '' }),
      'owner_id',
    );
    await invalid(
      admin.call.listAccounts({ ownerId: 'o'.repeat(129), pageSize: 0, pageToken: '' }),
      'owner_id',
    );
    // Another caller, another query, a tampered token: all foreign.
    await invalid(
      demo.call.listAccounts({ ownerId, pageSize: 1, pageToken: nextPageToken }),
      'page_token',
    );
    await invalid(
      admin.call.listAccounts({ ownerId: 'other', pageSize: 1, pageToken: nextPageToken }),
      'page_token',
    );
    await invalid(
      admin.call.listAccounts({ ownerId, pageSize: 1, pageToken: `${nextPageToken}x` }),
      'page_token',
    );
    await invalid(
      admin.call.listAccounts({ ownerId, pageSize: 1, pageToken: 'junk' }),
      'page_token',
    );
    const next = await admin.call.listAccounts({ ownerId, pageSize: 1, pageToken: nextPageToken });
    expect(next.accounts).to.have.length(1);
  });

  it('lists only a partner’s own accounts, and nothing for another owner', async () => {
    const partnerId = `partner-${randomUUID()}`;
    const partner = asPartner(partnerId);
    const own = await gateway.call.openAccount(openRequest({ ownerId: partnerId }), partner);
    await open({ ownerId: 'someone-else' });
    const all = await gateway.call.listAccounts(
      { ownerId: '', pageSize: 0, pageToken: '' },
      partner,
    );
    expect(all.accounts.map((account) => account.accountId)).to.deep.equal([
      own.account?.accountId,
    ]);
    const mine = await gateway.call.listAccounts(
      { ownerId: partnerId, pageSize: 0, pageToken: '' },
      partner,
    );
    expect(mine.accounts).to.have.length(1);
    const theirs = await gateway.call.listAccounts(
      { ownerId: 'someone-else', pageSize: 0, pageToken: '' },
      partner,
    );
    expect(theirs).to.deep.equal({ accounts: [], nextPageToken: '' });
  });

  it('leaves status changes to client/admin under the default policy, partners included', async () => {
    const account = await open({ ownerId: 'partner-a' });
    await expectRefusal(
      gateway.call.freezeAccount(
        { accountId: account.accountId, reason: '' },
        asPartner('partner-a'),
      ),
      PERMISSION_DENIED,
      'POLICY_DENIED',
    );
    await expectRefusal(
      demo.call.closeAccount({ accountId: account.accountId }),
      PERMISSION_DENIED,
      'POLICY_DENIED',
    );
  });
});
