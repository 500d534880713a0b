// The only place the account service talks to Postgres.
export * from './accounts.js';
export * from './audit-events.js';
