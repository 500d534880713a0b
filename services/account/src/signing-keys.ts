// The ES256 keys that sign access tokens, persisted in the account schema so that tokens verify
// across restarts and replicas, their private halves sealed under ACCOUNT_SIGNING_KEY_SECRET
// (signing-key-seal.ts). The newest active key signs; rotating (by age, on a schedule, or when
// asked) creates a new key and retires the others, which stay in the JWKS until every token they
// signed has expired (the longest lifetime plus the gateway's leeway) and are deleted after.
// Private keys are opened and imported once per process.
import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { Knex } from '../../mesh/src/database.js';
import { SealError, type SigningKeySeal } from './signing-key-seal.js';
import {
  allSigningKeys,
  deleteSigningKeysRetiredUpTo,
  insertSigningKey,
  newestActiveSigningKey,
  publishedSigningKeys,
  retireSigningKeysExcept,
  storeSealedPrivateKey,
  withSigningKeyLock,
  type StoredSigningKey,
} from './store/index.js';

export const SIGNING_ALGORITHM = 'ES256';
/** How long a retired key stays published beyond the longest token lifetime: covers the
 * gateway's leeway (≤ 30 s) and clock skew between replicas. */
const RETIRED_KEY_GRACE_SECONDS = 60;

export interface AccessTokenClaims {
  readonly partnerId: string;
  readonly clientId: string;
  /** Space-separated, as OAuth2 `scope`. */
  readonly scope: string;
}

/** What one scheduled pass did: the new signing kid if it rotated, the kids it deleted. */
export interface SigningKeyPass {
  readonly rotatedTo: string | undefined;
  readonly deleted: readonly string[];
}

export interface TokenSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly lifetimeSeconds: number;
  /** The longest lifetime any replica may configure: how long a retired key stays published. */
  readonly lifetimeMaxSeconds: number;
}

type SigningKey = Awaited<ReturnType<typeof importJWK>>;

export class SigningKeys {
  private readonly imported = new Map<string, Promise<SigningKey>>();
  /** The first ensureKey of this process; retried after a failure. */
  private ready: Promise<string> | undefined;

  constructor(
    private readonly db: Knex,
    private readonly settings: TokenSettings,
    private readonly seal: SigningKeySeal,
    private readonly clock: () => Date,
  ) {}

  /**
   * Once per process: seals under the current secret every private key not yet sealed under it
   * (a row from before sealing, or sealed under the previous secret), and creates the first key
   * when there is none; idempotent across replicas. Answers the signing kid. Fails with a
   * SealError when a stored key does not open: the secret is wrong, or the row was altered.
   */
  ensureKey(): Promise<string> {
    this.ready ??= this.prepareKeys().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private prepareKeys(): Promise<string> {
    return withSigningKeyLock(this.db, async (trx) => {
      for (const stored of await allSigningKeys(trx)) {
        const sealed = stored.privateKeySealed;
        if (sealed !== undefined && this.seal.isCurrent(sealed)) {
          this.seal.open(stored.kid, sealed);
          continue;
        }
        await storeSealedPrivateKey(
          trx,
          stored.kid,
          this.seal.seal(stored.kid, this.plainPrivateJwk(stored)),
        );
      }
      const newest = await newestActiveSigningKey(trx);
      if (newest !== undefined) return newest.kid;
      return this.createKey(trx);
    });
  }

  /** A new key signs from now on; the previous ones are retired but stay published. */
  async rotate(): Promise<string> {
    return withSigningKeyLock(this.db, (trx) => this.rotateIn(trx));
  }

  /**
   * The scheduled pass: rotates when the signing key is older than `maxAgeMs` (0: never), and
   * deletes keys retired so long ago that no token they signed is still valid, private halves
   * and all. Under the signing-key lock, so replicas running it together rotate once.
   */
  async rotateWhenOlderThan(maxAgeMs: number): Promise<SigningKeyPass> {
    return withSigningKeyLock(this.db, async (trx) => {
      const now = this.clock();
      const newest = await newestActiveSigningKey(trx);
      const due =
        newest === undefined ||
        (maxAgeMs > 0 && now.getTime() - newest.createdAt.getTime() >= maxAgeMs);
      const rotatedTo = due ? await this.rotateIn(trx) : undefined;
      const deleted = await deleteSigningKeysRetiredUpTo(trx, this.publishedSince(now));
      return { rotatedTo, deleted };
    });
  }

  /** The JWKS document: public keys of active keys and of recently retired ones. */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.ensureKey();
    const keys = await publishedSigningKeys(this.db, this.publishedSince(this.clock()));
    return { keys: keys.map((key) => key.publicJwk as JWK) };
  }

  /** Keys retired after this instant are still published (their tokens may still be valid). */
  private publishedSince(now: Date): Date {
    const graceMs = (this.settings.lifetimeMaxSeconds + RETIRED_KEY_GRACE_SECONDS) * 1_000;
    return new Date(now.getTime() - graceMs);
  }

  private async rotateIn(trx: Knex): Promise<string> {
    const kid = await this.createKey(trx);
    await retireSigningKeysExcept(trx, kid, this.clock());
    return kid;
  }

  /** Signs an RFC 9068 access token issued at `issuedAt` with the newest active key. */
  async signAccessToken(claims: AccessTokenClaims, issuedAt: Date): Promise<string> {
    await this.ensureKey();
    const stored = await newestActiveSigningKey(this.db);
    if (stored === undefined) throw new Error('no active signing key');
    const key = await this.privateKeyOf(stored);
    const iat = Math.floor(issuedAt.getTime() / 1_000);
    return new SignJWT({ client_id: claims.clientId, scope: claims.scope })
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, typ: 'at+jwt', kid: stored.kid })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setSubject(claims.partnerId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.settings.lifetimeSeconds)
      .setJti(randomUUID())
      .sign(key);
  }

  private privateKeyOf(stored: StoredSigningKey): Promise<SigningKey> {
    let key = this.imported.get(stored.kid);
    if (key === undefined) {
      key = importJWK(this.plainPrivateJwk(stored) as JWK, SIGNING_ALGORITHM);
      this.imported.set(stored.kid, key);
    }
    return key;
  }

  /** A row not yet sealed (written by an older replica mid-upgrade) is read as it is. */
  private plainPrivateJwk(stored: StoredSigningKey): Record<string, unknown> {
    if (stored.privateKeySealed !== undefined) {
      return this.seal.open(stored.kid, stored.privateKeySealed);
    }
    if (stored.unsealedPrivateJwk !== undefined) return stored.unsealedPrivateJwk;
    throw new SealError(`signing key ${stored.kid} has no private key`);
  }

  private async createKey(trx: Knex): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALGORITHM, {
      extractable: true,
    });
    const kid = randomBytes(16).toString('base64url');
    const describe = { kid, alg: SIGNING_ALGORITHM, use: 'sig' };
    await insertSigningKey(trx, {
      kid,
      algorithm: SIGNING_ALGORITHM,
      publicJwk: { ...(await exportJWK(publicKey)), ...describe },
      privateKeySealed: this.seal.seal(kid, { ...(await exportJWK(privateKey)), ...describe }),
      createdAt: this.clock(),
      retiredAt: undefined,
    });
    return kid;
  }
}
