// The settings every mesh process reads, with the SPEC §7 defaults.
import { resolve } from 'node:path';
import {
  formatAddress,
  readAddress,
  readInteger,
  readString,
  readUrl,
  type Environment,
  type HostPort,
} from './config.js';
import { defaultPolicyPath } from './authorization-policy.js';
import { readPageTokenSecret } from './page-token.js';
import { trustDomainDefault } from './dev-pki.js';
import { deadlineMaxMsDefault } from './server.js';
import {
  certsDirectoryDefault,
  databaseUrlDefault,
  processDefaults,
  type MeshProcessName,
} from './topology.js';

export interface ProcessConfig {
  readonly name: MeshProcessName;
  readonly address: HostPort;
  readonly metricsAddress: HostPort;
  readonly certsDirectory: string;
  readonly trustDomain: string;
  /** How long in-flight calls may run after SIGTERM before they are cancelled. */
  readonly drainGraceMs: number;
  /** `<PREFIX>_DATABASE_URL`, else DATABASE_URL: each service can have its own database. */
  readonly databaseUrl: string;
  readonly databasePoolMax: number;
  /** The authorization policy (JSON); default services/mesh/policy/default-policy.json. */
  readonly policyFile: string;
  /** How often certificate files are checked for rotation. */
  readonly certificateRefreshIntervalMs: number;
  /** Cap and default for a unary call's deadline. */
  readonly deadlineMaxMs: number;
  /** HMAC key of list page tokens; the same on every replica. */
  readonly pageTokenSecret: string;
}

/** CERTS_DIR, read the same way by the services and the supervisor that writes the dev PKI. */
export function readCertsDirectory(env: Environment): string {
  return resolve(readString(env, 'CERTS_DIR', certsDirectoryDefault));
}

/**
 * Where a process dials `name`: `<NAME>_TARGET` (e.g. ledger:50052 in compose or Kubernetes,
 * where a service listens on 0.0.0.0 but is reached by its service name), else the address it
 * listens on (`<NAME>_ADDR`), else the default.
 */
export function readDialAddress(env: Environment, name: MeshProcessName): string {
  const { envPrefix, address } = processDefaults[name];
  const listen = formatAddress(readAddress(env, `${envPrefix}_ADDR`, address));
  return formatAddress(readAddress(env, `${envPrefix}_TARGET`, listen));
}

/** DRAIN_GRACE_MS: the services drain within it, the supervisor waits for it before SIGKILL. */
export function readDrainGraceMs(env: Environment): number {
  return readInteger(env, 'DRAIN_GRACE_MS', 10_000, { min: 0, max: 300_000 });
}

export function readProcessConfig(name: MeshProcessName, env: Environment): ProcessConfig {
  const defaults = processDefaults[name];
  const prefix = defaults.envPrefix;
  const sharedDatabaseUrl = readUrl(env, 'DATABASE_URL', databaseUrlDefault).toString();
  return {
    name,
    address: readAddress(env, `${prefix}_ADDR`, defaults.address),
    metricsAddress: readAddress(env, `${prefix}_METRICS_ADDR`, defaults.metricsAddress),
    certsDirectory: readCertsDirectory(env),
    trustDomain: readString(env, 'TRUST_DOMAIN', trustDomainDefault),
    drainGraceMs: readDrainGraceMs(env),
    databaseUrl: readUrl(env, `${prefix}_DATABASE_URL`, sharedDatabaseUrl).toString(),
    databasePoolMax: readInteger(env, 'DATABASE_POOL_MAX', 10, { min: 1, max: 200 }),
    policyFile: resolve(readString(env, 'POLICY_FILE', defaultPolicyPath)),
    certificateRefreshIntervalMs: readInteger(env, 'CERT_REFRESH_INTERVAL_MS', 60_000, {
      min: 100,
      max: 86_400_000,
    }),
    deadlineMaxMs: readInteger(env, 'DEADLINE_MAX_MS', deadlineMaxMsDefault, {
      min: 1,
      max: 600_000,
    }),
    pageTokenSecret: readPageTokenSecret(env),
  };
}
