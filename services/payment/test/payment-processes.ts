// Mesh services as real processes for crash tests: account, ledger and payment, each its own node
// process running its own main.ts (built by esbuild), ready announced over IPC as the supervisor
// expects, on ports chosen once, so a restarted payment process comes back where its clients and
// its earlier life were. Every process started here is SIGKILLed when the test process exits,
// whatever the tests did, and exits by itself if the test process is killed.
import { meshEnvironment as sharedMeshEnvironment } from '../../../test/harness/mesh-processes.js';
import { build } from 'esbuild';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testRun } from '../../../test/harness/test-run.js';
import { defaultPolicyPath } from '../../mesh/src/authorization-policy.js';
import { isReadyMessage } from '../../mesh/src/lifecycle.js';

export type ServiceName = 'account' | 'ledger' | 'payment';

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  readonly name: ServiceName;
  /** host:port of its gRPC listener. */
  readonly address: string;
  /** From the moment the service was started (forked, or a standby told to run) to ready. */
  readonly startMs: number;
  /** Settles when the process has exited, however it ended. */
  readonly exited: Promise<ProcessExit>;
  /** Its last lines of output, for failure messages. */
  output(): string;
  /** SIGTERM (drain), then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<ProcessExit>;
}

/** The services built once per test run: one ES module each, and the launcher that runs them. */
export interface ServiceBuild {
  entryPoint(name: ServiceName): string;
  /** The packages `name` imports, in the order its module imports them. */
  packages(name: ServiceName): readonly string[];
  /** The module every service process starts with (see launcherSource). */
  readonly launcher: string;
  /** Deletes what the build wrote. */
  remove(): Promise<void>;
}

const servicesDirectory = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const repositoryDirectory = resolve(servicesDirectory, '..');
const outputLinesMax = 200;
const startTimeoutMs = 60_000;
const running = new Set<ChildProcess>();

// A failed or interrupted test run must not leave services behind holding ports and connections.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * The environment of account, ledger and payment on free ports with the run's PKI, database and
 * Redis (see test/harness/mesh-processes.ts), without crash faults armed, and with the policy file
 * found where the sources are: the built modules live elsewhere.
 */
export async function meshEnvironment(): Promise<NodeJS.ProcessEnv> {
  const env = await sharedMeshEnvironment({
    services: ['account', 'ledger', 'payment'],
    drainGraceMs: 500,
  });
  env['POLICY_FILE'] = defaultPolicyPath;
  for (const name of Object.keys(env)) {
    if (name.startsWith('PAYMENT_FAULT_')) env[name] = undefined;
  }
  return env;
}

/**
 * Every service process runs this module first. Told an entry point, it imports it at once; else
 * it is a standby: it loads the packages it is given, says it is warm and imports the entry point
 * it is sent. Either way it exits when the test process goes away (its IPC channel closes), even
 * if that one was killed and could not stop its children.
 */
const launcherSource = `// Written by services/payment/test/payment-processes.ts.
process.on('disconnect', () => process.exit(1));
const { packages, entryPoint } = JSON.parse(process.argv[2]);
const run = (module) =>
  import(module).catch((error) => {
    console.error(error);
    process.exit(1);
  });
if (entryPoint !== undefined) {
  await run(entryPoint);
} else {
  for (const name of packages) await import(name);
  process.once('message', (message) => run(message.entryPoint));
  process.send({ type: 'warm' });
}
`;

/**
 * Each service's main.ts compiled by esbuild (what tsx does at every start) into one ES module that
 * imports its packages from node_modules: a process then starts without loading tsx and compiling
 * a hundred files, in about half the time. The modules live under node_modules/.cache, where
 * their imports resolve.
 */
export async function buildServices(names: readonly ServiceName[]): Promise<ServiceBuild> {
  const directory = join(
    repositoryDirectory,
    'node_modules/.cache/clearmesh-test',
    testRun().runId,
  );
  await mkdir(directory, { recursive: true });
  const { metafile } = await build({
    entryPoints: Object.fromEntries(
      names.map((name) => [name, resolve(servicesDirectory, name, 'src/main.ts')]),
    ),
    outdir: directory,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    metafile: true,
    logLevel: 'error',
  });
  const launcher = join(directory, 'service-launcher.mjs');
  await writeFile(launcher, launcherSource);
  const entryPoint = (name: ServiceName) => join(directory, `${name}.mjs`);
  const packagesOf = new Map<string, string[]>();
  for (const [output, { imports }] of Object.entries(metafile.outputs)) {
    const external = imports.filter((item) => item.external).map((item) => item.path);
    packagesOf.set(resolve(repositoryDirectory, output), [...new Set(external)]);
  }
  return {
    entryPoint,
    packages: (name) => packagesOf.get(entryPoint(name)) ?? [],
    launcher,
    remove: () => rm(directory, { recursive: true, force: true }),
  };
}

/** A forked child whose exit and last lines of output are being watched. */
interface Watched {
  readonly child: ChildProcess;
  readonly exited: Promise<ProcessExit>;
  readonly output: () => string;
}

function forkWatched(module: string, args: readonly string[], env: NodeJS.ProcessEnv): Watched {
  const child = fork(module, args, {
    // Not the test process's own options (mocha's --import tsx): the module is plain JavaScript.
    execArgv: [],
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  running.add(child);
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    if (lines.length > outputLinesMax) lines.splice(0, lines.length - outputLinesMax);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<ProcessExit>((settle) => {
    child.once('exit', (code, signal) => {
      settle({ code, signal });
    });
    // A fork that could not be spawned emits 'error' and never 'exit'.
    child.on('error', (error) => {
      lines.push(`process error: ${error.message}`);
      if (child.pid === undefined) settle({ code: null, signal: null });
    });
  });
  void exited.finally(() => running.delete(child));
  return { child, exited, output: () => lines.join('\n') };
}

/** The first message `accept` takes (bounded in time); an exit first fails with the output. */
function messageOf(
  watched: Watched,
  what: string,
  accept: (message: unknown) => string | undefined,
): Promise<string> {
  return new Promise<string>((received, failed) => {
    const timer = setTimeout(() => {
      watched.child.kill('SIGKILL');
      failed(new Error(`${what}: nothing within ${startTimeoutMs} ms:\n${watched.output()}`));
    }, startTimeoutMs);
    const onMessage = (message: unknown): void => {
      const value = accept(message);
      if (value === undefined) return;
      clearTimeout(timer);
      watched.child.off('message', onMessage);
      received(value);
    };
    watched.child.on('message', onMessage);
    void watched.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      failed(new Error(`${what}: exited (${signal ?? `code ${code}`}):\n${watched.output()}`));
    });
  });
}

function serviceProcess(
  name: ServiceName,
  watched: Watched,
  address: string,
  startMs: number,
): ServiceProcess {
  const { child, exited } = watched;
  return {
    name,
    address,
    startMs,
    exited,
    output: watched.output,
    stop: async (graceMs = 5_000) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };
}

const readyAddress = (message: unknown): string | undefined =>
  isReadyMessage(message) ? message.address : undefined;

/** Starts `name` in a new process with `env` and answers once it serves (its ready message). */
export async function startServiceProcess(
  name: ServiceName,
  env: NodeJS.ProcessEnv,
  serviceBuild: ServiceBuild,
): Promise<ServiceProcess> {
  const startedAt = performance.now();
  const launch = { entryPoint: serviceBuild.entryPoint(name) };
  const watched = forkWatched(serviceBuild.launcher, [JSON.stringify(launch)], env);
  const address = await messageOf(watched, `starting ${name}`, readyAddress);
  return serviceProcess(name, watched, address, performance.now() - startedAt);
}

/**
 * Restarts without the wait for node itself: a standby process is forked ahead of need (node
 * booted, the service's packages loaded, nothing of the service run: no port, no connection) and
 * told to import the service's module when a start is asked for. The service then starts in a
 * fresh process as it would from a cold fork, in a fraction of the time, which is what lets the
 * crash matrix restart eighty times. The standby waits for one environment; a start with another
 * kills it and forks a new one.
 */
export class Standbys {
  private standby: Standby | undefined;

  constructor(
    private readonly name: ServiceName,
    private readonly serviceBuild: ServiceBuild,
  ) {}

  async start(env: NodeJS.ProcessEnv): Promise<ServiceProcess> {
    let standby = this.standby;
    this.standby = undefined;
    if (standby?.env !== JSON.stringify(env)) {
      standby?.watched.child.kill('SIGKILL');
      standby = this.fork(env);
    }
    const { watched } = standby;
    await standby.warm;
    const startedAt = performance.now();
    watched.child.send({ entryPoint: this.serviceBuild.entryPoint(this.name) });
    const address = await messageOf(watched, `starting ${this.name}`, readyAddress);
    const started = serviceProcess(this.name, watched, address, performance.now() - startedAt);
    // The next one boots while this one serves.
    this.standby = this.fork(env);
    return started;
  }

  /** Kills the standby waiting, if any. */
  close(): void {
    this.standby?.watched.child.kill('SIGKILL');
    this.standby = undefined;
  }

  private fork(env: NodeJS.ProcessEnv): Standby {
    const launch = { packages: this.serviceBuild.packages(this.name) };
    const watched = forkWatched(this.serviceBuild.launcher, [JSON.stringify(launch)], env);
    // Listened for from the fork on: the message may come long before the start that needs it.
    const warm = messageOf(watched, `a standby for ${this.name}`, (message) =>
      (message as { type?: unknown } | null)?.type === 'warm' ? 'warm' : undefined,
    );
    // A standby killed unused must not leave a rejection behind; start() awaits the original.
    warm.catch(() => undefined);
    return { watched, env: JSON.stringify(env), warm };
  }
}

interface Standby {
  readonly watched: Watched;
  /** The environment it was forked with, as JSON. */
  readonly env: string;
  /** Settles once node is up and the packages are loaded; rejects if it died or hung. */
  readonly warm: Promise<string>;
}
