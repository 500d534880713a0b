// A private redis-server for fault tests: stopping, restarting or flushing it never disturbs the
// shared Redis (REDIS_URL) that every other test uses. It listens on a free 127.0.0.1 port, keeps
// nothing on disk, and is killed when the test process exits, even if a test forgot to stop it.
import { freePort } from './free-port.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

export interface RedisProcess {
  readonly url: string;
  readonly port: number;
  /** Kills the server (SIGKILL, as a crash would) and waits for it to exit. */
  stop(): Promise<void>;
  /** Stops the server if it runs, starts it again on the same port, and waits for PING. */
  restart(): Promise<void>;
  flushAll(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open and commands go unanswered. */
  pause(): void;
  /** Lets a paused server run again (SIGCONT). */
  resume(): void;
}

const readyTimeoutMs = 10_000;
const pingIntervalMs = 20;
const startAttemptsMax = 3;
const outputKeptChars = 4_000;

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startRedisProcess(): Promise<RedisProcess> {
  // A free port can be taken between finding it and redis-server binding it: try another.
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    try {
      return await startOnPort(port);
    } catch (error) {
      if (attempt >= startAttemptsMax) throw error;
    }
  }
}

async function startOnPort(port: number): Promise<RedisProcess> {
  let child = await launch(port);
  const stop = async (): Promise<void> => {
    if (hasExited(child)) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    restart: async () => {
      await stop();
      child = await launch(port);
    },
    flushAll: async () => {
      const client = adminClient(port);
      try {
        await client.connect();
        await client.flushall();
      } finally {
        client.disconnect();
      }
    },
    pause: () => {
      child.kill('SIGSTOP');
    },
    resume: () => {
      child.kill('SIGCONT');
    },
  };
}

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-outputKeptChars);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  child.once('exit', () => running.delete(child));
  try {
    await awaitPing(port, () => {
      if (spawnError !== undefined) return `redis-server could not start: ${spawnError.message}`;
      if (hasExited(child)) return `redis-server exited on port ${port}: ${output}`;
      return undefined;
    });
    return child;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

/** Polls PING until the server answers; fails as soon as `failure` names a reason, or on timeout. */
async function awaitPing(port: number, failure: () => string | undefined): Promise<void> {
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    const reason = failure();
    if (reason !== undefined) throw new Error(reason);
    if (await answersPing(port)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `redis-server on port ${port} did not answer PING within ${readyTimeoutMs} ms`,
      );
    }
    await sleep(pingIntervalMs);
  }
}

async function answersPing(port: number): Promise<boolean> {
  const client = adminClient(port);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** A one-shot client that fails instead of waiting or reconnecting. */
function adminClient(port: number): Redis {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
  });
  client.on('error', () => undefined);
  return client;
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}
