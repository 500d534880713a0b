// The policy file is default-deny and validated at start-up: a typo fails with one line naming
// the rule and the problem, instead of silently denying or allowing calls.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import {
  AuthorizationPolicy,
  defaultPolicyPath,
  PolicyError,
} from '../src/authorization-policy.js';
import { principalOf, type Principal } from '../src/identity.js';
import { meshMethodPaths } from '../src/service-catalog.js';

function principal(id: string): Principal {
  const parsed = principalOf(`spiffe://clearmesh.local/${id}`, 'clearmesh.local');
  if (parsed === undefined) throw new Error(`bad principal ${id}`);
  return parsed;
}

const account = '/clearmesh.account.v1.AccountService';
const ledger = '/clearmesh.ledger.v1.LedgerService';
const payment = '/clearmesh.payment.v1.PaymentService';
const health = '/grpc.health.v1.Health/Check';

describe('authorization policy', () => {
  const policy = AuthorizationPolicy.load(defaultPolicyPath, meshMethodPaths);

  const cases: [string, string, boolean][] = [
    ['client/admin', `${ledger}/CheckIntegrity`, true],
    ['client/admin', `${account}/CreatePartner`, true],
    ['client/checkout', `${payment}/CreatePayment`, true],
    ['client/checkout', `${account}/OpenAccount`, true],
    ['client/checkout', `${account}/FreezeAccount`, false],
    ['client/checkout', `${ledger}/CreateTransfers`, false],
    ['service/gateway', `${account}/IssueToken`, true],
    ['service/gateway', `${account}/CreatePartner`, false],
    ['service/gateway', `${ledger}/LookupAccounts`, false],
    ['service/payment', `${ledger}/CreateTransfers`, true],
    ['service/payment', `${ledger}/CreateAccounts`, false],
    ['service/payment', `${account}/GetAccount`, true],
    ['service/account', `${ledger}/SetAccountStatus`, true],
    ['service/account', `${ledger}/CreateTransfers`, false],
    ['service/ledger', `${ledger}/CreateTransfers`, false],
    ['service/ledger', health, true],
    ['client/demo', health, true],
  ];
  for (const [who, method, allowed] of cases) {
    it(`${allowed ? 'allows' : 'denies'} ${who} → ${method.split('/').slice(-2).join('/')}`, () => {
      expect(policy.allows(principal(who), method)).to.equal(allowed);
    });
  }

  function parseError(document: unknown): string {
    try {
      AuthorizationPolicy.parse(document, meshMethodPaths, 'test.json');
    } catch (error) {
      expect(error).to.be.instanceOf(PolicyError);
      return (error as Error).message;
    }
    throw new Error('expected the policy to be refused');
  }

  it('refuses an unknown method with one line naming the rule', () => {
    const message = parseError({
      version: 1,
      rules: [{ principals: ['client/admin'], methods: [`${ledger}/CreateTransfer`] }],
    });
    expect(message).to.equal(`policy test.json: rule 1: unknown method ${ledger}/CreateTransfer`);
    expect(message).to.not.include('\n');
  });

  it('refuses an unknown service, a malformed principal, unknown keys and a wrong version', () => {
    const rule = { principals: ['client/admin'], methods: ['*'] };
    expect(
      parseError({ version: 1, rules: [{ ...rule, methods: ['/clearmesh.nope.v1.Nope/*'] }] }),
    ).to.include('unknown service');
    expect(parseError({ version: 1, rules: [{ ...rule, principals: ['admin'] }] })).to.include(
      'principal "admin"',
    );
    expect(parseError({ version: 1, rules: [{ ...rule, allow: true }] })).to.include(
      'unknown key allow',
    );
    expect(parseError({ version: 2, rules: [rule] })).to.include('version');
    expect(parseError({ version: 1, rules: [] })).to.include('non-empty');
  });

  it('denies everything a rule does not name (default deny)', () => {
    const only = AuthorizationPolicy.parse(
      { version: 1, rules: [{ principals: ['client/admin'], methods: [health] }] },
      meshMethodPaths,
      'test.json',
    );
    expect(only.allows(principal('client/admin'), health)).to.equal(true);
    expect(only.allows(principal('client/admin'), `${ledger}/CheckIntegrity`)).to.equal(false);
    expect(only.allows(principal('client/demo'), health)).to.equal(false);
  });

  it('ships a default policy that parses as JSON with rules for every SPEC §4 principal', () => {
    const document = JSON.parse(readFileSync(defaultPolicyPath, 'utf8')) as {
      rules: { principals: string[] }[];
    };
    const principals = document.rules.flatMap((rule) => rule.principals).sort();
    expect(principals).to.deep.equal([
      '*',
      'client/*',
      'client/admin',
      'service/account',
      'service/gateway',
      'service/payment',
    ]);
  });
});
