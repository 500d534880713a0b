// What the payment service's handlers work with.
import type { Knex } from '../../../mesh/src/database.js';
import type { PageTokens } from '../../../mesh/src/page-token.js';
import type { AccountDirectory } from '../account-directory.js';
import type { KeyedCalls } from '../keyed-calls.js';
import type { PaymentChanges } from '../payment-changes.js';

export interface HandlerDependencies {
  readonly db: Knex;
  readonly accounts: AccountDirectory;
  readonly keyedCalls: KeyedCalls;
  readonly pageTokens: PageTokens;
  readonly changes: PaymentChanges;
  /** created_at of payments and refunds; tests may drive it. */
  readonly clock: () => Date;
}
