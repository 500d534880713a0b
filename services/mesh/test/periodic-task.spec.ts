// The timer shared by the recovery and expiry jobs: one pass at a time, a pass at start when
// asked, failures reported, and a stop that waits for the pass in progress.
import { expect } from 'chai';
import { PeriodicTask } from '../src/periodic-task.js';

/** A pass that runs until the test lets it finish. */
function gatedPass() {
  let started = 0;
  let finish: (value: number) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  let notifyStart: () => void = () => undefined;
  let nextStart = new Promise<void>((resolve) => (notifyStart = resolve));
  const pass = () => {
    started += 1;
    notifyStart();
    return new Promise<number>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
  };
  return {
    pass,
    started: () => started,
    waitForStart: async () => {
      await nextStart;
      nextStart = new Promise<void>((resolve) => (notifyStart = resolve));
    },
    finish: (value: number) => {
      finish(value);
    },
    fail: (error: Error) => {
      fail(error);
    },
  };
}

describe('PeriodicTask', () => {
  it('joins a pass already running instead of starting another', async () => {
    const gate = gatedPass();
    const task = new PeriodicTask(gate.pass, {
      intervalMs: 0,
      runAtStart: false,
      onResult: () => undefined,
      onError: () => undefined,
    });
    const first = task.runOnce();
    const second = task.runOnce();
    gate.finish(7);
    expect(await first).to.equal(7);
    expect(await second).to.equal(7);
    expect(gate.started()).to.equal(1);
    const third = task.runOnce();
    gate.finish(8);
    expect(await third).to.equal(8);
    expect(gate.started()).to.equal(2);
  });

  it('runs a pass at start when asked, reports its result, and stop waits for it', async () => {
    const gate = gatedPass();
    const results: number[] = [];
    const task = new PeriodicTask(gate.pass, {
      intervalMs: 0,
      runAtStart: true,
      onResult: (result) => results.push(result),
      onError: () => undefined,
    });
    task.start();
    await gate.waitForStart();
    let stopped = false;
    const stopping = task.stop().then(() => {
      stopped = true;
    });
    await Promise.resolve();
    expect(stopped).to.equal(false);
    gate.finish(3);
    await stopping;
    expect(results).to.deep.equal([3]);
  });

  it('reports a failed timer pass and keeps ticking', async () => {
    const gate = gatedPass();
    const errors: unknown[] = [];
    const task = new PeriodicTask(gate.pass, {
      intervalMs: 5,
      runAtStart: false,
      onResult: () => undefined,
      onError: (error) => errors.push(error),
    });
    task.start();
    await gate.waitForStart();
    gate.fail(new Error('boom'));
    await gate.waitForStart();
    expect(errors).to.have.length(1);
    gate.finish(1);
    await task.stop();
    expect(gate.started()).to.equal(2);
  });
});
