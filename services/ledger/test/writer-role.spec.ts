// Transfers are append-only in the database itself: the writer role the service's transactions
// run as may insert transfers, resolutions and failures but may not update or delete them, nor
// change an account's identity or limits; and a trigger refuses updates and deletes of the
// append-only tables to everyone else, the table owner included.
import { expect } from 'chai';
import { ledgerWriterRole } from '../migrations/create-ledger-tables.js';
import { withConnection } from '../src/store/index.js';
import { ledgerAccount, openAccounts, sendTransfers, transfer } from './ledger-builders.js';
import { startLedgerTestServer, type LedgerTestServer } from './ledger-test-server.js';

describe('ledger writer role', () => {
  let ledger: LedgerTestServer;
  let transferId: string;
  let accountId: string;

  before(async () => {
    ledger = await startLedgerTestServer({ schema: 'ledger_writer_role' });
    const [from, to] = await openAccounts(ledger.client, [ledgerAccount(), ledgerAccount()]);
    if (from === undefined || to === undefined) throw new Error('no accounts');
    const hold = transfer({
      debitAccountId: from.id,
      creditAccountId: to.id,
      flags: { pending: true },
    });
    expect(await sendTransfers(ledger.client, [hold])).to.deep.equal(['CREATED']);
    transferId = hold.id;
    accountId = from.id;
  });

  after(async () => {
    await ledger.stop();
  });

  /** Runs `sql` in a rolled-back transaction, as the writer role or as the connecting owner. */
  async function errorOf(
    sql: string,
    asWriter: boolean,
  ): Promise<{ code?: string; message?: string } | undefined> {
    return withConnection(ledger.db, async (connection) => {
      await connection.query('BEGIN');
      try {
        if (asWriter) await connection.query(`SET LOCAL ROLE ${ledgerWriterRole}`);
        await connection.query(sql);
        return undefined;
      } catch (error) {
        return error as { code?: string; message?: string };
      } finally {
        await connection.query('ROLLBACK');
      }
    });
  }

  const insufficientPrivilege = '42501';
  // The append-only trigger raises the same code, so the message tells which guard refused: a
  // missing privilege says this, the trigger says '<table> is append-only'.
  const privilegeMissing = /^permission denied for table /;

  it('refuses UPDATE and DELETE of transfers to the writer role', async () => {
    const statements = [
      `UPDATE transfers SET amount = amount + 1 WHERE id = '${transferId}'`,
      `DELETE FROM transfers WHERE id = '${transferId}'`,
      'TRUNCATE transfers CASCADE',
      `SELECT * FROM transfers WHERE id = '${transferId}' FOR UPDATE`,
      `UPDATE pending_resolutions SET state = 'POSTED'`,
      'DELETE FROM transfer_failures',
    ];
    for (const sql of statements) {
      const error = await errorOf(sql, true);
      expect(error?.code, sql).to.equal(insufficientPrivilege);
      // The role itself lacks the privilege: the trigger alone would also answer 42501.
      expect(error?.message, sql).to.match(privilegeMissing);
    }
  });

  it("refuses the writer role any change of an account's identity, currency or limits", async () => {
    const statements = [
      `UPDATE accounts SET currency = 'EUR' WHERE id = '${accountId}'`,
      `UPDATE accounts SET overdraft_limit = 5 WHERE id = '${accountId}'`,
      `DELETE FROM accounts WHERE id = '${accountId}'`,
    ];
    for (const sql of statements) {
      expect((await errorOf(sql, true))?.code, sql).to.equal(insufficientPrivilege);
    }
    // What the writer needs stays allowed.
    const allowed = `UPDATE accounts SET status = 'FROZEN' WHERE id = '${accountId}'`;
    expect(await errorOf(allowed, true)).to.equal(undefined);
  });

  it('refuses UPDATE and DELETE of the append-only tables to the owner too', async () => {
    const statements = [
      `UPDATE transfers SET reference = 'x' WHERE id = '${transferId}'`,
      `DELETE FROM transfers WHERE id = '${transferId}'`,
      'DELETE FROM pending_resolutions',
      'UPDATE transfer_failures SET status = 21',
    ];
    for (const sql of statements) {
      const error = await errorOf(sql, false);
      expect(error?.code, sql).to.equal(insufficientPrivilege);
      expect(error?.message, sql).to.match(/ is append-only: (UPDATE|DELETE) refused$/);
    }
  });

  it('refuses balances that break an account limit, whoever writes them', async () => {
    const [customer] = await openAccounts(ledger.client, [ledgerAccount({ kind: 'customer' })]);
    const overdrawn = `UPDATE accounts SET debits_posted = 1 WHERE id = '${customer?.id ?? ''}'`;
    expect((await errorOf(overdrawn, false))?.code).to.equal('23514');
    const negative = `UPDATE accounts SET credits_posted = -1 WHERE id = '${accountId}'`;
    expect((await errorOf(negative, true))?.code).to.equal('23514');
  });
});
