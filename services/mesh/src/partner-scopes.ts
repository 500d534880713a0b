// SPEC §5: the scopes a partner may hold. One list for the account service (which grants them)
// and the gateway (which checks them per RPC, and caps them for trusted issuers' subjects).

/** In the order they are listed and granted. */
export const PARTNER_SCOPES = [
  'accounts:read',
  'accounts:write',
  'payments:read',
  'payments:write',
] as const;
export type PartnerScope = (typeof PARTNER_SCOPES)[number];

export function isPartnerScope(scope: unknown): scope is PartnerScope {
  return (PARTNER_SCOPES as readonly unknown[]).includes(scope);
}
