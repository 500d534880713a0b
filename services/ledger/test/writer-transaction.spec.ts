// A writer transaction gives its pooled connection back clean whatever fails: its begin (the
// writer lock wait cut short), its work, or its COMMIT. Otherwise one failure would leave the
// connection inside an aborted transaction and fail every writer that borrows it afterwards.
import { expect } from 'chai';
import { testRun } from '../../../test/harness/test-run.js';
import { connectDatabase, type Knex } from '../../mesh/src/database.js';
import { inWriterTransaction } from '../src/store/connection.js';
import { withConnection } from '../src/store/index.js';
import { startLedgerTestServer, type LedgerTestServer } from './ledger-test-server.js';

describe('ledger writer transactions', () => {
  const schema = 'ledger_writer_transaction';
  let ledger: LedgerTestServer;
  // One connection only, so the next transaction surely gets the one the failure touched.
  let single: Knex;

  before(async () => {
    ledger = await startLedgerTestServer({ schema });
    single = connectDatabase(testRun().database.url, {
      schema,
      poolMax: 1,
      applicationName: 'clearmesh-ledger-test-single-connection',
    });
  });

  after(async () => {
    await single.destroy();
    await ledger.stop();
  });

  const selectOne = (knex: Knex): Promise<unknown> =>
    inWriterTransaction(
      knex,
      async (connection) => (await connection.query<{ one: number }>('SELECT 1 AS one')).rows,
    );

  it('leaves the connection usable when the writer lock wait fails inside begin', async () => {
    await withConnection(single, (connection) => connection.query("SET lock_timeout = '100ms'"));
    let release = (): void => undefined;
    let held = (): void => undefined;
    const lockHeld = new Promise<void>((resolve) => (held = resolve));
    const holder = inWriterTransaction(ledger.db, async () => {
      held();
      await new Promise<void>((resolve) => (release = resolve));
    });
    await lockHeld;
    let failure: { code?: string } | undefined;
    try {
      await selectOne(single);
    } catch (error) {
      failure = error as { code?: string };
    } finally {
      release();
      await holder;
    }
    // 55P03: lock_not_available, from the advisory lock wait in begin.
    expect(failure?.code).to.equal('55P03');
    expect(await selectOne(single)).to.deep.equal([{ one: 1 }]);
  });

  it('leaves the connection usable when COMMIT fails, and the failed transaction wrote nothing', async () => {
    await withConnection(single, (connection) =>
      connection.query('CREATE TABLE commit_probe (id int PRIMARY KEY)'),
    );
    // A deferred constraint trigger fails at COMMIT, after every statement of the work succeeded.
    await withConnection(single, async (connection) => {
      await connection.query(`CREATE FUNCTION refuse_at_commit() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$`);
      await connection.query(`CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT
        ON commit_probe DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
        EXECUTE FUNCTION refuse_at_commit()`);
      await connection.query(`GRANT SELECT, INSERT ON commit_probe TO PUBLIC`);
    });
    let failure: Error | undefined;
    try {
      await inWriterTransaction(single, async (connection) => {
        await connection.query('INSERT INTO commit_probe VALUES (1)');
      });
    } catch (error) {
      failure = error as Error;
    }
    expect(failure?.message).to.equal('refused at commit');
    expect(await selectOne(single)).to.deep.equal([{ one: 1 }]);
    const stored = await withConnection(single, (connection) =>
      connection.query('SELECT count(*)::int AS rows FROM commit_probe'),
    );
    expect(stored.rows).to.deep.equal([{ rows: 0 }]);
  });
});
