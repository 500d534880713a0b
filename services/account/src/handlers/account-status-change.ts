// Freeze, unfreeze and close share one path: lock the account row, refuse what its state forbids,
// set the ledger account's status (the ledger enforces it, and refuses to close a non-empty
// account), then record the new status — all while the row is locked, so concurrent changes of
// one account apply in one order in both places. The ledger is called even when the row already
// has the target status: a change that reached the ledger but not the row is finished that way.
// Every outcome after validation is audited.
import * as grpc from '@grpc/grpc-js';
import type { Account } from '../../../../gen/grpc-js/clearmesh/account/v1/account.js';
import { MeshError } from '../../../mesh/src/errors.js';
import type { CallContext } from '../../../mesh/src/rpc-runtime.js';
import { maySee, type AccountCaller, type AccountStatus } from '../domain/index.js';
import { setLedgerAccountStatus } from '../ledger-accounts.js';
import { findAccount, insertAuditEvent, updateAccountStatus } from '../store/index.js';
import { auditEventOf, outcomeOf } from './audit.js';
import type { HandlerDependencies } from './dependencies.js';
import { accountWithLedger } from './proto-mapping.js';
import { accountNotFound } from './request-validation.js';

export interface StatusChange {
  readonly action: 'FreezeAccount' | 'UnfreezeAccount' | 'CloseAccount';
  readonly accountId: string;
  readonly target: AccountStatus;
  /** The operator's reason, audited; not part of the account. */
  readonly reason: string;
}

export async function changeAccountStatus(
  dependencies: HandlerDependencies,
  context: CallContext,
  caller: AccountCaller,
  change: StatusChange,
): Promise<Account> {
  const audit = (outcome: string) =>
    insertAuditEvent(
      dependencies.db,
      auditEventOf(context, caller, {
        action: change.action,
        outcome,
        account: { accountId: change.accountId },
        reason: change.reason,
      }),
    );
  let account: Account;
  try {
    account = await dependencies.db.transaction((trx) =>
      applyChange({ ...dependencies, db: trx }, context, caller, change),
    );
  } catch (error) {
    await audit(outcomeOf(error));
    throw error;
  }
  await audit('OK');
  return account;
}

async function applyChange(
  dependencies: HandlerDependencies,
  context: CallContext,
  caller: AccountCaller,
  change: StatusChange,
): Promise<Account> {
  const account = await findAccount(dependencies.db, change.accountId, { forUpdate: true });
  if (account === undefined || !maySee(caller, account)) throw accountNotFound(change.accountId);
  if (account.status === 'CLOSED' && change.target !== 'CLOSED') {
    throw new MeshError(
      grpc.status.FAILED_PRECONDITION,
      'INVALID_STATE',
      'the account is CLOSED, which is final',
    );
  }
  const ledgerAccount = await setLedgerAccountStatus(
    dependencies.ledger,
    account.accountId,
    change.target,
    context,
  );
  const changed =
    account.status === change.target
      ? account
      : await updateAccountStatus(dependencies.db, account.accountId, change.target, new Date());
  return accountWithLedger(changed, ledgerAccount);
}
