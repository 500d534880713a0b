// The partner SDK against a real gateway (real account service, payment stand-in): one token
// fetch shared by concurrent calls and reused until shortly before expiry, /oauth/token refusals
// as OAuthError, a refused token replaced and the unary call sent once more, server streaming,
// and the service's ErrorInfo readable from a ConnectError.
import { expect } from 'chai';
import { ConnectError } from '@connectrpc/connect';
import {
  Code,
  createPartnerClient,
  clientCredentialsTokenSource,
  ErrorInfoSchema,
  OAuthError,
  PaymentStatus,
  type TokenSource,
} from '../src/index.js';
import { testRun } from '../../../test/harness/test-run.js';
import {
  startGatewayTestMesh,
  type GatewayTestMesh,
  type PartnerCredential,
} from '../../../services/gateway/test/gateway-test-mesh.js';
import { caTrustingFetch } from '../../../services/gateway/test/mesh-processes.js';

describe('partner SDK', function () {
  let mesh: GatewayTestMesh;
  let partner: PartnerCredential;
  let fetchCounted: typeof globalThis.fetch;
  let tokenFetches: number;

  before(async function () {
    mesh = await startGatewayTestMesh({ schema: 'partner_sdk' });
    partner = await mesh.createPartner(['accounts:read', 'payments:read']);
    const fetchTrusting = caTrustingFetch(testRun().pki.identity('admin').caPem);
    fetchCounted = (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (url.endsWith('/oauth/token')) tokenFetches += 1;
      return fetchTrusting(input, init);
    };
  });

  beforeEach(function () {
    tokenFetches = 0;
  });

  after(async function () {
    await mesh.stop();
  });

  it('shares one token fetch among concurrent calls and refreshes it before it expires', async function () {
    let nowMs = Date.now();
    const tokens = clientCredentialsTokenSource({
      baseUrl: mesh.baseUrl,
      credentials: partner,
      fetch: fetchCounted,
      refreshMarginSeconds: 60,
      now: () => nowMs,
    });
    const first = await Promise.all([tokens.token(), tokens.token(), tokens.token()]);
    expect(new Set(first).size).to.equal(1);
    expect(tokenFetches).to.equal(1);
    nowMs += 539_000; // 600 s lifetime, 60 s margin: 1 s before the refresh point.
    expect(await tokens.token()).to.equal(first[0]);
    nowMs += 1_000;
    expect(await tokens.token()).to.not.equal(first[0]);
    expect(tokenFetches).to.equal(2);
  });

  it('rejects with OAuthError invalid_client for a wrong secret', async function () {
    const tokens = clientCredentialsTokenSource({
      baseUrl: mesh.baseUrl,
      credentials: { ...partner, clientSecret: 'wrong' },
      fetch: fetchCounted,
    });
    const error = await tokens.token().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).to.be.instanceOf(OAuthError);
    expect([(error as OAuthError).status, (error as OAuthError).error]).to.deep.equal([
      401,
      'invalid_client',
    ]);
  });

  it('replaces a token the gateway refuses and sends the unary call once more', async function () {
    const real = clientCredentialsTokenSource({
      baseUrl: mesh.baseUrl,
      credentials: partner,
      fetch: fetchCounted,
    });
    let stale = true;
    const tokens: TokenSource = {
      token: () => (stale ? Promise.resolve('stale.token.value') : real.token()),
      invalidate: () => {
        stale = false;
        real.invalidate();
      },
    };
    const client = createPartnerClient({ baseUrl: mesh.baseUrl, tokens, fetch: fetchCounted });
    const { payment } = await client.payments.getPayment({ paymentId: 'pay-sdk' });
    expect(payment?.paymentId).to.equal('pay-sdk');
    expect(stale).to.be.false;
  });

  it('streams WatchPayment updates to the final state', async function () {
    const client = createPartnerClient({
      baseUrl: mesh.baseUrl,
      credentials: partner,
      fetch: fetchCounted,
    });
    const statuses: PaymentStatus[] = [];
    for await (const update of client.payments.watchPayment({ paymentId: 'pay-sdk-watch' })) {
      statuses.push(update.payment?.status ?? PaymentStatus.UNSPECIFIED);
    }
    expect(statuses).to.deep.equal([
      PaymentStatus.PENDING,
      PaymentStatus.REQUIRES_CAPTURE,
      PaymentStatus.SUCCEEDED,
    ]);
  });

  it("surfaces the service's code and ErrorInfo reason on a ConnectError", async function () {
    const client = createPartnerClient({
      baseUrl: mesh.baseUrl,
      credentials: partner,
      fetch: fetchCounted,
    });
    const error = await client.payments.getPayment({ paymentId: 'missing' }).then(
      () => undefined,
      (reason: unknown) => ConnectError.from(reason),
    );
    expect(error?.code).to.equal(Code.NotFound);
    expect(error?.findDetails(ErrorInfoSchema).map((info) => info.reason)).to.deep.equal([
      'PAYMENT_NOT_FOUND',
    ]);
  });
});
