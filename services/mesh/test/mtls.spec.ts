// A mesh server speaks only mutual TLS with certificates of the mesh CA, and then authorizes the
// caller's SPIFFE principal. Every bad client is refused — by the handshake or UNAUTHENTICATED —
// and never answered OK; a good certificate of a principal the policy does not allow is
// PERMISSION_DENIED / POLICY_DENIED.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { connect } from 'node:tls';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthClient,
} from '../../../gen/grpc-js/health/v1/health.js';
import { decodeStatusDetails } from '../src/errors.js';
import type { LeafOptions } from '../src/pki.js';
import { clientCredentials } from '../src/tls.js';
import { meshCredentialsFor, rawEcho } from '../../../test/harness/test-clients.js';
import { foreignIdentity } from '../../../test/harness/test-pki.js';
import { testRun } from '../../../test/harness/test-run.js';
import {
  serviceErrorOf,
  startTestServer,
  statusOf,
  unaryCall,
  type TestServer,
} from '../../../test/harness/test-server.js';

const dayMs = 24 * 60 * 60 * 1000;

describe('mesh server mTLS and identity', () => {
  let server: TestServer;
  const clients: grpc.Client[] = [];

  before(async () => {
    server = await startTestServer({});
  });

  after(async () => {
    for (const client of clients) client.close();
    await server.shutdown(0);
  });

  function check(credentials: grpc.ChannelCredentials): Promise<{ status: ServingStatus }> {
    const client = new HealthClient(server.address, credentials, {
      'grpc.ssl_target_name_override': 'localhost',
    });
    clients.push(client);
    return unaryCall(client.check.bind(client), { service: '' });
  }

  async function refusalOf(credentials: grpc.ChannelCredentials): Promise<grpc.status> {
    return statusOf(rawEcho(server.address, credentials, { text: 'hello' }));
  }

  async function issuedClient(
    options: Partial<LeafOptions> & { withoutSpiffeId?: boolean },
  ): Promise<grpc.ChannelCredentials> {
    const { pki } = testRun();
    const { withoutSpiffeId, ...overrides } = options;
    const identity = await pki.issue({
      commonName: 'tester',
      ...(withoutSpiffeId === true
        ? {}
        : { spiffeId: `spiffe://${pki.trustDomain}/client/tester` }),
      extendedKeyUsages: ['clientAuth'],
      ...overrides,
    });
    return clientCredentials(identity, `spiffe://${pki.trustDomain}/service/ledger`);
  }

  it('answers health over mTLS to a client with a mesh certificate', async () => {
    const response = await check(meshCredentialsFor('admin'));
    expect(response.status).to.equal(ServingStatus.SERVING);
  });

  it('lets an allowed principal call, and tells the handler who it is', async () => {
    const response = await rawEcho(server.address, meshCredentialsFor('payment'), { text: 'hi' });
    expect(response.principal).to.equal('service/payment');
    expect(response.text).to.equal('hi');
  });

  // Both the pinned floor in tls.ts and OpenSSL's default security level refuse it; this pins the
  // guarantee (TLS ≥ 1.2) whichever of them a platform relies on.
  it('refuses a client that offers nothing newer than TLS 1.1', async () => {
    const identity = testRun().pki.identity('admin');
    const [host, port] = server.address.split(':');
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({
        host,
        port: Number(port),
        ca: identity.caPem,
        cert: identity.certPem,
        key: identity.keyPem,
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1.1',
        ALPNProtocols: ['h2'],
        servername: 'localhost',
      });
      socket.once('secureConnect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (error: Error) => {
        resolve(error.message);
      });
    });
    expect(outcome).to.not.equal('connected');
  });

  it('refuses a plaintext client', async () => {
    expect(await refusalOf(grpc.credentials.createInsecure())).to.equal(grpc.status.UNAVAILABLE);
  });

  it('refuses a TLS client that presents no certificate', async () => {
    const credentials = grpc.credentials.createSsl(testRun().pki.identity('admin').caPem);
    expect(await refusalOf(credentials)).to.equal(grpc.status.UNAVAILABLE);
  });

  it('refuses a client whose certificate comes from another CA', async () => {
    const { pki } = testRun();
    const identity = await foreignIdentity('tester', pki.trustDomain, pki.authority.certPem);
    const credentials = clientCredentials(identity, `spiffe://${pki.trustDomain}/service/ledger`);
    expect(await refusalOf(credentials)).to.equal(grpc.status.UNAVAILABLE);
  });

  it('refuses an expired client certificate', async () => {
    const credentials = await issuedClient({
      notBefore: new Date(Date.now() - 30 * dayMs),
      notAfter: new Date(Date.now() - dayMs),
    });
    expect(await refusalOf(credentials)).to.equal(grpc.status.UNAVAILABLE);
  });

  it('refuses a client certificate that is not valid yet', async () => {
    const credentials = await issuedClient({
      notBefore: new Date(Date.now() + dayMs),
      notAfter: new Date(Date.now() + 30 * dayMs),
    });
    expect(await refusalOf(credentials)).to.equal(grpc.status.UNAVAILABLE);
  });

  it('refuses a certificate whose only extended key usage is serverAuth', async () => {
    const credentials = await issuedClient({ extendedKeyUsages: ['serverAuth'] });
    expect(await refusalOf(credentials)).to.equal(grpc.status.UNAVAILABLE);
  });

  it('answers UNAUTHENTICATED to a mesh certificate without a SPIFFE ID', async () => {
    const credentials = await issuedClient({ withoutSpiffeId: true });
    const failure = await serviceErrorOf(rawEcho(server.address, credentials, {}));
    expect(failure.code).to.equal(grpc.status.UNAUTHENTICATED);
    const details = decodeStatusDetails(failure.metadata);
    expect(details.errorInfo?.reason).to.equal('INVALID_PEER_IDENTITY');
  });

  it('answers UNAUTHENTICATED to a SPIFFE ID of another trust domain', async () => {
    const credentials = await issuedClient({ spiffeId: 'spiffe://example.org/client/tester' });
    expect(await refusalOf(credentials)).to.equal(grpc.status.UNAUTHENTICATED);
  });

  it('answers PERMISSION_DENIED / POLICY_DENIED to a principal the policy does not allow', async () => {
    const failure = await serviceErrorOf(rawEcho(server.address, meshCredentialsFor('demo'), {}));
    expect(failure.code).to.equal(grpc.status.PERMISSION_DENIED);
    const details = decodeStatusDetails(failure.metadata);
    expect(details.errorInfo).to.deep.equal({
      reason: 'POLICY_DENIED',
      domain: 'clearmesh',
      metadata: {},
    });
  });

  it('refuses to talk to a server that presents another SPIFFE ID than expected', async () => {
    const credentials = meshCredentialsFor('admin', 'service/payment');
    expect(await statusOf(check(credentials))).to.equal(grpc.status.UNAVAILABLE);
  });
});
