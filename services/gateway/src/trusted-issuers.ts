// Further issuers whose access tokens the gateway accepts (SPEC §5: third-party login), read from
// the file GATEWAY_TRUSTED_ISSUERS_FILE names. Each issuer is trusted only as far as the file says:
// its keys come from the JWKS address in the file (never from anything in a token), only the
// asymmetric algorithms listed verify, `aud` must match, and only the subjects listed act — each
// as the partner the file maps it to, with at most the scopes the file grants (narrowed further by
// the token's own `scope` or `scp`). A subject not in the file is refused, so a partner is revoked
// for that issuer by taking its line out of the file.
//
// {
//   "issuers": [{
//     "issuer": "https://login.bank.example",
//     "jwksUri": "https://login.bank.example/.well-known/jwks.json",
//     "audience": "clearmesh",
//     "algorithms": ["RS256"],
//     "subjects": { "svc-payments@bank": { "partnerId": "…", "scopes": ["payments:read"] } }
//   }]
// }
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../mesh/src/config.js';
import {
  isPartnerScope,
  PARTNER_SCOPES,
  type PartnerScope,
} from '../../mesh/src/partner-scopes.js';

export interface TrustedSubject {
  readonly partnerId: string;
  /** The most this subject may do; a token's own scope claim can only narrow it. */
  readonly scopes: readonly PartnerScope[];
}

export interface TrustedIssuer {
  readonly issuer: string;
  readonly jwksUri: URL;
  readonly audience: string;
  readonly algorithms: readonly string[];
  readonly subjects: ReadonlyMap<string, TrustedSubject>;
}

/** Asymmetric JWS algorithms only: no HS* (a shared secret), never `none`. */
export const trustedAlgorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

const partnerIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;
const loopbackHosts = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** The file at `path` (none: no further issuers), checked: a problem stops start-up, one line. */
export function loadTrustedIssuers(path: string | undefined, ownIssuer: string): TrustedIssuer[] {
  if (path === undefined || path === '') return [];
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `GATEWAY_TRUSTED_ISSUERS_FILE=${path} cannot be read: ${(error as Error).message}`,
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new ConfigError(`GATEWAY_TRUSTED_ISSUERS_FILE=${path} is not JSON`);
  }
  return parseTrustedIssuers(document, path, ownIssuer);
}

export function parseTrustedIssuers(
  document: unknown,
  source: string,
  ownIssuer: string,
): TrustedIssuer[] {
  const fail = (where: string, problem: string): never => {
    throw new ConfigError(`${source}: ${where} ${problem}`);
  };
  const issuers = (document as { issuers?: unknown } | null)?.issuers;
  if (!Array.isArray(issuers)) return fail('the document', 'has no "issuers" list');
  const seen = new Set<string>();
  return issuers.map((entry: unknown, index): TrustedIssuer => {
    const where = `issuers[${index}]`;
    const fields = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<
      string,
      unknown
    >;
    const text = (name: string): string => {
      const value = fields[name];
      if (typeof value !== 'string' || value === '') return fail(where, `needs "${name}" (text)`);
      return value;
    };
    const issuer = text('issuer');
    if (issuer === ownIssuer) fail(where, `is the gateway's own issuer ${ownIssuer}`);
    if (seen.has(issuer)) fail(where, `repeats the issuer ${issuer}`);
    seen.add(issuer);
    const jwksUri = parseJwksUri(text('jwksUri'), (problem) => fail(where, problem));
    const audience = text('audience');
    const algorithms = fields['algorithms'];
    if (
      !Array.isArray(algorithms) ||
      algorithms.length === 0 ||
      !algorithms.every((name) => (trustedAlgorithms as readonly unknown[]).includes(name))
    ) {
      fail(where, `needs "algorithms" from ${trustedAlgorithms.join(', ')}`);
    }
    const subjects = parseSubjects(fields['subjects'], (problem) => fail(where, problem));
    return { issuer, jwksUri, audience, algorithms: algorithms as string[], subjects };
  });
}

function parseJwksUri(text: string, fail: (problem: string) => never): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail(`has a "jwksUri" that is not a URL: ${text}`);
  }
  // Plain HTTP only to this machine (a local identity provider, tests): keys never travel in clear.
  const local = url.protocol === 'http:' && loopbackHosts.has(url.hostname);
  if (url.protocol !== 'https:' && !local) fail(`needs an https "jwksUri", not ${text}`);
  return url;
}

function parseSubjects(
  value: unknown,
  fail: (problem: string) => never,
): ReadonlyMap<string, TrustedSubject> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('needs "subjects": { "<sub>": { "partnerId": …, "scopes": [ … ] } }');
  }
  const subjects = new Map<string, TrustedSubject>();
  for (const [subject, mapping] of Object.entries(value)) {
    const { partnerId, scopes } = (mapping ?? {}) as { partnerId?: unknown; scopes?: unknown };
    if (typeof partnerId !== 'string' || !partnerIdPattern.test(partnerId)) {
      fail(`maps the subject ${subject} to no valid "partnerId"`);
    }
    if (!Array.isArray(scopes) || !scopes.every(isPartnerScope)) {
      fail(`grants the subject ${subject} "scopes" other than ${PARTNER_SCOPES.join(', ')}`);
    }
    const granted = scopes as readonly PartnerScope[];
    subjects.set(subject, {
      partnerId,
      scopes: PARTNER_SCOPES.filter((scope) => granted.includes(scope)),
    });
  }
  if (subjects.size === 0) fail('maps no subject to a partner');
  return subjects;
}
