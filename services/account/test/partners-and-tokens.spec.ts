// Partners, their client credentials and access tokens through a real account server: only
// client/admin manages partners; a client secret is shown once and stored as a hash; IssueToken
// (as service/gateway) answers an RFC 9068 JWT that verifies against GetJwks with a standard JWT
// library, while a tampered, expired or wrong-audience token does not; a rotated secret's old
// value, a revoked partner and a client_id past its failed-login limit are all INVALID_CLIENT;
// signing keys persist and rotate by kid; the audit trail never holds a secret or a token.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import type { AccountClient } from '../../../clients/internal/src/index.js';
import { PartnerStatus, type Partner } from '../../../gen/grpc-js/clearmesh/account/v1/partner.js';
import { clientErrorOf } from '../../../test/harness/test-clients.js';
import { scryptParameters, secretMatches } from '../src/client-secrets.js';
import { accountConfigDefaults, TOKEN_LIFETIME_SECONDS_MAX } from '../src/config.js';
import { SigningKeySeal } from '../src/signing-key-seal.js';
import { SigningKeys } from '../src/signing-keys.js';
import { expectRefusal } from './account-fixtures.js';
import {
  asPartner,
  startAccountTestMesh,
  testSigningKeySecrets,
  type AccountTestMesh,
} from './account-test-mesh.js';

const { INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, FAILED_PRECONDITION, UNAUTHENTICATED } =
  grpc.status;
const ALL_SCOPES = ['accounts:read', 'accounts:write', 'payments:read', 'payments:write'];
const LOGIN_FAILURES_MAX = 5;
const LOGIN_FAILURE_WINDOW_MS = 60_000;
const NIL_UUID_LIKE = '0190f000-0000-7000-8000-000000000001';

interface AuditRow {
  principal: string;
  peer: string;
  action: string;
  outcome: string;
  reason: string;
  client_id: string | null;
  target_partner_id: string | null;
}

describe('partners and access tokens', () => {
  let mesh: AccountTestMesh;
  let admin: AccountClient;
  let demo: AccountClient;
  let gateway: AccountClient;
  /** The service's clock: tests move it to pass the failed-login window without sleeping. */
  let now = new Date();
  /** Every secret and token handed out, to prove none reaches the audit table. */
  const handedOut: string[] = [];

  before(async () => {
    mesh = await startAccountTestMesh({
      schema: 'account_partners',
      clock: () => now,
      config: {
        loginFailuresMax: LOGIN_FAILURES_MAX,
        loginFailureWindowMs: LOGIN_FAILURE_WINDOW_MS,
      },
    });
    await mesh.account.start();
    admin = mesh.clientAs('admin');
    demo = mesh.clientAs('demo');
    gateway = mesh.clientAs('gateway');
  });

  beforeEach(() => {
    now = new Date();
  });

  after(async () => {
    await mesh.stop();
  });

  async function createPartner(
    scopes: string[] = ['payments:write', 'accounts:read'],
  ): Promise<{ partner: Partner; clientSecret: string }> {
    const { partner, clientSecret } = await admin.call.createPartner({
      displayName: 'Bank of Tests',
      scopes,
    });
    if (partner === undefined) throw new Error('no partner');
    handedOut.push(clientSecret);
    return { partner, clientSecret };
  }

  async function issueToken(clientId: string, clientSecret: string, scopes: string[] = []) {
    const response = await gateway.call.issueToken({ clientId, clientSecret, scopes });
    handedOut.push(response.accessToken);
    return response;
  }

  async function keySet() {
    const { jwksJson } = await gateway.call.getJwks({});
    return createLocalJWKSet(JSON.parse(jwksJson) as { keys: JWK[] });
  }

  function verify(token: string, jwks: Awaited<ReturnType<typeof keySet>>, options = {}) {
    return jwtVerify(token, jwks, {
      algorithms: ['ES256'],
      issuer: 'clearmesh',
      audience: 'clearmesh',
      typ: 'at+jwt',
      ...options,
    });
  }

  async function expectInvalidClient(call: Promise<unknown>): Promise<void> {
    const error = await clientErrorOf(call);
    expect([error.code, error.reason]).to.deep.equal([UNAUTHENTICATED, 'INVALID_CLIENT']);
    expect(error.details.errorInfo?.metadata).to.deep.equal({ credential: 'client_secret' });
  }

  async function auditOf(partnerId: string): Promise<AuditRow[]> {
    return (await mesh
      .db('audit_events')
      .where('target_partner_id', partnerId)
      .orderBy('audit_id')) as AuditRow[];
  }

  describe('CreatePartner, RotatePartnerSecret and RevokePartner', () => {
    it('creates an ACTIVE partner with sorted distinct scopes and a secret stored only as a hash', async () => {
      const { partner, clientSecret } = await createPartner([
        'payments:write',
        'accounts:read',
        'payments:write',
      ]);
      expect(partner.partnerId).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
      expect(partner.clientId).to.match(/^cm_[A-Za-z0-9_-]{24}$/);
      expect(partner.scopes).to.deep.equal(['accounts:read', 'payments:write']);
      expect(partner.status).to.equal(PartnerStatus.PARTNER_STATUS_ACTIVE);
      expect(partner.displayName).to.equal('Bank of Tests');
      expect(partner.createdAt).to.be.instanceOf(Date);
      expect(Buffer.from(clientSecret, 'base64url')).to.have.length(32);
      const row = (await mesh.db('partners').where('partner_id', partner.partnerId).first()) as {
        secret_hash: Buffer;
        secret_salt: Buffer;
        scrypt_n: number;
        key_bytes: number;
      };
      // Every column as text, a bytea in both encodings a secret could be kept in: plain
      // JSON.stringify shows a Buffer as a byte array, where the secret's text never appears.
      const asText = Object.values(row)
        .map((value: unknown) =>
          Buffer.isBuffer(value)
            ? `${value.toString('utf8')} ${value.toString('base64url')}`
            : JSON.stringify(value),
        )
        .join(' ');
      expect(asText).not.to.contain(clientSecret);
      expect(row.secret_hash).to.have.length(64);
      expect([row.scrypt_n, row.key_bytes]).to.deep.equal([2 ** 10, 64]);
      const stored = {
        hash: row.secret_hash,
        salt: row.secret_salt,
        parameters: scryptParameters(row.scrypt_n),
      };
      expect(await secretMatches(clientSecret, stored)).to.be.true;
    });

    it('refuses an empty, oversized or control-character display_name and unknown or no scopes', async () => {
      const create = (displayName: string, scopes: string[]) =>
        admin.call.createPartner({ displayName, scopes });
      await expectRefusal(create('', ['accounts:read']), INVALID_ARGUMENT, 'VALIDATION_FAILED', [
        'display_name',
      ]);
      await expectRefusal(
        create('x'.repeat(201), ['accounts:read']),
        INVALID_ARGUMENT,
        'VALIDATION_FAILED',
        ['display_name'],
      );
      await expectRefusal(
        create('a\u0007b', ['accounts:read']),
        INVALID_ARGUMENT,
        'VALIDATION_FAILED',
        ['display_name'],
      );
      await expectRefusal(
        create('Bank', ['accounts:admin']),
        INVALID_ARGUMENT,
        'VALIDATION_FAILED',
        ['scopes'],
      );
      await expectRefusal(create('Bank', []), INVALID_ARGUMENT, 'VALIDATION_FAILED', ['scopes']);
      await expectRefusal(create('', ['ACCOUNTS:READ']), INVALID_ARGUMENT, 'VALIDATION_FAILED', [
        'display_name',
        'scopes',
      ]);
    });

    it('leaves partner management to client/admin under the default policy', async () => {
      const { partner } = await createPartner();
      for (const client of [demo, gateway]) {
        await expectRefusal(
          client.call.createPartner({ displayName: 'Bank', scopes: ['accounts:read'] }),
          PERMISSION_DENIED,
          'POLICY_DENIED',
        );
        await expectRefusal(
          client.call.rotatePartnerSecret({ partnerId: partner.partnerId }),
          PERMISSION_DENIED,
          'POLICY_DENIED',
        );
        await expectRefusal(
          client.call.revokePartner({ partnerId: partner.partnerId }),
          PERMISSION_DENIED,
          'POLICY_DENIED',
        );
      }
      await expectRefusal(
        gateway.call.revokePartner({ partnerId: partner.partnerId }, asPartner(partner.partnerId)),
        PERMISSION_DENIED,
        'POLICY_DENIED',
      );
      await expectRefusal(
        demo.call.issueToken({ clientId: partner.clientId, clientSecret: 'x', scopes: [] }),
        PERMISSION_DENIED,
        'POLICY_DENIED',
      );
    });

    it('answers PARTNER_NOT_FOUND for an unknown partner and VALIDATION_FAILED for a malformed id', async () => {
      for (const call of [admin.call.rotatePartnerSecret, admin.call.revokePartner]) {
        await expectRefusal(call({ partnerId: NIL_UUID_LIKE }), NOT_FOUND, 'PARTNER_NOT_FOUND');
        await expectRefusal(
          call({ partnerId: 'partner-1' }),
          INVALID_ARGUMENT,
          'VALIDATION_FAILED',
          ['partner_id'],
        );
        await expectRefusal(call({ partnerId: '' }), INVALID_ARGUMENT, 'VALIDATION_FAILED', [
          'partner_id',
        ]);
      }
    });

    it('rotates a secret: the old one stops working at once, the new one and earlier tokens work', async () => {
      const { partner, clientSecret } = await createPartner();
      const before = await issueToken(partner.clientId, clientSecret);
      const rotated = await admin.call.rotatePartnerSecret({
        partnerId: partner.partnerId.toUpperCase(),
      });
      handedOut.push(rotated.clientSecret);
      expect(rotated.partner).to.deep.equal(partner);
      expect(rotated.clientSecret).not.to.equal(clientSecret);
      await expectInvalidClient(issueToken(partner.clientId, clientSecret));
      const after = await issueToken(partner.clientId, rotated.clientSecret);
      const jwks = await keySet();
      await verify(before.accessToken, jwks);
      await verify(after.accessToken, jwks);
    });

    it('revokes a partner for good: its login fails, revoking again returns it, rotating is INVALID_STATE', async () => {
      const { partner, clientSecret } = await createPartner();
      await issueToken(partner.clientId, clientSecret);
      const { partner: revoked } = await admin.call.revokePartner({ partnerId: partner.partnerId });
      expect(revoked).to.deep.equal({ ...partner, status: PartnerStatus.PARTNER_STATUS_REVOKED });
      await expectInvalidClient(issueToken(partner.clientId, clientSecret));
      const again = await admin.call.revokePartner({ partnerId: partner.partnerId });
      expect(again.partner).to.deep.equal(revoked);
      await expectRefusal(
        admin.call.rotatePartnerSecret({ partnerId: partner.partnerId }),
        FAILED_PRECONDITION,
        'INVALID_STATE',
      );
      await expectInvalidClient(issueToken(partner.clientId, clientSecret));
    });
  });

  describe('IssueToken and GetJwks', () => {
    it('issues an RFC 9068 token that verifies against GetJwks with the partner as subject', async () => {
      const { partner, clientSecret } = await createPartner();
      const issued = await issueToken(partner.clientId, clientSecret);
      expect(issued.tokenType).to.equal('Bearer');
      expect(issued.expiresInSeconds).to.equal(600);
      expect(issued.scope).to.equal('accounts:read payments:write');
      const { payload, protectedHeader } = await verify(issued.accessToken, await keySet());
      expect(protectedHeader.alg).to.equal('ES256');
      expect(protectedHeader.typ).to.equal('at+jwt');
      expect(protectedHeader.kid).to.be.a('string').and.not.be.empty;
      expect(payload.sub).to.equal(partner.partnerId);
      expect(payload['client_id']).to.equal(partner.clientId);
      expect(payload['scope']).to.equal('accounts:read payments:write');
      expect(payload.exp).to.equal((payload.iat ?? 0) + 600);
      expect(payload.iat).to.equal(Math.floor(now.getTime() / 1_000));
      expect(payload.jti).to.match(/^[0-9a-f-]{36}$/);
    });

    it('publishes EC P-256 signature keys in the JWKS, without their private parts', async () => {
      const { jwksJson } = await gateway.call.getJwks({});
      const { keys } = JSON.parse(jwksJson) as { keys: Record<string, unknown>[] };
      expect(keys).to.have.length.greaterThan(0);
      for (const key of keys) {
        expect(key).to.include({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
        expect(key).to.have.keys(['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use']);
      }
    });

    it('grants the requested scopes when the partner holds them all', async () => {
      const { partner, clientSecret } = await createPartner(ALL_SCOPES);
      const issued = await issueToken(partner.clientId, clientSecret, [
        'payments:read',
        'accounts:read',
        'payments:read',
      ]);
      expect(issued.scope).to.equal('accounts:read payments:read');
      const { payload } = await verify(issued.accessToken, await keySet());
      expect(payload['scope']).to.equal('accounts:read payments:read');
    });

    it('refuses scopes the partner lacks or that do not exist, but only after the credential', async () => {
      const { partner, clientSecret } = await createPartner(['accounts:read']);
      for (const scopes of [['payments:write'], ['accounts:read', 'admin'], ['']]) {
        await expectRefusal(
          issueToken(partner.clientId, clientSecret, scopes),
          INVALID_ARGUMENT,
          'VALIDATION_FAILED',
          ['scopes'],
        );
      }
      await expectInvalidClient(issueToken(partner.clientId, 'wrong-secret', ['admin']));
    });

    it('does not verify a tampered, expired or wrong-audience token', async () => {
      const { partner, clientSecret } = await createPartner();
      const { accessToken } = await issueToken(partner.clientId, clientSecret);
      const jwks = await keySet();
      const [header, payload, signature] = accessToken.split('.');
      const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as {
        scope: string;
      };
      const widened = Buffer.from(JSON.stringify({ ...claims, scope: ALL_SCOPES.join(' ') }));
      const tampered = [header, widened.toString('base64url'), signature].join('.');
      await expectRejection(verify(tampered, jwks), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
      const expiredAt = new Date(now.getTime() + 601_000);
      await expectRejection(
        verify(accessToken, jwks, { currentDate: expiredAt }),
        'ERR_JWT_EXPIRED',
      );
      await expectRejection(
        verify(accessToken, jwks, { audience: 'another-api' }),
        'ERR_JWT_CLAIM_VALIDATION_FAILED',
      );
      await expectRejection(
        verify(accessToken, jwks, { typ: 'JWT' }),
        'ERR_JWT_CLAIM_VALIDATION_FAILED',
      );
    });

    it('answers one INVALID_CLIENT for an unknown client_id, a wrong secret or a revoked partner', async () => {
      const { partner, clientSecret } = await createPartner();
      await expectInvalidClient(issueToken('cm_unknown', clientSecret));
      await expectInvalidClient(issueToken(partner.clientId, `${clientSecret}x`));
      await admin.call.revokePartner({ partnerId: partner.partnerId });
      await expectInvalidClient(issueToken(partner.clientId, clientSecret));
    });

    it('refuses a malformed credential as VALIDATION_FAILED on its field', async () => {
      await expectRefusal(issueToken('', 'secret'), INVALID_ARGUMENT, 'VALIDATION_FAILED', [
        'client_id',
      ]);
      await expectRefusal(issueToken('cm x', 'secret'), INVALID_ARGUMENT, 'VALIDATION_FAILED', [
        'client_id',
      ]);
      await expectRefusal(issueToken('cm_a', ''), INVALID_ARGUMENT, 'VALIDATION_FAILED', [
        'client_secret',
      ]);
      await expectRefusal(
        issueToken('cm_a', 's'.repeat(513)),
        INVALID_ARGUMENT,
        'VALIDATION_FAILED',
        ['client_secret'],
      );
    });

    it('refuses even the right secret after too many failures, until the window passes', async () => {
      const { partner, clientSecret } = await createPartner();
      for (let attempt = 0; attempt < LOGIN_FAILURES_MAX; attempt += 1) {
        await expectInvalidClient(issueToken(partner.clientId, 'guess'));
      }
      await expectInvalidClient(issueToken(partner.clientId, clientSecret));
      now = new Date(now.getTime() + LOGIN_FAILURE_WINDOW_MS - 1_000);
      await expectInvalidClient(issueToken(partner.clientId, clientSecret));
      now = new Date(now.getTime() + 2_000);
      const issued = await issueToken(partner.clientId, clientSecret);
      expect(issued.scope).to.equal('accounts:read payments:write');
      const reasons = (await auditOf(partner.partnerId)).map((row) => row.reason);
      expect(reasons.filter((reason) => reason === 'wrong client_secret')).to.have.length(
        LOGIN_FAILURES_MAX,
      );
      const lockedOut = (await mesh
        .db('audit_events')
        .where({ client_id: partner.clientId, reason: 'too many failed attempts' })
        .count('* as count')
        .first()) as { count: string };
      expect(Number(lockedOut.count)).to.equal(2);
    });

    it('lets no more than the limit of parallel guesses reach the secret check', async () => {
      const { partner, clientSecret } = await createPartner();
      await Promise.all(
        Array.from({ length: 4 * LOGIN_FAILURES_MAX }, () =>
          expectInvalidClient(issueToken(partner.clientId, 'guess')),
        ),
      );
      const reasons = (await auditOf(partner.partnerId)).map((row) => row.reason);
      expect(reasons.filter((reason) => reason === 'wrong client_secret')).to.have.length(
        LOGIN_FAILURES_MAX,
      );
      await expectInvalidClient(issueToken(partner.clientId, clientSecret));
    });

    it('does not count a successful login against the limit', async () => {
      const { partner, clientSecret } = await createPartner();
      for (let attempt = 0; attempt < LOGIN_FAILURES_MAX - 1; attempt += 1) {
        await expectInvalidClient(issueToken(partner.clientId, 'guess'));
      }
      for (let attempt = 0; attempt < 3; attempt += 1) {
        await issueToken(partner.clientId, clientSecret);
      }
      await expectInvalidClient(issueToken(partner.clientId, 'guess'));
      await expectInvalidClient(issueToken(partner.clientId, clientSecret));
    });

    it('limits failures of an unknown client_id as it does those of a known one', async () => {
      for (let attempt = 0; attempt <= LOGIN_FAILURES_MAX; attempt += 1) {
        await expectInvalidClient(issueToken('cm_nobody', 'guess'));
      }
      const rows = (await mesh
        .db('audit_events')
        .where({ client_id: 'cm_nobody' })
        .orderBy('audit_id')) as AuditRow[];
      expect(rows.map((row) => row.reason)).to.deep.equal([
        ...Array<string>(LOGIN_FAILURES_MAX).fill('unknown client_id'),
        'too many failed attempts',
      ]);
    });

    it('forgets the windows that have passed, and only those', async () => {
      const windowsOf = async (clientIds: string[]): Promise<string[]> =>
        (
          (await mesh.db('login_failures').whereIn('client_id', clientIds)) as {
            client_id: string;
          }[]
        )
          .map((row) => row.client_id)
          .sort();
      await expectInvalidClient(issueToken('cm_pruned_a', 'guess'));
      await expectInvalidClient(issueToken('cm_pruned_b', 'guess'));
      now = new Date(now.getTime() + LOGIN_FAILURE_WINDOW_MS + 1_000);
      await expectInvalidClient(issueToken('cm_kept', 'guess'));
      const ids = ['cm_kept', 'cm_pruned_a', 'cm_pruned_b'];
      expect(await windowsOf(ids)).to.deep.equal(ids);
      expect(await mesh.account.loginFailurePruning.runOnce()).to.be.at.least(2);
      expect(await windowsOf(ids)).to.deep.equal(['cm_kept']);
    });
  });

  /** The signing keys as another account replica sees them: same database, secret and clock. */
  function replicaSigningKeys(): SigningKeys {
    const settings = {
      issuer: 'clearmesh',
      audience: 'clearmesh',
      lifetimeSeconds: 600,
      lifetimeMaxSeconds: TOKEN_LIFETIME_SECONDS_MAX,
    };
    return new SigningKeys(mesh.db, settings, new SigningKeySeal(testSigningKeySecrets), () => now);
  }

  describe('signing keys', () => {
    it('keeps the signing key across service instances sharing the database', async () => {
      const other = replicaSigningKeys();
      expect(await other.jwks()).to.deep.equal(await mesh.account.signingKeys.jwks());
      const { partner, clientSecret } = await createPartner();
      const { accessToken } = await issueToken(partner.clientId, clientSecret);
      expect(decodeProtectedHeader(accessToken).kid).to.equal(await other.ensureKey());
    });

    it('rotates by kid: the new key signs, the old one stays published until its tokens expired', async () => {
      const { partner, clientSecret } = await createPartner();
      const old = await issueToken(partner.clientId, clientSecret);
      const oldKid = decodeProtectedHeader(old.accessToken).kid;
      const newKid = await mesh.account.signingKeys.rotate();
      expect(newKid).not.to.equal(oldKid);
      const fresh = await issueToken(partner.clientId, clientSecret);
      expect(decodeProtectedHeader(fresh.accessToken).kid).to.equal(newKid);
      const jwks = await keySet();
      await verify(old.accessToken, jwks);
      await verify(fresh.accessToken, jwks);

      now = new Date(now.getTime() + (TOKEN_LIFETIME_SECONDS_MAX + 61) * 1_000);
      const { jwksJson } = await gateway.call.getJwks({});
      const kids = (JSON.parse(jwksJson) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
      expect(kids).to.deep.equal([newKid]);
    });
  });

  describe('signing key rotation by age', () => {
    const maxAgeMs = accountConfigDefaults.signingKeyMaxAgeDays * 86_400_000;

    it('rotates a key past its age once across replicas, then deletes it once its tokens expired', async () => {
      const { partner, clientSecret } = await createPartner();
      expect((await mesh.account.signingKeyRotation.runOnce()).rotatedTo).to.equal(undefined);

      now = new Date(now.getTime() + maxAgeMs);
      // Signed just before the pass, with the key it is about to retire.
      const old = await issueToken(partner.clientId, clientSecret);
      const oldKid = decodeProtectedHeader(old.accessToken).kid ?? '';
      const replica = replicaSigningKeys();
      const passes = await Promise.all([
        mesh.account.signingKeyRotation.runOnce(),
        replica.rotateWhenOlderThan(maxAgeMs),
      ]);
      const rotatedTo = passes.map((pass) => pass.rotatedTo).filter((kid) => kid !== undefined);
      expect(rotatedTo).to.have.length(1);
      const fresh = await issueToken(partner.clientId, clientSecret);
      expect(decodeProtectedHeader(fresh.accessToken).kid).to.equal(rotatedTo[0]);
      const jwks = await keySet();
      await verify(old.accessToken, jwks, { currentDate: now });
      await verify(fresh.accessToken, jwks, { currentDate: now });

      now = new Date(now.getTime() + (TOKEN_LIFETIME_SECONDS_MAX + 61) * 1_000);
      const later = await mesh.account.signingKeyRotation.runOnce();
      expect(later.rotatedTo).to.equal(undefined);
      expect(later.deleted).to.include(oldKid);
      const rows: { kid: string }[] = await mesh.db('signing_keys').select('kid');
      const kids = rows.map((row) => row.kid);
      expect(kids).not.to.include(oldKid);
      expect(kids).to.include(rotatedTo[0]);
    });
  });

  // Last: it reads the audit rows every test above wrote.
  describe('audit trail', () => {
    it('keeps secrets and tokens out of the audit trail, which records who did what from where', async () => {
      expect(handedOut.length).to.be.greaterThan(10);
      const rows = (await mesh.db('audit_events').orderBy('audit_id')) as AuditRow[];
      const text = JSON.stringify(rows, (_key, value: unknown) =>
        typeof value === 'bigint' ? value.toString() : value,
      );
      for (const secret of handedOut) expect(text).not.to.contain(secret);
      const partnerActions = rows.filter((row) => row.action !== 'IssueToken');
      expect(new Set(partnerActions.map((row) => row.action))).to.deep.equal(
        new Set(['CreatePartner', 'RotatePartnerSecret', 'RevokePartner']),
      );
      for (const row of partnerActions) {
        expect(row.principal).to.equal('client/admin');
        expect(row.peer).to.match(/^127\.0\.0\.1:\d+$/);
      }
      expect(partnerActions.map((row) => row.outcome)).to.include.members([
        'OK',
        'PARTNER_NOT_FOUND',
        'INVALID_STATE',
      ]);
      const logins = rows.filter((row) => row.action === 'IssueToken');
      expect(logins.length).to.be.greaterThan(0);
      for (const row of logins) {
        expect([row.principal, row.outcome]).to.deep.equal(['service/gateway', 'INVALID_CLIENT']);
        expect(row.client_id).to.be.a('string');
      }
    });
  });
});

async function expectRejection(verification: Promise<unknown>, code: string): Promise<void> {
  const error = await verification.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error, 'the token verified').to.have.property('code', code);
}
