// Builders for LedgerService messages in tests, with fresh random ids so that no two tests (or
// files) share an account or a transfer, and readable names for the statuses answered.
import { randomUUID } from 'node:crypto';
import {
  LedgerAccountStatus,
  type LedgerAccount,
} from '../../../gen/grpc-js/clearmesh/ledger/v1/ledger_account.js';
import {
  createAccountStatusToJSON,
  createTransferStatusToJSON,
  type CreateAccountResult,
  type CreateTransferResult,
} from '../../../gen/grpc-js/clearmesh/ledger/v1/results.js';
import type { Transfer, TransferFlags } from '../../../gen/grpc-js/clearmesh/ledger/v1/transfer.js';
import type { LedgerClient } from '../../../clients/internal/src/index.js';
import { NO_TRANSFER_FLAGS, PLAIN_TRANSFER_FIELDS, resolutionFields } from './domain/fixtures.js';

export type AccountKind = 'settlement' | 'customer' | 'creditLimited';

/** An OPEN account in USD with zero balances; `customer` may not go below -overdraftLimit. */
export function ledgerAccount(
  fields: Partial<LedgerAccount> & { kind?: AccountKind } = {},
): LedgerAccount {
  const { kind = 'settlement', ...rest } = fields;
  return {
    id: randomUUID(),
    currency: 'USD',
    flags: {
      debitsMustNotExceedCredits: kind === 'customer',
      creditsMustNotExceedDebits: kind === 'creditLimited',
    },
    overdraftLimit: 0n,
    status: LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_OPEN,
    debitsPending: 0n,
    debitsPosted: 0n,
    creditsPending: 0n,
    creditsPosted: 0n,
    createdAt: undefined,
    ...rest,
  };
}

export type TransferFields = Partial<Omit<Transfer, 'flags'>> & { flags?: Partial<TransferFlags> };

/** A plain transfer of 100 USD minor units with a fresh id unless `fields` say otherwise. */
export function transfer(fields: TransferFields = {}): Transfer {
  return {
    id: randomUUID(),
    debitAccountId: '',
    creditAccountId: '',
    ...PLAIN_TRANSFER_FIELDS,
    createdAt: undefined,
    ...fields,
    flags: { ...NO_TRANSFER_FLAGS, ...fields.flags },
  };
}

/** A post or void of `pendingId` that leaves accounts, currency and amount to the hold. */
export function resolution(
  kind: 'post' | 'void',
  pendingId: string,
  fields: TransferFields = {},
): Transfer {
  return transfer(resolutionFields(kind, pendingId, fields));
}

const transferPrefix = 'CREATE_TRANSFER_STATUS_';
const accountPrefix = 'CREATE_ACCOUNT_STATUS_';

export function transferStatusNames(results: readonly CreateTransferResult[]): string[] {
  return results.map((result) =>
    createTransferStatusToJSON(result.status).slice(transferPrefix.length),
  );
}

export function accountStatusNames(results: readonly CreateAccountResult[]): string[] {
  return results.map((result) =>
    createAccountStatusToJSON(result.status).slice(accountPrefix.length),
  );
}

/** Creates the accounts and fails the test unless every one is CREATED. */
export async function openAccounts(
  client: LedgerClient,
  accounts: readonly LedgerAccount[],
): Promise<LedgerAccount[]> {
  const { results } = await client.call.createAccounts({ accounts: [...accounts] });
  const names = accountStatusNames(results);
  if (names.some((name) => name !== 'CREATED'))
    throw new Error(`accounts not created: ${names.join()}`);
  return [...accounts];
}

/** Sends one CreateTransfers request and answers its status names. */
export async function sendTransfers(
  client: LedgerClient,
  transfers: readonly Transfer[],
): Promise<string[]> {
  const { results } = await client.call.createTransfers({ transfers: [...transfers] });
  return transferStatusNames(results);
}
