// POST /oauth/token: the OAuth2 client credentials grant (RFC 6749 §4.4). The credential is
// checked by AccountService.IssueToken (called as service/gateway), which also counts failed
// logins and refuses revoked partners; this endpoint speaks the HTTP side: form parsing,
// client_secret_basic and client_secret_post (one of them, never both), scope, and the §5.2
// error responses. Requests are rate-limited per client address before any work is done.
import * as grpc from '@grpc/grpc-js';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { AccountClient } from '../../../clients/internal/src/index.js';
import { ClientError } from '../../../clients/internal/src/index.js';
import type { Logger } from '../../mesh/src/logger.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import type { RateLimiter } from './rate-limiter.js';
import { readBody } from './request-body.js';

export interface TokenEndpointDependencies {
  readonly account: AccountClient;
  readonly limiter: RateLimiter;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
}

type OAuthError =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_scope'
  | 'unsupported_grant_type'
  | 'temporarily_unavailable'
  | 'server_error';

interface TokenAnswer {
  readonly status: number;
  readonly body: Record<string, string | number>;
  readonly headers?: Record<string, string>;
}

const formBodyMaxBytes = 4_096;
const issueTokenTimeoutMs = 10_000;
const basicChallenge = { 'www-authenticate': 'Basic realm="clearmesh", charset="UTF-8"' };

function oauthError(status: number, error: OAuthError, description: string): TokenAnswer {
  return { status, body: { error, error_description: description } };
}

export async function serveTokenRequest(
  dependencies: TokenEndpointDependencies,
  request: Http2ServerRequest,
  response: Http2ServerResponse,
  corsHeaders: Readonly<Record<string, string>>,
): Promise<number> {
  const answer = await tokenAnswer(dependencies, request).catch((error: unknown) => {
    dependencies.logger.error({ err: error }, 'token request failed');
    return oauthError(500, 'server_error', 'internal error');
  });
  response.writeHead(answer.status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    pragma: 'no-cache',
    ...corsHeaders,
    ...answer.headers,
  });
  response.end(JSON.stringify(answer.body));
  return answer.status;
}

async function tokenAnswer(
  dependencies: TokenEndpointDependencies,
  request: Http2ServerRequest,
): Promise<TokenAnswer> {
  const address = request.socket.remoteAddress ?? 'unknown';
  const decision = await dependencies.limiter.take(address);
  if (!decision.allowed) {
    request.resume();
    dependencies.metrics.rateLimit('oauth_token');
    return {
      ...oauthError(429, 'temporarily_unavailable', 'too many token requests; retry later'),
      headers: { 'retry-after': String(Math.ceil(decision.retryAfterMs / 1_000)) },
    };
  }
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/x-www-form-urlencoded') {
    request.resume();
    return oauthError(400, 'invalid_request', 'expected application/x-www-form-urlencoded');
  }
  const bytes = await readBody(request, formBodyMaxBytes);
  const body = bytes?.toString('utf8');
  if (body === undefined) {
    return oauthError(413, 'invalid_request', `the request exceeds ${formBodyMaxBytes} bytes`);
  }
  const form = new URLSearchParams(body);
  const names = [...form.keys()];
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated !== undefined) {
    return oauthError(400, 'invalid_request', `the parameter ${repeated} is repeated`);
  }
  const grantType = form.get('grant_type');
  if (grantType === null) return oauthError(400, 'invalid_request', 'grant_type is required');
  if (grantType !== 'client_credentials') {
    return oauthError(400, 'unsupported_grant_type', 'only client_credentials is supported');
  }
  const credential = clientCredentialOf(request.headers.authorization, form);
  if ('error' in credential) return credential.error;
  const scope = form.get('scope') ?? '';
  const scopes = scope.split(' ').filter((item) => item !== '');
  try {
    const issued = await dependencies.account.call.issueToken(
      { clientId: credential.clientId, clientSecret: credential.clientSecret, scopes },
      { timeoutMs: issueTokenTimeoutMs },
    );
    return {
      status: 200,
      body: {
        access_token: issued.accessToken,
        token_type: issued.tokenType,
        expires_in: issued.expiresInSeconds,
        scope: issued.scope,
      },
    };
  } catch (error) {
    return refusalOf(error, credential.method);
  }
}

type ClientCredential =
  { clientId: string; clientSecret: string; method: 'basic' | 'post' } | { error: TokenAnswer };

/** RFC 6749 §2.3.1: HTTP Basic (form-encoded id and secret) or the body, exactly one of them. */
function clientCredentialOf(
  authorization: string | undefined,
  form: URLSearchParams,
): ClientCredential {
  const inBody = form.has('client_id') || form.has('client_secret');
  if (authorization !== undefined) {
    if (inBody) {
      return {
        error: oauthError(400, 'invalid_request', 'use one client authentication method'),
      };
    }
    const basic = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(authorization);
    const decoded = basic?.[1] === undefined ? '' : Buffer.from(basic[1], 'base64').toString();
    const colon = decoded.indexOf(':');
    const clientId = formDecode(decoded.slice(0, colon));
    const clientSecret = formDecode(decoded.slice(colon + 1));
    if (colon < 0 || clientId === undefined || clientSecret === undefined) {
      return {
        error: {
          ...oauthError(401, 'invalid_client', 'malformed Basic client authentication'),
          headers: basicChallenge,
        },
      };
    }
    return { clientId, clientSecret, method: 'basic' };
  }
  const clientId = form.get('client_id');
  const clientSecret = form.get('client_secret');
  if (clientId === null || clientSecret === null) {
    return {
      error: {
        ...oauthError(401, 'invalid_client', 'client authentication is required'),
        headers: basicChallenge,
      },
    };
  }
  return { clientId, clientSecret, method: 'post' };
}

function formDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function refusalOf(error: unknown, method: 'basic' | 'post'): TokenAnswer {
  if (!(error instanceof ClientError)) throw error;
  const challenge = method === 'basic' ? { headers: basicChallenge } : {};
  switch (error.code) {
    case grpc.status.UNAUTHENTICATED:
      return { ...oauthError(401, 'invalid_client', 'client authentication failed'), ...challenge };
    case grpc.status.INVALID_ARGUMENT: {
      const fields = error.details.badRequest?.fieldViolations.map((violation) => violation.field);
      if (fields?.includes('scopes') === true) {
        return oauthError(400, 'invalid_scope', 'the requested scope is unknown or not granted');
      }
      // A client_id or client_secret of impossible shape cannot authenticate.
      return { ...oauthError(401, 'invalid_client', 'client authentication failed'), ...challenge };
    }
    case grpc.status.UNAVAILABLE:
    case grpc.status.DEADLINE_EXCEEDED:
    case grpc.status.RESOURCE_EXHAUSTED:
      return oauthError(503, 'temporarily_unavailable', 'the token service is unavailable');
    default:
      throw error;
  }
}
