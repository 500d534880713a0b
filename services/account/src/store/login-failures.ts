// Failed IssueToken attempts per presented client_id, counted in fixed windows: the first
// failure opens a window, and a failure after the window has passed opens a new one.
import type { Knex } from '../../../mesh/src/database.js';

/** Failures of `clientId` in the window still open at `now`. */
export async function loginFailuresSince(
  db: Knex,
  clientId: string,
  windowOpenedAfter: Date,
): Promise<number> {
  const row: { failures: number } | undefined = await db('login_failures')
    .where({ client_id: clientId })
    .andWhere('window_started_at', '>', windowOpenedAfter)
    .first('failures');
  return row?.failures ?? 0;
}

/** Counts one failure at `now`; a window opened at or before `windowOpenedAfter` starts over. */
export async function recordLoginFailure(
  db: Knex,
  clientId: string,
  now: Date,
  windowOpenedAfter: Date,
): Promise<void> {
  await db.raw(
    `INSERT INTO login_failures AS f (client_id, window_started_at, failures) VALUES (?, ?, 1)
     ON CONFLICT (client_id) DO UPDATE SET
       failures = CASE WHEN f.window_started_at > ? THEN f.failures + 1 ELSE 1 END,
       window_started_at = CASE WHEN f.window_started_at > ? THEN f.window_started_at
                                ELSE EXCLUDED.window_started_at END`,
    [clientId, now, windowOpenedAfter, windowOpenedAfter],
  );
}
