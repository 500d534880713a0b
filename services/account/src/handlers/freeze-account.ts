// FreezeAccount: ACTIVE -> FROZEN (FROZEN stays FROZEN); a CLOSED account is INVALID_STATE.
import type {
  FreezeAccountRequest,
  FreezeAccountResponse,
} from '../../../../gen/grpc-js/clearmesh/account/v1/account_service.js';
import type { UnaryHandler } from '../../../mesh/src/rpc-runtime.js';
import { checkFreeText, REASON_LENGTH_MAX } from '../domain/index.js';
import { changeAccountStatus } from './account-status-change.js';
import { callerOf } from './caller.js';
import type { HandlerDependencies } from './dependencies.js';
import { refuseViolations, requireUuid } from './request-validation.js';

export function freezeAccountHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<FreezeAccountRequest, FreezeAccountResponse> {
  return async (request, context) => {
    const caller = callerOf(context, 'accounts:write');
    const accountId = requireUuid(request.accountId, 'account_id');
    refuseViolations(checkFreeText(request.reason, 'reason', REASON_LENGTH_MAX));
    const account = await changeAccountStatus(dependencies, context, caller, {
      action: 'FreezeAccount',
      accountId,
      target: 'FROZEN',
      reason: request.reason,
    });
    return { account };
  };
}
