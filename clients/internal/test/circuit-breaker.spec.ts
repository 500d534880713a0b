// One breaker per downstream service: failures that mean "the downstream is unwell" open it, a
// caller's own mistakes do not; while open, calls fail fast with UNAVAILABLE / CIRCUIT_OPEN; after
// the reset timeout a half-open probe that succeeds closes it. Every transition is a metric.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import type { EchoRequest } from '../../../test/harness/echo-service.js';
import {
  clientErrorOf,
  echoMeshClient,
  type EchoMeshClient,
} from '../../../test/harness/test-clients.js';
import { startTestServer, type TestServer } from '../../../test/harness/test-server.js';

const failWith = (code: grpc.status): EchoRequest => ({
  fail: {
    code,
    reason: code === grpc.status.UNAVAILABLE ? 'DEPENDENCY_UNAVAILABLE' : 'INVALID_STATE',
  },
});

async function metricValue(registry: Registry, name: string, labels: Record<string, string>) {
  const metric = await registry.getSingleMetric(name)?.get();
  const sample = metric?.values.find((value) =>
    Object.entries(labels).every(([key, expected]) => value.labels[key] === expected),
  );
  return sample?.value ?? 0;
}

describe('circuit breaker per downstream service', () => {
  let server: TestServer;
  let client: EchoMeshClient;
  let registry: Registry;

  before(async () => {
    server = await startTestServer({});
  });

  beforeEach(() => {
    registry = new Registry();
    client = echoMeshClient(server.address, {
      registry,
      breaker: { volumeThreshold: 4, errorThresholdPercentage: 50, resetTimeoutMs: 300 },
      retry: { attemptsMax: 1 },
    });
  });

  afterEach(() => {
    client.close();
  });

  after(async () => {
    await server.shutdown(0);
  });

  it('opens on UNAVAILABLE, fails fast while open, and closes after a good half-open probe', async () => {
    const opened = client.breaker.next('open');
    for (let call = 0; call < 4; call += 1) {
      const error = await clientErrorOf(client.call.echo(failWith(grpc.status.UNAVAILABLE)));
      expect(error.reason).to.equal('DEPENDENCY_UNAVAILABLE');
    }
    await opened;
    expect(client.breaker.state).to.equal('open');

    const startedAt = performance.now();
    const fast = await clientErrorOf(client.call.echo({ text: 'while open' }));
    const elapsedMs = performance.now() - startedAt;
    expect(fast.code).to.equal(grpc.status.UNAVAILABLE);
    expect(fast.reason).to.equal('CIRCUIT_OPEN');
    expect(elapsedMs).to.be.below(5);

    await client.breaker.next('half_open');
    const closed = client.breaker.next('closed');
    const probe = await client.call.echo({ text: 'probe' });
    expect(probe.text).to.equal('probe');
    await closed;
    expect(client.breaker.state).to.equal('closed');

    const transitions = 'clearmesh_circuit_breaker_transitions_total';
    expect(await metricValue(registry, transitions, { target: 'echo', state: 'open' })).to.equal(1);
    expect(
      await metricValue(registry, transitions, { target: 'echo', state: 'half_open' }),
    ).to.equal(1);
    expect(await metricValue(registry, transitions, { target: 'echo', state: 'closed' })).to.equal(
      1,
    );
    expect(
      await metricValue(registry, 'clearmesh_circuit_breaker_state', { target: 'echo' }),
    ).to.equal(0);
  });

  for (const code of [grpc.status.INVALID_ARGUMENT, grpc.status.FAILED_PRECONDITION]) {
    it(`stays closed however many calls fail with ${grpc.status[code]}`, async () => {
      for (let call = 0; call < 12; call += 1) {
        const error = await clientErrorOf(client.call.echo(failWith(code)));
        expect(error.code).to.equal(code);
      }
      expect(client.breaker.state).to.equal('closed');
      const response = await client.call.echo({ text: 'still fine' });
      expect(response.text).to.equal('still fine');
    });
  }

  it('reopens when the half-open probe fails', async () => {
    for (let call = 0; call < 4; call += 1) {
      await clientErrorOf(client.call.echo(failWith(grpc.status.UNAVAILABLE)));
    }
    await client.breaker.next('half_open');
    const reopened = client.breaker.next('open');
    await clientErrorOf(client.call.echo(failWith(grpc.status.UNAVAILABLE)));
    await reopened;
    expect(client.breaker.state).to.equal('open');
  });
});
