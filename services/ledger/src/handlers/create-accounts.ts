// CreateAccounts: one result per account, in request order; each account independently.
import type {
  CreateAccountsRequest,
  CreateAccountsResponse,
} from '../../../../gen/grpc-js/clearmesh/ledger/v1/ledger_service.js';
import type { UnaryHandler } from '../../../mesh/src/rpc-runtime.js';
import { ACCOUNTS_PER_REQUEST_MAX } from '../domain/index.js';
import type { HandlerDependencies } from './dependencies.js';
import { accountInputFromProto, accountResultToProto } from './proto-mapping.js';
import { requireItemCount } from './request-validation.js';

export function createAccountsHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<CreateAccountsRequest, CreateAccountsResponse> {
  return async (request, context) => {
    requireItemCount(request.accounts.length, 'accounts', ACCOUNTS_PER_REQUEST_MAX);
    const inputs = request.accounts.map(accountInputFromProto);
    const outcome = await dependencies.writer.createAccounts(inputs, context.abortState);
    return { results: outcome.results.map(accountResultToProto) };
  };
}
