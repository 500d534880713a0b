// The gateway's pure parts, with their clocks and key source in the test's hands: -text base64
// chunks, grpc-timeout, the token bucket, and the JWKS cache of the token verifier (an unknown kid
// refreshes at most once per interval, concurrent refreshes are one, a rotated key is picked up).
import { expect } from 'chai';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { AccessTokenVerifier, TokenRejection } from '../src/access-tokens.js';
import { ConfigError } from '../../mesh/src/config.js';
import { gatewayConfigDefaults, readGatewayConfig } from '../src/config.js';
import { CorsPolicy } from '../src/cors.js';
import {
  decodeBase64Chunks,
  parseGrpcTimeout,
  percentEncodeMessage,
} from '../src/grpc-web-framing.js';
import { TokenBucketLimiter } from '../src/rate-limiter.js';

describe('gateway building blocks', function () {
  describe('-text base64', function () {
    it('decodes chunks padded mid-stream, and refuses padding that is not a chunk end', function () {
      const chunks = ['A', 'BC', 'DEF', 'GHIJ'].map((text) => Buffer.from(text).toString('base64'));
      expect(chunks.join('')).to.equal('QQ==QkM=REVGR0hJSg==');
      expect(decodeBase64Chunks(chunks.join(''))?.toString()).to.equal('ABCDEFGHIJ');
      expect(decodeBase64Chunks('QQ==\r\nQkM=')?.toString()).to.equal('ABC');
      for (const bad of ['QQ=', 'Q===', 'QUFB=', '=QQ==', 'QQ==Q', 'Q$==']) {
        expect(decodeBase64Chunks(bad), bad).to.equal(undefined);
      }
    });
  });

  it('reads grpc-timeout in every unit, and refuses malformed values', function () {
    expect(['1H', '2M', '3S', '250m', '1500u', '1n'].map(parseGrpcTimeout)).to.deep.equal([
      3_600_000, 120_000, 3_000, 250, 2, 1,
    ]);
    expect(parseGrpcTimeout(undefined)).to.equal(undefined);
    for (const bad of ['', '1', 'S', '123456789S', '1s', '-1S', '1.5S']) {
      expect(parseGrpcTimeout(bad), bad).to.equal('invalid');
    }
  });

  it('percent-encodes grpc-message outside printable ASCII and %', function () {
    expect(percentEncodeMessage('50% off: café\n')).to.equal('50%25 off: caf%C3%A9%0A');
  });

  it('allows configured origins: exact, or any port for host:*', function () {
    const cors = new CorsPolicy(['https://bank.example', 'http://localhost:*']);
    expect(
      ['https://bank.example', 'http://localhost:1', 'http://localhost:65535'].map((o) =>
        cors.allows(o),
      ),
    ).to.deep.equal([true, true, true]);
    const refused = [
      'https://bank.example:8443',
      'http://localhost',
      'http://localhost:12x',
      'http://localhost.evil:80',
      'https://localhost:3000',
    ];
    expect(refused.map((o) => cors.allows(o))).to.deep.equal(refused.map(() => false));
  });

  it('reads its settings from the environment, with the SPEC defaults', function () {
    const defaults = readGatewayConfig({});
    expect(defaults).to.deep.include({
      accountAddress: '127.0.0.1:50051',
      paymentAddress: '127.0.0.1:50053',
      corsOrigins: ['http://localhost:*', 'http://127.0.0.1:*'],
      rateLimitPerSecond: 50,
      rateLimitBurst: 100,
      tokenLeewaySeconds: 30,
    });
    expect(defaults).to.deep.include(gatewayConfigDefaults);
    const configured = readGatewayConfig({
      GATEWAY_CORS_ORIGINS: 'https://bank.example, http://localhost:*',
      GATEWAY_RATE_LIMIT_PER_SECOND: '5',
      PAYMENT_ADDR: '0.0.0.0:50053',
      PAYMENT_TARGET: 'payment:50053',
    });
    expect(configured.paymentAddress).to.equal('payment:50053');
    expect(configured.corsOrigins).to.deep.equal(['https://bank.example', 'http://localhost:*']);
    expect(configured.rateLimitPerSecond).to.equal(5);
    expect(() => readGatewayConfig({ GATEWAY_CORS_ORIGINS: '*' })).to.throw(ConfigError);
    expect(() => readGatewayConfig({ GATEWAY_TOKEN_LEEWAY_SECONDS: '31' })).to.throw(ConfigError);
  });

  it('lets a burst through, then refills at the configured rate', function () {
    let nowMs = 0;
    const limiter = new TokenBucketLimiter({ ratePerSecond: 2, burst: 3 }, () => nowMs);
    const takes = () => [1, 2, 3, 4].map(() => limiter.take('p').allowed);
    expect(takes()).to.deep.equal([true, true, true, false]);
    expect(limiter.take('p')).to.deep.equal({ allowed: false, retryAfterMs: 500 });
    nowMs = 500;
    expect([limiter.take('p').allowed, limiter.take('p').allowed]).to.deep.equal([true, false]);
    expect(limiter.take('other').allowed).to.be.true;
  });

  it('keeps at most keysMax buckets, dropping the least recently used', function () {
    const limiter = new TokenBucketLimiter({ ratePerSecond: 1, burst: 1, keysMax: 2 }, () => 0);
    expect(['a', 'b', 'a', 'c'].map((key) => limiter.take(key).allowed)).to.deep.equal([
      true,
      true,
      false,
      true,
    ]);
    // b was the least recently used and was dropped: a is still empty, b comes back full.
    expect([limiter.take('a').allowed, limiter.take('b').allowed]).to.deep.equal([false, true]);
  });

  describe('access token verifier', function () {
    let nowMs: number;
    let jwksCalls: number;
    let published: { kid: string; privateKey: CryptoKey; jwk: Record<string, unknown> }[];

    async function newKey(kid: string) {
      const { privateKey, publicKey } = await generateKeyPair('ES256');
      return {
        kid,
        privateKey,
        jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' },
      };
    }

    function verifier(): AccessTokenVerifier {
      return new AccessTokenVerifier(
        () => {
          jwksCalls += 1;
          return Promise.resolve(JSON.stringify({ keys: published.map((key) => key.jwk) }));
        },
        {
          issuer: 'clearmesh',
          audience: 'clearmesh',
          leewaySeconds: 30,
          jwksRefreshMinIntervalMs: 10_000,
          jwksMaxAgeMs: 300_000,
        },
        () => nowMs,
      );
    }

    function sign(key: { kid: string; privateKey: CryptoKey }): Promise<string> {
      const now = Math.floor(nowMs / 1_000);
      return new SignJWT({ client_id: 'c', scope: 'payments:read' })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })
        .setIssuer('clearmesh')
        .setAudience('clearmesh')
        .setSubject('partner-1')
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(key.privateKey);
    }

    async function reasonOf(verification: Promise<unknown>): Promise<string> {
      const error = await verification.then(
        () => undefined,
        (reason: unknown) => reason,
      );
      return error instanceof TokenRejection ? error.reason : String(error);
    }

    beforeEach(async function () {
      nowMs = Date.now();
      jwksCalls = 0;
      published = [await newKey('k1')];
    });

    it('loads the JWKS once, then verifies from the cache', async function () {
      const tokens = verifier();
      const token = await sign(published[0] ?? (await newKey('x')));
      const verified = await Promise.all([tokens.verify(token), tokens.verify(token)]);
      expect(verified.map((result) => [result.partnerId, result.scopes])).to.deep.equal([
        ['partner-1', ['payments:read']],
        ['partner-1', ['payments:read']],
      ]);
      await tokens.verify(token);
      expect(jwksCalls).to.equal(1);
    });

    it('refreshes on an unknown kid at most once per interval, and picks up a rotated key', async function () {
      const tokens = verifier();
      const first = published[0] ?? (await newKey('x'));
      await tokens.verify(await sign(first));
      const forged = await sign(await newKey('forged'));
      nowMs += 10_000;
      const floods = await Promise.all(
        Array.from({ length: 20 }, () => reasonOf(tokens.verify(forged))),
      );
      expect(new Set(floods)).to.deep.equal(new Set(['unknown_key']));
      expect(jwksCalls).to.equal(2);
      // A key rotated in within the interval is found at the next interval.
      const rotated = await newKey('k2');
      published.push(rotated);
      expect(await reasonOf(tokens.verify(await sign(rotated)))).to.equal('unknown_key');
      expect(jwksCalls).to.equal(2);
      nowMs += 10_000;
      expect((await tokens.verify(await sign(rotated))).partnerId).to.equal('partner-1');
      expect(jwksCalls).to.equal(3);
    });

    it('reloads a JWKS older than its maximum age, dropping retired keys', async function () {
      const tokens = verifier();
      const first = published[0] ?? (await newKey('x'));
      await tokens.verify(await sign(first));
      published = [await newKey('k2')];
      nowMs += 300_000;
      expect(await reasonOf(tokens.verify(await sign(first)))).to.equal('unknown_key');
      expect(jwksCalls).to.equal(2);
    });
  });
});
