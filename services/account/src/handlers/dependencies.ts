// What the account service's handlers work with: the database, the ledger (through the SDK), the
// page token sealer, and for partners the credential settings, the signing keys and a clock.
import type { LedgerClient } from '../../../../clients/internal/src/index.js';
import type { Knex } from '../../../mesh/src/database.js';
import type { PageTokens } from '../../../mesh/src/page-token.js';
import type { ScryptParameters } from '../client-secrets.js';
import type { SigningKeys } from '../signing-keys.js';

export interface CredentialDependencies {
  /** Parameters of new secret hashes (stored hashes carry their own). */
  readonly secretHashing: ScryptParameters;
  readonly signingKeys: SigningKeys;
  readonly tokenLifetimeSeconds: number;
  readonly loginFailuresMax: number;
  readonly loginFailureWindowMs: number;
  /** Partner timestamps, token times and the failed-login window; injected by tests. */
  readonly clock: () => Date;
}

export interface HandlerDependencies {
  readonly db: Knex;
  readonly ledger: LedgerClient;
  readonly pageTokens: PageTokens;
  readonly credentials: CredentialDependencies;
}
