// Which calls may be sent again (SPEC §4): reads, and writes that carry an idempotency key (the
// ledger's client-generated transfer and account ids are such keys). Anything else runs once.
import * as grpc from '@grpc/grpc-js';
import type { ClientError } from './client-error.js';

export type RetryRule =
  | { readonly kind: 'read' }
  | { readonly kind: 'keyed'; readonly keyField: string }
  | { readonly kind: 'idempotent' }
  | { readonly kind: 'never' };

export const read: RetryRule = { kind: 'read' };
export const idempotent: RetryRule = { kind: 'idempotent' };
export const never: RetryRule = { kind: 'never' };
export const keyedBy = (keyField: string): RetryRule => ({ kind: 'keyed', keyField });

/** True when the rule allows sending this request again. */
export function mayRetry(rule: RetryRule, request: unknown): boolean {
  switch (rule.kind) {
    case 'read':
    case 'idempotent':
      return true;
    case 'keyed': {
      const key = (request as Record<string, unknown> | null)?.[rule.keyField];
      return typeof key === 'string' && key !== '';
    }
    case 'never':
      return false;
  }
}

/** Failures a repeat of the same request can get past. An open breaker is not one: fail fast. */
export function isRetryableFailure(error: ClientError): boolean {
  if (error.reason === 'CIRCUIT_OPEN') return false;
  if (error.code === grpc.status.UNAVAILABLE) return true;
  return error.code === grpc.status.ABORTED && error.reason === 'IDEMPOTENCY_KEY_IN_USE';
}
