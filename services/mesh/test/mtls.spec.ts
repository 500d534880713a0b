// A mesh server speaks only mutual TLS: health succeeds for a client with a certificate of the
// mesh CA, and every other client — plaintext, no certificate, another CA's certificate — is
// refused before any RPC runs.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthClient,
} from '../../../gen/grpc-js/health/v1/health.js';
import type { MeshServer } from '../src/server.js';
import { clientCredentials } from '../src/tls.js';
import { foreignIdentity } from '../../../test/harness/test-pki.js';
import { testRun } from '../../../test/harness/test-run.js';
import { startTestServer, statusOf, unaryCall } from '../../../test/harness/test-server.js';

describe('mesh server mTLS', () => {
  let server: MeshServer;
  const clients: grpc.Client[] = [];

  before(async () => {
    server = await startTestServer({ services: [] });
  });

  after(async () => {
    for (const client of clients) client.close();
    await server.shutdown(0);
  });

  function healthClient(credentials: grpc.ChannelCredentials): HealthClient {
    const client = new HealthClient(server.address, credentials);
    clients.push(client);
    return client;
  }

  function check(client: HealthClient): Promise<unknown> {
    return unaryCall(client.check.bind(client), { service: '' });
  }

  it('answers health over mTLS to a client with a mesh certificate', async () => {
    const { pki } = testRun();
    const client = healthClient(
      clientCredentials(pki.identity('admin'), `spiffe://${pki.trustDomain}/service/ledger`),
    );
    const response = await unaryCall(client.check.bind(client), { service: '' });
    expect(response.status).to.equal(ServingStatus.SERVING);
  });

  it('refuses a plaintext client', async () => {
    const client = healthClient(grpc.credentials.createInsecure());
    expect(await statusOf(check(client))).to.equal(grpc.status.UNAVAILABLE);
  });

  it('refuses a TLS client that presents no certificate', async () => {
    const client = healthClient(grpc.credentials.createSsl(testRun().pki.identity('admin').caPem));
    expect(await statusOf(check(client))).to.equal(grpc.status.UNAVAILABLE);
  });

  it('refuses a client whose certificate comes from another CA', async () => {
    const { pki } = testRun();
    const identity = await foreignIdentity('intruder', pki.trustDomain, pki.authority.certPem);
    const client = healthClient(
      clientCredentials(identity, `spiffe://${pki.trustDomain}/service/ledger`),
    );
    expect(await statusOf(check(client))).to.equal(grpc.status.UNAVAILABLE);
  });

  it('refuses to talk to a server that presents another SPIFFE ID than expected', async () => {
    const { pki } = testRun();
    const client = healthClient(
      clientCredentials(pki.identity('admin'), `spiffe://${pki.trustDomain}/service/payment`),
    );
    expect(await statusOf(check(client))).to.equal(grpc.status.UNAVAILABLE);
  });
});
