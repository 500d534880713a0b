// Requests for payment tests: unique idempotency keys and a CreatePaymentRequest with defaults.
import { CaptureMethod } from '../../../gen/grpc-js/clearmesh/payment/v1/payment.js';
import type { CreatePaymentRequest } from '../../../gen/grpc-js/clearmesh/payment/v1/payment_service.js';

let keySequence = 0;

/** An idempotency key no other call of this test process uses. */
export function newKey(prefix = 'key'): string {
  keySequence += 1;
  return `${prefix}-${process.pid}-${keySequence}`;
}

/** An AUTOMATIC payment of `amount` EUR with a fresh key, description, reference and metadata. */
export function paymentRequest(
  payer: string,
  payee: string,
  amount: bigint,
  overrides: Partial<CreatePaymentRequest> = {},
): CreatePaymentRequest {
  return {
    idempotencyKey: newKey(),
    payerAccountId: payer,
    payeeAccountId: payee,
    amount: { amount, currency: 'EUR' },
    captureMethod: CaptureMethod.CAPTURE_METHOD_UNSPECIFIED,
    authorizationTtlSeconds: 0,
    description: 'a test payment',
    reference: 'ref-1',
    metadata: { order: '42' },
    ...overrides,
  };
}
