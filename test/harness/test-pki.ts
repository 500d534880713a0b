// A throwaway PKI per test run: a mesh CA with the dev identities written to a temporary folder
// (servers read their certificates from files, as in production), plus a foreign CA for refusal
// tests. Real certificates, real handshakes.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevPki, trustDomainDefault } from '../../services/mesh/src/dev-pki.js';
import {
  createCertificateAuthority,
  issueCertificate,
  loadCertificateAuthority,
  type CertificateAuthority,
  type LeafOptions,
} from '../../services/mesh/src/pki.js';
import { readTlsIdentity, type TlsIdentity } from '../../services/mesh/src/tls.js';

export interface TestPki {
  readonly directory: string;
  readonly trustDomain: string;
  readonly authority: CertificateAuthority;
  /** ca.crt plus <name>.crt/.key of a dev identity (account, ledger, …, admin, demo). */
  identity(name: string): TlsIdentity;
  /** A certificate of the mesh CA with any options (expired, wrong EKU, no SPIFFE ID, …). */
  issue(options: LeafOptions): Promise<TlsIdentity>;
  destroy(): Promise<void>;
}

export async function createTestPki(): Promise<TestPki> {
  const directory = await mkdtemp(join(tmpdir(), 'clearmesh-pki-'));
  const certsDirectory = join(directory, 'certs');
  await ensureDevPki(certsDirectory, trustDomainDefault);
  const authority = await loadCertificateAuthority(
    await readFile(join(certsDirectory, 'ca.crt'), 'utf8'),
    await readFile(join(certsDirectory, 'ca.key'), 'utf8'),
  );
  return {
    directory: certsDirectory,
    trustDomain: trustDomainDefault,
    authority,
    identity: (name) => readTlsIdentity(certsDirectory, name),
    issue: async (options) =>
      toIdentity(authority.certPem, await issueCertificate(authority, options)),
    destroy: () => rm(directory, { recursive: true, force: true }),
  };
}

/**
 * A client identity issued by a CA the mesh does not trust, with an otherwise valid SPIFFE ID. It
 * still trusts `meshCaPem` for the server, so only the client certificate can fail the handshake.
 */
export async function foreignIdentity(
  name: string,
  trustDomain: string,
  meshCaPem: string,
): Promise<TlsIdentity> {
  const foreign = await createCertificateAuthority({ commonName: 'Foreign CA' });
  const leaf = await issueCertificate(foreign, {
    commonName: name,
    spiffeId: `spiffe://${trustDomain}/client/${name}`,
    extendedKeyUsages: ['clientAuth'],
  });
  return toIdentity(meshCaPem, leaf);
}

function toIdentity(caPem: string, leaf: { certPem: string; keyPem: string }): TlsIdentity {
  return {
    caPem: Buffer.from(caPem),
    certPem: Buffer.from(leaf.certPem),
    keyPem: Buffer.from(leaf.keyPem),
  };
}
