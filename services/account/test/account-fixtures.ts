// Builders and assertions shared by the account service's specs.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { AccountKind, type Account } from '../../../gen/grpc-js/clearmesh/account/v1/account.js';
import type { AccountClient } from '../../../clients/internal/src/index.js';
import type { OpenAccountRequest } from '../../../gen/grpc-js/clearmesh/account/v1/account_service.js';
import { clientErrorOf } from '../../../test/harness/test-clients.js';

export const { ACCOUNT_KIND_CUSTOMER: CUSTOMER, ACCOUNT_KIND_SETTLEMENT: SETTLEMENT } = AccountKind;

/** A valid CUSTOMER account in USD for `ownerId`, with a fresh request_id. */
export function openRequest(fields: Partial<OpenAccountRequest> = {}): OpenAccountRequest {
  return {
    requestId: `open-${randomUUID()}`,
    ownerId: 'owner-1',
    currency: 'USD',
    kind: CUSTOMER,
    overdraftLimit: 0n,
    displayName: 'Everyday account',
    metadata: {},
    ...fields,
  };
}

/** The code, reason and BadRequest field paths a call failed with. */
/** Opens an account as `client` (default fields from openRequest) and answers it. */
export async function openAs(
  client: AccountClient,
  fields: Partial<OpenAccountRequest> = {},
): Promise<Account> {
  const { account } = await client.call.openAccount(openRequest(fields));
  if (account === undefined) throw new Error('OpenAccount answered no account');
  return account;
}

/** The settlement account money enters through (only client/admin may open one). */
export function openSettlement(admin: AccountClient): Promise<Account> {
  return openAs(admin, { kind: SETTLEMENT, ownerId: 'clearmesh' });
}

export async function refusalOf(
  call: Promise<unknown>,
): Promise<{ code: grpc.status; reason: string; fields: string[] }> {
  const error = await clientErrorOf(call);
  return {
    code: error.code,
    reason: error.reason,
    fields: error.details.badRequest?.fieldViolations.map((violation) => violation.field) ?? [],
  };
}

export async function expectRefusal(
  call: Promise<unknown>,
  code: grpc.status,
  reason: string,
  fields?: string[],
): Promise<void> {
  const refusal = await refusalOf(call);
  expect([refusal.code, refusal.reason]).to.deep.equal([code, reason]);
  if (fields !== undefined) expect(refusal.fields).to.deep.equal(fields);
}

/**
 * Repeats `call` while it fails UNAVAILABLE, as a client retrying a keyed write does: a channel
 * whose server went away reconnects to the restarted one only after its connect backoff.
 */
export async function whileUnavailable<T>(call: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== grpc.status.UNAVAILABLE || Date.now() > giveUpAt) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
