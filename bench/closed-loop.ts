// Closed-loop load, shared by the benchmarks: a fixed number of callers, each sending its next
// call as soon as the previous one answers, so "in flight" stays constant; and the nearest-rank
// percentiles their latencies are reported with.

/** Something to call repeatedly; a rejection counts as a failed call. */
export interface BenchClient {
  call(): Promise<unknown>;
  close(): void;
}

/** One stretch of calls: every call sent inside the window, timed until its answer. */
export interface Round {
  /** Of the successful calls only. */
  readonly latenciesMs: number[];
  /** From the first send to the last answer. */
  readonly elapsedMs: number;
  readonly failures: number;
  readonly firstFailure: unknown;
}

/**
 * `concurrency` workers each loop send → await → send until `windowMs` is over; calls in flight
 * then are awaited and counted. A latency is what the caller waited, end to end.
 */
export async function runRound(
  client: BenchClient,
  concurrency: number,
  windowMs: number,
): Promise<Round> {
  const startedAt = performance.now();
  const sendUntil = startedAt + windowMs;
  const latenciesMs: number[] = [];
  let failures = 0;
  let firstFailure: unknown;
  const worker = async (): Promise<void> => {
    for (let sentAt = startedAt; sentAt < sendUntil; sentAt = performance.now()) {
      try {
        await client.call();
        latenciesMs.push(performance.now() - sentAt);
      } catch (error) {
        failures += 1;
        firstFailure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latenciesMs, elapsedMs: performance.now() - startedAt, failures, firstFailure };
}

/** Nearest-rank percentile of ascending values; NaN when there are none. */
export function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}
