// SetAccountStatus: OPEN <-> FROZEN, OPEN or FROZEN -> CLOSED (final, only when empty). The
// domain's refusals become FAILED_PRECONDITION with their reason.
import * as grpc from '@grpc/grpc-js';
import type {
  SetAccountStatusRequest,
  SetAccountStatusResponse,
} from '../../../../gen/grpc-js/clearmesh/ledger/v1/ledger_service.js';
import { MeshError } from '../../../mesh/src/errors.js';
import type { UnaryHandler } from '../../../mesh/src/rpc-runtime.js';
import type { SetAccountStatusError } from '../domain/index.js';
import type { HandlerDependencies } from './dependencies.js';
import { accountStatusFromProto, accountToProto } from './proto-mapping.js';
import { accountNotFound, requireUuid } from './request-validation.js';

const refusals: Readonly<Record<SetAccountStatusError, string>> = {
  INVALID_STATE: 'the account is CLOSED, which is final',
  ACCOUNT_NOT_EMPTY: 'only an account with balanced posted amounts and nothing pending can close',
};

export function setAccountStatusHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<SetAccountStatusRequest, SetAccountStatusResponse> {
  return async (request, context) => {
    const id = requireUuid(request.accountId, 'account_id');
    const status = accountStatusFromProto(request.status);
    if (status === undefined) {
      throw MeshError.invalidArgument([
        { field: 'status', description: 'must be OPEN, FROZEN or CLOSED' },
      ]);
    }
    const outcome = await dependencies.writer.setAccountStatus(id, status, context.abortState);
    if (outcome === undefined) throw accountNotFound(id);
    if (!outcome.ok) {
      throw new MeshError(grpc.status.FAILED_PRECONDITION, outcome.error, refusals[outcome.error]);
    }
    return { ledgerAccount: accountToProto(outcome.account) };
  };
}
