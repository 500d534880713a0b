// Structured JSON logs (pino). One logger per process, named for the service; children add context.
// Lines are collected and written in chunks of about 4 KiB, one synchronous write each: a write per
// RPC line would cost a system call on every call's path. pino's own sonic-boom is not used:
// asynchronously it pays a thread-pool round trip per chunk and encodes each chunk twice, and in
// either mode it re-measures the whole pending chunk on every line (~7 µs per line at 4 KiB);
// together ~20 µs of server CPU per RPC in bench:mesh. A synchronous write blocks only while the
// reader of stdout is not reading, as Node's own stdout does on pipes. A quiet process would hold
// its last lines back, so the buffer is also flushed every second, and at exit.
import { openSync, writeSync } from 'node:fs';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

const chunkChars = 4096;
/** How long to wait before writing again to a non-blocking pipe that is full. */
const fullPipeWaitMs = 10;

/** A pino destination: lines collected, written out in ~4 KiB chunks (see above). */
export class ChunkedLogWriter implements DestinationStream {
  private lines: string[] = [];
  private pendingChars = 0;
  private failureReported = false;

  constructor(private readonly fd: number) {
    process.on('exit', () => {
      this.flushSync();
    });
  }

  write(line: string): void {
    this.lines.push(line);
    this.pendingChars += line.length;
    if (this.pendingChars >= chunkChars) this.flushSync();
  }

  /** pino's logger.flush(callback) lands here. */
  flush(callback: (error?: Error) => void): void {
    this.flushSync();
    callback();
  }

  /**
   * Writes out what is collected. Never throws: a log line is written from every RPC's path, and
   * a stdout nobody reads any more (EPIPE, EBADF) must not fail the call that logged; the chunk is
   * dropped and the first such failure said once on stderr.
   */
  flushSync(): void {
    if (this.lines.length === 0) return;
    const chunk = Buffer.from(this.lines.join(''));
    this.lines = [];
    this.pendingChars = 0;
    for (let offset = 0; offset < chunk.length;) {
      try {
        offset += writeSync(this.fd, chunk, offset);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, fullPipeWaitMs);
          continue;
        }
        this.reportFailure(error);
        return;
      }
    }
  }

  private reportFailure(error: unknown): void {
    if (this.failureReported) return;
    this.failureReported = true;
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    try {
      writeSync(2, `log lines dropped: writing to fd ${this.fd} failed (${code})\n`);
    } catch {
      // stderr is gone too: nowhere left to say it.
    }
  }
}

/** Where a process's log lines go: a file descriptor (default stdout) or a file path. */
export function logDestination(dest: number | string = 1): DestinationStream {
  return new ChunkedLogWriter(typeof dest === 'number' ? dest : openSync(dest, 'a'));
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
