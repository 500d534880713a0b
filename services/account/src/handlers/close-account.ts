// CloseAccount: ACTIVE or FROZEN -> CLOSED, final, only when the ledger finds the account empty
// (FAILED_PRECONDITION / ACCOUNT_NOT_EMPTY otherwise); closing a CLOSED account returns it.
import type {
  CloseAccountRequest,
  CloseAccountResponse,
} from '../../../../gen/grpc-js/clearmesh/account/v1/account_service.js';
import type { UnaryHandler } from '../../../mesh/src/rpc-runtime.js';
import { changeAccountStatus } from './account-status-change.js';
import { callerOf } from './caller.js';
import type { HandlerDependencies } from './dependencies.js';
import { requireUuid } from './request-validation.js';

export function closeAccountHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<CloseAccountRequest, CloseAccountResponse> {
  return async (request, context) => {
    const caller = callerOf(context, 'accounts:write');
    const accountId = requireUuid(request.accountId, 'account_id');
    const account = await changeAccountStatus(dependencies, context, caller, {
      action: 'CloseAccount',
      accountId,
      target: 'CLOSED',
      reason: '',
    });
    return { account };
  };
}
