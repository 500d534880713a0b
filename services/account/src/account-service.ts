// The account service assembled: handlers and the open-account recovery over one database pool
// and one ledger client. main.ts runs it in a process; tests run it in theirs.
import type { LedgerClient } from '../../../clients/internal/src/index.js';
import { AccountServiceService } from '../../../gen/grpc-js/clearmesh/account/v1/account_service.js';
import type { Knex } from '../../mesh/src/database.js';
import type { Logger } from '../../mesh/src/logger.js';
import { PageTokens } from '../../mesh/src/page-token.js';
import { serviceRegistration, type ServiceRegistration } from '../../mesh/src/server.js';
import type { AccountConfig } from './config.js';
import { accountHandlers } from './handlers/index.js';
import { OpenAccountRecovery } from './open-account-recovery.js';

export interface AccountServiceOptions {
  readonly db: Knex;
  readonly logger: Logger;
  /** The ledger, called as service/account. */
  readonly ledger: LedgerClient;
  readonly config: Pick<
    AccountConfig,
    'pageTokenSecret' | 'recoveryIntervalMs' | 'recoveryGraceMs' | 'recoveryBatchMax'
  >;
}

export interface AccountService {
  readonly registration: ServiceRegistration;
  readonly recovery: OpenAccountRecovery;
  /** Starts the recovery pass and its timer. */
  start(): void;
  /** Stops the recovery timer and waits for a pass in progress. */
  stop(): Promise<void>;
}

export function createAccountService(options: AccountServiceOptions): AccountService {
  const { db, ledger, config } = options;
  const recovery = new OpenAccountRecovery(db, ledger, {
    intervalMs: config.recoveryIntervalMs,
    graceMs: config.recoveryGraceMs,
    batchMax: config.recoveryBatchMax,
    logger: options.logger,
  });
  const handlers = accountHandlers({
    db,
    ledger,
    pageTokens: new PageTokens(config.pageTokenSecret),
  });
  return {
    registration: serviceRegistration(AccountServiceService, handlers),
    recovery,
    start: () => {
      recovery.start();
    },
    stop: () => recovery.stop(),
  };
}
