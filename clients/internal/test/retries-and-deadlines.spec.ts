// The SDK retries only what is safe to repeat (reads and keyed writes), only failures a repeat
// can get past, within the call's deadline and the retry budget; and a server that calls
// downstream passes on its caller's remaining deadline and trace.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { RetryBudget } from '../src/retry-budget.js';
import { keyedBy, mayRetry, never, read } from '../src/retry-policy.js';
import type { EchoRequest } from '../../../test/harness/echo-service.js';
import {
  clientErrorOf,
  echoMeshClient,
  type EchoMeshClient,
} from '../../../test/harness/test-clients.js';
import {
  echoRegistration,
  startTestServer,
  type TestServer,
} from '../../../test/harness/test-server.js';

function failFirst(times: number, code = grpc.status.UNAVAILABLE): EchoRequest {
  const reason = code === grpc.status.ABORTED ? 'IDEMPOTENCY_KEY_IN_USE' : 'DEPENDENCY_UNAVAILABLE';
  return { failFirst: { key: randomUUID(), times, code, reason } };
}

describe('client retries', () => {
  let server: TestServer;
  const clients: EchoMeshClient[] = [];

  before(async () => {
    server = await startTestServer({});
  });

  after(async () => {
    for (const client of clients) client.close();
    await server.shutdown(0);
  });

  function client(options: Parameters<typeof echoMeshClient>[1] = {}): EchoMeshClient {
    const created = echoMeshClient(server.address, {
      retry: { backoffInitialMs: 1, backoffMaxMs: 5 },
      ...options,
    });
    clients.push(created);
    return created;
  }

  it('retries a read that failed with UNAVAILABLE, and succeeds', async () => {
    const response = await client().call.echo(failFirst(2));
    expect(response.attempt).to.equal(3);
  });

  it('retries ABORTED / IDEMPOTENCY_KEY_IN_USE, the answer to a key still in use', async () => {
    const response = await client().call.echo(failFirst(1, grpc.status.ABORTED));
    expect(response.attempt).to.equal(2);
  });

  it('gives up after the maximum number of attempts', async () => {
    const error = await clientErrorOf(
      client({ retry: { attemptsMax: 3 } }).call.echo(failFirst(5)),
    );
    expect(error.code).to.equal(grpc.status.UNAVAILABLE);
    expect(error.reason).to.equal('DEPENDENCY_UNAVAILABLE');
  });

  it('never repeats a call whose rule says it is not safe to', async () => {
    const request = failFirst(1);
    const error = await clientErrorOf(client({ rule: 'never' }).call.echo(request));
    expect(error.code).to.equal(grpc.status.UNAVAILABLE);
    // The server saw exactly one attempt: the next call with the same key is its second.
    const second = await client().call.echo(request);
    expect(second.attempt).to.equal(2);
  });

  it('does not retry failures a repeat cannot fix', async () => {
    const request: EchoRequest = {
      fail: { code: grpc.status.FAILED_PRECONDITION, reason: 'INVALID_STATE' },
    };
    const error = await clientErrorOf(client().call.echo(request));
    expect(error.code).to.equal(grpc.status.FAILED_PRECONDITION);
  });

  it('retries keyed writes only when they carry a key', () => {
    const rule = keyedBy('idempotencyKey');
    expect(mayRetry(rule, { idempotencyKey: 'k-1' })).to.equal(true);
    expect(mayRetry(rule, { idempotencyKey: '' })).to.equal(false);
    expect(mayRetry(rule, {})).to.equal(false);
    expect(mayRetry(read, {})).to.equal(true);
    expect(mayRetry(never, {})).to.equal(false);
  });
});

describe('retry budget', () => {
  it('allows the floor per second, then a share of the first attempts', () => {
    let nowMs = 0;
    const budget = new RetryBudget(
      { ratio: 0.5, minRetriesPerSecond: 1, windowMs: 1_000 },
      () => nowMs,
    );
    expect(budget.tryWithdraw()).to.equal(true); // the floor: 1 per second
    expect(budget.tryWithdraw()).to.equal(false);
    for (let attempt = 0; attempt < 4; attempt += 1) budget.recordAttempt();
    expect(budget.tryWithdraw()).to.equal(true); // 4 × 0.5 = 2 more
    expect(budget.tryWithdraw()).to.equal(true);
    expect(budget.tryWithdraw()).to.equal(false);
    nowMs = 2_000; // everything in the window has aged out: only the floor again
    expect(budget.tryWithdraw()).to.equal(true);
    expect(budget.tryWithdraw()).to.equal(false);
  });

  it('stops retries when the budget is spent, even for a retryable read', async () => {
    const server = await startTestServer({});
    const client = echoMeshClient(server.address, {
      retry: {
        backoffInitialMs: 1,
        backoffMaxMs: 1,
        budget: { ratio: 0, minRetriesPerSecond: 0, windowMs: 10_000 },
      },
    });
    try {
      const error = await clientErrorOf(client.call.echo(failFirst(1)));
      expect(error.code).to.equal(grpc.status.UNAVAILABLE);
    } finally {
      client.close();
      await server.shutdown(0);
    }
  });
});

describe('deadlines and trace context across a hop', () => {
  let downstream: TestServer;
  let upstream: TestServer;
  const clients: EchoMeshClient[] = [];

  before(async () => {
    downstream = await startTestServer({});
    // The upstream calls downstream as service/payment, as a real service would.
    const relay = echoMeshClient(downstream.address, { identity: 'payment' });
    clients.push(relay);
    upstream = await startTestServer({ services: [echoRegistration(relay)], deadlineMaxMs: 1_500 });
  });

  after(async () => {
    for (const client of clients) client.close();
    await upstream.shutdown(0);
    await downstream.shutdown(0);
  });

  it('passes the caller’s remaining deadline and trace id to the downstream call', async () => {
    const client = echoMeshClient(upstream.address);
    clients.push(client);
    const sentAtMs = Date.now();
    const response = await client.call.echo({ relay: true, text: 'hop' }, { timeoutMs: 1_000 });
    const relayed = response.downstream;
    expect(relayed?.principal).to.equal('service/payment');
    // The client's deadline is 1 s after it sent; the server's copy arrives as a relative timeout.
    expect(response.deadlineAtMs).to.be.within(sentAtMs + 900, sentAtMs + 1_050);
    // The same instant travels on. gRPC carries it as a relative timeout in whole milliseconds,
    // so the downstream's copy can differ by the transit time and rounding, not by more.
    expect(relayed?.deadlineAtMs).to.be.within(
      response.deadlineAtMs - 50,
      response.deadlineAtMs + 20,
    );
    expect(relayed?.traceId).to.equal(response.traceId);
  });

  it('applies the server’s maximum when the caller sets no deadline', async () => {
    const client = echoMeshClient(upstream.address);
    clients.push(client);
    const response = await client.call.echo({}, { timeoutMs: 60_000 });
    expect(response.deadlineRemainingMs).to.be.within(1, 1_500);
  });

  it('answers DEADLINE_EXCEEDED when the handler outlives the server’s maximum', async () => {
    const client = echoMeshClient(upstream.address, { rule: 'never' });
    clients.push(client);
    const error = await clientErrorOf(client.call.echo({ delayMs: 5_000 }, { timeoutMs: 60_000 }));
    expect(error.code).to.equal(grpc.status.DEADLINE_EXCEEDED);
    expect(error.reason).to.equal('DEADLINE_EXCEEDED');
  });
});
