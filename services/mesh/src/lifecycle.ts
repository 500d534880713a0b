// Process lifecycle shared by every mesh process: report readiness to a supervising parent, and
// turn SIGTERM / SIGINT into one orderly stop that exits 0 (a second signal exits at once).
import { flushAndExit, type Logger } from './logger.js';

export interface ReadyMessage {
  readonly type: 'ready';
  readonly name: string;
  readonly address: string;
  readonly metricsAddress: string;
}

export function isReadyMessage(message: unknown): message is ReadyMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === 'ready'
  );
}

/** Tells the supervisor (if this process has one, over the fork IPC channel) that we serve. */
export function announceReady(message: Omit<ReadyMessage, 'type'>): void {
  process.send?.({ type: 'ready', ...message } satisfies ReadyMessage);
}

export function stopOnSignals(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    stop().then(
      () => {
        logger.info('stopped');
        flushAndExit(logger, 0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        flushAndExit(logger, 1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Logs an error that ended start-up as one line and exits non-zero. */
export function exitOnStartupFailure(logger: Logger): (error: unknown) => void {
  return (error: unknown) => {
    logger.fatal({ err: error }, error instanceof Error ? error.message : 'start-up failed');
    flushAndExit(logger, 1);
  };
}
