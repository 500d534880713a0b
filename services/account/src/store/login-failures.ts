// Login attempts per presented client_id, counted in fixed windows: the first attempt opens a
// window, and an attempt after the window has passed opens a new one. An attempt is reserved in
// one upsert before its secret is checked, so parallel guesses cannot all read "under the limit"
// and go on together; a successful login gives its reservation back, so what stays counted is the
// failures (and the attempts refused while locked out).
import type { Knex } from '../../../mesh/src/database.js';

/**
 * Counts one attempt of `clientId` at `now` (a window opened at or before `windowOpenedAfter`
 * starts over) and answers how many the window now holds, this one included.
 */
export async function reserveLoginAttempt(
  db: Knex,
  clientId: string,
  now: Date,
  windowOpenedAfter: Date,
): Promise<number> {
  const result: { rows: { failures: number }[] } = await db.raw(
    `INSERT INTO login_failures AS f (client_id, window_started_at, failures) VALUES (?, ?, 1)
     ON CONFLICT (client_id) DO UPDATE SET
       failures = CASE WHEN f.window_started_at > ? THEN f.failures + 1 ELSE 1 END,
       window_started_at = CASE WHEN f.window_started_at > ? THEN f.window_started_at
                                ELSE EXCLUDED.window_started_at END
     RETURNING failures`,
    [clientId, now, windowOpenedAfter, windowOpenedAfter],
  );
  const row = result.rows[0];
  if (row === undefined) throw new Error('login attempt not counted');
  return row.failures;
}

/** Gives back the reservation of an attempt that succeeded. */
export async function releaseLoginAttempt(db: Knex, clientId: string): Promise<void> {
  await db.raw(
    `WITH last AS (DELETE FROM login_failures WHERE client_id = ? AND failures = 1)
     UPDATE login_failures SET failures = failures - 1 WHERE client_id = ? AND failures > 1`,
    [clientId, clientId],
  );
}

/**
 * Deletes up to `limit` windows opened at or before `openedUpTo` (they count for nothing any more:
 * the next attempt would start over) and answers how many it deleted. The window is checked again
 * on the row deleted, so a window an attempt has just renewed stays.
 */
export async function pruneLoginFailures(
  db: Knex,
  openedUpTo: Date,
  limit: number,
): Promise<number> {
  const result: { rowCount: number | null } = await db.raw(
    `DELETE FROM login_failures
     WHERE client_id IN (SELECT client_id FROM login_failures WHERE window_started_at <= ? LIMIT ?)
       AND window_started_at <= ?`,
    [openedUpTo, limit, openedUpTo],
  );
  return result.rowCount ?? 0;
}
