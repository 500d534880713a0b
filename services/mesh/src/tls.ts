// Mutual TLS for every gRPC server and client of the mesh. Servers require a client certificate
// of the mesh CA; clients verify the server by its SPIFFE ID rather than by host name, because
// Node's default check ignores URI SANs and mesh identities are SPIFFE IDs.
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { spiffeIdsOf } from './identity.js';

// grpc-js takes no TLS version option; Node's process-wide floor applies to every context it
// makes. Pin it to 1.2 so that neither a NODE_OPTIONS flag nor an old default can lower it.
if (tls.DEFAULT_MIN_VERSION !== 'TLSv1.3') tls.DEFAULT_MIN_VERSION = 'TLSv1.2';

export interface TlsIdentity {
  readonly caPem: Buffer;
  readonly certPem: Buffer;
  readonly keyPem: Buffer;
}

/** Reads `<directory>/ca.crt` and `<directory>/<name>.{crt,key}`. */
export function readTlsIdentity(directory: string, name: string): TlsIdentity {
  return {
    caPem: readFileSync(join(directory, 'ca.crt')),
    certPem: readFileSync(join(directory, `${name}.crt`)),
    keyPem: readFileSync(join(directory, `${name}.key`)),
  };
}

export interface CertificateFiles {
  readonly caCertificateFile: string;
  readonly certificateFile: string;
  readonly privateKeyFile: string;
}

export function certificateFiles(directory: string, name: string): CertificateFiles {
  return {
    caCertificateFile: join(directory, 'ca.crt'),
    certificateFile: join(directory, `${name}.crt`),
    privateKeyFile: join(directory, `${name}.key`),
  };
}

/**
 * Watches a CA and an identity on disk: rotated files are picked up within `refreshIntervalMs`
 * and used for new connections, without a restart. Existing connections keep their handshake.
 * grpc-js's provider polls until every listener is gone, and a server never removes its own, so
 * close() stops the polling when the server or client that used it is done.
 */
export class CertificateWatcher extends grpc.experimental.FileWatcherCertificateProvider {
  close(): void {
    // grpc-js 1.14 keeps the poll timer in this private field.
    const internals = this as unknown as { refreshTimer: NodeJS.Timeout | null };
    if (internals.refreshTimer !== null) clearInterval(internals.refreshTimer);
    internals.refreshTimer = null;
  }
}

export function watchCertificates(
  files: CertificateFiles,
  refreshIntervalMs: number,
): CertificateWatcher {
  return new CertificateWatcher({ ...files, refreshIntervalMs });
}

/**
 * Resolves once the watcher has read a CA and an identity; rejects if a file cannot be read.
 * A server is ready only after this: before it, a handshake has no certificate to present.
 */
export function certificatesLoaded(
  watcher: CertificateWatcher,
  files: CertificateFiles,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let identityLoaded = false;
    let caLoaded = false;
    const settle = (): void => {
      if (!identityLoaded || !caLoaded) return;
      watcher.removeIdentityCertificateListener(onIdentity);
      watcher.removeCaCertificateListener(onCa);
      resolve();
    };
    const fail = (what: string): void => {
      watcher.removeIdentityCertificateListener(onIdentity);
      watcher.removeCaCertificateListener(onCa);
      reject(new Error(`cannot read ${what}`));
    };
    const onIdentity = (update: unknown): void => {
      if (update === null) {
        fail(`${files.certificateFile} or ${files.privateKeyFile}`);
        return;
      }
      identityLoaded = true;
      settle();
    };
    const onCa = (update: unknown): void => {
      if (update === null) {
        fail(files.caCertificateFile);
        return;
      }
      caLoaded = true;
      settle();
    };
    watcher.addIdentityCertificateListener(onIdentity);
    watcher.addCaCertificateListener(onCa);
  });
}

export function reloadingServerCredentials(watcher: CertificateWatcher): grpc.ServerCredentials {
  const requireClientCertificate = true;
  return grpc.experimental.createCertificateProviderServerCredentials(
    watcher,
    watcher,
    requireClientCertificate,
  );
}

export function reloadingClientCredentials(
  watcher: CertificateWatcher,
  expectedServerId: string,
): grpc.ChannelCredentials {
  return grpc.experimental.createCertificateProviderChannelCredentials(watcher, watcher, {
    checkServerIdentity: (_hostname, certificate) => checkSpiffeId(certificate, expectedServerId),
  });
}

export function serverCredentials(identity: TlsIdentity): grpc.ServerCredentials {
  const requireClientCertificate = true;
  return grpc.ServerCredentials.createSsl(
    identity.caPem,
    [{ cert_chain: identity.certPem, private_key: identity.keyPem }],
    requireClientCertificate,
  );
}

/**
 * Client credentials presenting `identity`. With `expectedServerId` the server must present that
 * SPIFFE ID; without it the ordinary host-name check applies (for non-mesh peers only).
 */
export function clientCredentials(
  identity: TlsIdentity,
  expectedServerId?: string,
): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(identity.caPem, identity.keyPem, identity.certPem, {
    checkServerIdentity: (hostname, certificate) =>
      expectedServerId === undefined
        ? checkServerIdentity(hostname, certificate)
        : checkSpiffeId(certificate, expectedServerId),
  });
}

function checkSpiffeId(certificate: PeerCertificate, expected: string): Error | undefined {
  const presented = spiffeIdsOf(certificate);
  if (presented.length === 1 && presented[0] === expected) return undefined;
  return new Error(
    `server identity mismatch: expected ${expected}, presented ${presented.join(', ') || 'no SPIFFE ID'}`,
  );
}
