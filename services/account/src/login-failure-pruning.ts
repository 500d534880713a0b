// Forgets failed-login windows that have passed. IssueToken counts attempts per presented
// client_id, unknown ones included (a refusal must not tell which ids exist), so without this
// anyone could grow login_failures by one row per made-up id. A pass per window length deletes
// every expired window, in batches.
import type { Knex } from '../../mesh/src/database.js';
import type { Logger } from '../../mesh/src/logger.js';
import { PeriodicTask } from '../../mesh/src/periodic-task.js';
import { pruneLoginFailures } from './store/index.js';

const batchMax = 1_000;

/** The pruning pass on a timer of `windowMs`; a pass answers how many windows it deleted. */
export function loginFailurePruning(
  db: Knex,
  options: { readonly windowMs: number; readonly clock: () => Date; readonly logger: Logger },
): PeriodicTask<number> {
  const prune = async (): Promise<number> => {
    // A window opened this long ago or earlier has passed.
    const openedUpTo = new Date(options.clock().getTime() - options.windowMs);
    let pruned = 0;
    for (;;) {
      const deleted = await pruneLoginFailures(db, openedUpTo, batchMax);
      pruned += deleted;
      if (deleted < batchMax) return pruned;
    }
  };
  return new PeriodicTask(prune, {
    intervalMs: options.windowMs,
    runAtStart: false,
    onResult: (pruned) => {
      if (pruned > 0) options.logger.info({ pruned }, 'expired failed-login windows pruned');
    },
    onError: (error) => {
      options.logger.warn({ err: error }, 'pruning failed-login windows failed');
    },
  });
}
