// CreateAccounts and SetAccountStatus, each in a writer transaction: the accounts named are
// loaded under the writer lock before the engine decides, so the decision and the write see the
// same rows (no other writer can run in between), and the lock orders them with every batch.
import {
  accountInputIdsToLoad,
  applyAccounts,
  setAccountStatus,
  type AccountBatchOutcome,
  type LedgerAccountInput,
  type LedgerAccountState,
  type LedgerAccountStatus,
  type SetAccountStatusOutcome,
} from '../domain/index.js';
import type { Knex } from '../../../mesh/src/database.js';
import { loadAccountsForWrite } from './account-loads.js';
import { inWriterTransaction, queryRows } from './connection.js';

const insertAccountsSql = `INSERT INTO accounts (id, currency, debits_must_not_exceed_credits,
  credits_must_not_exceed_debits, overdraft_limit, status, debits_pending, debits_posted,
  credits_pending, credits_posted, created_at)
SELECT id, currency, debits_must_not_exceed_credits, credits_must_not_exceed_debits,
  overdraft_limit, 'OPEN', 0, 0, 0, 0, $6::timestamptz
FROM unnest($1::uuid[], $2::text[], $3::boolean[], $4::boolean[], $5::bigint[])
  AS created (id, currency, debits_must_not_exceed_credits, credits_must_not_exceed_debits,
    overdraft_limit)`;

/** Applies one CreateAccounts request at `now` and commits the accounts it creates. */
export function createAccountBatch(
  db: Knex,
  inputs: readonly LedgerAccountInput[],
  now: Date,
): Promise<AccountBatchOutcome> {
  return inWriterTransaction(db, async (connection) => {
    const existing = await loadAccountsForWrite(connection, accountInputIdsToLoad(inputs));
    const outcome = applyAccounts(inputs, existing, now);
    const created = outcome.accountsCreated;
    if (created.length > 0) {
      await queryRows(connection, 'ledger-insert-accounts', insertAccountsSql, [
        created.map((account) => account.id),
        created.map((account) => account.currency),
        created.map((account) => account.flags.debitsMustNotExceedCredits),
        created.map((account) => account.flags.creditsMustNotExceedDebits),
        created.map((account) => account.overdraftLimit),
        now,
      ]);
    }
    return outcome;
  });
}

const updateStatusSql = 'UPDATE accounts SET status = $2 WHERE id = $1';

/** SetAccountStatus on the stored account; undefined when there is no such account. */
export function changeAccountStatus(
  db: Knex,
  id: string,
  status: LedgerAccountStatus,
): Promise<SetAccountStatusOutcome | undefined> {
  return inWriterTransaction(db, async (connection) => {
    const account: LedgerAccountState | undefined = (
      await loadAccountsForWrite(connection, [id])
    ).get(id);
    if (account === undefined) return undefined;
    const outcome = setAccountStatus(account, status);
    if (outcome.ok && outcome.changed) {
      await queryRows(connection, 'ledger-update-account-status', updateStatusSql, [id, status]);
    }
    return outcome;
  });
}
