// Makes sure a Redis answers at REDIS_URL (SPEC §7): when none does on a local address, starts
// `redis-server` if it is installed; otherwise stops with one line that says what to do.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';

export interface RedisHandle {
  readonly started: boolean;
  stop(): Promise<void>;
}

export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

export async function redisAnswers(redisUrl: string, timeoutMs: number): Promise<boolean> {
  const client = new Redis(redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
  });
  client.on('error', () => undefined);
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

export async function ensureRedis(redisUrl: string): Promise<RedisHandle> {
  if (await redisAnswers(redisUrl, 2_000)) return { started: false, stop: () => Promise.resolve() };
  const url = new URL(redisUrl);
  const advice =
    'start Redis (apt-get install redis-server, or brew install redis) or set REDIS_URL';
  if (!['127.0.0.1', 'localhost'].includes(url.hostname)) {
    throw new RedisUnavailableError(`no Redis answers at ${url.host} (REDIS_URL): ${advice}`);
  }
  const port = url.port === '' ? '6379' : url.port;
  console.log(`no Redis answers at ${url.host}: starting redis-server on port ${port}`);
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const failure = once(child, 'error').then(([error]) => {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new RedisUnavailableError(
      missing
        ? `no Redis answers at ${url.host} and redis-server is not installed: ${advice}`
        : String(error),
    );
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ready = await Promise.race([redisAnswers(redisUrl, 500), failure]);
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new RedisUnavailableError(
        `redis-server did not answer at ${url.host} within 10 s: ${advice}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    started: true,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
