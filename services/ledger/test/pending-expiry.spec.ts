// Pending transfers expire by themselves: once a hold's timeout passes, the expiry job (on its
// timer, with real time) releases its amount from both accounts — frozen ones included — and it
// can be neither posted nor voided; a pass that fails releases nothing and a later one retries.
// Tests wait for the job by watching its own metrics, clearmesh_ledger_expirations_total and
// clearmesh_ledger_writer_failures_total (the job emits no other event), with a bounded deadline.
import { expect } from 'chai';
import type { LedgerAccount } from '../../../gen/grpc-js/clearmesh/ledger/v1/ledger_account.js';
import { LedgerAccountStatus } from '../../../gen/grpc-js/clearmesh/ledger/v1/ledger_account.js';
import {
  ledgerAccount,
  openAccounts,
  resolution,
  sendTransfers,
  transfer,
} from './ledger-builders.js';
import { eventually, metricValue } from './ledger-metrics-reader.js';
import { startLedgerTestServer, type LedgerTestServer } from './ledger-test-server.js';

describe('ledger pending transfer expiry', () => {
  let ledger: LedgerTestServer;

  before(async () => {
    ledger = await startLedgerTestServer({
      schema: 'ledger_pending_expiry',
      config: { expiryIntervalMs: 100, expiryBatchMax: 3 },
    });
  });

  after(async () => {
    await ledger.stop();
  });

  const expirations = () => metricValue(ledger.registry, 'clearmesh_ledger_expirations_total');
  const pendingHolds = () => metricValue(ledger.registry, 'clearmesh_ledger_pending_holds');

  async function pair(): Promise<[LedgerAccount, LedgerAccount]> {
    const accounts: [LedgerAccount, LedgerAccount] = [
      ledgerAccount({ kind: 'customer', overdraftLimit: 1_000n }),
      ledgerAccount(),
    ];
    await openAccounts(ledger.client, accounts);
    return accounts;
  }

  async function pendingOf(...accounts: LedgerAccount[]): Promise<bigint[]> {
    const { accounts: found } = await ledger.client.call.lookupAccounts({
      accountIds: accounts.map((account) => account.id),
    });
    return found.flatMap((account) => [account.debitsPending, account.creditsPending]);
  }

  it('releases a hold whose timeout passed, which then can be neither posted nor voided', async () => {
    const [payer, payee] = await pair();
    const expiredBefore = await expirations();
    const holdsBefore = await pendingHolds();
    const between = { debitAccountId: payer.id, creditAccountId: payee.id };
    const hold = transfer({
      ...between,
      amount: 400n,
      flags: { pending: true },
      timeoutSeconds: 1,
    });
    const lasting = transfer({ ...between, amount: 100n, flags: { pending: true } });
    expect(await sendTransfers(ledger.client, [hold, lasting])).to.deep.equal([
      'CREATED',
      'CREATED',
    ]);
    expect(await pendingOf(payer, payee)).to.deep.equal([500n, 0n, 0n, 500n]);
    expect(await pendingHolds()).to.equal(holdsBefore + 2);
    // Funds held are not available: 1000 of overdraft, 500 held.
    expect(
      await sendTransfers(ledger.client, [transfer({ ...between, amount: 501n })]),
    ).to.deep.equal(['EXCEEDS_CREDITS']);

    await eventually(async () => (await expirations()) > expiredBefore, 5_000, 'the expiry job');
    expect(await expirations()).to.equal(expiredBefore + 1);
    expect(await pendingOf(payer, payee)).to.deep.equal([100n, 0n, 0n, 100n]);
    expect(await pendingHolds()).to.equal(holdsBefore + 1);
    expect(
      await sendTransfers(ledger.client, [
        resolution('post', hold.id),
        resolution('void', hold.id),
      ]),
    ).to.deep.equal(['PENDING_TRANSFER_EXPIRED', 'PENDING_TRANSFER_EXPIRED']);
    // The released amount is available again.
    expect(
      await sendTransfers(ledger.client, [transfer({ ...between, amount: 900n })]),
    ).to.deep.equal(['CREATED']);
    const integrity = await ledger.client.call.checkIntegrity({});
    expect(integrity.ok, JSON.stringify(integrity.mismatches)).to.equal(true);
  });

  it('keeps a hold held while its expiry pass fails, and releases it once a pass succeeds', async () => {
    const expiryFailures = () =>
      metricValue(ledger.registry, 'clearmesh_ledger_writer_failures_total', undefined, {
        operation: 'expiry',
      });
    // The database refuses to record an expiry until the trigger goes.
    await ledger.db.raw(`CREATE FUNCTION refuse_expiry() RETURNS trigger
      LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'expiry refused by the test'; END $$`);
    await ledger.db.raw(`CREATE TRIGGER refuse_expiry BEFORE INSERT ON pending_resolutions
      FOR EACH ROW WHEN (NEW.state = 'EXPIRED') EXECUTE FUNCTION refuse_expiry()`);
    const [payer, payee] = await pair();
    const expiredBefore = await expirations();
    const failuresBefore = await expiryFailures();
    const hold = transfer({
      debitAccountId: payer.id,
      creditAccountId: payee.id,
      amount: 70n,
      flags: { pending: true },
      timeoutSeconds: 1,
    });
    try {
      expect(await sendTransfers(ledger.client, [hold])).to.deep.equal(['CREATED']);
      await eventually(
        async () => (await expiryFailures()) > failuresBefore,
        5_000,
        'a failed expiry pass',
      );
      // The failed pass released nothing: the amount is still held on both sides.
      expect(await pendingOf(payer, payee)).to.deep.equal([70n, 0n, 0n, 70n]);
      expect(await expirations()).to.equal(expiredBefore);
    } finally {
      await ledger.db.raw('DROP TRIGGER refuse_expiry ON pending_resolutions');
    }
    await eventually(async () => (await expirations()) > expiredBefore, 5_000, 'the expiry');
    expect(await pendingOf(payer, payee)).to.deep.equal([0n, 0n, 0n, 0n]);
    const integrity = await ledger.client.call.checkIntegrity({});
    expect(integrity.ok, JSON.stringify(integrity.mismatches)).to.equal(true);
  });

  it('expires holds on frozen accounts, and more holds than one pass takes', async () => {
    const [payer, payee] = await pair();
    const expiredBefore = await expirations();
    const holds = Array.from({ length: 7 }, () =>
      transfer({
        debitAccountId: payer.id,
        creditAccountId: payee.id,
        amount: 10n,
        flags: { pending: true },
        timeoutSeconds: 1,
      }),
    );
    expect(new Set(await sendTransfers(ledger.client, holds))).to.deep.equal(new Set(['CREATED']));
    await ledger.client.call.setAccountStatus({
      accountId: payee.id,
      status: LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_FROZEN,
    });
    await eventually(
      async () => (await expirations()) >= expiredBefore + holds.length,
      5_000,
      'seven expirations',
    );
    expect(await pendingOf(payer, payee)).to.deep.equal([0n, 0n, 0n, 0n]);
    const balances = await ledger.client.call.getAccountBalances({
      accountId: payee.id,
      asOf: undefined,
    });
    expect(balances.creditsPending).to.equal(0n);
  });
});
