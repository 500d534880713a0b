// What the account service's handlers work with: the database, the ledger (through the SDK) and
// the page token sealer.
import type { LedgerClient } from '../../../../clients/internal/src/index.js';
import type { Knex } from '../../../mesh/src/database.js';
import type { PageTokens } from '../../../mesh/src/page-token.js';

export interface HandlerDependencies {
  readonly db: Knex;
  readonly ledger: LedgerClient;
  readonly pageTokens: PageTokens;
}
