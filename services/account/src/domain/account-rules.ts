// The rules of accounts that do not need the database or the ledger: request validation per the
// proto comments, who may open which account and see which, idempotency hashing, and the balance
// as SPEC §3.1 derives it from the ledger's four balances.
import { createHash } from 'node:crypto';
import {
  checkFreeText,
  checkMetadata,
  checkRequestKey,
  INT64_MAX,
  INT64_MIN,
  sortedMetadata,
  type Violation,
} from '../../../mesh/src/field-rules.js';
import type {
  AccountCaller,
  AccountKind,
  AccountRecord,
  Balance,
  LedgerBalances,
  OpenAccountParams,
} from './types.js';

export const OWNER_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const DISPLAY_NAME_LENGTH_MAX = 200;
export const REASON_LENGTH_MAX = 500;

export function checkOwnerId(ownerId: string, field = 'owner_id'): Violation[] {
  return OWNER_ID_PATTERN.test(ownerId)
    ? []
    : [{ field, description: 'must be 1 to 128 characters of [A-Za-z0-9._:-]' }];
}

export interface OpenAccountInput {
  readonly requestId: string;
  readonly ownerId: string;
  readonly currency: string;
  /** undefined when the request's kind is UNSPECIFIED or unknown. */
  readonly kind: AccountKind | undefined;
  readonly overdraftLimit: bigint;
  readonly displayName: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** Every violation of an OpenAccount request, or its params with defaults applied. */
export function validateOpenAccount(
  input: OpenAccountInput,
  isCurrency: (code: string) => boolean,
): { ok: true; params: OpenAccountParams } | { ok: false; violations: Violation[] } {
  const violations: Violation[] = [];
  violations.push(...checkRequestKey(input.requestId, 'request_id'));
  violations.push(...checkOwnerId(input.ownerId));
  if (!isCurrency(input.currency)) {
    violations.push({
      field: 'currency',
      description: 'must be an active ISO 4217 alpha-3 code in upper case (no X-codes)',
    });
  }
  if (input.kind === undefined) {
    violations.push({ field: 'kind', description: 'must be CUSTOMER or SETTLEMENT' });
  }
  if (input.overdraftLimit < 0n) {
    violations.push({ field: 'overdraft_limit', description: 'must not be negative' });
  } else if (input.kind === 'SETTLEMENT' && input.overdraftLimit !== 0n) {
    violations.push({
      field: 'overdraft_limit',
      description: 'must be 0 for a SETTLEMENT account, which has no limit',
    });
  }
  violations.push(...checkFreeText(input.displayName, 'display_name', DISPLAY_NAME_LENGTH_MAX));
  violations.push(...checkMetadata(input.metadata));
  if (violations.length > 0 || input.kind === undefined) return { ok: false, violations };
  return {
    ok: true,
    params: {
      ownerId: input.ownerId,
      currency: input.currency,
      kind: input.kind,
      overdraftLimit: input.overdraftLimit,
      displayName: input.displayName,
      metadata: input.metadata,
    },
  };
}

/** Why `caller` may not open an account with `params`, or undefined when it may. */
export function openRefusal(caller: AccountCaller, params: OpenAccountParams): string | undefined {
  if (params.kind === 'SETTLEMENT' && caller.kind !== 'admin') {
    return 'only client/admin may open a SETTLEMENT account';
  }
  if (caller.kind !== 'partner') return undefined;
  if (params.ownerId !== caller.partnerId) {
    return 'a partner may open accounts only with its own partner_id as owner_id';
  }
  if (params.overdraftLimit !== 0n) return 'a partner may not grant an overdraft';
  return undefined;
}

/** Whether `caller` may see (and so act on) `account`: a partner only its own. */
export function maySee(caller: AccountCaller, account: Pick<AccountRecord, 'ownerId'>): boolean {
  return caller.kind !== 'partner' || account.ownerId === caller.partnerId;
}

/** A digest of the params after defaults, independent of metadata key order. */
export function openParamsHash(params: OpenAccountParams): Buffer {
  const metadata = sortedMetadata(params.metadata);
  const canonical = JSON.stringify([
    params.ownerId,
    params.currency,
    params.kind,
    params.overdraftLimit.toString(),
    params.displayName,
    metadata,
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest();
}

// The shared field rules, for the account service's handlers and tests.
export { checkFreeText, INT64_MAX, type Violation } from '../../../mesh/src/field-rules.js';

function clampInt64(value: bigint): bigint {
  if (value > INT64_MAX) return INT64_MAX;
  if (value < INT64_MIN) return INT64_MIN;
  return value;
}

/** SPEC §3.1: posted, pending and available, each clamped to int64. */
export function balanceOf(ledger: LedgerBalances, overdraftLimit: bigint): Balance {
  const posted = ledger.creditsPosted - ledger.debitsPosted;
  return {
    posted: clampInt64(posted),
    pending: clampInt64(ledger.creditsPending - ledger.debitsPending),
    available: clampInt64(posted - ledger.debitsPending + overdraftLimit),
  };
}

/** The balance of an account that has just been opened. */
export function openingBalance(overdraftLimit: bigint): Balance {
  return balanceOf(
    { debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 0n },
    overdraftLimit,
  );
}
