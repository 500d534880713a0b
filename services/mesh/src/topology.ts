// Where each process of the mesh listens by default (SPEC §7), and the identity it presents.
// One table, read by the services, the supervisor that starts them and the clients that call them.
export const meshProcessNames = ['account', 'ledger', 'payment', 'gateway'] as const;
export type MeshProcessName = (typeof meshProcessNames)[number];

export interface ProcessDefaults {
  /** gRPC (or, for the gateway, HTTPS) listen address. */
  readonly address: string;
  readonly metricsAddress: string;
  /** Environment variable prefix for this process's settings, e.g. LEDGER_ADDR. */
  readonly envPrefix: string;
}

export const processDefaults: Readonly<Record<MeshProcessName, ProcessDefaults>> = {
  account: { address: '127.0.0.1:50051', metricsAddress: '127.0.0.1:9451', envPrefix: 'ACCOUNT' },
  ledger: { address: '127.0.0.1:50052', metricsAddress: '127.0.0.1:9452', envPrefix: 'LEDGER' },
  payment: { address: '127.0.0.1:50053', metricsAddress: '127.0.0.1:9453', envPrefix: 'PAYMENT' },
  gateway: { address: '127.0.0.1:8443', metricsAddress: '127.0.0.1:9454', envPrefix: 'GATEWAY' },
};

export const databaseUrlDefault = 'postgres://postgres@127.0.0.1:5432/clearmesh';
export const redisUrlDefault = 'redis://127.0.0.1:6379';
export const certsDirectoryDefault = '.dev/certs';

export function serviceSpiffeId(trustDomain: string, name: MeshProcessName): string {
  return `spiffe://${trustDomain}/service/${name}`;
}
