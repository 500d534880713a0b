// Partners' credentials at the gateway: POST /oauth/token (client_secret_basic and _post, scope,
// the RFC 6749 §5.2 errors, revoked partners), the JWKS, and the bearer-token matrix of grpc-web
// calls — each forged or stale token refused UNAUTHENTICATED before anything reaches the mesh,
// a token without the RPC's scope refused PERMISSION_DENIED. Forged tokens are signed with the
// account service's real signing key read from its schema, so only the claim under test is wrong.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { createPublicKey } from 'node:crypto';
import {
  base64url,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type CryptoKey,
  type JWK,
} from 'jose';
import { GetPaymentRequest } from '../../../gen/grpc-js/clearmesh/payment/v1/payment_service.js';
import { SigningKeySeal } from '../../account/src/signing-key-seal.js';
import { newestActiveSigningKey } from '../../account/src/store/index.js';
import { testSigningKeySecrets } from '../../account/test/account-test-mesh.js';
import {
  accessTokenFor,
  rawRequest,
  requestToken,
  startGatewayTestMesh,
  type GatewayTestMesh,
  type PartnerCredential,
} from './gateway-test-mesh.js';
import { grpcWebCall } from './grpc-web-test-client.js';

const getPayment = '/clearmesh.payment.v1.PaymentService/GetPayment';
const allScopes = ['accounts:read', 'accounts:write', 'payments:read', 'payments:write'];
const request = GetPaymentRequest.encode({ paymentId: 'pay-auth' }).finish();

describe('gateway OAuth2 token endpoint and bearer tokens', function () {
  let mesh: GatewayTestMesh;
  let partner: PartnerCredential;
  let signingKey: { kid: string; privateKey: CryptoKey | Uint8Array; publicJwk: JWK };

  before(async function () {
    mesh = await startGatewayTestMesh({ schema: 'gateway_auth' });
    partner = await mesh.createPartner(allScopes);
    // A first token makes the account service create its signing key.
    await accessTokenFor(mesh.baseUrl, partner);
    const stored = await newestActiveSigningKey(mesh.accounts.db);
    if (stored === undefined) throw new Error('no signing key');
    signingKey = {
      kid: stored.kid,
      privateKey: await importJWK(
        new SigningKeySeal(testSigningKeySecrets).open(
          stored.kid,
          stored.privateKeySealed ?? '',
        ) as JWK,
        'ES256',
      ),
      publicJwk: stored.publicJwk,
    };
  });

  after(async function () {
    await mesh.stop();
  });

  /** A token exactly as the account service issues one, with `claims` and `header` changed. */
  async function forge(
    claims: Record<string, unknown> = {},
    header: Record<string, unknown> = {},
    key: CryptoKey | Uint8Array = signingKey.privateKey,
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1_000);
    return new SignJWT({
      iss: 'clearmesh',
      aud: 'clearmesh',
      sub: partner.partnerId,
      client_id: partner.clientId,
      scope: allScopes.join(' '),
      iat: now,
      exp: now + 600,
      jti: 'forged',
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: signingKey.kid, ...header })
      .sign(key);
  }

  async function statusWith(token: string): Promise<{ code: number; reason: string | undefined }> {
    const result = await grpcWebCall(mesh.baseUrl, getPayment, request, { token });
    return { code: result.code, reason: result.details.errorInfo?.reason };
  }

  const unauthenticated = { code: grpc.status.UNAUTHENTICATED, reason: 'INVALID_CLIENT' };

  describe('POST /oauth/token', function () {
    it('issues a Bearer token with every scope of the partner (client_secret_basic)', async function () {
      const { status, body } = await requestToken(mesh.baseUrl, partner);
      expect(status).to.equal(200);
      expect(body).to.include({
        token_type: 'Bearer',
        expires_in: 600,
        scope: allScopes.join(' '),
      });
      expect(body['access_token']).to.be.a('string');
      expect(await statusWith(String(body['access_token']))).to.deep.equal({
        code: grpc.status.OK,
        reason: undefined,
      });
    });

    it('accepts client_secret_post and a narrower scope', async function () {
      const response = await rawRequest(`${mesh.baseUrl}/oauth/token`, {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: partner.clientId,
          client_secret: partner.clientSecret,
          scope: 'payments:read',
        }).toString(),
      });
      expect(response.status).to.equal(200);
      expect(response.headers['cache-control']).to.equal('no-store');
      expect(JSON.parse(response.body.toString())).to.include({ scope: 'payments:read' });
    });

    it('answers the RFC 6749 §5.2 errors', async function () {
      const wrongSecret = await requestToken(mesh.baseUrl, { ...partner, clientSecret: 'nope' });
      expect([wrongSecret.status, wrongSecret.body['error']]).to.deep.equal([
        401,
        'invalid_client',
      ]);
      const unknownScope = await requestToken(mesh.baseUrl, partner, {
        grant_type: 'client_credentials',
        scope: 'ledger:write',
      });
      expect([unknownScope.status, unknownScope.body['error']]).to.deep.equal([
        400,
        'invalid_scope',
      ]);
      const grant = await requestToken(mesh.baseUrl, partner, { grant_type: 'password' });
      expect([grant.status, grant.body['error']]).to.deep.equal([400, 'unsupported_grant_type']);
      const noGrant = await requestToken(mesh.baseUrl, partner, {});
      expect([noGrant.status, noGrant.body['error']]).to.deep.equal([400, 'invalid_request']);
      const both = await rawRequest(`${mesh.baseUrl}/oauth/token`, {
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${partner.clientId}:${partner.clientSecret}`).toString('base64')}`,
        },
        body: `grant_type=client_credentials&client_id=${partner.clientId}`,
      });
      expect([
        both.status,
        (JSON.parse(both.body.toString()) as { error: string }).error,
      ]).to.deep.equal([400, 'invalid_request']);
      const none = await rawRequest(`${mesh.baseUrl}/oauth/token`, {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      expect(none.status).to.equal(401);
      expect(none.headers['www-authenticate']).to.match(/^Basic /);
    });

    it('refuses a scope the partner lacks with invalid_scope', async function () {
      const reader = await mesh.createPartner(['accounts:read']);
      const { status, body } = await requestToken(mesh.baseUrl, reader, {
        grant_type: 'client_credentials',
        scope: 'payments:write',
      });
      expect([status, body['error']]).to.deep.equal([400, 'invalid_scope']);
    });

    it("refuses a revoked partner's fresh login with invalid_client", async function () {
      const revoked = await mesh.createPartner(['payments:read']);
      await accessTokenFor(mesh.baseUrl, revoked);
      await mesh.admin.call.revokePartner({ partnerId: revoked.partnerId });
      const { status, body } = await requestToken(mesh.baseUrl, revoked);
      expect([status, body['error']]).to.deep.equal([401, 'invalid_client']);
    });

    it('serves the JWKS the account service publishes, public keys only', async function () {
      const response = await rawRequest(`${mesh.baseUrl}/.well-known/jwks.json`, { method: 'GET' });
      expect(response.status).to.equal(200);
      const { keys } = JSON.parse(response.body.toString()) as { keys: JWK[] };
      expect(keys.map((key) => key.kid)).to.include(signingKey.kid);
      expect(keys.every((key) => key.d === undefined)).to.be.true;
    });
  });

  describe('bearer token matrix', function () {
    it('accepts a well-formed token (the control for every refusal below)', async function () {
      expect(await statusWith(await forge())).to.deep.equal({
        code: grpc.status.OK,
        reason: undefined,
      });
    });

    it('refuses a call without a token', async function () {
      const result = await grpcWebCall(mesh.baseUrl, getPayment, request);
      expect({ code: result.code, reason: result.details.errorInfo?.reason }).to.deep.equal(
        unauthenticated,
      );
    });

    it('refuses alg none', async function () {
      const header = base64url.encode(
        JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: signingKey.kid }),
      );
      const valid = await forge();
      const payload = valid.split('.')[1] ?? '';
      expect(await statusWith(`${header}.${payload}.`)).to.deep.equal(unauthenticated);
    });

    it('refuses HS256 signed with the public key as the HMAC secret', async function () {
      const publicPem = createPublicKey({ key: signingKey.publicJwk, format: 'jwk' })
        .export({ type: 'spki', format: 'pem' })
        .toString();
      for (const secret of [
        Buffer.from(publicPem),
        Buffer.from(JSON.stringify(signingKey.publicJwk)),
      ]) {
        const token = await forge({}, { alg: 'HS256' }, new Uint8Array(secret));
        expect(await statusWith(token)).to.deep.equal(unauthenticated);
      }
    });

    it('refuses an unknown kid, and our kid on a key that is not ours', async function () {
      const { privateKey } = await generateKeyPair('ES256');
      expect(
        await statusWith(await forge({}, { kid: 'not-a-key-of-ours' }, privateKey)),
      ).to.deep.equal(unauthenticated);
      expect(await statusWith(await forge({}, {}, privateKey))).to.deep.equal(unauthenticated);
    });

    it('never takes a key from the token itself (jwk, jku headers)', async function () {
      const { privateKey, publicKey } = await generateKeyPair('ES256');
      const header = { jwk: await exportJWK(publicKey), jku: 'https://127.0.0.1:1/jwks.json' };
      expect(await statusWith(await forge({}, header, privateKey))).to.deep.equal(unauthenticated);
    });

    it('accepts a token expired 29 s ago and refuses one expired 31 s ago (30 s leeway)', async function () {
      // Rounded up: the check reads whole seconds too, and a second may tick before it runs; with
      // the next whole second here, 29 s stays under the leeway unless a whole second passes.
      const now = Math.ceil(Date.now() / 1_000);
      expect(await statusWith(await forge({ iat: now - 629, exp: now - 29 }))).to.deep.equal({
        code: grpc.status.OK,
        reason: undefined,
      });
      expect(await statusWith(await forge({ iat: now - 631, exp: now - 31 }))).to.deep.equal(
        unauthenticated,
      );
    });

    it('refuses a token not valid before 31 s from now', async function () {
      const now = Math.ceil(Date.now() / 1_000);
      expect(await statusWith(await forge({ nbf: now + 31 }))).to.deep.equal(unauthenticated);
    });

    const wrongClaims: [string, Record<string, unknown>, Record<string, unknown>][] = [
      ['iss', { iss: 'https://other-issuer.example' }, {}],
      ['aud', { aud: 'other-audience' }, {}],
      ['typ', {}, { typ: 'JWT' }],
      ['sub', { sub: undefined }, {}],
    ];
    for (const [name, claims, header] of wrongClaims) {
      it(`refuses a wrong or missing ${name}`, async function () {
        expect(await statusWith(await forge(claims, header))).to.deep.equal(unauthenticated);
      });
    }

    it('refuses a token without the scope of the RPC with PERMISSION_DENIED', async function () {
      const token = await accessTokenFor(mesh.baseUrl, partner, 'accounts:read');
      expect(await statusWith(token)).to.deep.equal({
        code: grpc.status.PERMISSION_DENIED,
        reason: 'POLICY_DENIED',
      });
    });

    it('counts refused tokens by reason on /metrics', async function () {
      const text = await mesh.registry.metrics();
      for (const reason of ['missing', 'expired', 'unknown_key', 'claim_iss', 'algorithm']) {
        expect(text).to.match(
          new RegExp(`clearmesh_gateway_token_rejections_total\\{reason="${reason}"\\} [1-9]`),
        );
      }
    });

    it('never forwards a refused call', function () {
      // Only the accepted calls above reached the payment service.
      const partners = new Set(mesh.paymentCalls.map((call) => call.partner?.partnerId));
      expect([...partners]).to.deep.equal([partner.partnerId]);
      expect(mesh.paymentCalls.length).to.equal(3);
    });
  });
});
