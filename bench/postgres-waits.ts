// What a database's backends are doing, sampled from pg_stat_activity at a fixed interval over a
// window: on CPU, or waiting — for a lock (Lock:transactionid, Lock:object…), for the WAL to
// reach the disk (IO:WALSync, LWLock:WALWrite), or idle inside a transaction for their client.
// The average count of backends per state says where Postgres time goes, at the cost of one small
// query per sample on a connection of its own.
import pg from 'pg';

export interface WaitSampler {
  /** Stops sampling; answers the average number of backends in each state, busiest first. */
  stop(): Promise<WaitProfile>;
}

export interface WaitProfile {
  readonly samples: number;
  /** State → backends in it on average; states: CPU, <wait type>:<wait event>, idle in transaction. */
  readonly averageBackends: readonly (readonly [string, number])[];
}

export async function startWaitSampler(
  serverUrl: string,
  database: string,
  intervalMs: number,
): Promise<WaitSampler> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  const totals = new Map<string, number>();
  let samples = 0;
  const stopping = new AbortController();
  const sampleOnce = async (): Promise<void> => {
    const result = await client.query<{ what: string; backends: string }>(
      `SELECT CASE WHEN state = 'active' THEN coalesce(wait_event_type || ':' || wait_event, 'CPU')
                   ELSE state END AS what,
              count(*) AS backends
         FROM pg_stat_activity
        WHERE datname = $1 AND state IN ('active', 'idle in transaction') AND pid <> pg_backend_pid()
        GROUP BY 1`,
      [database],
    );
    samples += 1;
    for (const row of result.rows) {
      totals.set(row.what, (totals.get(row.what) ?? 0) + Number(row.backends));
    }
  };
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      const startedAt = performance.now();
      await sampleOnce();
      const leftMs = intervalMs - (performance.now() - startedAt);
      if (leftMs > 0) await new Promise((resolve) => setTimeout(resolve, leftMs));
    }
  })();
  return {
    stop: async () => {
      stopping.abort();
      try {
        await loop;
      } finally {
        await client.end();
      }
      const averageBackends = [...totals]
        .map(([what, total]) => [what, total / Math.max(1, samples)] as const)
        .sort((left, right) => right[1] - left[1]);
      return { samples, averageBackends };
    },
  };
}
