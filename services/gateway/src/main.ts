// The partner gateway process: config → HTTPS listener → metrics → ready → drain on SIGTERM.
import { announceReady, exitOnStartupFailure, stopOnSignals } from '../../mesh/src/lifecycle.js';
import { createLogger } from '../../mesh/src/logger.js';
import { createMetricsRegistry, startMetricsServer } from '../../mesh/src/metrics-server.js';
import { readProcessConfig } from '../../mesh/src/process-config.js';
import { readTlsIdentity } from '../../mesh/src/tls.js';
import { startGatewayServer } from './https-server.js';

const logger = createLogger('gateway');

async function main(): Promise<void> {
  const config = readProcessConfig('gateway', process.env);
  const metrics = await startMetricsServer(createMetricsRegistry('gateway'), config.metricsAddress);
  const server = await startGatewayServer({
    address: config.address,
    identity: readTlsIdentity(config.certsDirectory, 'gateway'),
    logger,
  });
  stopOnSignals(logger, async () => {
    await server.shutdown(config.drainGraceMs);
    await metrics.close();
  });
  announceReady({ name: 'gateway', address: server.address, metricsAddress: metrics.address });
}

main().catch(exitOnStartupFailure(logger));
