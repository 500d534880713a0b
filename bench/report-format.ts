// How the benchmarks print numbers, so that their reports read alike.
import { readInteger } from '../services/mesh/src/config.js';

/** Whole units with thousands separators: 12,442. */
export function formatRate(perSecond: number): string {
  return Math.round(perSecond).toLocaleString('en-US');
}

/** About three significant digits: 0.61, 1.84, 33.1, 120. */
export function formatMs(valueMs: number): string {
  if (valueMs >= 100) return valueMs.toFixed(0);
  return valueMs.toFixed(valueMs >= 10 ? 1 : 2);
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * BENCH_SECONDS in milliseconds (`defaultSeconds` when unset); a bad value ends the bench with one
 * line naming it.
 */
export function readBenchDurationMs(bench: string, defaultSeconds: number): number {
  try {
    return 1_000 * readInteger(process.env, 'BENCH_SECONDS', defaultSeconds, { min: 1, max: 600 });
  } catch (error) {
    console.error(`${bench} failed: ${describe(error)}`);
    process.exit(1);
  }
}
