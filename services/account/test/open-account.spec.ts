// OpenAccount through a real account server and a real ledger: the account and its ledger account
// are opened in one call with the kind's limits; bad input is INVALID_ARGUMENT with field paths;
// SETTLEMENT is client/admin's only, and a partner opens only CUSTOMER accounts of its own without
// overdraft; a replay answers exactly the first response and another request under the same key
// is IDEMPOTENCY_KEY_REUSED; a ledger that dies mid-call leaves a PENDING account that a retry
// (or the recovery pass) finishes into exactly one account and one ledger account.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import {
  AccountStatus,
  type Account,
  AccountKind,
} from '../../../gen/grpc-js/clearmesh/account/v1/account.js';
import type { AccountClient } from '../../../clients/internal/src/index.js';
import { LedgerAccountStatus } from '../../../gen/grpc-js/clearmesh/ledger/v1/ledger_account.js';
import { asPartner, startAccountTestMesh, type AccountTestMesh } from './account-test-mesh.js';
import {
  CUSTOMER,
  SETTLEMENT,
  expectRefusal,
  openRequest,
  refusalOf,
  whileUnavailable,
} from './account-fixtures.js';

const { INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, FAILED_PRECONDITION, UNAVAILABLE } =
  grpc.status;

describe('OpenAccount', () => {
  let mesh: AccountTestMesh;
  let admin: AccountClient;
  let demo: AccountClient;
  let gateway: AccountClient;

  before(async () => {
    mesh = await startAccountTestMesh({ schema: 'account_open' });
    admin = mesh.clientAs('admin');
    demo = mesh.clientAs('demo');
    gateway = mesh.clientAs('gateway');
  });

  after(async () => {
    await mesh.stop();
  });

  async function ledgerAccountOf(account: Account | undefined) {
    const { accounts } = await mesh.ledgerAdmin.call.lookupAccounts({
      accountIds: [account?.accountId ?? ''],
    });
    return accounts;
  }

  it('opens an ACTIVE CUSTOMER account and its ledger account with the overdraft limit', async () => {
    const request = openRequest({
      overdraftLimit: 5_000n,
      displayName: 'Ünïcode name',
      metadata: { crm: 'c-42', 'x:y': 'z' },
    });
    const { account } = await admin.call.openAccount(request);
    expect(account?.accountId).to.match(
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(account).to.deep.include({
      ownerId: 'owner-1',
      currency: 'USD',
      kind: CUSTOMER,
      status: AccountStatus.ACCOUNT_STATUS_ACTIVE,
      overdraftLimit: 5_000n,
      displayName: 'Ünïcode name',
      metadata: { crm: 'c-42', 'x:y': 'z' },
    });
    expect(account?.createdAt).to.deep.equal(account?.updatedAt);
    expect(account?.balance).to.deep.equal({ posted: 0n, pending: 0n, available: 5_000n });
    const [ledgerAccount] = await ledgerAccountOf(account);
    expect(ledgerAccount).to.deep.include({
      currency: 'USD',
      overdraftLimit: 5_000n,
      status: LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_OPEN,
    });
    expect(ledgerAccount?.flags).to.deep.equal({
      debitsMustNotExceedCredits: true,
      creditsMustNotExceedDebits: false,
    });
  });

  it('opens a SETTLEMENT account for client/admin with no limit flags', async () => {
    const { account } = await admin.call.openAccount(
      openRequest({ kind: SETTLEMENT, ownerId: 'clearmesh', currency: 'JPY' }),
    );
    expect(account).to.deep.include({ kind: SETTLEMENT, currency: 'JPY', overdraftLimit: 0n });
    const [ledgerAccount] = await ledgerAccountOf(account);
    expect(ledgerAccount?.flags).to.deep.equal({
      debitsMustNotExceedCredits: false,
      creditsMustNotExceedDebits: false,
    });
  });

  it('lets other client principals open CUSTOMER accounts only', async () => {
    const { account } = await demo.call.openAccount(openRequest({ overdraftLimit: 10n }));
    expect(account?.kind).to.equal(CUSTOMER);
    await expectRefusal(
      demo.call.openAccount(openRequest({ kind: SETTLEMENT })),
      PERMISSION_DENIED,
      'POLICY_DENIED',
    );
  });

  it('lets a partner open CUSTOMER accounts of its own, without overdraft', async () => {
    const partner = asPartner('partner-a');
    const { account } = await gateway.call.openAccount(
      openRequest({ ownerId: 'partner-a' }),
      partner,
    );
    expect(account?.ownerId).to.equal('partner-a');
    for (const request of [
      openRequest({ ownerId: 'partner-b' }),
      openRequest({ ownerId: 'partner-a', overdraftLimit: 1n }),
      openRequest({ ownerId: 'partner-a', kind: SETTLEMENT }),
    ]) {
      await expectRefusal(
        gateway.call.openAccount(request, partner),
        PERMISSION_DENIED,
        'POLICY_DENIED',
      );
    }
  });

  it('refuses a partner without accounts:write, and the gateway acting for nobody', async () => {
    await expectRefusal(
      gateway.call.openAccount(
        openRequest({ ownerId: 'partner-a' }),
        asPartner('partner-a', ['accounts:read']),
      ),
      PERMISSION_DENIED,
      'POLICY_DENIED',
    );
    await expectRefusal(
      gateway.call.openAccount(openRequest()),
      PERMISSION_DENIED,
      'POLICY_DENIED',
    );
  });

  const badRequests: [string, Parameters<typeof openRequest>[0], string[]][] = [
    ['an empty request_id', { requestId: '' }, ['request_id']],
    ['a request_id with a space', { requestId: 'a b' }, ['request_id']],
    ['an oversized request_id', { requestId: 'r'.repeat(256) }, ['request_id']],
    ['an empty owner_id', { ownerId: '' }, ['owner_id']],
    ['an owner_id with a slash', { ownerId: 'a/b' }, ['owner_id']],
    ['an oversized owner_id', { ownerId: 'o'.repeat(129) }, ['owner_id']],
    ['a lower-case currency', { currency: 'usd' }, ['currency']],
    ['an unknown currency', { currency: 'ABC' }, ['currency']],
    ['an X-code', { currency: 'XAU' }, ['currency']],
    ['an empty currency', { currency: '' }, ['currency']],
    ['an UNSPECIFIED kind', { kind: AccountKind.ACCOUNT_KIND_UNSPECIFIED }, ['kind']],
    ['an unknown kind number (-1)', { kind: AccountKind.UNRECOGNIZED }, ['kind']],
    ['a negative overdraft', { overdraftLimit: -1n }, ['overdraft_limit']],
    ['an overdraft on SETTLEMENT', { kind: SETTLEMENT, overdraftLimit: 5n }, ['overdraft_limit']],
    ['an oversized display_name', { displayName: 'n'.repeat(201) }, ['display_name']],
    ['a control character in display_name', { displayName: 'a\u0007b' }, ['display_name']],
    [
      'too many metadata pairs',
      { metadata: Object.fromEntries([...Array(51).keys()].map((i) => [`k${i}`, 'v'])) },
      ['metadata'],
    ],
    ['an oversized metadata key', { metadata: { ['k'.repeat(41)]: 'v' } }, ['metadata']],
    ['an empty metadata key', { metadata: { '': 'v' } }, ['metadata']],
    ['an oversized metadata value', { metadata: { k: 'v'.repeat(501) } }, ['metadata[k]']],
    [
      'several bad fields at once',
      { requestId: '', currency: 'eur', kind: AccountKind.ACCOUNT_KIND_UNSPECIFIED },
      ['request_id', 'currency', 'kind'],
    ],
  ];
  for (const [name, fields, paths] of badRequests) {
    it(`refuses ${name} with INVALID_ARGUMENT on ${paths.join(', ')}`, async () => {
      await expectRefusal(
        admin.call.openAccount(openRequest(fields)),
        INVALID_ARGUMENT,
        'VALIDATION_FAILED',
        paths,
      );
    });
  }

  it('accepts the limits themselves: 200-character names, 50 metadata pairs, the int64 maximum', async () => {
    const { account } = await admin.call.openAccount(
      openRequest({
        requestId: '!'.repeat(255),
        ownerId: 'o'.repeat(128),
        displayName: '名'.repeat(200),
        overdraftLimit: 2n ** 63n - 1n,
        metadata: Object.fromEntries([...Array(50).keys()].map((i) => [`k${i}`, 'v'.repeat(500)])),
      }),
    );
    expect(account?.balance?.available).to.equal(2n ** 63n - 1n);
  });

  it('answers a replay with exactly the first response, even after the account changed', async () => {
    const request = openRequest({ metadata: { a: '1', b: '2' } });
    const first = await admin.call.openAccount(request);
    await admin.call.freezeAccount({ accountId: first.account?.accountId ?? '', reason: '' });
    const replay = await admin.call.openAccount({ ...request, metadata: { b: '2', a: '1' } });
    expect(replay).to.deep.equal(first);
    const [{ count }] = (await mesh
      .db('open_requests')
      .where('request_id', request.requestId)
      .count({ count: '*' })) as [{ count: bigint }];
    expect(count).to.equal(1n);
  });

  it('refuses the same request_id with other parameters as IDEMPOTENCY_KEY_REUSED', async () => {
    const request = openRequest();
    const first = await admin.call.openAccount(request);
    for (const changed of [
      { currency: 'EUR' },
      { displayName: 'Other' },
      { overdraftLimit: 1n },
      { ownerId: 'owner-2' },
      { metadata: { k: 'v' } },
    ]) {
      await expectRefusal(
        admin.call.openAccount({ ...request, ...changed }),
        FAILED_PRECONDITION,
        'IDEMPOTENCY_KEY_REUSED',
      );
    }
    expect(await admin.call.openAccount(request)).to.deep.equal(first);
  });

  it('scopes request_id to the calling principal and partner', async () => {
    const requestId = `shared-${Date.now()}`;
    const byAdmin = await admin.call.openAccount(openRequest({ requestId }));
    const byDemo = await demo.call.openAccount(openRequest({ requestId, ownerId: 'other' }));
    const byPartner = await gateway.call.openAccount(
      openRequest({ requestId, ownerId: 'partner-z' }),
      asPartner('partner-z'),
    );
    const ids = [byAdmin, byDemo, byPartner].map((response) => response.account?.accountId);
    expect(new Set(ids).size).to.equal(3);
  });

  it('opens exactly one account for concurrent calls with one request_id', async () => {
    const request = openRequest({ ownerId: 'concurrent-owner' });
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => admin.call.openAccount(request)),
    );
    for (const response of responses) expect(response).to.deep.equal(responses[0]);
    const rows = await mesh.db('accounts').where('owner_id', 'concurrent-owner');
    expect(rows).to.have.length(1);
  });

  it('finishes an account whose ledger died mid-call when the call is retried', async () => {
    const request = openRequest({ ownerId: 'crash-owner', overdraftLimit: 70n });
    await mesh.stopLedger();
    try {
      const refusal = await refusalOf(admin.call.openAccount(request));
      expect(refusal.code).to.equal(UNAVAILABLE);
      const pending = (await mesh.db('accounts').where('owner_id', 'crash-owner')) as {
        account_id: string;
        ledger_state: string;
      }[];
      expect(pending.map((row) => row.ledger_state)).to.deep.equal(['PENDING']);
      // Invisible until its ledger account exists. Both reads must answer without the (stopped)
      // ledger: a visible PENDING account would send them to it and fail UNAVAILABLE instead.
      const listed = await admin.call.listAccounts({
        ownerId: 'crash-owner',
        pageSize: 0,
        pageToken: '',
      });
      expect(listed.accounts).to.be.empty;
      await expectRefusal(
        admin.call.getAccount({ accountId: pending[0]?.account_id ?? '' }),
        NOT_FOUND,
        'ACCOUNT_NOT_FOUND',
      );
    } finally {
      await mesh.startLedger();
    }
    const { account } = await whileUnavailable(() => admin.call.openAccount(request));
    const again = await admin.call.openAccount(request);
    expect(again.account).to.deep.equal(account);
    const rows = await mesh.db('accounts').where('owner_id', 'crash-owner');
    expect(rows.map((row: { ledger_state: string }) => row.ledger_state)).to.deep.equal([
      'CREATED',
    ]);
    expect(rows.map((row: { account_id: string }) => row.account_id)).to.deep.equal([
      account?.accountId,
    ]);
    const ledgerRows = await mesh.ledgerDb('accounts').where('id', account?.accountId ?? '');
    expect(ledgerRows).to.have.length(1);
    expect((await ledgerAccountOf(account))[0]?.overdraftLimit).to.equal(70n);
  });

  it('finishes a PENDING account in the recovery pass, so a later retry only reads it', async () => {
    const request = openRequest({ ownerId: 'recovered-owner' });
    await mesh.stopLedger();
    try {
      expect((await refusalOf(admin.call.openAccount(request))).code).to.equal(UNAVAILABLE);
    } finally {
      await mesh.startLedger();
    }
    expect(await whileUnavailable(() => mesh.account.recovery.runOnce())).to.be.at.least(1);
    const [row] = (await mesh.db('accounts').where('owner_id', 'recovered-owner')) as {
      account_id: string;
      ledger_state: string;
    }[];
    expect(row?.ledger_state).to.equal('CREATED');
    const { account } = await admin.call.openAccount(request);
    expect(account?.accountId).to.equal(row?.account_id);
    expect(await ledgerAccountOf(account)).to.have.length(1);
    // The opening is audited once, by the pass that finished it; the later retry adds nothing.
    const audits: Record<string, string>[] = await mesh
      .db('audit_events')
      .where({ account_id: row?.account_id ?? '', action: 'OpenAccount' })
      .select('principal', 'outcome', 'reason');
    expect(audits).to.deep.equal([
      {
        principal: 'service/account',
        outcome: 'OK',
        reason: 'finished by the open-account recovery pass',
      },
    ]);
  });

  it('lets the recovery pass finish the accounts behind one the ledger refuses', async () => {
    // A PENDING row the ledger will never accept (XTS is refused), older than every other, so it
    // heads each pass: it must not hold back the accounts behind it, pass after pass.
    const refusedId = '00000000-0000-7000-8000-0000000000aa';
    await mesh.db('accounts').insert({
      account_id: refusedId,
      owner_id: 'refused-owner',
      currency: 'XTS',
      kind: 'CUSTOMER',
      status: 'ACTIVE',
      overdraft_limit: 0,
      display_name: '',
      metadata: '{}',
      created_at: new Date(0),
      updated_at: new Date(0),
      ledger_state: 'PENDING',
    });
    try {
      const request = openRequest({ ownerId: 'behind-refused-owner' });
      await mesh.stopLedger();
      try {
        expect((await refusalOf(admin.call.openAccount(request))).code).to.equal(UNAVAILABLE);
      } finally {
        await mesh.startLedger();
      }
      expect(await whileUnavailable(() => mesh.account.recovery.runOnce())).to.be.at.least(1);
      const states: { ledger_state: string }[] = await mesh
        .db('accounts')
        .whereIn('owner_id', ['refused-owner', 'behind-refused-owner'])
        .orderBy('created_at')
        .select('ledger_state');
      expect(states.map((row) => row.ledger_state)).to.deep.equal(['PENDING', 'CREATED']);
    } finally {
      await mesh.db('accounts').where('account_id', refusedId).delete();
    }
  });
});
