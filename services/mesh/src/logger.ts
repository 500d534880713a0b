// Structured JSON logs (pino). One logger per process, named for the service; children add context.
// Lines are buffered and written in 4 KiB chunks, one synchronous write each: a write per RPC
// line would cost a system call on every call's path, and sonic-boom's asynchronous mode costs
// more than it saves here (a thread-pool round trip per chunk, and every written chunk encoded
// twice), measured at ~15 µs of server CPU per RPC in bench:mesh. A synchronous write blocks
// only while the reader of stdout is not reading, as Node's own stdout does on pipes. A quiet
// process would hold its last lines back, so the buffer is also flushed every second; the
// lifecycle flushes it before the process exits.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Where a process's log lines go: a file descriptor (default stdout) or a path. */
export function logDestination(dest: number | string = 1): DestinationStream {
  return pino.destination({ dest, sync: true, minLength: 4096 });
}

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
    options.destination ?? logDestination(),
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
