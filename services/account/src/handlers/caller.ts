// Who calls, in the account service's terms: the mesh's caller (services/mesh/src/callers.ts)
// with the account scopes.
import { meshCallerOf } from '../../../mesh/src/callers.js';
import type { CallContext } from '../../../mesh/src/rpc-runtime.js';
import type { AccountCaller } from '../domain/index.js';

export type AccountScope = 'accounts:read' | 'accounts:write';

export function callerOf(context: CallContext, requiredScope: AccountScope): AccountCaller {
  return meshCallerOf(context, requiredScope, 'account service');
}
