// The account service's pure rules and values.
export * from './account-rules.js';
export * from './partner-rules.js';
export * from './types.js';
export { parseUuid, uuidv7 } from '../../../mesh/src/uuid.js';
