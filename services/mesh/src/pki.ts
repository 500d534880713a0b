// Issues the X.509 certificates of the mesh: a CA and leaf certificates whose identity is a SPIFFE
// URI SAN. Used by `npm run certs`, by `npm start` (dev PKI) and by tests, which also need
// deliberately bad certificates (foreign CA, expired, wrong EKU). Keys are ECDSA P-256.
// @peculiar/x509 resolves its ASN.1 codecs through tsyringe, which needs the Reflect polyfill.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;

x509.cryptoProvider.set(webcrypto);

const signingAlgorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const dayMs = 24 * 60 * 60 * 1000;

export type ExtendedKeyUsage = 'serverAuth' | 'clientAuth';

export interface CertificateAuthority {
  readonly certPem: string;
  readonly keyPem: string;
  readonly certificate: x509.X509Certificate;
  readonly privateKey: CryptoKey;
}

export interface IssuedCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface LeafOptions {
  readonly commonName: string;
  /** Full SPIFFE ID, e.g. spiffe://clearmesh.local/service/ledger. Omitted: no URI SAN. */
  readonly spiffeId?: string;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly extendedKeyUsages: readonly ExtendedKeyUsage[];
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

export async function createCertificateAuthority(options: {
  commonName: string;
  validDays?: number;
}): Promise<CertificateAuthority> {
  const keys = await webcrypto.subtle.generateKey(signingAlgorithm, true, ['sign', 'verify']);
  const notBefore = new Date(Date.now() - 60_000);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: `CN=${options.commonName}`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (options.validDays ?? 3650) * dayMs),
    keys,
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certPem: certificate.toString('pem') + '\n',
    keyPem: await privateKeyPem(keys.privateKey),
    certificate,
    privateKey: keys.privateKey,
  };
}

export async function loadCertificateAuthority(
  certPem: string,
  keyPem: string,
): Promise<CertificateAuthority> {
  const certificate = new x509.X509Certificate(certPem);
  const der = Buffer.from(keyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, signingAlgorithm, true, [
    'sign',
  ]);
  return { certPem, keyPem, certificate, privateKey };
}

export async function issueCertificate(
  authority: CertificateAuthority,
  options: LeafOptions,
): Promise<IssuedCertificate> {
  const keys = await webcrypto.subtle.generateKey(signingAlgorithm, true, ['sign', 'verify']);
  const notBefore = options.notBefore ?? new Date(Date.now() - 60_000);
  const alternativeNames: x509.JsonGeneralName[] = [
    ...(options.spiffeId === undefined ? [] : [{ type: 'url' as const, value: options.spiffeId }]),
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const usageOids = options.extendedKeyUsages.map((usage) => x509.ExtendedKeyUsage[usage]);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: `CN=${options.commonName}`,
    issuer: authority.certificate.subject,
    notBefore,
    notAfter: options.notAfter ?? new Date(notBefore.getTime() + 365 * dayMs),
    signingKey: authority.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(usageOids, false),
      new x509.SubjectAlternativeNameExtension(alternativeNames, false),
      await x509.AuthorityKeyIdentifierExtension.create(authority.certificate, false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certPem: certificate.toString('pem') + '\n',
    keyPem: await privateKeyPem(keys.privateKey),
  };
}

/** True when `certPem` was signed by `authority` and is valid for at least `marginMs` more. */
export async function isIssuedBy(
  certPem: string,
  authority: CertificateAuthority,
  marginMs: number,
): Promise<boolean> {
  try {
    const certificate = new x509.X509Certificate(certPem);
    const now = Date.now();
    if (certificate.notBefore.getTime() > now) return false;
    if (certificate.notAfter.getTime() < now + marginMs) return false;
    return await certificate.verify({ publicKey: authority.certificate, signatureOnly: true });
  } catch {
    return false;
  }
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY') + '\n';
}

function randomSerialNumber(): string {
  // 16 random bytes with the top bit cleared: a positive serial, unique in practice.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}
