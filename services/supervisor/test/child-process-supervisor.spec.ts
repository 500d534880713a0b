// The supervisor keeps every mesh process running: a child that dies is restarted after a backoff
// that doubles while it keeps failing, and stop() ends children with SIGTERM, then SIGKILL.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReadyMessage } from '../../mesh/src/lifecycle.js';
import { ChildProcessSupervisor, type SupervisorOptions } from '../src/child-process-supervisor.js';

const fixture = fileURLToPath(new URL('./fixtures/child.ts', import.meta.url));

interface Observed {
  readonly supervisor: ChildProcessSupervisor;
  readonly exits: { code: number | null; signal: string | null; restartInMs: number }[];
  /** Resolves with the n-th ready message (1-based) and its restart count. */
  ready(n: number): Promise<{ message: ReadyMessage; restarts: number }>;
}

function observe(env: Record<string, string>, options: Partial<SupervisorOptions> = {}): Observed {
  const readies: { message: ReadyMessage; restarts: number }[] = [];
  const exits: Observed['exits'] = [];
  const waiters: (() => void)[] = [];
  const notify = (): void => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  const until = async (condition: () => boolean): Promise<void> => {
    while (!condition()) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  const supervisor = new ChildProcessSupervisor(
    [{ name: 'child', entryPoint: fixture, env: { ...process.env, ...env } }],
    {
      backoffInitialMs: 20,
      backoffMaxMs: 1_000,
      stableRunMs: 60_000,
      stopGraceMs: 5_000,
      onReady: (message, restarts) => {
        readies.push({ message, restarts });
        notify();
      },
      onExit: (_name, code, signal, restartInMs) => {
        exits.push({ code, signal, restartInMs });
        notify();
      },
      ...options,
    },
  );
  return {
    supervisor,
    exits,
    ready: async (n) => {
      await until(() => readies.length >= n);
      const entry = readies[n - 1];
      if (entry === undefined) throw new Error('unreachable');
      return entry;
    },
  };
}

describe('ChildProcessSupervisor', () => {
  let stateDirectory: string;
  const running: ChildProcessSupervisor[] = [];

  beforeEach(async () => {
    stateDirectory = await mkdtemp(join(tmpdir(), 'clearmesh-supervisor-'));
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((supervisor) => supervisor.stop()));
    await rm(stateDirectory, { recursive: true, force: true });
  });

  it('restarts a child that dies, with a backoff that doubles while it keeps failing', async () => {
    const observed = observe({ CHILD_STATE_DIR: stateDirectory, CHILD_FAIL_RUNS: '3' });
    running.push(observed.supervisor);
    observed.supervisor.start();
    const { message, restarts } = await observed.ready(1);
    expect(message.address).to.equal('run-4');
    expect(restarts).to.equal(3);
    expect(observed.exits).to.deep.equal([
      { code: 3, signal: null, restartInMs: 20 },
      { code: 3, signal: null, restartInMs: 40 },
      { code: 3, signal: null, restartInMs: 80 },
    ]);
  });

  it('stops children with SIGTERM and does not restart them', async () => {
    const observed = observe({ CHILD_STATE_DIR: stateDirectory });
    observed.supervisor.start();
    const { message } = await observed.ready(1);
    await observed.supervisor.stop();
    expect(observed.exits).to.deep.equal([]);
    expect(isAlive(Number(message.metricsAddress))).to.equal(false);
  });

  it('kills a child that ignores SIGTERM once the grace period is over', async () => {
    const observed = observe(
      { CHILD_STATE_DIR: stateDirectory, CHILD_IGNORE_SIGTERM: '1' },
      { stopGraceMs: 200 },
    );
    observed.supervisor.start();
    const { message } = await observed.ready(1);
    await observed.supervisor.stop();
    expect(isAlive(Number(message.metricsAddress))).to.equal(false);
  });

  it('restarts a child killed from outside', async () => {
    const observed = observe({ CHILD_STATE_DIR: stateDirectory });
    running.push(observed.supervisor);
    observed.supervisor.start();
    const first = await observed.ready(1);
    process.kill(Number(first.message.metricsAddress), 'SIGKILL');
    const second = await observed.ready(2);
    expect(second.restarts).to.equal(1);
    expect(second.message.address).to.equal('run-2');
    expect(observed.exits).to.deep.equal([{ code: null, signal: 'SIGKILL', restartInMs: 20 }]);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
