// Private signing keys at rest, on real Postgres with the real migrations: sealed under
// ACCOUNT_SIGNING_KEY_SECRET and bound to their kid; a key stored before sealing existed is sealed
// at start and keeps signing; rotating the secret re-seals every key under the new one; a secret
// that opens nothing stops the start; rotation by age happens only with a maximum age; and the
// settings refuse short or repeated secrets.
import { expect } from 'chai';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose';
import { testRun } from '../../../test/harness/test-run.js';
import { connectDatabase, migrateSchema, type Knex } from '../../mesh/src/database.js';
import { readProcessConfig } from '../../mesh/src/process-config.js';
import { migrations } from '../migrations/index.js';
import { sealSigningKeys } from '../migrations/seal-signing-keys.js';
import { readAccountConfig, TOKEN_LIFETIME_SECONDS_MAX } from '../src/config.js';
import {
  SealError,
  SigningKeySeal,
  signingKeySecretDefault,
  type SigningKeySecrets,
} from '../src/signing-key-seal.js';
import { SigningKeys } from '../src/signing-keys.js';

const firstSecret = 'first-signing-key-secret-0123456789abcdef';
const secondSecret = 'second-signing-key-secret-0123456789abcde';
const legacyKid = 'legacy-key';

interface SigningKeyRow {
  kid: string;
  private_jwk: Record<string, unknown> | null;
  private_key_sealed: string | null;
}

describe('signing keys at rest', () => {
  const schema = 'account_signing_key_seal';
  let db: Knex;
  let legacyPrivateJwk: JWK;

  before(async () => {
    db = connectDatabase(testRun().database.url, {
      schema,
      poolMax: 4,
      applicationName: 'clearmesh-account-test-signing-key-seal',
    });
    // A key as the service stored it before sealing: the schema as it was, one plain private JWK.
    const before = migrations.filter((migration) => migration !== sealSigningKeys);
    await migrateSchema(db, schema, before);
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const describe = { kid: legacyKid, alg: 'ES256', use: 'sig' };
    legacyPrivateJwk = { ...(await exportJWK(privateKey)), ...describe };
    await db('signing_keys').insert({
      kid: legacyKid,
      algorithm: 'ES256',
      public_jwk: JSON.stringify({ ...(await exportJWK(publicKey)), ...describe }),
      private_jwk: JSON.stringify(legacyPrivateJwk),
      created_at: new Date(),
    });
    await migrateSchema(db, schema, migrations);
  });

  after(async () => {
    await db.destroy();
  });

  function signingKeys(secrets: SigningKeySecrets, clock = () => new Date()): SigningKeys {
    const settings = {
      issuer: 'clearmesh',
      audience: 'clearmesh',
      lifetimeSeconds: 600,
      lifetimeMaxSeconds: TOKEN_LIFETIME_SECONDS_MAX,
    };
    return new SigningKeys(db, settings, new SigningKeySeal(secrets), clock);
  }

  const under = (current: string, previous?: string): SigningKeySecrets => ({ current, previous });

  async function rows(): Promise<SigningKeyRow[]> {
    return (await db('signing_keys').orderBy('key_order').select('*')) as SigningKeyRow[];
  }

  async function sealedOf(kid: string): Promise<string> {
    const row = (await rows()).find((found) => found.kid === kid);
    if (typeof row?.private_key_sealed !== 'string') throw new Error(`${kid} is not sealed`);
    return row.private_key_sealed;
  }

  /** Signs a token with `keys` and verifies it against their own JWKS; answers its kid. */
  async function signAndVerify(keys: SigningKeys): Promise<string | undefined> {
    const token = await keys.signAccessToken(
      { partnerId: 'partner-seal', clientId: 'cm_seal', scope: 'payments:read' },
      new Date(),
    );
    const verified = await jwtVerify(token, createLocalJWKSet(await keys.jwks()), {
      issuer: 'clearmesh',
      audience: 'clearmesh',
    });
    return verified.protectedHeader.kid;
  }

  it('seals a key stored before sealing at start, and the key keeps signing', async () => {
    const keys = signingKeys(under(firstSecret));
    expect(await keys.ensureKey()).to.equal(legacyKid);
    const [row] = await rows();
    expect(row?.private_jwk).to.equal(null);
    expect(row?.private_key_sealed).to.be.a('string');
    const text = JSON.stringify(row, (_key, value: unknown) =>
      typeof value === 'bigint' ? value.toString() : value,
    );
    expect(text).not.to.contain(String(legacyPrivateJwk.d));
    expect(await signAndVerify(keys)).to.equal(legacyKid);
  });

  it('opens a sealed key only with its secret, under its own kid, unaltered', async () => {
    const sealed = await sealedOf(legacyKid);
    const seal = new SigningKeySeal(under(firstSecret));
    expect(seal.open(legacyKid, sealed)).to.deep.equal(legacyPrivateJwk);
    const other = new SigningKeySeal(under(secondSecret));
    expect(() => other.open(legacyKid, sealed)).to.throw(SealError, /sealed under another secret/);
    expect(() => seal.open('another-kid', sealed)).to.throw(SealError, /does not open/);
    const parts = sealed.split('.');
    const ciphertext = parts[3] ?? '';
    parts[3] = (ciphertext.startsWith('A') ? 'B' : 'A') + ciphertext.slice(1);
    expect(() => seal.open(legacyKid, parts.join('.'))).to.throw(SealError, /does not open/);
    expect(() => seal.open(legacyKid, 'v1.not-sealed')).to.throw(SealError, /not a sealed key/);
  });

  it('stores a new key only sealed, and the table refuses a row without its private key', async () => {
    const keys = signingKeys(under(firstSecret));
    const kid = await keys.rotate();
    const row = (await rows()).find((found) => found.kid === kid);
    expect(row?.private_jwk).to.equal(null);
    expect(
      new SigningKeySeal(under(firstSecret)).isCurrent(row?.private_key_sealed ?? ''),
    ).to.equal(true);
    expect(await signAndVerify(keys)).to.equal(kid);
    let failure: { code?: string } | undefined;
    try {
      await db('signing_keys').where({ kid }).update({ private_key_sealed: null });
    } catch (error) {
      failure = error as { code?: string };
    }
    // 23514: check_violation (exactly one of the plain and the sealed private key).
    expect(failure?.code).to.equal('23514');
  });

  it('re-seals every key under a new secret given the previous one; the old one then opens none', async () => {
    const rotating = signingKeys(under(secondSecret, firstSecret));
    const kid = await rotating.ensureKey();
    const newSeal = new SigningKeySeal(under(secondSecret));
    for (const row of await rows()) {
      expect(newSeal.isCurrent(row.private_key_sealed ?? ''), row.kid).to.equal(true);
    }
    expect(await signAndVerify(rotating)).to.equal(kid);
    let failure: unknown;
    try {
      await signingKeys(under(firstSecret)).ensureKey();
    } catch (error) {
      failure = error;
    }
    expect(failure).to.be.instanceOf(SealError);
    expect((failure as Error).message).to.match(/sealed under another secret/);
  });

  it('rotates by age only when a maximum age is set', async () => {
    const yearOn = new Date(Date.now() + 365 * 86_400_000); // every key here is old by then
    const keys = signingKeys(under(secondSecret), () => yearOn);
    const signing = await keys.ensureKey();
    expect(await keys.rotateWhenOlderThan(0)).to.deep.include({ rotatedTo: undefined });
    const pass = await keys.rotateWhenOlderThan(86_400_000);
    expect(pass.rotatedTo).to.be.a('string').and.not.equal(signing);
    expect(await signAndVerify(keys)).to.equal(pass.rotatedTo);
  });

  it('reads development defaults, and refuses a short secret, a previous one equal to it, a negative age', () => {
    const processConfig = readProcessConfig('account', {});
    const read = (env: Record<string, string>): SigningKeySecrets =>
      readAccountConfig(env, processConfig).signingKeySecrets;
    expect(read({})).to.deep.equal({ current: signingKeySecretDefault, previous: undefined });
    expect(
      read({
        ACCOUNT_SIGNING_KEY_SECRET: secondSecret,
        ACCOUNT_SIGNING_KEY_SECRET_PREVIOUS: firstSecret,
      }),
    ).to.deep.equal({ current: secondSecret, previous: firstSecret });
    expect(() => read({ ACCOUNT_SIGNING_KEY_SECRET: 'short' })).to.throw(
      /ACCOUNT_SIGNING_KEY_SECRET is too short/,
    );
    expect(() =>
      read({ ACCOUNT_SIGNING_KEY_SECRET: firstSecret, ACCOUNT_SIGNING_KEY_SECRET_PREVIOUS: 'x' }),
    ).to.throw(/ACCOUNT_SIGNING_KEY_SECRET_PREVIOUS is too short/);
    expect(() =>
      read({
        ACCOUNT_SIGNING_KEY_SECRET: firstSecret,
        ACCOUNT_SIGNING_KEY_SECRET_PREVIOUS: firstSecret,
      }),
    ).to.throw(/equals/);
    expect(readAccountConfig({}, processConfig).signingKeyMaxAgeDays).to.equal(30);
    expect(() =>
      readAccountConfig({ ACCOUNT_SIGNING_KEY_MAX_AGE_DAYS: '-1' }, processConfig),
    ).to.throw(/ACCOUNT_SIGNING_KEY_MAX_AGE_DAYS/);
  });
});
