// What the ledger's handlers work with: the writer for every change, the database for reads, the
// ledger's clock, and the page token sealer.
import type { Knex } from '../../../mesh/src/database.js';
import type { PageTokens } from '../../../mesh/src/page-token.js';
import type { LedgerClock } from '../ledger-clock.js';
import type { LedgerWriter } from '../ledger-writer.js';

export interface HandlerDependencies {
  readonly db: Knex;
  readonly writer: LedgerWriter;
  readonly clock: LedgerClock;
  readonly pageTokens: PageTokens;
}
