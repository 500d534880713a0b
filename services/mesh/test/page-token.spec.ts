// Page tokens round-trip their position for the caller and query they were issued for, and every
// other token — malformed, tampered, another caller's, another query's, another secret's — is
// INVALID_ARGUMENT / VALIDATION_FAILED on page_token.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { ConfigError } from '../src/config.js';
import { MeshError } from '../src/errors.js';
import {
  pageCallerOf,
  pageSizeDefault,
  pageSizeMax,
  pageSizeOf,
  pageTokenSecretDefault,
  PageTokens,
  readPageTokenSecret,
  type PageScope,
} from '../src/page-token.js';

const tokens = new PageTokens('a-test-secret-of-enough-length');
const since = new Date('2025-01-01T00:00:00.000Z');
const scope: PageScope = {
  caller: 'client/admin',
  query: { accountId: 'a1', since, until: undefined, reverse: false },
};

function refusalOf(open: () => unknown): MeshError {
  try {
    open();
  } catch (error) {
    if (error instanceof MeshError) return error;
    throw error;
  }
  throw new Error('expected the token to be refused');
}

function expectRefused(token: string, asScope: PageScope = scope): void {
  const error = refusalOf(() => tokens.open(token, asScope));
  expect(error.code).to.equal(grpc.status.INVALID_ARGUMENT);
  expect(error.reason).to.equal('VALIDATION_FAILED');
  expect(error.fieldViolations.map((violation) => violation.field)).to.deep.equal(['page_token']);
}

describe('page tokens', () => {
  it('returns the sealed position for the same caller and query', () => {
    const token = tokens.seal('12345', scope);
    expect(token).to.match(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(tokens.open(token, { ...scope, query: { ...scope.query } })).to.equal('12345');
  });

  it('does not depend on the order of the query keys', () => {
    const token = tokens.seal('7', scope);
    const reordered = { reverse: false, until: undefined, since, accountId: 'a1' };
    expect(tokens.open(token, { caller: 'client/admin', query: reordered })).to.equal('7');
  });

  it('refuses a token for another caller', () => {
    expectRefused(tokens.seal('1', scope), { ...scope, caller: 'client/other' });
  });

  it('refuses a token for another query', () => {
    const token = tokens.seal('1', scope);
    expectRefused(token, { ...scope, query: { ...scope.query, accountId: 'a2' } });
    expectRefused(token, { ...scope, query: { ...scope.query, reverse: true } });
    expectRefused(token, { ...scope, query: { ...scope.query, since: new Date(0) } });
    expectRefused(token, { ...scope, query: { ...scope.query, until: since } });
    expectRefused(token, { ...scope, query: { ...scope.query, reverse: 'false' } });
  });

  it('refuses a tampered position or signature', () => {
    const token = tokens.seal('100', scope);
    const [payload = '', mac = ''] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ v: 1, p: '5' })).toString('base64url');
    expectRefused(`${forged}.${mac}`);
    const flipped = mac.startsWith('A') ? `B${mac.slice(1)}` : `A${mac.slice(1)}`;
    expectRefused(`${payload}.${flipped}`);
    expectRefused(`${payload}.${mac}x`);
  });

  it('refuses malformed tokens', () => {
    for (const token of ['', '.', 'abc', 'a.b.c', '!!!.???', 'x'.repeat(600), '%%.%%']) {
      expectRefused(token);
    }
  });

  it('refuses a token sealed with another secret', () => {
    const other = new PageTokens('another-secret-of-enough-length');
    expectRefused(other.seal('1', scope));
  });

  it('binds gateway calls to the partner as well as the principal', () => {
    const principal = {
      spiffeId: 'spiffe://clearmesh.local/service/gateway',
      id: 'service/gateway',
      kind: 'service' as const,
      name: 'gateway',
    };
    const first = pageCallerOf({ principal, partner: { partnerId: 'p1', scopes: [] } });
    const second = pageCallerOf({ principal, partner: { partnerId: 'p2', scopes: [] } });
    expect(first).to.not.equal(second);
    expect(pageCallerOf({ principal, partner: undefined })).to.equal('service/gateway');
    expectRefused(tokens.seal('1', { ...scope, caller: first }), { ...scope, caller: second });
  });

  it('reads the secret from PAGE_TOKEN_SECRET with a development default', () => {
    expect(readPageTokenSecret({})).to.equal(pageTokenSecretDefault);
    expect(readPageTokenSecret({ PAGE_TOKEN_SECRET: 's'.repeat(32) })).to.equal('s'.repeat(32));
    expect(() => readPageTokenSecret({ PAGE_TOKEN_SECRET: 'short' })).to.throw(ConfigError);
  });

  it('takes page sizes as SPEC §3.0 says: 0 the default, clamped above 500, negative refused', () => {
    expect(pageSizeOf(0)).to.equal(pageSizeDefault);
    expect(pageSizeOf(1)).to.equal(1);
    expect(pageSizeOf(500)).to.equal(500);
    expect(pageSizeOf(501)).to.equal(pageSizeMax);
    expect(() => pageSizeOf(-1)).to.throw(MeshError, /page_size/);
  });
});
