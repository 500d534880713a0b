// Money moved by many callers at once stays whole: 16 clients, each on its own channel and spread
// over two ledger processes' worth of services (two writers, two pools) on one database, send
// random requests (transfers, holds later posted or voided, linked pairs, retries) among 8 hot
// accounts — a settlement account funding customers with overdraft limits. Afterwards debits equal
// credits, no customer is past its limit, every CREATED transfer is stored exactly once and listed
// once on each of its accounts, and CheckIntegrity finds nothing.
import { expect } from 'chai';
import type { LedgerClient } from '../../../clients/internal/src/index.js';
import type { LedgerAccount } from '../../../gen/grpc-js/clearmesh/ledger/v1/ledger_account.js';
import type { Transfer } from '../../../gen/grpc-js/clearmesh/ledger/v1/transfer.js';
import {
  ledgerAccount,
  openAccounts,
  resolution,
  transfer,
  transferStatusNames,
  type TransferFields,
} from './ledger-builders.js';
import { histogramCount } from './ledger-metrics-reader.js';
import { startLedgerTestServer, type LedgerTestServer } from './ledger-test-server.js';
import { accountTransferIds } from '../../../test/harness/ledger-reads.js';

const CLIENTS = 16;
const REQUESTS_PER_CLIENT = Number(process.env['LEDGER_CONCURRENCY_REQUESTS'] ?? 50);

/** A small seeded generator (mulberry32): the same seed replays the same traffic. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ledger under concurrent clients', () => {
  let ledger: LedgerTestServer;
  let sibling: LedgerTestServer;
  let accounts: LedgerAccount[];

  before(async () => {
    ledger = await startLedgerTestServer({ schema: 'ledger_concurrency' });
    sibling = await startLedgerTestServer({ schema: 'ledger_concurrency' });
    accounts = [
      ledgerAccount(),
      ...[0n, 0n, 100n, 100n, 500n, 500n, 2_000n].map((overdraftLimit) =>
        ledgerAccount({ kind: 'customer', overdraftLimit }),
      ),
    ];
    await openAccounts(ledger.client, accounts);
  });

  after(async () => {
    await sibling.stop();
    await ledger.stop();
  });

  /** One client's traffic; answers the ids it saw CREATED. */
  async function runClient(client: LedgerClient, seed: number): Promise<string[]> {
    const next = random(seed);
    const pick = <T>(items: readonly T[]): T => {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error('empty pick');
      return item;
    };
    const created: string[] = [];
    const sent: Transfer[] = [];
    const holds: string[] = [];
    const movement = (fields: TransferFields = {}): Transfer => {
      const debit = pick(accounts);
      const credit = pick(accounts.filter((account) => account !== debit));
      const amount = BigInt(1 + Math.floor(next() * (debit === accounts[0] ? 800 : 300)));
      return transfer({ debitAccountId: debit.id, creditAccountId: credit.id, amount, ...fields });
    };
    for (let request = 0; request < REQUESTS_PER_CLIENT; request += 1) {
      const transfers: Transfer[] = [];
      const size = 1 + Math.floor(next() * 4);
      for (let item = 0; item < size; item += 1) {
        const roll = next();
        if (roll < 0.1 && sent.length > 0) transfers.push(pick(sent));
        else if (roll < 0.3) transfers.push(movement({ flags: { pending: true } }));
        else if (roll < 0.45 && holds.length > 0) {
          transfers.push(resolution(next() < 0.6 ? 'post' : 'void', pick(holds)));
        } else if (roll < 0.55) transfers.push(movement({ flags: { linked: true } }), movement());
        else transfers.push(movement());
      }
      const { results } = await client.call.createTransfers({ transfers });
      transferStatusNames(results).forEach((status, index) => {
        const one = transfers[index];
        if (status !== 'CREATED' || one === undefined) return;
        created.push(one.id);
        if (one.flags?.pending === true) holds.push(one.id);
      });
      sent.push(...transfers);
    }
    return created;
  }

  it('keeps every invariant with 16 clients on 8 hot accounts through two writers', async function () {
    this.timeout(120_000);
    const batchesOf = async () =>
      (await histogramCount(ledger.registry, 'clearmesh_ledger_batch_requests')) +
      (await histogramCount(sibling.registry, 'clearmesh_ledger_batch_requests'));
    const batchesBefore = await batchesOf();
    const clients = Array.from({ length: CLIENTS }, (_, index) =>
      (index % 2 === 0 ? ledger : sibling).clientAs('admin'),
    );
    const created = (
      await Promise.all(clients.map((client, index) => runClient(client, 1_000 + index)))
    ).flat();
    const requests = CLIENTS * REQUESTS_PER_CLIENT;
    const batches = (await batchesOf()) - batchesBefore;
    expect(batches, 'batches for all requests').to.be.lessThan(requests);
    expect(created.length).to.be.greaterThan(requests / 2);
    expect(new Set(created).size, 'CREATED answered twice for an id').to.equal(created.length);

    const stored = await ledger.client.call.lookupTransfers({ transferIds: created });
    expect(stored.transfers.map((one) => one.id).sort()).to.deep.equal([...created].sort());
    const listed = (
      await Promise.all(accounts.map((account) => accountTransferIds(ledger.client, account.id)))
    ).flat();
    const timesListed = new Map<string, number>();
    for (const id of listed) timesListed.set(id, (timesListed.get(id) ?? 0) + 1);
    expect([...timesListed.keys()].sort()).to.deep.equal([...created].sort());
    expect(
      [...timesListed.values()].every((times) => times === 2),
      'each once per side',
    ).to.equal(true);

    const { accounts: final } = await ledger.client.call.lookupAccounts({
      accountIds: accounts.map((account) => account.id),
    });
    const sum = (pick: (account: LedgerAccount) => bigint) =>
      final.reduce((total, account) => total + pick(account), 0n);
    expect(sum((a) => a.debitsPosted)).to.equal(sum((a) => a.creditsPosted));
    expect(sum((a) => a.debitsPending)).to.equal(sum((a) => a.creditsPending));
    for (const account of final.slice(1)) {
      const debits = account.debitsPending + account.debitsPosted;
      const limit = account.creditsPosted + account.overdraftLimit;
      expect(debits <= limit, `${account.id}: ${debits} debits over ${limit}`).to.equal(true);
    }
    const integrity = await ledger.client.call.checkIntegrity({});
    expect(integrity.mismatches).to.deep.equal([]);
    expect(integrity.ok).to.equal(true);
    const [usd] = integrity.currencies;
    expect(usd?.debitsPosted).to.equal(sum((a) => a.debitsPosted).toString());
  });

  it('resolves each hold once when two writers race to post and void it', async () => {
    const [settlement, customer] = accounts;
    if (settlement === undefined || customer === undefined) throw new Error('no accounts');
    const holds = Array.from({ length: 20 }, () =>
      transfer({
        debitAccountId: settlement.id,
        creditAccountId: customer.id,
        amount: 5n,
        flags: { pending: true },
      }),
    );
    const { results } = await ledger.client.call.createTransfers({ transfers: holds });
    expect(new Set(transferStatusNames(results))).to.deep.equal(new Set(['CREATED']));
    // Per hold: a post through one writer, a void through the other (alternating which), and the
    // same post again through the void's writer.
    const attempts = holds.flatMap((hold, index) => {
      const post = resolution('post', hold.id);
      const [first, second] = index % 2 === 0 ? [ledger, sibling] : [sibling, ledger];
      return [
        { server: first, transfer: post },
        { server: second, transfer: resolution('void', hold.id) },
        { server: second, transfer: post },
      ];
    });
    // Sent in a shuffled order, so that either resolution may arrive first.
    const next = random(7);
    const order = attempts.map((_, index) => index).sort(() => next() - 0.5);
    const answers: (string | undefined)[] = [];
    await Promise.all(
      order.map(async (index) => {
        const attempt = attempts[index];
        if (attempt === undefined) throw new Error('no attempt');
        const { server, transfer: one } = attempt;
        const answer = await server.client.call.createTransfers({ transfers: [one] });
        answers[index] = transferStatusNames(answer.results)[0];
      }),
    );
    let voidsWon = 0;
    for (let hold = 0; hold < holds.length; hold += 1) {
      const [post, voided, again] = answers.slice(hold * 3, hold * 3 + 3);
      const postWon = post === 'CREATED' || again === 'CREATED';
      if (postWon) {
        expect(voided).to.equal('PENDING_TRANSFER_ALREADY_POSTED');
        expect([post, again].sort()).to.deep.equal(['CREATED', 'EXISTS']);
      } else {
        voidsWon += 1;
        expect(voided).to.equal('CREATED');
        // The first attempt of the post id is refused and recorded; the other finds the record.
        expect([post, again].sort()).to.deep.equal([
          'ID_ALREADY_FAILED',
          'PENDING_TRANSFER_ALREADY_VOIDED',
        ]);
      }
    }
    // Not asserted (the race decides), but reported when LOG_LEVEL asks for it.
    if (process.env['LOG_LEVEL'] === 'debug') process.stdout.write(`voids won: ${voidsWon}\n`);
    const integrity = await ledger.client.call.checkIntegrity({});
    expect(integrity.mismatches).to.deep.equal([]);
  });
});
