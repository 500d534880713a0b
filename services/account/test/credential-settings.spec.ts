// The credential settings and secret hashing without a server: the environment cannot make
// secret hashes cheaper than scrypt N = 2^14 nor tokens live longer than 15 minutes, and a stored
// hash verifies with the parameters it was made with, whatever the current ones are.
import { expect } from 'chai';
import {
  hashSecret,
  newClientSecret,
  scryptParameters,
  secretMatches,
  SCRYPT_COST_DEFAULT,
  spendDummyVerification,
} from '../src/client-secrets.js';
import { readAccountConfig } from '../src/config.js';
import { readProcessConfig } from '../../mesh/src/process-config.js';

const processConfig = readProcessConfig('account', {});
import { grantedScopes, validateCreatePartner } from '../src/domain/index.js';

describe('credential settings and secret hashing', () => {
  it('defaults to scrypt N = 2^15, 600 s tokens, iss and aud clearmesh, 5 failures a minute', () => {
    const config = readAccountConfig({}, processConfig);
    expect(config.secretHashCost)
      .to.equal(SCRYPT_COST_DEFAULT)
      .and.equal(2 ** 15);
    expect(config).to.include({
      tokenIssuer: 'clearmesh',
      tokenAudience: 'clearmesh',
      tokenLifetimeSeconds: 600,
      loginFailuresMax: 5,
      loginFailureWindowMs: 60_000,
    });
  });

  it('refuses a hash cost below 2^14 or not a power of two, and a token lifetime above 900 s', () => {
    expect(
      readAccountConfig({ ACCOUNT_SECRET_HASH_COST: String(2 ** 14) }, processConfig)
        .secretHashCost,
    ).to.equal(2 ** 14);
    expect(() =>
      readAccountConfig({ ACCOUNT_SECRET_HASH_COST: String(2 ** 13) }, processConfig),
    ).to.throw(/ACCOUNT_SECRET_HASH_COST/);
    expect(() => readAccountConfig({ ACCOUNT_SECRET_HASH_COST: '20000' }, processConfig)).to.throw(
      /power of two/,
    );
    expect(() =>
      readAccountConfig({ ACCOUNT_TOKEN_LIFETIME_SECONDS: '901' }, processConfig),
    ).to.throw(/ACCOUNT_TOKEN_LIFETIME_SECONDS/);
  });

  it('verifies a secret with the parameters stored beside its hash', async () => {
    const secret = newClientSecret();
    const stored = await hashSecret(secret, scryptParameters(2 ** 10));
    expect(await secretMatches(secret, stored)).to.be.true;
    expect(await secretMatches(`${secret}x`, stored)).to.be.false;
    const cheaper = { ...stored, parameters: scryptParameters(2 ** 11) };
    expect(await secretMatches(secret, cheaper)).to.be.false;
    expect(await spendDummyVerification(secret, stored.parameters)).to.be.false;
  });

  it('grants all held scopes when none are requested, and refuses one not held', () => {
    const held = validateCreatePartner({ displayName: 'Bank', scopes: ['payments:read'] });
    if (!held.ok) throw new Error('valid partner refused');
    expect(grantedScopes(held.scopes, [])).to.deep.equal({ ok: true, scopes: ['payments:read'] });
    expect(grantedScopes(held.scopes, ['payments:write'])).to.have.property('ok', false);
  });
});
