// FreezeAccount, UnfreezeAccount and CloseAccount through a real account server and a real
// ledger: each is carried to the ledger, which then enforces it (a frozen or closed account
// neither sends nor receives); closing needs a zero balance and no pending holds
// (ACCOUNT_NOT_EMPTY); CLOSED is final (INVALID_STATE); repeating a change returns the account
// unchanged; every outcome is audited; a partner cannot act on another owner's account.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { AccountClient } from '../../../clients/internal/src/index.js';
import { AccountStatus, type Account } from '../../../gen/grpc-js/clearmesh/account/v1/account.js';
import { LedgerAccountStatus } from '../../../gen/grpc-js/clearmesh/ledger/v1/ledger_account.js';
import { resolution, sendTransfers, transfer } from '../../ledger/test/ledger-builders.js';
import {
  expectRefusal,
  openRequest,
  refusalOf,
  openAs,
  openSettlement,
} from './account-fixtures.js';
import { asPartner, startAccountTestMesh, type AccountTestMesh } from './account-test-mesh.js';

const { INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, FAILED_PRECONDITION } = grpc.status;
const { ACCOUNT_STATUS_ACTIVE: ACTIVE, ACCOUNT_STATUS_FROZEN: FROZEN } = AccountStatus;
const CLOSED = AccountStatus.ACCOUNT_STATUS_CLOSED;

interface AuditRow {
  principal: string;
  partner_id: string | null;
  peer: string;
  action: string;
  outcome: string;
  account_id: string | null;
  reason: string;
}

describe('FreezeAccount, UnfreezeAccount and CloseAccount', () => {
  let mesh: AccountTestMesh;
  let admin: AccountClient;
  let demo: AccountClient;
  let gateway: AccountClient;
  let settlement: Account;

  before(async () => {
    mesh = await startAccountTestMesh({ schema: 'account_status', gatewayChangesStatus: true });
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

  async function ledgerStatusOf(account: Account): Promise<LedgerAccountStatus | undefined> {
    const { accounts } = await mesh.ledgerAdmin.call.lookupAccounts({
      accountIds: [account.accountId],
    });
    return accounts[0]?.status;
  }

  function pay(debit: Account, credit: Account, fields: Parameters<typeof transfer>[0] = {}) {
    return transfer({
      debitAccountId: debit.accountId,
      creditAccountId: credit.accountId,
      ...fields,
    });
  }

  async function auditOf(account: Account): Promise<AuditRow[]> {
    return (await mesh
      .db('audit_events')
      .where('account_id', account.accountId)
      .orderBy('audit_id')) as AuditRow[];
  }

  it('freezes and unfreezes, and the ledger enforces it', async () => {
    const account = await open();
    const { account: frozen } = await admin.call.freezeAccount({
      accountId: account.accountId,
      reason: 'fraud review',
    });
    expect(frozen?.status).to.equal(FROZEN);
    expect(frozen?.updatedAt?.getTime()).to.be.at.least(account.createdAt?.getTime() ?? 0);
    expect(await ledgerStatusOf(account)).to.equal(
      LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_FROZEN,
    );
    expect(await sendTransfers(mesh.ledgerAdmin, [pay(settlement, account)])).to.deep.equal([
      'ACCOUNT_FROZEN',
    ]);
    const { account: read } = await demo.call.getAccount({ accountId: account.accountId });
    expect(read?.status).to.equal(FROZEN);

    const { account: active } = await admin.call.unfreezeAccount({
      accountId: account.accountId,
      reason: 'cleared',
    });
    expect(active?.status).to.equal(ACTIVE);
    expect(await ledgerStatusOf(account)).to.equal(LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_OPEN);
    expect(await sendTransfers(mesh.ledgerAdmin, [pay(settlement, account)])).to.deep.equal([
      'CREATED',
    ]);
    expect(active?.balance?.posted).to.equal(0n);
  });

  it('changes nothing when the account already has the status', async () => {
    const account = await open();
    const first = await admin.call.freezeAccount({ accountId: account.accountId, reason: '' });
    const again = await admin.call.freezeAccount({ accountId: account.accountId, reason: '' });
    expect(again).to.deep.equal(first);
    const unfrozen = await admin.call.unfreezeAccount({ accountId: account.accountId, reason: '' });
    const unfrozenAgain = await admin.call.unfreezeAccount({
      accountId: account.accountId,
      reason: '',
    });
    expect(unfrozenAgain).to.deep.equal(unfrozen);
    const active = await open();
    const unchanged = await admin.call.unfreezeAccount({ accountId: active.accountId, reason: '' });
    expect(unchanged.account?.updatedAt).to.deep.equal(active.updatedAt);
  });

  it('finishes a change that reached the ledger but not the row when it is repeated', async () => {
    // As if FreezeAccount had set the ledger status and then failed to commit the row: the row
    // still says ACTIVE while the ledger refuses transfers. Unfreezing (the row's own status)
    // must still reach the ledger, or the account stays stuck frozen where money moves.
    const account = await open();
    await mesh.ledgerAdmin.call.setAccountStatus({
      accountId: account.accountId,
      status: LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_FROZEN,
    });
    expect(await sendTransfers(mesh.ledgerAdmin, [pay(settlement, account)])).to.deep.equal([
      'ACCOUNT_FROZEN',
    ]);
    const { account: active } = await admin.call.unfreezeAccount({
      accountId: account.accountId,
      reason: 'repair',
    });
    expect(active?.status).to.equal(ACTIVE);
    expect(active?.updatedAt).to.deep.equal(account.updatedAt);
    expect(await ledgerStatusOf(account)).to.equal(LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_OPEN);
    expect(await sendTransfers(mesh.ledgerAdmin, [pay(settlement, account)])).to.deep.equal([
      'CREATED',
    ]);
  });

  it('closes an empty account for good, from ACTIVE or FROZEN', async () => {
    const account = await open();
    const { account: closed } = await admin.call.closeAccount({ accountId: account.accountId });
    expect(closed?.status).to.equal(CLOSED);
    expect(closed?.balance).to.deep.equal({ posted: 0n, pending: 0n, available: 0n });
    expect(await ledgerStatusOf(account)).to.equal(
      LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_CLOSED,
    );
    expect(await admin.call.closeAccount({ accountId: account.accountId })).to.deep.equal({
      account: closed,
    });
    for (const call of [
      () => admin.call.freezeAccount({ accountId: account.accountId, reason: '' }),
      () => admin.call.unfreezeAccount({ accountId: account.accountId, reason: '' }),
    ]) {
      await expectRefusal(call(), FAILED_PRECONDITION, 'INVALID_STATE');
    }
    expect(await sendTransfers(mesh.ledgerAdmin, [pay(settlement, account)])).to.deep.equal([
      'ACCOUNT_CLOSED',
    ]);
    const frozenFirst = await open();
    await admin.call.freezeAccount({ accountId: frozenFirst.accountId, reason: '' });
    const { account: closedFrozen } = await admin.call.closeAccount({
      accountId: frozenFirst.accountId,
    });
    expect(closedFrozen?.status).to.equal(CLOSED);
  });

  it('refuses to close an account with a balance or a pending hold, until it is empty', async () => {
    const account = await open();
    const hold = pay(settlement, account, { flags: { pending: true } });
    expect(await sendTransfers(mesh.ledgerAdmin, [hold])).to.deep.equal(['CREATED']);
    await expectRefusal(
      admin.call.closeAccount({ accountId: account.accountId }),
      FAILED_PRECONDITION,
      'ACCOUNT_NOT_EMPTY',
    );
    expect(await sendTransfers(mesh.ledgerAdmin, [resolution('post', hold.id)])).to.deep.equal([
      'CREATED',
    ]);
    await expectRefusal(
      admin.call.closeAccount({ accountId: account.accountId }),
      FAILED_PRECONDITION,
      'ACCOUNT_NOT_EMPTY',
    );
    const { account: read } = await admin.call.getAccount({ accountId: account.accountId });
    expect(read?.status).to.equal(ACTIVE);
    expect(await sendTransfers(mesh.ledgerAdmin, [pay(account, settlement)])).to.deep.equal([
      'CREATED',
    ]);
    const { account: closed } = await admin.call.closeAccount({ accountId: account.accountId });
    expect(closed?.status).to.equal(CLOSED);
    expect((await auditOf(account)).map((row) => [row.action, row.outcome])).to.deep.equal([
      ['OpenAccount', 'OK'],
      ['CloseAccount', 'ACCOUNT_NOT_EMPTY'],
      ['CloseAccount', 'ACCOUNT_NOT_EMPTY'],
      ['CloseAccount', 'OK'],
    ]);
  });

  it('audits who changed what, with which outcome, from which peer', async () => {
    const account = await open({ ownerId: 'partner-audit' });
    await admin.call.freezeAccount({ accountId: account.accountId, reason: 'suspicious login' });
    await gateway.call.unfreezeAccount(
      { accountId: account.accountId, reason: 'partner confirmed' },
      asPartner('partner-audit'),
    );
    const rows = await auditOf(account);
    for (const row of rows) expect(row.peer).to.match(/^(127\.0\.0\.1|\[::1\]|::1):\d+$/);
    expect(
      rows.map(({ principal, partner_id, action, outcome, reason }) => ({
        principal,
        partner_id,
        action,
        outcome,
        reason,
      })),
    ).to.deep.equal([
      {
        principal: 'client/admin',
        partner_id: null,
        action: 'OpenAccount',
        outcome: 'OK',
        reason: '',
      },
      {
        principal: 'client/admin',
        partner_id: null,
        action: 'FreezeAccount',
        outcome: 'OK',
        reason: 'suspicious login',
      },
      {
        principal: 'service/gateway',
        partner_id: 'partner-audit',
        action: 'UnfreezeAccount',
        outcome: 'OK',
        reason: 'partner confirmed',
      },
    ]);
  });

  it("hides another owner's account from a partner: NOT_FOUND, and nothing changes", async () => {
    const account = await open({ ownerId: 'partner-b' });
    const partner = asPartner('partner-a');
    for (const call of [
      () => gateway.call.freezeAccount({ accountId: account.accountId, reason: '' }, partner),
      () => gateway.call.unfreezeAccount({ accountId: account.accountId, reason: '' }, partner),
      () => gateway.call.closeAccount({ accountId: account.accountId }, partner),
    ]) {
      await expectRefusal(call(), NOT_FOUND, 'ACCOUNT_NOT_FOUND');
    }
    const missing = await refusalOf(
      gateway.call.freezeAccount({ accountId: randomUUID(), reason: '' }, partner),
    );
    expect([missing.code, missing.reason]).to.deep.equal([NOT_FOUND, 'ACCOUNT_NOT_FOUND']);
    const { account: read } = await admin.call.getAccount({ accountId: account.accountId });
    expect(read?.status).to.equal(ACTIVE);
    expect((await auditOf(account)).map((row) => row.outcome)).to.deep.equal([
      'OK',
      'ACCOUNT_NOT_FOUND',
      'ACCOUNT_NOT_FOUND',
      'ACCOUNT_NOT_FOUND',
    ]);
  });

  it('is refused by the policy to client/* principals and service/payment', async () => {
    const account = await open();
    await expectRefusal(
      demo.call.freezeAccount({ accountId: account.accountId, reason: '' }),
      PERMISSION_DENIED,
      'POLICY_DENIED',
    );
    await expectRefusal(
      mesh.clientAs('payment').call.closeAccount({ accountId: account.accountId }),
      PERMISSION_DENIED,
      'POLICY_DENIED',
    );
  });

  it('refuses malformed ids, unknown ids and bad reasons', async () => {
    const account = await open();
    const invalid = (call: Promise<unknown>, field: string) =>
      expectRefusal(call, INVALID_ARGUMENT, 'VALIDATION_FAILED', [field]);
    await invalid(admin.call.freezeAccount({ accountId: 'nope', reason: '' }), 'account_id');
    await invalid(admin.call.unfreezeAccount({ accountId: '', reason: '' }), 'account_id');
    await invalid(admin.call.closeAccount({ accountId: '123' }), 'account_id');
    await invalid(
      admin.call.freezeAccount({ accountId: account.accountId, reason: 'r'.repeat(501) }),
      'reason',
    );
    await invalid(
      admin.call.unfreezeAccount({ accountId: account.accountId, reason: 'line\nbreak' }),
      'reason',
    );
    for (const call of [
      () => admin.call.freezeAccount({ accountId: randomUUID(), reason: '' }),
      () => admin.call.unfreezeAccount({ accountId: randomUUID(), reason: '' }),
      () => admin.call.closeAccount({ accountId: randomUUID() }),
    ]) {
      await expectRefusal(call(), NOT_FOUND, 'ACCOUNT_NOT_FOUND');
    }
    const { account: read } = await admin.call.getAccount({ accountId: account.accountId });
    expect(read?.status).to.equal(ACTIVE);
  });

  it('applies concurrent freezes and unfreezes in one order in both places', async () => {
    const account = await open();
    await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        index % 2 === 0
          ? admin.call.freezeAccount({ accountId: account.accountId, reason: '' })
          : admin.call.unfreezeAccount({ accountId: account.accountId, reason: '' }),
      ),
    );
    const { account: read } = await admin.call.getAccount({ accountId: account.accountId });
    const ledgerStatus = await ledgerStatusOf(account);
    expect(ledgerStatus).to.equal(
      read?.status === FROZEN
        ? LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_FROZEN
        : LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_OPEN,
    );
  });
});
