// CheckIntegrity recomputes the ledger from its append-only history in one snapshot: per
// currency totals as decimal strings (they may pass 2^63-1), and a mismatch for every account
// whose stored balances differ from what its transfers and resolutions imply, or currency whose
// debits and credits disagree. The test corrupts a balance behind the service's back to see it.
import { expect } from 'chai';
import {
  ledgerAccount,
  openAccounts,
  resolution,
  sendTransfers,
  transfer,
} from './ledger-builders.js';
import { startLedgerTestServer, type LedgerTestServer } from './ledger-test-server.js';

const AMOUNT_MAX = 2n ** 63n - 1n;

describe('ledger integrity check', () => {
  let ledger: LedgerTestServer;

  before(async () => {
    ledger = await startLedgerTestServer({ schema: 'ledger_integrity' });
  });

  after(async () => {
    await ledger.stop();
  });

  it('answers per-currency totals as decimal strings, beyond 2^63-1 included', async () => {
    const [source, first, second, euros, euroTarget] = await openAccounts(ledger.client, [
      ledgerAccount({ currency: 'JPY' }),
      ledgerAccount({ currency: 'JPY' }),
      ledgerAccount({ currency: 'JPY' }),
      ledgerAccount({ currency: 'EUR' }),
      ledgerAccount({ currency: 'EUR' }),
    ]);
    if (!source || !first || !second || !euros || !euroTarget) throw new Error('no accounts');
    const yen = { currency: 'JPY', amount: AMOUNT_MAX };
    const hold = transfer({
      debitAccountId: euros.id,
      creditAccountId: euroTarget.id,
      currency: 'EUR',
      amount: 70n,
      flags: { pending: true },
    });
    expect(
      await sendTransfers(ledger.client, [
        transfer({ ...yen, debitAccountId: first.id, creditAccountId: second.id }),
        transfer({ ...yen, debitAccountId: source.id, creditAccountId: first.id }),
        hold,
        transfer({ debitAccountId: euros.id, creditAccountId: euroTarget.id, currency: 'EUR' }),
      ]),
    ).to.deep.equal(['CREATED', 'CREATED', 'CREATED', 'CREATED']);
    const report = await ledger.client.call.checkIntegrity({});
    expect(report.ok).to.equal(true);
    expect(report.currencies).to.deep.equal([
      {
        currency: 'EUR',
        debitsPosted: '100',
        creditsPosted: '100',
        debitsPending: '70',
        creditsPending: '70',
      },
      {
        currency: 'JPY',
        debitsPosted: (2n * AMOUNT_MAX).toString(),
        creditsPosted: (2n * AMOUNT_MAX).toString(),
        debitsPending: '0',
        creditsPending: '0',
      },
    ]);
    expect(await sendTransfers(ledger.client, [resolution('void', hold.id)])).to.deep.equal([
      'CREATED',
    ]);
    const afterVoid = await ledger.client.call.checkIntegrity({});
    expect(afterVoid.ok).to.equal(true);
    expect(afterVoid.currencies[0]?.debitsPending).to.equal('0');
  });

  it('reports an account whose stored balances its transfers do not explain', async () => {
    const [payer, payee] = await openAccounts(ledger.client, [ledgerAccount(), ledgerAccount()]);
    if (!payer || !payee) throw new Error('no accounts');
    const move = transfer({ debitAccountId: payer.id, creditAccountId: payee.id, amount: 400n });
    expect(await sendTransfers(ledger.client, [move])).to.deep.equal(['CREATED']);
    const corrupt = (delta: number) =>
      ledger.db.raw('UPDATE accounts SET credits_posted = credits_posted + ? WHERE id = ?', [
        delta,
        payee.id,
      ]);
    await corrupt(100);
    try {
      const report = await ledger.client.call.checkIntegrity({});
      expect(report.ok).to.equal(false);
      expect(report.mismatches).to.deep.include({
        accountId: payee.id,
        description: 'credits_posted is 500 but its transfers sum to 400',
      });
      const usd = report.mismatches.filter((mismatch) => mismatch.accountId === '');
      expect(usd).to.have.length(1);
      expect(usd[0]?.description).to.match(
        /^USD: debits_posted sum to \d+ but credits_posted to \d+$/,
      );
    } finally {
      await corrupt(-100);
    }
    expect((await ledger.client.call.checkIntegrity({})).ok).to.equal(true);
  });
});
