// Verifies partners' bearer tokens (RFC 9068 access tokens signed by the account service). Keys
// come only from our own JWKS (AccountService.GetJwks), never from URLs or keys inside a token;
// the algorithm is pinned to ES256, and iss, aud, exp, nbf and typ at+jwt are checked with a
// bounded leeway. An unknown kid refreshes the JWKS, at most once per interval, so a key rotation
// is picked up at once while a flood of forged kids costs one GetJwks call per interval.
import {
  errors as joseErrors,
  importJWK,
  jwtVerify,
  type CryptoKey,
  type JWK,
  type JWTHeaderParameters,
} from 'jose';
import type { PartnerIdentity } from '../../mesh/src/rpc-runtime.js';

export const accessTokenAlgorithm = 'ES256';

export interface VerifiedToken extends PartnerIdentity {
  readonly clientId: string;
  readonly expiresAt: Date;
}

export interface AccessTokenSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly leewaySeconds: number;
  readonly jwksRefreshMinIntervalMs: number;
  readonly jwksMaxAgeMs: number;
}

/** Why a token was refused: the metric label, and a message safe to show the partner. */
export class TokenRejection extends Error {
  override readonly name = 'TokenRejection';

  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const partnerIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;
const scopePattern = /^[\x21\x23-\x5b\x5d-\x7e]{1,64}$/;
const tokenLengthMax = 8_192;

export class AccessTokenVerifier {
  private keys = new Map<string, CryptoKey>();
  private documentJson = '';
  private loadedAtMs = -Infinity;
  private refreshing: Promise<void> | undefined;

  constructor(
    /** The JWKS document as JSON (GetJwks's jwks_json). */
    private readonly fetchJwks: () => Promise<string>,
    private readonly settings: AccessTokenSettings,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** The partner a bearer token speaks for, or a TokenRejection. */
  async verify(token: string): Promise<VerifiedToken> {
    if (token.length === 0 || token.length > tokenLengthMax) {
      throw new TokenRejection('malformed', 'malformed access token');
    }
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(token, (header) => this.keyFor(header), {
        algorithms: [accessTokenAlgorithm],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        typ: 'at+jwt',
        clockTolerance: this.settings.leewaySeconds,
        requiredClaims: ['exp', 'iat', 'sub'],
        currentDate: new Date(this.nowMs()),
      }));
    } catch (error) {
      throw rejectionOf(error);
    }
    const { sub, scope, client_id: clientId, exp } = payload;
    if (
      typeof sub !== 'string' ||
      !partnerIdPattern.test(sub) ||
      typeof scope !== 'string' ||
      typeof clientId !== 'string' ||
      exp === undefined
    ) {
      throw new TokenRejection('claims', 'the access token lacks sub, client_id or scope');
    }
    const scopes = scope.split(' ').filter((item) => item !== '');
    if (!scopes.every((item) => scopePattern.test(item))) {
      throw new TokenRejection('claims', 'the access token has a malformed scope');
    }
    return { partnerId: sub, scopes, clientId, expiresAt: new Date(exp * 1_000) };
  }

  /** The JWKS as JSON (GET /.well-known/jwks.json): the cached copy, reloaded once it is old. */
  async jwksJson(): Promise<string> {
    if (this.ageMs() >= this.settings.jwksMaxAgeMs) await this.refresh();
    return this.documentJson;
  }

  private async keyFor(header: JWTHeaderParameters): Promise<CryptoKey> {
    // jose has already refused any alg but ES256; a kid is what selects one of our keys.
    const kid = header.kid;
    if (typeof kid !== 'string' || kid === '') {
      throw new TokenRejection('unknown_key', 'the access token names no key (kid)');
    }
    if (this.ageMs() >= this.settings.jwksMaxAgeMs) await this.refresh();
    let key = this.keys.get(kid);
    if (key === undefined && this.ageMs() >= this.settings.jwksRefreshMinIntervalMs) {
      await this.refresh();
      key = this.keys.get(kid);
    }
    if (key === undefined) {
      throw new TokenRejection('unknown_key', 'the access token was signed by an unknown key');
    }
    return key;
  }

  private ageMs(): number {
    return this.nowMs() - this.loadedAtMs;
  }

  /** One refresh at a time; callers arriving meanwhile wait for it. */
  private refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async load(): Promise<void> {
    const json = await this.fetchJwks();
    const { keys } = parseJwks(json);
    const loaded = new Map<string, CryptoKey>();
    for (const jwk of keys) {
      const usable =
        jwk.kty === 'EC' &&
        jwk.crv === 'P-256' &&
        typeof jwk.kid === 'string' &&
        (jwk.alg === undefined || jwk.alg === accessTokenAlgorithm) &&
        (jwk.use === undefined || jwk.use === 'sig') &&
        jwk.d === undefined;
      if (!usable || jwk.kid === undefined) continue;
      const key = await importJWK(jwk, accessTokenAlgorithm);
      if (key instanceof Uint8Array) continue;
      loaded.set(jwk.kid, key);
    }
    this.keys = loaded;
    this.documentJson = JSON.stringify({ keys: keys.filter((jwk) => jwk.d === undefined) });
    this.loadedAtMs = this.nowMs();
  }
}

function parseJwks(json: string): { keys: JWK[] } {
  const document = JSON.parse(json) as { keys?: unknown };
  if (!Array.isArray(document.keys)) throw new Error('the JWKS has no keys array');
  return { keys: document.keys as JWK[] };
}

function rejectionOf(error: unknown): Error {
  if (error instanceof TokenRejection) return error;
  if (error instanceof joseErrors.JWTExpired) {
    return new TokenRejection('expired', 'the access token has expired');
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return new TokenRejection(
      `claim_${error.claim}`,
      `the access token's ${error.claim} claim is not accepted`,
    );
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) {
    return new TokenRejection('algorithm', 'the access token is not signed with ES256');
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new TokenRejection('signature', 'the access token signature does not verify');
  }
  if (error instanceof joseErrors.JOSEError) {
    return new TokenRejection('malformed', 'malformed access token');
  }
  // Anything else (the JWKS could not be loaded) is ours, not the partner's.
  return error instanceof Error ? error : new Error(String(error));
}
