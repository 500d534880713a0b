// Where a process dials another: <NAME>_TARGET over <NAME>_ADDR over the default.
import { expect } from 'chai';
import { ConfigError } from '../src/config.js';
import { readDialAddress } from '../src/process-config.js';

describe('readDialAddress', () => {
  it('dials the default address when nothing is set', () => {
    expect(readDialAddress({}, 'ledger')).to.equal('127.0.0.1:50052');
  });

  it('dials where the service listens (LEDGER_ADDR) when no target is set', () => {
    expect(readDialAddress({ LEDGER_ADDR: '127.0.0.1:7000' }, 'ledger')).to.equal('127.0.0.1:7000');
  });

  it('prefers LEDGER_TARGET, for a service listening on 0.0.0.0 behind a name', () => {
    const env = { LEDGER_ADDR: '0.0.0.0:50052', LEDGER_TARGET: 'ledger:50052' };
    expect(readDialAddress(env, 'ledger')).to.equal('ledger:50052');
    expect(readDialAddress(env, 'account')).to.equal('127.0.0.1:50051');
  });

  it('refuses a malformed target with a ConfigError naming it', () => {
    expect(() => readDialAddress({ ACCOUNT_TARGET: 'no-port' }, 'account')).to.throw(
      ConfigError,
      /ACCOUNT_TARGET/,
    );
  });
});
