// The facts of accounts a payment needs — owner, kind, currency — read from the account service
// (GetAccount as service/payment) and cached: none of them ever changes once an account is open,
// so a cached fact is never stale. Status is not cached: the ledger enforces FROZEN and CLOSED
// on every transfer.
//
// A lookup runs on the service's own deadline (the trace still travels): a caller that gives up
// must not count as the account service failing, or callers with short deadlines would open the
// breaker to a healthy service. Concurrent lookups of one account share one call.
import * as grpc from '@grpc/grpc-js';
import { ClientError, type AccountClient } from '../../../clients/internal/src/index.js';
import { AccountKind } from '../../../gen/grpc-js/clearmesh/account/v1/account.js';
import type { TraceContext } from '../../mesh/src/trace-context.js';
import { dependencyFailure } from './dependency-failure.js';
import type { AccountFacts } from './domain/index.js';

export class AccountDirectory {
  private readonly cache = new Map<string, AccountFacts>();
  private readonly inFlight = new Map<string, Promise<AccountFacts | undefined>>();

  constructor(
    private readonly accounts: AccountClient,
    /** Most accounts remembered; the oldest entry goes first. */
    private readonly cacheMax: number,
    /** Deadline of each GetAccount call. */
    private readonly timeoutMs: number,
  ) {}

  /** The account's facts, or undefined when the account service does not know it. */
  find(accountId: string, trace: TraceContext): Promise<AccountFacts | undefined> {
    const cached = this.cache.get(accountId);
    if (cached !== undefined) return Promise.resolve(cached);
    let lookup = this.inFlight.get(accountId);
    if (lookup === undefined) {
      lookup = this.lookUp(accountId, trace).finally(() => this.inFlight.delete(accountId));
      this.inFlight.set(accountId, lookup);
    }
    return lookup;
  }

  private async lookUp(accountId: string, trace: TraceContext): Promise<AccountFacts | undefined> {
    let response;
    try {
      const deadline = new Date(Date.now() + this.timeoutMs);
      response = await this.accounts.call.getAccount(
        { accountId },
        { context: { deadline, trace } },
      );
    } catch (error) {
      if (error instanceof ClientError && error.code === grpc.status.NOT_FOUND) return undefined;
      throw dependencyFailure(error, 'account');
    }
    const account = response.account;
    if (account === undefined) throw new Error('the account service answered no account');
    const facts: AccountFacts = {
      accountId,
      ownerId: account.ownerId,
      kind: account.kind === AccountKind.ACCOUNT_KIND_SETTLEMENT ? 'SETTLEMENT' : 'CUSTOMER',
      currency: account.currency,
    };
    if (this.cacheMax === 0) return facts;
    if (this.cache.size >= this.cacheMax) {
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
    this.cache.set(accountId, facts);
    return facts;
  }
}
