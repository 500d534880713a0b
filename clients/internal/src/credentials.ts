// Client-side mTLS for the mesh: present our own identity from the certificates folder (reloaded
// when rotated on disk) and accept only a server that presents the target's SPIFFE ID.
import type * as grpc from '@grpc/grpc-js';
import {
  certificateFiles,
  reloadingClientCredentials,
  watchCertificates,
} from '../../../services/mesh/src/tls.js';

export interface MeshIdentityOptions {
  readonly certsDirectory: string;
  /** Our identity's file name in the folder: payment, gateway, admin, … */
  readonly identity: string;
  readonly trustDomain: string;
  readonly refreshIntervalMs?: number;
}

export interface MeshClientCredentials {
  readonly credentials: grpc.ChannelCredentials;
  /** Stops watching the certificate files; call it when the clients using them are closed. */
  close(): void;
}

/** Credentials for calling `targetPath` (e.g. service/ledger) as our identity. */
export function meshClientCredentials(
  options: MeshIdentityOptions,
  targetPath: string,
): MeshClientCredentials {
  const watcher = watchCertificates(
    certificateFiles(options.certsDirectory, options.identity),
    options.refreshIntervalMs ?? 60_000,
  );
  return {
    credentials: reloadingClientCredentials(
      watcher,
      `spiffe://${options.trustDomain}/${targetPath}`,
    ),
    close: () => {
      watcher.close();
    },
  };
}
