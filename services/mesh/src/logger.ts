// Structured JSON logs (pino). One logger per process, named for the service; children add context.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(service: string, level = process.env['LOG_LEVEL'] ?? 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    // Secrets never belong in logs; these paths are dropped should a caller pass them by mistake.
    redact: {
      paths: ['*.client_secret', '*.clientSecret', '*.access_token', '*.password'],
      remove: true,
    },
  });
}
