// Connections and transactions of the ledger's store. Queries go straight to the pg client taken
// from knex's pool (knex already set the schema's search path on it): `$n` parameters and named
// prepared statements, so the hot path neither rebuilds SQL nor re-plans it per batch.
//
// Every write runs in a writer transaction: it takes the ledger's transaction-scoped advisory lock
// first, which makes the ledger a single writer across processes (reads in the transaction then
// see every earlier batch, and no two batches can deadlock), and it acts as the writer role, so
// the database itself refuses any UPDATE or DELETE of a transfer.
import type pg from 'pg';
import type { Knex } from '../../../mesh/src/database.js';
import { ledgerWriterRole } from '../../migrations/create-ledger-tables.js';

export type Connection = pg.ClientBase;

// Advisory lock keys: a constant class ('LEDG') and the schema, so that schemas sharing a
// database (tests) do not wait on each other.
const writerLockClass = 0x4c454447;

// One round trip: simple-query protocol allows several statements without parameters.
const beginWriter = `BEGIN; SET LOCAL ROLE ${ledgerWriterRole};
SELECT pg_advisory_xact_lock(${writerLockClass}, hashtext(current_schema()))`;

const beginSnapshot = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

/** The part of knex's client that lends out the pool's raw connections. */
interface ConnectionLender {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): unknown;
}

export async function withConnection<T>(
  db: Knex,
  work: (connection: Connection) => Promise<T>,
): Promise<T> {
  const lender = db.client as ConnectionLender;
  const connection = (await lender.acquireConnection()) as Connection;
  try {
    return await work(connection);
  } finally {
    lender.releaseConnection(connection);
  }
}

async function inTransaction<T>(
  db: Knex,
  begin: string,
  work: (connection: Connection) => Promise<T>,
): Promise<T> {
  return withConnection(db, async (connection) => {
    let result: T;
    try {
      // Inside the try: `begin` is several statements, and one failing after BEGIN (a lock wait
      // cut short by lock_timeout or a cancel) leaves the transaction open and aborted, which
      // would poison the connection for every later borrower had we released it as it is.
      await connection.query(begin);
      result = await work(connection);
    } catch (error) {
      // A failed ROLLBACK means a broken connection, which the pool discards; the cause matters.
      await connection.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    await connection.query('COMMIT');
    return result;
  });
}

/** A transaction that may write the ledger: the writer lock, as the writer role. */
export function inWriterTransaction<T>(
  db: Knex,
  work: (connection: Connection) => Promise<T>,
): Promise<T> {
  return inTransaction(db, beginWriter, work);
}

/** Several reads from one snapshot. */
export function inReadSnapshot<T>(
  db: Knex,
  work: (connection: Connection) => Promise<T>,
): Promise<T> {
  return inTransaction(db, beginSnapshot, work);
}

/** Rows of a prepared statement: named statements are parsed and planned once per connection. */
export async function queryRows<Row extends pg.QueryResultRow>(
  connection: Connection,
  name: string,
  text: string,
  values: readonly unknown[],
): Promise<Row[]> {
  const result = await connection.query<Row>({ name, text, values: [...values] });
  return result.rows;
}
