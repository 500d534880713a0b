// Partner client credentials: client ids, client secrets with 256 bits of entropy, and their
// scrypt hashes. A secret is compared only through its hash, in constant time; verifying against
// an unknown client id spends the same scrypt work on a dummy, so timing does not tell which ids
// exist. The parameters travel with each hash so a stored secret stays verifiable after the cost
// is raised.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** scrypt cost (N) by default: 2^15, about 32 MiB of memory per hash with r = 8. */
export const SCRYPT_COST_DEFAULT = 2 ** 15;
/** The least cost the environment may configure; only tests construct cheaper settings. */
export const SCRYPT_COST_MIN = 2 ** 14;
/** The most cost the environment may configure (256 MiB per hash with r = 8). */
export const SCRYPT_COST_MAX = 2 ** 17;
export const SCRYPT_BLOCK_SIZE = 8;
export const SCRYPT_PARALLELISM = 1;
export const SCRYPT_KEY_BYTES = 64;
export const SECRET_SALT_BYTES = 16;
export const CLIENT_SECRET_BYTES = 32;
const CLIENT_ID_RANDOM_BYTES = 18;

export interface ScryptParameters {
  readonly cost: number;
  readonly blockSize: number;
  readonly parallelism: number;
  readonly keyBytes: number;
}

export interface SecretHash {
  readonly hash: Buffer;
  readonly salt: Buffer;
  readonly parameters: ScryptParameters;
}

export function scryptParameters(cost: number): ScryptParameters {
  return {
    cost,
    blockSize: SCRYPT_BLOCK_SIZE,
    parallelism: SCRYPT_PARALLELISM,
    keyBytes: SCRYPT_KEY_BYTES,
  };
}

/** `cm_` and 144 random bits, base64url: public, but unguessable so ids cannot be enumerated. */
export function newClientId(): string {
  return `cm_${randomBytes(CLIENT_ID_RANDOM_BYTES).toString('base64url')}`;
}

export function newClientSecret(): string {
  return randomBytes(CLIENT_SECRET_BYTES).toString('base64url');
}

function derive(secret: string, salt: Buffer, parameters: ScryptParameters): Promise<Buffer> {
  const { cost, blockSize, parallelism, keyBytes } = parameters;
  return new Promise((resolve, reject) => {
    scrypt(
      secret.normalize('NFC'),
      salt,
      keyBytes,
      // scrypt needs 128 * N * r * p bytes; twice that leaves room for its bookkeeping.
      { N: cost, r: blockSize, p: parallelism, maxmem: 256 * cost * blockSize * parallelism },
      (error, key) => {
        if (error === null) resolve(key);
        else reject(error);
      },
    );
  });
}

export async function hashSecret(
  secret: string,
  parameters: ScryptParameters,
): Promise<SecretHash> {
  const salt = randomBytes(SECRET_SALT_BYTES);
  return { hash: await derive(secret, salt, parameters), salt, parameters };
}

export async function secretMatches(secret: string, stored: SecretHash): Promise<boolean> {
  const presented = await derive(secret, stored.salt, stored.parameters);
  return presented.length === stored.hash.length && timingSafeEqual(presented, stored.hash);
}

const dummySalt = randomBytes(SECRET_SALT_BYTES);

/** The work of one verification for a client id that has no secret; always false. */
export async function spendDummyVerification(
  secret: string,
  parameters: ScryptParameters,
): Promise<false> {
  const presented = await derive(secret, dummySalt, parameters);
  timingSafeEqual(presented, Buffer.alloc(presented.length));
  return false;
}
