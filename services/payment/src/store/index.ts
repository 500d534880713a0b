// The payment service's tables.
export * from './operations.js';
export * from './payments.js';
