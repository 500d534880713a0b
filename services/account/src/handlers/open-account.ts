// OpenAccount: validation, then the idempotency record (a replay answers the stored first
// response; other parameters are IDEMPOTENCY_KEY_REUSED), then who may open what, then a PENDING
// account and its record in one transaction, then the ledger account of the same id, then
// CREATED. A call that fails after the transaction leaves a PENDING account that a retry with the
// same request_id, or the recovery pass, finishes; EXISTS from the ledger counts as success.
import * as grpc from '@grpc/grpc-js';
import {
  OpenAccountResponse,
  type OpenAccountRequest,
} from '../../../../gen/grpc-js/clearmesh/account/v1/account_service.js';
import { isCurrencyCode } from '../../../mesh/src/currencies.js';
import { MeshError } from '../../../mesh/src/errors.js';
import type { CallContext, UnaryHandler } from '../../../mesh/src/rpc-runtime.js';
import {
  openingBalance,
  openParamsHash,
  openRefusal,
  uuidv7,
  validateOpenAccount,
  type AccountCaller,
  type AccountRecord,
} from '../domain/index.js';
import { openLedgerAccount } from '../ledger-accounts.js';
import {
  findOpenRequest,
  insertOpening,
  finishOpening,
  type StoredOpenRequest,
} from '../store/index.js';
import { auditEventOf } from './audit.js';
import { idempotencyScopeOf } from '../../../mesh/src/callers.js';
import { callerOf } from './caller.js';
import type { HandlerDependencies } from './dependencies.js';
import { accountKindFromProto, accountToProto } from './proto-mapping.js';

/** Two tries: a lost race for the key is settled by reading the winner's record once. */
const attemptsMax = 2;

export function openAccountHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<OpenAccountRequest, OpenAccountResponse> {
  return async (request, context) => {
    const caller = callerOf(context, 'accounts:write');
    const validated = validateOpenAccount(
      { ...request, kind: accountKindFromProto(request.kind) },
      isCurrencyCode,
    );
    if (!validated.ok) throw MeshError.invalidArgument(validated.violations);
    const { params } = validated;
    const scope = idempotencyScopeOf(caller);
    const requestHash = openParamsHash(params);
    for (let attempt = 1; attempt <= attemptsMax; attempt += 1) {
      const stored = await findOpenRequest(dependencies.db, scope, request.requestId);
      if (stored !== undefined) return replay(dependencies, stored, requestHash, context, caller);
      refuseForbidden(caller, params);
      const now = new Date();
      const account: AccountRecord = {
        ...params,
        accountId: uuidv7(now.getTime()),
        status: 'ACTIVE',
        createdAt: now,
        updatedAt: now,
      };
      const response: OpenAccountResponse = {
        account: accountToProto(account, openingBalance(account.overdraftLimit)),
      };
      const encoded = Buffer.from(OpenAccountResponse.encode(response).finish());
      const inserted = await insertOpening(dependencies.db, account, {
        caller: scope,
        requestId: request.requestId,
        requestHash,
        accountId: account.accountId,
        response: encoded,
      });
      if (!inserted) continue;
      await openLedgerAccount(dependencies.ledger, account, context);
      await finishOpening(
        dependencies.db,
        account.accountId,
        auditEventOf(context, caller, { action: 'OpenAccount', outcome: 'OK', account }),
      );
      return OpenAccountResponse.decode(encoded);
    }
    throw new Error(`request_id of ${scope} neither stored nor insertable`);
  };
}

function refuseForbidden(caller: AccountCaller, params: Parameters<typeof openRefusal>[1]): void {
  const refusal = openRefusal(caller, params);
  if (refusal !== undefined) {
    throw new MeshError(grpc.status.PERMISSION_DENIED, 'POLICY_DENIED', refusal);
  }
}

/** The first response again, once its ledger account is sure to exist. */
async function replay(
  dependencies: HandlerDependencies,
  stored: StoredOpenRequest,
  requestHash: Buffer,
  context: CallContext,
  caller: AccountCaller,
): Promise<OpenAccountResponse> {
  if (!stored.requestHash.equals(requestHash)) {
    throw new MeshError(
      grpc.status.FAILED_PRECONDITION,
      'IDEMPOTENCY_KEY_REUSED',
      'request_id was used before with other parameters',
    );
  }
  if (!stored.ledgerCreated) {
    await openLedgerAccount(dependencies.ledger, stored.account, context);
    await finishOpening(
      dependencies.db,
      stored.accountId,
      auditEventOf(context, caller, { action: 'OpenAccount', outcome: 'OK', account: stored }),
    );
  }
  return OpenAccountResponse.decode(stored.response);
}
