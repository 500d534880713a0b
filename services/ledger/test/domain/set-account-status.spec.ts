// Account status transitions: OPEN <-> FROZEN, OPEN or FROZEN -> CLOSED (final, and only when
// empty); setting the current status again changes nothing.
import { expect } from 'chai';
import { setAccountStatus, type LedgerAccountStatus } from '../../src/domain/index.js';
import { accountState, uuid } from './fixtures.js';

const ID = uuid(1);

describe('setAccountStatus', () => {
  it('freezes an open account and unfreezes it', () => {
    const frozen = setAccountStatus(accountState(ID), 'FROZEN');
    expect(frozen).to.deep.equal({
      ok: true,
      account: accountState(ID, { status: 'FROZEN' }),
      changed: true,
    });
    const open = setAccountStatus(accountState(ID, { status: 'FROZEN' }), 'OPEN');
    expect(open.ok && open.account.status).to.equal('OPEN');
  });

  it('closes an open or a frozen account whose posted balances agree and nothing is pending', () => {
    for (const status of ['OPEN', 'FROZEN'] as const) {
      const settled = accountState(ID, { status, debitsPosted: 70n, creditsPosted: 70n });
      const outcome = setAccountStatus(settled, 'CLOSED');
      expect(outcome.ok && outcome.account.status, status).to.equal('CLOSED');
    }
  });

  it('answers ACCOUNT_NOT_EMPTY to closing with a balance or a pending amount', () => {
    const notEmpty = [
      { debitsPosted: 1n },
      { creditsPosted: 1n },
      { debitsPending: 1n, creditsPosted: 1n, debitsPosted: 1n },
      { creditsPending: 1n },
    ];
    for (const balances of notEmpty) {
      expect(setAccountStatus(accountState(ID, balances), 'CLOSED')).to.deep.equal({
        ok: false,
        error: 'ACCOUNT_NOT_EMPTY',
      });
    }
  });

  it('answers INVALID_STATE to any change of a closed account', () => {
    for (const status of ['OPEN', 'FROZEN'] as const) {
      expect(setAccountStatus(accountState(ID, { status: 'CLOSED' }), status)).to.deep.equal({
        ok: false,
        error: 'INVALID_STATE',
      });
    }
  });

  it('changes nothing when the status is set again, a closed account included', () => {
    for (const status of ['OPEN', 'FROZEN', 'CLOSED'] as LedgerAccountStatus[]) {
      const account = accountState(ID, { status, debitsPosted: status === 'CLOSED' ? 0n : 9n });
      expect(setAccountStatus(account, status)).to.deep.equal({
        ok: true,
        account,
        changed: false,
      });
    }
  });
});
