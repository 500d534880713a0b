// Third-party login (SPEC §5): tokens of an issuer the operator trusts, through the real gateway.
// The issuer is a real JWKS endpoint on this machine; its RS256 tokens act as the partner their
// subject is mapped to, with at most the scopes the file grants, and every other token of it — an
// unmapped subject, another audience, an algorithm or key the file does not allow, an expired
// one, an issuer nobody configured — is UNAUTHENTICATED. A JWKS that cannot be fetched is ours:
// UNAVAILABLE. The file itself is checked at start, one clear line per mistake.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import {
  ListAccountsRequest,
  OpenAccountRequest,
} from '../../../gen/grpc-js/clearmesh/account/v1/account_service.js';
import { AccountKind } from '../../../gen/grpc-js/clearmesh/account/v1/account.js';
import { freePort } from '../../../test/harness/free-port.js';
import { ConfigError } from '../../mesh/src/config.js';
import { loadTrustedIssuers, parseTrustedIssuers } from '../src/trusted-issuers.js';
import { startGatewayTestMesh, type GatewayTestMesh } from './gateway-test-mesh.js';
import { grpcWebCall } from './grpc-web-test-client.js';

const issuer = 'https://login.bank.test';
const audience = 'clearmesh-gateway';
const subject = 'svc-payments@bank.test';
const service = '/clearmesh.account.v1.AccountService';
const listAccounts = ListAccountsRequest.encode({
  ownerId: '',
  pageSize: 0,
  pageToken: '',
}).finish();

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

async function signingKey(algorithm: 'RS256' | 'ES256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true });
  const kid = `${algorithm}-${randomUUID()}`;
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: algorithm } };
}

/** A JWKS endpoint on 127.0.0.1 serving `keys`. */
async function jwksServer(keys: readonly JWK[]): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no JWKS address');
  return { url: `http://127.0.0.1:${address.port}/jwks.json`, server };
}

describe('gateway: tokens of trusted third-party issuers', function () {
  const partnerId = randomUUID();
  let mesh: GatewayTestMesh;
  let jwks: Server;
  let rsa: SigningKey;
  let ec: SigningKey;

  before(async function () {
    [rsa, ec] = [await signingKey('RS256'), await signingKey('ES256')];
    const served = await jwksServer([rsa.publicJwk, ec.publicJwk]);
    jwks = served.server;
    const unreachable = `http://127.0.0.1:${await freePort()}/jwks.json`;
    const trustedIssuers = parseTrustedIssuers(
      {
        issuers: [
          {
            issuer,
            jwksUri: served.url,
            audience,
            algorithms: ['RS256'],
            subjects: { [subject]: { partnerId, scopes: ['accounts:read', 'payments:read'] } },
          },
          {
            issuer: 'https://down.bank.test',
            jwksUri: unreachable,
            audience,
            algorithms: ['RS256'],
            subjects: { [subject]: { partnerId, scopes: ['accounts:read'] } },
          },
        ],
      },
      'test issuers',
      'clearmesh',
    );
    mesh = await startGatewayTestMesh({ schema: 'gateway_trusted', config: { trustedIssuers } });
  });

  after(async function () {
    await mesh.stop();
    await new Promise((resolve) => jwks.close(resolve));
  });

  async function token(
    claims: Record<string, unknown> = {},
    key: SigningKey = rsa,
    algorithm = 'RS256',
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1_000);
    return new SignJWT({
      iss: issuer,
      aud: audience,
      sub: subject,
      iat: now,
      exp: now + 300,
      scope: 'accounts:read payments:read',
      ...claims,
    })
      .setProtectedHeader({ alg: algorithm, kid: key.kid })
      .sign(key.privateKey);
  }

  async function call(bearer: string, path = `${service}/ListAccounts`, body = listAccounts) {
    const result = await grpcWebCall(mesh.baseUrl, path, body, { token: bearer });
    return { code: result.code, reason: result.details.errorInfo?.reason };
  }

  const refused = { code: grpc.status.UNAUTHENTICATED, reason: 'INVALID_CLIENT' };

  it('acts as the partner its subject is mapped to', async function () {
    expect(await call(await token())).to.deep.equal({ code: grpc.status.OK, reason: undefined });
    // A scope claim as an array (`scp`, as some providers write it) works the same.
    const scp = await token({ scope: undefined, scp: ['accounts:read'] });
    expect(await call(scp)).to.deep.equal({ code: grpc.status.OK, reason: undefined });
  });

  it('grants no more than the file allows, and no more than the token names', async function () {
    const open = OpenAccountRequest.encode({
      requestId: `open-${randomUUID()}`,
      ownerId: partnerId,
      currency: 'EUR',
      kind: AccountKind.ACCOUNT_KIND_CUSTOMER,
      overdraftLimit: 0n,
      displayName: 'Third-party login',
      metadata: {},
    }).finish();
    const everything = await token({ scope: 'accounts:read accounts:write payments:write' });
    expect((await call(everything, `${service}/OpenAccount`, open)).code).to.equal(
      grpc.status.PERMISSION_DENIED,
    );
    const paymentsOnly = await token({ scope: 'payments:read' });
    expect((await call(paymentsOnly)).code).to.equal(grpc.status.PERMISSION_DENIED);
    // A scope claim of no known shape names nothing: it does not fall back to the file's scopes.
    const oddShape = await token({ scope: 42 });
    expect((await call(oddShape)).code).to.equal(grpc.status.PERMISSION_DENIED);
  });

  it('refuses an unmapped subject, another audience, an expired token, an unknown issuer', async function () {
    const now = Math.floor(Date.now() / 1_000);
    for (const claims of [
      { sub: 'someone-else@bank.test' },
      { aud: 'another-api' },
      { iat: now - 700, exp: now - 31 },
      { iss: 'https://unknown.example' },
      { iss: 'clearmesh' }, // our own issuer: only our own keys verify it
    ]) {
      expect(await call(await token(claims)), JSON.stringify(claims)).to.deep.equal(refused);
    }
    expect(await mesh.registry.metrics()).to.match(
      /clearmesh_gateway_token_rejections_total\{reason="unknown_subject"\} [1-9]/,
    );
  });

  it('refuses a key or an algorithm the file does not allow', async function () {
    // ES256 is in the issuer's JWKS, but the file allows RS256 only.
    expect(await call(await token({}, ec, 'ES256'))).to.deep.equal(refused);
    const stranger = await signingKey('RS256'); // in no JWKS
    expect(await call(await token({}, stranger))).to.deep.equal(refused);
    const hmac = await new SignJWT({ iss: issuer, aud: audience, sub: subject, exp: 2e9 })
      .setProtectedHeader({ alg: 'HS256', kid: rsa.kid })
      .sign(new TextEncoder().encode('a shared secret the issuer never had'));
    expect(await call(hmac)).to.deep.equal(refused);
  });

  it('answers UNAVAILABLE when the issuer’s JWKS cannot be fetched', async function () {
    const down = await token({ iss: 'https://down.bank.test' });
    expect(await call(down)).to.deep.equal({
      code: grpc.status.UNAVAILABLE,
      reason: 'DEPENDENCY_UNAVAILABLE',
    });
  });
});

describe('gateway: the trusted issuers file', function () {
  const valid = {
    issuer,
    jwksUri: 'https://login.bank.test/jwks.json',
    audience,
    algorithms: ['RS256'],
    subjects: { [subject]: { partnerId: randomUUID(), scopes: ['payments:read'] } },
  };
  const parse = (issuers: unknown[]) =>
    parseTrustedIssuers({ issuers }, 'issuers.json', 'clearmesh');

  it('reads a valid file, with the scopes in SPEC order', function () {
    const [read] = parse([
      {
        ...valid,
        subjects: { a: { partnerId: 'p-1', scopes: ['payments:read', 'accounts:read'] } },
      },
    ]);
    expect(read?.jwksUri.href).to.equal(valid.jwksUri);
    expect(read?.subjects.get('a')).to.deep.equal({
      partnerId: 'p-1',
      scopes: ['accounts:read', 'payments:read'],
    });
  });

  it('refuses each mistake with one line naming it', function () {
    const mistakes: [unknown, RegExp][] = [
      [{ ...valid, issuer: 'clearmesh' }, /issuers\[0\] is the gateway's own issuer/],
      [{ ...valid, jwksUri: 'http://login.bank.test/jwks.json' }, /needs an https "jwksUri"/],
      [{ ...valid, jwksUri: 'not a url' }, /not a URL/],
      [{ ...valid, algorithms: ['HS256'] }, /needs "algorithms" from RS256/],
      [{ ...valid, algorithms: [] }, /needs "algorithms"/],
      [{ ...valid, audience: '' }, /needs "audience"/],
      [{ ...valid, subjects: {} }, /maps no subject/],
      [{ ...valid, subjects: { a: { partnerId: 'p 1', scopes: [] } } }, /no valid "partnerId"/],
      [{ ...valid, subjects: { a: { partnerId: 'p', scopes: ['admin'] } } }, /"scopes" other/],
    ];
    for (const [entry, message] of mistakes) {
      expect(() => parse([entry]), message.source).to.throw(ConfigError, message);
    }
    expect(() => parse([valid, valid])).to.throw(ConfigError, /repeats the issuer/);
    expect(() => parseTrustedIssuers({}, 'issuers.json', 'clearmesh')).to.throw(/no "issuers"/);
  });

  it('reads the file GATEWAY_TRUSTED_ISSUERS_FILE names, and refuses one it cannot read', async function () {
    const folder = await mkdtemp(join(tmpdir(), 'clearmesh-issuers-'));
    try {
      const path = join(folder, 'issuers.json');
      await writeFile(path, JSON.stringify({ issuers: [valid] }));
      expect(loadTrustedIssuers(path, 'clearmesh').map((read) => read.issuer)).to.deep.equal([
        issuer,
      ]);
      expect(loadTrustedIssuers(undefined, 'clearmesh')).to.deep.equal([]);
      await writeFile(path, '{ not json');
      expect(() => loadTrustedIssuers(path, 'clearmesh')).to.throw(ConfigError, /is not JSON/);
      expect(() => loadTrustedIssuers(join(folder, 'missing.json'), 'clearmesh')).to.throw(
        ConfigError,
        /cannot be read/,
      );
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
