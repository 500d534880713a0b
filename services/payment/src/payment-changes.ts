// Payment changes as events, for WatchPayment: every write that changes a payment notifies
// PAYMENT_CHANGES_CHANNEL in its own transaction, so the notification arrives only once the change
// is committed — on every replica, whichever wrote it. One LISTEN connection per process fans the
// notifications out to the watchers of each payment. A watcher also re-reads on a slow timer, so a
// notification lost while the connection was down delays an update but never loses it.
import pg from 'pg';
import type { Logger } from '../../mesh/src/logger.js';
import { PAYMENT_CHANGES_CHANNEL } from './store/index.js';

export interface PaymentChangesOptions {
  readonly databaseUrl: string;
  readonly logger: Logger;
  /** How often a watcher re-reads without a notification. */
  readonly pollIntervalMs: number;
}

const reconnectDelayMaxMs = 5_000;

export class PaymentChanges {
  private readonly watchers = new Map<string, Set<() => void>>();
  private client: pg.Client | undefined;
  private reconnectDelayMs = 100;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: PaymentChangesOptions) {}

  /** Connects and listens; resolves once listening (or after the first failure, retrying). */
  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
    for (const listeners of this.watchers.values()) for (const wake of listeners) wake();
  }

  /**
   * A subscription to `paymentId`'s changes. Subscribe before reading the state you compare with,
   * so no change slips between the read and the wait.
   */
  subscribe(paymentId: string): PaymentSubscription {
    let pending = false;
    let wake: (() => void) | undefined;
    const listener = (): void => {
      pending = true;
      wake?.();
    };
    let listeners = this.watchers.get(paymentId);
    if (listeners === undefined) {
      listeners = new Set();
      this.watchers.set(paymentId, listeners);
    }
    listeners.add(listener);
    const pollIntervalMs = this.options.pollIntervalMs;
    return {
      next: (signal) =>
        new Promise<'changed' | 'stopped'>((resolve) => {
          if (pending || signal.aborted || this.stopped) {
            pending = false;
            resolve(this.stopped ? 'stopped' : 'changed');
            return;
          }
          const done = (): void => {
            clearTimeout(timer);
            signal.removeEventListener('abort', done);
            wake = undefined;
            pending = false;
            resolve(this.stopped ? 'stopped' : 'changed');
          };
          const timer = setTimeout(done, pollIntervalMs);
          signal.addEventListener('abort', done, { once: true });
          wake = done;
        }),
      close: () => {
        const current = this.watchers.get(paymentId);
        current?.delete(listener);
        if (current?.size === 0) this.watchers.delete(paymentId);
      },
    };
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      application_name: 'clearmesh-payment-changes',
    });
    client.on('notification', (message) => {
      const paymentId = message.payload;
      if (paymentId === undefined) return;
      for (const wake of this.watchers.get(paymentId) ?? []) wake();
    });
    client.on('error', (error) => {
      this.options.logger.warn({ err: error }, 'the payment change listener lost its connection');
      this.reconnectLater(client);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${PAYMENT_CHANGES_CHANNEL}`);
      this.client = client;
      this.reconnectDelayMs = 100;
      // Whatever changed while we were not listening: every watcher re-reads now.
      for (const listeners of this.watchers.values()) for (const wake of listeners) wake();
    } catch (error) {
      this.options.logger.warn({ err: error }, 'the payment change listener could not connect');
      this.reconnectLater(client);
    }
  }

  private reconnectLater(client: pg.Client): void {
    if (this.client === client) this.client = undefined;
    client.end().catch(() => undefined);
    if (this.stopped || this.reconnectTimer !== undefined) return;
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(delay * 2, reconnectDelayMaxMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }
}

export interface PaymentSubscription {
  /**
   * Resolves at the next change, after the poll interval without one, or when `signal` aborts
   * ('changed': read again), or once the service is stopping ('stopped').
   */
  next(signal: AbortSignal): Promise<'changed' | 'stopped'>;
  close(): void;
}
