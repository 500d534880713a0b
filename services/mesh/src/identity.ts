// Who is calling: the SPIFFE ID in the peer certificate that the TLS handshake already verified
// against the mesh CA. A principal is the ID's path (`service/ledger`, `client/admin`); a
// certificate without exactly one SPIFFE ID of our trust domain is UNAUTHENTICATED.
import * as grpc from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { MeshError } from './errors.js';

export interface Principal {
  readonly spiffeId: string;
  /** `service/<name>` or `client/<name>`. */
  readonly id: string;
  readonly kind: 'service' | 'client';
  readonly name: string;
}

const principalNamePattern = /^[a-z0-9]([a-z0-9._-]{0,62})$/;

/** The `URI:` entries of a certificate's subjectAltName that are SPIFFE IDs. */
export function spiffeIdsOf(certificate: Pick<PeerCertificate, 'subjectaltname'>): string[] {
  const names = certificate.subjectaltname ?? '';
  return [...names.matchAll(/(?:^|, )URI:(spiffe:\/\/[^,\s]+)/g)].map((match) => match[1] ?? '');
}

/** The principal of a SPIFFE ID in `trustDomain`, or undefined for any other ID. */
export function principalOf(spiffeId: string, trustDomain: string): Principal | undefined {
  const prefix = `spiffe://${trustDomain}/`;
  if (!spiffeId.startsWith(prefix)) return undefined;
  const [kind, name, ...rest] = spiffeId.slice(prefix.length).split('/');
  if (rest.length > 0 || name === undefined || !principalNamePattern.test(name)) return undefined;
  if (kind !== 'service' && kind !== 'client') return undefined;
  return { spiffeId, id: `${kind}/${name}`, kind, name };
}

/**
 * Resolves a call's principal from the verified peer certificate. Reading the certificate costs
 * more than the rest of the runtime together (grpc-js rebuilds it on every getAuthContext()), and
 * it cannot change within a connection, so the outcome is kept per HTTP/2 session — weakly, so it
 * goes with the connection. Where grpc-js internals do not expose the session, every call reads
 * the certificate: slower, never wrong.
 */
export class PeerIdentityResolver {
  private readonly bySession = new WeakMap<object, Principal | MeshError>();

  constructor(private readonly trustDomain: string) {}

  resolve(call: Pick<grpc.ServerUnaryCall<unknown, unknown>, 'getAuthContext'>): Principal {
    const session = sessionOf(call);
    let outcome = session === undefined ? undefined : this.bySession.get(session);
    if (outcome === undefined) {
      outcome = this.identify(call.getAuthContext().sslPeerCertificate);
      if (session !== undefined) this.bySession.set(session, outcome);
    }
    if (outcome instanceof MeshError) throw outcome;
    return outcome;
  }

  private identify(certificate: PeerCertificate | undefined): Principal | MeshError {
    const ids = certificate === undefined ? [] : spiffeIdsOf(certificate);
    const principal =
      ids.length === 1 && ids[0] !== undefined ? principalOf(ids[0], this.trustDomain) : undefined;
    if (principal !== undefined) return principal;
    return new MeshError(
      grpc.status.UNAUTHENTICATED,
      'INVALID_PEER_IDENTITY',
      `the client certificate carries no SPIFFE ID of ${this.trustDomain}`,
    );
  }
}

/** The HTTP/2 session a grpc-js server call runs on (grpc-js 1.14 internals), if reachable. */
function sessionOf(call: object): object | undefined {
  interface Inner {
    stream?: { session?: unknown };
    nextCall?: Inner;
  }
  // With server interceptors the call is wrapped once more (nextCall); without, it is the base.
  const inner = (call as { call?: Inner }).call;
  const session = (inner?.stream ?? inner?.nextCall?.stream)?.session;
  return typeof session === 'object' && session !== null ? session : undefined;
}
