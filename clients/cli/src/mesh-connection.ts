// The CLI's connection to a running mesh: the internal SDK's clients for account, ledger and
// payment, dialled where the services are (`<NAME>_TARGET`, else `<NAME>_ADDR`, as the services
// dial each other) over mTLS as one identity from CERTS_DIR (client/admin by default). Clients are
// made on first use and all closed at the end, so that the process can exit.
import { existsSync } from 'node:fs';
import { Registry } from 'prom-client';
import {
  createAccountClient,
  createLedgerClient,
  createPaymentClient,
  meshClientCredentials,
  type AccountClient,
  type LedgerClient,
  type MeshClientCredentials,
  type PaymentClient,
} from '../../internal/src/index.js';
import { ConfigError, readString, type Environment } from '../../../services/mesh/src/config.js';
import { trustDomainDefault } from '../../../services/mesh/src/dev-pki.js';
import { readCertsDirectory, readDialAddress } from '../../../services/mesh/src/process-config.js';
import { certificateFiles } from '../../../services/mesh/src/tls.js';
import type { MeshProcessName } from '../../../services/mesh/src/topology.js';

export interface MeshConnectionOptions {
  readonly env: Environment;
  /** The certificate's file name in CERTS_DIR: admin, demo, … */
  readonly identity: string;
  /** Deadline of each unary call. */
  readonly timeoutMs: number;
}

export interface MeshConnection {
  readonly timeoutMs: number;
  account(): AccountClient;
  ledger(): LedgerClient;
  payment(): PaymentClient;
  close(): void;
}

export function connectMesh(options: MeshConnectionOptions): MeshConnection {
  // Read every setting up front: a bad address fails before any call is made.
  const certsDirectory = readCertsDirectory(options.env);
  const trustDomain = readString(options.env, 'TRUST_DOMAIN', trustDomainDefault);
  const addresses: Record<Exclude<MeshProcessName, 'gateway'>, string> = {
    account: readDialAddress(options.env, 'account'),
    ledger: readDialAddress(options.env, 'ledger'),
    payment: readDialAddress(options.env, 'payment'),
  };
  // grpc-js would only say UNAVAILABLE at the deadline; a missing file is worth its own line.
  const files = certificateFiles(certsDirectory, options.identity);
  for (const file of [files.caCertificateFile, files.certificateFile, files.privateKeyFile]) {
    if (!existsSync(file)) {
      throw new ConfigError(
        `${file} not found: CERTS_DIR must hold ca.crt and ${options.identity}.crt/.key ` +
          '(npm run certs writes the dev PKI)',
      );
    }
  }
  const registry = new Registry();
  const opened: { close(): void }[] = [];
  const credentialsFor = (name: MeshProcessName): MeshClientCredentials => {
    const credentials = meshClientCredentials(
      { certsDirectory, identity: options.identity, trustDomain },
      `service/${name}`,
    );
    opened.push(credentials);
    return credentials;
  };
  const once = <Client extends { close(): void }>(make: () => Client): (() => Client) => {
    let client: Client | undefined;
    return () => {
      if (client === undefined) {
        client = make();
        opened.push(client);
      }
      return client;
    };
  };
  const common = { registry, defaultTimeoutMs: options.timeoutMs };
  return {
    timeoutMs: options.timeoutMs,
    account: once(() =>
      createAccountClient({
        ...common,
        address: addresses.account,
        credentials: credentialsFor('account').credentials,
      }),
    ),
    ledger: once(() =>
      createLedgerClient({
        ...common,
        address: addresses.ledger,
        credentials: credentialsFor('ledger').credentials,
      }),
    ),
    payment: once(() =>
      createPaymentClient({
        ...common,
        address: addresses.payment,
        credentials: credentialsFor('payment').credentials,
      }),
    ),
    close: () => {
      for (const resource of opened.splice(0).reverse()) resource.close();
    },
  };
}
