// Each partner stays inside its own accounts and its own rate, through the real account service:
// another partner's account is NOT_FOUND, opening for another owner or a SETTLEMENT account is
// PERMISSION_DENIED, and a partner past its burst — on any gateway replica — gets
// RESOURCE_EXHAUSTED / RATE_LIMITED while another partner is still served.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { AccountKind } from '../../../gen/grpc-js/clearmesh/account/v1/account.js';
import {
  GetAccountRequest,
  ListAccountsRequest,
  ListAccountsResponse,
  OpenAccountRequest,
  OpenAccountResponse,
} from '../../../gen/grpc-js/clearmesh/account/v1/account_service.js';
import {
  accessTokenFor,
  rawRequest,
  startGatewayTestMesh,
  type GatewayTestMesh,
} from './gateway-test-mesh.js';
import { grpcWebCall } from './grpc-web-test-client.js';

const service = '/clearmesh.account.v1.AccountService';
const burst = 8;
const tokenBurst = 20;
const tokenRatePerSecond = 1;

function openRequest(ownerId: string, kind = AccountKind.ACCOUNT_KIND_CUSTOMER): Uint8Array {
  return OpenAccountRequest.encode({
    requestId: `open-${randomUUID()}`,
    ownerId,
    currency: 'EUR',
    kind,
    overdraftLimit: 0n,
    displayName: 'Partner account',
    metadata: {},
  }).finish();
}

describe('gateway partner isolation and rate limits', function () {
  let mesh: GatewayTestMesh;

  before(async function () {
    mesh = await startGatewayTestMesh({
      schema: 'gateway_isolation',
      config: {
        rateLimitPerSecond: 1,
        rateLimitBurst: burst,
        tokenEndpointRatePerSecond: tokenRatePerSecond,
        tokenEndpointBurst: tokenBurst,
      },
    });
  });

  after(async function () {
    await mesh.stop();
  });

  async function newPartner(): Promise<{ partnerId: string; token: string }> {
    const partner = await mesh.createPartner(['accounts:read', 'accounts:write']);
    return { partnerId: partner.partnerId, token: await accessTokenFor(mesh.baseUrl, partner) };
  }

  it("answers NOT_FOUND for another partner's account, and lists only a partner's own", async function () {
    const owner = await newPartner();
    const other = await newPartner();
    const opened = await grpcWebCall(
      mesh.baseUrl,
      `${service}/OpenAccount`,
      openRequest(owner.partnerId),
      {
        token: owner.token,
      },
    );
    expect(opened.code).to.equal(grpc.status.OK);
    const accountId =
      OpenAccountResponse.decode(opened.messages[0] ?? Buffer.alloc(0)).account?.accountId ?? '';
    const get = (token: string) =>
      grpcWebCall(
        mesh.baseUrl,
        `${service}/GetAccount`,
        GetAccountRequest.encode({ accountId }).finish(),
        {
          token,
        },
      );
    expect((await get(owner.token)).code).to.equal(grpc.status.OK);
    const foreign = await get(other.token);
    expect([foreign.code, foreign.details.errorInfo?.reason]).to.deep.equal([
      grpc.status.NOT_FOUND,
      'ACCOUNT_NOT_FOUND',
    ]);
    const listed = await grpcWebCall(
      mesh.baseUrl,
      `${service}/ListAccounts`,
      ListAccountsRequest.encode({ ownerId: '', pageSize: 0, pageToken: '' }).finish(),
      { token: other.token },
    );
    expect(
      ListAccountsResponse.decode(listed.messages[0] ?? Buffer.alloc(0)).accounts,
    ).to.deep.equal([]);
  });

  it('refuses OpenAccount for another owner or of SETTLEMENT kind with PERMISSION_DENIED', async function () {
    const partner = await newPartner();
    for (const body of [
      openRequest('someone-else'),
      openRequest(partner.partnerId, AccountKind.ACCOUNT_KIND_SETTLEMENT),
    ]) {
      const result = await grpcWebCall(mesh.baseUrl, `${service}/OpenAccount`, body, {
        token: partner.token,
      });
      expect([result.code, result.details.errorInfo?.reason]).to.deep.equal([
        grpc.status.PERMISSION_DENIED,
        'POLICY_DENIED',
      ]);
    }
  });

  it('refuses a partner past its burst with RESOURCE_EXHAUSTED / RATE_LIMITED, and serves others', async function () {
    const busy = await newPartner();
    const calm = await newPartner();
    const list = ListAccountsRequest.encode({ ownerId: '', pageSize: 0, pageToken: '' }).finish();
    const call = (token: string) =>
      grpcWebCall(mesh.baseUrl, `${service}/ListAccounts`, list, { token });
    const startedAt = performance.now();
    const results = await Promise.all(Array.from({ length: burst + 4 }, () => call(busy.token)));
    // Refill is 1/s: a slow run earns a token per second while the burst is sent.
    const refilled = Math.ceil((performance.now() - startedAt) / 1_000);
    const codes = results.map((result) => result.code);
    const ok: number = grpc.status.OK;
    const exhausted: number = grpc.status.RESOURCE_EXHAUSTED;
    expect(codes.filter((code) => code === ok).length).to.be.within(burst, burst + refilled);
    expect(refilled).to.be.below(4); // else nothing above could have been refused
    const limited = results.find((result) => result.code === exhausted);
    expect(limited?.details.errorInfo?.reason).to.equal('RATE_LIMITED');
    expect(Number(limited?.details.errorInfo?.metadata['retry_after_ms'])).to.be.within(1, 1_000);
    expect((await call(calm.token)).code).to.equal(grpc.status.OK);
    expect(await mesh.registry.metrics()).to.match(
      /clearmesh_gateway_rate_limited_total\{route="grpc_web"\} [1-9]/,
    );
  });

  it('shares a partner’s burst between gateway replicas (the limit is the deployment’s)', async function () {
    const partner = await newPartner();
    const replica = await mesh.startReplica();
    const list = ListAccountsRequest.encode({ ownerId: '', pageSize: 0, pageToken: '' }).finish();
    const startedAt = performance.now();
    // Alternating replicas: per-replica buckets would serve twice the burst.
    const results = await Promise.all(
      Array.from({ length: 2 * burst }, (_unused, index) =>
        grpcWebCall(
          index % 2 === 0 ? mesh.baseUrl : replica.baseUrl,
          `${service}/ListAccounts`,
          list,
          { token: partner.token },
        ),
      ),
    );
    const refilled = Math.ceil((performance.now() - startedAt) / 1_000);
    const codes: number[] = results.map((result) => result.code);
    const [ok, exhausted]: number[] = [grpc.status.OK, grpc.status.RESOURCE_EXHAUSTED];
    const served = codes.filter((code) => code === ok).length;
    expect(refilled).to.be.below(burst); // else per-replica buckets could not be told apart
    expect(served).to.be.within(burst, burst + refilled);
    expect(codes.filter((code) => code === exhausted)).to.have.length(results.length - served);
  });

  // Last: it spends this address's token-endpoint bucket.
  it('limits token requests per client address with 429 temporarily_unavailable', async function () {
    const attempt = () =>
      rawRequest(`${mesh.baseUrl}/oauth/token`, {
        headers: { 'content-type': 'text/plain' },
        body: 'grant_type=client_credentials',
      });
    const startedAt = performance.now();
    const statuses = (await Promise.all(Array.from({ length: 40 }, attempt))).map(
      (response) => response.status,
    );
    const refilled = Math.ceil((performance.now() - startedAt) / 1_000) * tokenRatePerSecond;
    // The burst, less what earlier tests here spent, plus what refilled while these were sent.
    const served = statuses.filter((status) => status === 400).length;
    expect(served).to.be.within(1, tokenBurst + refilled);
    expect(statuses.filter((status) => status === 429).length).to.equal(40 - served);
  });
});
