// CreateAccounts rules: every CreateAccountStatus is produced at least once (checked after the
// suite), precedence follows results.proto, and accounts apply in request order.
import { expect } from 'chai';
import {
  applyAccounts,
  CREATE_ACCOUNT_STATUSES,
  type AccountResult,
  type CreateAccountStatus,
  type LedgerAccountInput,
  type LedgerAccountState,
} from '../../src/domain/index.js';
import { accountInput, accountState, MAX_UUID, NIL_UUID, NOW, uuid } from './fixtures.js';

const seen = new Set<CreateAccountStatus>();
const CUSTOMER_FLAGS = { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false };

function statusesOf(
  inputs: LedgerAccountInput[],
  existing: LedgerAccountState[] = [],
): CreateAccountStatus[] {
  const stored = new Map(existing.map((account) => [account.id, account]));
  const { results } = applyAccounts(inputs, stored, NOW);
  const statuses = results.map((result: AccountResult) => result.status);
  for (const status of statuses) seen.add(status);
  return statuses;
}

function statusOf(fields: Partial<LedgerAccountInput>, existing: LedgerAccountState[] = []) {
  return statusesOf([accountInput(fields)], existing)[0];
}

describe('applyAccounts', () => {
  after(() => {
    const missing = CREATE_ACCOUNT_STATUSES.filter((status) => !seen.has(status));
    expect(missing, 'statuses no test produced').to.deep.equal([]);
  });

  it('answers CREATED and returns an OPEN account with zero balances, lower-case id', () => {
    const input = accountInput({ id: uuid(1).toUpperCase(), currency: 'JPY' });
    const outcome = applyAccounts([input], new Map(), NOW);
    expect(outcome.results).to.deep.equal([{ index: 0, status: 'CREATED' }]);
    seen.add('CREATED');
    expect(outcome.accountsCreated).to.deep.equal([accountState(uuid(1), { currency: 'JPY' })]);
  });

  it('creates a customer account with an overdraft limit', () => {
    expect(statusOf({ flags: CUSTOMER_FLAGS, overdraftLimit: 500n })).to.equal('CREATED');
  });

  it('answers CREATED_AT_MUST_NOT_BE_SET before checking the id', () => {
    expect(statusOf({ createdAtSet: true, id: 'x' })).to.equal('CREATED_AT_MUST_NOT_BE_SET');
  });

  it('answers INVALID_ID for an empty, malformed, nil or max id', () => {
    for (const id of ['', 'x', NIL_UUID, MAX_UUID]) expect(statusOf({ id })).to.equal('INVALID_ID');
  });

  it('answers EXISTS for the same currency, flags and overdraft limit', () => {
    const stored = accountState(uuid(1), { flags: CUSTOMER_FLAGS, overdraftLimit: 5n });
    const retry = { id: uuid(1).toUpperCase(), flags: CUSTOMER_FLAGS, overdraftLimit: 5n };
    expect(statusOf(retry, [stored])).to.equal('EXISTS');
  });

  it('answers EXISTS before checking fields, even a status that is no longer OPEN', () => {
    expect(statusOf({ status: 'UNSPECIFIED' }, [accountState(uuid(1))])).to.equal('EXISTS');
  });

  it('answers EXISTS_WITH_DIFFERENT_FIELDS for another currency, flags or overdraft limit', () => {
    const stored = [accountState(uuid(1))];
    expect(statusOf({ currency: 'EUR' }, stored)).to.equal('EXISTS_WITH_DIFFERENT_FIELDS');
    expect(statusOf({ flags: CUSTOMER_FLAGS }, stored)).to.equal('EXISTS_WITH_DIFFERENT_FIELDS');
    const overdraft = { flags: CUSTOMER_FLAGS, overdraftLimit: 1n };
    expect(statusOf(overdraft, stored)).to.equal('EXISTS_WITH_DIFFERENT_FIELDS');
  });

  it('answers EXISTS or EXISTS_WITH_DIFFERENT_FIELDS to an id repeated in the request', () => {
    const statuses = statusesOf([
      accountInput(),
      accountInput(),
      accountInput({ currency: 'EUR' }),
      accountInput({ id: uuid(2), currency: 'EUR' }),
    ]);
    expect(statuses).to.deep.equal([
      'CREATED',
      'EXISTS',
      'EXISTS_WITH_DIFFERENT_FIELDS',
      'CREATED',
    ]);
  });

  it('answers FLAGS_ARE_MUTUALLY_EXCLUSIVE for both limits at once', () => {
    const flags = { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: true };
    expect(statusOf({ flags, currency: 'usd' })).to.equal('FLAGS_ARE_MUTUALLY_EXCLUSIVE');
  });

  it('answers INVALID_CURRENCY for lower case, X-codes and empty currency', () => {
    for (const currency of ['usd', 'XXX', 'XTS', 'XAG', '']) {
      expect(statusOf({ currency }), currency).to.equal('INVALID_CURRENCY');
    }
  });

  it('answers OVERDRAFT_LIMIT_MUST_NOT_BE_NEGATIVE', () => {
    const fields = { flags: CUSTOMER_FLAGS, overdraftLimit: -1n };
    expect(statusOf(fields)).to.equal('OVERDRAFT_LIMIT_MUST_NOT_BE_NEGATIVE');
  });

  it('answers OVERDRAFT_LIMIT_REQUIRES_DEBITS_MUST_NOT_EXCEED_CREDITS without that flag', () => {
    expect(statusOf({ overdraftLimit: 1n })).to.equal(
      'OVERDRAFT_LIMIT_REQUIRES_DEBITS_MUST_NOT_EXCEED_CREDITS',
    );
  });

  it('answers BALANCES_MUST_BE_ZERO for any non-zero balance', () => {
    for (const balance of ['debitsPending', 'debitsPosted', 'creditsPending', 'creditsPosted']) {
      expect(statusOf({ [balance]: 1n }), balance).to.equal('BALANCES_MUST_BE_ZERO');
    }
  });

  it('answers INVALID_STATUS for any status but OPEN', () => {
    for (const status of ['UNSPECIFIED', 'FROZEN', 'CLOSED'] as const) {
      expect(statusOf({ status }), status).to.equal('INVALID_STATUS');
    }
  });

  it('creates nothing for a failed account and leaves its id free', () => {
    const outcome = applyAccounts(
      [accountInput({ currency: 'XXX' }), accountInput()],
      new Map(),
      NOW,
    );
    expect(outcome.results.map((result) => result.status)).to.deep.equal([
      'INVALID_CURRENCY',
      'CREATED',
    ]);
    expect(outcome.accountsCreated).to.have.length(1);
  });
});
