// ListAccounts: the accounts the caller may see, oldest first (UUIDv7 id order), each with its
// live balance, paged by keyset on the id. The page token seals the last id of a page and is
// bound to the caller (partner included) and to owner_id. A partner asking for another owner
// gets an empty list, as if that owner had no accounts.
import type {
  ListAccountsRequest,
  ListAccountsResponse,
} from '../../../../gen/grpc-js/clearmesh/account/v1/account_service.js';
import { MeshError } from '../../../mesh/src/errors.js';
import { pageCallerOf, type PageScope } from '../../../mesh/src/page-token.js';
import type { UnaryHandler } from '../../../mesh/src/rpc-runtime.js';
import { checkOwnerId, parseUuid, type AccountCaller } from '../domain/index.js';
import { lookupLedgerAccounts } from '../ledger-accounts.js';
import { listAccounts } from '../store/index.js';
import { callerOf } from './caller.js';
import type { HandlerDependencies } from './dependencies.js';
import { accountWithLedger } from './proto-mapping.js';
import { pageSizeOf } from '../../../mesh/src/page-token.js';
import { refuseViolations } from './request-validation.js';

export function listAccountsHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<ListAccountsRequest, ListAccountsResponse> {
  return async (request, context) => {
    const caller = callerOf(context, 'accounts:read');
    if (request.ownerId !== '') refuseViolations(checkOwnerId(request.ownerId));
    const pageSize = pageSizeOf(request.pageSize);
    const scope: PageScope = {
      caller: pageCallerOf(context),
      query: { ownerId: request.ownerId },
    };
    const afterAccountId =
      request.pageToken === '' ? undefined : positionOf(dependencies, request.pageToken, scope);
    const ownerId = visibleOwner(caller, request.ownerId);
    if (ownerId === null) return { accounts: [], nextPageToken: '' };
    // One more than the page: whether it exists says if there is a next page.
    const accounts = await listAccounts(dependencies.db, {
      ownerId,
      afterAccountId,
      limit: pageSize + 1,
    });
    const page = accounts.slice(0, pageSize);
    const ledger = await lookupLedgerAccounts(
      dependencies.ledger,
      page.map((account) => account.accountId),
      context,
    );
    const last = page[page.length - 1];
    return {
      accounts: page.map((account) => {
        const ledgerAccount = ledger.get(account.accountId);
        if (ledgerAccount === undefined) throw new Error('ledger account missing');
        return accountWithLedger(account, ledgerAccount);
      }),
      nextPageToken:
        accounts.length > pageSize && last !== undefined
          ? dependencies.pageTokens.seal(last.accountId, scope)
          : '',
    };
  };
}

/** The owner to filter by (undefined: all), or null when the caller may see none of them. */
function visibleOwner(caller: AccountCaller, requested: string): string | undefined | null {
  if (caller.kind !== 'partner') return requested === '' ? undefined : requested;
  if (requested !== '' && requested !== caller.partnerId) return null;
  return caller.partnerId;
}

function positionOf(dependencies: HandlerDependencies, token: string, scope: PageScope): string {
  const position = parseUuid(dependencies.pageTokens.open(token, scope));
  // Only we seal positions, so anything else is a bug; refuse it like a foreign token anyway.
  if (position === undefined) {
    throw MeshError.invalidArgument([{ field: 'page_token', description: 'is not a page token' }]);
  }
  return position;
}
