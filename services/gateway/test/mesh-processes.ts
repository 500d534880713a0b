// The whole mesh as `npm start` runs it (supervisor, account, ledger, payment, gateway as real
// processes) on free ports, with the run's PKI and database, for end-to-end tests of the gateway
// with whatever payment service the checkout has. Also a fetch for Node that trusts the run's CA.
import { freePort } from '../../../test/harness/free-port.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { request as httpsRequest } from 'node:https';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { testRun } from '../../../test/harness/test-run.js';

export interface MeshProcesses {
  /** host:port of each process's gRPC (or HTTPS) listener. */
  readonly addresses: ReadonlyMap<string, string>;
  /** host:port of each process's /metrics. */
  readonly metricsAddresses: ReadonlyMap<string, string>;
  stop(): Promise<void>;
}

export async function startMeshProcesses(): Promise<MeshProcesses> {
  const run = testRun();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CERTS_DIR: run.pki.directory,
    DATABASE_URL: run.database.url,
    REDIS_URL: run.redis.url,
    DRAIN_GRACE_MS: '1000',
    LOG_LEVEL: 'warn',
  };
  for (const prefix of ['ACCOUNT', 'LEDGER', 'PAYMENT', 'GATEWAY']) {
    env[`${prefix}_ADDR`] = `127.0.0.1:${await freePort()}`;
    env[`${prefix}_METRICS_ADDR`] = `127.0.0.1:${await freePort()}`;
  }
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'services/supervisor/src/main.ts'],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  const addresses = new Map<string, string>();
  const metricsAddresses = new Map<string, string>();
  const running = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`the mesh exited (${code}) before it was up:\n${output.join('\n')}`));
    });
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
      output.push(line);
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      output.push(line);
      const row = /^\s+(\w+)\s+(?:grpcs|https):\/\/(\S+)\s+metrics http:\/\/(\S+)\/metrics/.exec(
        line,
      );
      if (row?.[1] !== undefined && row[2] !== undefined && row[3] !== undefined) {
        addresses.set(row[1], row[2]);
        metricsAddresses.set(row[1], row[3]);
      }
      if (line.startsWith('Press Ctrl-C to stop.')) resolve();
    });
  });
  try {
    await running;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    addresses,
    metricsAddresses,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** fetch over node:https trusting `ca` (Node's global fetch cannot be given a CA per call). */
export function caTrustingFetch(ca: Buffer): typeof globalThis.fetch {
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const headers = Object.fromEntries(new Headers(init?.headers).entries());
      const request = httpsRequest(
        url,
        { method: init?.method ?? 'GET', headers, ca, signal: init?.signal ?? undefined },
        (response) => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            for (const item of [value ?? []].flat()) responseHeaders.append(name, item);
          }
          const body = Readable.toWeb(response);
          resolve(
            new Response(body, {
              status: response.statusCode ?? 0,
              headers: responseHeaders,
            }),
          );
        },
      );
      request.on('error', reject);
      const body = init?.body;
      if (typeof body === 'string') request.write(body);
      else if (body instanceof Uint8Array) request.write(body);
      else if (body !== undefined && body !== null) {
        reject(new Error('caTrustingFetch sends string and Uint8Array bodies only'));
        request.destroy();
        return;
      }
      request.end();
    });
}
