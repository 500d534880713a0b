// The partner SDK of Clearmesh: typed grpc-web clients for bank partners, in browsers and in Node,
// with OAuth2 client-credentials tokens fetched and refreshed for them. Messages and enums are the
// protoc-gen-es types of the contracts; errors are connect's ConnectError (code, rawMessage, and
// the google.rpc details from grpc-status-details-bin via findDetails).
export { Code, ConnectError } from '@connectrpc/connect';
export { AccountKind, AccountStatus } from '../../../gen/es/clearmesh/account/v1/account_pb.js';
export {
  CaptureMethod,
  PaymentFailureReason,
  PaymentStatus,
} from '../../../gen/es/clearmesh/payment/v1/payment_pb.js';
export { ErrorInfoSchema } from '../../../gen/es/google/rpc/error_details_pb.js';
export {
  createPartnerClient,
  type PartnerAccountClient,
  type PartnerClient,
  type PartnerClientOptions,
  type PartnerPaymentClient,
} from './partner-client.js';
export {
  clientCredentialsTokenSource,
  OAuthError,
  type ClientCredentials,
  type TokenSource,
  type TokenSourceOptions,
} from './token-source.js';
