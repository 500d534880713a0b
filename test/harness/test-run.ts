// The context of one `npm test` run, set up once by mocha root hooks: a throwaway PKI, an isolated
// database and a Redis key prefix. Everything is removed when the run ends, pass or fail.
import { createTestDatabase, newRunId, type TestDatabase } from './test-database.js';
import { createTestPki, type TestPki } from './test-pki.js';
import { createTestRedis, type TestRedis } from './test-redis.js';

export interface TestRun {
  readonly runId: string;
  readonly pki: TestPki;
  readonly database: TestDatabase;
  readonly redis: TestRedis;
}

let current: TestRun | undefined;

export function testRun(): TestRun {
  if (current === undefined) throw new Error('test run not set up: run tests through `npm test`');
  return current;
}

export const mochaHooks = {
  async beforeAll(): Promise<void> {
    const runId = newRunId();
    const [pki, database] = await Promise.all([createTestPki(), createTestDatabase(runId)]);
    current = { runId, pki, database, redis: createTestRedis(runId) };
  },
  async afterAll(): Promise<void> {
    if (current === undefined) return;
    const run = current;
    current = undefined;
    await Promise.all([run.database.drop(), run.redis.clear(), run.pki.destroy()]);
  },
};
