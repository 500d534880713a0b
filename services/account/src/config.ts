// The account service's own settings, read once from the environment (the mesh's process settings
// are read by the runtime). Limits are named with their units; a bad value stops start-up with one
// line.
import { readInteger, readString, ConfigError, type Environment } from '../../mesh/src/config.js';
import { readDialAddress, type ProcessConfig } from '../../mesh/src/process-config.js';
import { SCRYPT_COST_DEFAULT, SCRYPT_COST_MAX, SCRYPT_COST_MIN } from './client-secrets.js';
import { readSigningKeySecrets, type SigningKeySecrets } from './signing-key-seal.js';

/** RFC 9068 tokens are short-lived: at most 15 minutes, whatever the configuration says. */
export const TOKEN_LIFETIME_SECONDS_MAX = 900;

export interface AccountConfig {
  /** host:port the ledger is dialled at (LEDGER_TARGET, else LEDGER_ADDR). */
  readonly ledgerAddress: string;
  /** Where the `account` identity's certificate and key are, with the mesh CA. */
  readonly certsDirectory: string;
  readonly trustDomain: string;
  /** Seals ListAccounts page tokens; the same on every replica. */
  readonly pageTokenSecret: string;
  /** How often PENDING accounts (a ledger call that did not finish) are finished; 0 turns it off. */
  readonly recoveryIntervalMs: number;
  /** How old a PENDING account must be before recovery touches it, so it rarely races the call. */
  readonly recoveryGraceMs: number;
  /** Most PENDING accounts finished in one recovery pass. */
  readonly recoveryBatchMax: number;
  /** scrypt cost N of new client secret hashes: a power of two, 2^14 to 2^17 from the
   * environment (tests construct cheaper settings directly). */
  readonly secretHashCost: number;
  /** Seal the private signing keys at rest (ACCOUNT_SIGNING_KEY_SECRET[_PREVIOUS]). */
  readonly signingKeySecrets: SigningKeySecrets;
  /** A signing key older than this is rotated by the hourly pass; 0 never rotates by age. */
  readonly signingKeyMaxAgeDays: number;
  /** `iss` of access tokens; the gateway expects the same. */
  readonly tokenIssuer: string;
  /** `aud` of access tokens; the gateway expects the same. */
  readonly tokenAudience: string;
  /** Lifetime of access tokens (`expires_in`), at most TOKEN_LIFETIME_SECONDS_MAX. */
  readonly tokenLifetimeSeconds: number;
  /** Failed IssueToken attempts per client_id in one window before every attempt is refused. */
  readonly loginFailuresMax: number;
  /** The window failed logins are counted in. */
  readonly loginFailureWindowMs: number;
}

export const accountConfigDefaults: Omit<
  AccountConfig,
  'pageTokenSecret' | 'certsDirectory' | 'trustDomain' | 'ledgerAddress' | 'signingKeySecrets'
> = {
  recoveryIntervalMs: 10_000,
  recoveryGraceMs: 5_000,
  recoveryBatchMax: 100,
  secretHashCost: SCRYPT_COST_DEFAULT,
  signingKeyMaxAgeDays: 30,
  tokenIssuer: 'clearmesh',
  tokenAudience: 'clearmesh',
  tokenLifetimeSeconds: 600,
  loginFailuresMax: 5,
  loginFailureWindowMs: 60_000,
};

/**
 * The account service's settings. Certificates, trust domain and the page-token secret come from
 * the process settings the runtime has already read (one reading of each variable per process).
 */
export function readAccountConfig(
  env: Environment,
  processConfig: Pick<ProcessConfig, 'certsDirectory' | 'trustDomain' | 'pageTokenSecret'>,
): AccountConfig {
  const defaults = accountConfigDefaults;
  return {
    ledgerAddress: readDialAddress(env, 'ledger'),
    certsDirectory: processConfig.certsDirectory,
    trustDomain: processConfig.trustDomain,
    pageTokenSecret: processConfig.pageTokenSecret,
    recoveryIntervalMs: readInteger(
      env,
      'ACCOUNT_RECOVERY_INTERVAL_MS',
      defaults.recoveryIntervalMs,
      { min: 0, max: 3_600_000 },
    ),
    recoveryGraceMs: readInteger(env, 'ACCOUNT_RECOVERY_GRACE_MS', defaults.recoveryGraceMs, {
      min: 0,
      max: 3_600_000,
    }),
    recoveryBatchMax: readInteger(env, 'ACCOUNT_RECOVERY_BATCH_MAX', defaults.recoveryBatchMax, {
      min: 1,
      max: 1_000,
    }),
    secretHashCost: readSecretHashCost(env),
    signingKeySecrets: readSigningKeySecrets(env),
    signingKeyMaxAgeDays: readInteger(
      env,
      'ACCOUNT_SIGNING_KEY_MAX_AGE_DAYS',
      defaults.signingKeyMaxAgeDays,
      { min: 0, max: 3_650 },
    ),
    tokenIssuer: readString(env, 'ACCOUNT_TOKEN_ISSUER', defaults.tokenIssuer),
    tokenAudience: readString(env, 'ACCOUNT_TOKEN_AUDIENCE', defaults.tokenAudience),
    tokenLifetimeSeconds: readInteger(
      env,
      'ACCOUNT_TOKEN_LIFETIME_SECONDS',
      defaults.tokenLifetimeSeconds,
      { min: 60, max: TOKEN_LIFETIME_SECONDS_MAX },
    ),
    loginFailuresMax: readInteger(env, 'ACCOUNT_LOGIN_FAILURES_MAX', defaults.loginFailuresMax, {
      min: 1,
      max: 100,
    }),
    loginFailureWindowMs: readInteger(
      env,
      'ACCOUNT_LOGIN_FAILURE_WINDOW_MS',
      defaults.loginFailureWindowMs,
      { min: 1_000, max: 3_600_000 },
    ),
  };
}

/** ACCOUNT_SECRET_HASH_COST is N itself; never below 2^14 outside tests. */
function readSecretHashCost(env: Environment): number {
  const cost = readInteger(env, 'ACCOUNT_SECRET_HASH_COST', accountConfigDefaults.secretHashCost, {
    min: SCRYPT_COST_MIN,
    max: SCRYPT_COST_MAX,
  });
  if ((cost & (cost - 1)) !== 0) {
    throw new ConfigError(`ACCOUNT_SECRET_HASH_COST=${cost} must be a power of two`);
  }
  return cost;
}
