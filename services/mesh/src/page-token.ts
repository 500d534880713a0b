// Opaque keyset page tokens for every list RPC of the mesh. A token carries the position after
// which the next page starts, sealed with an HMAC over that position, the caller and the query, so
// a client can neither forge a position nor replay a token as another caller or for another query
// (other account, filters or order): each of those is INVALID_ARGUMENT / VALIDATION_FAILED on
// `page_token` (SPEC §3.0). Tokens do not expire: a keyset position stays meaningful forever.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ConfigError, readString, type Environment } from './config.js';
import { MeshError } from './errors.js';
import type { CallContext } from './rpc-runtime.js';

/** Development default only: production sets PAGE_TOKEN_SECRET, the same on every replica. */
export const pageTokenSecretDefault = 'clearmesh-development-page-token-secret';
export const pageTokenSecretLengthMin = 16;
/** Longer tokens are refused before any decoding: ours are far shorter. */
export const pageTokenLengthMax = 512;

const tokenVersion = 1;
const macLengthBytes = 16;

export function readPageTokenSecret(env: Environment): string {
  const secret = readString(env, 'PAGE_TOKEN_SECRET', pageTokenSecretDefault);
  if (secret.length < pageTokenSecretLengthMin) {
    throw new ConfigError(
      `PAGE_TOKEN_SECRET is too short: expected at least ${pageTokenSecretLengthMin} characters`,
    );
  }
  return secret;
}

/** SPEC §3.0 page sizes, the same for every list RPC. */
export const pageSizeDefault = 50;
export const pageSizeMax = 500;

/** The page size to use: 0 means the default, above the maximum is clamped, negative refused. */
export function pageSizeOf(pageSize: number): number {
  if (pageSize < 0) {
    throw MeshError.invalidArgument([{ field: 'page_size', description: 'must not be negative' }]);
  }
  if (pageSize === 0) return pageSizeDefault;
  return Math.min(pageSize, pageSizeMax);
}

export type PageQueryValue = string | number | boolean | bigint | Date | undefined;

/** What a token is bound to. The page size is not part of it: a client may change it per page. */
export interface PageScope {
  /** Who asks: see pageCallerOf. */
  readonly caller: string;
  /** The parameters that define the listing (account, filters, order). */
  readonly query: Readonly<Record<string, PageQueryValue>>;
}

/** The caller a token is bound to: the principal, and the partner a gateway call acts for. */
export function pageCallerOf(context: Pick<CallContext, 'principal' | 'partner'>): string {
  const partner = context.partner;
  return partner === undefined
    ? context.principal.id
    : `${context.principal.id} partner:${partner.partnerId}`;
}

export class PageTokens {
  private readonly secret: Buffer;

  constructor(secret: string) {
    if (secret.length < pageTokenSecretLengthMin) {
      throw new Error(`a page token secret needs at least ${pageTokenSecretLengthMin} characters`);
    }
    this.secret = Buffer.from(secret, 'utf8');
  }

  /** A token for the page that starts after `position` (any text the service can parse back). */
  seal(position: string, scope: PageScope): string {
    const payload = Buffer.from(JSON.stringify({ v: tokenVersion, p: position }), 'utf8');
    return `${payload.toString('base64url')}.${this.mac(payload, scope).toString('base64url')}`;
  }

  /**
   * The position sealed in `token`, if it was issued by us for this caller and query; otherwise
   * INVALID_ARGUMENT on `field`. Malformed, tampered and foreign tokens are refused alike, so the
   * answer tells a prober nothing about which check failed.
   */
  open(token: string, scope: PageScope, field = 'page_token'): string {
    const refused = MeshError.invalidArgument([
      { field, description: 'is not a page token issued for this caller and query' },
    ]);
    if (token.length > pageTokenLengthMax) throw refused;
    const [payloadText, macText, ...rest] = token.split('.');
    if (payloadText === undefined || macText === undefined || rest.length > 0) throw refused;
    const payload = Buffer.from(payloadText, 'base64url');
    const mac = Buffer.from(macText, 'base64url');
    // Buffer.from ignores characters outside the alphabet: insist on the canonical spelling.
    if (payload.toString('base64url') !== payloadText || mac.toString('base64url') !== macText) {
      throw refused;
    }
    const expected = this.mac(payload, scope);
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) throw refused;
    const position = positionOf(payload);
    if (position === undefined) throw refused;
    return position;
  }

  private mac(payload: Buffer, scope: PageScope): Buffer {
    return createHmac('sha256', this.secret)
      .update(payload)
      .update('\0')
      .update(JSON.stringify([scope.caller, canonicalQuery(scope.query)]))
      .digest()
      .subarray(0, macLengthBytes);
  }
}

/** The query as sorted [key, typed value] pairs, so equal queries always hash alike. */
function canonicalQuery(query: Readonly<Record<string, PageQueryValue>>): [string, string][] {
  return Object.keys(query)
    .sort()
    .map((key) => [key, typedText(query[key])]);
}

function typedText(value: PageQueryValue): string {
  if (value === undefined) return 'u:';
  if (value instanceof Date) return `d:${value.getTime()}`;
  return `${typeof value}:${String(value)}`;
}

function positionOf(payload: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(payload.toString('utf8')) as { v?: unknown; p?: unknown };
    if (parsed.v !== tokenVersion || typeof parsed.p !== 'string') return undefined;
    return parsed.p;
  } catch {
    return undefined;
  }
}
