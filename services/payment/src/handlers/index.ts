// The PaymentService handlers.
import { PaymentServiceService } from '../../../../gen/grpc-js/clearmesh/payment/v1/payment_service.js';
import type { ServiceHandlers } from '../../../mesh/src/rpc-runtime.js';
import { createPaymentHandler } from './create-payment.js';
import type { HandlerDependencies } from './dependencies.js';
import {
  cancelPaymentHandler,
  capturePaymentHandler,
  refundPaymentHandler,
} from './payment-actions.js';
import { getPaymentHandler, listPaymentsHandler, watchPaymentHandler } from './read-payments.js';

export type { HandlerDependencies } from './dependencies.js';

export function paymentHandlers(
  dependencies: HandlerDependencies,
): ServiceHandlers<typeof PaymentServiceService> {
  return {
    createPayment: createPaymentHandler(dependencies),
    capturePayment: capturePaymentHandler(dependencies),
    cancelPayment: cancelPaymentHandler(dependencies),
    refundPayment: refundPaymentHandler(dependencies),
    getPayment: getPaymentHandler(dependencies),
    listPayments: listPaymentsHandler(dependencies),
    watchPayment: watchPaymentHandler(dependencies),
  };
}
