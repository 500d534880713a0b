// The ledger's own settings, read once from the environment (the mesh's process settings are read
// by the runtime). Limits are named with their units; a bad value stops start-up with one line.
import { readInteger, type Environment } from '../../mesh/src/config.js';
import type { ProcessConfig } from '../../mesh/src/process-config.js';
import { TRANSFERS_PER_REQUEST_MAX } from './domain/index.js';

export interface LedgerConfig {
  /** Most transfers group-committed in one database transaction (whole requests only). */
  readonly batchTransfersMax: number;
  /** How long an idle writer waits for more requests to join the first one's batch. */
  readonly batchWaitMaxMs: number;
  /**
   * Most items queued for the writer (transfers, accounts to create, status changes); beyond, a
   * call answers RESOURCE_EXHAUSTED.
   */
  readonly queueTransfersMax: number;
  /** How often the expiry job looks for due pending transfers; 0 turns it off. */
  readonly expiryIntervalMs: number;
  /** Most pending transfers expired in one transaction. */
  readonly expiryBatchMax: number;
  /** Seals ListAccountTransfers page tokens; the same on every replica. */
  readonly pageTokenSecret: string;
}

export const ledgerConfigDefaults: Omit<LedgerConfig, 'pageTokenSecret'> = {
  batchTransfersMax: TRANSFERS_PER_REQUEST_MAX,
  batchWaitMaxMs: 2,
  queueTransfersMax: 8 * TRANSFERS_PER_REQUEST_MAX,
  expiryIntervalMs: 1_000,
  expiryBatchMax: TRANSFERS_PER_REQUEST_MAX,
};

/** The ledger's settings; the page-token secret comes from the process settings already read. */
export function readLedgerConfig(
  env: Environment,
  processConfig: Pick<ProcessConfig, 'pageTokenSecret'>,
): LedgerConfig {
  const defaults = ledgerConfigDefaults;
  return {
    batchTransfersMax: readInteger(env, 'LEDGER_BATCH_TRANSFERS_MAX', defaults.batchTransfersMax, {
      min: 1,
      max: TRANSFERS_PER_REQUEST_MAX,
    }),
    batchWaitMaxMs: readInteger(env, 'LEDGER_BATCH_WAIT_MS', defaults.batchWaitMaxMs, {
      min: 0,
      max: 1_000,
    }),
    queueTransfersMax: readInteger(env, 'LEDGER_QUEUE_TRANSFERS_MAX', defaults.queueTransfersMax, {
      min: TRANSFERS_PER_REQUEST_MAX,
      max: 1_000_000,
    }),
    expiryIntervalMs: readInteger(env, 'LEDGER_EXPIRY_INTERVAL_MS', defaults.expiryIntervalMs, {
      min: 0,
      max: 3_600_000,
    }),
    expiryBatchMax: readInteger(env, 'LEDGER_EXPIRY_BATCH_MAX', defaults.expiryBatchMax, {
      min: 1,
      max: TRANSFERS_PER_REQUEST_MAX,
    }),
    pageTokenSecret: processConfig.pageTokenSecret,
  };
}
