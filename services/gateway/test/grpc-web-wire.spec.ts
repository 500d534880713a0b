// The grpc-web wire format the gateway speaks, pinned with raw HTTPS requests over HTTP/1.1 and
// HTTP/2: frames, the trailer frame, trailers-only errors with their details, -text mode (padded
// base64 chunks in both directions), server streaming, grpc-timeout as the downstream deadline,
// CORS preflights, and the limits that stop a request before it reaches the mesh.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { once } from 'node:events';
import { connect, constants as http2constants } from 'node:http2';
import { testRun } from '../../../test/harness/test-run.js';
import {
  GetPaymentRequest,
  GetPaymentResponse,
  WatchPaymentRequest,
  WatchPaymentResponse,
} from '../../../gen/grpc-js/clearmesh/payment/v1/payment_service.js';
import { PaymentStatus } from '../../../gen/grpc-js/clearmesh/payment/v1/payment.js';
import {
  accessTokenFor,
  manyUpdates,
  rawRequest,
  startGatewayTestMesh,
  type GatewayTestMesh,
  type PartnerCredential,
  type RecordedCall,
} from './gateway-test-mesh.js';
import { envelope, grpcWebCall } from './grpc-web-test-client.js';

const getPayment = '/clearmesh.payment.v1.PaymentService/GetPayment';
const watchPayment = '/clearmesh.payment.v1.PaymentService/WatchPayment';
const allScopes = ['accounts:read', 'accounts:write', 'payments:read', 'payments:write'];

const getPaymentBytes = (paymentId: string): Uint8Array =>
  GetPaymentRequest.encode({ paymentId }).finish();

/**
 * The gateway sets the deadline `timeoutMs` after it receives the call: no earlier than that after
 * the test sent it, and no later than that after the payment service saw it (gRPC carries it as a
 * relative timeout in whole milliseconds, hence a few ms of slack).
 */
function expectDeadlineAfter(
  call: RecordedCall | undefined,
  sentAtMs: number,
  timeoutMs: number,
): void {
  const deadlineMs = call?.deadline.getTime() ?? 0;
  expect(deadlineMs - sentAtMs).to.be.at.least(timeoutMs - 5);
  expect(deadlineMs - (call?.receivedAtMs ?? 0)).to.be.at.most(timeoutMs + 5);
}

describe('gateway grpc-web wire format', function () {
  let mesh: GatewayTestMesh;
  let partner: PartnerCredential;
  let token: string;

  before(async function () {
    mesh = await startGatewayTestMesh({ schema: 'gateway_wire' });
    partner = await mesh.createPartner(allScopes);
    token = await accessTokenFor(mesh.baseUrl, partner);
  });

  after(async function () {
    await mesh.stop();
  });

  for (const http2 of [false, true]) {
    it(`answers a unary call with a data frame, then a trailer frame (${http2 ? 'HTTP/2' : 'HTTP/1.1'})`, async function () {
      const callsBefore = mesh.paymentCalls.length;
      const result = await grpcWebCall(mesh.baseUrl, getPayment, getPaymentBytes('pay-1'), {
        token,
        http2,
      });
      expect(result.http.status).to.equal(200);
      expect(result.http.headers['content-type']).to.equal('application/grpc-web+proto');
      expect(result.trailersOnly).to.be.false;
      expect(result.messages).to.have.length(1);
      expect(result.trailers).to.deep.equal({ 'grpc-status': '0', 'grpc-message': '' });
      const reply = GetPaymentResponse.decode(result.messages[0] ?? Buffer.alloc(0));
      expect(reply.payment?.paymentId).to.equal('pay-1');
      expect(reply.payment?.amount).to.deep.equal({ amount: 12_345n, currency: 'EUR' });
      // The exact bytes: flag 0 and the message length, then flag 0x80 and the trailer block.
      const messageLength = result.messages[0]?.length ?? 0;
      expect(result.http.body.subarray(0, 5)).to.deep.equal(
        envelope(Buffer.alloc(messageLength)).subarray(0, 5),
      );
      const trailerBlock = Buffer.from('grpc-status:0\r\ngrpc-message:\r\n');
      expect(result.http.body.subarray(5 + messageLength)).to.deep.equal(
        envelope(trailerBlock, 0x80),
      );
      const forwarded = mesh.paymentCalls.slice(callsBefore);
      expect(forwarded.map((call) => [call.method, call.principal, call.partner])).to.deep.equal([
        ['GetPayment', 'service/gateway', { partnerId: partner.partnerId, scopes: allScopes }],
      ]);
    });
  }

  it('decodes a -text request sent as separately padded base64 chunks and answers -text', async function () {
    const frame = envelope(getPaymentBytes('pay-text'));
    // 1 byte then the rest: the first chunk ends in "==", in the middle of the body.
    const chunks = [frame.subarray(0, 1).toString('base64'), frame.subarray(1).toString('base64')];
    expect(chunks[0]).to.match(/==$/);
    const result = await grpcWebCall(mesh.baseUrl, getPayment, new Uint8Array(), {
      token,
      text: true,
      body: chunks,
    });
    expect(result.http.headers['content-type']).to.equal('application/grpc-web-text+proto');
    expect(result.code).to.equal(grpc.status.OK);
    const reply = GetPaymentResponse.decode(result.messages[0] ?? Buffer.alloc(0));
    expect(reply.payment?.paymentId).to.equal('pay-text');
  });

  it('refuses a -text body that is not base64 with INVALID_ARGUMENT', async function () {
    const result = await grpcWebCall(mesh.baseUrl, getPayment, new Uint8Array(), {
      token,
      text: true,
      body: 'AAAA=AAA',
    });
    expect([result.code, result.details.errorInfo?.reason]).to.deep.equal([
      grpc.status.INVALID_ARGUMENT,
      'VALIDATION_FAILED',
    ]);
  });

  for (const text of [false, true]) {
    it(`streams WatchPayment as one frame per update, trailers last (${text ? '-text' : 'binary'})`, async function () {
      // 5 + 153 bytes per frame: not a multiple of 3, so each frame's base64 ends in padding.
      const request = WatchPaymentRequest.encode({ paymentId: 'pay-watch-1' }).finish();
      const result = await grpcWebCall(mesh.baseUrl, watchPayment, request, { token, text });
      expect(result.code).to.equal(grpc.status.OK);
      const statuses = result.messages.map(
        (message) => WatchPaymentResponse.decode(message).payment?.status,
      );
      expect(statuses).to.deep.equal([
        PaymentStatus.PAYMENT_STATUS_PENDING,
        PaymentStatus.PAYMENT_STATUS_REQUIRES_CAPTURE,
        PaymentStatus.PAYMENT_STATUS_SUCCEEDED,
      ]);
      if (text) {
        // Each frame is its own base64 chunk, so padding appears before the end of the body.
        expect(result.messages.map((message) => (5 + message.length) % 3)).to.not.include(0);
        const body = result.http.body.toString('ascii');
        expect(body.slice(0, -4)).to.match(/=[A-Za-z0-9+/]/);
      }
    });
  }

  it('streams more than the flow-control windows hold, complete and in order', async function () {
    // About 1 MB: far past the 64 KiB HTTP/2 windows, so the gateway waits for the partner to read.
    const request = WatchPaymentRequest.encode({ paymentId: 'many' }).finish();
    const result = await grpcWebCall(mesh.baseUrl, watchPayment, request, { token, http2: true });
    expect(result.code).to.equal(grpc.status.OK);
    const updates = result.messages.map(
      (message) => WatchPaymentResponse.decode(message).payment?.description.split(' ')[1],
    );
    expect(updates).to.deep.equal([
      undefined,
      ...Array.from({ length: manyUpdates }, (_, update) => String(update)),
    ]);
  });

  it('ends a stream that fails midway with its status and details in the trailer frame', async function () {
    const request = WatchPaymentRequest.encode({ paymentId: 'fails-midway' }).finish();
    const result = await grpcWebCall(mesh.baseUrl, watchPayment, request, { token });
    expect(result.trailersOnly).to.be.false;
    expect(result.messages).to.have.length(1);
    expect(result.code).to.equal(grpc.status.FAILED_PRECONDITION);
    expect(result.message).to.equal('stand-in failure');
    expect(result.details.errorInfo?.reason).to.equal('INVALID_STATE');
    expect(result.details.errorInfo?.domain).to.equal('clearmesh');
  });

  it('answers an error before any message trailers-only: status and details in the headers', async function () {
    const result = await grpcWebCall(mesh.baseUrl, getPayment, getPaymentBytes('missing'), {
      token,
    });
    expect(result.http.status).to.equal(200);
    expect(result.trailersOnly).to.be.true;
    expect(result.http.body).to.have.length(0);
    expect(result.http.headers['grpc-status']).to.equal(String(grpc.status.NOT_FOUND));
    expect(result.details.errorInfo?.reason).to.equal('PAYMENT_NOT_FOUND');
  });

  for (const path of [
    '/clearmesh.account.v1.AccountService/CreatePartner',
    '/clearmesh.account.v1.AccountService/IssueToken',
    '/clearmesh.ledger.v1.LedgerService/CreateTransfers',
  ]) {
    it(`does not expose ${path}: UNIMPLEMENTED / METHOD_NOT_EXPOSED`, async function () {
      const result = await grpcWebCall(mesh.baseUrl, path, new Uint8Array(), { token });
      expect([result.code, result.details.errorInfo?.reason]).to.deep.equal([
        grpc.status.UNIMPLEMENTED,
        'METHOD_NOT_EXPOSED',
      ]);
    });
  }

  it('propagates grpc-timeout as the downstream deadline and answers DEADLINE_EXCEEDED', async function () {
    const callsBefore = mesh.paymentCalls.length;
    const sentAt = Date.now();
    const result = await grpcWebCall(mesh.baseUrl, getPayment, getPaymentBytes('slow'), {
      token,
      headers: { 'grpc-timeout': '300m' },
    });
    expect(result.code).to.equal(grpc.status.DEADLINE_EXCEEDED);
    const [call] = mesh.paymentCalls.slice(callsBefore);
    expectDeadlineAfter(call, sentAt, 300);
  });

  for (const [method, path, request] of [
    ['WatchPayment', watchPayment, WatchPaymentRequest.encode({ paymentId: 'forever' }).finish()],
    ['GetPayment', getPayment, getPaymentBytes('slow')],
  ] as const) {
    it(`cancels the downstream ${method} when the partner goes away`, async function () {
      const aborted = once(mesh.paymentEvents, 'aborted');
      const waiting = once(mesh.paymentEvents, 'waiting');
      const session = connect(mesh.baseUrl, { ca: testRun().pki.identity('admin').caPem });
      try {
        const stream = session.request({
          ':method': 'POST',
          ':path': path,
          'content-type': 'application/grpc-web+proto',
          authorization: `Bearer ${token}`,
        });
        stream.end(envelope(request));
        // Cut off once the call is in the payment service: after the first update of the watch,
        // while the slow GetPayment waits.
        await (method === 'WatchPayment' ? once(stream, 'data') : waiting);
        stream.close(http2constants.NGHTTP2_CANCEL);
        expect(await aborted).to.deep.equal([method]);
      } finally {
        session.close();
      }
    });
  }

  it('gives a call without grpc-timeout the unary deadline cap (30 s)', async function () {
    const callsBefore = mesh.paymentCalls.length;
    const sentAt = Date.now();
    await grpcWebCall(mesh.baseUrl, getPayment, getPaymentBytes('pay-2'), { token });
    const [call] = mesh.paymentCalls.slice(callsBefore);
    expectDeadlineAfter(call, sentAt, 30_000);
  });

  it('refuses a malformed grpc-timeout with INVALID_ARGUMENT', async function () {
    const result = await grpcWebCall(mesh.baseUrl, getPayment, getPaymentBytes('pay-3'), {
      token,
      headers: { 'grpc-timeout': '123456789S' },
    });
    expect(result.code).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(
      result.details.badRequest?.fieldViolations.map((violation) => violation.field),
    ).to.deep.equal(['grpc-timeout']);
  });

  it('answers a CORS preflight from an allowed origin, with credentials', async function () {
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:41234']) {
      const response = await rawRequest(`${mesh.baseUrl}${getPayment}`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers':
            'authorization,content-type,x-grpc-web,x-user-agent,grpc-timeout',
        },
      });
      expect(response.status, origin).to.equal(204);
      expect(response.headers['access-control-allow-origin']).to.equal(origin);
      expect(response.headers['access-control-allow-credentials']).to.equal('true');
      expect(response.headers['access-control-allow-methods']).to.include('POST');
      const allowed = String(response.headers['access-control-allow-headers']).split(', ');
      expect(allowed).to.include.members([
        'authorization',
        'content-type',
        'x-grpc-web',
        'x-user-agent',
        'grpc-timeout',
      ]);
    }
  });

  it('refuses a preflight and a call from an origin that is not configured', async function () {
    const preflight = await rawRequest(`${mesh.baseUrl}${getPayment}`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).to.equal(403);
    expect(preflight.headers['access-control-allow-origin']).to.equal(undefined);
    const callsBefore = mesh.paymentCalls.length;
    const call = await rawRequest(`${mesh.baseUrl}${getPayment}`, {
      headers: {
        origin: 'http://localhost.evil.example:80',
        'content-type': 'application/grpc-web+proto',
        authorization: `Bearer ${token}`,
      },
      body: envelope(getPaymentBytes('pay-4')),
    });
    expect(call.status).to.equal(403);
    expect(mesh.paymentCalls.length).to.equal(callsBefore);
  });

  it('exposes grpc-status and grpc-message to an allowed origin', async function () {
    const result = await grpcWebCall(mesh.baseUrl, getPayment, getPaymentBytes('missing'), {
      token,
      headers: { origin: 'http://localhost:3000' },
    });
    expect(result.http.headers['access-control-allow-origin']).to.equal('http://localhost:3000');
    expect(
      String(result.http.headers['access-control-expose-headers']).split(', '),
    ).to.include.members(['grpc-status', 'grpc-message', 'grpc-status-details-bin']);
  });

  for (const declared of [true, false]) {
    it(`refuses an oversized body (${declared ? 'content-length' : 'chunked'}) without reaching the mesh`, async function () {
      const callsBefore = mesh.paymentCalls.length;
      const big = envelope(Buffer.alloc(70 * 1024, 1));
      const result = await grpcWebCall(mesh.baseUrl, getPayment, new Uint8Array(), {
        token,
        body: declared ? big : [big.subarray(0, 40_000), big.subarray(40_000)],
        headers: declared ? { 'content-length': String(big.length) } : {},
      });
      expect([result.code, result.details.errorInfo?.reason]).to.deep.equal([
        grpc.status.RESOURCE_EXHAUSTED,
        'REQUEST_TOO_LARGE',
      ]);
      expect(mesh.paymentCalls.length).to.equal(callsBefore);
    });
  }

  it('refuses a body that ends inside a frame, or more than one message', async function () {
    const frame = envelope(getPaymentBytes('pay-5'));
    for (const body of [frame.subarray(0, frame.length - 1), Buffer.concat([frame, frame])]) {
      const result = await grpcWebCall(mesh.baseUrl, getPayment, new Uint8Array(), { token, body });
      expect(result.code).to.equal(grpc.status.INVALID_ARGUMENT);
    }
  });

  it('refuses a compressed message with UNIMPLEMENTED', async function () {
    const body = envelope(getPaymentBytes('pay-6'), 1);
    const result = await grpcWebCall(mesh.baseUrl, getPayment, new Uint8Array(), { token, body });
    expect(result.code).to.equal(grpc.status.UNIMPLEMENTED);
  });

  it('answers 415 to a content type that is not grpc-web', async function () {
    const response = await rawRequest(`${mesh.baseUrl}${getPayment}`, {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: '{}',
    });
    expect(response.status).to.equal(415);
  });

  it('answers 431 to request headers above the limit', async function () {
    const response = await rawRequest(`${mesh.baseUrl}${getPayment}`, {
      headers: {
        'content-type': 'application/grpc-web+proto',
        'x-padding': 'x'.repeat(20 * 1024),
      },
      body: envelope(getPaymentBytes('pay-7')),
    });
    expect(response.status).to.equal(431);
  });

  it('counts grpc-web calls by method and code on /metrics', async function () {
    await grpcWebCall(mesh.baseUrl, getPayment, getPaymentBytes('missing'), { token });
    const text = await mesh.registry.metrics();
    expect(text).to.match(
      /grpc_server_handled_total\{grpc_type="unary",grpc_service="clearmesh.payment.v1.PaymentService",grpc_method="GetPayment",grpc_code="NotFound"\} [1-9]/,
    );
    expect(text).to.match(
      /clearmesh_gateway_http_requests_total\{route="grpc_web",status="200"\} [1-9]/,
    );
    expect(text).to.match(
      /grpc_client_handled_total\{grpc_type="unary",grpc_service="clearmesh.payment.v1.PaymentService",grpc_method="GetPayment",grpc_code="NotFound"\} [1-9]/,
    );
  });
});
