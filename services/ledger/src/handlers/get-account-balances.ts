// GetAccountBalances: an account's four balances exactly as they were at as_of (default: now),
// recomputed from its transfers and the resolutions of its holds. The ledger's clock bounds as_of:
// a later instant has no answer yet.
import type {
  GetAccountBalancesRequest,
  GetAccountBalancesResponse,
} from '../../../../gen/grpc-js/clearmesh/ledger/v1/ledger_service.js';
import { MeshError } from '../../../mesh/src/errors.js';
import type { UnaryHandler } from '../../../mesh/src/rpc-runtime.js';
import { accountBalancesAt, findAccount } from '../store/index.js';
import type { HandlerDependencies } from './dependencies.js';
import { accountNotFound, requireUuid } from './request-validation.js';

export function getAccountBalancesHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<GetAccountBalancesRequest, GetAccountBalancesResponse> {
  return async (request) => {
    const accountId = requireUuid(request.accountId, 'account_id');
    const now = dependencies.clock.now();
    const asOf = request.asOf ?? now;
    if (asOf.getTime() > now.getTime()) {
      throw MeshError.invalidArgument([
        { field: 'as_of', description: "is later than the ledger's clock" },
      ]);
    }
    if ((await findAccount(dependencies.db, accountId)) === undefined) {
      throw accountNotFound(accountId);
    }
    const balances = await accountBalancesAt(dependencies.db, accountId, asOf);
    return { accountId, asOf, ...balances };
  };
}
