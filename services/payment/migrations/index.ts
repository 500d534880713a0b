// Every migration of the `payment` schema, in order. Forward-only: a shipped migration never changes.
import { baselineMigration, type Migration } from '../../mesh/src/database.js';
import { createPaymentTables } from './create-payment-tables.js';

export const migrations: readonly Migration[] = [baselineMigration, createPaymentTables];
