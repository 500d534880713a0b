// The account service's own settings, read once from the environment (the mesh's process settings
// are read by the runtime). Limits are named with their units; a bad value stops start-up with one
// line.
import { resolve } from 'node:path';
import {
  formatAddress,
  readAddress,
  readInteger,
  readString,
  type Environment,
} from '../../mesh/src/config.js';
import { trustDomainDefault } from '../../mesh/src/dev-pki.js';
import { readPageTokenSecret } from '../../mesh/src/page-token.js';
import { certsDirectoryDefault, processDefaults } from '../../mesh/src/topology.js';

export interface AccountConfig {
  /** host:port of the ledger (LEDGER_ADDR, as the ledger itself reads it). */
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
}

export const accountConfigDefaults: Omit<
  AccountConfig,
  'pageTokenSecret' | 'certsDirectory' | 'trustDomain' | 'ledgerAddress'
> = {
  recoveryIntervalMs: 10_000,
  recoveryGraceMs: 5_000,
  recoveryBatchMax: 100,
};

export function readAccountConfig(env: Environment): AccountConfig {
  const defaults = accountConfigDefaults;
  return {
    ledgerAddress: formatAddress(
      readAddress(env, `${processDefaults.ledger.envPrefix}_ADDR`, processDefaults.ledger.address),
    ),
    certsDirectory: resolve(readString(env, 'CERTS_DIR', certsDirectoryDefault)),
    trustDomain: readString(env, 'TRUST_DOMAIN', trustDomainDefault),
    pageTokenSecret: readPageTokenSecret(env),
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
  };
}
