// The development PKI of SPEC §7: `.dev/certs/` with ca.crt/ca.key and <name>.crt/<name>.key for
// every service and client identity. Idempotent: existing files that are still valid (signed by
// the CA on disk, not expiring within a week) are kept; anything missing or stale is reissued.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  createCertificateAuthority,
  isIssuedBy,
  issueCertificate,
  loadCertificateAuthority,
  type CertificateAuthority,
  type LeafOptions,
} from './pki.js';

export const trustDomainDefault = 'clearmesh.local';
export const serviceNames = ['account', 'ledger', 'payment', 'gateway'] as const;
export const clientNames = ['admin', 'demo'] as const;

const renewalMarginMs = 7 * 24 * 60 * 60 * 1000;

export interface DevPkiResult {
  readonly directory: string;
  /** Names whose certificate (and the CA, as 'ca') were written this time. */
  readonly written: readonly string[];
}

export function serviceCertificateOptions(name: string, trustDomain: string): LeafOptions {
  return {
    commonName: name,
    spiffeId: `spiffe://${trustDomain}/service/${name}`,
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
    extendedKeyUsages: ['serverAuth', 'clientAuth'],
  };
}

export function clientCertificateOptions(name: string, trustDomain: string): LeafOptions {
  return {
    commonName: name,
    spiffeId: `spiffe://${trustDomain}/client/${name}`,
    extendedKeyUsages: ['clientAuth'],
  };
}

export async function ensureDevPki(
  directory: string,
  trustDomain = trustDomainDefault,
): Promise<DevPkiResult> {
  // Only the certificate folder is private: its parent (.dev) also holds data other users run.
  await mkdir(dirname(directory), { recursive: true });
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  let authority = await readAuthority(directory);
  if (authority === undefined) {
    authority = await createCertificateAuthority({ commonName: 'Clearmesh Development CA' });
    await writePair(directory, 'ca', authority);
    written.push('ca');
  }
  const leaves: [string, LeafOptions][] = [
    ...serviceNames.map((name): [string, LeafOptions] => [
      name,
      serviceCertificateOptions(name, trustDomain),
    ]),
    ...clientNames.map((name): [string, LeafOptions] => [
      name,
      clientCertificateOptions(name, trustDomain),
    ]),
  ];
  for (const [name, options] of leaves) {
    const current = await readText(join(directory, `${name}.crt`));
    const key = await readText(join(directory, `${name}.key`));
    if (
      current !== undefined &&
      key !== undefined &&
      (await isIssuedBy(current, authority, renewalMarginMs))
    ) {
      continue;
    }
    await writePair(directory, name, await issueCertificate(authority, options));
    written.push(name);
  }
  return { directory, written };
}

async function readAuthority(directory: string): Promise<CertificateAuthority | undefined> {
  const certPem = await readText(join(directory, 'ca.crt'));
  const keyPem = await readText(join(directory, 'ca.key'));
  if (certPem === undefined || keyPem === undefined) return undefined;
  try {
    const authority = await loadCertificateAuthority(certPem, keyPem);
    const expiresAt = authority.certificate.notAfter.getTime();
    return expiresAt > Date.now() + renewalMarginMs ? authority : undefined;
  } catch {
    return undefined;
  }
}

async function writePair(
  directory: string,
  name: string,
  pair: { certPem: string; keyPem: string },
): Promise<void> {
  const keyPath = join(directory, `${name}.key`);
  await writeFile(keyPath, pair.keyPem, { mode: 0o600 });
  await chmod(keyPath, 0o600);
  await writeFile(join(directory, `${name}.crt`), pair.certPem, { mode: 0o644 });
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
