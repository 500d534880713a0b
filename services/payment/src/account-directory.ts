// The facts of accounts a payment needs — owner, kind, currency — read from the account service
// (GetAccount as service/payment) and cached: none of them ever changes once an account is open,
// so a cached fact is never stale. Status is not cached: the ledger enforces FROZEN and CLOSED
// on every transfer.
import * as grpc from '@grpc/grpc-js';
import { ClientError, type AccountClient } from '../../../clients/internal/src/index.js';
import { AccountKind } from '../../../gen/grpc-js/clearmesh/account/v1/account.js';
import type { CallContext } from '../../mesh/src/rpc-runtime.js';
import { dependencyFailure } from './dependency-failure.js';
import type { AccountFacts } from './domain/index.js';

export class AccountDirectory {
  private readonly cache = new Map<string, AccountFacts>();

  constructor(
    private readonly accounts: AccountClient,
    /** Most accounts remembered; the oldest entry goes first. */
    private readonly cacheMax: number,
  ) {}

  /** The account's facts, or undefined when the account service does not know it. */
  async find(
    accountId: string,
    context: Pick<CallContext, 'deadline' | 'trace'>,
  ): Promise<AccountFacts | undefined> {
    const cached = this.cache.get(accountId);
    if (cached !== undefined) return cached;
    let response;
    try {
      response = await this.accounts.call.getAccount({ accountId }, { context });
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
    if (this.cache.size >= this.cacheMax) {
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
    this.cache.set(accountId, facts);
    return facts;
  }
}
