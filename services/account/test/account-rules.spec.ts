// The account service's pure rules: UUIDv7 ids that sort in creation order, lengths counted in
// code points as the proto comments say, and the idempotency hash that ignores metadata order.
import { expect } from 'chai';
import {
  balanceOf,
  INT64_MAX,
  openParamsHash,
  parseUuid,
  uuidv7,
  validateOpenAccount,
  type OpenAccountInput,
} from '../src/domain/index.js';

const input: OpenAccountInput = {
  requestId: 'r-1',
  ownerId: 'owner',
  currency: 'USD',
  kind: 'CUSTOMER',
  overdraftLimit: 0n,
  displayName: '',
  metadata: {},
};

describe('account rules', () => {
  it('makes UUIDv7 ids that increase strictly, even within one millisecond', () => {
    const ms = Date.now();
    const ids = Array.from({ length: 10_000 }, () => uuidv7(ms));
    expect(ids).to.deep.equal([...ids].sort());
    expect(new Set(ids).size).to.equal(ids.length);
    for (const id of ids.slice(0, 100)) {
      expect(parseUuid(id)).to.equal(id);
      expect(id[14]).to.equal('7');
      expect('89ab').to.include(id[19] ?? '');
    }
    expect(parseInt((ids[0] ?? '').replace('-', '').slice(0, 12), 16)).to.equal(ms);
  });

  it('counts display_name in code points, not UTF-16 units', () => {
    const emoji = '😀'.repeat(200);
    expect(validateOpenAccount({ ...input, displayName: emoji }, () => true).ok).to.be.true;
    expect(validateOpenAccount({ ...input, displayName: `${emoji}x` }, () => true).ok).to.be.false;
  });

  it('hashes equal params alike whatever the metadata order, and different params apart', () => {
    const params = { ...input, kind: 'CUSTOMER' as const };
    const a = openParamsHash({ ...params, metadata: { a: '1', b: '2' } });
    const b = openParamsHash({ ...params, metadata: { b: '2', a: '1' } });
    const c = openParamsHash({ ...params, metadata: { a: '1', b: '3' } });
    expect(a.equals(b)).to.be.true;
    expect(a.equals(c)).to.be.false;
  });

  it('clamps balances to the int64 range', () => {
    const balance = balanceOf(
      { debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: INT64_MAX },
      INT64_MAX,
    );
    expect(balance.available).to.equal(INT64_MAX);
  });
});
