// The payment service's pure rules and values.
export * from './payment-rules.js';
export * from './types.js';
export { uuidv7 } from '../../../mesh/src/uuid.js';
