// The start-up sequence of a gRPC service of the mesh: config → database (migrated) → metrics →
// mTLS server → ready → drain on SIGTERM. Each service's main.ts supplies only what is its own.
import { readProcessConfig, type ProcessConfig } from './process-config.js';
import { connectDatabase, migrateSchema, type Knex, type Migration } from './database.js';
import { announceReady, exitOnStartupFailure, stopOnSignals } from './lifecycle.js';
import { createLogger, type Logger } from './logger.js';
import { createMetricsRegistry, startMetricsServer } from './metrics-server.js';
import { startMeshServer, type ServiceRegistration } from './server.js';
import { AuthorizationPolicy } from './authorization-policy.js';
import { meshMethodPaths } from './service-catalog.js';
import {
  certificateFiles,
  certificatesLoaded,
  reloadingServerCredentials,
  watchCertificates,
} from './tls.js';
import type { MeshProcessName } from './topology.js';
import type { Registry } from 'prom-client';

export interface ServiceDependencies {
  /** The settings every mesh process reads; a service reads only its own on top. */
  readonly config: ProcessConfig;
  readonly db: Knex;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Runs `hook` on SIGTERM after the server has drained, before the database pool closes. */
  readonly onStop: (hook: () => Promise<void>) => void;
}

export interface GrpcServiceSpec {
  readonly name: Exclude<MeshProcessName, 'gateway'>;
  readonly schema: string;
  readonly migrations: readonly Migration[];
  /** The service's registrations; may wait for what must be ready before the first call. */
  readonly services: (
    dependencies: ServiceDependencies,
  ) => readonly ServiceRegistration[] | Promise<readonly ServiceRegistration[]>;
}

export function runGrpcService(spec: GrpcServiceSpec): void {
  const logger = createLogger(spec.name);
  start(spec, logger).catch(exitOnStartupFailure(logger));
}

async function start(spec: GrpcServiceSpec, logger: Logger): Promise<void> {
  const config = readProcessConfig(spec.name, process.env);
  const policy = AuthorizationPolicy.load(config.policyFile, meshMethodPaths);
  const db = connectDatabase(config.databaseUrl, {
    schema: spec.schema,
    poolMax: config.databasePoolMax,
    applicationName: `clearmesh-${spec.name}`,
  });
  const applied = await migrateSchema(db, spec.schema, spec.migrations);
  if (applied.length > 0) logger.info({ schema: spec.schema, applied }, 'migrations applied');

  const registry = createMetricsRegistry(spec.name);
  const stopHooks: (() => Promise<void>)[] = [];
  const metrics = await startMetricsServer(registry, config.metricsAddress);
  const files = certificateFiles(config.certsDirectory, spec.name);
  const certificates = watchCertificates(files, config.certificateRefreshIntervalMs);
  const services = await spec.services({
    config,
    db,
    logger,
    registry,
    onStop: (hook) => stopHooks.push(hook),
  });
  const server = await startMeshServer({
    address: config.address,
    credentials: reloadingServerCredentials(certificates),
    services,
    policy,
    trustDomain: config.trustDomain,
    registry,
    logger,
    deadlineMaxMs: config.deadlineMaxMs,
  });
  await certificatesLoaded(certificates, files);
  stopOnSignals(logger, async () => {
    await server.shutdown(config.drainGraceMs);
    certificates.close();
    for (const hook of stopHooks) await hook();
    await metrics.close();
    await db.destroy();
  });
  announceReady({ name: spec.name, address: server.address, metricsAddress: metrics.address });
}
