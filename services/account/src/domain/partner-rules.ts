// The rules of partners that need neither the database nor a key: which scopes exist, what a
// CreatePartner or IssueToken request may contain, and which scopes a token is granted.
import {
  isPartnerScope,
  PARTNER_SCOPES,
  type PartnerScope,
} from '../../../mesh/src/partner-scopes.js';
import { checkFreeText, DISPLAY_NAME_LENGTH_MAX, type Violation } from './account-rules.js';

export { PARTNER_SCOPES, type PartnerScope };

export const CLIENT_ID_PATTERN = /^[!-~]{1,255}$/;
/** A presented secret longer than this is refused before it is hashed: scrypt's input is bounded. */
export const CLIENT_SECRET_LENGTH_MAX = 512;
/** Scopes in one request: the four that exist, with room for duplicates, and no more. */
export const REQUESTED_SCOPES_MAX = 16;

export type PartnerStatus = 'ACTIVE' | 'REVOKED';

export interface PartnerRecord {
  readonly partnerId: string;
  readonly clientId: string;
  readonly displayName: string;
  /** Sorted and distinct. */
  readonly scopes: readonly PartnerScope[];
  readonly status: PartnerStatus;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Distinct known scopes in PARTNER_SCOPES order, or the violation of field `scopes`. */
export function parseScopes(
  scopes: readonly string[],
): { ok: true; scopes: PartnerScope[] } | { ok: false; violation: Violation } {
  if (scopes.length > REQUESTED_SCOPES_MAX) {
    return {
      ok: false,
      violation: { field: 'scopes', description: `must list at most ${REQUESTED_SCOPES_MAX}` },
    };
  }
  const unknown = scopes.filter((scope) => !isPartnerScope(scope));
  if (unknown.length > 0) {
    return {
      ok: false,
      violation: {
        field: 'scopes',
        description: `unknown scope ${JSON.stringify(unknown[0]?.slice(0, 40))}; known: ${PARTNER_SCOPES.join(', ')}`,
      },
    };
  }
  return { ok: true, scopes: PARTNER_SCOPES.filter((scope) => scopes.includes(scope)) };
}

/** A CreatePartner request's display name and scopes, or every violation. */
export function validateCreatePartner(input: {
  displayName: string;
  scopes: readonly string[];
}):
  | { ok: true; displayName: string; scopes: PartnerScope[] }
  | { ok: false; violations: Violation[] } {
  const violations: Violation[] = [];
  if (input.displayName.length === 0) {
    violations.push({ field: 'display_name', description: 'is required' });
  } else {
    violations.push(...checkFreeText(input.displayName, 'display_name', DISPLAY_NAME_LENGTH_MAX));
  }
  const scopes = parseScopes(input.scopes);
  if (!scopes.ok) violations.push(scopes.violation);
  else if (scopes.scopes.length === 0) {
    violations.push({ field: 'scopes', description: 'must list at least one scope' });
  }
  if (violations.length > 0 || !scopes.ok) return { ok: false, violations };
  return { ok: true, displayName: input.displayName, scopes: scopes.scopes };
}

/** The shape of an IssueToken credential; the credential itself is checked against the store. */
export function checkCredentialShape(input: {
  clientId: string;
  clientSecret: string;
}): Violation[] {
  const violations: Violation[] = [];
  if (!CLIENT_ID_PATTERN.test(input.clientId)) {
    violations.push({ field: 'client_id', description: 'must be 1 to 255 characters from ! to ~' });
  }
  if (input.clientSecret.length === 0) {
    violations.push({ field: 'client_secret', description: 'is required' });
  } else if (input.clientSecret.length > CLIENT_SECRET_LENGTH_MAX) {
    violations.push({
      field: 'client_secret',
      description: `must be at most ${CLIENT_SECRET_LENGTH_MAX} characters`,
    });
  }
  return violations;
}

/**
 * The scopes a token gets: all the partner's when none are requested, else the requested ones if
 * the partner holds every one of them. Unknown and not-granted scopes are both field `scopes`
 * (OAuth2 invalid_scope).
 */
export function grantedScopes(
  held: readonly PartnerScope[],
  requested: readonly string[],
): { ok: true; scopes: PartnerScope[] } | { ok: false; violation: Violation } {
  if (requested.length === 0) return { ok: true, scopes: [...held] };
  const parsed = parseScopes(requested);
  if (!parsed.ok) return parsed;
  const lacking = parsed.scopes.filter((scope) => !held.includes(scope));
  if (lacking.length > 0) {
    return {
      ok: false,
      violation: { field: 'scopes', description: `the partner lacks the scope ${lacking[0]}` },
    };
  }
  return parsed;
}
