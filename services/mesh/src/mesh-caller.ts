// Who calls a service of the mesh, as its rules see it (SPEC §4). Types only, so that services'
// domain layers can name callers without the runtime; services/mesh/src/callers.ts makes them.

export type MeshCaller =
  /** client/admin: everything the service offers. */
  | { readonly kind: 'admin'; readonly principalId: string }
  /** Other client/* principals and services: across owners, within what the service allows. */
  | { readonly kind: 'internal'; readonly principalId: string }
  /** service/gateway acting for a partner: only what the partner owns. */
  | {
      readonly kind: 'partner';
      readonly principalId: string;
      readonly partnerId: string;
      readonly scopes: readonly string[];
    };
