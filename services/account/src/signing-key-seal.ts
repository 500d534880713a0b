// The private halves of the token signing keys are sealed before they reach the database:
// AES-256-GCM under a key derived (HKDF-SHA256) from ACCOUNT_SIGNING_KEY_SECRET, with the key's kid
// as associated data. Whoever reads the table, a backup or a replica without the secret gets public keys only,
// and a sealed key copied to another kid does not open. A previous secret can be given while the
// secret is rotated: keys sealed under it still open, and the service re-seals them under the
// current one at start.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ConfigError, readString, type Environment } from '../../mesh/src/config.js';

/** Development default only: production sets ACCOUNT_SIGNING_KEY_SECRET (random, ≥ 32 chars). */
export const signingKeySecretDefault = 'clearmesh-development-signing-key-secret';
export const signingKeySecretLengthMin = 32;

const formatVersion = 'v1';
const salt = 'clearmesh/account/signing-keys';
const ivBytes = 12;
const tagBytes = 16;

export interface SigningKeySecrets {
  readonly current: string;
  /** Opens keys sealed before a rotation of the secret; undefined when not rotating. */
  readonly previous: string | undefined;
}

export function readSigningKeySecrets(env: Environment): SigningKeySecrets {
  const current = readString(env, 'ACCOUNT_SIGNING_KEY_SECRET', signingKeySecretDefault);
  const previousText = env['ACCOUNT_SIGNING_KEY_SECRET_PREVIOUS'];
  const previous = previousText === '' ? undefined : previousText;
  for (const [name, secret] of [
    ['ACCOUNT_SIGNING_KEY_SECRET', current],
    ['ACCOUNT_SIGNING_KEY_SECRET_PREVIOUS', previous],
  ] as const) {
    if (secret !== undefined && secret.length < signingKeySecretLengthMin) {
      throw new ConfigError(
        `${name} is too short: expected at least ${signingKeySecretLengthMin} characters`,
      );
    }
  }
  if (previous === current) {
    throw new ConfigError('ACCOUNT_SIGNING_KEY_SECRET_PREVIOUS equals ACCOUNT_SIGNING_KEY_SECRET');
  }
  return { current, previous };
}

/** A sealed key that does not open: wrong secret, tampered, or moved to another kid. */
export class SealError extends Error {
  override readonly name = 'SealError';
}

interface SealingKey {
  /** Names the secret in the sealed text without revealing anything about it. */
  readonly id: string;
  readonly key: Buffer;
}

function sealingKey(secret: string): SealingKey {
  const derive = (info: string, length: number): Buffer =>
    Buffer.from(hkdfSync('sha256', secret, salt, info, length));
  return { id: derive('seal key id', 8).toString('hex'), key: derive('aes-256-gcm key', 32) };
}

export class SigningKeySeal {
  private readonly current: SealingKey;
  private readonly previous: SealingKey | undefined;

  constructor(secrets: SigningKeySecrets) {
    this.current = sealingKey(secrets.current);
    this.previous = secrets.previous === undefined ? undefined : sealingKey(secrets.previous);
  }

  /** `v1.<secret id>.<iv>.<ciphertext>.<tag>`, base64url parts, bound to `kid`. */
  seal(kid: string, privateJwk: Record<string, unknown>): string {
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv, { authTagLength: tagBytes });
    cipher.setAAD(Buffer.from(kid, 'utf8'));
    const ciphertext = Buffer.concat([
      cipher.update(JSON.stringify(privateJwk), 'utf8'),
      cipher.final(),
    ]);
    return [formatVersion, this.current.id, iv, ciphertext, cipher.getAuthTag()]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  open(kid: string, sealed: string): Record<string, unknown> {
    const [version, secretId, iv, ciphertext, tag, ...rest] = sealed.split('.');
    if (
      version !== formatVersion ||
      secretId === undefined ||
      iv === undefined ||
      ciphertext === undefined ||
      tag === undefined ||
      rest.length > 0
    ) {
      throw new SealError(`signing key ${kid}: not a sealed key of format ${formatVersion}`);
    }
    const opener = [this.current, this.previous].find((candidate) => candidate?.id === secretId);
    if (opener === undefined) {
      throw new SealError(
        `signing key ${kid} is sealed under another secret (id ${secretId}); ` +
          `ACCOUNT_SIGNING_KEY_SECRET is id ${this.current.id}` +
          (this.previous === undefined ? '' : `, the previous one id ${this.previous.id}`),
      );
    }
    const decipher = createDecipheriv('aes-256-gcm', opener.key, Buffer.from(iv, 'base64url'), {
      authTagLength: tagBytes,
    });
    decipher.setAAD(Buffer.from(kid, 'utf8'));
    let plain: string;
    try {
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      plain = Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new SealError(`signing key ${kid} does not open: altered, or sealed for another kid`);
    }
    return JSON.parse(plain) as Record<string, unknown>;
  }

  /** Whether `sealed` is under the current secret (else the service re-seals it). */
  isCurrent(sealed: string): boolean {
    return sealed.startsWith(`${formatVersion}.${this.current.id}.`);
  }
}
