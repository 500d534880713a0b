// The only place the account service talks to Postgres.
export * from './accounts.js';
export * from './audit-events.js';
export * from './login-failures.js';
export * from './partners.js';
export * from './signing-keys.js';
