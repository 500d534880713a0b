// Graceful drain: on SIGTERM (or shutdown()) a server reports NOT_SERVING, refuses new calls,
// lets the calls in flight finish within the grace period, and the process exits 0.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { fileURLToPath } from 'node:url';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthClient,
  type HealthCheckResponse,
} from '../../../gen/grpc-js/health/v1/health.js';
import { isReadyMessage } from '../src/lifecycle.js';
import type { EchoRequest } from '../../../test/harness/echo-service.js';
import { meshCredentialsFor, rawEcho } from '../../../test/harness/test-clients.js';
import { testRun } from '../../../test/harness/test-run.js';
import { echoRegistration, startTestServer, statusOf } from '../../../test/harness/test-server.js';

const fixture = fileURLToPath(new URL('./fixtures/echo-server-process.ts', import.meta.url));

/** Resolves with the statuses seen once the server at `address` reports NOT_SERVING. */
function watchUntilNotServing(address: string): {
  notServing: Promise<ServingStatus[]>;
  close(): void;
} {
  const health = new HealthClient(address, meshCredentialsFor('admin'), {
    'grpc.ssl_target_name_override': 'localhost',
  });
  const statuses: ServingStatus[] = [];
  const watch = health.watch({ service: '' });
  watch.on('error', () => undefined);
  const notServing = new Promise<ServingStatus[]>((resolve) => {
    watch.on('data', (response: HealthCheckResponse) => {
      statuses.push(response.status);
      if (response.status === ServingStatus.NOT_SERVING) resolve(statuses);
    });
  });
  return {
    notServing,
    close: () => {
      health.close();
    },
  };
}

describe('graceful drain', () => {
  it('finishes calls in flight, refuses new ones and reports NOT_SERVING', async () => {
    const events = new EventEmitter();
    const server = await startTestServer({
      services: [
        echoRegistration(undefined, {
          onStart: (request: EchoRequest) => events.emit('started', request),
        }),
      ],
    });
    const credentials = meshCredentialsFor('admin');
    const health = watchUntilNotServing(server.address);
    const started = once(events, 'started');
    const inFlight = rawEcho(server.address, credentials, { text: 'slow', delayMs: 300 });
    await started;
    const shutdown = server.shutdown(5_000);
    expect(await health.notServing).to.deep.equal([
      ServingStatus.SERVING,
      ServingStatus.NOT_SERVING,
    ]);
    expect(await statusOf(rawEcho(server.address, credentials, { text: 'late' }))).to.equal(
      grpc.status.UNAVAILABLE,
    );
    expect((await inFlight).text).to.equal('slow');
    await shutdown;
    health.close();
  });

  it('cuts calls still running when the grace period is over', async () => {
    const events = new EventEmitter();
    const server = await startTestServer({
      services: [echoRegistration(undefined, { onStart: () => events.emit('started') })],
    });
    const started = once(events, 'started');
    const stuck = rawEcho(server.address, meshCredentialsFor('admin'), { delayMs: 10_000 });
    await started;
    const startedAt = Date.now();
    await server.shutdown(100);
    expect(Date.now() - startedAt).to.be.below(2_000);
    expect(await statusOf(stuck)).to.not.equal(grpc.status.OK);
  });

  describe('a server process on SIGTERM', () => {
    let child: ChildProcess;
    let address: string;

    before(async () => {
      child = fork(fixture, [], {
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, CERTS_DIR: testRun().pki.directory, DRAIN_GRACE_MS: '5000' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const [message] = (await once(child, 'message')) as [unknown];
      if (!isReadyMessage(message)) throw new Error('the server process did not report ready');
      address = message.address;
    });

    after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });

    it('completes the calls in flight, refuses new ones, and exits 0', async () => {
      const credentials = meshCredentialsFor('admin');
      const health = watchUntilNotServing(address);
      const started = once(child, 'message');
      const inFlight = rawEcho(address, credentials, { text: 'in flight', delayMs: 500 });
      await started;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await health.notServing;
      expect(await statusOf(rawEcho(address, credentials, { text: 'during drain' }))).to.equal(
        grpc.status.UNAVAILABLE,
      );
      expect((await inFlight).text).to.equal('in flight');
      const [code] = (await exited) as [number | null];
      expect(code).to.equal(0);
      health.close();
    });
  });
});
