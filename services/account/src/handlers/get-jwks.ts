// GetJwks: the public keys that verify access tokens, as the gateway serves them.
import type {
  GetJwksRequest,
  GetJwksResponse,
} from '../../../../gen/grpc-js/clearmesh/account/v1/account_service.js';
import type { UnaryHandler } from '../../../mesh/src/rpc-runtime.js';
import type { HandlerDependencies } from './dependencies.js';

export function getJwksHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<GetJwksRequest, GetJwksResponse> {
  return async () => ({
    jwksJson: JSON.stringify(await dependencies.credentials.signingKeys.jwks()),
  });
}
