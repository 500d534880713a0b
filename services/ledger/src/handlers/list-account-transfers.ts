// ListAccountTransfers: one account's transfers in apply order (newest first with reverse),
// paged by keyset on the apply sequence. The page token seals the last sequence of a page and is
// bound to the caller and to the query (account_id, since, until, reverse).
import type {
  ListAccountTransfersRequest,
  ListAccountTransfersResponse,
} from '../../../../gen/grpc-js/clearmesh/ledger/v1/ledger_service.js';
import { MeshError } from '../../../mesh/src/errors.js';
import { pageCallerOf, type PageScope } from '../../../mesh/src/page-token.js';
import type { CallContext, UnaryHandler } from '../../../mesh/src/rpc-runtime.js';
import { findAccount, listAccountTransfers } from '../store/index.js';
import type { HandlerDependencies } from './dependencies.js';
import { transferToProto } from './proto-mapping.js';
import { pageSizeOf } from '../../../mesh/src/page-token.js';
import { accountNotFound, requireUuid } from './request-validation.js';

export function listAccountTransfersHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<ListAccountTransfersRequest, ListAccountTransfersResponse> {
  return async (request, context) => {
    const accountId = requireUuid(request.accountId, 'account_id');
    const { since, until, reverse } = request;
    if (since !== undefined && until !== undefined && until.getTime() < since.getTime()) {
      throw MeshError.invalidArgument([{ field: 'until', description: 'is before since' }]);
    }
    const pageSize = pageSizeOf(request.pageSize);
    const scope = pageScope(context, { accountId, since, until, reverse });
    const afterSequence =
      request.pageToken === '' ? undefined : sequenceOf(dependencies, request.pageToken, scope);
    if ((await findAccount(dependencies.db, accountId)) === undefined) {
      throw accountNotFound(accountId);
    }
    // One more than the page: whether it exists says if there is a next page.
    const transfers = await listAccountTransfers(dependencies.db, {
      accountId,
      since,
      until,
      reverse,
      afterSequence,
      limit: pageSize + 1,
    });
    const page = transfers.slice(0, pageSize);
    const last = page[page.length - 1];
    const nextPageToken =
      transfers.length > pageSize && last !== undefined
        ? dependencies.pageTokens.seal(last.sequence.toString(), scope)
        : '';
    return { transfers: page.map(transferToProto), nextPageToken };
  };
}

function pageScope(context: CallContext, query: PageScope['query']): PageScope {
  return { caller: pageCallerOf(context), query };
}

function sequenceOf(dependencies: HandlerDependencies, token: string, scope: PageScope): bigint {
  const position = dependencies.pageTokens.open(token, scope);
  // Only we seal positions, so anything else is a bug; refuse it like a foreign token anyway.
  if (!/^\d{1,19}$/.test(position)) {
    throw MeshError.invalidArgument([{ field: 'page_token', description: 'is not a page token' }]);
  }
  return BigInt(position);
}
