// Structured JSON logs (pino). One logger per process, named for the service; children add context.
// Lines are written asynchronously in 4 KiB chunks: a synchronous write per RPC line costs a
// system call on every call's path. A quiet process would then hold its last lines back, so the
// buffer is also flushed every second; the lifecycle flushes it before the process exits.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export function createLogger(
  service: string,
  options: { level?: string; destination?: DestinationStream } = {},
): Logger {
  const logger = pino(
    {
      name: service,
      level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
      base: { service },
      // Secrets never belong in logs; these keys are dropped should a caller pass them by
      // mistake. Top-level paths only: wildcard paths are re-parsed on every line.
      redact: {
        paths: ['client_secret', 'clientSecret', 'access_token', 'accessToken', 'password'],
        remove: true,
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false, minLength: 4096 }),
  );
  setInterval(() => {
    logger.flush();
  }, flushIntervalMs).unref();
  return logger;
}

const flushIntervalMs = 1_000;

/** Writes out buffered log lines, then exits with `code`. */
export function flushAndExit(logger: Logger, code: number): void {
  logger.flush(() => process.exit(code));
}
