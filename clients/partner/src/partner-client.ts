// The partner SDK's client: typed stubs of the RPCs the gateway exposes to partners (the partner-
// safe AccountService RPCs and PaymentService), over connect-web's grpc-web transport, with a
// bearer token from the token source on every call. A call the gateway refuses UNAUTHENTICATED
// never reached the mesh, so a unary call is sent once more with a freshly fetched token.
import {
  Code,
  ConnectError,
  createClient,
  type Client,
  type Interceptor,
} from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-web';
import { AccountService } from '../../../gen/es/clearmesh/account/v1/account_service_pb.js';
import { PaymentService } from '../../../gen/es/clearmesh/payment/v1/payment_service_pb.js';
import {
  clientCredentialsTokenSource,
  type ClientCredentials,
  type TokenSource,
} from './token-source.js';

export type PartnerAccountClient = Pick<
  Client<typeof AccountService>,
  'openAccount' | 'getAccount' | 'listAccounts'
>;
export type PartnerPaymentClient = Client<typeof PaymentService>;

export interface PartnerClient {
  readonly accounts: PartnerAccountClient;
  readonly payments: PartnerPaymentClient;
  readonly tokens: TokenSource;
}

export interface PartnerClientOptions {
  /** The gateway, e.g. https://gateway.clearmesh.example:8443 */
  readonly baseUrl: string;
  /** The partner's client credentials; or give `tokens` to supply tokens another way. */
  readonly credentials?: ClientCredentials;
  readonly tokens?: TokenSource;
  /** fetch to use (e.g. one trusting a private CA in Node); the global one by default. */
  readonly fetch?: typeof globalThis.fetch;
  /** Deadline of calls given no timeoutMs; sent as grpc-timeout. Default 10 s. */
  readonly defaultTimeoutMs?: number;
}

export function createPartnerClient(options: PartnerClientOptions): PartnerClient {
  const fetchImplementation = options.fetch ?? globalThis.fetch.bind(globalThis);
  const tokens = options.tokens ?? tokenSourceOf(options, fetchImplementation);
  const transport = createGrpcWebTransport({
    baseUrl: options.baseUrl,
    fetch: fetchImplementation,
    interceptors: [bearerTokens(tokens)],
    defaultTimeoutMs: options.defaultTimeoutMs ?? 10_000,
  });
  return {
    accounts: createClient(AccountService, transport),
    payments: createClient(PaymentService, transport),
    tokens,
  };
}

function tokenSourceOf(
  options: PartnerClientOptions,
  fetchImplementation: typeof globalThis.fetch,
): TokenSource {
  if (options.credentials === undefined) {
    throw new Error('createPartnerClient needs credentials or tokens');
  }
  return clientCredentialsTokenSource({
    baseUrl: options.baseUrl,
    credentials: options.credentials,
    fetch: fetchImplementation,
  });
}

function bearerTokens(tokens: TokenSource): Interceptor {
  return (next) => async (request) => {
    request.header.set('authorization', `Bearer ${await tokens.token()}`);
    try {
      return await next(request);
    } catch (error) {
      if (!(ConnectError.from(error).code === Code.Unauthenticated)) throw error;
      tokens.invalidate();
      if (request.stream) throw error;
      request.header.set('authorization', `Bearer ${await tokens.token()}`);
      return await next(request);
    }
  };
}
