// Group commit: concurrent CreateTransfers calls share database transactions, and each call still
// gets exactly the results it would have had alone in the apply order — its own results, in its
// own order, with linked chains that never reach into another call. A batch whose transaction
// fails fails every call in it with INTERNAL and writes nothing.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { ClientError } from '../../../clients/internal/src/index.js';
import type { LedgerAccount } from '../../../gen/grpc-js/clearmesh/ledger/v1/ledger_account.js';
import {
  ledgerAccount,
  openAccounts,
  sendTransfers,
  transfer,
  transferStatusNames,
} from './ledger-builders.js';
import { histogramCount, histogramSum, metricValue } from './ledger-metrics-reader.js';
import { startLedgerTestServer, type LedgerTestServer } from './ledger-test-server.js';

describe('ledger group commit', () => {
  let ledger: LedgerTestServer;
  let settlement: LedgerAccount;

  before(async () => {
    // A wait long enough that concurrent calls reliably meet, short enough not to slow the suite.
    ledger = await startLedgerTestServer({
      schema: 'ledger_group_commit',
      config: { batchWaitMaxMs: 20 },
    });
    settlement = ledgerAccount();
    await openAccounts(ledger.client, [settlement]);
  });

  after(async () => {
    await ledger.stop();
  });

  async function fundedCustomer(amount: bigint): Promise<LedgerAccount> {
    const customer = ledgerAccount({ kind: 'customer' });
    await openAccounts(ledger.client, [customer]);
    const funding = transfer({
      debitAccountId: settlement.id,
      creditAccountId: customer.id,
      amount,
    });
    expect(await sendTransfers(ledger.client, [funding])).to.deep.equal(['CREATED']);
    return customer;
  }

  it('coalesces 50 concurrent single-transfer calls into fewer batches, each call answered alone', async () => {
    const customer = await fundedCustomer(25n);
    const batchesBefore = await histogramCount(ledger.registry, 'clearmesh_ledger_batch_transfers');
    const transfersBefore = await histogramSum(ledger.registry, 'clearmesh_ledger_batch_transfers');
    const calls = Array.from({ length: 50 }, () =>
      transfer({ debitAccountId: customer.id, creditAccountId: settlement.id, amount: 1n }),
    );
    const responses = await Promise.all(
      calls.map((call) => ledger.client.call.createTransfers({ transfers: [call] })),
    );
    const batches =
      (await histogramCount(ledger.registry, 'clearmesh_ledger_batch_transfers')) - batchesBefore;
    const transfers =
      (await histogramSum(ledger.registry, 'clearmesh_ledger_batch_transfers')) - transfersBefore;
    expect(batches).to.be.greaterThan(0).and.lessThan(50);
    expect(transfers).to.equal(50);

    // Whatever the order, applied one by one: exactly the funds, then refusals.
    const statuses = responses.map((response) => transferStatusNames(response.results));
    expect(statuses.filter(([status]) => status === 'CREATED')).to.have.length(25);
    expect(statuses.filter(([status]) => status === 'EXCEEDS_CREDITS')).to.have.length(25);
    responses.forEach((response, index) => {
      expect(response.results).to.have.length(1);
      const [result] = response.results;
      expect(result?.index).to.equal(0);
      if (result?.transfer !== undefined) expect(result.transfer.id).to.equal(calls[index]?.id);
    });
    const [after] = (await ledger.client.call.lookupAccounts({ accountIds: [customer.id] }))
      .accounts;
    expect(after?.debitsPosted).to.equal(25n);
    expect(after?.creditsPosted).to.equal(25n);
  });

  it('keeps linked chains inside their own call when calls share a batch', async () => {
    const customer = await fundedCustomer(1_000n);
    const requests = Array.from({ length: 20 }, (_, index) => [
      transfer({
        debitAccountId: customer.id,
        creditAccountId: settlement.id,
        amount: 10n,
        flags: { linked: true },
      }),
      // Every third call's chain fails on its second transfer.
      transfer({
        debitAccountId: customer.id,
        creditAccountId: settlement.id,
        amount: index % 3 === 0 ? -1n : 10n,
      }),
    ]);
    const batchesBefore = await histogramCount(ledger.registry, 'clearmesh_ledger_batch_requests');
    const answers = await Promise.all(
      requests.map((request) => sendTransfers(ledger.client, request)),
    );
    const batches =
      (await histogramCount(ledger.registry, 'clearmesh_ledger_batch_requests')) - batchesBefore;
    expect(batches).to.be.lessThan(20);
    answers.forEach((statuses, index) => {
      expect(statuses).to.deep.equal(
        index % 3 === 0
          ? ['LINKED_EVENT_FAILED', 'AMOUNT_MUST_BE_POSITIVE']
          : ['CREATED', 'CREATED'],
      );
    });
    const [after] = (await ledger.client.call.lookupAccounts({ accountIds: [customer.id] }))
      .accounts;
    expect(after?.debitsPosted).to.equal(13n * 20n);
  });

  it('answers a retry in the same batch as the original with EXISTS', async () => {
    const customer = await fundedCustomer(100n);
    const once = transfer({
      debitAccountId: customer.id,
      creditAccountId: settlement.id,
      amount: 60n,
    });
    const answers = await Promise.all([
      sendTransfers(ledger.client, [once]),
      sendTransfers(ledger.client, [once]),
      sendTransfers(ledger.client, [once]),
    ]);
    expect(answers.flat().sort()).to.deep.equal(['CREATED', 'EXISTS', 'EXISTS']);
    const [after] = (await ledger.client.call.lookupAccounts({ accountIds: [customer.id] }))
      .accounts;
    expect(after?.debitsPosted).to.equal(60n);
  });

  it('fails every call of a batch whose transaction fails with INTERNAL, writing nothing', async () => {
    // A trigger in this test's schema makes the database refuse one transfer the engine accepts.
    await ledger.db.raw(`CREATE FUNCTION refuse_marked_transfer() RETURNS trigger
      LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$`);
    await ledger.db.raw(`CREATE TRIGGER refuse_marked_transfer BEFORE INSERT ON transfers
      FOR EACH ROW WHEN (NEW.reference = 'refuse me') EXECUTE FUNCTION refuse_marked_transfer()`);
    try {
      const customer = await fundedCustomer(100n);
      const innocent = Array.from({ length: 5 }, () =>
        transfer({ debitAccountId: customer.id, creditAccountId: settlement.id, amount: 1n }),
      );
      const marked = transfer({
        debitAccountId: settlement.id,
        creditAccountId: customer.id,
        reference: 'refuse me',
      });
      const outcomes = await Promise.allSettled(
        [...innocent, marked].map((one) => sendTransfers(ledger.client, [one])),
      );
      const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect(failed.length).to.be.greaterThan(0);
      for (const outcome of failed) {
        const error = outcome.reason as ClientError;
        expect(error.code).to.equal(grpc.status.INTERNAL);
        expect(error.message).to.not.match(/refused by the test|SQL|transfers/);
      }
      const stored = await ledger.client.call.lookupTransfers({
        transferIds: [...innocent, marked].map((one) => one.id),
      });
      const created = outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
      expect(stored.transfers).to.have.length(created);
      const [after] = (await ledger.client.call.lookupAccounts({ accountIds: [customer.id] }))
        .accounts;
      expect(after?.debitsPosted).to.equal(BigInt(created));
    } finally {
      await ledger.db.raw('DROP TRIGGER refuse_marked_transfer ON transfers');
    }
    const integrity = await ledger.client.call.checkIntegrity({});
    expect(integrity.mismatches).to.deep.equal([]);
  });

  it('counts transfers by status and times every commit', async () => {
    const created = await metricValue(
      ledger.registry,
      'clearmesh_ledger_transfers_total',
      undefined,
      {
        status: 'CREATED',
      },
    );
    expect(created).to.be.greaterThan(0);
    const commits = await metricValue(
      ledger.registry,
      'clearmesh_ledger_commit_seconds',
      'clearmesh_ledger_commit_seconds_count',
      { operation: 'transfers' },
    );
    expect(commits).to.be.greaterThan(0);
    // Every committed batch is timed once, and every transfer in one is counted once by status:
    // "greater than 0" alone would hold with commits or transfers dropped or counted twice.
    const batches = await histogramCount(ledger.registry, 'clearmesh_ledger_batch_transfers');
    expect(commits).to.equal(batches);
    const answered = await metricValue(ledger.registry, 'clearmesh_ledger_transfers_total');
    const batched = await histogramSum(ledger.registry, 'clearmesh_ledger_batch_transfers');
    expect(answered).to.equal(batched);
    const pool = await metricValue(ledger.registry, 'clearmesh_ledger_db_pool_connections');
    expect(pool).to.be.greaterThan(0);
  });
});

describe('ledger group commit, callers gone before their batch', () => {
  // A batch wait far beyond the short caller's deadline: its request is still queued when it goes.
  const batchWaitMaxMs = 1_000;
  let ledger: LedgerTestServer;

  before(async () => {
    ledger = await startLedgerTestServer({
      schema: 'ledger_group_commit_gone',
      config: { batchWaitMaxMs },
    });
  });

  after(async () => {
    await ledger.stop();
  });

  it('drops the request of a caller whose deadline passed while it was queued, unwritten', async () => {
    const [settlement, customer] = await openAccounts(ledger.client, [
      ledgerAccount(),
      ledgerAccount({ kind: 'customer' }),
    ]);
    const move = (): ReturnType<typeof transfer> =>
      transfer({ debitAccountId: settlement?.id ?? '', creditAccountId: customer?.id ?? '' });
    const [gone, kept] = [move(), move()];
    const batchesBefore = await histogramCount(ledger.registry, 'clearmesh_ledger_batch_transfers');
    const goneCall = ledger.client.call.createTransfers({ transfers: [gone] }, { timeoutMs: 100 });
    const keptCall = ledger.client.call.createTransfers({ transfers: [kept] });
    const failure = await goneCall.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).to.be.instanceOf(ClientError);
    expect((failure as ClientError).code).to.equal(grpc.status.DEADLINE_EXCEEDED);
    expect(transferStatusNames((await keptCall).results)).to.deep.equal(['CREATED']);
    // One batch, holding only the caller that stayed; the other's transfer was never written.
    expect(
      (await histogramCount(ledger.registry, 'clearmesh_ledger_batch_transfers')) - batchesBefore,
    ).to.equal(1);
    const { transfers } = await ledger.client.call.lookupTransfers({
      transferIds: [gone.id, kept.id],
    });
    expect(transfers.map((found) => found.id)).to.deep.equal([kept.id]);
  });
});
