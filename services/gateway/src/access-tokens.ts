// Verifies partners' bearer tokens: RFC 9068 access tokens signed by the account service, and
// tokens of the further issuers the operator trusts (trusted-issuers.ts). Our own tokens' keys come
// only from our own JWKS (AccountService.GetJwks), never from URLs or keys inside a token; the
// algorithm is pinned to ES256, and iss, aud, exp, nbf and typ at+jwt are checked with a bounded
// leeway. An unknown kid refreshes the JWKS, at most once per interval, so a key rotation is
// picked up at once while a flood of forged kids costs one GetJwks call per interval. A trusted
// issuer's token is verified against that issuer's configured JWKS address, algorithms and
// audience, and speaks for the partner its subject is mapped to; the `iss` a token claims only
// chooses which of these checks apply, and every one of them verifies the signature.
import {
  createRemoteJWKSet,
  decodeJwt,
  errors as joseErrors,
  importJWK,
  jwtVerify,
  type CryptoKey,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
  type FlattenedJWSInput,
} from 'jose';
import type { PartnerIdentity } from '../../mesh/src/rpc-runtime.js';
import type { TrustedIssuer, TrustedSubject } from './trusted-issuers.js';

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
  /** Further issuers whose tokens speak for the partners their subjects are mapped to. */
  readonly trustedIssuers?: readonly TrustedIssuer[];
}

type KeyResolver = (header: JWTHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

/** A trusted issuer with its key set, fetched from its configured address and cached by jose. */
interface IssuerVerifier {
  readonly trusted: TrustedIssuer;
  readonly keys: KeyResolver;
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
  private readonly issuers: ReadonlyMap<string, IssuerVerifier>;

  constructor(
    /** The JWKS document as JSON (GetJwks's jwks_json). */
    private readonly fetchJwks: () => Promise<string>,
    private readonly settings: AccessTokenSettings,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.issuers = new Map(
      (settings.trustedIssuers ?? []).map((trusted) => [
        trusted.issuer,
        { trusted, keys: remoteKeys(trusted, settings.jwksRefreshMinIntervalMs) },
      ]),
    );
  }

  /** The partner a bearer token speaks for, or a TokenRejection. */
  async verify(token: string): Promise<VerifiedToken> {
    if (token.length === 0 || token.length > tokenLengthMax) {
      throw new TokenRejection('malformed', 'malformed access token');
    }
    const claimedIssuer = unverifiedIssuer(token);
    if (claimedIssuer !== this.settings.issuer) {
      const other = claimedIssuer === undefined ? undefined : this.issuers.get(claimedIssuer);
      // An issuer nobody configured: refused like any wrong iss, its signature unexamined.
      if (other === undefined) {
        throw new TokenRejection('claim_iss', "the access token's iss claim is not accepted");
      }
      return this.verifyTrusted(token, other);
    }
    let payload: JWTPayload;
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

  private async verifyTrusted(token: string, issuer: IssuerVerifier): Promise<VerifiedToken> {
    const { trusted } = issuer;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, issuer.keys, {
        algorithms: [...trusted.algorithms],
        issuer: trusted.issuer,
        audience: trusted.audience,
        clockTolerance: this.settings.leewaySeconds,
        requiredClaims: ['exp', 'sub'],
        currentDate: new Date(this.nowMs()),
      }));
    } catch (error) {
      throw rejectionOf(error);
    }
    const subject = payload.sub === undefined ? undefined : trusted.subjects.get(payload.sub);
    if (subject === undefined || payload.exp === undefined) {
      throw new TokenRejection(
        'unknown_subject',
        "the access token's subject is not mapped to a partner",
      );
    }
    const clientId = [payload['client_id'], payload['azp'], payload.sub].find(
      (candidate): candidate is string => typeof candidate === 'string',
    );
    return {
      partnerId: subject.partnerId,
      scopes: grantedScopes(subject, payload),
      clientId: clientId ?? '',
      expiresAt: new Date(payload.exp * 1_000),
    };
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

/** The `iss` a token claims, read before anything is verified: it only chooses the checks. */
function unverifiedIssuer(token: string): string | undefined {
  let claims: JWTPayload;
  try {
    claims = decodeJwt(token);
  } catch {
    throw new TokenRejection('malformed', 'malformed access token');
  }
  return typeof claims.iss === 'string' ? claims.iss : undefined;
}

/**
 * The issuer's keys from its configured address, cached and refetched by jose (on an unknown kid
 * at most once per `cooldownMs`). A fetch that fails is ours, not the partner's: it is not
 * turned into a TokenRejection.
 */
function remoteKeys(trusted: TrustedIssuer, cooldownMs: number): KeyResolver {
  const keySet = createRemoteJWKSet(trusted.jwksUri, {
    cooldownDuration: cooldownMs,
    timeoutDuration: 5_000,
  });
  return async (header, token) => {
    try {
      return await keySet(header, token);
    } catch (error) {
      if (
        error instanceof joseErrors.JWKSNoMatchingKey ||
        error instanceof joseErrors.JWKSMultipleMatchingKeys ||
        error instanceof joseErrors.JOSENotSupported
      ) {
        throw error;
      }
      throw new Error(`the JWKS of trusted issuer ${trusted.issuer} cannot be loaded`, {
        cause: error,
      });
    }
  };
}

/**
 * The subject's configured scopes, narrowed to those the token names (`scope` text or `scp`
 * list) when it names any; a claim of any other shape names none.
 */
function grantedScopes(subject: TrustedSubject, payload: JWTPayload): PartnerIdentity['scopes'] {
  const claim = payload['scope'] ?? payload['scp'];
  if (claim === undefined) return subject.scopes;
  const named: unknown[] =
    typeof claim === 'string' ? claim.split(' ') : Array.isArray(claim) ? claim : [];
  return subject.scopes.filter((scope) => named.includes(scope));
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
    return new TokenRejection(
      'algorithm',
      'the access token is not signed with an accepted algorithm',
    );
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey) {
    return new TokenRejection('unknown_key', 'the access token was signed by an unknown key');
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
