// SetAccountStatus moves an account OPEN <-> FROZEN and OPEN or FROZEN -> CLOSED, which is final
// and needs an empty account; refusals are FAILED_PRECONDITION with INVALID_STATE or
// ACCOUNT_NOT_EMPTY. An account that becomes frozen or closed refuses transfers but voids. Only
// the principals the policy names may call each RPC.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { ClientError, type LedgerClient } from '../../../clients/internal/src/index.js';
import {
  LedgerAccountStatus,
  type LedgerAccount,
} from '../../../gen/grpc-js/clearmesh/ledger/v1/ledger_account.js';
import {
  ledgerAccount,
  openAccounts,
  resolution,
  sendTransfers,
  transfer,
} from './ledger-builders.js';
import { startLedgerTestServer, type LedgerTestServer } from './ledger-test-server.js';

const { LEDGER_ACCOUNT_STATUS_OPEN: OPEN, LEDGER_ACCOUNT_STATUS_FROZEN: FROZEN } =
  LedgerAccountStatus;
const CLOSED = LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_CLOSED;

async function refusalOf(call: Promise<unknown>): Promise<[grpc.status, string]> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof ClientError)) throw error;
    return [error.code, error.reason];
  }
  throw new Error('expected the call to be refused');
}

describe('ledger account status', () => {
  let ledger: LedgerTestServer;

  before(async () => {
    ledger = await startLedgerTestServer({ schema: 'ledger_account_status' });
  });

  after(async () => {
    await ledger.stop();
  });

  function setStatus(account: LedgerAccount, status: LedgerAccountStatus, client?: LedgerClient) {
    return (client ?? ledger.client).call.setAccountStatus({ accountId: account.id, status });
  }

  async function pair(): Promise<[LedgerAccount, LedgerAccount]> {
    const accounts: [LedgerAccount, LedgerAccount] = [ledgerAccount(), ledgerAccount()];
    await openAccounts(ledger.client, accounts);
    return accounts;
  }

  it('freezes, unfreezes and closes an empty account, answering the account', async () => {
    const [account] = await pair();
    const frozen = await setStatus(account, FROZEN);
    expect(frozen.ledgerAccount).to.deep.include({
      id: account.id,
      status: FROZEN,
      currency: 'USD',
    });
    expect((await setStatus(account, FROZEN)).ledgerAccount?.status).to.equal(FROZEN);
    expect((await setStatus(account, OPEN)).ledgerAccount?.status).to.equal(OPEN);
    expect((await setStatus(account, CLOSED)).ledgerAccount?.status).to.equal(CLOSED);
    expect((await setStatus(account, CLOSED)).ledgerAccount?.status).to.equal(CLOSED);
    for (const status of [OPEN, FROZEN]) {
      expect(await refusalOf(setStatus(account, status))).to.deep.equal([
        grpc.status.FAILED_PRECONDITION,
        'INVALID_STATE',
      ]);
    }
  });

  it('refuses to close an account with a balance or a pending hold', async () => {
    const [payer, payee] = await pair();
    const hold = transfer({
      debitAccountId: payer.id,
      creditAccountId: payee.id,
      flags: { pending: true },
    });
    expect(await sendTransfers(ledger.client, [hold])).to.deep.equal(['CREATED']);
    const notEmpty = [grpc.status.FAILED_PRECONDITION, 'ACCOUNT_NOT_EMPTY'];
    expect(await refusalOf(setStatus(payer, CLOSED))).to.deep.equal(notEmpty);
    expect(await refusalOf(setStatus(payee, CLOSED))).to.deep.equal(notEmpty);
    expect(await sendTransfers(ledger.client, [resolution('post', hold.id)])).to.deep.equal([
      'CREATED',
    ]);
    expect(await refusalOf(setStatus(payee, CLOSED))).to.deep.equal(notEmpty);
    // Settled back to zero, both may close.
    const back = transfer({ debitAccountId: payee.id, creditAccountId: payer.id });
    expect(await sendTransfers(ledger.client, [back])).to.deep.equal(['CREATED']);
    expect((await setStatus(payer, CLOSED)).ledgerAccount?.status).to.equal(CLOSED);
    expect((await setStatus(payee, FROZEN)).ledgerAccount?.status).to.equal(FROZEN);
    expect((await setStatus(payee, CLOSED)).ledgerAccount?.status).to.equal(CLOSED);
  });

  it('refuses transfers once an account becomes frozen or closed, but lets a void release a hold', async () => {
    const [payer, payee] = await pair();
    const between = { debitAccountId: payer.id, creditAccountId: payee.id };
    const hold = transfer({ ...between, flags: { pending: true } });
    const otherHold = transfer({ ...between, flags: { pending: true } });
    expect(await sendTransfers(ledger.client, [hold, otherHold])).to.deep.equal([
      'CREATED',
      'CREATED',
    ]);
    await setStatus(payee, FROZEN);
    expect(
      await sendTransfers(ledger.client, [
        transfer(between),
        resolution('post', hold.id),
        resolution('void', otherHold.id),
      ]),
    ).to.deep.equal(['ACCOUNT_FROZEN', 'ACCOUNT_FROZEN', 'CREATED']);
    await setStatus(payee, OPEN);
    expect(await sendTransfers(ledger.client, [resolution('void', hold.id)])).to.deep.equal([
      'CREATED',
    ]);
    await setStatus(payer, CLOSED);
    expect(await sendTransfers(ledger.client, [transfer(between)])).to.deep.equal([
      'ACCOUNT_CLOSED',
    ]);
  });

  it('lets each principal call only what the default policy allows', async () => {
    const payment = ledger.clientAs('payment');
    const accountService = ledger.clientAs('account');
    const demo = ledger.clientAs('demo');
    const [payer, payee] = await pair();
    const denied = [grpc.status.PERMISSION_DENIED, 'POLICY_DENIED'];

    const move = transfer({ debitAccountId: payer.id, creditAccountId: payee.id });
    expect(await sendTransfers(payment, [move])).to.deep.equal(['CREATED']);
    expect(
      (await payment.call.lookupTransfers({ transferIds: [move.id] })).transfers,
    ).to.have.length(1);
    expect(
      await refusalOf(payment.call.createAccounts({ accounts: [ledgerAccount()] })),
    ).to.deep.equal(denied);
    expect(await refusalOf(setStatus(payer, FROZEN, payment))).to.deep.equal(denied);

    const opened = await accountService.call.createAccounts({ accounts: [ledgerAccount()] });
    expect(opened.results).to.have.length(1);
    expect((await setStatus(payer, FROZEN, accountService)).ledgerAccount?.status).to.equal(FROZEN);
    expect(
      (await accountService.call.getAccountBalances({ accountId: payer.id, asOf: undefined }))
        .debitsPosted,
    ).to.equal(100n);
    expect(await refusalOf(sendTransfers(accountService, [transfer()]))).to.deep.equal(denied);
    expect(await refusalOf(accountService.call.checkIntegrity({}))).to.deep.equal(denied);

    expect(await refusalOf(demo.call.lookupAccounts({ accountIds: [payer.id] }))).to.deep.equal(
      denied,
    );
  });
});
