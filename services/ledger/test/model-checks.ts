// What the properties against the reference model (the engine's and the service's) compare, and
// how they check that their generators reached the interesting corners.
import { expect } from 'chai';
import type { CreateTransferStatus } from '../src/domain/index.js';

/** A transfer as the engine stores it, the service answers it, or the model holds it. */
interface ComparableTransfer {
  readonly id: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly flags: object | undefined;
  readonly pendingId: string;
  readonly timeoutSeconds: number;
  readonly code: number;
  readonly reference: string;
  readonly createdAt: Date | undefined;
}

/** The fields both sides must agree on for a transfer in a result or in storage. */
export function projection(transfer: ComparableTransfer | undefined): unknown {
  if (transfer === undefined) return undefined;
  const { id, debitAccountId, creditAccountId, amount, currency, flags, pendingId } = transfer;
  const { timeoutSeconds, code, reference, createdAt } = transfer;
  return {
    ...{ id, debitAccountId, creditAccountId, amount, currency, flags: { ...flags }, pendingId },
    ...{ timeoutSeconds, code, reference, createdAt: createdAt?.getTime() },
  };
}

/**
 * The statuses every property's generator must reach, or the property proves little. (The
 * engine's property also reaches the rarest, which the service's runs are too few to.)
 */
export const STATUSES_EVERY_PROPERTY_REACHES: readonly CreateTransferStatus[] = [
  'CREATED',
  'EXISTS',
  'EXISTS_WITH_DIFFERENT_FIELDS',
  'ID_ALREADY_FAILED',
  'LINKED_EVENT_FAILED',
  'LINKED_EVENT_CHAIN_OPEN',
  'PENDING_TRANSFER_ALREADY_VOIDED',
  'ACCOUNT_FROZEN',
  'ACCOUNT_CLOSED',
  'OVERFLOW',
  'EXCEEDS_CREDITS',
  'EXCEEDS_DEBITS',
];

export function expectStatusesReached(
  seen: ReadonlySet<string>,
  expected: readonly CreateTransferStatus[],
): void {
  expect(expected.filter((status) => !seen.has(status))).to.deep.equal([]);
}
