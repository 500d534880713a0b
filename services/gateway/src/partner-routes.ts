// What partners may call through the gateway (SPEC §5), and the scope each RPC needs. Every other
// path is UNIMPLEMENTED / METHOD_NOT_EXPOSED: the admin RPCs, IssueToken, the ledger. The gateway
// also refuses, before forwarding, an OpenAccount for another owner or of SETTLEMENT kind — the
// account service refuses them too; checking here keeps the rule in force at the door.
import * as grpc from '@grpc/grpc-js';
import { AccountKind } from '../../../gen/grpc-js/clearmesh/account/v1/account.js';
import {
  AccountServiceService,
  type OpenAccountRequest,
} from '../../../gen/grpc-js/clearmesh/account/v1/account_service.js';
import { PaymentServiceService } from '../../../gen/grpc-js/clearmesh/payment/v1/payment_service.js';
import { MeshError } from '../../mesh/src/errors.js';
import type { PartnerScope } from '../../mesh/src/partner-scopes.js';
import type { PartnerIdentity } from '../../mesh/src/rpc-runtime.js';

export interface PartnerRoute {
  /** /package.Service/Method */
  readonly path: string;
  readonly target: 'account' | 'payment';
  /** The method's name on the internal SDK's client (getAccount, watchPayment, …). */
  readonly clientMethod: string;
  readonly definition: grpc.MethodDefinition<unknown, unknown>;
  readonly scope: PartnerScope;
  readonly streaming: boolean;
  /** A refusal the gateway makes itself; undefined lets the call through. */
  readonly refusal?: (request: unknown, partner: PartnerIdentity) => MeshError | undefined;
}

function route(
  target: PartnerRoute['target'],
  definition: grpc.ServiceDefinition,
  clientMethod: string,
  scope: PartnerScope,
  refusal?: PartnerRoute['refusal'],
): PartnerRoute {
  const method = definition[clientMethod] as grpc.MethodDefinition<unknown, unknown> | undefined;
  if (method === undefined) throw new Error(`no method ${clientMethod} in the ${target} service`);
  return {
    path: method.path,
    target,
    clientMethod,
    definition: method,
    scope,
    streaming: method.responseStream,
    ...(refusal === undefined ? {} : { refusal }),
  };
}

function openAccountRefusal(request: unknown, partner: PartnerIdentity): MeshError | undefined {
  const { ownerId, kind } = request as OpenAccountRequest;
  if (kind === AccountKind.ACCOUNT_KIND_SETTLEMENT) {
    return new MeshError(
      grpc.status.PERMISSION_DENIED,
      'POLICY_DENIED',
      'a partner may not open a SETTLEMENT account',
    );
  }
  // An empty owner_id is the account service's INVALID_ARGUMENT to answer, with its BadRequest.
  if (ownerId !== '' && ownerId !== partner.partnerId) {
    return new MeshError(
      grpc.status.PERMISSION_DENIED,
      'POLICY_DENIED',
      'a partner may open accounts only with its own partner id as owner_id',
    );
  }
  return undefined;
}

export const partnerRoutes: ReadonlyMap<string, PartnerRoute> = new Map(
  [
    route('account', AccountServiceService, 'openAccount', 'accounts:write', openAccountRefusal),
    route('account', AccountServiceService, 'getAccount', 'accounts:read'),
    route('account', AccountServiceService, 'listAccounts', 'accounts:read'),
    route('payment', PaymentServiceService, 'createPayment', 'payments:write'),
    route('payment', PaymentServiceService, 'capturePayment', 'payments:write'),
    route('payment', PaymentServiceService, 'cancelPayment', 'payments:write'),
    route('payment', PaymentServiceService, 'refundPayment', 'payments:write'),
    route('payment', PaymentServiceService, 'getPayment', 'payments:read'),
    route('payment', PaymentServiceService, 'listPayments', 'payments:read'),
    route('payment', PaymentServiceService, 'watchPayment', 'payments:read'),
  ].map((partnerRoute) => [partnerRoute.path, partnerRoute]),
);
