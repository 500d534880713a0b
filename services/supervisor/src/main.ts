// `npm start`: the whole mesh on one machine. Creates the dev PKI if missing, makes sure Postgres
// (embedded if need be) and Redis answer, creates the database, then runs account, ledger, payment
// and gateway as separate processes, restarting any that dies, until Ctrl-C / SIGTERM.
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { readUrl } from '../../mesh/src/config.js';
import { ensureDatabase } from '../../mesh/src/database.js';
import { ensureDevPki } from '../../mesh/src/dev-pki.js';
import { readCertsDirectory, readDrainGraceMs } from '../../mesh/src/process-config.js';
import type { ReadyMessage } from '../../mesh/src/lifecycle.js';
import { databaseUrlDefault, meshProcessNames, redisUrlDefault } from '../../mesh/src/topology.js';
import { ChildProcessSupervisor } from './child-process-supervisor.js';
import { ensurePostgres } from './postgres.js';
import { ensureRedis } from './redis.js';

const servicesDirectory = resolve(fileURLToPath(import.meta.url), '../../..');

async function main(): Promise<void> {
  const env = process.env;
  const certsDirectory = readCertsDirectory(env);
  const pki = await ensureDevPki(certsDirectory);
  if (pki.written.length > 0)
    console.log(`certificates: wrote ${pki.written.join(', ')} to ${certsDirectory}`);

  const databaseUrl = readUrl(env, 'DATABASE_URL', databaseUrlDefault).toString();
  const postgres = await ensurePostgres(databaseUrl, resolve('.dev/postgres'));
  if (await ensureDatabase(databaseUrl))
    console.log(`created database ${new URL(databaseUrl).pathname.slice(1)}`);
  const redisUrl = readUrl(env, 'REDIS_URL', redisUrlDefault).toString();
  const redis = await ensureRedis(redisUrl);

  const drainGraceMs = readDrainGraceMs(env);
  const ready = new Map<string, ReadyMessage>();
  const supervisor = new ChildProcessSupervisor(
    meshProcessNames.map((name) => ({
      name,
      entryPoint: resolve(servicesDirectory, name, 'src/main.ts'),
    })),
    {
      backoffInitialMs: 500,
      backoffMaxMs: 30_000,
      stableRunMs: 30_000,
      stopGraceMs: drainGraceMs + 5_000,
      onReady: (message, restarts) => {
        if (restarts > 0) {
          console.log(`${message.name} is back (restart ${restarts}) at ${message.address}`);
          return;
        }
        ready.set(message.name, message);
        if (ready.size === meshProcessNames.length) {
          printReady([...ready.values()], {
            databaseUrl,
            embeddedPostgres: postgres.embedded,
            redisUrl,
            startedRedis: redis.started,
          });
        }
      },
      onExit: (name, code, signal, restartInMs) => {
        console.error(
          `${name} exited (${signal ?? `code ${code}`}); restarting in ${restartInMs} ms`,
        );
      },
    },
  );
  supervisor.start();

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the mesh`);
    supervisor
      .stop()
      .then(() => redis.stop())
      .then(() => postgres.stop())
      .then(
        () => {
          console.log('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          console.error(`stop failed: ${String(error)}`);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function printReady(
  processes: readonly ReadyMessage[],
  backing: {
    databaseUrl: string;
    embeddedPostgres: boolean;
    redisUrl: string;
    startedRedis: boolean;
  },
): void {
  const lines = ['', 'Clearmesh is running:'];
  for (const name of meshProcessNames) {
    const message = processes.find((candidate) => candidate.name === name);
    if (message === undefined) continue;
    const kind = name === 'gateway' ? 'https://' : 'grpcs://';
    lines.push(
      `  ${name.padEnd(8)} ${(kind + message.address).padEnd(26)} metrics http://${message.metricsAddress}/metrics`,
    );
  }
  const database = new URL(backing.databaseUrl);
  const redis = new URL(backing.redisUrl);
  lines.push(
    `  postgres ${database.host}${database.pathname}${backing.embeddedPostgres ? ' (embedded, data in .dev/postgres)' : ''}`,
    `  redis    ${redis.host}${backing.startedRedis ? ' (redis-server started by npm start)' : ''}`,
    '  certificates in .dev/certs (client identity for operators: admin.crt / admin.key)',
    'Press Ctrl-C to stop.',
    '',
  );
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error(`clearmesh: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
