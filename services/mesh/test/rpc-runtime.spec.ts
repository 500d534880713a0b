// What the runtime does for every RPC: go-grpc-prometheus metrics with the right labels and
// counts, one error boundary (typed errors keep their code and reason, anything else becomes a
// generic INTERNAL), partner metadata only from service/gateway, and trace ids carried over.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { EventEmitter, once } from 'node:events';
import { decodeStatusDetails } from '../src/errors.js';
import { startMetricsServer, type MetricsServer } from '../src/metrics-server.js';
import { partnerIdKey, partnerScopesKey } from '../src/rpc-runtime.js';
import { serviceRegistration } from '../src/server.js';
import { createEchoHandlers, EchoService } from '../../../test/harness/echo-service.js';
import { meshCredentialsFor, rawEcho } from '../../../test/harness/test-clients.js';
import {
  echoRegistration,
  serviceErrorOf,
  startTestServer,
  type TestServer,
} from '../../../test/harness/test-server.js';

describe('RPC runtime', () => {
  let server: TestServer;
  let metrics: MetricsServer;

  before(async () => {
    server = await startTestServer({});
    metrics = await startMetricsServer(server.registry, { host: '127.0.0.1', port: 0 });
  });

  after(async () => {
    await metrics.close();
    await server.shutdown(0);
  });

  describe('metrics', () => {
    it('counts handled calls by code and observes their latency, on /metrics', async () => {
      const credentials = meshCredentialsFor('admin');
      for (let call = 0; call < 3; call += 1)
        await rawEcho(server.address, credentials, { text: 'ok' });
      await serviceErrorOf(
        rawEcho(server.address, credentials, {
          fail: { code: grpc.status.NOT_FOUND, reason: 'ACCOUNT_NOT_FOUND' },
        }),
      );
      const body = await (await fetch(`http://${metrics.address}/metrics`)).text();
      const labels =
        'grpc_type="unary",grpc_service="clearmesh.test.v1.EchoService",grpc_method="Echo"';
      expect(body).to.include(`grpc_server_started_total{${labels}} 4`);
      expect(body).to.include(`grpc_server_handled_total{${labels},grpc_code="OK"} 3`);
      expect(body).to.include(`grpc_server_handled_total{${labels},grpc_code="NotFound"} 1`);
      expect(body).to.include(`grpc_server_handling_seconds_count{${labels}} 4`);
      expect(body).to.match(
        new RegExp(`grpc_server_handling_seconds_bucket\\{le="\\+Inf",${labels}\\} 4`),
      );
    });

    it('records a call whose caller’s deadline passed as DeadlineExceeded', async () => {
      const events = new EventEmitter();
      const timed = await startTestServer({
        services: [echoRegistration(undefined, { onAbort: () => events.emit('aborted') })],
      });
      try {
        const aborted = once(events, 'aborted');
        const error = await serviceErrorOf(
          rawEcho(
            timed.address,
            meshCredentialsFor('admin'),
            { delayMs: 5_000 },
            { deadlineMs: 100 },
          ),
        );
        expect(error.code).to.equal(grpc.status.DEADLINE_EXCEEDED);
        // The server hears of the deadline from its own timer; the handler sees the abort first,
        // and the runtime records the call in the same turn of the event loop.
        await aborted;
        await new Promise((resolve) => setImmediate(resolve));
        expect(await timed.registry.metrics()).to.match(
          /grpc_server_handled_total\{[^}]*grpc_method="Echo",grpc_code="DeadlineExceeded"\} 1\n/,
        );
      } finally {
        await timed.shutdown(0);
      }
    });

    it('counts refused calls too, under their code', async () => {
      await serviceErrorOf(rawEcho(server.address, meshCredentialsFor('demo'), {}));
      const body = await server.registry.metrics();
      expect(body).to.match(
        /grpc_server_handled_total\{[^}]*grpc_method="Echo",grpc_code="PermissionDenied"\} 1/,
      );
    });
  });

  describe('errors', () => {
    it('sends a typed error with its code, reason and BadRequest-free details', async () => {
      const error = await serviceErrorOf(
        rawEcho(server.address, meshCredentialsFor('admin'), {
          fail: { code: grpc.status.FAILED_PRECONDITION, reason: 'INVALID_STATE' },
        }),
      );
      expect(error.code).to.equal(grpc.status.FAILED_PRECONDITION);
      const details = decodeStatusDetails(error.metadata);
      expect(details.errorInfo).to.deep.equal({
        reason: 'INVALID_STATE',
        domain: 'clearmesh',
        metadata: {},
      });
      expect(details.badRequest).to.equal(undefined);
    });

    it('turns any other failure into INTERNAL with a generic message and no stack', async () => {
      const secret = 'SELECT * FROM ledger.transfers -- relation does not exist';
      const error = await serviceErrorOf(
        rawEcho(server.address, meshCredentialsFor('admin'), { crash: secret }),
      );
      expect(error.code).to.equal(grpc.status.INTERNAL);
      expect(error.details).to.equal('internal error');
      const wire = JSON.stringify(error.metadata.toJSON());
      expect(wire).to.not.include('SELECT');
      expect(wire).to.not.include('echo-service.ts');
      expect(decodeStatusDetails(error.metadata).errorInfo?.reason).to.equal('INTERNAL_ERROR');
    });
  });

  describe('handlers that throw before returning a promise', () => {
    it('answer INTERNAL like any other failure, and the server keeps serving', async () => {
      const throwing = await startTestServer({
        services: [
          serviceRegistration(EchoService, {
            ...createEchoHandlers(),
            echo: () => {
              throw new Error('thrown synchronously');
            },
          }),
        ],
      });
      try {
        const credentials = meshCredentialsFor('admin');
        for (let call = 0; call < 2; call += 1) {
          const error = await serviceErrorOf(rawEcho(throwing.address, credentials, {}));
          expect(error.code).to.equal(grpc.status.INTERNAL);
          expect(error.details).to.equal('internal error');
        }
      } finally {
        await throwing.shutdown(0);
      }
    });
  });

  describe('partner metadata', () => {
    const partnerHeaders = {
      [partnerIdKey]: 'partner-7',
      [partnerScopesKey]: 'payments:read payments:write',
    };

    it('reaches the handler from service/gateway', async () => {
      const response = await rawEcho(
        server.address,
        meshCredentialsFor('gateway'),
        {},
        { metadata: partnerHeaders },
      );
      expect(response.partnerId).to.equal('partner-7');
      expect(response.scopes).to.deep.equal(['payments:read', 'payments:write']);
    });

    for (const identity of ['admin', 'payment']) {
      it(`is refused with PERMISSION_DENIED from ${identity}`, async () => {
        const error = await serviceErrorOf(
          rawEcho(server.address, meshCredentialsFor(identity), {}, { metadata: partnerHeaders }),
        );
        expect(error.code).to.equal(grpc.status.PERMISSION_DENIED);
        expect(decodeStatusDetails(error.metadata).errorInfo?.reason).to.equal('POLICY_DENIED');
      });
    }

    it('is INVALID_ARGUMENT when malformed, even from the gateway', async () => {
      const error = await serviceErrorOf(
        rawEcho(
          server.address,
          meshCredentialsFor('gateway'),
          {},
          {
            metadata: { [partnerIdKey]: 'no spaces allowed' },
          },
        ),
      );
      expect(error.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(decodeStatusDetails(error.metadata).badRequest?.fieldViolations[0]?.field).to.equal(
        partnerIdKey,
      );
    });
  });

  describe('trace context', () => {
    it('keeps the caller’s trace id from traceparent, and starts one when there is none', async () => {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const credentials = meshCredentialsFor('admin');
      const traced = await rawEcho(
        server.address,
        credentials,
        {},
        {
          metadata: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
        },
      );
      expect(traced.traceId).to.equal(traceId);
      const fresh = await rawEcho(server.address, credentials, {});
      expect(fresh.traceId).to.match(/^[0-9a-f]{32}$/);
      expect(fresh.traceId).to.not.equal(traceId);
    });
  });
});
