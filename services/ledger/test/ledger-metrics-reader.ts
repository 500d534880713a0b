// Reads the ledger's metrics back from a registry, so tests can assert on what SREs would see.
import type { Registry } from 'prom-client';

/** The sum of every sample of `metricName` (a counter, gauge, or a histogram's _count/_sum). */
export async function metricValue(
  registry: Registry,
  name: string,
  sample: string = name,
  labels: Readonly<Record<string, string>> = {},
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values
    .filter((value) => ((value as { metricName?: string }).metricName ?? name) === sample)
    .filter((value) =>
      Object.entries(labels).every(([key, wanted]) => String(value.labels[key]) === wanted),
    )
    .reduce((sum, value) => sum + value.value, 0);
}

export function histogramCount(registry: Registry, name: string): Promise<number> {
  return metricValue(registry, name, `${name}_count`);
}

export function histogramSum(registry: Registry, name: string): Promise<number> {
  return metricValue(registry, name, `${name}_sum`);
}

/** Resolves once `check` holds, polling every few ms; rejects after `timeoutMs`. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
