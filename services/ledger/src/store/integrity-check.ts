// CheckIntegrity: recomputes what the stored balances must be from the append-only history, in
// one snapshot. Per currency, debits equal credits (posted and pending); every account's four
// balances equal the sums its transfers and resolutions imply; every resolution resolves a hold.
// Sums are numeric in SQL and decimal text here: totals may pass 2^63-1.
import type { Knex } from '../../../mesh/src/database.js';
import { inReadSnapshot, queryRows } from './connection.js';

/** Most mismatches reported: enough to act on, bounded so a broken ledger answers quickly. */
export const INTEGRITY_MISMATCHES_MAX = 1000;

export interface CurrencyTotals {
  readonly currency: string;
  readonly debitsPosted: string;
  readonly creditsPosted: string;
  readonly debitsPending: string;
  readonly creditsPending: string;
}

export interface IntegrityMismatch {
  /** '' when a currency's totals do not balance. */
  readonly accountId: string;
  readonly description: string;
}

export interface IntegrityReport {
  readonly currencies: readonly CurrencyTotals[];
  readonly mismatches: readonly IntegrityMismatch[];
}

const currencyTotalsSql = `SELECT currency,
  sum(debits_posted)::text AS debits_posted, sum(credits_posted)::text AS credits_posted,
  sum(debits_pending)::text AS debits_pending, sum(credits_pending)::text AS credits_pending
FROM accounts GROUP BY currency ORDER BY currency`;

// Each transfer counts on both its accounts: posted unless it is a hold or a void, pending while
// it is a hold without a resolution.
const accountMismatchesSql = `WITH sides AS (
  SELECT side.account_id, side.is_debit,
    CASE WHEN t.flags & 10 = 0 THEN t.amount ELSE 0 END AS posted,
    CASE WHEN t.flags & 2 <> 0 AND r.pending_id IS NULL THEN t.amount ELSE 0 END AS pending
  FROM transfers t
  LEFT JOIN pending_resolutions r ON r.pending_id = t.id
  CROSS JOIN LATERAL (VALUES (t.debit_account_id, true), (t.credit_account_id, false))
    AS side (account_id, is_debit)
), sums AS (
  SELECT account_id,
    coalesce(sum(posted) FILTER (WHERE is_debit), 0) AS debits_posted,
    coalesce(sum(posted) FILTER (WHERE NOT is_debit), 0) AS credits_posted,
    coalesce(sum(pending) FILTER (WHERE is_debit), 0) AS debits_pending,
    coalesce(sum(pending) FILTER (WHERE NOT is_debit), 0) AS credits_pending
  FROM sides GROUP BY account_id
)
SELECT a.id,
  a.debits_posted::text AS stored_debits_posted, coalesce(s.debits_posted, 0)::text AS debits_posted,
  a.credits_posted::text AS stored_credits_posted, coalesce(s.credits_posted, 0)::text AS credits_posted,
  a.debits_pending::text AS stored_debits_pending, coalesce(s.debits_pending, 0)::text AS debits_pending,
  a.credits_pending::text AS stored_credits_pending, coalesce(s.credits_pending, 0)::text AS credits_pending
FROM accounts a LEFT JOIN sums s ON s.account_id = a.id
WHERE (a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending)
  IS DISTINCT FROM (coalesce(s.debits_posted, 0), coalesce(s.credits_posted, 0),
    coalesce(s.debits_pending, 0), coalesce(s.credits_pending, 0))
ORDER BY a.id LIMIT $1`;

const strayResolutionsSql = `SELECT t.debit_account_id AS id, r.pending_id
FROM pending_resolutions r JOIN transfers t ON t.id = r.pending_id
WHERE t.flags & 2 = 0 ORDER BY r.pending_id LIMIT $1`;

type BalanceName = 'debits_posted' | 'credits_posted' | 'debits_pending' | 'credits_pending';
const balanceNames: readonly BalanceName[] = [
  'debits_posted',
  'credits_posted',
  'debits_pending',
  'credits_pending',
];

type AccountSumsRow = { readonly id: string } & Record<
  BalanceName | `stored_${BalanceName}`,
  string
>;

interface CurrencyRow {
  readonly currency: string;
  readonly debits_posted: string;
  readonly credits_posted: string;
  readonly debits_pending: string;
  readonly credits_pending: string;
}

export function checkIntegrity(db: Knex): Promise<IntegrityReport> {
  return inReadSnapshot(db, async (connection) => {
    const totals = await queryRows<CurrencyRow>(
      connection,
      'ledger-currency-totals',
      currencyTotalsSql,
      [],
    );
    const mismatches = totals.flatMap(currencyMismatches);
    const accounts = await queryRows<AccountSumsRow>(
      connection,
      'ledger-account-mismatches',
      accountMismatchesSql,
      [INTEGRITY_MISMATCHES_MAX],
    );
    mismatches.push(...accounts.flatMap(accountMismatches));
    const strays = await queryRows<{ id: string; pending_id: string }>(
      connection,
      'ledger-stray-resolutions',
      strayResolutionsSql,
      [INTEGRITY_MISMATCHES_MAX],
    );
    for (const stray of strays) {
      mismatches.push({
        accountId: stray.id,
        description: `transfer ${stray.pending_id} is resolved but was never pending`,
      });
    }
    const currencies = totals.map((row) => ({
      currency: row.currency,
      debitsPosted: row.debits_posted,
      creditsPosted: row.credits_posted,
      debitsPending: row.debits_pending,
      creditsPending: row.credits_pending,
    }));
    return { currencies, mismatches: mismatches.slice(0, INTEGRITY_MISMATCHES_MAX) };
  });
}

function currencyMismatches(row: CurrencyRow): IntegrityMismatch[] {
  const mismatches: IntegrityMismatch[] = [];
  for (const kind of ['posted', 'pending'] as const) {
    const debits = row[`debits_${kind}`];
    const credits = row[`credits_${kind}`];
    if (debits !== credits) {
      mismatches.push({
        accountId: '',
        description: `${row.currency}: debits_${kind} sum to ${debits} but credits_${kind} to ${credits}`,
      });
    }
  }
  return mismatches;
}

function accountMismatches(row: AccountSumsRow): IntegrityMismatch[] {
  return balanceNames
    .filter((name) => row[name] !== row[`stored_${name}`])
    .map((name) => ({
      accountId: row.id,
      description: `${name} is ${row[`stored_${name}`]} but its transfers sum to ${row[name]}`,
    }));
}
