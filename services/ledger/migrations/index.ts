// Every migration of the `ledger` schema, in order. Forward-only: a shipped migration never changes.
import { baselineMigration, type Migration } from '../../mesh/src/database.js';
import { createLedgerTables } from './create-ledger-tables.js';

export const migrations: readonly Migration[] = [baselineMigration, createLedgerTables];
