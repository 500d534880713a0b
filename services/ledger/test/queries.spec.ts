// The ledger's reads: GetAccountBalances recomputes any past instant exactly (holds count as
// pending until posted, voided or expired); ListAccountTransfers pages through an account's
// history in apply order, forward or reverse, within since/until, with page tokens bound to the
// query; LookupAccounts and LookupTransfers answer in request order. Time is the service's clock,
// driven by the test, so every instant is exact.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { ClientError } from '../../../clients/internal/src/index.js';
import type { LedgerAccount } from '../../../gen/grpc-js/clearmesh/ledger/v1/ledger_account.js';
import type {
  ListAccountTransfersRequest,
  ListAccountTransfersResponse,
} from '../../../gen/grpc-js/clearmesh/ledger/v1/ledger_service.js';
import type { Transfer } from '../../../gen/grpc-js/clearmesh/ledger/v1/transfer.js';
import {
  ledgerAccount,
  openAccounts,
  resolution,
  sendTransfers,
  transfer,
} from './ledger-builders.js';
import { startLedgerTestServer, type LedgerTestServer } from './ledger-test-server.js';

describe('ledger queries', () => {
  let ledger: LedgerTestServer;
  let nowMs = Date.parse('2025-06-01T12:00:00.000Z');

  before(async () => {
    ledger = await startLedgerTestServer({
      schema: 'ledger_queries',
      timeSource: () => nowMs,
      config: { expiryIntervalMs: 0 },
    });
  });

  after(async () => {
    await ledger.stop();
  });

  function tick(seconds = 1): Date {
    nowMs += seconds * 1000;
    return new Date(nowMs);
  }

  async function pair(): Promise<[LedgerAccount, LedgerAccount]> {
    const accounts: [LedgerAccount, LedgerAccount] = [ledgerAccount(), ledgerAccount()];
    await openAccounts(ledger.client, accounts);
    return accounts;
  }

  describe('GetAccountBalances', () => {
    it('answers the four balances as they were at instants between transfers', async () => {
      const createdAt = tick();
      const [payer, payee] = await pair();
      const between = { debitAccountId: payer.id, creditAccountId: payee.id };
      const plainAt = tick();
      expect(
        await sendTransfers(ledger.client, [transfer({ ...between, amount: 100n })]),
      ).to.deep.equal(['CREATED']);
      const heldAt = tick();
      const hold = transfer({ ...between, amount: 50n, flags: { pending: true } });
      expect(await sendTransfers(ledger.client, [hold])).to.deep.equal(['CREATED']);
      const postedAt = tick();
      expect(
        await sendTransfers(ledger.client, [resolution('post', hold.id, { amount: 30n })]),
      ).to.deep.equal(['CREATED']);
      const expiringAt = tick();
      const expiring = transfer({
        ...between,
        amount: 20n,
        flags: { pending: true },
        timeoutSeconds: 10,
      });
      expect(await sendTransfers(ledger.client, [expiring])).to.deep.equal(['CREATED']);
      const expiredAt = tick(10);
      expect(await ledger.service.expiry.runOnce()).to.equal(1);
      tick();

      const balancesAt = async (asOf: Date | undefined) => {
        const answer = await ledger.client.call.getAccountBalances({
          accountId: payer.id.toUpperCase(),
          asOf,
        });
        expect(answer.accountId).to.equal(payer.id);
        const { debitsPending, debitsPosted, creditsPending, creditsPosted } = answer;
        return { debitsPending, debitsPosted, creditsPending, creditsPosted };
      };
      const debits = (pending: bigint, posted: bigint) => ({
        debitsPending: pending,
        debitsPosted: posted,
        creditsPending: 0n,
        creditsPosted: 0n,
      });
      const instant = (at: Date, offsetMs: number) => new Date(at.getTime() + offsetMs);
      expect(await balancesAt(instant(createdAt, -1))).to.deep.equal(debits(0n, 0n));
      expect(await balancesAt(instant(plainAt, -1))).to.deep.equal(debits(0n, 0n));
      expect(await balancesAt(plainAt)).to.deep.equal(debits(0n, 100n));
      expect(await balancesAt(instant(heldAt, 500))).to.deep.equal(debits(50n, 100n));
      expect(await balancesAt(postedAt)).to.deep.equal(debits(0n, 130n));
      expect(await balancesAt(expiringAt)).to.deep.equal(debits(20n, 130n));
      expect(await balancesAt(instant(expiredAt, -1))).to.deep.equal(debits(20n, 130n));
      expect(await balancesAt(expiredAt)).to.deep.equal(debits(0n, 130n));
      expect(await balancesAt(undefined)).to.deep.equal(debits(0n, 130n));
      const [stored] = (await ledger.client.call.lookupAccounts({ accountIds: [payer.id] }))
        .accounts;
      expect(stored?.debitsPosted).to.equal(130n);
      expect(stored?.debitsPending).to.equal(0n);
      const payeeNow = await ledger.client.call.getAccountBalances({
        accountId: payee.id,
        asOf: heldAt,
      });
      expect(payeeNow.creditsPending).to.equal(50n);
      expect(payeeNow.creditsPosted).to.equal(100n);
    });
  });

  describe('ListAccountTransfers', () => {
    let account: LedgerAccount;
    let history: Transfer[];
    let instants: Date[];

    before(async () => {
      tick();
      const [from, to] = await pair();
      account = from;
      history = [];
      instants = [];
      for (let index = 0; index < 12; index += 1) {
        instants.push(tick());
        // Alternate sides: the listing covers debits and credits alike.
        const sides =
          index % 2 === 0
            ? { debitAccountId: from.id, creditAccountId: to.id }
            : { debitAccountId: to.id, creditAccountId: from.id };
        const one = transfer({ ...sides, amount: BigInt(index + 1) });
        history.push(one);
        expect(await sendTransfers(ledger.client, [one])).to.deep.equal(['CREATED']);
      }
    });

    function list(
      fields: Partial<ListAccountTransfersRequest>,
    ): Promise<ListAccountTransfersResponse> {
      return ledger.client.call.listAccountTransfers({
        accountId: account.id,
        since: undefined,
        until: undefined,
        pageSize: 0,
        pageToken: '',
        reverse: false,
        ...fields,
      });
    }

    async function all(fields: Partial<ListAccountTransfersRequest>): Promise<string[][]> {
      const pages: string[][] = [];
      let pageToken = '';
      do {
        const page = await list({ ...fields, pageToken });
        pages.push(page.transfers.map((one) => one.id));
        pageToken = page.nextPageToken;
      } while (pageToken !== '' && pages.length < 100);
      return pages;
    }

    const ids = (transfers: Transfer[]) => transfers.map((one) => one.id);

    it('pages forward and in reverse in apply order', async () => {
      expect(await all({ pageSize: 5 })).to.deep.equal([
        ids(history.slice(0, 5)),
        ids(history.slice(5, 10)),
        ids(history.slice(10)),
      ]);
      const reversed = [...history].reverse();
      expect(await all({ pageSize: 5, reverse: true })).to.deep.equal([
        ids(reversed.slice(0, 5)),
        ids(reversed.slice(5, 10)),
        ids(reversed.slice(10)),
      ]);
      const whole = await list({});
      expect(whole.nextPageToken).to.equal('');
      expect(whole.transfers[3]).to.deep.include({
        id: history[3]?.id,
        amount: 4n,
        createdAt: instants[3],
      });
    });

    it('keeps to since (inclusive) and until (exclusive) in both directions', async () => {
      const since = instants[3];
      const until = instants[9];
      expect((await all({ since, until, pageSize: 2 })).flat()).to.deep.equal(
        ids(history.slice(3, 9)),
      );
      expect((await all({ since, until, pageSize: 4, reverse: true })).flat()).to.deep.equal(
        ids(history.slice(3, 9).reverse()),
      );
      expect((await list({ since: instants[11], until: instants[11] })).transfers).to.deep.equal(
        [],
      );
    });

    it('refuses a page token used for another query, or tampered with', async () => {
      const first = await list({ pageSize: 3 });
      expect(first.nextPageToken).to.not.equal('');
      const refusedCode = async (request: Partial<ListAccountTransfersRequest>) => {
        try {
          await list(request);
        } catch (error) {
          if (!(error instanceof ClientError)) throw error;
          expect(error.reason).to.equal('VALIDATION_FAILED');
          expect(error.details.badRequest?.fieldViolations[0]?.field).to.equal('page_token');
          return error.code;
        }
        throw new Error('expected the page token to be refused');
      };
      const token = first.nextPageToken;
      expect(await refusedCode({ pageToken: token, reverse: true })).to.equal(
        grpc.status.INVALID_ARGUMENT,
      );
      expect(await refusedCode({ pageToken: token, since: instants[0] })).to.equal(
        grpc.status.INVALID_ARGUMENT,
      );
      const [other] = await pair();
      expect(await refusedCode({ pageToken: token, accountId: other.id })).to.equal(
        grpc.status.INVALID_ARGUMENT,
      );
      const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
      expect(await refusedCode({ pageToken: tampered })).to.equal(grpc.status.INVALID_ARGUMENT);
      // The page size may change between pages.
      const second = await list({ pageToken: token, pageSize: 100 });
      expect(ids(second.transfers)).to.deep.equal(ids(history.slice(3)));
    });

    it('uses 50 for page size 0 and clamps page sizes above 500', async () => {
      const [from, to] = await pair();
      const many = Array.from({ length: 510 }, () =>
        transfer({ debitAccountId: from.id, creditAccountId: to.id, amount: 1n }),
      );
      expect(new Set(await sendTransfers(ledger.client, many))).to.deep.equal(new Set(['CREATED']));
      const base = { accountId: to.id };
      const page = await list({ ...base, pageSize: 0 });
      expect(ids(page.transfers)).to.deep.equal(ids(many.slice(0, 50)));
      const clamped = await list({ ...base, pageSize: 100_000 });
      expect(ids(clamped.transfers)).to.deep.equal(ids(many.slice(0, 500)));
      const rest = await list({ ...base, pageSize: 100_000, pageToken: clamped.nextPageToken });
      expect(ids(rest.transfers)).to.deep.equal(ids(many.slice(500)));
      expect(rest.nextPageToken).to.equal('');
    });
  });

  describe('LookupAccounts and LookupTransfers', () => {
    it('answer in request order, in either case, omitting unknown and failed ids', async () => {
      const [first, second] = await pair();
      const unknown = ledgerAccount().id;
      const accounts = await ledger.client.call.lookupAccounts({
        accountIds: [second.id.toUpperCase(), unknown, first.id],
      });
      expect(accounts.accounts.map((one) => one.id)).to.deep.equal([second.id, first.id]);
      const good = transfer({ debitAccountId: first.id, creditAccountId: second.id });
      const failed = transfer({ debitAccountId: first.id, creditAccountId: unknown });
      expect(await sendTransfers(ledger.client, [good, failed])).to.deep.equal([
        'CREATED',
        'CREDIT_ACCOUNT_NOT_FOUND',
      ]);
      const found = await ledger.client.call.lookupTransfers({
        transferIds: [failed.id, good.id.toUpperCase(), transfer().id],
      });
      expect(found.transfers.map((one) => one.id)).to.deep.equal([good.id]);
      expect(found.transfers[0]).to.deep.include({ amount: 100n, currency: 'USD', pendingId: '' });
    });
  });
});
