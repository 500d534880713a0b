// The server side of the ledger benchmark (bench/ledger.ts), run as a child process because in
// production callers never share the ledger's event loop. It serves the real LedgerService — the
// group-commit writer, the expiry job, the handlers — behind the full mesh runtime (mTLS, SPIFFE
// identity, the default authorization policy, deadlines, metrics, one log line per RPC) over the
// scratch database the parent has migrated. It reports its port over IPC, then exits when the
// parent says stop or goes away.
import { devNull } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { ServerStop } from './server-child.js';
import { Registry } from 'prom-client';
import { ledgerConfigDefaults } from '../services/ledger/src/config.js';
import { createLedgerService } from '../services/ledger/src/ledger-service.js';
import {
  AuthorizationPolicy,
  defaultPolicyPath,
} from '../services/mesh/src/authorization-policy.js';
import { connectDatabase } from '../services/mesh/src/database.js';
import { trustDomainDefault } from '../services/mesh/src/dev-pki.js';
import { createLogger, logDestination, type Logger } from '../services/mesh/src/logger.js';
import { meshMethodPaths } from '../services/mesh/src/service-catalog.js';
import { startMeshServer } from '../services/mesh/src/server.js';
import { readTlsIdentity, serverCredentials } from '../services/mesh/src/tls.js';

/** The identities the benchmark uses: payment calling ledger, as the default policy allows. */
export const serverIdentityName = 'ledger';
export const clientIdentityName = 'payment';
export const serverSpiffeId = `spiffe://${trustDomainDefault}/service/${serverIdentityName}`;
/** The schema the ledger uses in production, inside the benchmark's scratch database. */
export const ledgerSchema = 'ledger';
/** The process default of DATABASE_POOL_MAX is not needed: the writer uses one connection. */
const databasePoolMax = 10;

export interface ServerReady {
  readonly kind: 'ready';
  readonly port: number;
}

const loopback = '127.0.0.1';

/** The services' own logger at info, writing to the null device (see bench/mesh-server.ts). */
function benchLogger(): Logger {
  return createLogger('ledger', {
    level: 'info',
    destination: logDestination(devNull),
  });
}

async function main(certsDirectory: string, databaseUrl: string): Promise<void> {
  const identity = readTlsIdentity(certsDirectory, serverIdentityName);
  const logger = benchLogger();
  const registry = new Registry();
  const db = connectDatabase(databaseUrl, {
    schema: ledgerSchema,
    poolMax: databasePoolMax,
    applicationName: 'clearmesh-bench-ledger',
  });
  const ledger = createLedgerService({
    db,
    logger,
    registry,
    config: { ...ledgerConfigDefaults, pageTokenSecret: 'bench-ledger-page-token-secret' },
  });
  ledger.start();
  const server = await startMeshServer({
    address: { host: loopback, port: 0 },
    credentials: serverCredentials(identity),
    services: [ledger.registration],
    policy: AuthorizationPolicy.load(defaultPolicyPath, meshMethodPaths),
    trustDomain: trustDomainDefault,
    registry,
    logger,
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void server
      .shutdown(0)
      .then(() => ledger.stop())
      .then(() => db.destroy())
      .finally(() => process.exit(0));
  };
  process.on('message', (message: Partial<ServerStop>) => {
    if (message.kind === 'stop') stop();
  });
  // The parent is gone (crashed, or Ctrl-C): nobody will send stop.
  process.on('disconnect', stop);
  const ready: ServerReady = { kind: 'ready', port: server.port };
  process.send?.(ready);
}

const isEntryPoint =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntryPoint) {
  const [certsDirectory, databaseUrl] = process.argv.slice(2);
  if (certsDirectory === undefined || databaseUrl === undefined) {
    console.error('usage: ledger-server.ts <certificates folder> <database url> (from ledger.ts)');
    process.exit(2);
  }
  main(certsDirectory, databaseUrl).catch((error: unknown) => {
    console.error('bench ledger server failed to start:', error);
    process.exit(1);
  });
}
