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
 * Resolves a call's principal from the verified peer certificate. Parsing the certificate on
 * every call would cost more than the rest of the runtime together, so the result is cached per
 * certificate fingerprint (bounded: a small LRU of the peers currently talking to us).
 */
export class PeerIdentityResolver {
  private readonly cache = new Map<string, Principal | MeshError>();

  constructor(
    private readonly trustDomain: string,
    private readonly cacheSizeMax = 1024,
  ) {}

  resolve(call: Pick<grpc.ServerUnaryCall<unknown, unknown>, 'getAuthContext'>): Principal {
    const certificate = call.getAuthContext().sslPeerCertificate;
    if (certificate === undefined) {
      // The server requires client certificates, so this is reachable only if that ever changes.
      throw new MeshError(
        grpc.status.UNAUTHENTICATED,
        'INVALID_PEER_IDENTITY',
        'no client certificate',
      );
    }
    const key = certificate.fingerprint256;
    let outcome = this.cache.get(key);
    if (outcome === undefined) {
      outcome = this.identify(certificate);
      if (this.cache.size >= this.cacheSizeMax) {
        const oldest = this.cache.keys().next().value;
        if (oldest !== undefined) this.cache.delete(oldest);
      }
      this.cache.set(key, outcome);
    }
    if (outcome instanceof MeshError) throw outcome;
    return outcome;
  }

  private identify(certificate: PeerCertificate): Principal | MeshError {
    const ids = spiffeIdsOf(certificate);
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
