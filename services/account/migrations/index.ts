// Every migration of the `account` schema, in order. Forward-only: a shipped migration never changes.
import { baselineMigration, type Migration } from '../../mesh/src/database.js';
import { createAccountTables } from './create-account-tables.js';
import { createPartnerTables } from './create-partner-tables.js';
import { indexLoginFailureWindows } from './index-login-failure-windows.js';
import { sealSigningKeys } from './seal-signing-keys.js';

export const migrations: readonly Migration[] = [
  baselineMigration,
  createAccountTables,
  createPartnerTables,
  indexLoginFailureWindows,
  sealSigningKeys,
];
