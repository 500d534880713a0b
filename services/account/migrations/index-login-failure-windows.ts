// Expired failed-login windows are pruned by their start (LoginFailurePruning); unknown client ids
// are counted too, so without pruning anyone could grow the table without bound.
import type { Knex, Migration } from '../../mesh/src/database.js';

export const indexLoginFailureWindows: Migration = {
  name: '20261130000000_index_login_failure_windows',
  up: async (db: Knex) => {
    await db.raw(
      'CREATE INDEX login_failures_window_started_at ON login_failures (window_started_at)',
    );
  },
};
