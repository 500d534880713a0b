// Runs each mesh process as a child, restarts one that dies (exponential backoff, reset after a
// stable run) and stops them all on request: SIGTERM, then SIGKILL for any still alive after the
// grace period.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { isReadyMessage, type ReadyMessage } from '../../mesh/src/lifecycle.js';

export interface ChildSpec {
  readonly name: string;
  readonly entryPoint: string;
  /** Environment of the child; default: the supervisor's own. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface SupervisorOptions {
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  /** A child that ran this long before dying is restarted after the initial backoff again. */
  readonly stableRunMs: number;
  readonly stopGraceMs: number;
  onReady(message: ReadyMessage, restarts: number): void;
  onExit(name: string, code: number | null, signal: string | null, restartInMs: number): void;
}

interface Supervised {
  readonly spec: ChildSpec;
  child: ChildProcess | undefined;
  startedAt: number;
  restarts: number;
  consecutiveFailures: number;
  restartTimer: NodeJS.Timeout | undefined;
}

export class ChildProcessSupervisor {
  private readonly supervised: Supervised[];
  private stopping = false;

  constructor(
    specs: readonly ChildSpec[],
    private readonly options: SupervisorOptions,
  ) {
    this.supervised = specs.map((spec) => ({
      spec,
      child: undefined,
      startedAt: 0,
      restarts: 0,
      consecutiveFailures: 0,
      restartTimer: undefined,
    }));
  }

  start(): void {
    for (const entry of this.supervised) this.launch(entry);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.supervised.map((entry) => this.stopOne(entry)));
  }

  private launch(entry: Supervised): void {
    entry.restartTimer = undefined;
    const child = fork(entry.spec.entryPoint, [], {
      execArgv: ['--import', 'tsx'],
      env: entry.spec.env ?? process.env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    entry.child = child;
    entry.startedAt = Date.now();
    child.on('message', (message) => {
      if (isReadyMessage(message)) this.options.onReady(message, entry.restarts);
    });
    child.once('exit', (code, signal) => {
      entry.child = undefined;
      if (this.stopping) return;
      const ranMs = Date.now() - entry.startedAt;
      entry.consecutiveFailures =
        ranMs >= this.options.stableRunMs ? 1 : entry.consecutiveFailures + 1;
      const delayMs = Math.min(
        this.options.backoffMaxMs,
        this.options.backoffInitialMs * 2 ** (entry.consecutiveFailures - 1),
      );
      this.options.onExit(entry.spec.name, code, signal, delayMs);
      entry.restarts += 1;
      entry.restartTimer = setTimeout(() => {
        this.launch(entry);
      }, delayMs);
    });
  }

  private async stopOne(entry: Supervised): Promise<void> {
    clearTimeout(entry.restartTimer);
    const child = entry.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), this.options.stopGraceMs);
    await exited;
    clearTimeout(timer);
  }
}
