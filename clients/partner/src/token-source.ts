// OAuth2 client credentials for the partner SDK: fetches a token from the gateway's /oauth/token
// (client_secret_basic), keeps it until shortly before it expires, and fetches the next one then.
// Concurrent calls share one fetch. Works wherever fetch does: browsers, Node 20+, workers.
export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Space-separated scopes to ask for; the partner's every scope when omitted. */
  readonly scope?: string;
}

export interface TokenSource {
  /** A token valid for at least the refresh margin. */
  token(): Promise<string>;
  /** Forgets the current token (the gateway refused it): the next token() fetches a new one. */
  invalidate(): void;
}

export interface TokenSourceOptions {
  /** The gateway, e.g. https://gateway.clearmesh.example:8443 */
  readonly baseUrl: string;
  readonly credentials: ClientCredentials;
  readonly fetch?: typeof globalThis.fetch;
  /** How long before expiry a token is replaced; at most half its lifetime. Default 60 s. */
  readonly refreshMarginSeconds?: number;
  readonly now?: () => number;
}

/** A refusal from /oauth/token, with the RFC 6749 §5.2 error code (invalid_client, …). */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';

  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
  ) {
    super(`${error}: ${description}`);
  }
}

interface CachedToken {
  readonly accessToken: string;
  /** When to fetch the next one (ms since the epoch). */
  readonly refreshAtMs: number;
}

export function clientCredentialsTokenSource(options: TokenSourceOptions): TokenSource {
  const fetchImplementation = options.fetch ?? globalThis.fetch.bind(globalThis);
  const now = options.now ?? Date.now;
  const marginSeconds = options.refreshMarginSeconds ?? 60;
  const endpoint = `${options.baseUrl.replace(/\/+$/, '')}/oauth/token`;
  let cached: CachedToken | undefined;
  let fetching: Promise<CachedToken> | undefined;

  async function fetchToken(): Promise<CachedToken> {
    const { clientId, clientSecret, scope } = options.credentials;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope !== undefined) form.set('scope', scope);
    // RFC 6749 §2.3.1: id and secret are form-encoded before Basic encoding.
    const basic = btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`);
    const requestedAtMs = now();
    const response = await fetchImplementation(endpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: form.toString(),
    });
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    const accessToken = body['access_token'];
    const expiresIn = body['expires_in'];
    if (!response.ok || typeof accessToken !== 'string' || typeof expiresIn !== 'number') {
      throw new OAuthError(
        response.status,
        typeof body['error'] === 'string' ? body['error'] : 'invalid_response',
        typeof body['error_description'] === 'string' ? body['error_description'] : '',
      );
    }
    const margin = Math.min(marginSeconds, expiresIn / 2);
    return { accessToken, refreshAtMs: requestedAtMs + (expiresIn - margin) * 1_000 };
  }

  return {
    token: async () => {
      if (cached !== undefined && now() < cached.refreshAtMs) return cached.accessToken;
      fetching ??= fetchToken().finally(() => {
        fetching = undefined;
      });
      cached = await fetching;
      return cached.accessToken;
    },
    invalidate: () => {
      cached = undefined;
    },
  };
}

function formEncode(text: string): string {
  return encodeURIComponent(text).replace(/%20/g, '+');
}
